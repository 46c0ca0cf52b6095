"""Call mode in a real browser: five cards with the keyboard only, then the timeline; and
the same flow by tapping on a phone-sized screen."""

from __future__ import annotations

import pytest

from tests.calls.conftest import make_overdue, zone_where_it_is
from tests.factories import AccountFactory, ContactFactory, TeamFactory, UserFactory
from warmline.calls.keys import keys_for_flow, keystrokes
from warmline.calls.models import Callback, CallLog
from warmline.people.services import fact_add
from warmline.timeline.models import Interaction, Kind
from warmline.users.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def _book():  # type: ignore[no-untyped-def]
    team = TeamFactory(name="East")
    rep = UserFactory(
        username="rita",
        first_name="Rita",
        last_name="Reyes",
        role=Role.REP,
        team=team,
        password=PASSWORD,
        direct_phone="+14155550100",
    )
    account = AccountFactory(name="Acme Pumps")
    zone = zone_where_it_is(13)
    contacts = []
    for i, (first, last) in enumerate(
        [
            ("Dana", "Kowalski"),
            ("Eli", "Brooks"),
            ("Fay", "Nguyen"),
            ("Gus", "Ortiz"),
            ("Hana", "Sato"),
            ("Ivan", "Petrov"),
        ]
    ):
        contact = ContactFactory(
            owner=rep,
            first_name=first,
            last_name=last,
            account=account,
            phones=[(f"+1 415 555 {3000 + i:04d}", "work")],
            time_zone=zone,
        )
        make_overdue(contact, days=900 - i * 100)  # Dana first, Ivan last
        contacts.append(contact)
    fact_add(contact=contacts[0], kind="family", text="Two kids, Maya and Leo", actor=rep)
    return rep, contacts


