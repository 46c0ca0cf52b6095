from django.contrib import admin
from django.http import HttpRequest

from warmline.timeline.models import Interaction


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    """Read-only: the timeline is append-only; corrections are new entries."""

    list_display = ("occurred_at", "kind", "outcome", "contact", "author", "source")
    list_filter = ("kind", "outcome", "source", "is_personal")
    search_fields = ("body", "subject", "external_id")
    raw_id_fields = ("contact", "account", "author", "corrects")
    date_hierarchy = "occurred_at"
    list_select_related = ("contact", "author")

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
