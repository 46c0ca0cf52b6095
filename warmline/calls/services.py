"""Writes for the calls app: log an outcome (and undo it), callbacks, cadence, templates
and notes that go out by e-mail. Every function is atomic and validates first."""

from __future__ import annotations

import datetime as dt
import logging
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BigIntegerField, Exists, Max, OuterRef, Subquery, Value
from django.utils import timezone
from django.utils.html import escape, linebreaks

from warmline.alerts.models import OutboxMessage
from warmline.alerts.services import DeliveryError, email_enqueue, outbox_message_retry
from warmline.calls.merge import merge_validate
from warmline.calls.models import (
    NOTE_OUTBOX_PREFIX,
    Callback,
    CallbackStatus,
    CallLog,
    MessageTemplate,
    NoteStatus,
    OutgoingNote,
    TemplateKind,
)
from warmline.calls.providers import CALLBACK_LEAD
from warmline.calls.queue import queue_snapshot_due, queue_snapshot_invalidate
from warmline.core.hours import calling_hours_status, zone_get, zone_label
from warmline.people.models import Contact, ImportantDate
from warmline.timeline.models import Direction, Interaction, Kind, Outcome, Source
from warmline.timeline.services import interaction_create
from warmline.users.models import User

logger = logging.getLogger(__name__)

CALL_OUTCOMES = (
    Outcome.CONNECTED,
    Outcome.VOICEMAIL,
    Outcome.NO_ANSWER,
    Outcome.WRONG_NUMBER,
    Outcome.DO_NOT_CALL,
)
# Callbacks due within this window are considered handled by a call logged now.
CALLBACK_CLOSE_WINDOW = dt.timedelta(hours=2)
CALLBACK_MAX_AHEAD = dt.timedelta(days=366)
# A personal note is a few paragraphs; this stops a pasted document, not a long letter.
NOTE_BODY_MAX = 20_000
NOTE_BODY_TOO_LONG = f"Keep the note under {NOTE_BODY_MAX:,} characters: it is an e-mail."


# --- Callback times ------------------------------------------------------------------

CALLBACK_PRESETS = {
    "later": "Later today",
    "tomorrow": "Tomorrow",
    "next_week": "Next week",
    "custom": "Pick a time",
}


def _into_hours(local: dt.datetime) -> dt.datetime:
    """Move a local time into calling hours: before opening -> opening + 30 min; at or after
    closing -> the next day's opening + 30 min."""
    start, end = settings.WARMLINE_CALL_HOURS_START, settings.WARMLINE_CALL_HOURS_END
    opening = local.replace(hour=start, minute=30, second=0, microsecond=0)
    if local.hour < start:
        return opening
    if local.hour >= end or (local.hour == end - 1 and local.minute > 30):
        return opening + dt.timedelta(days=1)
    return local


def callback_preset_at(
    *, preset: str, contact: Contact, rep: User, now: dt.datetime
) -> dt.datetime:
    """The time a preset means, in the contact's calling hours (their time zone, else the
    rep's): "later" = in 3 hours, "tomorrow" / "next_week" = same time 1 / 7 days on.
    Rounded up to the quarter hour."""
    zone = zone_get(contact.time_zone) or zone_get(rep.time_zone) or dt.UTC
    local = now.astimezone(zone)
    if preset == "later":
        target = local + dt.timedelta(hours=3)
    elif preset == "tomorrow":
        target = local + dt.timedelta(days=1)
    elif preset == "next_week":
        target = local + dt.timedelta(days=7)
    else:
        raise ValidationError({"callback": f"Unknown callback preset “{preset}”."})
    # Day arithmetic on aware datetimes keeps the wall clock; normalise across DST changes.
    target = target.replace(second=0, microsecond=0)
    extra = (15 - target.minute % 15) % 15
    target = (target + dt.timedelta(minutes=extra)).astimezone(zone)
    return _into_hours(target).astimezone(dt.UTC)


