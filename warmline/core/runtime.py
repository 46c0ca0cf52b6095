"""Running Warmline's processes: the web server (uvicorn) and the background worker
(django-tasks-db's worker plus the periodic jobs of `warmline.core.periodic`).

`warmline serve`, `warmline worker` and `warmline demo` are thin commands over these.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from django.db import connections
from django.utils.crypto import get_random_string
from rich.console import Console

from warmline.core.env import env_int, env_str

logger = logging.getLogger("warmline.runtime")

ASGI_APP = "warmline.asgi:application"


def default_host() -> str:
    return env_str("WARMLINE_HOST", "127.0.0.1")


def default_port() -> int:
    return env_int("WARMLINE_PORT", 8000)


def default_workers() -> int:
    return env_int("WEB_CONCURRENCY", 1)


def rich_console(stdout: Any) -> Console:
    """A rich console writing to a management command's stdout (its underlying stream, so
    rich's own line handling is not doubled by Django's OutputWrapper)."""
    return Console(file=getattr(stdout, "_out", stdout), highlight=False)


def db_task_backend_in_use(alias: str = "default") -> bool:
    """True when tasks go to the database queue (so someone has to run a worker)."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.compat import task_backends

    return isinstance(task_backends[alias], DatabaseBackend)


@dataclass
class BackgroundWork:
    """The task worker and the periodic jobs, each in a thread of this process.

    Used by `warmline demo`, where web and jobs share one process (so the in-process
    real-time broker reaches every open tab). `stop()` lets a running task finish.
    """

    interval: float = 1.0
    tasks: bool = True
    periodic: bool = True
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _worker: object | None = None

    def start(self) -> None:
        if self.tasks and db_task_backend_in_use():
            from django_tasks_db.management.commands.db_worker import Worker

            worker = Worker(
                queue_names=["*"],
                interval=self.interval,
                batch=False,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id=f"demo-{get_random_string(12)}",
                excluded_queue_names=[],
            )
            self._worker = worker
            self._spawn("warmline-tasks", worker.run)
        if self.periodic:
            from warmline.core.periodic import periodic_run_forever

            self._spawn("warmline-periodic", lambda: periodic_run_forever(self._stop))

    def _spawn(self, name: str, target: Callable[[], object]) -> None:
        def run() -> None:
            try:
                target()
            except Exception:
                logger.exception("%s stopped with an error", name)
            finally:
                connections.close_all()

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    @property
    def running(self) -> list[str]:
        return [t.name for t in self._threads if t.is_alive()]

    def stop(self, timeout: float = 30.0) -> None:
        """Ask every thread to finish (idempotent) and wait for them."""
        self._stop.set()
        if self._worker is not None:
            self._worker.running = False  # type: ignore[attr-defined]
        for thread in self._threads:
            thread.join(timeout=timeout)
        self._threads = [t for t in self._threads if t.is_alive()]


class HookedServer(uvicorn.Server):
    """uvicorn calling `on_started` once it listens and `on_shutdown` when it stops."""

    def __init__(
        self,
        config: uvicorn.Config,
        *,
        on_started: Callable[[], object],
        on_shutdown: Callable[[], object],
    ) -> None:
        super().__init__(config)
        self._on_started = on_started
        self._on_shutdown = on_shutdown

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_started()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets=sockets)
        self._on_shutdown()


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(0)


def serve_with_background_work(
    config: uvicorn.Config, *, on_started: Callable[[], object] = lambda: None
) -> None:
    """One process serving the web and running the task worker and periodic jobs in
    threads (embedded mode): `warmline demo` and `warmline serve --with-worker`. The
    in-process real-time broker then reaches every open tab without Redis."""
    background = BackgroundWork()
    server = HookedServer(config, on_started=on_started, on_shutdown=background.stop)
    previous = signal.signal(signal.SIGTERM, _terminate)
    background.start()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        background.stop()
        signal.signal(signal.SIGTERM, previous)
