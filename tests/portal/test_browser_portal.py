"""The public site in a real browser: every public page at 1280 and 390 px (no sideways
scrolling), sign-in by magic link from the e-mail, the rep card, and asking a question."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.factories import AccountFactory, ContactFactory, UserFactory
from warmline.portal.models import Question
from warmline.users.models import Role
from warmline_tools.demo.portal import portal_content_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = {
    "home": "/site/",
    "products": "/site/products/",
    "product": "/site/products/x200-centrifugal-pump/",
    "news": "/site/news/",
    "news-item": "/site/news/x200-now-in-316-stainless/",
    "identify": "/site/identify/",
    "ask": "/site/ask/?from=/site/products/x200-centrifugal-pump/",
}


def _no_sideways_scroll(page, width: int, name: str) -> None:  # type: ignore[no-untyped-def]
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= width, f"{name} scrolls sideways at {width}px ({scroll}px wide)"


def test_public_pages_sign_in_and_ask(live_server, chromium_browser, artifacts_dir):
    portal_content_seed()
    rep = UserFactory(
        username="rita",
        first_name="Rita",
        last_name="Reyes",
        role=Role.REP,
        title="Account manager, West",
        direct_phone="+14155550123",
    )
    ContactFactory(
        owner=rep,
        account=AccountFactory(name="Acme Water"),
        first_name="Dana",
        last_name="Kowalski",
        emails=[("dana@acme.example", "work")],
    )

    # Anonymous: every public page, desktop and phone, no cookie set by browsing.
    for width, height, label in ((1280, 900, "desktop"), (390, 844, "phone")):
        context = chromium_browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        for name, path in PAGES.items():
            response = page.goto(live_server.url + path)
            assert response is not None and response.status == 200, path
            _no_sideways_scroll(page, width, name)
            page.screenshot(path=str(artifacts_dir / f"portal-{name}-{label}.png"), full_page=True)
            if name in ("home", "products", "product", "news", "news-item"):
                assert context.cookies() == [], f"{path} set a cookie"
        context.close()

    # Sign in by the e-mailed link on a phone, then the rep card is on every page.
    context = chromium_browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(live_server.url + "/site/products/x200-centrifugal-pump/")
    page.get_by_role("link", name="Customer? Sign in").click()
    page.get_by_label("Your work e-mail").fill("dana@acme.example")
    page.get_by_role("button", name="E-mail me a sign-in link").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/site/m/\S+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    page.goto(live_server.url + link.group(1))
    page.get_by_role("heading", name="Welcome back, Dana").wait_for()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(live_server.url + "/site/products/x200-centrifugal-pump/")
    card = page.get_by_role("complementary", name="Your contact")
    card.get_by_text("Rita Reyes").wait_for()
    assert card.get_by_role("link", name="+1 415-555-0123").get_attribute("href") == (
        "tel:+14155550123"
    )
    _no_sideways_scroll(page, 390, "product (identified)")
    page.screenshot(path=str(artifacts_dir / "portal-product-identified-phone.png"), full_page=True)

    card.get_by_role("link", name="Ask me").click()
    page.get_by_text("(the page you were on)").wait_for()
    page.get_by_label("Your question").fill("Does the X200 come with a 316 impeller?")
    page.get_by_text("Call me").click()
    page.get_by_role("button", name="Send my question").click()
    # No phone on file: the form says so and keeps what was typed.
    page.get_by_text("Give us a number to call you on.").wait_for()
    assert page.get_by_label("Your question").input_value() == (
        "Does the X200 come with a 316 impeller?"
    )
    page.screenshot(path=str(artifacts_dir / "portal-ask-error-phone.png"), full_page=True)
    page.get_by_label("Phone number").fill("(415) 555-2671")
    page.get_by_role("button", name="Send my question").click()
    page.get_by_text("will answer").wait_for()
    page.screenshot(path=str(artifacts_dir / "portal-ask-sent-phone.png"), full_page=True)
    text = page.get_by_role("status").inner_text()
    assert "Rita Reyes will answer by" in text and "within 2 business hours" in text
    question = Question.objects.get()
    assert question.page_title == "X200 Centrifugal Pump"
    assert question.preferred_channel == "call"
    assert question.callback_phone == "+14155552671"
    context.close()