def callback_custom_at(*, value: dt.datetime, contact: Contact, rep: User) -> dt.datetime:
    """A time the rep typed: a naive one is read in the contact's time zone (the form says
    so), else the rep's. It must fall in the contact's calling hours: 03:00 their time is a
    slip (am for pm, or the rep's own clock), and the queue would only hold it back."""
    if not timezone.is_aware(value):
        zone = zone_get(contact.time_zone) or zone_get(rep.time_zone) or dt.UTC
        value = value.replace(tzinfo=zone)
    hours = calling_hours_status(time_zone=contact.time_zone, now=value)
    if not hours.ok and hours.local is not None:
        start, end = settings.WARMLINE_CALL_HOURS_START, settings.WARMLINE_CALL_HOURS_END
        raise ValidationError(
            {
                "callback_at": f"{hours.local:%H:%M} is outside {contact.first_name}'s calling "
                f"hours ({start}:00–{end}:00 their time, {zone_label(contact.time_zone)}); "
                "pick a time in between."
            }
        )
    return value.astimezone(dt.UTC)


def _callback_validate(*, due_at: dt.datetime, now: dt.datetime, contact: Contact) -> None:
    if due_at < now - dt.timedelta(minutes=1):
        raise ValidationError({"callback_at": "Pick a time in the future for the callback."})
    if due_at > now + CALLBACK_MAX_AHEAD:
        raise ValidationError({"callback_at": "Callbacks can be at most a year ahead."})
    if contact.do_not_call:
        raise ValidationError(
            {"callback": f"{contact.full_name} asked not to be called; no callback possible."}
        )


@transaction.atomic
def callback_schedule(
    *,
    rep: User,
    contact: Contact,
    due_at: dt.datetime,
    note: str = "",
    log: CallLog | None = None,
    now: dt.datetime | None = None,
) -> Callback:
    now = now or timezone.now()
    _callback_validate(due_at=due_at, now=now, contact=contact)
    callback = Callback(
        rep=rep,
        contact=contact,
        due_at=due_at,
        note=note.strip()[:500],
        created_by_log=log,
        created_at=now,
    )
    callback.full_clean(exclude=["rep", "contact", "created_by_log", "closed_by_log"])
    callback.save()
    queue_snapshot_due(rep_id=rep.pk, at=due_at - CALLBACK_LEAD)
    return callback


@transaction.atomic
def callback_cancel(*, callback: Callback, now: dt.datetime | None = None) -> Callback:
    if callback.status == CallbackStatus.OPEN:
        callback.status = CallbackStatus.CANCELLED
        callback.closed_at = now or timezone.now()
        callback.save(update_fields=["status", "closed_at"])
        queue_snapshot_invalidate(rep_ids=[callback.rep_id])
    return callback


# --- Logging an outcome and undoing it -----------------------------------------------


