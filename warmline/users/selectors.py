"""Reads about staff: who belongs to whose book."""

from __future__ import annotations

from django.db.models import QuerySet

from warmline.users.models import BOOK_ROLES, Role, User


def user_owner_ids_visible(*, user: User) -> list[int] | None:
    """Owner ids whose books `user` may see; None means every book (no restriction).

    A rep sees their own book; a manager their own plus every member of the teams they
    manage; admins, marketers and agents work across all books.
    """
    if user.sees_everything:
        return None
    if user.role == Role.MANAGER:
        ids = set(User.objects.filter(team__manager=user).values_list("id", flat=True))
        ids.add(user.id)
        return sorted(ids)
    return [user.id]


def user_owner_ids_editable(*, user: User) -> list[int] | None:
    """Owner ids whose contacts `user` may change; None means all. Agents only read."""
    if user.is_admin_role or user.role == Role.MARKETER:
        return None
    if user.role == Role.AGENT:
        return []
    return user_owner_ids_visible(user=user)


def user_list_owners(*, user: User) -> QuerySet[User]:
    """Staff that can own a book, limited to those `user` may see (for filters and forms)."""
    qs = User.objects.filter(is_active=True, role__in=BOOK_ROLES)
    ids = user_owner_ids_visible(user=user)
    if ids is not None:
        qs = qs.filter(id__in=ids)
    return qs.order_by("first_name", "last_name")


def user_can_see_unassigned(*, user: User) -> bool:
    return user.sees_everything or user.role == Role.MANAGER
