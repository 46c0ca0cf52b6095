"""Query counts that depend on the configuration the suite runs under."""

from __future__ import annotations

from django.conf import settings


def session_queries() -> int:
    """What reading the session costs a request: one query, none when it comes from Redis
    (the cached_db engine, used when REDIS_URL is set)."""
    return 1 if settings.SESSION_ENGINE.endswith(".db") else 0
