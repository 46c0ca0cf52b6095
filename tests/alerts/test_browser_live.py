"""A rep's open tabs, in a real browser against a real ASGI server: a customer's question,
posted through the public form, raises an alert on the server that shows up in every tab
within a second (toast, badge, browser notification, DOM event), and acknowledging it in one
tab clears it in the others."""

from __future__ import annotations

import time

import pytest

from tests.alerts.conftest import ProcDb
from warmline_tools.bench.alerts import PortalVisitor
from warmline_tools.net import free_port, stop_process, wait_http_ok

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"

# Records what the page does with notifications and live events.
SPY = """
window.__notes = [];
window.__events = [];
class SpyNotification {
  constructor(title, options) { window.__notes.push({title, tag: options && options.tag}); }
  static get permission() { return "granted"; }
  static requestPermission() { return Promise.resolve("granted"); }
  close() {}
}
window.Notification = SpyNotification;
document.addEventListener("warmline:alert", (e) => window.__events.push(e.detail.title));
"""


def _customer(proc_db: ProcDb, port: int, first: str, last: str, account: str) -> PortalVisitor:
    """A customer of rosa's, identified in a browser of their own by their magic link."""
    link = proc_db.run("customer", "rosa", first, last, "--account", account)
    visitor = PortalVisitor(port=port)
    visitor.follow_magic_link(link["token"])
    return visitor


def _ask(visitor: PortalVisitor, message: str) -> float:
    """The customer posts a question through the public form; returns when it was sent."""
    started = time.perf_counter()
    assert visitor.ask(message) == 302  # to the "sent" page
    return started


def test_alert_reaches_every_open_tab_and_ack_clears_it(
    proc_db: ProcDb, chromium_browser, artifacts_dir
):  # type: ignore[no-untyped-def]
    proc_db.run("user", "rosa", "--password", PASSWORD)
    port = free_port()
    server = proc_db.server(port=port, log="web-browser.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http_ok(f"{base}/healthz", proc=server)
        dana = _customer(proc_db, port, "Dana", "Kowalski", "Acme Pumps")
        priya = _customer(proc_db, port, "Priya", "Nair", "Borealis Foods")
        context = chromium_browser.new_context(
            viewport={"width": 1280, "height": 800}, reduced_motion="reduce"
        )
        context.add_init_script(SPY)
        tab1 = context.new_page()
        tab1.goto(f"{base}/login/?next=/alerts/")
        tab1.get_by_label("Username").fill("rosa")
        tab1.get_by_label("Password").fill(PASSWORD)
        tab1.get_by_role("button", name="Log in").click()
        tab1.wait_for_url(f"{base}/alerts/")
        tab2 = context.new_page()
        tab2.goto(f"{base}/alerts/?show=all")
        for tab in (tab1, tab2):
            tab.wait_for_function("() => document.documentElement.dataset.live === 'open'")

        title = "Dana Kowalski (Acme Pumps) asked a question"
        started = _ask(dana, "Do you have the X200 retrofit kit in stock for a March install?")
        tab1.locator(".wl-toast", has_text=title).wait_for(timeout=5000)
        elapsed = time.perf_counter() - started
        tab2.locator(".wl-toast", has_text=title).wait_for(timeout=5000)
        assert elapsed < 1.0, f"took {elapsed:.2f}s"

        for tab in (tab1, tab2):
            assert tab.locator("[data-alerts-count]").inner_text() == "1"
            assert tab.title().startswith("(1) ")
            assert tab.evaluate("window.__events") == [title]
            notes = tab.evaluate("window.__notes")
            assert [n["title"] for n in notes] == [title]
        tags = {tab.evaluate("window.__notes")[0]["tag"] for tab in (tab1, tab2)}
        assert len(tags) == 1  # one OS notification however many tabs: same tag
        assert tab1.get_by_role("link", name="Alerts, 1 waiting to be acknowledged").is_visible()
        # The alerts page itself refreshes its list when a live alert arrives.
        tab1.locator("#alerts-region .alert-item", has_text=title).wait_for(timeout=5000)
        tab1.screenshot(path=str(artifacts_dir / "alerts-live-toast-1280.png"))

        tab1.locator(".wl-toast", has_text=title).get_by_role("button", name="Acknowledge").click()
        for tab in (tab1, tab2):
            tab.locator(".wl-toast").wait_for(state="detached", timeout=5000)
            tab.wait_for_function("() => document.querySelector('[data-alerts-count]').hidden")
            assert not tab.title().startswith("(")
        # The other tab's list shows it acknowledged, without a reload.
        tab2.locator("#alerts-region .alert-item.is-acked", has_text=title).wait_for(timeout=5000)

        phone = chromium_browser.new_context(
            viewport={"width": 390, "height": 844},
            is_mobile=True,
            reduced_motion="reduce",
            storage_state=context.storage_state(),
        )
        phone.add_init_script(SPY)
        mobile = phone.new_page()
        mobile.goto(f"{base}/alerts/")
        mobile.wait_for_function("() => document.documentElement.dataset.live === 'open'")
        _ask(priya, "Could someone call me back about the spring order?")
        toast = mobile.locator(".wl-toast", has_text="Priya Nair")
        toast.wait_for(timeout=5000)
        box = toast.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        mobile.screenshot(path=str(artifacts_dir / "alerts-live-toast-390.png"))
        mobile.reload()
        mobile.wait_for_function("() => !document.querySelector('[data-alerts-count]').hidden")
        mobile.screenshot(path=str(artifacts_dir / "alerts-list-390.png"), full_page=True)
        tab1.reload()
        tab1.wait_for_function("() => !document.querySelector('[data-alerts-count]').hidden")
        tab1.screenshot(path=str(artifacts_dir / "alerts-list-1280.png"), full_page=True)
        phone.close()
        context.close()
    except BaseException:
        print(proc_db.log_text())
        raise
    finally:
        stop_process(server)
