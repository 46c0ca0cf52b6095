"""Interaction: one append-only timeline entry.

Entries are never edited in place: a correction is a new entry that points at the one it
corrects (`corrects`). `save()` refuses updates and `delete()` refuses deletes so that a
mistake in code cannot rewrite history; the admin is read-only for the same reason.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    CALL = "call", "Call"
    VOICEMAIL = "voicemail", "Voicemail"
    EMAIL = "email", "E-mail"
    MEETING = "meeting", "Meeting"
    NOTE = "note", "Note"
    QUESTION = "question", "Question"
    CASE_OPENED = "case_opened", "Case opened"
    CASE_UPDATED = "case_updated", "Case updated"
    CASE_RESOLVED = "case_resolved", "Case resolved"
    NEWSLETTER_SENT = "newsletter_sent", "Newsletter sent"
    NEWSLETTER_OPENED = "newsletter_opened", "Newsletter opened"
    NEWSLETTER_CLICKED = "newsletter_clicked", "Newsletter link clicked"
    PAGE_VIEWED = "page_viewed", "Page viewed"
    CHECKIN_NOTE = "checkin_note", "Check-in note"
    CORRECTION = "correction", "Correction"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"
    INTERNAL = "internal", "Internal"


class Outcome(models.TextChoices):
    NONE = "", "—"
    CONNECTED = "connected", "Connected"
    VOICEMAIL = "voicemail", "Left voicemail"
    NO_ANSWER = "no_answer", "No answer"
    WRONG_NUMBER = "wrong_number", "Wrong number"
    BUSY = "busy", "Busy"
    DO_NOT_CALL = "do_not_call", "Asked not to be called"


class Source(models.TextChoices):
    WEB = "web", "Warmline web"
    API = "api", "API"
    IMPORT = "import", "Import"
    SYSTEM = "system", "Warmline"
    PORTAL = "portal", "Customer portal"
    SERVICE_DESK = "service_desk", "Service desk"
    EMAIL = "email", "E-mail"


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete a timeline entry."""


class Interaction(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # contact, account and author need no index of their own: each leads a composite
    # index below (one index fewer to write per entry, and the planner takes the range).
    contact = models.ForeignKey(
        "people.Contact", on_delete=models.CASCADE, related_name="interactions", db_index=False
    )
    account = models.ForeignKey(
        "people.Account",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
        db_index=False,
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.OUTBOUND
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True, default="")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
        db_index=False,
    )
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.WEB)
    external_id = models.CharField(max_length=200, blank=True)
    is_personal = models.BooleanField(
        default=False,
        help_text="A human touch (connected call, meeting, personal note); counts for reconnects.",
    )
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(
                fields=["contact", "-occurred_at", "-id"], name="interaction_contact_time"
            ),
            models.Index(fields=["author", "occurred_at"], name="interaction_author_time"),
            models.Index(fields=["account", "-occurred_at"], name="interaction_account_time"),
            # The lookups by external id (webhooks, questions, imports) and Django's check of
            # the partial unique constraint below send the id as a parameter. A prepared
            # statement's generic plan cannot prove `external_id <> ''` from a parameter, so
            # PostgreSQL could not use the partial index and scanned every entry (0.5-1.2 s
            # at 2,000,000 entries: asking a question under load timed out the pool).
            models.Index(fields=["external_id", "source"], name="interaction_external_id"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="interaction_unique_external_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.contact_id} at {self.occurred_at:%Y-%m-%d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("Timeline entries are append-only; add a correction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Timeline entries are append-only and cannot be deleted.")

    @property
    def kind_label(self) -> str:
        """The kind's name, or the one the writing app gave the entry (`data["label"]`:
        "Congratulation e-mail" for a note of the check-in-note kind)."""
        return str((self.data or {}).get("label") or self.get_kind_display())

    @property
    def summary(self) -> str:
        """ "Call — Connected"."""
        label = self.kind_label
        if self.outcome:
            label = f"{label} — {self.get_outcome_display()}"
        return label
