"""The service app's reason for the call queue: a customer's open case has breached its
SLA, or is about to ("case #41 breached SLA 2 h ago"). Call before they call you.
Registered from ServiceConfig.ready()."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Min, Q
from django.utils.text import Truncator

from warmline.core.db import in_subquery
from warmline.core.registries.reasons import (
    Reason,
    ReasonContext,
    ReasonProvider,
    reason_provider_register,
    span_text,
)
from warmline.people.models import Contact
from warmline.service.models import Case, Status

#: How long past its breach a case must be to reach full urgency.
OVERDUE_FULL = dt.timedelta(hours=8)
#: A case the rep has already acknowledged still deserves a call, a little less urgently.
ACKNOWLEDGED_FACTOR = 0.75


def near_breach_window() -> dt.timedelta:
    return dt.timedelta(minutes=settings.SERVICE_CALL_NEAR_BREACH_MINUTES)


def case_call_reasons(ctx: ReasonContext) -> Iterator[Reason]:
    """Open cases of the rep's own customers whose SLA breach is past or within
    SERVICE_CALL_NEAR_BREACH_MINUTES, the most overdue first.

    One query: the rep's book (owner index) as a subquery driving the (contact, status)
    case index, with `breach_at` bounding the rows. A case waiting on the customer has its
    clock stopped and is not a reason to call; neither is one without an SLA."""
    window = near_breach_window()
    rows = (
        Case.objects.filter(
            in_subquery("contact_id", Contact.objects.filter(owner=ctx.user).values("id")),
            status=Status.OPEN,
            breach_at__isnull=False,
            breach_at__lte=ctx.now + window,
        )
        .order_by("breach_at", "id")
        .only(
            "id",
            "contact_id",
            "subject",
            "breach_at",
            "acknowledged_at",
            "external_system",
            "external_id",
        )[: ctx.limit]
    )
    for case in rows:
        breach_at = case.breach_at
        assert breach_at is not None  # filtered above
        subject = Truncator(case.subject).chars(60)
        if breach_at <= ctx.now:
            text = f"case {case.reference} breached SLA {span_text(ctx.now - breach_at)} ago"
            urgency = 1.5 + 0.5 * min((ctx.now - breach_at) / OVERDUE_FULL, 1.0)
            at = breach_at
        else:
            text = f"case {case.reference} breaches SLA in {span_text(breach_at - ctx.now)}"
            urgency = 1.0 + 0.4 * (1 - (breach_at - ctx.now) / window)
            # It became a reason when it entered the window; a call made after that
            # keeps the contact out of the queue until the case actually breaches.
            at = breach_at - window
        if case.acknowledged_at is not None:
            urgency *= ACKNOWLEDGED_FACTOR
        yield Reason(
            contact_id=case.contact_id,
            key="case",
            text=f"{text}: “{subject}”",
            urgency=round(urgency, 3),
            at=at,
            ref=f"case:{case.pk}",
            url=case.get_absolute_url(),
        )


def case_next_change(ctx: ReasonContext) -> dt.datetime | None:
    """When the next open case of the book enters the near-breach window, or one already
    in it breaches (its reason's text and urgency change then)."""
    window = near_breach_window()
    found = Case.objects.filter(
        in_subquery("contact_id", Contact.objects.filter(owner=ctx.user).values("id")),
        status=Status.OPEN,
        breach_at__gt=ctx.now,
    ).aggregate(
        entering=Min("breach_at", filter=Q(breach_at__gt=ctx.now + window)),
        breaching=Min("breach_at", filter=Q(breach_at__lte=ctx.now + window)),
    )
    times = []
    if found["entering"] is not None:
        times.append(found["entering"] - window)
    if found["breaching"] is not None:
        times.append(found["breaching"])
    return min(times) if times else None


def register() -> None:
    reason_provider_register(
        ReasonProvider(
            key="case",
            label="Cases near or past their SLA",
            collect=case_call_reasons,
            default_weight=90,
            next_change=case_next_change,
        )
    )
