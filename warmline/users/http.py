"""The signed-in user of a staff request, typed."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from warmline.users.models import User


def request_user(request: HttpRequest) -> User:
    """The staff user who made `request`, for views behind `login_required` (and the
    admin). An anonymous request that got this far is refused (403), never served as
    somebody."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    return user
