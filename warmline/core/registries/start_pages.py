"""Where each role starts its day after signing in. A feature app whose page is a role's
start page registers it (the service desk's case list for agents); every other role starts
at LOGIN_REDIRECT_URL (*Today*)."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import resolve_url

_start_pages: dict[str, str] = {}


def start_page_register(*, role: str, url_name: str) -> None:
    """Call from an AppConfig.ready()."""
    _start_pages[role] = url_name


def start_page_url(role: str) -> str:
    return resolve_url(_start_pages.get(role, settings.LOGIN_REDIRECT_URL))
