"""Service cases and the SLA policies that watch them.

A `Case` is a customer-service ticket about a contact. Its SLA state is stored with it:
the instants at which each clock (first response, resolution) reaches its breach point,
and `next_step_due_at`, the earliest instant any escalation step of either clock falls
due. The scheduler asks only "which cases have next_step_due_at <= now?", one indexed
range query however many cases are open. Services recompute these columns on every
change (`services.case_sla_refresh`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from warmline.core.hours import ALWAYS_OPEN, MIDNIGHT, BusinessHours, WeeklyWindow, zone_get
from warmline.service import sla


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Status(models.TextChoices):
    OPEN = "open", "Open"
    PENDING_CUSTOMER = "pending_customer", "Pending customer"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


UNRESOLVED = (Status.OPEN, Status.PENDING_CUSTOMER)
#: Statuses during which no SLA clock runs.
CLOCK_STOPPED = (Status.PENDING_CUSTOMER, Status.RESOLVED, Status.CLOSED)


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "E-mail"
    WEB = "web", "Web form"
    CHAT = "chat", "Chat"
    PORTAL = "portal", "Customer portal"
    OTHER = "other", "Other"


class Clock(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    RESOLUTION = "resolution", "Resolution"


class Step(models.TextChoices):
    WARN = "warn", "Warning"
    BREACH = "breach", "Breach"
    MANAGER = "manager", "Manager escalation"


class Notify(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "Text message"
    EMAIL_SMS = "email_sms", "E-mail and text message"


# --- Calendars ------------------------------------------------------------------------


class BusinessCalendar(models.Model):
    """Business hours in a time zone plus holidays, or 24x7. Teams pick one; a policy
    may override it (e.g. urgent cases run around the clock)."""

    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", help_text="e.g. Europe/Berlin")
    always_open = models.BooleanField(
        "24x7", default=False, help_text="The clock runs every hour of every day; holidays ignored."
    )
    is_default = models.BooleanField(
        default=False,
        help_text="Used for teams without a calendar of their own. Only one can be the default.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="businesscalendar_one_default",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if zone_get(self.time_zone) is None:
            raise ValidationError(
                {
                    "time_zone": (
                        f"“{self.time_zone}” is not a time zone we know (e.g. Europe/Berlin)."
                    )
                }
            )

    def to_hours(self) -> BusinessHours:
        """The pure-clock view. Uses prefetched `hours`/`holidays` when present."""
        if self.always_open:
            return ALWAYS_OPEN
        return BusinessHours(
            time_zone=self.time_zone,
            weekly=tuple(
                WeeklyWindow(weekday=h.weekday, opens=h.opens, closes=h.closes)
                for h in self.hours.all()
            ),
            holidays=frozenset(h.date for h in self.holidays.all()),
        )


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class OpeningHours(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField(default=dt.time(9))
    closes = models.TimeField(default=dt.time(17), help_text="00:00 means midnight (end of day).")

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name_plural = "opening hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.closes != MIDNIGHT and self.closes <= self.opens:
            raise ValidationError({"closes": "Closing time must be after opening time."})


class Holiday(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField()
    name = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_date")
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


class TeamCalendar(models.Model):
    """Which calendar a team's cases are timed by (one per team)."""

    team = models.OneToOneField("users.Team", on_delete=models.CASCADE, related_name="+")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE)

    def __str__(self) -> str:
        return f"{self.team_id} → {self.calendar_id}"


# --- Policies -------------------------------------------------------------------------


def _minutes_field(label: str, help_text: str = "") -> Any:
    return models.PositiveIntegerField(label, null=True, blank=True, help_text=help_text)


