"""Back office: SLA policies, business calendars (hours, holidays, teams) and a read-only
view of cases and fired escalation steps. Saving a policy or calendar re-times the open
cases in the background."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.forms import BaseInlineFormSet
from django.http import HttpRequest

from warmline.service.models import (
    BusinessCalendar,
    Case,
    CaseNote,
    Holiday,
    OpeningHours,
    SlaPolicy,
    SlaStepFired,
    TeamCalendar,
)


def _retime_later(request: HttpRequest) -> None:
    from warmline.service.tasks import sla_retime_open_cases_task

    transaction.on_commit(lambda: sla_retime_open_cases_task.enqueue())
    messages.info(request, "Open cases are being re-timed against the new settings.")


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


class TeamCalendarInline(admin.TabularInline):
    model = TeamCalendar
    extra = 0
    verbose_name = "team using this calendar"
    verbose_name_plural = "teams using this calendar"


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "always_open", "is_default")
    inlines = [OpeningHoursInline, HolidayInline, TeamCalendarInline]

    def save_related(
        self, request: HttpRequest, form: Any, formsets: list[BaseInlineFormSet], change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        _retime_later(request)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "priority",
        "tier_label",
        "calendar",
        "first_response_breach_minutes",
        "resolution_breach_minutes",
        "is_active",
    )
    list_filter = ("priority", "is_active")
    fieldsets = (
        (None, {"fields": ("name", "priority", "tier", "calendar", "is_active")}),
        (
            "First response (business minutes from opening)",
            {
                "fields": (
                    "first_response_warn_minutes",
                    "first_response_breach_minutes",
                    "first_response_manager_minutes",
                )
            },
        ),
        (
            "Resolution (business minutes from opening; pending-customer time does not count)",
            {
                "fields": (
                    "resolution_warn_minutes",
                    "resolution_breach_minutes",
                    "resolution_manager_minutes",
                )
            },
        ),
        (
            "How each step reaches people",
            {"fields": ("warn_notify", "breach_notify", "manager_notify")},
        ),
    )

    @admin.display(description="Tier")
    def tier_label(self, obj: SlaPolicy) -> str:
        return obj.tier or "every tier"

    def save_model(self, request: HttpRequest, obj: SlaPolicy, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _retime_later(request)


class CaseNoteInline(admin.TabularInline):
    model = CaseNote
    extra = 0
    readonly_fields = ("author", "body", "created_at")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SlaStepFiredInline(admin.TabularInline):
    model = SlaStepFired
    extra = 0
    readonly_fields = ("clock", "step", "due_at", "fired_at", "alerts")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only here: cases change through the Cases pages, the API or the webhook, which
    keep the timeline and the SLA clocks in step."""

    list_display = (
        "__str__",
        "contact",
        "priority",
        "status",
        "opened_at",
        "breach_at",
        "next_step_due_at",
        "external_system",
        "external_id",
    )
    list_filter = ("status", "priority", "channel", "external_system")
    search_fields = ("subject", "external_id")
    raw_id_fields = ("contact", "account", "assigned_agent", "created_by", "acknowledged_by")
    list_select_related = ("contact",)
    date_hierarchy = "opened_at"
    inlines = [SlaStepFiredInline, CaseNoteInline]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SlaStepFired)
class SlaStepFiredAdmin(admin.ModelAdmin):
    list_display = ("case", "clock", "step", "due_at", "fired_at", "alerts")
    list_filter = ("clock", "step")
    raw_id_fields = ("case",)
    date_hierarchy = "fired_at"

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
