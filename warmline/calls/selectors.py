"""Reads for the calls app: the ranked queue, the call card, the rep's day and callbacks.

The queue has two halves. `call_queue_rank` asks every reason provider (a handful of
bounded, indexed queries each) and ranks the contacts; call mode keeps that ranking per rep
in a snapshot (`queue.py`), with what makes each contact callable at all (phone, zone, do
not call, numbers marked wrong) as of the same moment. `call_queue_sort` then decides who
may be called now: recent call attempts are read live, and every contact it returns is
checked against its live row (two queries: attempts, the contacts shown). Nothing scans
the whole book in Python.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from warmline.calls.merge import DEFAULT_TEMPLATES, merge_render, merge_values
from warmline.calls.models import (
    Callback,
    CallbackStatus,
    CallLog,
    MessageTemplate,
    OutgoingNote,
    TemplateKind,
)
from warmline.calls.providers import cadence_days
from warmline.calls.ranking import RankedContact, ScoredReason, reasons_rank
from warmline.core.db import in_ids
from warmline.core.hours import HoursStatus, calling_hours_status, span_text, zone_get
from warmline.core.phones import phone_display
from warmline.core.registries.reasons import ReasonContext, reasons_collect
from warmline.people.models import Contact, ImportantDate, PersonalFact
from warmline.people.selectors import contact_scope
from warmline.timeline.models import Interaction, Kind, Outcome
from warmline.timeline.selectors import interaction_list_for_contact
from warmline.users.models import User

PROVIDER_LIMIT = 60  # reasons per provider: plenty for an hour of calls
ATTEMPT_KINDS = (Kind.CALL, Kind.VOICEMAIL)


def rep_zone(user: User) -> dt.tzinfo:
    return zone_get(user.time_zone) or timezone.get_current_timezone()


def rep_today(user: User, now: dt.datetime) -> dt.date:
    return now.astimezone(rep_zone(user)).date()


@dataclass
class QueueItem:
    contact: Contact
    ranked: RankedContact
    hours: HoursStatus
    held: str = ""  # why the contact is held back; "" when ready to call
    last_attempt: Attempt | None = None

    @property
    def reasons(self) -> tuple[ScoredReason, ...]:
        reasons = self.ranked.reasons
        attempt = self.last_attempt
        if attempt is not None and attempt.outcome == Outcome.CONNECTED:
            # That call was the personal touch a reconnect asked for; the snapshot may be a
            # minute older than it (the attempt is read live, the reasons are not).
            reasons = tuple(r for r in reasons if r.key != "reconnect")
        return reasons

    @property
    def reason_text(self) -> str:
        reasons = self.reasons
        return reasons[0].text if reasons else ""

    @property
    def reason_key(self) -> str:
        reasons = self.reasons
        return reasons[0].key if reasons else ""

    @property
    def score(self) -> float:
        return self.ranked.score


@dataclass
class CallQueue:
    ready: list[QueueItem]
    held: list[QueueItem]
    recent: list[QueueItem]  # tried within the retry window; back later
    now: dt.datetime
    skipped: int = 0
    # How many there are in all (the lists above stop at the `limit` asked for).
    ready_count: int = 0
    held_count: int = 0
    recent_count: int = 0

    @property
    def next(self) -> QueueItem | None:
        return self.ready[0] if self.ready else None


@dataclass(frozen=True)
class CallFacts:
    """What the queue needs to know to sort a contact into ready / held / recent, besides
    the calling hours and the recent attempts (both always taken as of now)."""

    pk: int
    phone: str
    time_zone: str
    do_not_call: bool
    wrong: frozenset[str] = frozenset()  # numbers a call found wrong

    def matches(self, contact: Contact) -> bool:
        """Still true of the contact's live row (the numbers marked wrong are not on it)."""
        return (self.phone, self.time_zone, self.do_not_call) == (
            contact.phone,
            contact.time_zone,
            contact.do_not_call,
        )


@dataclass(frozen=True)
class Attempt:
    """The latest call attempt on a contact (what the queue says about "tried recently")."""

    contact_id: int
    kind: str
    outcome: str
    occurred_at: dt.datetime

    def get_outcome_display(self) -> str:
        return str(Outcome(self.outcome).label) if self.outcome else ""


