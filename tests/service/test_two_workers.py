"""Two real worker processes run the SLA pass against the same PostgreSQL database at the
same time: every step of every case alerts exactly once, and no case is worked twice."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import ContactFactory
from tests.service.conftest import Book
from warmline.alerts.models import Alert
from warmline.service.models import Case, SlaStepFired
from warmline_tools.bench.http import database_env

ROOT = Path(__file__).resolve().parents[2]
CASES = 150


@pytest.mark.django_db(transaction=True)
def test_two_workers_raise_each_alert_once(book: Book) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "two-worker test needs PostgreSQL (SQLite's test database is in memory and "
            "invisible to other processes); run with DATABASE_URL=postgres://..."
        )
    opened = timezone.now() - dt.timedelta(minutes=35)
    contacts = [ContactFactory(owner=book.company.rep) for _ in range(5)]
    Case.objects.bulk_create(
        Case(
            contact=contacts[i % len(contacts)],
            subject=f"Case {i}",
            opened_at=opened,
            next_step_due_at=opened,  # the pass re-times it from the policy
        )
        for i in range(CASES)
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_env()["DATABASE_URL"],
        "DJANGO_SETTINGS_MODULE": "warmline.settings",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "0",
    }
    command = [sys.executable, "-m", "warmline.cli", "escalatecases"]
    workers = [
        subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=120) for w in workers]
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    claimed = [int(re.search(r"(\d+) claimed", out).group(1)) for out, _ in outputs]  # type: ignore[union-attr]

    # first response: warn (superseded, no alert) + breach (rep) + manager (manager)
    assert SlaStepFired.objects.count() == CASES * 3
    assert Alert.objects.count() == CASES * 2
    assert Alert.objects.filter(recipient=book.company.rep).count() == CASES
    assert Alert.objects.filter(recipient=book.company.manager).count() == CASES
    print("claimed per worker:", claimed)
    assert sum(claimed) == CASES  # no case was worked by both
    assert not Case.objects.filter(next_step_due_at__lte=timezone.now()).exists()
