from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from warmline.users.models import Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
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
