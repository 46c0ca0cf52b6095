"""Alerts, their outbox and the live events that reach a rep's open tabs.

An `Alert` is one thing a person must notice ("Dana asked a question"); it knows its cause
only as an opaque string. Each rung of its escalation ladder is an `OutboxMessage` written in
the same transaction, delivered by a background task and cancelled when the alert is
acknowledged. A `LiveEvent` is one server-sent event, kept a few days so that a tab that
reconnects receives what it missed.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Channel(models.TextChoices):
    INAPP = "inapp", "In-app"
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"


class Audience(models.TextChoices):
    RECIPIENT = "recipient", "Recipient"
    MANAGER = "manager", "Recipient's manager"


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Alert(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alerts"
    )
    kind = models.CharField(max_length=40, help_text='What sort of alert, e.g. "question".')
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="Where the alert leads.")
    cause = models.CharField(
        max_length=200, help_text='Stable key of what caused it, e.g. "question:42".'
    )
    data = models.JSONField(default=dict, blank=True)
    contact = models.ForeignKey(
        "people.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "cause"], name="alert_recipient_cause")
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="alert_recipient_time"),
            models.Index(fields=["cause"], name="alert_cause"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("alerts:detail", args=[self.uuid])

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None


class OutboxMessage(models.Model):
    """One delivery to make: a rung of an alert's ladder. Claimed with a conditional update
    (pending -> sending) so that only one worker ever sends it; `idempotency_key` travels
    with the provider call so a retry after a crash is recognised downstream."""

    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    step = models.PositiveSmallIntegerField(default=0, help_text="Rung of the ladder (0 = first).")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.RECIPIENT)
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_address = models.CharField(max_length=254, blank=True)
    # E-mail a feature sends as a person (a rep's note): their "Name <address>" and where
    # replies go. Empty for alerts, which come from DEFAULT_FROM_EMAIL.
    from_email = models.CharField(max_length=254, blank=True)
    reply_to = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=250, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When a delivery task was last queued for it."
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_status_next"),
            models.Index(fields=["status", "claimed_at"], name="outbox_status_claimed"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_channel_display()} to {self.to_address or self.to_user_id} ({self.status})"
        )

    def is_claim_stale(self, *, now: dt.datetime | None = None) -> bool:
        if self.status != Status.SENDING or self.claimed_at is None:
            return False
        age = (now or timezone.now()) - self.claimed_at
        return age.total_seconds() > settings.ALERT_CLAIM_TIMEOUT_SECONDS


class LiveEvent(models.Model):
    """One server-sent event for one user; its id is the SSE event id (Last-Event-ID)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_events"
    )
    event = models.CharField(max_length=60)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["user", "id"], name="liveevent_user_id"),
            models.Index(fields=["user", "created_at"], name="liveevent_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk} for {self.user_id}"