def _attempts(
    contact_ids: Iterable[int], *, since: dt.datetime, wrong_ever: bool = True
) -> tuple[dict[int, Attempt], dict[int, set[str]]]:
    """Latest call attempt per contact since `since`, and the numbers marked wrong (ever,
    or with `wrong_ever=False` only by the attempts since `since`).

    One query on the (contact, -occurred_at) index, a second one only if some number was
    marked wrong. An outcome undone in call mode does not count (its CallLog has undone_at
    set). The contact ids go as one parameter (`in_ids`): every card and every logged
    outcome runs this over the ranked contacts."""
    when = Q(occurred_at__gte=since)
    if wrong_ever:
        when |= Q(outcome=Outcome.WRONG_NUMBER)
    rows = (
        Interaction.objects.filter(in_ids("contact_id", contact_ids), when)
        .filter(kind__in=ATTEMPT_KINDS, call_log__undone_at__isnull=True)
        .order_by("-occurred_at", "-id")
        .values_list("contact_id", "kind", "outcome", "occurred_at")
    )
    latest: dict[int, Attempt] = {}
    wrong_ids: set[int] = set()
    for contact_id, kind, outcome, occurred_at in rows:
        if occurred_at >= since and contact_id not in latest:
            latest[contact_id] = Attempt(contact_id, kind, outcome, occurred_at)
        if outcome == Outcome.WRONG_NUMBER:
            wrong_ids.add(contact_id)
    # Which numbers were wrong: only for the few contacts with such a call (the JSON of
    # every attempt is not worth decoding on each card).
    wrong: dict[int, set[str]] = {}
    if wrong_ids:
        for contact_id, data in (
            Interaction.objects.filter(
                contact_id__in=wrong_ids, kind__in=ATTEMPT_KINDS, outcome=Outcome.WRONG_NUMBER
            )
            .filter(call_log__undone_at__isnull=True)
            .values_list("contact_id", "data")
        ):
            phone = (data or {}).get("phone", "")
            if phone:
                wrong.setdefault(contact_id, set()).add(phone)
    return latest, wrong


def callable_facts(
    *, user: User, contact_ids: Iterable[int], now: dt.datetime, wrong: bool = True
) -> dict[int, CallFacts]:
    """Phone, zone, do not call and the numbers marked wrong of those of `contact_ids` in
    `user`'s book, read now (two queries, one with `wrong=False`; a queue snapshot stores
    them)."""
    ids = list(contact_ids)
    if not ids:
        return {}
    rows = (
        # Unordered, so the engine looks the ids up instead of walking the book in name order.
        contact_scope(user=user)
        .filter(in_ids("pk", ids))
        .order_by()
        .values_list("id", "phone", "time_zone", "do_not_call")
    )
    facts = {row[0]: CallFacts(*row) for row in rows}
    if not wrong or not facts:
        return facts
    _, found = _attempts(facts.keys(), since=now, wrong_ever=True)
    for pk, phones in found.items():
        facts[pk] = dataclasses.replace(facts[pk], wrong=frozenset(phones))
    return facts


def _held_reason(contact: Contact | CallFacts, hours: HoursStatus, wrong: Iterable[str]) -> str:
    if contact.do_not_call:
        return "marked do not call"
    if not contact.phone:
        return "no phone number on record"
    if contact.phone in wrong:
        return f"{phone_display(contact.phone)} was a wrong number; update the contact's phone"
    if not hours.ok:
        return hours.text
    return ""


def retry_since(now: dt.datetime) -> dt.datetime:
    """Call attempts after this moment put a contact on hold (WARMLINE_CALL_RETRY_HOURS)."""
    return now - dt.timedelta(hours=settings.WARMLINE_CALL_RETRY_HOURS)


def reason_context(*, user: User, now: dt.datetime) -> ReasonContext:
    return ReasonContext(
        user=user,
        now=now,
        today=rep_today(user, now),
        limit=PROVIDER_LIMIT,
        tried_since=retry_since(now),
    )


