"""The outbox's seam for e-mail a feature sends through it (not an alert's rung).

A feature that queues its own e-mail with `services.email_enqueue` (a rep's check-in note,
say) gives it an idempotency key with its own prefix ("calls-note:<uuid>") and registers
hooks for that prefix from its AppConfig.ready()::

    from warmline.alerts.outbox_hooks import OutboxHooks, outbox_hooks_register

    outbox_hooks_register(
        prefix="calls-note:",
        hooks=OutboxHooks(before_send=check_consent, after_sent=put_on_timeline),
    )

- `before_send(message)` runs after the row is claimed and before anything goes out; it may
  raise `services.DeliveryError` (permanent=True: the row fails for good, nothing is sent).
- `after_sent(message)` runs in the same transaction that marks the row sent, so what the
  feature records (a timeline entry) commits exactly when the row is marked sent. A hook that
  raises is logged and rolled back on its own (savepoint); the row stays sent.

The alerts app knows no feature: it only matches the key's prefix.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

if TYPE_CHECKING:
    from warmline.alerts.models import OutboxMessage

logger = logging.getLogger("warmline.alerts")

OutboxHook = Callable[["OutboxMessage"], object]


@dataclass(frozen=True)
class OutboxHooks:
    before_send: OutboxHook | None = None
    after_sent: OutboxHook | None = None


_hooks: dict[str, OutboxHooks] = {}


def outbox_hooks_register(*, prefix: str, hooks: OutboxHooks) -> None:
    """Set (or replace) the hooks for outbox rows whose idempotency key starts with `prefix`."""
    _hooks[prefix] = hooks


def outbox_hooks_unregister(*, prefix: str) -> None:
    _hooks.pop(prefix, None)


def outbox_hooks_for(key: str) -> OutboxHooks | None:
    for prefix, hooks in _hooks.items():
        if key.startswith(prefix):
            return hooks
    return None


def outbox_before_send(message: OutboxMessage) -> None:
    """Run the row's before-send hook; its DeliveryError propagates (that is its job)."""
    hooks = outbox_hooks_for(message.idempotency_key)
    if hooks is not None and hooks.before_send is not None:
        hooks.before_send(message)


def outbox_after_sent(message: OutboxMessage) -> bool:
    """Run the row's after-sent hook in a savepoint. Returns False when it failed."""
    hooks = outbox_hooks_for(message.idempotency_key)
    if hooks is None or hooks.after_sent is None:
        return True
    try:
        with transaction.atomic():
            hooks.after_sent(message)
    except Exception:
        logger.exception("alerts: after-sent hook failed (outbox message %s)", message.pk)
        return False
    return True
