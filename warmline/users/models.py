"""Staff users and teams. A rep owns a book; a manager leads a team of reps."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    REP = "rep", "Sales rep"
    MANAGER = "manager", "Manager"
    MARKETER = "marketer", "Marketer"
    AGENT = "agent", "Service agent"
    ADMIN = "admin", "Administrator"


# The roles that own contacts (a book): who can be a contact's owner.
BOOK_ROLES = (Role.REP, Role.MANAGER)


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True)
    manager = models.ForeignKey(
        "users.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )
    time_zone = models.CharField(max_length=64, default="UTC")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of staff. `role` decides what they may see; `team` who manages them."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REP)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    title = models.CharField(max_length=120, blank=True)
    direct_phone = models.CharField(
        max_length=32, blank=True, help_text="E.164, shown to customers as a tel: link."
    )
    mobile_phone = models.CharField(max_length=32, blank=True, help_text="E.164, for SMS alerts.")
    photo_url = models.URLField(blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")

    class Meta:
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def owns_book(self) -> bool:
        """Reps and managers own contacts (a book); agents and marketers work on others'."""
        return self.role in BOOK_ROLES

    @property
    def sees_everything(self) -> bool:
        """Admins, marketers and service agents work across the whole customer base."""
        return self.is_admin_role or self.role in (Role.MARKETER, Role.AGENT)

    @property
    def initials(self) -> str:
        parts = [p for p in (self.first_name, self.last_name) if p]
        return "".join(p[0] for p in parts).upper() or self.username[:2].upper()
