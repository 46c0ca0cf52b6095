"""The portal's section on the rep's *Today* page: open questions, oldest first, with
acknowledge / mark answered. The panel refreshes itself when a "question" live event
arrives (see static/portal/questions.js), so a new question shows without a reload."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from warmline.core.registries.today import Section, TodayContext, section_register
from warmline.portal.selectors import question_count_open_for_rep, question_list_open_for_rep
from warmline.users.models import User

PANEL_LIMIT = 20


def questions_context(*, user: User) -> dict[str, Any]:
    """At most two queries whatever the number of questions: the first page, and the
    count only when the page is full."""
    now = timezone.now()
    questions = question_list_open_for_rep(user=user, limit=PANEL_LIMIT)
    count = len(questions)
    if count == PANEL_LIMIT:
        count = question_count_open_for_rep(user=user)
    return {"questions": questions, "open_count": count, "count": count, "now": now}


def questions_build(ctx: TodayContext) -> dict[str, Any]:
    return questions_context(user=ctx.user)


def questions_visible(user: User) -> bool:
    return user.owns_book


def register() -> None:
    section_register(
        Section(
            key="questions",
            title="Questions",
            order=10,
            template="portal/today/questions.html",
            build=questions_build,
            visible=questions_visible,
        )
    )
