"""What an API token may do. Feature apps register their scopes from AppConfig.ready()
(e.g. "service:write"); the admin offers the registered ones when a token is created."""

from __future__ import annotations

_scopes: dict[str, str] = {}


def scope_register(*, name: str, description: str) -> None:
    _scopes[name] = description


def scope_choices() -> list[tuple[str, str]]:
    return [(name, f"{name} — {text}") for name, text in sorted(_scopes.items())]


def scope_known(name: str) -> bool:
    return name in _scopes
