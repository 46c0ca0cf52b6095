"""A rep's first working day, in a real browser: log in, find a customer by a fragment of
their phone number typed the way people type it, and write a note on their timeline."""

from __future__ import annotations

import pytest

from tests.factories import AccountFactory, ContactFactory, TeamFactory, UserFactory
from warmline.timeline.models import Interaction, Kind
from warmline.users.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_search_by_phone_fragment_and_add_note(live_server, chromium_browser, artifacts_dir):
    team = TeamFactory(name="East")
    rep = UserFactory(
        username="rita",
        first_name="Rita",
        last_name="Reyes",
        role=Role.REP,
        team=team,
        password="correct horse battery",
    )
    account = AccountFactory(name="Acme Pumps", country="US")
    dana = ContactFactory(
        owner=rep,
        account=account,
        first_name="Dana",
        last_name="Kowalski",
        phones=[("+1 415 555 2671", "work")],
    )
    for i in range(30):
        ContactFactory(
            owner=rep,
            first_name=f"Other{i}",
            last_name="Customer",
            phones=[(f"+1 212 555 01{i:02d}", "work")],
        )

    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("rita")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/contacts/")
    search = page.get_by_role("searchbox")
    search.fill("(415) 555-26")
    # htmx swaps the results in place: the other 30 contacts disappear, Dana stays.
    page.get_by_role("link", name="Dana Kowalski").wait_for()
    page.wait_for_function("() => !document.body.innerText.includes('Other1 Customer')")
    assert "(415)" in page.url or "415" in page.url  # the search is in the address bar
    page.get_by_role("link", name="Dana Kowalski").click()
    page.wait_for_url(f"{live_server.url}/contacts/{dana.pk}/")

    note = "Asked about the X200 pump retrofit; call back after the trade fair."
    page.get_by_label("Note", exact=True).fill(note)
    page.get_by_role("button", name="Add note").click()
    page.get_by_text(note).wait_for()
    page.screenshot(path=str(artifacts_dir / "rep-first-day-contact.png"), full_page=True)

    entry = Interaction.objects.get(contact=dana, kind=Kind.NOTE)
    assert entry.body == note
    assert entry.author == rep

    phone = chromium_browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    mobile = phone.new_page()
    mobile.goto(f"{live_server.url}/login/")
    mobile.get_by_label("Username").fill("rita")
    mobile.get_by_label("Password").fill("correct horse battery")
    mobile.get_by_role("button", name="Log in").click()
    mobile.goto(f"{live_server.url}/contacts/{dana.pk}/")
    mobile.get_by_text(note).wait_for()
    width = mobile.evaluate("() => document.documentElement.scrollWidth")
    mobile.screenshot(path=str(artifacts_dir / "rep-first-day-phone.png"), full_page=True)
    assert width <= 390, f"the contact page scrolls sideways on a phone ({width}px wide)"
    context.close()
    phone.close()
