"""A small fixed-window rate limiter on Django's cache.

`rate_limit_hit(scope="ask-ip", ident="203.0.113.9", rate="10/h")` counts one request in the
current window and says whether it is still within the limit. With REDIS_URL set the cache
is Redis, so the count holds across every web process; without it the count is per process.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


@dataclass(frozen=True)
class RateResult:
    allowed: bool
    retry_after: int  # seconds until the window resets (0 when allowed)


def rate_parse(rate: str) -> Rate:
    """ "10/h" -> Rate(10, 3600); "5/30m" -> Rate(5, 1800)."""
    try:
        count_text, period = rate.strip().split("/")
        unit = period[-1].lower()
        multiple = int(period[:-1] or "1")
        count = int(count_text)
        seconds = multiple * _PERIODS[unit]
    except (ValueError, KeyError, IndexError) as exc:
        raise ImproperlyConfigured(f"Bad rate {rate!r}: use <count>/<period>, e.g. 10/h.") from exc
    if count < 1 or seconds < 1:
        raise ImproperlyConfigured(f"Bad rate {rate!r}: count and period must be positive.")
    return Rate(count=count, seconds=seconds)


def rate_limit_hit(*, scope: str, ident: str, rate: str, now: float | None = None) -> RateResult:
    """Count one request for (scope, ident) and say whether it is allowed."""
    parsed = rate_parse(rate)
    moment = time.time() if now is None else now
    window = int(moment // parsed.seconds)
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]  # no raw e-mails/IPs as keys
    key = f"portal:rl:{scope}:{digest}:{window}"
    ttl = parsed.seconds + 5
    if cache.add(key, 1, timeout=ttl):
        used = 1
    else:
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=ttl)
            used = 1
    if used <= parsed.count:
        return RateResult(allowed=True, retry_after=0)
    retry_after = max(1, int((window + 1) * parsed.seconds - moment))
    return RateResult(allowed=False, retry_after=retry_after)


def retry_after_text(seconds: int) -> str:
    if seconds < 90:
        return "a minute"
    minutes = (seconds + 59) // 60
    if minutes < 90:
        return f"{minutes} minutes"
    hours = (minutes + 59) // 60
    return f"{hours} hours"
