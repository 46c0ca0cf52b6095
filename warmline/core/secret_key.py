"""The signing key (SECRET_KEY) signs sessions, password-reset links and the portal's
sign-in links, so a production process never runs on a key anyone can read.

Without SECRET_KEY in the environment, settings fall back to `DEV_SECRET_KEY` so that
one-off commands, `DEBUG=1` and the tests work; `warmline serve`, `warmline worker` and the
ASGI/WSGI entry points refuse to start on it unless DEBUG is on, and `check --deploy`
fails (warmline.E001). `warmline demo` needs no environment: it makes a random key once
and keeps it in the data directory, so sessions and sign-in links survive restarts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

# settings.py imports DEV_SECRET_KEY from here, so this module imports no more of Django
# at the top than the lazy settings object.

# Public (it is in the source), so it signs nothing that matters. The "django-insecure-"
# prefix also makes Django's own `check --deploy` warn about it (security.W009).
DEV_SECRET_KEY = "django-insecure-warmline-development-key-never-use-it-in-production"

KEY_FILE_NAME = "secret_key"

REFUSAL = (
    "Refusing to start: SECRET_KEY is not set (and DEBUG is off). Set it to a long random "
    'value, e.g. the output of: python -c "import secrets; print(secrets.token_urlsafe(50))"'
    " (or try Warmline with `warmline demo`, which keeps a key of its own)."
)

_MIN_LENGTH = 50  # what Django's check --deploy asks of a key


def secret_key_is_public() -> bool:
    """True when the key in use is the development key (settings' stand-in for none)."""
    return bool(settings.SECRET_KEY == DEV_SECRET_KEY)


def secret_key_refusal() -> str | None:
    """Why this process must not serve or work with the key it has, or None. With DEBUG on
    the development key is fine."""
    if settings.DEBUG or not secret_key_is_public():
        return None
    return REFUSAL


def secret_key_exit_if_public() -> None:
    """For entry points that are no management command (warmline.asgi, warmline.wsgi): print
    the one-line refusal to stderr and exit with status 1, without a traceback."""
    refusal = secret_key_refusal()
    if refusal:
        print(refusal, file=sys.stderr)
        raise SystemExit(1)


def secret_key_keep(data_dir: Path | None = None) -> None:
    """`warmline demo`'s key: without SECRET_KEY in the environment, use the one kept in
    `data_dir` (WARMLINE_DATA_DIR), making a random one there the first time."""
    from django.core.management.utils import get_random_secret_key

    if not secret_key_is_public():
        return  # the environment gave one: it wins
    path = Path(data_dir or settings.DATA_DIR) / KEY_FILE_NAME
    key = _read(path)
    if len(key) < _MIN_LENGTH:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(path, get_random_secret_key(), replace=path.exists())
        key = _read(path)
    settings.SECRET_KEY = key


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return ""


def _write(path: Path, key: str, *, replace: bool) -> None:
    """Write the key readable by its owner only. A new file is created exclusively, so two
    demos starting at once end up with the same key; an empty or cut-short one is replaced."""
    target = path.with_name(f".{path.name}.{os.getpid()}") if replace else path
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process made it first: read theirs
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    if replace:
        os.replace(target, path)


def secret_key_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """`check --deploy`: fail on a missing or development key (registered in core's apps)."""
    from django.core.checks import Error

    if not secret_key_is_public():
        return []
    return [
        Error(
            "SECRET_KEY is not set: sessions, password-reset links and sign-in links would be "
            "signed with a key anyone can read.",
            hint='Set SECRET_KEY to a long random value, e.g. python -c "import secrets; '
            'print(secrets.token_urlsafe(50))".',
            id="warmline.E001",
        )
    ]
