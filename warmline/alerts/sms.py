"""SMS providers: a small protocol, a console provider for development and an HTTP provider
speaking Twilio's Messages API (any compatible service), chosen by `SMS_PROVIDER`."""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger("warmline.alerts.sms")


class SmsError(Exception):
    """Sending failed. `permanent` failures (a bad number, bad credentials) are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmsProvider(Protocol):
    name: str

    def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        """Send one text message; return the provider's id for it. Raise SmsError."""
        ...


class ConsoleSmsProvider:
    """Logs each message and, when `path` is set, appends it to that file (one line each)."""

    name = "console"

    def __init__(self, *, path: str = "") -> None:
        self.path = path

    def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        logger.info("SMS to %s [%s]: %s", to, idempotency_key, body)
        if self.path:
            line = json.dumps(
                {
                    "at": timezone.now().isoformat(),
                    "to": to,
                    "body": body,
                    "idempotency_key": idempotency_key,
                }
            )
            target = Path(self.path)
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        return f"console:{idempotency_key}"


class TwilioSmsProvider:
    """POST {api_url}/2010-04-01/Accounts/{sid}/Messages.json, form-encoded To/From/Body,
    HTTP basic auth (sid, token). The idempotency key goes in `I-Twilio-Idempotency-Token`
    and `Idempotency-Key`, so a retry after a crash between send and mark is not sent twice."""

    name = "twilio"

    def __init__(
        self,
        *,
        api_url: str,
        account_sid: str,
        auth_token: str,
        from_number: str,
        timeout: float = 30.0,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.timeout = timeout

    @property
    def endpoint(self) -> str:
        sid = urllib.parse.quote(self.account_sid, safe="")
        return f"{self.api_url}/2010-04-01/Accounts/{sid}/Messages.json"

    def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        if not (self.account_sid and self.auth_token and self.from_number):
            raise SmsError(
                "SMS is not configured: set SMS_ACCOUNT_SID, SMS_AUTH_TOKEN and SMS_FROM",
                permanent=True,
            )
        if not self.api_url.startswith(("http://", "https://")):
            raise SmsError(
                f"SMS_API_URL must be an http(s) URL, not {self.api_url!r}", permanent=True
            )
        form = urllib.parse.urlencode({"To": to, "From": self.from_number, "Body": body})
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            self.endpoint,
            data=form.encode(),
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                "I-Twilio-Idempotency-Token": idempotency_key,
                "Idempotency-Key": idempotency_key,
                "User-Agent": "Warmline",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload = response.read()
        except urllib.error.HTTPError as exc:
            detail = _error_detail(exc)
            # 4xx means the request itself is wrong (number, credentials): retrying will not
            # help, except for rate limiting (429) and request timeouts (408).
            permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
            raise SmsError(
                f"SMS provider answered {exc.code}: {detail}", permanent=permanent
            ) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SmsError(f"SMS provider unreachable: {exc}") from exc
        try:
            sid = json.loads(payload or b"{}").get("sid", "")
        except (ValueError, AttributeError):
            sid = ""
        return str(sid or f"twilio:{idempotency_key}")


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        raw = exc.read()[:2000]
        data = json.loads(raw)
        return str(data.get("message") or data)
    except Exception:
        return exc.reason if isinstance(exc.reason, str) else "error"


def sms_provider_get() -> SmsProvider:
    """The provider configured by SMS_PROVIDER (console | twilio)."""
    name = settings.SMS_PROVIDER.strip().lower()
    if name == "twilio":
        return TwilioSmsProvider(
            api_url=settings.SMS_API_URL,
            account_sid=settings.SMS_ACCOUNT_SID,
            auth_token=settings.SMS_AUTH_TOKEN,
            from_number=settings.SMS_FROM,
            timeout=float(settings.ALERT_SEND_TIMEOUT_SECONDS),
        )
    if name in ("console", ""):
        return ConsoleSmsProvider(path=settings.SMS_CONSOLE_PATH)
    raise SmsError(
        f"Unknown SMS_PROVIDER {settings.SMS_PROVIDER!r} (use console or twilio)", permanent=True
    )
