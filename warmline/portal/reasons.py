"""The portal's reason for the call queue: a contact asked a question that nobody has
answered yet ("asked a question 2 h ago"). Registered from PortalConfig.ready()."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.urls import reverse

from warmline.core.registries.reasons import (
    Reason,
    ReasonContext,
    ReasonProvider,
    ago_text,
    reason_provider_register,
)
from warmline.portal.models import OPEN_STATUSES, Channel, Question

#: How far past its promised answer time a question must be to reach full urgency.
OVERDUE_FULL = dt.timedelta(hours=4)
#: A contact who asked to be e-mailed still belongs in the queue, a little lower.
EMAIL_PREFERRED_FACTOR = 0.75


def question_call_reasons(ctx: ReasonContext) -> Iterator[Reason]:
    """Open (new or acknowledged, not answered) questions the rep answers, oldest first.

    One query: a range scan of the question_rep_status index (rep, status, created_at).
    A question becomes more urgent once it is past the answer time the portal promised."""
    rows = (
        Question.objects.filter(rep=ctx.user, status__in=OPEN_STATUSES)
        .order_by("created_at", "id")
        .values_list("id", "contact_id", "created_at", "answer_by", "preferred_channel")[
            : ctx.limit
        ]
    )
    for pk, contact_id, created_at, answer_by, channel in rows:
        text = f"asked a question {ago_text(created_at, ctx.now)}"
        urgency = 1.0
        if answer_by < ctx.now:
            urgency += min((ctx.now - answer_by) / OVERDUE_FULL, 1.0)
        if channel == Channel.CALL:
            text += " and would like a call"
        else:
            text += " (prefers e-mail)"
            urgency *= EMAIL_PREFERRED_FACTOR
        yield Reason(
            contact_id=contact_id,
            key="question",
            text=text,
            urgency=round(urgency, 3),
            at=created_at,
            ref=f"question:{pk}",
            url=reverse("question-detail", args=[pk]),
        )


def register() -> None:
    reason_provider_register(
        ReasonProvider(
            key="question",
            label="Open questions",
            collect=question_call_reasons,
            default_weight=100,
        )
    )
