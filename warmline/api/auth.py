"""Bearer-token authentication and scope checks for every API router.

Requests carry `Authorization: Bearer wl_...`. The token's owner is the acting user, so
the same selectors that scope the web pages scope the API: a rep's token sees the rep's
book. Each endpoint names the scope it needs with
`warmline.core.registries.api_scopes.scope_require`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from warmline.api.models import ApiToken
from warmline.api.services import api_token_authenticate


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = api_token_authenticate(raw=token)
        if found is not None:
            request.api_token = found  # type: ignore[attr-defined]
        return found


def request_token(request: HttpRequest) -> ApiToken | None:
    token: Any = getattr(request, "auth", None) or getattr(request, "api_token", None)
    return token if isinstance(token, ApiToken) else None
