"""Sign-in: where each role starts its day, and what a throttled sign-in sees."""

from __future__ import annotations

import ipaddress
import math
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from warmline.core.client_ip import client_ip
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


def login_client_ip(request: HttpRequest) -> str | None:
    """The address login throttling counts failures against (django-axes'
    AXES_CLIENT_IP_CALLABLE): the same as the portal's rate limits; None if there is none."""
    address = client_ip(request)
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return None
    return address


def login_locked_out(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The page a refused sign-in gets (django-axes' AXES_LOCKOUT_CALLABLE): 429 and when to
    try again. The wait starts again with each failure, so it counts from now."""
    wait = settings.AXES_COOLOFF_TIME
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    response = render(
        request,
        "registration/login_locked_out.html",
        {"retry_at": timezone.localtime() + wait, "minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(int(wait.total_seconds()))
    return response
