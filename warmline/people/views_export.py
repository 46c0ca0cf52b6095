"""The export page and its download: a manager or admin takes the company's data away as a
zip of CSV files and a vCard file, holding exactly what they may see."""

from __future__ import annotations

import logging
import tempfile

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from warmline.people.exporting import export_scope_build, export_write_zip
from warmline.users.http import request_user
from warmline.users.models import Role, User

logger = logging.getLogger(__name__)


def _may_export(user: User) -> bool:
    """Managers (their team's book) and admins (everything). A rep must not be able to
    walk away with the company's customer list."""
    return user.role in (Role.MANAGER, Role.ADMIN) or user.is_superuser


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "people/export_forbidden.html", {"nav": "export"}, status=403)


def _file_stem() -> str:
    return f"warmline-export-{timezone.localdate():%Y-%m-%d}"


@login_required
@require_GET
def export_page(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not _may_export(user):
        return _forbidden(request)
    scope = export_scope_build(user=user)
    counts = {
        "contacts": scope.contacts.count(),
        "accounts": scope.accounts.count(),
        "interactions": scope.interactions.count(),
    }
    return render(
        request,
        "people/export.html",
        {
            "nav": "export",
            "counts": counts,
            "everything": user.sees_everything,
            "filename": f"{_file_stem()}.zip",
        },
    )


@login_required
@require_POST
def export_download(request: HttpRequest) -> HttpResponseBase:
    user = request_user(request)
    if not _may_export(user):
        return _forbidden(request)
    stem = _file_stem()
    # An anonymous temporary file: gone as soon as the response has been sent and closed.
    handle = tempfile.TemporaryFile(suffix=".zip")  # noqa: SIM115 - FileResponse closes it
    result = export_write_zip(target=handle, user=user, folder=f"{stem}/")
    handle.seek(0)
    logger.info(
        "export downloaded by %s (%s): %s in %.1f s",
        user.username,
        result.scope,
        result.summary,
        result.seconds,
    )
    return FileResponse(
        handle, as_attachment=True, filename=f"{stem}.zip", content_type="application/zip"
    )
