"""The reasons the calls app itself knows: callbacks due, reconnects overdue, important
dates and new leads. Each provider is a few bounded, indexed queries over the rep's own
book. (Open questions and service cases register their own providers from their apps.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from warmline.calls.models import Callback, CallbackStatus, OutgoingNote
from warmline.core.hours import ago_text, calling_hours_status, clock_text, span_text, zone_get
from warmline.core.registries.reasons import (
    Reason,
    ReasonContext,
    ReasonProvider,
    reason_provider_register,
)
from warmline.people.models import Contact, ImportantDate, Stage, Tier
from warmline.people.selectors import important_date_window
from warmline.timeline.models import Interaction, Kind

# A callback shows up this long before its time, so the rep can dial on the minute.
CALLBACK_LEAD = dt.timedelta(minutes=5)
DATE_WINDOW_DAYS = 2
# A lead nobody has spoken to is "new" for this long.
LEAD_NEW_DAYS = 14


def cadence_days(*, reconnect_days: int | None, tier: str | None) -> int:
    """Days between personal touches: the contact's own cadence, else 90 for key
    accounts, else 180 (both configurable)."""
    if reconnect_days:
        return reconnect_days
    if tier == Tier.KEY:
        return settings.WARMLINE_RECONNECT_KEY_DAYS
    return settings.WARMLINE_RECONNECT_DAYS


def _zone(ctx: ReasonContext) -> dt.tzinfo:
    return zone_get(ctx.user.time_zone) or dt.UTC


def callback_reasons(ctx: ReasonContext) -> Iterator[Reason]:
    # Range scan on the partial index callback_rep_due_open (rep, due_at) WHERE open.
    rows = (
        Callback.objects.filter(
            rep=ctx.user, status=CallbackStatus.OPEN, due_at__lte=ctx.now + CALLBACK_LEAD
        )
        .order_by("due_at")
        .values_list("id", "contact_id", "due_at", "note", "contact__time_zone")[: ctx.limit]
    )
    zone = _zone(ctx)
    for pk, contact_id, due_at, note, contact_zone in rows:
        late = max(ctx.now - due_at, dt.timedelta(0))
        text = f"callback promised for {clock_text(due_at, zone=zone, now=ctx.now)}"
        # The card shows the contact's clock: where the two differ, say whose is whose.
        theirs = zone_get(contact_zone)
        if theirs is not None and theirs.utcoffset(due_at) != zone.utcoffset(due_at):
            text += f" your time ({due_at.astimezone(theirs):%H:%M} theirs)"
        if note:
            text += f": “{note}”"
        yield Reason(
            contact_id=contact_id,
            key="callback",
            text=text,
            urgency=1.0 + min(late / dt.timedelta(hours=2), 1.0),
            at=due_at,
            ref=f"callback:{pk}",
        )


def callback_next_change(ctx: ReasonContext) -> dt.datetime | None:
    """The next open callback to come due (shown CALLBACK_LEAD early)."""
    due = (
        Callback.objects.filter(
            rep=ctx.user, status=CallbackStatus.OPEN, due_at__gt=ctx.now + CALLBACK_LEAD
        )
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    return due - CALLBACK_LEAD if due is not None else None


def not_tried_since(qs: QuerySet[Contact], since: dt.datetime | None) -> QuerySet[Contact]:
    """Leave out contacts with a call attempt (call or voicemail, not undone) since `since`:
    one anti-join probe per candidate on the timeline's (contact, occurred_at) index."""
    if since is None:
        return qs
    tried = Interaction.objects.filter(
        contact_id=OuterRef("pk"),
        kind__in=(Kind.CALL, Kind.VOICEMAIL),
        occurred_at__gte=since,
        call_log__undone_at__isnull=True,
    )
    return qs.filter(~Exists(tried))


