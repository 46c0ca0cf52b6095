"""Writes for alerts: raise, acknowledge, publish live events, and deliver the outbox.

Feature apps call `alert_raise` and `live_event_publish` inside their own transaction, so the
alert, its outbox rows and its live event commit (or roll back) with the cause. Delivery of the
outbox runs in background tasks (`warmline.alerts.tasks.outbox_deliver`) and in the periodic
`outbox_dispatch_due`; a row is claimed with a conditional update (pending -> sending), so of
any number of workers exactly one sends it, and a claim left behind by a worker that died is
taken over after ALERT_CLAIM_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import smtplib
import socket
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from warmline.alerts import realtime
from warmline.alerts.hooks import alert_ack_hooks_run
from warmline.alerts.models import (
    Alert,
    Audience,
    Channel,
    LiveEvent,
    OutboxMessage,
    Status,
)
from warmline.alerts.outbox_hooks import outbox_after_sent, outbox_before_send
from warmline.alerts.selectors import alert_count_unacknowledged_for
from warmline.alerts.sms import SmsError, sms_provider_get
from warmline.core.hours import zone_get
from warmline.people.models import Contact
from warmline.users.models import User

logger = logging.getLogger("warmline.alerts")

SMS_MAX_CHARS = 320
MAX_BACKOFF_SECONDS = 3600


@dataclass(frozen=True)
class Step:
    """One rung of an escalation ladder."""

    after: dt.timedelta  # delay from the alert's creation
    channel: str  # "inapp" | "email" | "sms"
    to: str = Audience.RECIPIENT  # "recipient" | "manager" (the recipient's team manager)


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def alert_ladder_default() -> list[Step]:
    """The ladder from settings (ALERT_LADDER, built from the ALERT_*_AFTER_SECONDS vars)."""
    return [
        Step(
            after=dt.timedelta(seconds=rung["after_seconds"]),
            channel=rung["channel"],
            to=rung.get("to", Audience.RECIPIENT),
        )
        for rung in cast(list[dict[str, Any]], settings.ALERT_LADDER)
    ]


def _check_steps(steps: Sequence[Step]) -> None:
    for step in steps:
        if step.channel not in Channel.values:
            raise ValueError(f"unknown alert channel {step.channel!r}")
        if step.to not in Audience.values:
            raise ValueError(f"unknown alert audience {step.to!r}")
        if step.after < dt.timedelta(0):
            raise ValueError("a ladder step cannot come before the alert")


def _json_safe(data: dict[str, Any] | None) -> dict[str, Any]:
    return json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))


# -- live events ---------------------------------------------------------------------------
def live_event_publish(*, user_ids: Iterable[int], event: str, data: dict[str, Any]) -> None:
    """Store one LiveEvent per user (its id is the SSE event id, for Last-Event-ID replay) and
    send it, on commit, to every open tab of those users."""
    live_event_create(user_ids=user_ids, event=event, data=data)


def live_event_create(
    *, user_ids: Iterable[int], event: str, data: dict[str, Any]
) -> list[LiveEvent]:
    ids = sorted({int(user_id) for user_id in user_ids})
    if not ids:
        return []
    payload = _json_safe(data)
    now = timezone.now()
    rows = LiveEvent.objects.bulk_create(
        [
            LiveEvent(user_id=user_id, event=event[:60], data=payload, created_at=now)
            for user_id in ids
        ]
    )
    messages = [realtime.live_message_from_row(row) for row in rows]
    transaction.on_commit(partial(realtime.live_publish, messages), robust=True)
    return rows


def live_event_prune(*, now: dt.datetime | None = None) -> int:
    """Forget events older than ALERT_LIVE_EVENT_KEEP_DAYS (a tab away that long reloads)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.ALERT_LIVE_EVENT_KEEP_DAYS)
    deleted, _ = LiveEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# -- raising and acknowledging -------------------------------------------------------------
def _manager_of(user: User) -> User | None:
    team = user.team
    manager = team.manager if team is not None else None
    if manager is None or manager.pk == user.pk or not manager.is_active:
        return None
    return manager


def _address_for(*, channel: str, user: User | None) -> str:
    if user is None:
        return ""
    if channel == Channel.EMAIL:
        return user.email
    if channel == Channel.SMS:
        return user.mobile_phone
    return str(user.pk)


