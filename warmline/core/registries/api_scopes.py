"""What an API token may do. Feature apps register their scopes from AppConfig.ready()
(e.g. "service:write"); the admin offers the registered ones when a token is created, and
each endpoint names the scope it needs with `scope_require`."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthorizationError

_scopes: dict[str, str] = {}


def scope_register(*, name: str, description: str) -> None:
    _scopes[name] = description


def scope_choices() -> list[tuple[str, str]]:
    return [(name, f"{name} — {text}") for name, text in sorted(_scopes.items())]


def scope_known(name: str) -> bool:
    return name in _scopes


def scope_require(request: HttpRequest, scope: str) -> Any:
    """The acting user (the token's owner, a warmline.users.User) if the request's token
    has `scope`; otherwise a 403. The token is the one the API's authentication accepted."""
    token: Any = getattr(request, "auth", None) or getattr(request, "api_token", None)
    if token is None or not hasattr(token, "has_scope") or not token.has_scope(scope):
        raise AuthorizationError(message=f"This API token lacks the “{scope}” scope.")
    return token.owner
