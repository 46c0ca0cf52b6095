from __future__ import annotations

import threading

import pytest

from warmline.core import periodic

pytestmark = pytest.mark.django_db  # each run tidies the thread's database connections


@pytest.fixture
def clean_jobs():  # type: ignore[no-untyped-def]
    saved = dict(periodic._jobs)
    periodic._jobs.clear()
    yield
    periodic._jobs.clear()
    periodic._jobs.update(saved)


def test_alerts_registers_its_jobs():
    names = {job.name for job in periodic.periodic_jobs()}
    assert {"alerts.outbox_dispatch_due", "alerts.live_event_prune"} <= names


def test_due_jobs_run_once_per_interval(clean_jobs):
    calls: list[str] = []
    periodic.periodic_register(name="a", every_seconds=10, func=lambda: calls.append("a"))
    periodic.periodic_register(name="b", every_seconds=1, func=lambda: calls.append("b"))

    assert periodic.periodic_run_due(now=100.0) == ["a", "b"]  # first run: at once
    assert periodic.periodic_run_due(now=100.5) == []
    assert periodic.periodic_run_due(now=101.0) == ["b"]
    assert periodic.periodic_run_due(now=110.0) == ["a", "b"]
    assert calls == ["a", "b", "b", "a", "b"]


def test_a_failing_job_is_logged_and_the_others_still_run(clean_jobs, caplog):
    calls: list[str] = []

    def boom() -> None:
        raise RuntimeError("smtp down")

    periodic.periodic_register(name="boom", every_seconds=1, func=boom)
    periodic.periodic_register(name="ok", every_seconds=1, func=lambda: calls.append("ok"))
    assert periodic.periodic_run_due(now=1.0) == ["boom", "ok"]
    assert calls == ["ok"]
    assert "periodic job boom failed" in caplog.text


def test_registering_again_replaces_and_rejects_nonsense(clean_jobs):
    periodic.periodic_register(name="x", every_seconds=5, func=lambda: None)
    periodic.periodic_register(name="x", every_seconds=7, func=lambda: None)
    assert [job.every_seconds for job in periodic.periodic_jobs()] == [7.0]
    with pytest.raises(ValueError):
        periodic.periodic_register(name="y", every_seconds=0, func=lambda: None)


def test_run_forever_stops_when_asked(clean_jobs):
    stop = threading.Event()
    ran = threading.Event()

    def job() -> None:
        ran.set()
        stop.set()

    periodic.periodic_register(name="once", every_seconds=60, func=job)
    thread = periodic.periodic_start_thread(stop=stop)
    assert ran.wait(timeout=5)
    thread.join(timeout=5)
    assert not thread.is_alive()
