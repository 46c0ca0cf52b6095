"""The alerts app's seam for "acknowledged": when a person acknowledges an alert (the toast,
the alerts list, the alert's page), the thing that caused it should follow — a question
goes from new to acknowledged, a service case is marked as seen. The alerts app knows no
cause, so each feature registers a hook for its own alert *kind* from AppConfig.ready()::

    from warmline.alerts.hooks import alert_ack_hook_register

    def question_alert_acknowledged(alert, user):
        ...  # question_acknowledge(question=..., user=user)

    alert_ack_hook_register(kind="question", hook=question_alert_acknowledged)

Hooks run inside the acknowledgement's transaction, once, right after the alert itself
was acknowledged (a repeat acknowledgement runs nothing). They run only for a person's
acknowledgement (`services.alert_acknowledge`), never for `alert_acknowledge_cause`, which
is how a source object settles its own alerts: so the two directions cannot loop.

A hook that raises is logged and rolled back on its own (savepoint): the person's
acknowledgement stands and stops the ladder whatever the feature does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import transaction

if TYPE_CHECKING:
    from warmline.alerts.models import Alert
    from warmline.users.models import User

logger = logging.getLogger("warmline.alerts")

AckHook = Callable[["Alert", "User | None"], object]
_hooks: dict[str, AckHook] = {}


def alert_ack_hook_register(*, kind: str, hook: AckHook) -> None:
    """Set (or replace) the hook for alerts of `kind`. Call from an AppConfig.ready()."""
    _hooks[kind] = hook


def alert_ack_hook_unregister(*, kind: str) -> None:
    _hooks.pop(kind, None)


def alert_ack_hook_get(*, kind: str) -> AckHook | None:
    return _hooks.get(kind)


def alert_ack_hooks_run(*, alert: Alert, user: User | None) -> bool:
    """Run the hook of the alert's kind, if any. Returns False when it failed."""
    hook = _hooks.get(alert.kind)
    if hook is None:
        return True
    try:
        with transaction.atomic():
            hook(alert, user)
    except Exception:
        logger.exception(
            "alerts: acknowledge hook for kind %r failed (alert %s)", alert.kind, alert.uuid
        )
        return False
    return True
