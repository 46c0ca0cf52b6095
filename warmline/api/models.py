"""API tokens and a record of rejected API requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored: the token itself is shown once, when
    an admin creates it. Requests act as `owner` (with the owner's permissions), limited
    to `scopes`."""

    name = models.CharField(max_length=120, help_text="What uses it, e.g. “Zendesk webhook”.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="Requests with this token act as this user (and see what they may see).",
    )
    prefix = models.CharField(max_length=16, editable=False, help_text="First characters.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Blank: never expires.")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now: object = None) -> bool:
        moment = now or timezone.now()
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > moment  # type: ignore[operator]

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class ApiRejection(models.Model):
    """A request the API refused as malformed (400) or invalid (422): kept so an admin can
    see what an integration sent and why it was turned away."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField()
    token = models.ForeignKey(ApiToken, null=True, blank=True, on_delete=models.SET_NULL)
    detail = models.CharField(max_length=300)
    errors = models.JSONField(default=list, blank=True)
    body_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "rejected API request"

    def __str__(self) -> str:
        return f"{self.status_code} {self.method} {self.path}"
