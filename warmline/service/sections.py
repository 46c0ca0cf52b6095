"""What the service app gives the *Today* page: the section "Open cases". Registered from
ServiceConfig.ready(); the call queue's reasons are in `reasons.py`."""

from __future__ import annotations

from typing import Any

from warmline.core.registries.today import Section, TodayContext, section_register
from warmline.service.selectors import case_list_today

TODAY_LIMIT = 15


def open_cases(ctx: TodayContext) -> dict[str, Any]:
    cases, total = case_list_today(user=ctx.user, limit=TODAY_LIMIT)
    return {"cases": cases, "cases_total": total, "count": total, "now": ctx.now}


def register() -> None:
    section_register(
        Section(
            key="cases",
            title="Open cases",
            order=20,
            template="service/today/cases.html",
            build=open_cases,
        )
    )
