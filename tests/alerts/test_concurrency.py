"""Several workers at once: every outbox row is sent by exactly one of them."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from django.core import mail
from django.db import connection

from warmline.alerts.models import OutboxMessage
from warmline.alerts.services import Step, alert_raise, outbox_message_deliver

pytestmark = pytest.mark.django_db(transaction=True)


def _run_in_threads(count: int, target) -> list:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = target(index)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_concurrent_claimers_never_both_send(people):
    if connection.vendor == "sqlite":
        pytest.skip(
            "threads cannot write concurrently to pytest's in-memory SQLite database; "
            "test_processes.py::test_concurrent_worker_processes_never_both_send covers SQLite "
            "(a file database, as in production)"
        )
    rows = []
    for n in range(20):
        alert = alert_raise(
            recipient=people.rep,
            kind="question",
            title=f"Question {n}",
            cause=f"question:{n}",
            ladder=[Step(after=dt.timedelta(0), channel="email")],
        )
        rows.append(alert.messages.get().pk)

    def worker(index: int) -> Counter[str]:
        outcomes: Counter[str] = Counter()
        order = rows if index % 2 == 0 else list(reversed(rows))
        for pk in order:
            outcomes[outbox_message_deliver(message_id=pk, worker_id=f"worker-{index}")] += 1
        return outcomes

    results = _run_in_threads(4, worker)
    total = sum(results, Counter())
    assert total["sent"] == 20
    assert total["skipped"] == 3 * 20
    assert len(mail.outbox) == 20
    assert sorted(m.subject for m in mail.outbox) == sorted(f"Question {n}" for n in range(20))
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}