@transaction.atomic
def call_outcome_log(
    *,
    rep: User,
    contact: Contact,
    outcome: str,
    note: str = "",
    reason: str = "",
    callback_at: dt.datetime | None = None,
    shown_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> CallLog:
    """Record how a call went: a timeline entry (every outcome is one), the callbacks it
    settles or schedules, and "do not call again". Returns the log that undo reverses.

    `shown_at` is when the card was put in front of the rep: if an outcome for this contact
    was already logged after that (a double key press, a resent form), that log is
    returned and nothing is written twice. Strictly after: the card that comes back right
    after a log (the same contact, a callback due soon) carries that log's own time."""
    now = now or timezone.now()
    if outcome not in CALL_OUTCOMES:
        raise ValidationError({"outcome": "Pick how the call went."})
    # Lock the row and read what this call changes or depends on as it is now (the caller's
    # instance may be a moment old): serialises two outcomes logged at once for a contact.
    # The same query finds an outcome already logged for this card (a double press).
    already: Subquery | Value = Value(None, output_field=BigIntegerField())
    if shown_at is not None:
        already = Subquery(
            CallLog.objects.filter(
                rep=rep, contact=OuterRef("pk"), created_at__gt=shown_at, undone_at__isnull=True
            )
            .order_by("-created_at")
            .values("pk")[:1]
        )
    (
        contact.last_touch_at,
        contact.do_not_call,
        contact.phone,
        contact.account_id,
        already_id,
        has_callbacks,
    ) = (
        Contact.objects.select_for_update()
        .filter(pk=contact.pk)
        .annotate(
            already=already,
            has_callbacks=Exists(
                Callback.objects.filter(contact=OuterRef("pk"), status=CallbackStatus.OPEN)
            ),
        )
        .values_list(
            "last_touch_at", "do_not_call", "phone", "account_id", "already", "has_callbacks"
        )
        .get()
    )
    if already_id is not None:
        return CallLog.objects.get(pk=already_id)
    if callback_at is not None:
        if outcome == Outcome.DO_NOT_CALL:
            raise ValidationError(
                {"callback": "They asked not to be called again: no callback with that outcome."}
            )
        _callback_validate(due_at=callback_at, now=now, contact=contact)
    previous_touch = contact.last_touch_at
    previous_dnc = contact.do_not_call
    entry = interaction_create(
        contact=contact,
        kind=Kind.VOICEMAIL if outcome == Outcome.VOICEMAIL else Kind.CALL,
        author=rep,
        body=note,
        outcome=outcome,
        direction=Direction.OUTBOUND,
        occurred_at=now,
        data={"phone": contact.phone, "reason": reason[:200], "via": "call_mode"},
    )
    log = CallLog.objects.create(
        rep=rep,
        contact=contact,
        interaction=entry,
        outcome=outcome,
        reason=reason[:200],
        created_at=now,
        previous_do_not_call=previous_dnc,
        previous_last_touch_at=previous_touch,
    )
    open_callbacks = Callback.objects.filter(contact=contact, status=CallbackStatus.OPEN)
    if outcome == Outcome.DO_NOT_CALL:
        Contact.objects.filter(pk=contact.pk).update(do_not_call=True)
        queue_snapshot_invalidate(rep_ids=[rep.pk])  # held, not ready, from now on
        settled = open_callbacks  # nobody may call them back any more
    else:
        settled = open_callbacks.filter(due_at__lte=now + CALLBACK_CLOSE_WINDOW)
    # (Most calls have none to settle: no write then.) The snapshot keeps a settled
    # callback's reason until its next rebuild, but this attempt is newer than anything the
    # snapshot knew, so the contact waits under "tried recently" (`call_queue_sort`).
    if has_callbacks:
        settled.update(status=CallbackStatus.DONE, closed_at=now, closed_by_log=log)
    if callback_at is not None:
        callback_schedule(
            rep=rep, contact=contact, due_at=callback_at, note=note[:500], log=log, now=now
        )
    return log


def _last_personal_touch(contact_id: int) -> dt.datetime | None:
    """The newest personal touch still standing on the timeline (undone calls excluded)."""
    return (
        Interaction.objects.filter(contact_id=contact_id, is_personal=True)
        .filter(call_log__undone_at__isnull=True)
        .aggregate(last=Max("occurred_at"))["last"]
    )


@transaction.atomic
def call_outcome_undo(*, log: CallLog, rep: User, now: dt.datetime | None = None) -> CallLog:
    """Take back an outcome logged a moment ago (WARMLINE_CALL_UNDO_SECONDS).

    The timeline is append-only, so the entry stays and a correction entry marks it undone;
    the side effects are reversed: the callback it scheduled is cancelled, the callbacks it
    settled are open again, "do not call" is restored, and the contact's last personal touch
    goes back to what the timeline says without this call. Running it twice is harmless."""
    now = now or timezone.now()
    if log.rep_id != rep.pk:
        raise ValidationError("You can only undo your own calls.")
    if log.undone_at is not None:
        return log
    if not log.can_undo(now):
        raise ValidationError(
            "Too late to undo: that was more than "
            f"{settings.WARMLINE_CALL_UNDO_SECONDS} seconds ago. "
            "Add a correction on the contact's timeline instead."
        )
    # Claim the undo with a conditional update so a double click cannot undo twice.
    if not CallLog.objects.filter(pk=log.pk, undone_at__isnull=True).update(undone_at=now):
        log.refresh_from_db()
        return log
    original = log.interaction
    label = Outcome(log.outcome).label.lower()
    correction = interaction_create(
        contact=log.contact,
        kind=Kind.CORRECTION,
        author=rep,
        body=f"Undone in call mode: the “{label}” call was logged by mistake.",
        direction=Direction.INTERNAL,
        corrects=original,
        occurred_at=now,
        data={"undo": True, "call_log": log.pk},
    )
    CallLog.objects.filter(pk=log.pk).update(correction=correction)
    Callback.objects.filter(created_by_log=log, status=CallbackStatus.OPEN).update(
        status=CallbackStatus.CANCELLED, closed_at=now
    )
    Callback.objects.filter(closed_by_log=log, status=CallbackStatus.DONE).update(
        status=CallbackStatus.OPEN, closed_at=None, closed_by_log=None
    )
    if log.outcome == Outcome.DO_NOT_CALL and not log.previous_do_not_call:
        Contact.objects.filter(pk=log.contact_id).update(do_not_call=False)
    if original.is_personal:
        # interaction_create only ever moves last_touch_at forward. The undone call may
        # have been the last touch: recompute from the timeline, without it. Only when the
        # marker still points at this call (a newer touch since then stays).
        Contact.objects.filter(pk=log.contact_id, last_touch_at=original.occurred_at).update(
            last_touch_at=_last_personal_touch(log.contact_id)
        )
    # The callbacks it settled are open again: the rep's queue must show them.
    queue_snapshot_invalidate(rep_ids=[rep.pk])
    log.refresh_from_db()
    return log


# --- Cadence -------------------------------------------------------------------------


@transaction.atomic
def contact_cadence_set(*, contact: Contact, days: int | None) -> Contact:
    """Set how often the rep wants a personal touch with this contact (None = default)."""
    if days is not None and not 7 <= days <= 1095:
        raise ValidationError({"days": "Choose a cadence between 7 and 1095 days."})
    Contact.objects.filter(pk=contact.pk).update(reconnect_days=days)
    queue_snapshot_invalidate(contact_ids=[contact.pk])
    contact.reconnect_days = days
    return contact


# --- Templates -----------------------------------------------------------------------


@transaction.atomic
def message_template_save(*, owner: User, kind: str, subject: str, body: str) -> MessageTemplate:
    if kind not in TemplateKind.values:
        raise ValidationError({"kind": "Unknown kind of template."})
    errors: dict[str, list[str]] = {}
    if not body.strip():
        errors["body"] = ["Write the text of the template."]
    if kind != TemplateKind.VOICEMAIL and not subject.strip():
        errors["subject"] = ["An e-mail needs a subject."]
    for name, text in (("subject", subject), ("body", body)):
        try:
            merge_validate(text=text, field=name)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    row, _ = MessageTemplate.objects.update_or_create(
        owner=owner, kind=kind, defaults={"subject": subject.strip(), "body": body.strip()}
    )
    return row


@transaction.atomic
def message_template_reset(*, owner: User, kind: str) -> None:
    MessageTemplate.objects.filter(owner=owner, kind=kind).delete()


# --- Notes that go out ---------------------------------------------------------------


def note_consent_problem(*, contact: Contact) -> str:
    """Why we may not e-mail this contact, or "" when we may."""
    if not contact.email:
        return f"{contact.full_name} has no e-mail address on record."
    if not contact.email_opt_in:
        return (
            f"{contact.full_name} has not agreed to receive e-mail. "
            "Call instead, or record their consent on the contact first."
        )
    return ""


def _note_sender(rep: User) -> tuple[str, str]:
    """(From, Reply-To) of a rep's note: their name, and their address when they have one
    (else the installation's address under their name); replies go to them."""
    _, default_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    name = rep.get_full_name() or rep.username
    return formataddr((name, rep.email or default_address)), rep.email or ""


@transaction.atomic
def note_send(
    *,
    rep: User,
    contact: Contact,
    kind: str,
    subject: str,
    body: str,
    occasion: ImportantDate | None = None,
) -> OutgoingNote:
    """Queue a check-in or congratulation e-mail from the rep in the alerts app's e-mail
    outbox, in this transaction: it is sent after commit (retried, never twice) and, once
    sent, recorded on the timeline (`note_after_sent`). Needs the contact's e-mail consent,
    checked here and again just before it goes out."""
    if kind not in (TemplateKind.CHECKIN, TemplateKind.CONGRATS):
        raise ValidationError({"kind": "Pick a check-in or a congratulation note."})
    errors: dict[str, list[str]] = {}
    if not subject.strip():
        errors["subject"] = ["Give the e-mail a subject."]
    if not body.strip():
        errors["body"] = ["Write the note."]
    elif len(body) > NOTE_BODY_MAX:
        errors["body"] = [NOTE_BODY_TOO_LONG]
    for name, text in (("subject", subject), ("body", body)):
        if "{{" in text:
            errors.setdefault(name, []).append(
                "There is still a merge field in the text; the preview shows what goes out."
            )
    problem = note_consent_problem(contact=contact)
    if problem:
        errors.setdefault("__all__", []).append(problem)
    if errors:
        raise ValidationError(errors)
    note = OutgoingNote(
        rep=rep,
        contact=contact,
        kind=kind,
        occasion=occasion,
        to_address=contact.email,
        subject=subject.strip()[:200],
        body=body.strip(),
    )
    note.full_clean(exclude=["rep", "contact", "occasion", "interaction", "outbox"])
    sender, reply_to = _note_sender(rep)
    style = "font-family:sans-serif;font-size:15px;line-height:1.5"
    note.outbox = email_enqueue(
        to_address=formataddr((contact.full_name, note.to_address)),
        subject=note.subject,
        body_text=note.body,
        body_html=f'<div style="{style}">{linebreaks(escape(note.body))}</div>',
        idempotency_key=note.outbox_key,
        from_email=sender,
        reply_to=reply_to,
    )
    note.save()
    if occasion is not None:
        queue_snapshot_invalidate(rep_ids=[rep.pk])  # the date is congratulated: done
    return note


def _note_for(message: OutboxMessage) -> OutgoingNote | None:
    return (
        OutgoingNote.objects.select_related("rep", "contact")
        .filter(uuid=message.idempotency_key.removeprefix(NOTE_OUTBOX_PREFIX))
        .first()
    )


def note_before_send(message: OutboxMessage) -> None:
    """Outbox hook, just before a note goes out: consent may have been withdrawn (or the
    address changed) since it was queued. Stops it for good, nothing is sent."""
    note = _note_for(message)
    if note is None:
        raise DeliveryError("Not sent: the note was deleted.", permanent=True)
    contact = Contact.objects.get(pk=note.contact_id)
    if not contact.email_opt_in:
        raise DeliveryError("Not sent: the contact withdrew e-mail consent.", permanent=True)


def note_after_sent(message: OutboxMessage) -> None:
    """Outbox hook, in the transaction that marks the row sent: the note goes on the contact's
    timeline (a personal touch) exactly once."""
    note = _note_for(message)
    if note is None or note.interaction_id is not None:
        return
    now = message.sent_at or timezone.now()
    entry = interaction_create(
        contact=note.contact,
        kind=Kind.CHECKIN_NOTE,
        author=note.rep,
        subject=note.subject,
        body=note.body,
        direction=Direction.OUTBOUND,
        occurred_at=now,
        source=Source.EMAIL,
        external_id=f"calls-note:{note.uuid}",
        # (the timeline names the entry with `label`: a congratulation is not a check-in)
        data={"note_kind": note.kind, "to": note.to_address, "label": note.get_kind_display()},
    )
    OutgoingNote.objects.filter(pk=note.pk).update(sent_at=now, interaction=entry)


@transaction.atomic
def note_retry(*, note: OutgoingNote) -> OutgoingNote:
    """Send a note that failed for good once more (the same outbox row and key)."""
    if note.status != NoteStatus.FAILED or note.outbox is None:
        raise ValidationError("Only a note that failed can be sent again.")
    problem = note_consent_problem(contact=note.contact)
    if problem:
        raise ValidationError(problem)
    outbox_message_retry(message=note.outbox)
    note.refresh_from_db()
    return note
