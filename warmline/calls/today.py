"""The calls app's sections on the rep's *Today* page.

- "calls": the rep's own day (calls, connects, voicemails, notes today and this week,
  shown, not ranked) and the callbacks still due today.
- "stale" (replaces the memory's built-in "Haven't spoken in a while"): overdue against
  each contact's cadence ("overdue by 40 days"), with Call and Check-in note actions.
- "dates" (replaces the built-in date list): the same upcoming dates, each with a
  congratulate / check in suggestion.
Each builds with a fixed number of queries whatever the size of the book.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from warmline.calls import selectors
from warmline.calls.merge import when_text
from warmline.calls.models import Callback, CallbackStatus, OutgoingNote
from warmline.core.registries.today import Section, TodayContext, section_register
from warmline.people.selectors import important_dates_upcoming
from warmline.users.models import User


def has_book(user: User) -> bool:
    """Agents and marketers get no calls, reconnects or dates of their own, so those
    sections would only ever be empty for them."""
    return user.owns_book


def day_build(ctx: TodayContext) -> dict[str, Any]:
    zone = selectors.rep_zone(ctx.user)
    end_of_day = (ctx.now.astimezone(zone) + dt.timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    callbacks = list(
        Callback.objects.filter(rep=ctx.user, status=CallbackStatus.OPEN, due_at__lt=end_of_day)
        .select_related("contact")
        .order_by("due_at")[:8]
    )
    return {
        "day": selectors.rep_day_counts(user=ctx.user, now=ctx.now),
        "callbacks_today": callbacks,
        "now": ctx.now,
    }


def stale_build(ctx: TodayContext) -> dict[str, Any]:
    return {"overdue": selectors.reconnect_list_overdue(user=ctx.user, now=ctx.now, limit=8)}


def dates_build(ctx: TodayContext) -> dict[str, Any]:
    """Upcoming dates with a suggestion each; one already written for says so instead of
    offering a second congratulation."""
    upcoming = important_dates_upcoming(user=ctx.user, today=ctx.today, days=14, limit=12)
    noted = OutgoingNote.objects.occasions_noted(
        rep_id=ctx.user.pk, occasion_ids=[up.item.pk for up in upcoming], now=ctx.now
    )
    suggestions = []
    for up in upcoming:
        occasion = up.item.occasion(up.on)
        suggestions.append(
            {
                "date": up,
                "contact": up.item.contact,
                "text": f"{occasion} {when_text(on=up.on, today=ctx.today)}",
                "congratulate": up.item.kind != "other",
                "noted": up.item.pk in noted,
            }
        )
    return {"suggestions": suggestions, "today": ctx.today}


def register() -> None:
    section_register(
        Section(
            key="calls",
            title="Your calls",
            order=15,
            template="calls/today/day.html",
            build=day_build,
            visible=has_book,
        )
    )
    section_register(
        Section(
            key="stale",
            title="Haven't spoken in a while",
            order=50,
            template="calls/today/stale.html",
            build=stale_build,
            visible=has_book,
        )
    )
    section_register(
        Section(
            key="dates",
            title="Congratulate or check in",
            order=60,
            template="calls/today/dates.html",
            build=dates_build,
            visible=has_book,
        )
    )
