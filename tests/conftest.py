"""Shared fixtures: a small company with a manager, two reps in one team and an outsider."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from tests.ci import service_missing
from tests.factories import TeamFactory, UserFactory
from tests.keys import TEST_SECRET_KEY
from tests.smtp import SmtpServer, smtp_server_running
from warmline.users.models import Role, User


@dataclass
class Company:
    manager: User
    rep: User
    rep2: User
    outsider_rep: User
    other_manager: User
    marketer: User
    agent: User
    admin: User


@pytest.fixture
def company(db) -> Company:  # type: ignore[no-untyped-def]
    manager = UserFactory(username="maria", role=Role.MANAGER)
    other_manager = UserFactory(username="otto", role=Role.MANAGER)
    team = TeamFactory(name="East", manager=manager)
    west = TeamFactory(name="West", manager=other_manager)
    return Company(
        manager=manager,
        rep=UserFactory(username="rita", role=Role.REP, team=team),
        rep2=UserFactory(username="ravi", role=Role.REP, team=team),
        outsider_rep=UserFactory(username="olga", role=Role.REP, team=west),
        other_manager=other_manager,
        marketer=UserFactory(username="mark", role=Role.MARKETER),
        agent=UserFactory(username="agnes", role=Role.AGENT),
        admin=UserFactory(username="ada", role=Role.ADMIN, is_staff=True, is_superuser=True),
    )


@pytest.fixture
def rep_client(client, company):  # type: ignore[no-untyped-def]
    client.force_login(company.rep)
    return client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    """Argon2 is deliberately slow; tests that are not about hashing use MD5 (test-only)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _test_secret_key(settings):  # type: ignore[no-untyped-def]
    """The suite runs production settings (DEBUG off) with no SECRET_KEY in the environment,
    which `serve` and `worker` refuse: tests sign with a key of their own, as a deployment
    does (processes they start get it too, from `TEST_SECRET_KEY`)."""
    settings.SECRET_KEY = TEST_SECRET_KEY


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture
def chromium_browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Debian's Chromium through Playwright; skips with the reason where it is missing (fails
    under CI=true)."""
    if not Path(CHROMIUM).exists():
        service_missing(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install -y chromium)"
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # around it are ordinary blocking calls, which Django would otherwise refuse. Scoped to
    # the test (monkeypatch) so async-safety checks stay on everywhere else.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # Django keeps connections per context, and the test's ORM calls ran in the one
        # Playwright's loop set up: close them here, or the session's test database cannot
        # be dropped at the end ("is being accessed by other users" on PostgreSQL).
        connections.close_all()


@pytest.fixture
def artifacts_dir() -> Path:
    """Where browser tests leave their screenshots (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 (tests/smtp.py)."""
    with smtp_server_running() as server:
        yield server


@pytest.fixture
def smtp_settings(settings, smtp_server: SmtpServer) -> SmtpServer:  # type: ignore[no-untyped-def]
    """Django's mail goes to `smtp_server`."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    return smtp_server