@dataclass(frozen=True)
class Ranking:
    """Every provider's reasons for a rep, ranked: what a queue snapshot stores."""

    ranked: list[RankedContact]
    truncated: bool  # some provider stopped at its limit: the book holds more
    known_at: dt.datetime  # when the providers were asked (see `call_queue_sort`)
    # What made the ranked contacts callable at `known_at` (a snapshot stores it).
    known: Mapping[int, CallFacts] | None = None


def call_queue_rank(*, user: User, now: dt.datetime) -> Ranking:
    """Ask every reason provider (a few indexed queries each) and rank the contacts."""
    ctx = reason_context(user=user, now=now)
    reasons = reasons_collect(ctx)
    per_key: dict[str, int] = {}
    for reason in reasons:
        per_key[reason.key] = per_key.get(reason.key, 0) + 1
    return Ranking(
        ranked=reasons_rank(reasons),
        truncated=any(count >= ctx.limit for count in per_key.values()),
        known_at=now,
    )


def call_queue_build(
    *,
    user: User,
    now: dt.datetime | None = None,
    exclude_ids: Iterable[int] = (),
    limit: int = 50,
    contact_id: int | None = None,
) -> CallQueue:
    """Whom `user` should call now, best first, computed afresh from every provider. Call
    mode reads the same thing from the rep's snapshot: `queue.call_queue_current`."""
    now = now or timezone.now()
    return call_queue_sort(
        user=user,
        now=now,
        ranked=call_queue_rank(user=user, now=now).ranked,
        known_at=now,
        exclude_ids=exclude_ids,
        limit=limit,
        contact_id=contact_id,
    )


def call_queue_sort(
    *,
    user: User,
    now: dt.datetime,
    ranked: list[RankedContact],
    known_at: dt.datetime,
    known: Mapping[int, CallFacts] | None = None,
    exclude_ids: Iterable[int] = (),
    limit: int = 50,
    contact_id: int | None = None,
) -> CallQueue:
    """Sort ranked contacts into ready / held / recent; load the shown ones.

    Held back: do not call, no phone, a number marked wrong, outside calling hours. A
    contact tried (any outcome) within WARMLINE_CALL_RETRY_HOURS leaves the queue until a
    reason newer than that attempt comes up (e.g. the callback the rep scheduled). The
    reconnect and lead providers leave such contacts out themselves, so a long power hour
    keeps finding people not yet tried; tried contacts with other reasons (a question, a
    date) are listed as `recent`.

    Calling hours and attempts are always taken as of now. Phone, zone and do not call come
    from `known` (a snapshot's, as of `known_at`) when given, else from the database; either
    way every contact returned is checked against its live row, and if one changed (a bulk
    import, a "do not call again" just logged) or left the book, the whole sort is redone
    from live rows. So a snapshot can be a minute old without anyone being shown to call
    against the rules; only the counts can lag, by as long as the snapshot is fresh.

    `known_at`: when the ranking was computed (a snapshot's build time). A reason dated
    later than that (a callback due in a few minutes, shown early) counts as known then:
    a call made after the ranking saw the reason has answered it, so the contact does not
    come straight back as the next card while the snapshot still lists it."""
    since = retry_since(now)
    if known is not None and known_at <= since:  # older than the retry window: not enough
        known = None
    excluded = set(exclude_ids)
    skipped = sum(1 for r in ranked if r.contact_id in excluded)
    ranked = [r for r in ranked if r.contact_id not in excluded]
    if contact_id is not None:
        ranked = [r for r in ranked if r.contact_id == contact_id]
    # Sort everyone into ready / held / recent from a few columns (no model instances), then
    # load full contacts only for the items returned: the cost does not grow with `ranked`.
    ids = [r.contact_id for r in ranked]
    if known is not None:
        facts = known
        # Numbers found wrong since `known_at` are among the attempts since `since`.
        latest, wrong = _attempts(ids, since=since, wrong_ever=False) if ids else ({}, {})
    else:  # the numbers ever found wrong come with the attempts (the same index range)
        facts = callable_facts(user=user, contact_ids=ids, now=now, wrong=False)
        latest, wrong = _attempts(facts.keys(), since=since) if facts else ({}, {})
    ready: list[tuple[RankedContact, HoursStatus, str, Attempt | None]] = []
    held: list[tuple[RankedContact, HoursStatus, str, Attempt | None]] = []
    recent: list[tuple[RankedContact, HoursStatus, str, Attempt | None]] = []
    hours_by_zone: dict[str, HoursStatus] = {}  # a book has a few zones, not one per contact
    for entry in ranked:
        fact = facts.get(entry.contact_id)
        if fact is None:  # not in this user's book (any more)
            continue
        hours = hours_by_zone.get(fact.time_zone)
        if hours is None:
            hours = calling_hours_status(time_zone=fact.time_zone, now=now)
            hours_by_zone[fact.time_zone] = hours
        attempt = latest.get(fact.pk)
        newest = entry.newest_at
        if newest is not None and newest > known_at:
            newest = known_at
        if attempt is not None and (newest is None or newest <= attempt.occurred_at):
            recent.append((entry, hours, "", attempt))
            continue
        found = wrong.get(fact.pk)
        why = _held_reason(fact, hours, fact.wrong | found if found else fact.wrong)
        (held if why else ready).append((entry, hours, why, None))
    shown = [*ready[:limit], *held[:limit], *recent[:limit]]
    contacts = (
        {
            c.pk: c
            for c in contact_scope(user=user)
            .filter(pk__in=[e.contact_id for e, *_ in shown])
            .order_by()
            .select_related("account")
            .defer("search_text")
        }
        if shown
        else {}
    )
    if known is not None and any(
        (c := contacts.get(e.contact_id)) is None or not facts[e.contact_id].matches(c)
        for e, *_ in shown
    ):
        queue = call_queue_sort(user=user, now=now, ranked=ranked, known_at=known_at, limit=limit)
        queue.skipped = skipped
        return queue

    def items(
        rows: list[tuple[RankedContact, HoursStatus, str, Attempt | None]],
    ) -> list[QueueItem]:
        return [
            QueueItem(
                contact=contacts[entry.contact_id],
                ranked=entry,
                hours=hours,
                held=why,
                last_attempt=attempt,
            )
            for entry, hours, why, attempt in rows[:limit]
            if entry.contact_id in contacts
        ]

    return CallQueue(
        ready=items(ready),
        held=items(held),
        recent=items(recent),
        now=now,
        skipped=skipped,
        ready_count=len(ready),
        held_count=len(held),
        recent_count=len(recent),
    )


