"""Calls (C5): what the power hour remembers beyond the timeline.

The timeline holds every call, voicemail and note (append-only). This app adds:

- `CallLog`: one row per outcome logged in call mode, holding what is needed to undo it
  within a few seconds (the timeline entry, the callback it created, the callbacks it
  closed, the do-not-call flag and last personal touch as they were before).
- `Callback`: a promise to call someone back at a time; the queue shows it when due.
- `MessageTemplate`: a rep's voicemail script and check-in / congratulation e-mails
  (with merge fields); when a rep has none, the built-in defaults in `merge.py` apply.
- `OutgoingNote`: a check-in or congratulation e-mail on its way out through the alerts
  app's e-mail outbox (sent exactly once); once sent it is recorded on the timeline.
- `QueueSnapshot`: each rep's ranked reasons as the providers last computed them, so a
  card in call mode costs a few queries instead of every provider's (see `queue.py`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from warmline.timeline.models import Outcome


class CallLog(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="call_logs"
    )
    contact = models.ForeignKey(
        "people.Contact", on_delete=models.CASCADE, related_name="call_logs"
    )
    interaction = models.OneToOneField(
        "timeline.Interaction", on_delete=models.PROTECT, related_name="call_log"
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.CharField(
        max_length=200, blank=True, help_text="The reason the queue gave for this call."
    )
    created_at = models.DateTimeField(default=timezone.now)
    # What the outcome changed, so that undo can put it back.
    previous_do_not_call = models.BooleanField(default=False)
    previous_last_touch_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    correction = models.OneToOneField(
        "timeline.Interaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="undone_call_log",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["rep", "-created_at"], name="calllog_rep_time")]

    def __str__(self) -> str:
        return f"{self.outcome} · contact {self.contact_id} · {self.created_at:%Y-%m-%d %H:%M}"

    def undo_deadline(self) -> dt.datetime:
        return self.created_at + dt.timedelta(seconds=settings.WARMLINE_CALL_UNDO_SECONDS)

    def can_undo(self, now: dt.datetime | None = None) -> bool:
        # A little grace beyond the seconds the rep sees, for the request's trip.
        grace = dt.timedelta(seconds=2)
        return self.undone_at is None and (now or timezone.now()) <= self.undo_deadline() + grace


class CallbackStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class Callback(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="callbacks"
    )
    contact = models.ForeignKey(
        "people.Contact", on_delete=models.CASCADE, related_name="callbacks"
    )
    due_at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(
        max_length=12, choices=CallbackStatus.choices, default=CallbackStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by_log = models.ForeignKey(
        CallLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="callbacks_created"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_log = models.ForeignKey(
        CallLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="callbacks_closed"
    )

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            # "Callbacks due for this rep": an ordered range scan over open rows only.
            models.Index(
                fields=["rep", "due_at"],
                condition=Q(status="open"),
                name="callback_rep_due_open",
            ),
            models.Index(fields=["contact", "status"], name="callback_contact_status"),
        ]

    def __str__(self) -> str:
        return f"Call back contact {self.contact_id} at {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status == CallbackStatus.OPEN


class TemplateKind(models.TextChoices):
    VOICEMAIL = "voicemail", "Voicemail script"
    CHECKIN = "checkin", "Check-in e-mail"
    CONGRATS = "congrats", "Congratulation e-mail"


class MessageTemplate(models.Model):
    """A rep's own wording for a voicemail script or a note. One per rep and kind."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_templates"
    )
    kind = models.CharField(max_length=16, choices=TemplateKind.choices)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["owner", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "kind"], name="messagetemplate_owner_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.owner}"


class NoteStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


# The alerts outbox's row statuses, as the rep reads them.
_OUTBOX_STATUS = {
    "pending": NoteStatus.QUEUED,
    "sending": NoteStatus.SENDING,
    "sent": NoteStatus.SENT,
    "failed": NoteStatus.FAILED,
    "cancelled": NoteStatus.FAILED,
}


