"""Small request and response helpers every app's views share: is this an htmx swap, one
URL answering with a partial or the whole page, and where a form post may send the browser
next.

htmx marks its requests with `HX-Request: true`. When the user goes back and htmx's
history cache misses, it asks for the same URL again with `HX-History-Restore-Request:
true` and expects the whole page, so such a request is not a swap. django-htmx's middleware
reads the same two headers into `request.htmx`; reading them here keeps views typed and
works on any request (a RequestFactory one too).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

HTMX_HEADERS = ("HX-Request", "HX-History-Restore-Request")


def is_htmx(request: HttpRequest) -> bool:
    """True when htmx asks for a fragment to swap in: the `HX-Request` header, except on a
    history restore (that wants the whole page)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true" and headers.get("HX-History-Restore-Request") != "true"
    )


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    """Mark a response whose body depends on `is_htmx`: a cache must not hand the fragment
    to a plain page load, or the page to htmx."""
    patch_vary_headers(response, HTMX_HEADERS)
    return response


def render_htmx(
    request: HttpRequest,
    *,
    partial: str,
    page: str,
    context: Mapping[str, Any],
    status: int = 200,
) -> HttpResponse:
    """One URL, two answers: the `partial` template for an htmx swap, the whole `page`
    otherwise (with the same context), marked to vary on the htmx headers."""
    template = partial if is_htmx(request) else page
    return vary_on_htmx(render(request, template, dict(context), status=status))


def next_url_get(request: HttpRequest, *, default: str = "") -> str:
    """The `next` the form posted (or the query string carried), when it stays on this site
    (never an open redirect); else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def int_param(raw: str | None, *, minimum: int = 1) -> int | None:
    """A whole number from a query string, form field or header (an id, a position), or
    None when it is missing, not a number, or below `minimum` (ids start at 1)."""
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if value >= minimum else None
