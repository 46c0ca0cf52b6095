"""The acknowledge seam (warmline/alerts/hooks.py): a person's acknowledgement runs the hook
of the alert's kind once; a cause settling its own alerts runs none; a failing hook never
undoes the acknowledgement."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import pytest

from warmline.alerts.hooks import alert_ack_hook_register, alert_ack_hook_unregister
from warmline.alerts.models import Alert, OutboxMessage, Status
from warmline.alerts.services import (
    Step,
    alert_acknowledge,
    alert_acknowledge_cause,
    alert_raise,
)

pytestmark = pytest.mark.django_db

LADDER = [
    Step(after=dt.timedelta(0), channel="inapp"),
    Step(after=dt.timedelta(minutes=5), channel="email"),
]


@pytest.fixture
def calls() -> Iterator[list[tuple[Alert, object]]]:
    seen: list[tuple[Alert, object]] = []
    alert_ack_hook_register(kind="test_kind", hook=lambda alert, user: seen.append((alert, user)))
    yield seen
    alert_ack_hook_unregister(kind="test_kind")


def _alert(user, cause: str = "test:1", kind: str = "test_kind") -> Alert:  # type: ignore[no-untyped-def]
    return alert_raise(recipient=user, kind=kind, title="Something", cause=cause, ladder=LADDER)


def test_the_first_acknowledgement_runs_the_kind_s_hook_once(people, calls) -> None:  # type: ignore[no-untyped-def]
    alert = _alert(people.rep)
    alert_acknowledge(alert=alert, user=people.rep)
    alert_acknowledge(alert=alert, user=people.rep)  # a second one changes nothing
    assert [(a.pk, u) for a, u in calls] == [(alert.pk, people.rep)]


def test_other_kinds_and_settling_by_cause_run_no_hook(people, calls) -> None:  # type: ignore[no-untyped-def]
    alert_acknowledge(alert=_alert(people.rep, "other:1", kind="other"), user=people.rep)
    _alert(people.rep, "test:2")
    assert alert_acknowledge_cause(cause="test:2") == 1  # the cause itself moved on
    assert calls == []


def test_a_failing_hook_is_logged_and_the_acknowledgement_stands(people, caplog) -> None:  # type: ignore[no-untyped-def]
    def broken(alert, user):  # type: ignore[no-untyped-def]
        Alert.objects.filter(pk=alert.pk).update(title="half-done write")  # rolled back
        raise RuntimeError("feature is broken")

    alert_ack_hook_register(kind="test_kind", hook=broken)
    try:
        alert = _alert(people.rep)
        with caplog.at_level(logging.ERROR, logger="warmline.alerts"):
            alert = alert_acknowledge(alert=alert, user=people.rep)
    finally:
        alert_ack_hook_unregister(kind="test_kind")
    assert alert.acknowledged_at is not None and alert.title == "Something"
    assert "acknowledge hook for kind 'test_kind' failed" in caplog.text
    pending = OutboxMessage.objects.filter(alert=alert, channel="email").get()
    assert pending.status == Status.CANCELLED  # the ladder stopped all the same
