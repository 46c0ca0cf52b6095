"""Reads from the timeline."""

from __future__ import annotations

from django.db.models import QuerySet

from warmline.people.models import Account, Contact
from warmline.people.selectors import contact_scope
from warmline.timeline.models import Interaction
from warmline.users.models import User


def interaction_list_for_contact(*, contact: Contact) -> QuerySet[Interaction]:
    """Newest first. The caller has already checked the contact is visible to the user."""
    return (
        Interaction.objects.filter(contact=contact)
        .select_related("author", "corrects")
        .order_by("-occurred_at", "-id")
    )


def interaction_list_for_account(
    *, user: User, account: Account, limit: int = 20
) -> list[Interaction]:
    """An account's most recent touches, newest first, on contacts `user` may see only."""
    return list(
        Interaction.objects.filter(account=account, contact__in=contact_scope(user=user))
        .select_related("author", "contact", "corrects")
        .order_by("-occurred_at", "-id")[:limit]
    )
