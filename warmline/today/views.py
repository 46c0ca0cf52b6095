"""The rep's *Today* page: a greeting, then every registered section, in order.

Each section (see `registry.py`) is rendered with its own template inside a card; its
build function's dict is the template's context (plus `section`, `now`, `today` and the
request context). A section may return `count` to show a number in the card's header.
Times are the user's own (the user time zone middleware is active).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from warmline.core.registries.today import TodayContext, sections_build
from warmline.users.http import request_user


def greeting_for(hour: int) -> str:
    if 5 <= hour < 12:
        return "Good morning"
    if 12 <= hour < 18:
        return "Good afternoon"
    return "Good evening"


@login_required
def today(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    now = timezone.now()
    local = timezone.localtime(now)
    ctx = TodayContext(user=user, today=local.date(), now=now)
    return render(
        request,
        "today/today.html",
        {
            "nav": "today",
            "sections": sections_build(ctx),
            "now": now,
            "today": local.date(),
            "greeting": greeting_for(local.hour),
            # Agents and marketers own no book: their Today is about cases and work, not calls.
            "tagline": (
                "the people worth a call today" if user.owns_book else "what needs you today"
            ),
        },
    )
