"""Reads from the timeline."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from warmline.timeline.models import Interaction


def interaction_list_for_contact(*, contact: Any) -> QuerySet[Interaction]:
    """Newest first. The caller has already checked the contact (a people Contact) is
    visible to the user."""
    return (
        Interaction.objects.filter(contact=contact)
        .select_related("author", "corrects")
        .order_by("-occurred_at", "-id")
    )
