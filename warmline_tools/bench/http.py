"""Pages over HTTP, as users meet them: one helper every benchmark section uses.

    with BenchServer.start() as server:                 # `warmline serve`, production settings
        timings = server.measure(user=rep, steps=[...])  # client in its own process

`BenchServer` runs `warmline serve` (uvicorn, one process) on a free local port with the
settings production runs with: DEBUG off, a SECRET_KEY and ALLOWED_HOSTS from the
environment, the database the benchmark seeded (on PostgreSQL through the connection pool,
as `warmline serve` configures it; REDIS_URL passed through when set). `measure` signs the
user in (a database session, the cookie a browser would hold) and runs the client,
`python -m warmline_tools.bench.client`, in a separate process: it imports nothing of Django,
times each request from its own side of the socket and returns JSON timings. `cold` starts a
new server for every page and times that page's first request after start-up.

The server reads the benchmark's database from outside, so the rows must be committed: not
a test's transaction, and not an in-memory SQLite database.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from warmline_tools.net import HOST, free_port, stop_process, wait_http_ok

Step = dict[str, Any]


class BenchHttpError(Exception):
    """The server did not start, or the client stopped on an unexpected answer."""


def database_env() -> dict[str, str]:
    """The environment that points `warmline serve` at the database this process uses."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise BenchHttpError("a server process cannot open an in-memory SQLite database")
        return {"DATABASE_URL": "", "SQLITE_PATH": name}
    login = quote(str(db["USER"] or ""), safe="")
    if db["PASSWORD"]:
        login += ":" + quote(str(db["PASSWORD"]), safe="")
    where = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return {"DATABASE_URL": f"postgres://{login}@{where}/{quote(str(db['NAME']), safe='')}"}


def production_env(
    *, workdir: Path, secret_key: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """`warmline serve` as deployed: DEBUG off, its own SECRET_KEY, ALLOWED_HOSTS set."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "warmline.settings",
        "WARMLINE_DATA_DIR": str(workdir),
        "DEBUG": "0",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": f"{HOST},localhost",
        "LOG_LEVEL": "WARNING",
        **database_env(),
    }
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    env.update(extra or {})
    return env


def signed_in_session(user: Any, *, secret_key: str | None = None) -> str:
    """The key of a new database session signed in as `user`: the cookie a browser holds
    after signing in (a server with Redis sessions finds it in the database too). Signed
    with `secret_key`, the server's, when it is not this process's."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.test.utils import override_settings

    with override_settings(SECRET_KEY=secret_key or settings.SECRET_KEY):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
    return str(session.session_key)


@dataclass
class HttpTimings:
    """Milliseconds per key, as the client measured them (request written to response read)."""

    samples: dict[str, list[float]]
    requests: int  # every request the client made, panels and warm-ups included


class BenchServer:
    """One `warmline serve` process on a free port, stopped (and its directory removed) on
    leaving the `with` block."""

    def __init__(
        self, *, proc: subprocess.Popen[bytes], port: int, workdir: Path, secret_key: str
    ) -> None:
        self.proc, self.port, self.workdir = proc, port, workdir
        self.secret_key = secret_key

    @classmethod
    @contextmanager
    def start(cls, *, env: dict[str, str] | None = None) -> Iterator[BenchServer]:
        workdir = Path(tempfile.mkdtemp(prefix="warmline-bench-http-"))
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "warmline.cli",
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-level",
            "warning",
        ]
        log_path = workdir / "server.log"
        secret_key = secrets.token_urlsafe(50)
        with log_path.open("ab") as log:
            proc = subprocess.Popen(  # noqa: S603 - a fixed command
                command,
                env=production_env(workdir=workdir, secret_key=secret_key, extra=env),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = cls(proc=proc, port=port, workdir=workdir, secret_key=secret_key)
        try:
            try:
                wait_http_ok(f"http://{HOST}:{port}/healthz", proc=proc)
            except RuntimeError as exc:
                raise BenchHttpError(f"{exc}; the server said:\n{server.log_tail()}") from exc
            yield server
        finally:
            stop_process(proc)
            shutil.rmtree(workdir, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = (self.workdir / "server.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def measure(self, *, user: Any, steps: Sequence[Step], timeout: float = 1800) -> HttpTimings:
        """Run the client in its own process, signed in as `user`, through `steps` (see
        `warmline_tools.bench.client`)."""
        plan = {
            "host": HOST,
            "port": self.port,
            "cookies": {
                settings.SESSION_COOKIE_NAME: signed_in_session(user, secret_key=self.secret_key)
            },
            "csrf_cookie": settings.CSRF_COOKIE_NAME,
            "steps": list(steps),
        }
        done = subprocess.run(  # noqa: S603 - a fixed command
            [sys.executable, "-m", "warmline_tools.bench.client"],
            input=json.dumps(plan),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        try:
            result = json.loads(done.stdout or "{}")
        except json.JSONDecodeError:
            result = {"error": (done.stdout + done.stderr)[-2000:]}
        if done.returncode != 0 or "error" in result:
            raise BenchHttpError(
                f"the HTTP client stopped: {result.get('error') or done.stderr[-2000:]}; "
                f"the server said:\n{self.log_tail()}"
            )
        return HttpTimings(samples=result["samples"], requests=int(result["requests"]))


def http_measure(*, user: Any, steps: Sequence[Step]) -> HttpTimings:
    """Start a server, run `steps` as `user` through the client, stop the server."""
    with BenchServer.start() as server:
        return server.measure(user=user, steps=steps)


def http_cold(*, user: Any, pages: dict[str, Step], runs: int = 1) -> dict[str, list[float]]:
    """Each page's first request after the server started (a deploy, a restart): for every
    page and run a new server, one request. Every server has answered its health check
    (what a load balancer asks before sending users), nothing else."""
    out: dict[str, list[float]] = {key: [] for key in pages}
    for _ in range(runs):
        for key, step in pages.items():
            with BenchServer.start() as server:
                timings = server.measure(user=user, steps=[{**step, "key": key, "timed": True}])
            out[key].extend(timings.samples[key])
    return out


def http_possible() -> bool:
    """Whether a server process can see what this process wrote: committed rows (not a
    test's transaction) in a database another process can open (not in-memory SQLite)."""
    if connection.in_atomic_block:
        return False
    name = str(connection.settings_dict.get("NAME") or "")
    return not (connection.vendor == "sqlite" and (name == ":memory:" or "mode=memory" in name))
