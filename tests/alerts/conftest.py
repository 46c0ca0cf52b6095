"""Fixtures for the alerts tests (the real SMTP server is tests/smtp.py's): a fake
Twilio-compatible SMS server, and — for the tests that run real worker and web processes —
a database of their own (a SQLite file, or a fresh PostgreSQL database when the suite runs
on PostgreSQL), because the test database of pytest-django is invisible to other
processes."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.ci import service_missing
from tests.conftest import Company
from tests.keys import TEST_SECRET_KEY
from tests.smtp import HOLD_SECONDS, ServerHold
from warmline_tools.net import free_port

ROOT = Path(__file__).resolve().parents[2]


# -- SMS ---------------------------------------------------------------------------------------
@dataclass
class SmsServer:
    """Speaks enough of Twilio's Messages API: basic auth, form body, 201 with a sid, and
    Twilio's idempotency (a repeated I-Twilio-Idempotency-Token returns the first answer)."""

    url: str
    sid: str = "AC0000test"
    token: str = "secret-token"
    requests: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)  # accepted, unique
    fail_next: list[int] = field(default_factory=list)  # status codes to answer first
    by_key: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    hold: ServerHold = field(default_factory=ServerHold)

    def wait_for(self, count: int, *, timeout: float = 20.0) -> list[dict[str, Any]]:
        return wait_until(lambda: self.messages if len(self.messages) >= count else None, timeout)