def _local_time(*, when: dt.datetime, user: User) -> dt.datetime:
    zone = zone_get(user.time_zone or settings.TIME_ZONE) or dt.UTC
    return when.astimezone(zone)


def _absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return f"{settings.SITE_URL}{url}"


def _message_content(*, alert: Alert, step: Step, to_user: User | None) -> tuple[str, str, str]:
    """(subject, text, html) for an e-mail or SMS rung, rendered when the alert is raised."""
    recipient = alert.recipient
    context = {
        "alert": alert,
        "recipient": recipient,
        "to_user": to_user,
        "for_manager": step.to == Audience.MANAGER,
        "minutes": int(step.after.total_seconds() // 60),
        "raised_at": _local_time(when=alert.created_at, user=to_user or recipient),
        "alert_link": _absolute(alert.get_absolute_url()),
        "open_link": _absolute(alert.url),
        "company": settings.WARMLINE_COMPANY_NAME,
    }
    if step.channel == Channel.SMS:
        text = render_to_string("alerts/sms/alert.txt", context).strip()
        return "", Truncator(" ".join(text.split())).chars(SMS_MAX_CHARS), ""
    subject = " ".join(render_to_string("alerts/email/alert_subject.txt", context).split())
    text = render_to_string("alerts/email/alert.txt", context)
    html = render_to_string("alerts/email/alert.html", context)
    return subject[:250], text, html


def alert_event_data(
    *, alert: Alert, unread: int | None, escalated: bool = False
) -> dict[str, Any]:
    """What a tab receives with an "alert" event (see static/alerts/live.js)."""
    return {
        "uuid": str(alert.uuid),
        "kind": alert.kind,
        "title": alert.title,
        "body": Truncator(alert.body).chars(280),
        "url": alert.url,
        "detail_url": alert.get_absolute_url(),
        "ack_url": reverse("alerts:ack", args=[alert.uuid]),
        "created_at": alert.created_at.isoformat(),
        "contact_id": alert.contact_id,
        "unread": unread,
        "escalated": escalated,
        "recipient": str(alert.recipient),
        "data": alert.data,
    }


@transaction.atomic
def alert_raise(
    *,
    recipient: User,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    cause: str,
    ladder: Sequence[Step] | None = None,
    data: dict[str, Any] | None = None,
    contact: Contact | None = None,
) -> Alert:
    """Raise an alert for `recipient` with an escalation ladder (default: settings).

    (recipient, cause) is unique: raising the same cause again returns the existing alert
    and writes nothing. Writes the alert and one outbox row per step; an in-app step due at
    once is published right here (its live event commits with the cause), and other rows
    due at once are queued for delivery on commit. Later rows are sent by the periodic
    dispatcher when they fall due, unless the alert is acknowledged first.
    """
    existing = Alert.objects.filter(recipient=recipient, cause=cause).first()
    if existing is not None:
        return existing
    steps = list(alert_ladder_default() if ladder is None else ladder)
    _check_steps(steps)
    now = timezone.now()
    alert = Alert(
        recipient=recipient,
        kind=kind,
        title=Truncator(" ".join(title.split())).chars(200),
        body=body,
        url=url,
        cause=cause,
        data=_json_safe(data),
        contact=contact,
        created_at=now,
    )
    alert.full_clean(exclude=["recipient", "contact", "acknowledged_by"], validate_unique=False)
    try:
        with transaction.atomic():  # a concurrent raise of the same cause wins the race
            alert.save()
    except IntegrityError:
        return Alert.objects.get(recipient=recipient, cause=cause)

    manager = _manager_of(recipient) if any(s.to == Audience.MANAGER for s in steps) else None
    unread: int | None = None
    rows: list[OutboxMessage] = []
    for index, step in enumerate(steps):
        to_user = manager if step.to == Audience.MANAGER else recipient
        due_at = now + step.after
        row = OutboxMessage(
            alert=alert,
            step=index,
            channel=step.channel,
            audience=step.to,
            to_user=to_user,
            to_address=_address_for(channel=step.channel, user=to_user),
            idempotency_key=f"{alert.uuid}:{index}",
            due_at=due_at,
            next_attempt_at=due_at,
            created_at=now,
        )
        if step.channel == Channel.INAPP:
            row.subject = alert.title
            if due_at <= now and to_user is not None:
                # In-app at once: the live event is the delivery, committed with the cause.
                if unread is None and step.to == Audience.RECIPIENT:
                    unread = alert_count_unacknowledged_for(user_id=recipient.pk)
                events = live_event_create(
                    user_ids=[to_user.pk],
                    event="alert",
                    data=alert_event_data(
                        alert=alert,
                        unread=unread if step.to == Audience.RECIPIENT else None,
                        escalated=step.to == Audience.MANAGER,
                    ),
                )
                row.status = Status.SENT
                row.attempts = 1
                row.sent_at = now
                row.provider_id = f"live:{events[0].pk}"
        else:
            row.subject, row.body_text, row.body_html = _message_content(
                alert=alert, step=step, to_user=to_user
            )
            if due_at <= now:
                row.dispatched_at = now
        rows.append(row)
    OutboxMessage.objects.bulk_create(rows)
    due = [row.pk for row in rows if row.status == Status.PENDING and row.dispatched_at]
    if due:
        transaction.on_commit(partial(_enqueue_delivery, due), robust=True)
    return alert


def _acknowledge(*, alert: Alert, user: User | None) -> bool:
    now = timezone.now()
    changed = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=user
    )
    if not changed:
        return False
    OutboxMessage.objects.filter(alert_id=alert.pk, status=Status.PENDING).update(
        status=Status.CANCELLED
    )
    others = set(
        OutboxMessage.objects.filter(
            alert_id=alert.pk, channel=Channel.INAPP, status=Status.SENT, to_user__isnull=False
        )
        .exclude(to_user_id=alert.recipient_id)
        .values_list("to_user_id", flat=True)
    )
    data = {"uuid": str(alert.uuid), "by": str(user) if user is not None else ""}
    unread = alert_count_unacknowledged_for(user_id=alert.recipient_id)
    live_event_create(
        user_ids=[alert.recipient_id], event="alert.ack", data={**data, "unread": unread}
    )
    if others:
        live_event_create(user_ids=others, event="alert.ack", data={**data, "unread": None})
    return True


