"""Project URL wiring: each app brings its own urls module."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from warmline.api.api import api
from warmline.core import views as core_views
from warmline.users.views import LoginView

urlpatterns = [
    # First: a live stream keeps its request (and the patterns tried before it) for minutes.
    path("alerts/", include("warmline.alerts.urls")),
    path("", include("warmline.today.urls")),
    path("", include("warmline.people.urls")),
    path("", include("warmline.calls.urls")),
    path("", include("warmline.service.urls")),
    path("api/", api.urls),
    path("site/", include("warmline.portal.urls")),
    path("questions/", include("warmline.portal.urls_staff")),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
