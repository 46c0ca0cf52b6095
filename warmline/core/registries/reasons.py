"""The call queue's seam: reason providers.

A *reason* is one sentence saying why a rep should call a contact now ("asked a question
2 h ago", "case #41 breached SLA", "callback promised for 14:00"). Each source of reasons
registers one provider here from its AppConfig.ready(); the queue never imports a feature
app. A provider receives the rep and the time and returns its reasons for contacts in the
rep's own book, using a bounded number of indexed queries and at most `ctx.limit` reasons.

Adding a source, as the portal app does::

    from warmline.core.registries.reasons import (
        Reason, ReasonProvider, ago_text, reason_provider_register)

    def open_questions(ctx):
        rows = Question.objects.filter(contact__owner=ctx.user, answered_at__isnull=True)
        for q in rows.order_by("asked_at")[: ctx.limit]:
            yield Reason(contact_id=q.contact_id, key="question",
                         text=f"asked a question {ago_text(q.asked_at, ctx.now)}",
                         at=q.asked_at, urgency=1.0, ref=f"question:{q.pk}",
                         url=q.get_absolute_url())

    reason_provider_register(ReasonProvider(key="question", label="Open questions",
                                            collect=open_questions, default_weight=100))

The weight of a provider's reasons comes from settings.WARMLINE_CALL_WEIGHTS[key] (so it
is configurable per installation), falling back to `default_weight`. See `ranking.py`.

Call mode does not ask the providers on every card: it reads the rep's queue from a
snapshot (`queue.py`) that is rebuilt in the background, when it is older than
WARMLINE_CALL_QUEUE_MAX_AGE_SECONDS, and as soon as a reason changes. So a provider's app
says when it changed something a reason is made of, in the same transaction::

    reasons_changed(contact_ids=[question.contact_id])   # the contact's owner's queue

and a provider whose reasons start by themselves at a known time (a callback falling due,
a case entering its SLA window) gives `next_change`: the earliest such time after
`ctx.now`, so the snapshot is rebuilt then.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from warmline.core.hours import ago_text, span_text

__all__ = [
    "Reason",
    "ReasonContext",
    "ReasonProvider",
    "ago_text",
    "reason_provider_list",
    "reason_provider_register",
    "reason_provider_unregister",
    "reasons_changed",
    "reasons_changed_listen",
    "reasons_collect",
    "reasons_next_change",
    "span_text",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reason:
    contact_id: int
    key: str  # the provider's key; picks the weight
    text: str  # shown to the rep as is: "birthday tomorrow"
    urgency: float = 1.0  # 0..2; 1 is "normal" for this kind of reason
    at: dt.datetime | None = None  # when the reason arose (or fell due)
    ref: str = ""  # stable id of the cause, e.g. "callback:12"
    url: str = ""  # where to read more (the question, the case)


@dataclass(frozen=True)
class ReasonContext:
    user: Any  # the rep (warmline.users.User; the base layer imports no app)
    now: dt.datetime
    today: dt.date  # the rep's local date
    limit: int  # at most this many reasons per provider
    # Call attempts since this moment put a contact on hold (WARMLINE_CALL_RETRY_HOURS). A
    # provider whose reason does not change when someone is tried (a reconnect, a new lead)
    # should leave such contacts out, so that its `limit` goes to people not yet tried and
    # the queue does not run dry after an hour of calls. None: leave nobody out.
    tried_since: dt.datetime | None = None


@dataclass(frozen=True)
class ReasonProvider:
    key: str
    label: str
    collect: Callable[[ReasonContext], Iterable[Reason]]
    default_weight: int = 50
    # When, with no write at all, this provider's answer next changes (None: only on writes).
    next_change: Callable[[ReasonContext], dt.datetime | None] | None = None


_providers: dict[str, ReasonProvider] = {}


def reason_provider_register(provider: ReasonProvider) -> None:
    """Add (or replace, by key) a provider. Call from an AppConfig.ready()."""
    _providers[provider.key] = provider


def reason_provider_unregister(key: str) -> None:
    _providers.pop(key, None)


def reason_provider_list() -> list[ReasonProvider]:
    return sorted(_providers.values(), key=lambda p: p.key)


def reasons_collect(ctx: ReasonContext) -> list[Reason]:
    """Every provider's reasons. A failing provider is logged and skipped: one broken
    source must not take the rep's whole queue down."""
    found: list[Reason] = []
    for provider in reason_provider_list():
        try:
            found.extend(list(provider.collect(ctx))[: ctx.limit])
        except Exception:
            logger.exception("call-queue reason provider %r failed", provider.key)
    return found


def reasons_next_change(ctx: ReasonContext) -> dt.datetime | None:
    """The earliest time after `ctx.now` at which some provider's reasons change by
    themselves. A failing provider is logged and ignored (the snapshot's age bound stays)."""
    found: list[dt.datetime] = []
    for provider in reason_provider_list():
        if provider.next_change is None:
            continue
        try:
            at = provider.next_change(ctx)
        except Exception:
            logger.exception("call-queue reason provider %r: next_change failed", provider.key)
            continue
        if at is not None:
            found.append(max(at, ctx.now))
    return min(found) if found else None


ReasonsChangedListener = Callable[..., object]
_listeners: list[ReasonsChangedListener] = []


def reasons_changed_listen(listener: ReasonsChangedListener) -> None:
    """`listener(contact_ids=..., rep_ids=...)` hears every `reasons_changed` (the call
    queue marks its snapshots stale). Call from an AppConfig.ready()."""
    if listener not in _listeners:
        _listeners.append(listener)


def reasons_changed(*, contact_ids: Iterable[int] = (), rep_ids: Iterable[Any] = ()) -> None:
    """Something a reason is made of changed for these contacts (their owners' queues) or
    these reps: their call-queue snapshots are rebuilt before they are read again. Call it
    inside the writing transaction, so the change and the notice commit together."""
    for listener in _listeners:
        listener(contact_ids=contact_ids, rep_ids=rep_ids)
