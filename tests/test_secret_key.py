"""No production process runs on the public development key: `serve`, `worker` and the ASGI
entry refuse to start with one line, `check --deploy` fails, and `warmline demo` keeps a
random key of its own in the data directory."""

from __future__ import annotations

import io
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError

from warmline.core.secret_key import (
    DEV_SECRET_KEY,
    KEY_FILE_NAME,
    REFUSAL,
    secret_key_check,
    secret_key_keep,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def no_key(settings):  # type: ignore[no-untyped-def]
    """What settings hold with DEBUG off and no SECRET_KEY in the environment."""
    settings.DEBUG = False
    settings.SECRET_KEY = DEV_SECRET_KEY
    return settings


def _without_key(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.update(WARMLINE_DATA_DIR=str(tmp_path), DATABASE_URL="", REDIS_URL="", **extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def _assert_refused(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Refusing to start: SECRET_KEY is not set" in lines[0]
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_serve_and_worker_refuse_to_start_without_a_key(tmp_path, command):
    done = _run(["-m", "warmline.cli", command], _without_key(tmp_path))
    _assert_refused(done)
    assert done.stderr.startswith("CommandError: Refusing to start")
    assert done.stdout == ""  # refused before the system and migration checks spoke


def test_the_asgi_entry_refuses_to_start_under_uvicorn_without_a_key(tmp_path):
    port = _free_port()
    done = _run(
        ["-m", "uvicorn", "warmline.asgi:application", "--port", str(port), "--log-level", "error"],
        _without_key(tmp_path),
    )
    _assert_refused(done)


def test_with_debug_on_the_development_key_is_allowed(tmp_path):
    done = _run(["-c", "import warmline.asgi; print('loaded')"], _without_key(tmp_path, DEBUG="1"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "loaded"


def test_serve_refuses_in_process_too(no_key, monkeypatch):
    from warmline.core.management.commands import serve

    monkeypatch.setattr(serve.uvicorn, "run", lambda *a, **kw: pytest.fail("served"))
    with pytest.raises(CommandError) as refused:
        call_command("serve")
    assert str(refused.value) == REFUSAL


def test_worker_refuses_in_process_too(no_key):
    with pytest.raises(CommandError, match="SECRET_KEY is not set"):
        call_command("worker", "--batch", "--no-reload")


@pytest.mark.django_db
def test_serve_starts_with_a_key_of_its_own(monkeypatch):
    from warmline.core.management.commands import serve

    served = []
    monkeypatch.setattr(serve.uvicorn, "run", lambda *a, **kw: served.append(a))
    call_command("serve", skip_checks=True)
    assert served


def test_check_deploy_fails_on_the_development_key(no_key):
    with pytest.raises(SystemCheckError, match=r"warmline\.E001"):
        call_command("check", "--deploy", stdout=io.StringIO(), stderr=io.StringIO())


def test_check_deploy_accepts_a_real_key(settings):
    settings.SECRET_KEY = "x9" * 30
    assert secret_key_check() == []
    call_command("check", "--deploy", stdout=io.StringIO(), stderr=io.StringIO())


def test_the_check_is_not_run_outside_deploy(no_key):
    call_command("check", stdout=io.StringIO())  # no SystemCheckError: dev and tests work


# -- warmline demo: a key kept in the data directory ---------------------------------------
def test_demo_key_is_made_once_and_kept(no_key, tmp_path):
    secret_key_keep(tmp_path)
    kept = (tmp_path / KEY_FILE_NAME).read_text().strip()
    assert kept == django_settings.SECRET_KEY
    assert len(kept) >= 50 and kept != DEV_SECRET_KEY
    assert stat.S_IMODE((tmp_path / KEY_FILE_NAME).stat().st_mode) == 0o600

    no_key.SECRET_KEY = DEV_SECRET_KEY  # the next start, with the same data directory
    secret_key_keep(tmp_path)
    assert kept == django_settings.SECRET_KEY


def test_demo_key_from_the_environment_wins(settings, tmp_path):
    settings.SECRET_KEY = "from-the-environment-" * 3
    secret_key_keep(tmp_path)
    assert django_settings.SECRET_KEY == "from-the-environment-" * 3
    assert not (tmp_path / KEY_FILE_NAME).exists()


def test_demo_key_replaces_an_empty_file(no_key, tmp_path):
    (tmp_path / KEY_FILE_NAME).write_text("")
    secret_key_keep(tmp_path)
    assert len(django_settings.SECRET_KEY) >= 50
    assert (tmp_path / KEY_FILE_NAME).read_text().strip() == django_settings.SECRET_KEY
    assert list(tmp_path.iterdir()) == [tmp_path / KEY_FILE_NAME]


def test_demo_command_keeps_its_key_in_the_data_directory(no_key, tmp_path):
    no_key.DATA_DIR = tmp_path
    with socket.socket() as busy:  # stops the command right after the key, before loading
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError, match="already in use"):
            call_command("demo", "--port", str(port), stdout=io.StringIO())
    assert (tmp_path / KEY_FILE_NAME).read_text().strip() == django_settings.SECRET_KEY
    assert django_settings.SECRET_KEY != DEV_SECRET_KEY


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
