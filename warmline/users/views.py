"""Sign-in: where each role starts its day."""

from __future__ import annotations

from django.contrib.auth import views as auth_views

from warmline.core.registries.start_pages import start_page_url
from warmline.users.models import User


class LoginView(auth_views.LoginView):
    """Django's login view; without a `?next=` it sends each user to their role's start page
    (see `warmline.core.registries.start_pages`)."""

    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        user = self.request.user
        if isinstance(user, User) and user.is_authenticated:
            return start_page_url(user.role)
        return super().get_default_redirect_url()