@transaction.atomic
def alert_acknowledge(*, alert: Alert, user: User | None) -> Alert:
    """Stamp acknowledged_at/by and cancel every pending rung (stops the ladder). Idempotent:
    a second acknowledgement changes nothing and keeps the first one's time and person.

    The first acknowledgement also runs the hook its kind registered (`hooks.py`), so the
    cause follows: the question becomes acknowledged, the case is marked as seen."""
    if _acknowledge(alert=alert, user=user):
        alert_ack_hooks_run(alert=alert, user=user)
    alert.refresh_from_db()
    return alert


@transaction.atomic
def alert_acknowledge_cause(*, cause: str) -> int:
    """Acknowledge every open alert of a cause (e.g. the question was answered elsewhere).
    Returns how many alerts this acknowledged."""
    alerts = list(Alert.objects.filter(cause=cause, acknowledged_at__isnull=True))
    return sum(1 for alert in alerts if _acknowledge(alert=alert, user=None))


# -- delivery ------------------------------------------------------------------------------
def worker_id_current() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[-64:]


def _enqueue_delivery(message_ids: list[int]) -> None:
    from warmline.alerts.tasks import outbox_deliver

    for message_id in message_ids:
        try:
            outbox_deliver.enqueue(message_id)
        except Exception:
            # Still pending: the periodic dispatcher queues it again after the lease.
            logger.exception("alerts: could not queue delivery of outbox message %s", message_id)


def _backoff_seconds(attempts: int) -> int:
    return int(
        min(settings.ALERT_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)
    )


