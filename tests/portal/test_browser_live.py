"""Two browsers, one question: the customer presses Ask on a product page and the rep's
Today page, already open in another browser, shows it without a reload — over the real
ASGI server (uvicorn) with the in-process broker, so the POST and the SSE stream share one
process exactly as in `warmline demo`.

pytest-django's live_server is a threaded WSGI server and cannot stream SSE, so this test
starts uvicorn in a subprocess against its own SQLite file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.keys import TEST_SECRET_KEY
from warmline_tools.net import free_port, stop_process, wait_http_ok

pytestmark = pytest.mark.browser

SETUP = r"""
import json
from warmline.people.models import Account
from warmline.people.services import ContactData, contact_create
from warmline_tools.demo.portal import portal_content_seed
from warmline.portal.services import magic_link_create
from warmline.users.models import Role, Team, User

portal_content_seed()
team = Team.objects.create(name="West")
rep = User.objects.create_user(
    username="rita", password="correct horse battery", first_name="Rita", last_name="Reyes",
    role=Role.REP, team=team, title="Account manager", direct_phone="+14155550123",
    email="rita@northwind.example",
)
acme = Account.objects.create(name="Acme Water", country="US")
dana = contact_create(data=ContactData(
    first_name="Dana", last_name="Kowalski", owner=rep, account=acme,
    emails=[("dana@acme.example", "work")], phones=[("+1 415 555 2671", "work")],
))
_, token = magic_link_create(contact=dana, email="dana@acme.example",
                             next_path="/site/products/x200-centrifugal-pump/")
print("SETUP" + json.dumps({"magic": f"/site/m/{token}/"}))
"""

# Records what live.js hands to the Notification API (permission granted) instead of
# showing an OS notification the headless browser cannot display.
FAKE_NOTIFICATION = """
window.__notifications = [];
window.Notification = function (title, options) {
  window.__notifications.push({title: title, body: (options || {}).body || ""});
};
window.Notification.permission = "granted";
window.Notification.requestPermission = function () { return Promise.resolve("granted"); };
"""


def _server_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)  # own SQLite file, in-process broker, async safety on
    env.update(
        WARMLINE_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="warmline.settings",
        TASKS_BACKEND="django_tasks.backends.dummy.DummyBackend",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
        SECRET_KEY=TEST_SECRET_KEY,
    )
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "warmline.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture
def asgi_server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    env = _server_env(tmp_path)
    _manage(env, "migrate", "--verbosity", "0")
    out = _manage(env, "shell", "--no-imports", "-c", SETUP)
    setup = json.loads(out.split("SETUP", 1)[1])
    port = free_port()
    log = (tmp_path / "uvicorn.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "uvicorn",
            "warmline.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_http_ok(base + "/healthz", proc=server)
        except RuntimeError as exc:
            raise RuntimeError((tmp_path / "uvicorn.log").read_text()) from exc
        yield {"url": base, **setup}
    finally:
        stop_process(server)
        log.close()


def test_customer_asks_and_the_reps_open_today_shows_it_live(
    asgi_server, chromium_browser, artifacts_dir
):
    base = asgi_server["url"]

    # The rep: logged in, Today open, live stream connected, notifications permitted.
    rep_ctx = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    rep_ctx.add_init_script(FAKE_NOTIFICATION)
    rep = rep_ctx.new_page()
    rep.goto(base + "/login/")
    rep.get_by_label("Username").fill("rita")
    rep.get_by_label("Password").fill("correct horse battery")
    rep.get_by_role("button", name="Log in").click()
    rep.wait_for_url(base + "/")
    panel = rep.locator("#q-panel")
    panel.get_by_text("No open questions").wait_for()
    rep.wait_for_function("() => document.documentElement.dataset.live === 'open'", timeout=10000)
    rep.evaluate("() => { window.__notReloaded = true; }")

    # The customer: signs in by magic link on a phone, reads the X200 page, asks.
    customer_ctx = chromium_browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True
    )
    customer = customer_ctx.new_page()
    customer.goto(base + asgi_server["magic"])
    customer.get_by_role("button", name="Continue").click()
    customer.wait_for_url(base + "/site/products/x200-centrifugal-pump/")
    customer.get_by_role("link", name="Ask me").click()
    customer.get_by_label("Your question").fill("Is the 316 stainless X200 in stock for May?")
    started = time.monotonic()
    customer.get_by_role("button", name="Send my question").click()

    item = panel.locator("[data-question-id]", has_text="Is the 316 stainless X200 in stock")
    item.wait_for(timeout=5000)
    latency = time.monotonic() - started
    customer.get_by_text("will answer").wait_for()
    customer.screenshot(path=str(artifacts_dir / "live-customer-sent-phone.png"), full_page=True)
    rep.screenshot(path=str(artifacts_dir / "live-rep-today-desktop.png"), full_page=True)
    print(f"question reached the rep's open Today page in {latency * 1000:.0f} ms")

    assert rep.evaluate("() => window.__notReloaded") is True, "the Today page reloaded"
    assert "Dana Kowalski" in item.inner_text()
    assert "X200 Centrifugal Pump" in item.inner_text()
    assert latency < 2, f"took {latency:.2f}s from pressing Send to the rep's screen"
    # live.js raised a browser notification for the alert (permission granted).
    rep.wait_for_function("() => window.__notifications.length > 0", timeout=5000)
    note = rep.evaluate("() => window.__notifications[0]")
    assert "Dana Kowalski" in note["title"]
    # The card's count follows the panel.
    assert rep.locator("#section-questions .count").inner_text() == "1"

    # Acknowledge from the panel (swapped in place, no reload), then mark answered.
    item.get_by_role("button", name="Acknowledge").click()
    panel.locator("[data-question-id] .badge", has_text="Acknowledged").wait_for()
    panel.get_by_role("button", name="Mark answered").click()
    panel.get_by_text("No open questions").wait_for()
    assert rep.evaluate("() => window.__notReloaded") is True

    # The same Today page on a phone.
    phone_ctx = chromium_browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone_ctx.add_cookies(rep_ctx.cookies())
    phone = phone_ctx.new_page()
    phone.goto(base + "/")
    phone.locator("#q-panel").wait_for()
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    phone.screenshot(path=str(artifacts_dir / "live-rep-today-phone.png"), full_page=True)
    assert width <= 390, f"Today scrolls sideways on a phone ({width}px)"
    for ctx in (rep_ctx, customer_ctx, phone_ctx):
        ctx.close()
