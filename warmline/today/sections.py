"""The sections the relationship memory itself gives *Today*."""

from __future__ import annotations

from typing import Any

from warmline.core.registries.today import Section, TodayContext, section_register
from warmline.people.selectors import contact_list_stale, important_dates_upcoming


def stale_contacts(ctx: TodayContext) -> dict[str, Any]:
    return {"contacts": contact_list_stale(user=ctx.user, limit=10), "now": ctx.now}


def upcoming_dates(ctx: TodayContext) -> dict[str, Any]:
    return {"dates": important_dates_upcoming(user=ctx.user, today=ctx.today, days=14)}


def register_builtin() -> None:
    section_register(
        Section(
            key="stale",
            title="Haven't spoken in a while",
            order=50,
            template="today/sections/stale.html",
            build=stale_contacts,
        )
    )
    section_register(
        Section(
            key="dates",
            title="Coming up in the next 14 days",
            order=60,
            template="today/sections/dates.html",
            build=upcoming_dates,
        )
    )
