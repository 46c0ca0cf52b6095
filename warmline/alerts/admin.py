from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from warmline.alerts.models import Alert, LiveEvent, OutboxMessage, Status
from warmline.alerts.services import alert_acknowledge, outbox_message_retry
from warmline.users.http import request_user


class OutboxInline(admin.TabularInline):
    model = OutboxMessage
    extra = 0
    can_delete = False
    fields = (
        "step",
        "channel",
        "audience",
        "to_address",
        "status",
        "due_at",
        "attempts",
        "sent_at",
        "last_error",
    )
    readonly_fields = fields
    ordering = ("step",)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "kind",
        "recipient",
        "created_at",
        "acknowledged_at",
        "acknowledged_by",
    )
    list_filter = ("kind", ("acknowledged_at", admin.EmptyFieldListFilter))
    search_fields = ("title", "cause", "recipient__username", "recipient__last_name")
    list_select_related = ("recipient", "acknowledged_by")
    raw_id_fields = ("recipient", "contact", "acknowledged_by")
    readonly_fields = ("uuid", "created_at", "acknowledged_at", "acknowledged_by")
    date_hierarchy = "created_at"
    inlines = [OutboxInline]
    actions = ["acknowledge"]

    @admin.action(description="Acknowledge (stop escalating)")
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        done = 0
        for alert in queryset.filter(acknowledged_at__isnull=True):
            alert_acknowledge(alert=alert, user=request_user(request))
            done += 1
        self.message_user(request, f"Acknowledged {done} alert(s).", messages.SUCCESS)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "channel",
        "audience",
        "status",
        "due_at",
        "attempts",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "channel", "audience")
    search_fields = ("to_address", "idempotency_key", "subject", "provider_id")
    list_select_related = ("to_user",)
    raw_id_fields = ("alert", "to_user")
    readonly_fields = (
        "idempotency_key",
        "created_at",
        "claimed_at",
        "claimed_by",
        "sent_at",
        "provider_id",
        "attempts",
    )
    date_hierarchy = "due_at"
    actions = ["retry"]

    @admin.action(description="Retry failed messages now")
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        done = sum(
            1 for m in queryset.filter(status=Status.FAILED) if outbox_message_retry(message=m)
        )
        self.message_user(request, f"Queued {done} message(s) again.", messages.SUCCESS)


@admin.register(LiveEvent)
class LiveEventAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "event", "created_at")
    list_filter = ("event",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    search_fields = ("user__username",)