def callable_now(book: QuerySet[Contact], now: dt.datetime) -> Q:
    """The contacts of `book` the rep may call now: not "do not call", with a phone number,
    inside their calling hours (or in a zone of no calling hours, i.e. unknown). A provider
    that reads the oldest first takes these first, so its `limit` goes to people who can be
    called now: without it the oldest overdue contacts in zones still asleep (and those
    marked do not call) stayed at the top of the list all day, never tried and never
    settled, and once the callable ones had been tried call mode had nothing ready while
    thousands were. One small query: the book's zones."""
    zones = set(book.order_by().values_list("time_zone", flat=True).distinct())
    open_zones = [z for z in zones if calling_hours_status(time_zone=z, now=now).ok]
    return Q(do_not_call=False) & ~Q(phone="") & Q(time_zone__in=open_zones)


def _overdue(days: int, now: dt.datetime) -> Q:
    cutoff = now - dt.timedelta(days=days)
    return Q(last_touch_at__lt=cutoff) | Q(last_touch_at__isnull=True, created_at__lt=cutoff)


def reconnect_reasons(ctx: ReasonContext, *, callable_first: bool = True) -> Iterator[Reason]:
    """Contacts whose last personal touch is older than their cadence.

    Three ordered slices over the (owner, last_touch_at) index (standard cadence, key
    accounts, custom cadences) plus one small query for the distinct custom cadences, so
    the cost does not depend on the size of the book beyond an index range scan. Contacts
    tried within the retry window are left out (the reason has not changed since), and
    those who can be called now come first (`callable_now`) unless `callable_first` is off
    (*Today*'s "haven't spoken in a while" is about the relationship, not the hour)."""
    now = ctx.now
    book = Contact.objects.filter(owner=ctx.user)
    oldest_first = F("last_touch_at").asc(nulls_first=True)
    fields = ("id", "last_touch_at", "created_at", "reconnect_days", "account__tier")
    standard = (
        book.filter(reconnect_days__isnull=True)
        .exclude(account__tier=Tier.KEY)
        .filter(_overdue(settings.WARMLINE_RECONNECT_DAYS, now))
    )
    key = book.filter(reconnect_days__isnull=True, account__tier=Tier.KEY).filter(
        _overdue(settings.WARMLINE_RECONNECT_KEY_DAYS, now)
    )
    slices = [standard, key]
    custom_days = list(
        book.filter(reconnect_days__isnull=False)
        .order_by()
        .values_list("reconnect_days", flat=True)
        .distinct()[:50]
    )
    if custom_days:
        condition = Q()
        for days in custom_days:
            if days is not None:
                condition |= Q(reconnect_days=days) & _overdue(days, now)
        slices.append(book.filter(condition))
    found: list[Reason] = []
    callable_ = callable_now(book, now) if callable_first else None
    for qs in slices:
        qs = not_tried_since(qs, ctx.tried_since).order_by(oldest_first, "id")
        if callable_ is None:
            rows = list(qs.values_list(*fields)[: ctx.limit])
        else:
            rows = list(qs.filter(callable_).values_list(*fields)[: ctx.limit])
            # Then the others, shown held ("call from 9:00 their time") when room is left.
            # Read whether or not there is room: the queue costs the same for every book.
            rows += qs.exclude(callable_).values_list(*fields)[: ctx.limit]
        for pk, last, created, own_days, tier in rows[: ctx.limit]:
            days = cadence_days(reconnect_days=own_days, tier=tier)
            since = last or created
            due = since + dt.timedelta(days=days)
            overdue = now - due
            if last:
                text = f"no personal contact for {span_text(now - last)}"
            else:
                text = "no personal contact on record"
            found.append(
                Reason(
                    contact_id=pk,
                    key="reconnect",
                    text=text,
                    urgency=1.0 + min(overdue / dt.timedelta(days=days), 1.0),
                    at=due,
                    ref="reconnect",
                )
            )
    # The most overdue (against each one's own cadence) across the slices, so key accounts
    # and custom cadences are not crowded out by a long standard list.
    found.sort(key=lambda r: (-r.urgency, r.at or now, r.contact_id))
    yield from found[: ctx.limit]


