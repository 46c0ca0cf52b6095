"""API tokens are created in the admin; the token is shown once, right after saving."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from warmline.api.models import ApiRejection, ApiToken
from warmline.api.services import api_token_issue, api_token_revoke
from warmline.core.registries.api_scopes import scope_choices


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=scope_choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = ApiToken
        fields = ("name", "owner", "scopes", "expires_at")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = ("name", "prefix", "owner", "scope_list", "created_at", "last_used_at", "state")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "owner__username")
    raw_id_fields = ("owner",)
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    @admin.display(description="Scopes")
    def scope_list(self, obj: ApiToken) -> str:
        return ", ".join(obj.scopes or []) or "—"

    @admin.display(description="State")
    def state(self, obj: ApiToken) -> str:
        if obj.revoked_at:
            return "revoked"
        return "active" if obj.is_usable() else "expired"

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        raw = api_token_issue(token=obj)
        messages.warning(
            request,
            f"The token for “{obj.name}” is: {raw} — copy it now; it is stored hashed and "
            "will not be shown again.",
        )

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            api_token_revoke(token=token)
        messages.success(request, f"Revoked {queryset.count()} token(s).")


@admin.register(ApiRejection)
class ApiRejectionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "status_code", "method", "path", "token", "detail")
    list_filter = ("status_code",)
    search_fields = ("path", "detail")
    date_hierarchy = "created_at"
    list_select_related = ("token",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