def _login(page, base):  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("rita")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def _name(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("#cm-name").inner_text()


def _press(page, keys: list[str]) -> None:  # type: ignore[no-untyped-def]
    for key in keys:
        page.keyboard.press(key)


def test_five_cards_with_the_keyboard_only(live_server, chromium_browser, artifacts_dir):  # type: ignore[no-untyped-def]
    rep, contacts = _book()
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # There is no phone app in a test: record what would be dialled instead of handing the
    # tel: link to the operating system (headless Chromium stops taking keys after that).
    page.add_init_script(
        "document.addEventListener('click', (e) => {"
        " const a = e.target.closest && e.target.closest('a[href^=\"tel:\"]');"
        " if (a) { e.preventDefault(); window.__dialled = a.getAttribute('href'); } }, true);"
    )
    # A slow settle (htmx processes swapped-in forms only when it settles) makes the race
    # between "the next card is on screen" and "its forms are live" visible: keys pressed
    # right after the swap must still go through htmx (the undo notice depends on it).
    page.add_init_script(
        "document.addEventListener('DOMContentLoaded', () => {"
        " if (window.htmx) { window.htmx.config.defaultSettleDelay = 400; } });"
    )
    _login(page, live_server.url)
    page.goto(f"{live_server.url}/calls/go/")

    def next_card(before: str) -> None:
        page.wait_for_function(
            "(before) => document.querySelector('#cm-name')?.innerText !== before", arg=before
        )

    # Card 1: Enter dials (the tel: link), then "voicemail, next" is two keys.
    assert _name(page) == "Dana Kowalski"
    assert page.get_by_text("Two kids, Maya and Leo").is_visible()
    page.keyboard.press("Enter")
    page.wait_for_selector(".cm-dialled")
    assert page.evaluate("() => window.__dialled") == f"tel:{contacts[0].phone}"
    assert keystrokes("voicemail_next") == 2
    page.keyboard.press(keys_for_flow("voicemail_next")[0])
    script = page.locator(".cm-script")
    script.wait_for(state="visible")
    assert "Hi Dana, this is Rita" in script.inner_text()
    local = page.locator(".cm-local").inner_text()
    assert "UTC" in local and "Etc/" not in local  # "UTC+3", never the POSIX "Etc/GMT-3"
    page.screenshot(path=str(artifacts_dir / "calls-voicemail-1280.png"))
    page.screenshot(path=str(artifacts_dir / "calls-voicemail-1280-full.png"), full_page=True)
    page.keyboard.press(keys_for_flow("voicemail_next")[1])
    next_card("Dana Kowalski")

    # Card 2: no answer, callback tomorrow, next (three keys).
    assert _name(page) == "Eli Brooks"
    _press(page, keys_for_flow("no_answer_callback_tomorrow"))
    next_card("Eli Brooks")

    # Card 3: connected, a note (T focuses it, Ctrl+Enter saves from the field).
    assert _name(page) == "Fay Nguyen"
    _press(page, ["c", "t"])
    page.keyboard.type("Happy with the X200; wants a quote for two more.")
    page.keyboard.press("Control+Enter")
    next_card("Fay Nguyen")

    # Card 4: wrong number.
    assert _name(page) == "Gus Ortiz"
    _press(page, ["w", "Enter"])
    next_card("Gus Ortiz")

    # Card 5: voicemail, then change of mind: undo within 10 s brings the card back.
    assert _name(page) == "Hana Sato"
    _press(page, keys_for_flow("voicemail_next"))
    next_card("Hana Sato")
    assert _name(page) == "Ivan Petrov"
    page.locator(".cm-toast").wait_for()
    page.keyboard.press("u")
    next_card("Ivan Petrov")
    assert _name(page) == "Hana Sato"
    page.get_by_text("Undone. Hana Sato is back on the card.").wait_for()
    _press(page, ["n", "Enter"])
    next_card("Hana Sato")
    page.wait_for_function("() => !document.querySelector('#call-stage .htmx-settling')")
    page.screenshot(path=str(artifacts_dir / "calls-card-1280.png"), full_page=True)

    # The help overlay lists the keys; Esc closes it before it clears a picked outcome.
    page.keyboard.press("v")
    page.keyboard.press("?")
    assert page.locator("#cm-help").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#cm-help").is_visible()
    assert page.locator("#o-voicemail").is_checked()
    page.keyboard.press("Escape")
    assert not page.locator("#o-voicemail").is_checked()

    # The timeline has every outcome.
    dana, eli, fay, gus, hana, _ = contacts
    by_contact = {
        c.first_name: list(
            Interaction.objects.filter(contact=c).order_by("id").values_list("kind", "outcome")
        )
        for c in contacts
    }
    assert by_contact["Dana"] == [(Kind.VOICEMAIL, "voicemail")]
    assert by_contact["Eli"] == [(Kind.CALL, "no_answer")]
    assert by_contact["Fay"] == [(Kind.CALL, "connected")]
    assert by_contact["Gus"] == [(Kind.CALL, "wrong_number")]
    assert by_contact["Hana"] == [
        (Kind.VOICEMAIL, "voicemail"),
        (Kind.CORRECTION, ""),
        (Kind.CALL, "no_answer"),
    ]
    assert by_contact["Ivan"] == []
    assert (
        Interaction.objects.get(contact=fay).body
        == "Happy with the X200; wants a quote for two more."
    )
    assert Callback.objects.get(contact=eli).status == "open"
    assert CallLog.objects.filter(rep=rep, undone_at__isnull=False).count() == 1
    assert errors == []
    context.close()


def test_call_mode_on_a_phone(live_server, chromium_browser, artifacts_dir):  # type: ignore[no-untyped-def]
    _, contacts = _book()
    context = chromium_browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    _login(page, live_server.url)
    page.goto(f"{live_server.url}/calls/go/")
    assert _name(page) == "Dana Kowalski"
    assert page.get_by_role("link", name="Call +1 415-555-3000").is_visible()
    # Tap the buttons on the card (the key legend in the hidden help dialog says the same
    # words, so look inside the card's own groups).
    page.locator(".cm-outcomes").get_by_text("Left voicemail").tap()
    page.locator(".cm-script").wait_for(state="visible")
    # the script is brought into view, clear of the sticky Log & next bar
    page.wait_for_function(
        "() => { const s = document.querySelector('.cm-script').getBoundingClientRect();"
        " const bar = document.querySelector('.cm-save').getBoundingClientRect();"
        " return s.top >= 0 && s.bottom <= bar.top + 1; }",
        timeout=3000,
    )
    page.locator(".cm-callbacks").get_by_text("Tomorrow").tap()
    assert page.locator("#cb-tomorrow").is_checked()
    page.screenshot(path=str(artifacts_dir / "calls-card-390.png"), full_page=True)
    # what the rep sees without scrolling: the Log & next button stays in reach
    page.screenshot(path=str(artifacts_dir / "calls-card-390-viewport.png"))
    assert page.get_by_role("button", name="Log & next").is_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"call mode scrolls sideways on a phone ({width}px wide)"
    page.get_by_role("button", name="Log & next").tap()
    page.wait_for_function("() => document.querySelector('#cm-name').innerText !== 'Dana Kowalski'")
    assert Interaction.objects.get(contact=contacts[0]).outcome == "voicemail"
    assert Callback.objects.filter(contact=contacts[0]).exists()
    # A refused log (custom callback, no time) shows its error on screen, not below the fold.
    page.locator(".cm-outcomes").get_by_text("No answer").tap()
    page.locator(".cm-callbacks").get_by_text("Pick a time").tap()
    page.get_by_role("button", name="Log & next").tap()
    error = page.get_by_text("Pick the date and time for the callback.")
    error.wait_for()
    box = error.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844, box
    assert page.get_by_text("Not logged yet").count() == 1
    # Today on a phone: the row buttons go under the text instead of squeezing it.
    page.goto(f"{live_server.url}/")
    actions = page.locator(".ct-row-actions").first
    actions.wait_for()
    box = actions.bounding_box()
    assert box is not None and box["x"] < 60, box
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"Today scrolls sideways on a phone ({width}px wide)"
    context.close()