def _dates_upcoming(ctx: ReasonContext) -> list[tuple[ImportantDate, dt.date]]:
    """(date, next occurrence) in the rep's book from today to DATE_WINDOW_DAYS ahead: one
    query driven from the book, without loading the contacts (the queue does that)."""
    end = ctx.today + dt.timedelta(days=DATE_WINDOW_DAYS)
    rows = important_date_window(owner=ctx.user, start=ctx.today, days=DATE_WINDOW_DAYS).only(
        "id", "contact_id", "kind", "label", "date", "recurs_yearly", "month_day"
    )[: ctx.limit * 2]
    upcoming = []
    for row in rows:
        on = row.next_occurrence(ctx.today)
        if on is not None and on <= end:
            upcoming.append((row, on))
    upcoming.sort(key=lambda u: (u[1], u[0].pk))
    return upcoming[: ctx.limit]


def date_next_change(ctx: ReasonContext) -> dt.datetime | None:
    """Dates move through the window day by day: at the rep's next local midnight."""
    zone = _zone(ctx)
    tomorrow = ctx.now.astimezone(zone).date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(0), tzinfo=zone)


def date_reasons(ctx: ReasonContext) -> Iterator[Reason]:
    """Birthdays, anniversaries and other dates today or in the next two days
    (ImportantDate.month_day is indexed). A date already congratulated by note is done."""
    upcoming = _dates_upcoming(ctx)
    if not upcoming:
        return
    noted = OutgoingNote.objects.occasions_noted(
        rep_id=ctx.user.pk, occasion_ids=[item.pk for item, _ in upcoming], now=ctx.now
    )
    zone = _zone(ctx)
    for item, on in upcoming:
        if item.pk in noted:
            continue
        days = (on - ctx.today).days
        when = {0: "today", 1: "tomorrow"}.get(days, f"in {days} days")
        surfaced = dt.datetime.combine(
            on - dt.timedelta(days=DATE_WINDOW_DAYS), dt.time(0), tzinfo=zone
        )
        yield Reason(
            contact_id=item.contact_id,
            key="date",
            text=f"{item.occasion(on)} {when}",
            urgency={0: 1.3, 1: 1.0}.get(days, 0.8),
            at=surfaced,
            ref=f"date:{item.pk}",
        )


def lead_reasons(ctx: ReasonContext) -> Iterator[Reason]:
    """New leads in the rep's book nobody has spoken to yet: contacts at the "lead" stage
    added in the last LEAD_NEW_DAYS days with no personal touch. Speed matters:
    the newest is the most urgent (1.5 on the first day, down to 0.75 at the end).

    One ordered query over (owner, last_touch_at IS NULL). A leads app that qualifies leads
    (sales-qualified) replaces this provider by registering its own under the key "lead"."""
    days = LEAD_NEW_DAYS
    since = ctx.now - dt.timedelta(days=days)
    leads = Contact.objects.filter(
        owner=ctx.user, stage=Stage.LEAD, last_touch_at__isnull=True, created_at__gte=since
    )
    rows = (
        not_tried_since(leads, ctx.tried_since)
        .order_by("-created_at", "-id")
        .values_list("id", "created_at")[: ctx.limit]
    )
    for pk, created in rows:
        age = max(ctx.now - created, dt.timedelta(0))
        fresh = 1.0 - min(age / dt.timedelta(days=days), 1.0)
        yield Reason(
            contact_id=pk,
            key="lead",
            text=f"new lead, added {ago_text(created, ctx.now)}",
            urgency=0.75 + 0.75 * fresh,
            at=created,
            ref=f"lead:{pk}",
        )


def register_builtin() -> None:
    reason_provider_register(
        ReasonProvider(
            key="callback",
            label="Callbacks due",
            collect=callback_reasons,
            default_weight=80,
            next_change=callback_next_change,
        )
    )
    reason_provider_register(
        ReasonProvider(
            key="reconnect",
            label="Reconnects overdue",
            collect=reconnect_reasons,
            default_weight=30,
        )
    )
    reason_provider_register(
        ReasonProvider(
            key="date",
            label="Important dates",
            collect=date_reasons,
            default_weight=50,
            next_change=date_next_change,
        )
    )
    reason_provider_register(
        ReasonProvider(key="lead", label="New leads", collect=lead_reasons, default_weight=60)
    )
