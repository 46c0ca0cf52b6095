"""Request-wide plumbing that belongs to no capability."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.decorators import sync_and_async_middleware


def _zone_of(user: Any) -> ZoneInfo | None:
    name = getattr(user, "time_zone", "") or ""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@sync_and_async_middleware
def user_timezone_middleware(get_response: Callable[..., Any]) -> Callable[..., Any]:
    """Show times (and read typed date-times) in the signed-in user's own time zone.

    Works in both modes so it never forces async views (server-sent events) onto a thread.
    """
    if iscoroutinefunction(get_response):

        async def async_middleware(request: HttpRequest) -> HttpResponse:
            user = await request.auser() if hasattr(request, "auser") else None
            zone = _zone_of(user)
            if zone is None:
                timezone.deactivate()
                response: Awaitable[HttpResponse] = get_response(request)
                return await response
            with timezone.override(zone):
                return await get_response(request)

        markcoroutinefunction(async_middleware)
        return async_middleware

    def middleware(request: HttpRequest) -> HttpResponse:
        zone = _zone_of(getattr(request, "user", None))
        if zone is None:
            timezone.deactivate()
            return get_response(request)  # type: ignore[no-any-return]
        with timezone.override(zone):
            return get_response(request)  # type: ignore[no-any-return]

    return middleware
