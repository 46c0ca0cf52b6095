"""The one NinjaAPI, mounted at /api/ (OpenAPI docs at /api/docs).

Every error answers in one shape::

    {"detail": "What went wrong, in a sentence.",
     "errors": [{"field": "subject", "message": "Field required"}]}

for 400 (malformed body), 401 (no or bad token), 403 (missing scope or permission),
404 and 422 (invalid fields). Malformed and invalid requests are logged and kept in
`ApiRejection` (admin: "Rejected API requests").

Feature apps bring a ninja `Router` in their `api.py`; mount it below, one line each.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from warmline.api.auth import ApiTokenAuth, request_token
from warmline.api.services import api_rejection_record
from warmline.service.api import router as service_router

logger = logging.getLogger("warmline.api")

api = NinjaAPI(
    title="Warmline API",
    version="1",
    description=(
        "JSON API of Warmline. Authenticate with `Authorization: Bearer <token>`; an admin "
        "creates tokens (Admin → API tokens) and each token carries scopes. Errors always "
        'look like `{"detail": "...", "errors": [{"field": "...", "message": "..."}]}`.'
    ),
    urls_namespace="api",
    auth=ApiTokenAuth(),
)

# --- Error shape ---------------------------------------------------------------------

FieldError = dict[str, str]
_LOCATIONS = {"body", "query", "path", "header", "cookie", "form", "file"}


def error_body(detail: str, errors: list[FieldError] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or []}


def _field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
        # Body errors are located under the parameter's name ("payload"): drop it.
        if len(parts) > 1 and loc[0] == "body":
            parts = parts[1:]
        elif len(parts) == 1 and loc[0] == "body":
            parts = []
    return ".".join(parts)


def _message(text: str) -> str:
    return text.removeprefix("Value error, ")


def _reject(
    request: HttpRequest, status: int, detail: str, errors: list[FieldError]
) -> HttpResponse:
    token = request_token(request)
    logger.warning(
        "API %s %s rejected with %s (%s): %s",
        request.method,
        request.path,
        status,
        token.name if token else "no token",
        errors or detail,
    )
    if token is not None:
        try:
            body = request.body
        except Exception:  # the body was too large or already consumed
            body = b""
        api_rejection_record(
            method=request.method or "",
            path=request.path,
            status_code=status,
            token=token,
            detail=detail,
            errors=list(errors),
            body=body,
        )
    return api.create_response(request, error_body(detail, errors), status=status)


def _on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {"field": _field_name(e.get("loc", ())), "message": _message(str(e.get("msg", "")))}
        for e in exc.errors
    ]
    return _reject(request, 422, "Some fields are missing or invalid.", errors)


def _on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    errors: list[FieldError] = []
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            field = "" if name == NON_FIELD_ERRORS else name
            errors.extend({"field": field, "message": m} for m in messages)
    else:
        errors = [{"field": "", "message": m} for m in exc.messages]
    return _reject(request, 422, "Some fields are missing or invalid.", errors)


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, AuthenticationError) or exc.status_code == 401:
        response = api.create_response(
            request,
            error_body("Send a valid API token: “Authorization: Bearer <token>”."),
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="warmline"'
        return response
    if exc.status_code == 400:
        detail = str(exc)
        if detail == "Cannot parse request body":
            detail = "The request body is not valid JSON."
        return _reject(request, 400, detail, [])
    return api.create_response(request, error_body(str(exc)), status=exc.status_code)


def _on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, error_body("Not found."), status=404)


def _on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    message = str(exc) or "You may not do this."
    return api.create_response(request, error_body(message), status=403)


api.add_exception_handler(NinjaValidationError, _on_validation_error)  # type: ignore[arg-type]
api.add_exception_handler(DjangoValidationError, _on_django_validation_error)  # type: ignore[arg-type]
api.add_exception_handler(HttpError, _on_http_error)  # type: ignore[arg-type]
api.add_exception_handler(Http404, _on_not_found)  # type: ignore[arg-type]
api.add_exception_handler(PermissionDenied, _on_permission_denied)  # type: ignore[arg-type]

# --- Routers (one line per feature app) ----------------------------------------------

api.add_router("/service", service_router, tags=["service"])
