""" "A customer touched us": the timeline announces each entry it records, and the apps
that keep facts derived from touches listen (the contact's last personal touch, the call
queue's reconnect reasons). The timeline sits below both, so it cannot call them.

Listeners run inside the writing transaction: the entry and what follows from it commit
together, or neither does. Bulk writers (imports, the demo) that bypass the timeline's
services keep the derived facts themselves and call `touches_recorded` once per batch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Touch:
    contact_id: int
    kind: str  # a warmline.timeline.models.Kind value
    occurred_at: dt.datetime
    is_personal: bool


TouchListener = Callable[[list[Touch]], None]
_listeners: dict[str, TouchListener] = {}


def touch_listen(*, key: str, listener: TouchListener) -> None:
    """Add (or replace, by key) a listener. Call from an AppConfig.ready()."""
    _listeners[key] = listener


def touches_recorded(touches: list[Touch]) -> None:
    """Tell every listener, in the order they registered."""
    if not touches:
        return
    for listener in list(_listeners.values()):
        listener(touches)
