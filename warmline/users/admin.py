from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm

from warmline.core.hours import zone_get
from warmline.core.phones import phone_normalize
from warmline.users.models import Team, User


class StaffChangeForm(UserChangeForm):
    """The staff member's numbers are dialled and texted (SMS alerts): stored in E.164 after
    the same check as a contact's, and the time zone must be one we know."""

    class Meta(UserChangeForm.Meta):
        model = User

    def _phone(self, name: str) -> str:
        raw = (self.cleaned_data.get(name) or "").strip()
        return phone_normalize(raw) if raw else ""

    def clean_direct_phone(self) -> str:
        return self._phone("direct_phone")

    def clean_mobile_phone(self) -> str:
        return self._phone("mobile_phone")

    def clean_time_zone(self) -> str:
        name = (self.cleaned_data.get("time_zone") or "").strip()
        if name and zone_get(name) is None:
            raise forms.ValidationError(f"“{name}” is not a time zone we know, e.g. Europe/Berlin.")
        return name


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = StaffChangeForm
    list_display = ("username", "first_name", "last_name", "email", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (
            "Warmline",
            {
                "fields": (
                    "role",
                    "team",
                    "title",
                    "direct_phone",
                    "mobile_phone",
                    "photo_url",
                    "time_zone",
                )
            },
        ),
    )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "manager", "time_zone")
