"""`{% load service_tags %}`: how a case stands against its SLA, in words.

{% case_sla case now as sla %}  ->  sla.text ("Resolution overdue by 3 h 10 min"),
                                    sla.state (breach | soon | ok | paused | none)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import template
from django.utils import timezone

from warmline.service.models import Case, Clock, Status

register = template.Library()

SOON = dt.timedelta(hours=1)


@dataclass(frozen=True)
class SlaView:
    text: str
    state: str  # breach | soon | ok | paused | none | done


def duration_text(delta: dt.timedelta) -> str:
    """3 d 4 h, 2 h 15 min, 45 min, under a minute."""
    seconds = int(abs(delta).total_seconds())
    if seconds < 60:
        return "under a minute"
    minutes = seconds // 60
    days, rest = divmod(minutes, 60 * 24)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def case_sla_view(case: Case, now: dt.datetime | None = None) -> SlaView:
    now = now or timezone.now()
    if case.status in (Status.RESOLVED, Status.CLOSED):
        return SlaView(text=case.get_status_display(), state="done")
    if case.status == Status.PENDING_CUSTOMER:
        return SlaView(text="Clock paused — waiting on the customer", state="paused")
    if case.breach_at is None:
        if case.sla_policy_id is None:
            return SlaView(text="No SLA for this priority", state="none")
        return SlaView(text="Within SLA", state="ok")
    label = "First response" if case.breach_clock() == Clock.FIRST_RESPONSE else "Resolution"
    left = case.breach_at - now
    if left <= dt.timedelta(0):
        return SlaView(text=f"{label} overdue by {duration_text(left)}", state="breach")
    state = "soon" if left <= SOON else "ok"
    return SlaView(text=f"{label} due in {duration_text(left)}", state=state)


@register.simple_tag
def case_sla(case: Case, now: dt.datetime | None = None) -> SlaView:
    return case_sla_view(case, now)


@register.filter
def duration(delta: dt.timedelta | None) -> str:
    return duration_text(delta) if delta is not None else ""