def outbox_dispatch_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Periodic: queue delivery of every due pending row not queued recently, and take over
    claims left behind by a worker that died between claim and mark. Safe with several
    workers running it at once (each row is taken with a conditional update). Returns the
    number of rows queued."""
    now = now or timezone.now()
    lease_cutoff = now - dt.timedelta(seconds=settings.ALERT_CLAIM_TIMEOUT_SECONDS)
    stale = OutboxMessage.objects.filter(status=Status.SENDING, claimed_at__lt=lease_cutoff)
    for pk, claimed_at, attempts, claimed_by in stale.values_list(
        "pk", "claimed_at", "attempts", "claimed_by"
    )[:limit]:
        retry = attempts < settings.ALERT_MAX_ATTEMPTS
        note = f"worker {claimed_by} stopped while sending (attempt {attempts})"
        taken = OutboxMessage.objects.filter(
            pk=pk, status=Status.SENDING, claimed_at=claimed_at
        ).update(
            status=Status.PENDING if retry else Status.FAILED,
            next_attempt_at=now,
            dispatched_at=None,
            claimed_by="",
            last_error=note if retry else f"gave up: {note}",
        )
        if taken:
            logger.warning("alerts: outbox message %s: %s", pk, note)

    due = OutboxMessage.objects.filter(status=Status.PENDING, next_attempt_at__lte=now).filter(
        Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=lease_cutoff)
    )
    queued: list[int] = []
    for pk, dispatched_at in due.order_by("next_attempt_at", "id").values_list(
        "pk", "dispatched_at"
    )[:limit]:
        row = OutboxMessage.objects.filter(pk=pk, status=Status.PENDING)
        row = (
            row.filter(dispatched_at=dispatched_at)
            if dispatched_at
            else row.filter(dispatched_at__isnull=True)
        )
        if row.update(dispatched_at=now) == 1:
            queued.append(pk)
    if queued:
        _enqueue_delivery(queued)
    return len(queued)


def outbox_message_claim(*, message_id: int, worker_id: str) -> bool:
    """pending & due -> sending, for exactly one caller."""
    now = timezone.now()
    return (
        OutboxMessage.objects.filter(
            pk=message_id, status=Status.PENDING, next_attempt_at__lte=now
        ).update(
            status=Status.SENDING,
            claimed_at=now,
            claimed_by=worker_id[:64],
            attempts=F("attempts") + 1,
        )
        == 1
    )


def outbox_message_deliver(*, message_id: int, worker_id: str | None = None) -> str:
    """Claim, send and mark one outbox row. Returns "sent", "retry", "failed", "cancelled" or
    "skipped" (someone else has it, it is not due, or it is already done)."""
    worker_id = worker_id or worker_id_current()
    if not outbox_message_claim(message_id=message_id, worker_id=worker_id):
        return "skipped"
    message = OutboxMessage.objects.select_related("alert__recipient", "to_user").get(pk=message_id)
    if message.alert is not None and message.alert.acknowledged_at is not None:
        _mark(message, worker_id, status=Status.CANCELLED)
        return "cancelled"
    try:
        if message.channel == Channel.INAPP:
            return _deliver_inapp(message, worker_id)
        outbox_before_send(message)
        provider_id = _send(message)
    except Exception as exc:
        return _failed(message, worker_id, exc)
    with transaction.atomic():
        if _mark(message, worker_id, status=Status.SENT, provider_id=provider_id):
            outbox_after_sent(message)
        else:
            logger.warning("alerts: outbox message %s was taken over while sending", message_id)
    return "sent"


def _mark(message: OutboxMessage, worker_id: str, *, status: str, **fields: Any) -> bool:
    if status == Status.SENT:
        fields.setdefault("sent_at", timezone.now())
        fields.setdefault("last_error", "")
    return (
        OutboxMessage.objects.filter(
            pk=message.pk, status=Status.SENDING, claimed_by=worker_id[:64]
        ).update(status=status, **fields)
        == 1
    )


def _failed(message: OutboxMessage, worker_id: str, exc: Exception) -> str:
    permanent = bool(getattr(exc, "permanent", False))
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if permanent or message.attempts >= settings.ALERT_MAX_ATTEMPTS:
        _mark(message, worker_id, status=Status.FAILED, last_error=error)
        logger.error("alerts: outbox message %s failed for good: %s", message.pk, error)
        return "failed"
    delay = _backoff_seconds(message.attempts)
    _mark(
        message,
        worker_id,
        status=Status.PENDING,
        next_attempt_at=timezone.now() + dt.timedelta(seconds=delay),
        dispatched_at=None,
        last_error=error,
    )
    logger.warning(
        "alerts: outbox message %s attempt %s failed (%s); retry in %ss",
        message.pk,
        message.attempts,
        error,
        delay,
    )
    return "retry"


def _recipient_address(message: OutboxMessage) -> str:
    address = message.to_address or _address_for(channel=message.channel, user=message.to_user)
    if address:
        return address
    if message.to_user is None:
        raise DeliveryError(
            "nobody to escalate to: the recipient's team has no manager", permanent=True
        )
    what = "e-mail address" if message.channel == Channel.EMAIL else "mobile phone number"
    raise DeliveryError(f"{message.to_user} has no {what} on file", permanent=True)


def message_id_header(message: OutboxMessage) -> str:
    """A deterministic Message-ID, so a re-send after a crash is the same message."""
    host = urlsplit(settings.SITE_URL).hostname or "warmline.invalid"
    return f"<alert.{message.idempotency_key.replace(':', '.')}@{host}>"


def _send(message: OutboxMessage) -> str:
    address = _recipient_address(message)
    if message.channel == Channel.EMAIL:
        return _send_email(message, address)
    if message.channel == Channel.SMS:
        try:
            return sms_provider_get().send(
                to=address, body=message.body_text, idempotency_key=message.idempotency_key
            )
        except SmsError as exc:
            raise DeliveryError(str(exc), permanent=exc.permanent) from exc
    raise DeliveryError(f"unknown channel {message.channel!r}", permanent=True)


def _send_email(message: OutboxMessage, address: str) -> str:
    message_id = message_id_header(message)
    headers = {"Message-ID": message_id, "X-Warmline-Idempotency-Key": message.idempotency_key}
    if message.alert_id is not None:
        headers["Auto-Submitted"] = "auto-generated"  # a person's own mail is not
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
        to=[address],
        reply_to=[message.reply_to] if message.reply_to else None,
        headers=headers,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    connection = get_connection(timeout=settings.ALERT_SEND_TIMEOUT_SECONDS)
    try:
        email.connection = connection
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise DeliveryError(
            f"mail server refused {address}: {exc.recipients}",
            permanent=bool(codes) and all(500 <= code < 600 for code in codes),
        ) from exc
    return message_id


def _deliver_inapp(message: OutboxMessage, worker_id: str) -> str:
    """A later in-app rung: the live event and the mark commit together (exactly once)."""
    if message.to_user is None:
        raise DeliveryError(
            "nobody to escalate to: the recipient's team has no manager", permanent=True
        )
    alert = message.alert
    with transaction.atomic():
        if alert is None:
            data: dict[str, Any] = {"title": message.subject, "body": message.body_text}
        else:
            for_recipient = message.to_user_id == alert.recipient_id
            unread = (
                alert_count_unacknowledged_for(user_id=alert.recipient_id)
                if for_recipient
                else None
            )
            data = alert_event_data(alert=alert, unread=unread, escalated=not for_recipient)
        events = live_event_create(user_ids=[message.to_user.pk], event="alert", data=data)
        if not _mark(message, worker_id, status=Status.SENT, provider_id=f"live:{events[0].pk}"):
            raise DeliveryError("claim taken over while sending")  # rolls the event back
    return "sent"


def email_enqueue(
    *,
    to_address: str,
    subject: str,
    body_text: str,
    idempotency_key: str,
    body_html: str = "",
    from_email: str = "",
    reply_to: str = "",
    to_user: User | None = None,
) -> OutboxMessage:
    """Queue one e-mail that is not an alert (a rep's note) in the caller's transaction; it is
    sent after commit, retried, and sent at most once like every outbox row. The key must be
    unique; hooks registered for its prefix (`outbox_hooks.py`) see it before and after."""
    now = timezone.now()
    row = OutboxMessage(
        channel=Channel.EMAIL,
        audience=Audience.RECIPIENT,
        to_user=to_user,
        to_address=to_address,
        from_email=from_email,
        reply_to=reply_to,
        subject=subject[:250],
        body_text=body_text,
        body_html=body_html,
        idempotency_key=idempotency_key,
        due_at=now,
        next_attempt_at=now,
        dispatched_at=now,
        created_at=now,
    )
    row.save()
    transaction.on_commit(partial(_enqueue_delivery, [row.pk]), robust=True)
    return row


def outbox_message_retry(*, message: OutboxMessage) -> bool:
    """Admin action: send a failed row again from scratch (same idempotency key)."""
    now = timezone.now()
    changed = OutboxMessage.objects.filter(pk=message.pk, status=Status.FAILED).update(
        status=Status.PENDING, attempts=0, next_attempt_at=now, dispatched_at=now, last_error=""
    )
    if changed:
        transaction.on_commit(partial(_enqueue_delivery, [message.pk]), robust=True)
    return bool(changed)