def queue_item_for_contact(*, user: User, contact: Contact, now: dt.datetime) -> QueueItem:
    """A card for a contact the rep picked by hand (from *Today* or the contact page), with
    the reasons the rep's queue has for them."""
    from warmline.calls.queue import call_queue_current

    queue = call_queue_current(user=user, now=now, limit=1, contact_id=contact.pk)
    for item in queue.ready + queue.held + queue.recent:
        if item.contact.pk == contact.pk:
            return item
    hours = calling_hours_status(time_zone=contact.time_zone, now=now)
    item = QueueItem(
        contact=contact,
        ranked=RankedContact(contact_id=contact.pk, score=0.0, reasons=()),
        hours=hours,
    )
    item.held = _held_reason(contact, hours, set())
    return item


# --- The call card -------------------------------------------------------------------


@dataclass
class CardDate:
    item: ImportantDate
    on: dt.date
    days_away: int
    text: str


@dataclass
class CallCard:
    item: QueueItem
    facts: list[PersonalFact]
    dates: list[CardDate]
    timeline: list[Interaction]
    callbacks: list[Callback]
    voicemail_script: str
    cadence_days: int
    cadence_is_custom: bool
    last_touch_text: str
    overdue_days: int | None
    position: int = 1
    remaining: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def contact(self) -> Contact:
        return self.item.contact


