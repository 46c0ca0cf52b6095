"""Back office for the public site: products and news are edited here; questions and
sign-in links are shown read-only (they change through the app, which writes the timeline)."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from warmline.portal.models import MagicLink, NewsItem, Product, Question, RoutingState


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "is_published", "position", "updated_at"]
    list_editable = ["is_published", "position"]
    list_filter = ["is_published", "category"]
    search_fields = ["name", "summary", "category"]
    prepopulated_fields = {"slug": ["name"]}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(NewsItem)
class NewsItemAdmin(admin.ModelAdmin):
    list_display = ["title", "published_at", "is_published"]
    list_filter = ["is_published"]
    search_fields = ["title", "summary"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "contact", "rep", "status", "preferred_channel", "answer_by"]
    list_filter = ["status", "preferred_channel", "is_new_lead", "verified"]
    list_select_related = ["contact", "rep"]
    search_fields = ["message", "contact__last_name", "contact__email"]
    date_hierarchy = "created_at"


@admin.register(MagicLink)
class MagicLinkAdmin(ReadOnlyAdmin):
    list_display = ["email", "created_at", "expires_at", "used_at"]
    list_select_related = ["contact"]
    search_fields = ["email"]
    exclude = ["nonce", "token_hash"]


@admin.register(RoutingState)
class RoutingStateAdmin(ReadOnlyAdmin):
    list_display = ["key", "last_user", "updated_at"]
