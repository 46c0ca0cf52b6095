"""`warmline serve --with-worker`: the embedded mode (web, task worker and periodic jobs in
one process)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.keys import TEST_SECRET_KEY
from warmline.core.runtime import BackgroundWork
from warmline_tools.bench.http import database_env
from warmline_tools.net import free_port, stop_process, wait_http_ok


@pytest.mark.django_db
def test_with_worker_serves_in_process_with_background_work(monkeypatch):
    from warmline.core.management.commands import serve

    configs = []
    monkeypatch.setattr(serve, "serve_with_background_work", lambda config: configs.append(config))
    monkeypatch.setattr(serve.uvicorn, "run", lambda *a, **kw: pytest.fail("not embedded"))
    call_command("serve", "--with-worker", "--port", "8124", skip_checks=True)
    assert configs[0].port == 8124
    assert configs[0].app == "warmline.asgi:application"


@pytest.mark.django_db
def test_with_worker_refuses_several_web_processes(monkeypatch):
    from warmline.core.management.commands import serve

    monkeypatch.setattr(serve, "serve_with_background_work", lambda config: None)
    with pytest.raises(CommandError, match="--workers 1"):
        call_command("serve", "--with-worker", "--workers", "2", skip_checks=True)


@pytest.mark.django_db(transaction=True)
def test_background_work_runs_the_periodic_thread_and_stops():
    work = BackgroundWork(tasks=False)
    work.start()
    try:
        assert work.running == ["warmline-periodic"]
    finally:
        work.stop(timeout=10)
    assert work.running == []


def _wait_healthy(proc: subprocess.Popen[bytes], port: int) -> None:
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/healthz", proc=proc)
    except RuntimeError as exc:
        stop_process(proc)
        output = proc.stdout.read().decode() if proc.stdout else ""
        raise AssertionError(f"{exc}\n{output}") from exc


def test_embedded_server_answers_and_stops_on_sigterm(tmp_path: Path):
    """A real process: migrate a fresh SQLite file, serve with the worker, ask /healthz."""
    env = {
        **os.environ,
        "WARMLINE_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "SECRET_KEY": TEST_SECRET_KEY,
    }
    cli = [sys.executable, "-m", "warmline.cli"]
    subprocess.run([*cli, "migrate", "-v0"], env=env, check=True, timeout=120)
    port = free_port()
    proc = subprocess.Popen(
        [*cli, "serve", "--with-worker", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_healthy(proc, port)
    finally:
        code = stop_process(proc, timeout=30)
    assert code == 0


@pytest.mark.django_db
def test_requests_share_pooled_postgresql_connections(tmp_path: Path):
    """Under uvicorn every request runs in a context of its own, so a "persistent"
    connection was never reused: each request connected anew (and prepared nothing). The
    pool keeps a few connections for the whole process."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the pool is PostgreSQL's")
    url = database_env()["DATABASE_URL"]
    env = {
        **os.environ,
        "WARMLINE_DATA_DIR": str(tmp_path),
        "DATABASE_URL": url,
        "SECRET_KEY": TEST_SECRET_KEY,
    }

    def sessions() -> int:
        """Connections ever opened to the database (backends flush their counts within a
        second; the snapshot is per transaction, and the test runs in one)."""
        time.sleep(1.5)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT sessions FROM pg_stat_database WHERE datname = %s",
                [connection.settings_dict["NAME"]],
            )
            return int(cursor.fetchone()[0])

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "warmline.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_healthy(proc, port)
        before = sessions()
        for _ in range(30):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                assert r.status == 200
        opened = sessions() - before
    finally:
        stop_process(proc, timeout=30)
    assert opened <= 2, f"30 requests opened {opened} database connections"
