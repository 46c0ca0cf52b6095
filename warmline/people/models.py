"""Accounts (companies) and contacts (people): the relationship memory the company owns.

Facts about one row live here; anything that spans rows or enforces rules lives in
`services.py`. Phones are stored in E.164; `search_text` is a lowercase digest of
name, company, e-mails and phone digits that search scans (or indexes, on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse

from warmline.core.hours import zone_get


class Tier(models.TextChoices):
    STANDARD = "standard", "Standard"
    KEY = "key", "Key account"


class Stage(models.TextChoices):
    LEAD = "lead", "Lead"
    PROSPECT = "prospect", "Prospect"
    OPPORTUNITY = "opportunity", "Opportunity"
    CUSTOMER = "customer", "Customer"
    FORMER = "former", "Former customer"


class Tag(models.Model):
    """An interest ("pumps", "sustainability") used to pick content and build segments."""

    name = models.CharField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Account(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    domain = models.CharField(
        max_length=200, blank=True, db_index=True, help_text="E-mail domain, e.g. acme.com"
    )
    industry = models.CharField(max_length=120, blank=True)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.STANDARD)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accounts",
    )
    phone = models.CharField(max_length=32, blank=True)
    website = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=120, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 code, e.g. DE")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["owner", "name"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("account-detail", args=[self.pk])


class Contact(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
        help_text="The rep whose book this contact is in.",
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=150, blank=True)
    # Primary e-mail and phone are copies of the flagged ContactEmail / ContactPhone rows,
    # kept so lists and cards need no join.
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.PROSPECT)
    interests = models.ManyToManyField(Tag, blank=True, related_name="contacts")
    email_opt_in = models.BooleanField(default=False, help_text="Agreed to receive e-mail.")
    email_opt_in_at = models.DateTimeField(null=True, blank=True)
    do_not_call = models.BooleanField(default=False)
    reconnect_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Personal-touch cadence in days; blank uses the default."
    )
    last_touch_at = models.DateTimeField(
        null=True, blank=True, help_text="Last personal touch (call, meeting, note); derived."
    )
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            # The call queue's reconnect slices; PostgreSQL also gets an (owner,
            # last_touch_at NULLS FIRST) index from migration 0004.
            models.Index(fields=["owner", "last_touch_at"], name="contact_owner_touch"),
            models.Index(
                fields=["owner", "reconnect_days"],
                condition=models.Q(reconnect_days__isnull=False),
                name="contact_owner_cadence",
            ),
            models.Index(fields=["owner", "last_name", "first_name"], name="contact_owner_name"),
            models.Index(fields=["last_name", "first_name"], name="contact_name"),
            models.Index(fields=["stage"], name="contact_stage"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("contact-detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def initials(self) -> str:
        return (self.first_name[:1] + self.last_name[:1]).upper()

    def local_now(self, now: dt.datetime | None = None) -> dt.datetime | None:
        """The contact's wall-clock time, or None when the time zone is unknown."""
        from django.utils import timezone

        zone = zone_get(self.time_zone)
        if zone is None:
            return None
        return (now or timezone.now()).astimezone(zone)


class ContactEmail(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    address = models.EmailField(help_text="Stored lower-case for duplicate detection.")
    label = models.CharField(max_length=30, blank=True, default="work")
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        indexes = [models.Index(fields=["address"], name="contactemail_address")]
        constraints = [
            models.UniqueConstraint(fields=["contact", "address"], name="contactemail_unique")
        ]

    def __str__(self) -> str:
        return self.address


class ContactPhone(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(max_length=32, help_text="E.164, e.g. +14155550123")
    label = models.CharField(max_length=30, blank=True, default="work")
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        indexes = [models.Index(fields=["number"], name="contactphone_number")]
        constraints = [
            models.UniqueConstraint(fields=["contact", "number"], name="contactphone_unique")
        ]

    def __str__(self) -> str:
        return self.number


class FactKind(models.TextChoices):
    FAMILY = "family", "Family"
    HOBBY = "hobby", "Hobbies & interests"
    WORK = "work", "Work & career"
    PREFERENCE = "preference", "Preferences"
    OTHER = "other", "Other"


class PersonalFact(models.Model):
    """Something a good rep remembers: "two kids, Maya and Leo", "runs marathons"."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="facts")
    kind = models.CharField(max_length=16, choices=FactKind.choices, default=FactKind.OTHER)
    text = models.CharField(max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return self.text


class DateKind(models.TextChoices):
    BIRTHDAY = "birthday", "Birthday"
    CUSTOMER_ANNIVERSARY = "customer_anniversary", "Customer anniversary"
    WORK_ANNIVERSARY = "work_anniversary", "Work anniversary"
    PROMOTION = "promotion", "Promotion"
    LIFE_EVENT = "life_event", "Life event"
    OTHER = "other", "Other"


class ImportantDate(models.Model):
    """A date worth a call or a card. Yearly ones recur on the same month and day.

    `month_day` (MMDD as an integer) is derived on save so that "the next 14 days" is an
    indexed range query regardless of the year.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="dates")
    kind = models.CharField(max_length=24, choices=DateKind.choices, default=DateKind.BIRTHDAY)
    label = models.CharField(max_length=120, blank=True)
    date = models.DateField()
    recurs_yearly = models.BooleanField(default=True)
    month_day = models.PositiveSmallIntegerField(editable=False, db_index=True)

    class Meta:
        ordering = ["month_day"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date:%b %d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.month_day = self.date.month * 100 + self.date.day
        super().save(*args, **kwargs)

    @property
    def title(self) -> str:
        return self.label or self.get_kind_display()

    def next_occurrence(self, today: dt.date) -> dt.date | None:
        """The next date (today included) this falls on, or None if it is past and one-off."""
        if not self.recurs_yearly:
            return self.date if self.date >= today else None
        for year in (today.year, today.year + 1):
            try:
                candidate = self.date.replace(year=year)
            except ValueError:  # 29 February in a common year: celebrate on the 28th
                candidate = dt.date(year, 2, 28)
            if candidate >= today:
                return candidate
        return None

    def years_on(self, occurrence: dt.date) -> int | None:
        """How many years this occurrence marks (e.g. a 10th customer anniversary)."""
        if not self.recurs_yearly:
            return None
        years = occurrence.year - self.date.year
        return years if years > 0 else None

    def occasion(self, on: dt.date, *, age: bool = False) -> str:
        """What the occurrence `on` marks, as a phrase that fits "Congratulations on your …":
        "10th anniversary as our customer", "work anniversary", "promotion to VP". A
        birthday says the age only with `age` (the rep's own lists; not a customer's note)."""
        years = self.years_on(on)
        if self.kind == DateKind.CUSTOMER_ANNIVERSARY:
            return (
                f"{ordinal(years)} anniversary as our customer" if years else "anniversary with us"
            )
        if self.kind == DateKind.WORK_ANNIVERSARY:
            return f"{ordinal(years)} work anniversary" if years else "work anniversary"
        name = self.label or str(self.get_kind_display())
        name = name[:1].lower() + name[1:]
        if self.kind == DateKind.BIRTHDAY and age and years:
            return f"{ordinal(years)} {name}"  # "43rd leap birthday"
        return name


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 11th, 22nd."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