class SlaPolicy(models.Model):
    """Targets per priority (optionally per account tier), in business minutes.

    Each clock has up to three steps: warn the rep, breach (rep again, louder), then the
    rep's manager. Blank steps are skipped.
    """

    name = models.CharField(max_length=120)
    priority = models.CharField(max_length=16, choices=Priority.choices)
    tier = models.CharField(
        max_length=16,
        blank=True,
        help_text="Account tier this applies to; blank for every tier without its own policy.",
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="Overrides the team's calendar (e.g. a 24x7 calendar for urgent cases).",
    )
    is_active = models.BooleanField(default=True)
    first_response_warn_minutes = _minutes_field("First response: warn at")
    first_response_breach_minutes = _minutes_field("First response: breach at")
    first_response_manager_minutes = _minutes_field("First response: manager at")
    resolution_warn_minutes = _minutes_field("Resolution: warn at")
    resolution_breach_minutes = _minutes_field("Resolution: breach at")
    resolution_manager_minutes = _minutes_field("Resolution: manager at")
    warn_notify = models.CharField(max_length=16, choices=Notify.choices, default=Notify.EMAIL)
    breach_notify = models.CharField(
        max_length=16, choices=Notify.choices, default=Notify.EMAIL_SMS
    )
    manager_notify = models.CharField(max_length=16, choices=Notify.choices, default=Notify.EMAIL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority", "tier"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "tier"],
                condition=models.Q(is_active=True),
                name="slapolicy_one_active_per_priority_tier",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from warmline.people.models import Tier

        if self.tier and self.tier not in Tier.values:
            raise ValidationError({"tier": f"Pick one of: {', '.join(Tier.values)}."})
        for clock in Clock.values:
            previous: tuple[str, int] | None = None
            for step in Step.values:
                value = getattr(self, f"{clock}_{step}_minutes")
                if value is None:
                    continue
                if previous is not None and value <= previous[1]:
                    raise ValidationError(
                        {
                            f"{clock}_{step}_minutes": (
                                f"Must be later than the {previous[0]} step ({previous[1]} min)."
                            )
                        }
                    )
                previous = (step, value)

    def step_minutes(self) -> dict[tuple[str, str], int]:
        """(clock, step) -> business minutes, for the steps that are set."""
        out: dict[tuple[str, str], int] = {}
        for clock in Clock.values:
            for step in Step.values:
                value = getattr(self, f"{clock}_{step}_minutes")
                if value is not None:
                    out[(clock, step)] = value
        return out

    def notify_for(self, step: str) -> str:
        return str(getattr(self, f"{step}_notify"))


# --- Cases ----------------------------------------------------------------------------


class Case(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contact = models.ForeignKey("people.Contact", on_delete=models.CASCADE, related_name="cases")
    account = models.ForeignKey(
        "people.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.PHONE)
    opened_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    external_system = models.CharField(
        max_length=50, blank=True, help_text="The service desk this case came from."
    )
    external_id = models.CharField(max_length=200, blank=True)
    external_updated_at = models.DateTimeField(
        null=True, blank=True, help_text="Last-modified time of the newest update applied."
    )
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # --- SLA state (derived; written by services.case_sla_refresh) ---
    sla_policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL)
    sla_pauses = models.JSONField(
        default=list, blank=True, help_text="[[start, end or null], ...] ISO instants."
    )
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    breach_at = models.DateTimeField(
        null=True, blank=True, help_text="Earliest breach of a running clock; sorts *Today*."
    )
    next_step_due_at = models.DateTimeField(null=True, blank=True)
    sla_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_step_due_at", "id"],
                condition=models.Q(next_step_due_at__isnull=False),
                name="case_next_step_due",
            ),
            models.Index(fields=["contact", "status"], name="case_contact_status"),
            models.Index(fields=["status", "opened_at"], name="case_status_opened"),
            # For lookups by external id under generic plans (see the timeline's index of
            # the same name: the partial unique index cannot serve a parameter).
            models.Index(fields=["external_id", "external_system"], name="case_external_id"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_system", "external_id"],
                condition=~models.Q(external_id=""),
                name="case_unique_external_id",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("case-detail", args=[self.pk])

    @property
    def reference(self) -> str:
        if self.external_id:
            return f"{self.external_system or 'desk'} {self.external_id}"
        return f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in UNRESOLVED

    @property
    def is_paused(self) -> bool:
        return self.status == Status.PENDING_CUSTOMER

    def pauses(self) -> list[sla.Pause]:
        """Stored pauses as aware datetimes."""
        out: list[sla.Pause] = []
        for start, end in self.sla_pauses or []:
            out.append(
                (
                    dt.datetime.fromisoformat(start),
                    dt.datetime.fromisoformat(end) if end else None,
                )
            )
        return out

    def time_to_breach(self, now: dt.datetime) -> dt.timedelta | None:
        """Negative once breached; None without a running clock."""
        if self.breach_at is None:
            return None
        return self.breach_at - now

    def breach_clock(self) -> str:
        """Which clock `breach_at` belongs to (for "first response due in ..." labels)."""
        if self.breach_at is not None and self.breach_at == self.first_response_due_at:
            return Clock.FIRST_RESPONSE
        return Clock.RESOLUTION


class SlaStepFired(models.Model):
    """One escalation step of one clock that has fired for a case: the claim that makes
    each step happen once, and the record insights use for "cases that breached"."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps_fired")
    clock = models.CharField(max_length=20, choices=Clock.choices)
    step = models.CharField(max_length=10, choices=Step.choices)
    due_at = models.DateTimeField()
    fired_at = models.DateTimeField(default=timezone.now)
    alerts = models.PositiveSmallIntegerField(default=0, help_text="Alerts raised for this step.")

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "clock", "step"], name="slastepfired_once_per_case_step"
            )
        ]

    def __str__(self) -> str:
        return f"case {self.case_id} {self.clock} {self.step}"

    @property
    def cause(self) -> str:
        return step_cause(case_id=self.case_id, clock=self.clock, step=self.step)


def step_cause(*, case_id: int, clock: str, step: str) -> str:
    """The alerts app's `cause` for one step of one case: unique per recipient."""
    return f"case:{case_id}:{clock}:{step}"


class CaseNote(models.Model):
    """A note on a case, visible to service (agents) and to whoever sees the case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:60]