def _sms_handler(state: SmsServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            if state.hold.take("before"):
                state.hold.released.wait(HOLD_SECONDS)
                self._answer(503, {"code": 20503, "message": "held by the test, not accepted"})
                return
            auth = self.headers.get("Authorization", "")
            key = self.headers.get("I-Twilio-Idempotency-Token", "")
            record = {
                "path": self.path,
                "form": form,
                "auth": auth,
                "key": key,
                "idempotency_key": self.headers.get("Idempotency-Key", ""),
            }
            with state.lock:
                state.requests.append(record)
                status, body = self._decide(form, auth, key)
            if status == 201 and state.hold.take("after"):
                state.hold.released.wait(HOLD_SECONDS)
            self._answer(status, body)

        def _decide(self, form: dict[str, str], auth: str, key: str) -> tuple[int, dict[str, Any]]:
            """The answer to one request (called with the state's lock held)."""
            if state.fail_next:
                status = state.fail_next.pop(0)
                return status, {"code": 20500, "message": f"test failure {status}"}
            expected = "Basic " + base64.b64encode(f"{state.sid}:{state.token}".encode()).decode()
            if auth != expected:
                return 401, {"code": 20003, "message": "Authenticate"}
            if self.path != f"/2010-04-01/Accounts/{state.sid}/Messages.json":
                return 404, {"code": 20404, "message": "Not found"}
            if key and key in state.by_key:
                return 201, {"sid": state.by_key[key], "status": "queued"}
            sid = f"SM{len(state.messages):032d}"
            state.messages.append({**form, "sid": sid, "key": key})
            if key:
                state.by_key[key] = sid
            return 201, {"sid": sid, "status": "queued", "to": form.get("To")}

    return Handler


@pytest.fixture
def sms_server() -> Iterator[SmsServer]:
    port = free_port()
    state = SmsServer(url=f"http://127.0.0.1:{port}")
    httpd = ThreadingHTTPServer(("127.0.0.1", port), _sms_handler(state))
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def sms_settings(settings, sms_server: SmsServer) -> SmsServer:  # type: ignore[no-untyped-def]
    settings.SMS_PROVIDER = "twilio"
    settings.SMS_API_URL = sms_server.url
    settings.SMS_ACCOUNT_SID = sms_server.sid
    settings.SMS_AUTH_TOKEN = sms_server.token
    settings.SMS_FROM = "+15005550006"
    return sms_server


# -- tasks run at once ---------------------------------------------------------------------------
@pytest.fixture
def immediate_tasks(settings):  # type: ignore[no-untyped-def]
    """Run tasks at once, in process (django-tasks resets its backends on setting_changed)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return settings


@pytest.fixture
def people(company: Company) -> Company:
    """The shared company with what alerts need: addresses and a mobile for the rep."""
    company.rep.email = "rita@warmline.test"
    company.rep.mobile_phone = "+14155550101"
    company.rep.first_name, company.rep.last_name = "Rita", "Reyes"
    company.rep.save()
    company.manager.email = "maria@warmline.test"
    company.manager.first_name, company.manager.last_name = "Maria", "Moreno"
    company.manager.save()
    return company


# -- waiting without fixed sleeps ---------------------------------------------------------------
def wait_until(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


# -- other processes ----------------------------------------------------------------------------
@dataclass
class ProcDb:
    env: dict[str, str]
    workdir: Path

    def run(self, *args: str, extra_env: dict[str, str] | None = None) -> Any:
        """Run tests/alerts/scenario.py in the processes' database; returns its JSON."""
        done = subprocess.run(
            [sys.executable, "-m", "tests.alerts.scenario", *args],
            env={**self.env, **(extra_env or {})},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise AssertionError(f"scenario {args} failed:\n{done.stdout}\n{done.stderr}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def spawn(
        self, args: list[str], *, extra_env: dict[str, str] | None = None, log: str = "proc.log"
    ) -> subprocess.Popen[bytes]:
        handle = (self.workdir / log).open("ab")
        proc = subprocess.Popen(
            args,
            env={**self.env, **(extra_env or {})},
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        handle.close()
        return proc

    def worker(
        self, *, extra_env: dict[str, str] | None = None, log: str = "worker.log"
    ) -> subprocess.Popen[bytes]:
        """`warmline worker`: django-tasks-db's db_worker plus the periodic jobs."""
        return self.spawn(
            [
                sys.executable,
                "-m",
                "warmline.cli",
                "worker",
                "--interval",
                "0.05",
                "--no-startup-delay",
                "--queue-name",
                "*",
                "--no-reload",
            ],
            extra_env=extra_env,
            log=log,
        )

    def server(
        self, *, port: int, extra_env: dict[str, str] | None = None, log: str = "server.log"
    ) -> subprocess.Popen[bytes]:
        return self.spawn(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "warmline.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            extra_env=extra_env,
            log=log,
        )

    def log_text(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
            for p in sorted(self.workdir.glob("*.log"))
        )


def _postgres_create(url: str) -> tuple[str, Callable[[], None]]:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = f"warmline_alerts_{uuid.uuid4().hex[:10]}"
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return parts._replace(path=f"/{name}").geturl(), drop


@pytest.fixture(scope="session")
def proc_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcDb]:
    """A migrated database shared by every test that runs real processes."""
    workdir = tmp_path_factory.mktemp("alerts-procs")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SQLITE_PATH", "REDIS_URL", "TASKS_BACKEND"}
        and not k.startswith(("PYTEST_", "WARMLINE_TEST_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="warmline.settings",
        WARMLINE_DATA_DIR=str(workdir),
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="WARNING",
        DEBUG="0",
        SECRET_KEY=TEST_SECRET_KEY,
        PYTHONUNBUFFERED="1",
    )
    drop: Callable[[], None] | None = None
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        env["DATABASE_URL"], drop = _postgres_create(url)
    else:
        env["SQLITE_PATH"] = str(workdir / "procs.sqlite3")
    try:
        subprocess.run(
            [sys.executable, "-m", "django", "migrate", "-v0"],
            env=env,
            cwd=ROOT,
            check=True,
            timeout=180,
        )
        yield ProcDb(env=env, workdir=workdir)
    finally:
        if drop is not None:
            drop()


def redis_url_answering() -> str:
    """The Redis to test against, or skip the test saying why."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    parts = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1
        ):
            pass
        import redis

        redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1).ping()
    except Exception as exc:
        service_missing(
            f"Redis does not answer at {url} ({exc}); start it to test cross-process fan-out"
        )
    return url


__all__ = ["ProcDb", "SmsServer", "wait_until", "redis_url_answering"]