def call_card_build(
    *, user: User, item: QueueItem, now: dt.datetime, position: int = 1, remaining: int = 0
) -> CallCard:
    """Everything on the card: 5 queries (facts, dates, timeline, callbacks, script)."""
    contact = item.contact
    today = rep_today(user, now)
    facts = list(PersonalFact.objects.filter(contact=contact).order_by("kind", "id")[:12])
    dates = []
    for d in ImportantDate.objects.filter(contact=contact)[:20]:
        on = d.next_occurrence(today)
        if on is None:
            continue
        days_away = (on - today).days
        label = d.occasion(on)
        if days_away <= 14:
            label += " " + ({0: "today", 1: "tomorrow"}.get(days_away) or f"in {days_away} days")
        dates.append(CardDate(item=d, on=on, days_away=days_away, text=label))
    dates.sort(key=lambda c: c.on)
    timeline = list(interaction_list_for_contact(contact=contact)[:5])
    callbacks = list(
        Callback.objects.filter(contact=contact, status=CallbackStatus.OPEN).order_by("due_at")[:5]
    )
    days = cadence_days(
        reconnect_days=contact.reconnect_days,
        tier=contact.account.tier if contact.account_id and contact.account else None,
    )
    if contact.last_touch_at:
        last_text = f"{span_text(now - contact.last_touch_at)} ago"
        overdue = (now - contact.last_touch_at).days - days
    else:
        last_text = "none on record"
        overdue = None
    _, script = message_template_render(user=user, kind=TemplateKind.VOICEMAIL, contact=contact)
    return CallCard(
        item=item,
        facts=facts,
        dates=dates,
        timeline=timeline,
        callbacks=callbacks,
        voicemail_script=script,
        cadence_days=days,
        cadence_is_custom=bool(contact.reconnect_days),
        last_touch_text=last_text,
        overdue_days=overdue,
        position=position,
        remaining=remaining,
    )


def call_log_undoable(*, user: User, now: dt.datetime) -> CallLog | None:
    """The rep's last outcome, if it can still be undone: only the very last one (after an
    undo, the one before it is not offered), within WARMLINE_CALL_UNDO_SECONDS. One query
    on (rep, -created_at)."""
    window = dt.timedelta(seconds=settings.WARMLINE_CALL_UNDO_SECONDS)
    last = (
        CallLog.objects.filter(rep=user, created_at__gte=now - window)
        .select_related("contact")
        .order_by("-created_at", "-id")
        .first()
    )
    return last if last is not None and last.undone_at is None else None


def call_log_get(*, user: User, log_id: int) -> CallLog:
    log = CallLog.objects.filter(rep=user, pk=log_id).select_related("contact").first()
    if log is None:
        raise Http404("No such call.")
    return log


# --- Templates -----------------------------------------------------------------------


def message_template_get(*, user: User, kind: str) -> tuple[str, str, bool]:
    """(subject, body, is_custom) of the rep's template of `kind`, or the default."""
    # (One row at most: owner and kind are unique together. No ordering, so no join to
    # the users table that the model's default ordering by owner would bring.)
    row = next(iter(MessageTemplate.objects.filter(owner=user, kind=kind).order_by()[:1]), None)
    if row is not None:
        return row.subject, row.body, True
    default = DEFAULT_TEMPLATES[kind]
    return default.subject, default.body, False


def message_template_render(
    *,
    user: User,
    kind: str,
    contact: Contact,
    occasion: ImportantDate | None = None,
    today: dt.date | None = None,
) -> tuple[str, str]:
    subject, body, _ = message_template_get(user=user, kind=kind)
    values = merge_values(contact=contact, rep=user, occasion=occasion, today=today)
    return merge_render(subject, values), merge_render(body, values)


# --- The rep's day -------------------------------------------------------------------


@dataclass(frozen=True)
class DayCounts:
    calls: int
    connects: int
    voicemails: int
    notes: int


@dataclass(frozen=True)
class RepDay:
    today: DayCounts
    week: DayCounts


