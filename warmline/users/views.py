"""Sign-in: where each role starts its day."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import reverse

from warmline.users.models import Role, User


def start_url_for(user: User) -> str:
    """Service agents work from the case list; everyone else from *Today*."""
    if user.role == Role.AGENT:
        return reverse("case-list")
    return reverse("today")


class LoginView(auth_views.LoginView):
    """Django's login view; without a `?next=` it sends each user to their own start page."""

    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        user = self.request.user
        if isinstance(user, User) and user.is_authenticated:
            return start_url_for(user)
        return super().get_default_redirect_url()
