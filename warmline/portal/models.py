"""The public portal's data: what anyone may read (products, news), how a browser proves it
belongs to a contact (magic links), and what a contact asks their rep (questions).

Identification itself is not stored: it is a signed cookie holding the contact's uuid (see
`services.visitor_cookie_set`). Page views go straight to the timeline.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.validators import MinLengthValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Product(models.Model):
    """A product page on the public site. Text fields are plain text (paragraphs by blank
    lines), never HTML, so whatever is typed in the admin is shown as typed."""

    name = models.CharField(max_length=150)
    slug = models.SlugField(max_length=160, unique=True)
    category = models.CharField(max_length=80, blank=True, help_text="e.g. Pumps, Valves")
    summary = models.CharField(max_length=300, help_text="One or two sentences for lists.")
    description = models.TextField(
        blank=True, help_text="Plain text; blank lines split paragraphs."
    )
    specs = models.TextField(
        blank=True, help_text="One “Label: value” per line, shown as a table on the product page."
    )
    image_url = models.URLField(blank=True)
    is_published = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=100, help_text="Lower comes first.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]
        indexes = [models.Index(fields=["is_published", "position", "name"], name="product_list")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("portal-product", args=[self.slug])

    @property
    def spec_rows(self) -> list[tuple[str, str]]:
        rows = []
        for line in self.specs.splitlines():
            label, sep, value = line.partition(":")
            if sep and label.strip():
                rows.append((label.strip(), value.strip()))
        return rows


class NewsItem(models.Model):
    """An announcement or news story. Shown once published and its time has come."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=210, unique=True)
    summary = models.CharField(max_length=400)
    body = models.TextField(blank=True, help_text="Plain text; blank lines split paragraphs.")
    published_at = models.DateTimeField(default=timezone.now)
    is_published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = "news item"
        indexes = [models.Index(fields=["is_published", "-published_at"], name="news_list")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("portal-news-detail", args=[self.slug])


class MagicLink(models.Model):
    """A single-use sign-in link e-mailed to a contact.

    Only the SHA-256 of the token is stored. The token itself is an HMAC (keyed by
    SECRET_KEY) of `nonce`, so the e-mail task can rebuild it from the row id while a copy
    of the database alone is not enough to sign in.
    """

    contact = models.ForeignKey(
        "people.Contact", on_delete=models.CASCADE, related_name="magic_links"
    )
    email = models.EmailField(help_text="The address the link was sent to.")
    nonce = models.CharField(max_length=64, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    next_path = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Sign-in link for {self.email}"

    def is_usable(self, now: dt.datetime | None = None) -> bool:
        return self.used_at is None and self.expires_at > (now or timezone.now())


class Channel(models.TextChoices):
    CALL = "call", "Call me"
    EMAIL = "email", "E-mail me"


class PreferredTime(models.TextChoices):
    ANYTIME = "anytime", "Any time"
    MORNING = "morning", "Morning (9–12)"
    AFTERNOON = "afternoon", "Afternoon (12–17)"
    TODAY = "today", "Today, please"


class QuestionStatus(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ANSWERED = "answered", "Answered"


OPEN_STATUSES = (QuestionStatus.NEW, QuestionStatus.ACKNOWLEDGED)


class Question(models.Model):
    """A contact's question to their rep: new → acknowledged → answered."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contact = models.ForeignKey(
        "people.Contact", on_delete=models.CASCADE, related_name="questions"
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="portal_questions",
        help_text="Who answers: the contact's rep, or the rep the lead was routed to.",
    )
    message = models.TextField(validators=[MinLengthValidator(5)])
    page_path = models.CharField(max_length=300, blank=True)
    page_title = models.CharField(max_length=200, blank=True)
    preferred_channel = models.CharField(
        max_length=8, choices=Channel.choices, default=Channel.EMAIL
    )
    preferred_time = models.CharField(
        max_length=12, choices=PreferredTime.choices, default=PreferredTime.ANYTIME
    )
    callback_phone = models.CharField(max_length=32, blank=True)
    company = models.CharField(max_length=200, blank=True)
    verified = models.BooleanField(
        default=False,
        help_text="Asked by a browser identified by magic link (not just a typed e-mail).",
    )
    is_new_lead = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=QuestionStatus.choices, default=QuestionStatus.NEW
    )
    answer_by = models.DateTimeField(help_text="The promise shown to the visitor.")
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answer_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["rep", "status", "created_at"], name="question_rep_status"),
            models.Index(fields=["contact", "-created_at"], name="question_contact_time"),
        ]

    def __str__(self) -> str:
        return f"Question {self.pk} from {self.contact_id}"

    def get_absolute_url(self) -> str:
        return reverse("question-detail", args=[self.pk])

    @property
    def cause(self) -> str:
        """The alerts app's key for this question's alert."""
        return f"question:{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        return self.is_open and self.answer_by < (now or timezone.now())

    @property
    def overdue(self) -> bool:
        """For templates: still open past its answer-by time now."""
        return self.is_overdue()

    @property
    def excerpt(self) -> str:
        text = " ".join(self.message.split())
        return text if len(text) <= 140 else text[:139].rstrip() + "…"


class RoutingState(models.Model):
    """Where the lead round robin stopped. One row per key; locked while choosing."""

    key = models.CharField(max_length=40, unique=True)
    last_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key