def rep_day_counts(*, user: User, now: dt.datetime) -> RepDay:
    """Calls, connects, voicemails and notes sent by `user` today and this week (their
    own time zone, weeks start on Monday). One query on (author, occurred_at), grouped by
    kind, outcome and "today": a handful of rows, tallied here (grouping builds in a third
    of the time of eight conditional counts). `tests/calls/test_today.py` pins the counts."""
    zone = rep_zone(user)
    local = now.astimezone(zone)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    week_start = day_start - dt.timedelta(days=local.weekday())
    rows = (
        Interaction.objects.filter(
            author=user,
            occurred_at__gte=week_start,
            occurred_at__lte=now,
            kind__in=(*ATTEMPT_KINDS, Kind.CHECKIN_NOTE),
            call_log__undone_at__isnull=True,
        )
        .values(
            "kind",
            "outcome",
            today=ExpressionWrapper(Q(occurred_at__gte=day_start), output_field=BooleanField()),
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {True: [0, 0, 0, 0], False: [0, 0, 0, 0]}  # calls, connects, voicemails, notes
    for row in rows:
        slot, kind, n = counts[bool(row["today"])], row["kind"], row["n"]
        if kind in ATTEMPT_KINDS:
            slot[0] += n
        if kind == Kind.CALL and row["outcome"] == Outcome.CONNECTED:
            slot[1] += n
        if kind == Kind.VOICEMAIL:
            slot[2] += n
        if kind == Kind.CHECKIN_NOTE:
            slot[3] += n
    week = [t + e for t, e in zip(counts[True], counts[False], strict=True)]
    return RepDay(today=DayCounts(*counts[True]), week=DayCounts(*week))


# --- Callbacks -----------------------------------------------------------------------


def callback_list_upcoming(
    *, user: User, now: dt.datetime, days: int = 14, limit: int = 50
) -> QuerySet[Callback]:
    """The rep's open callbacks from an hour ago to `days` ahead (partial index range)."""
    return (
        Callback.objects.filter(
            rep=user,
            status=CallbackStatus.OPEN,
            due_at__gte=now - dt.timedelta(hours=12),
            due_at__lte=now + dt.timedelta(days=days),
        )
        .select_related("contact", "contact__account")
        .order_by("due_at", "id")[:limit]
    )


def callback_list_open(*, user: User, limit: int = 200) -> QuerySet[Callback]:
    return (
        Callback.objects.filter(rep=user, status=CallbackStatus.OPEN)
        .select_related("contact", "contact__account")
        .order_by("due_at", "id")[:limit]
    )


def callback_get(*, user: User, callback_id: int) -> Callback:
    callback = (
        Callback.objects.filter(rep=user, pk=callback_id)
        .select_related("contact", "contact__account")
        .first()
    )
    if callback is None:
        raise Http404("No such callback.")
    return callback


# --- Notes ---------------------------------------------------------------------------


def outgoing_note_list(*, user: User, limit: int = 20) -> QuerySet[OutgoingNote]:
    return (
        OutgoingNote.objects.filter(rep=user)
        .select_related("contact", "outbox")
        .order_by("-created_at", "-id")[:limit]
    )


def outgoing_note_get(*, user: User, note_id: int) -> OutgoingNote:
    note = (
        OutgoingNote.objects.filter(rep=user, pk=note_id)
        .select_related("contact", "outbox")
        .first()
    )
    if note is None:
        raise Http404("No such note.")
    return note


# --- Reconnects (for *Today*) --------------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    contact: Contact
    cadence_days: int
    overdue_days: int
    last_touch_text: str


def reconnect_list_overdue(*, user: User, now: dt.datetime, limit: int = 10) -> list[Overdue]:
    """The rep's most overdue reconnects, from the same provider the queue uses."""
    from warmline.calls.providers import reconnect_reasons

    ctx = ReasonContext(user=user, now=now, today=rep_today(user, now), limit=limit * 3)
    found = reconnect_reasons(ctx, callable_first=False)
    reasons = sorted(found, key=lambda r: -r.urgency)[: limit * 3]
    contacts = {
        c.pk: c
        for c in Contact.objects.filter(pk__in=[r.contact_id for r in reasons])
        .select_related("account")
        .defer("search_text")
    }
    rows = []
    for reason in reasons:
        contact = contacts.get(reason.contact_id)
        if contact is None:
            continue
        days = cadence_days(
            reconnect_days=contact.reconnect_days,
            tier=contact.account.tier if contact.account else None,
        )
        overdue = (now - reason.at).days if reason.at else 0
        last = f"{span_text(now - contact.last_touch_at)} ago" if contact.last_touch_at else "never"
        rows.append(
            Overdue(contact=contact, cadence_days=days, overdue_days=overdue, last_touch_text=last)
        )
    rows.sort(key=lambda o: (-(o.overdue_days / max(o.cadence_days, 1)), o.contact.pk))
    return rows[:limit]
