from django.contrib import admin

from warmline.calls.models import Callback, CallLog, MessageTemplate, OutgoingNote


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):
    list_display = ("due_at", "contact", "rep", "status", "note")
    list_filter = ("status",)
    search_fields = ("note", "contact__first_name", "contact__last_name")
    raw_id_fields = ("contact", "rep", "created_by_log", "closed_by_log")
    date_hierarchy = "due_at"
    list_select_related = ("contact", "rep")


@admin.register(CallLog)
class CallLogAdmin(admin.ModelAdmin):
    """Read-only: a call's record is its timeline entry; undo happens in call mode."""

    list_display = ("created_at", "outcome", "contact", "rep", "undone_at")
    list_filter = ("outcome",)
    raw_id_fields = ("contact", "rep", "interaction", "correction")
    date_hierarchy = "created_at"
    list_select_related = ("contact", "rep")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("owner", "kind", "subject", "updated_at")
    list_filter = ("kind",)
    raw_id_fields = ("owner",)


@admin.register(OutgoingNote)
class OutgoingNoteAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "to_address", "rep", "status", "attempts", "sent_at")
    list_filter = ("kind",)
    search_fields = ("to_address", "subject")
    raw_id_fields = ("rep", "contact", "occasion", "interaction", "outbox")
    readonly_fields = ("uuid", "outbox", "sent_at", "attempts", "last_error", "interaction")
    list_select_related = ("rep", "outbox")
