"""Request-wide plumbing that belongs to no capability."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.utils.decorators import sync_and_async_middleware

from warmline.core.hours import zone_get


def _zone_of(user: Any) -> ZoneInfo | None:
    return zone_get(getattr(user, "time_zone", "") or "")


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


def _query_has_nul(request: HttpRequest) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in request.GET.items())


@sync_and_async_middleware
def nul_query_middleware(get_response: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 400 to a query string with a NUL character (%00) before any view reads it:
    PostgreSQL refuses NUL in text, so a search for one would otherwise be a server error.
    (Form fields refuse NUL themselves; JSON bodies are checked by the API schemas.)"""
    message = "The address contains a NUL character (%00)."
    if iscoroutinefunction(get_response):

        async def async_middleware(request: HttpRequest) -> HttpResponse:
            if _query_has_nul(request):
                return HttpResponseBadRequest(message)
            response: Awaitable[HttpResponse] = get_response(request)
            return await response

        markcoroutinefunction(async_middleware)
        return async_middleware

    def middleware(request: HttpRequest) -> HttpResponse:
        if _query_has_nul(request):
            return HttpResponseBadRequest(message)
        return get_response(request)  # type: ignore[no-any-return]

    return middleware
