"""Issuing, checking and revoking API tokens; recording rejected requests."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from warmline.api.models import ApiRejection, ApiToken
from warmline.core.registries.api_scopes import scope_known
from warmline.users.models import User

TOKEN_PREFIX = "wl_"
#: `last_used_at` is written at most this often per token, so busy integrations do not turn
#: every request into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _validate_scopes(scopes: Sequence[str]) -> list[str]:
    unknown = [s for s in scopes if not scope_known(s)]
    if unknown:
        raise ValidationError({"scopes": f"Unknown scope(s): {', '.join(unknown)}."})
    return sorted(set(scopes))


@transaction.atomic
def api_token_issue(*, token: ApiToken) -> str:
    """Give an unsaved token its secret, save it and return the secret (shown once)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token.token_hash = token_hash(raw)
    token.prefix = raw[:10]
    token.scopes = _validate_scopes(token.scopes or [])
    token.full_clean()
    token.save()
    return raw


def api_token_create(
    *,
    name: str,
    owner: User,
    scopes: Sequence[str],
    expires_at: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    token = ApiToken(name=name.strip(), owner=owner, scopes=list(scopes), expires_at=expires_at)
    raw = api_token_issue(token=token)
    return token, raw


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The usable token with this secret, or None. Stamps `last_used_at` (coarsely)."""
    raw = raw.strip()
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = ApiToken.objects.select_related("owner").filter(token_hash=token_hash(raw)).first()
    now = timezone.now()
    if token is None or not token.is_usable(now) or not token.owner.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=token.revoked_at)
    return token


def api_rejection_record(
    *,
    method: str,
    path: str,
    status_code: int,
    token: ApiToken | None,
    detail: str,
    errors: list[dict[str, Any]],
    body: bytes,
) -> ApiRejection:
    return ApiRejection.objects.create(
        method=method[:8],
        path=path[:300],
        status_code=status_code,
        token=token,
        detail=detail[:300],
        errors=errors[:50],
        body_excerpt=body[:4000].decode("utf-8", errors="replace"),
    )
