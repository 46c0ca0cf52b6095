"""Periodic work: a tiny in-process scheduler that `warmline worker` and `warmline demo` run
beside the task worker.

Apps register their jobs in `AppConfig.ready()`::

    periodic_register(name="alerts.outbox_dispatch_due", every_seconds=5, func=...)

and one loop (`periodic_run_forever`) runs each job when it is due. Several worker processes
may run the loop at the same time, so every job must be safe to run concurrently: claim rows
with conditional updates and carry on only when exactly one row changed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import close_old_connections

logger = logging.getLogger("warmline.periodic")

# The loop never sleeps longer than this, so a stop request is honoured promptly and jobs
# registered late are still picked up.
MAX_IDLE_SECONDS = 1.0


@dataclass
class PeriodicJob:
    name: str
    every_seconds: float
    func: Callable[[], object]
    next_run: float = field(default=0.0)  # time.monotonic(); 0 means "at once"


_jobs: dict[str, PeriodicJob] = {}
_lock = threading.Lock()


def periodic_register(*, name: str, every_seconds: float, func: Callable[[], object]) -> None:
    """Add (or replace, by name) a job that runs every `every_seconds`, first at once."""
    if every_seconds <= 0:
        raise ValueError(f"periodic job {name!r}: every_seconds must be positive")
    with _lock:
        _jobs[name] = PeriodicJob(name=name, every_seconds=float(every_seconds), func=func)


def periodic_unregister(*, name: str) -> None:
    with _lock:
        _jobs.pop(name, None)


def periodic_jobs() -> list[PeriodicJob]:
    with _lock:
        return sorted(_jobs.values(), key=lambda job: job.name)


def periodic_run_job(job: PeriodicJob) -> bool:
    """Run one job now; log (never raise) its errors. True when it finished cleanly."""
    close_old_connections()
    try:
        job.func()
    except Exception:
        logger.exception("periodic job %s failed", job.name)
        return False
    finally:
        close_old_connections()
    return True


def periodic_run_due(*, now: float | None = None) -> list[str]:
    """Run every job whose time has come, once; return their names (in order run)."""
    now = time.monotonic() if now is None else now
    ran = []
    for job in periodic_jobs():
        if job.next_run <= now:
            # Schedule from the planned time, not from when the job ended, so a slow run
            # does not drift the cadence; but never schedule into the past.
            job.next_run = max(now, job.next_run) + job.every_seconds
            periodic_run_job(job)
            ran.append(job.name)
    return ran


def periodic_run_forever(stop: threading.Event) -> None:
    """Run due jobs until `stop` is set. Meant for a (daemon) thread beside the task worker."""
    logger.info("periodic jobs: %s", ", ".join(job.name for job in periodic_jobs()) or "none")
    while not stop.is_set():
        periodic_run_due()
        upcoming = [job.next_run for job in periodic_jobs()]
        wait = min(upcoming, default=time.monotonic() + MAX_IDLE_SECONDS) - time.monotonic()
        stop.wait(timeout=min(max(wait, 0.01), MAX_IDLE_SECONDS))
    logger.info("periodic jobs stopped")


def periodic_start_thread(*, stop: threading.Event) -> threading.Thread:
    """Start `periodic_run_forever(stop)` in a daemon thread and return it."""
    thread = threading.Thread(
        target=periodic_run_forever, args=(stop,), name="warmline-periodic", daemon=True
    )
    thread.start()
    return thread