# A note for an occasion counts for it this long: a birthday congratulated a week early is
# done, one from last year is not.
OCCASION_NOTED_DAYS = 21


class OutgoingNoteQuerySet(models.QuerySet["OutgoingNote"]):
    def occasions_noted(
        self, *, rep_id: int, occasion_ids: Iterable[int], now: dt.datetime
    ) -> set[int]:
        """Which of these important dates the rep has already written a note for."""
        ids = list(occasion_ids)
        if not ids:
            return set()
        return set(
            self.filter(
                rep_id=rep_id,
                occasion_id__in=ids,
                created_at__gte=now - dt.timedelta(days=OCCASION_NOTED_DAYS),
            ).values_list("occasion_id", flat=True)
        )


class OutgoingNote(models.Model):
    """A check-in or congratulation e-mail from a rep. It goes out through the alerts app's
    e-mail outbox (the `outbox` row, written in the same transaction): sent after commit,
    retried, never twice. When the outbox marks it sent, the note goes on the timeline."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outgoing_notes"
    )
    contact = models.ForeignKey(
        "people.Contact", on_delete=models.CASCADE, related_name="outgoing_notes"
    )
    kind = models.CharField(max_length=16, choices=TemplateKind.choices)
    occasion = models.ForeignKey(
        "people.ImportantDate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_address = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    outbox = models.OneToOneField(
        "alerts.OutboxMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outgoing_note",
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    interaction = models.OneToOneField(
        "timeline.Interaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outgoing_note",
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = OutgoingNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["rep", "-created_at"], name="outgoingnote_rep_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_address} ({self.status})"

    @property
    def outbox_key(self) -> str:
        """The outbox row's idempotency key (the prefix routes the outbox's hooks here)."""
        return f"{NOTE_OUTBOX_PREFIX}{self.uuid}"

    @property
    def status(self) -> str:
        if self.sent_at is not None:
            return NoteStatus.SENT
        if self.outbox is None:
            return NoteStatus.FAILED
        return _OUTBOX_STATUS.get(self.outbox.status, NoteStatus.QUEUED)

    def get_status_display(self) -> str:
        return NoteStatus(self.status).label

    @property
    def attempts(self) -> int:
        return self.outbox.attempts if self.outbox is not None else 0

    @property
    def last_error(self) -> str:
        if self.outbox is None:
            return "" if self.sent_at else "Not queued."
        error = self.outbox.last_error
        return error.split(": ", 1)[1] if error.startswith("DeliveryError: ") else error


NOTE_OUTBOX_PREFIX = "calls-note:"


class QueueSnapshot(models.Model):
    """A rep's call queue as ranked by the reason providers at `built_at`.

    Stored: the ranking and what made each contact callable then (phone, zone, do not
    call, numbers marked wrong). Calling hours and who was tried within the retry window
    are decided on every read, and every contact a read returns is checked against its
    live row (`selectors.call_queue_sort`).
    Writes that change a reason bump `version`; the snapshot is stale when `version` moved
    past `built_version`, at `valid_until` (a callback falling due) or when it gets old."""

    rep = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="call_queue_snapshot",
    )
    version = models.PositiveBigIntegerField(default=0)
    built_version = models.PositiveBigIntegerField(default=0)
    built_at = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    # Some provider stopped at its limit: there is more to call than the snapshot holds.
    truncated = models.BooleanField(default=False)
    # The rep last read it (kept to the minute): the periodic refresh keeps active reps'
    # snapshots fresh so their cards never wait for a rebuild.
    read_at = models.DateTimeField(null=True, blank=True)
    build_ms = models.FloatField(default=0.0)
    # New on every build: names this build's `ranked` so readers can keep it decoded.
    build_token = models.PositiveBigIntegerField(default=0, db_default=0)
    ranked = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["read_at"], name="queuesnapshot_read")]

    def __str__(self) -> str:
        return f"call queue of user {self.rep_id} built {self.built_at}"
