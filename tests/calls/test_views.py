"""Call mode, the queue page, callbacks (.ics), cadence and templates, through HTTP."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from tests.calls.conftest import zone_where_it_is
from tests.factories import ContactFactory
from warmline.calls.keys import BINDINGS
from warmline.calls.models import Callback, CallbackStatus, CallLog, MessageTemplate
from warmline.calls.services import callback_schedule
from warmline.core.phones import phone_display
from warmline.people.models import Contact
from warmline.people.services import fact_add, important_date_add
from warmline.timeline.models import Interaction, Kind
from warmline.timeline.services import note_add

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def test_pages_need_a_login(client):
    for name in ("call-queue", "call-mode", "call-templates", "call-notes"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_calls_link_is_for_those_who_own_a_book(client, company):
    link = f'href="{reverse("call-queue")}"'
    for user, shown in (
        (company.rep, True),
        (company.manager, True),
        (company.agent, False),
        (company.marketer, False),
    ):
        client.force_login(user)
        html = client.get(reverse("contact-list")).content.decode()
        assert (link in html) is shown, user.role


# --- call mode -------------------------------------------------------------------------


def test_call_mode_shows_the_best_card_with_everything_a_rep_needs(
    rep_client, company, callable_contact
):
    dana = callable_contact(
        company.rep, first_name="Dana", last_name="Kowalski", title="Plant manager"
    )
    callable_contact(company.rep, first_name="Second", overdue_days=200)
    fact_add(contact=dana, kind="family", text="Two kids, Maya and Leo", actor=company.rep)
    important_date_add(contact=dana, kind="birthday", date=dt.date(1980, 1, 1))
    for i in range(7):
        note_add(contact=dana, author=company.rep, body=f"note number {i}")
    response = rep_client.get(reverse("call-mode"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dana Kowalski" in html
    assert "Plant manager" in html
    assert "their time" in html
    assert "No personal contact for 13 months" in html  # the reason, in words
    assert f'href="tel:{dana.phone}"' in html
    assert "Two kids, Maya and Leo" in html
    assert "Birthday" in html
    # the last 5 timeline entries, newest first
    assert "note number 6" in html and "note number 2" in html
    assert "note number 1" not in html
    # the voicemail script, merged for this contact and rep
    assert "Hi Dana, this is" in html
    keymap = json.loads(
        html.split('<script id="call-keymap" type="application/json">')[1].split("</script>")[0]
    )
    assert {b["action"]: b["key"] for b in keymap}["voicemail"] == "v"
    assert len(keymap) == len(BINDINGS)


def test_call_mode_for_a_picked_contact_and_404_outside_the_book(
    rep_client, company, callable_contact
):
    mine = callable_contact(company.rep, first_name="Picked", overdue_days=1)
    response = rep_client.get(reverse("call-mode") + f"?contact={mine.pk}")
    assert response.status_code == 200
    assert "Picked" in response.content.decode()
    assert "You picked Picked" in response.content.decode()
    other = callable_contact(company.outsider_rep, first_name="Theirs")
    assert rep_client.get(reverse("call-mode") + f"?contact={other.pk}").status_code == 404


def test_log_voicemail_then_the_next_card_with_undo(rep_client, company, callable_contact):
    first = callable_contact(company.rep, first_name="First", overdue_days=500)
    second = callable_contact(company.rep, first_name="Second", overdue_days=300)
    page = rep_client.get(reverse("call-mode"))
    assert "First" in page.content.decode()
    response = rep_client.post(
        reverse("call-log"),
        {"contact": first.pk, "outcome": "voicemail", "reason": "no personal contact"},
        **HX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Second" in html  # the next card
    assert "Logged <strong>left voicemail</strong> for First Tester" in html
    log = CallLog.objects.get(contact=first)
    assert reverse("call-undo", args=[log.pk]) in html
    entry = Interaction.objects.get(contact=first)
    assert entry.kind == Kind.VOICEMAIL and entry.author == company.rep
    assert entry.data["reason"] == "no personal contact"
    assert second.pk != first.pk


def test_a_do_not_call_card_offers_no_dialling_and_notes_need_consent(
    rep_client, company, callable_contact
):
    """Picked by hand, a do-not-call contact's card says so instead of a Call button (Enter
    has nothing to dial), and the check-in link shows only with e-mail consent."""
    dnc = callable_contact(
        company.rep, first_name="Dora", do_not_call=True, emails=[("dora@example.com", "w")]
    )
    html = rep_client.get(reverse("call-mode"), {"contact": dnc.pk}).content.decode()
    assert 'href="tel:' not in html and 'id="cm-dial"' not in html
    assert "marked <strong>do not call</strong>" in html
    assert "Send a check-in note" not in html  # no consent
    dnc.email_opt_in = True
    dnc.save()
    html = rep_client.get(reverse("call-mode"), {"contact": dnc.pk}).content.decode()
    assert "Send a check-in note" in html


def test_log_without_htmx_redirects_to_call_mode(rep_client, company, callable_contact):
    contact = callable_contact(company.rep)
    response = rep_client.post(reverse("call-log"), {"contact": contact.pk, "outcome": "no_answer"})
    assert response.status_code == 302
    assert response["Location"] == reverse("call-mode")


def test_a_bad_log_keeps_what_the_rep_typed(rep_client, company, callable_contact):
    contact = callable_contact(company.rep, first_name="Kept")
    response = rep_client.post(
        reverse("call-log"),
        {"contact": contact.pk, "note": "Talked about the retrofit", "callback": "custom"},
        **HX,
    )
    html = response.content.decode()
    assert "Pick how the call went." in html
    assert "Not logged yet" in html  # the status line says so, not "Picked by you"
    assert "Talked about the retrofit" in html
    assert "Kept" in html
    response = rep_client.post(
        reverse("call-log"),
        {
            "contact": contact.pk,
            "outcome": "no_answer",
            "note": "Try again",
            "callback": "custom",
            "callback_at": "2001-01-01T10:00",
        },
        **HX,
    )
    html = response.content.decode()
    assert "Pick a time in the future for the callback." in html
    assert "Try again" in html
    assert 'value="2001-01-01T10:00"' in html
    assert not Interaction.objects.filter(contact=contact).exists()


def test_a_typed_callback_time_is_the_contacts_clock_and_in_their_hours(
    rep_client, company, callable_contact
):
    """The field says "their time": 10:00 typed by a rep in New York for a contact in
    Amsterdam is 10:00 in Amsterdam. 03:00 their time is refused (a slip), and a garbled
    time gets one error, not two."""
    from zoneinfo import ZoneInfo

    company.rep.time_zone = "America/New_York"
    company.rep.save()
    contact = callable_contact(company.rep, first_name="Lynn", time_zone="Europe/Amsterdam")
    day = timezone.now().date() + dt.timedelta(days=3)

    def log(at: str) -> str:
        data = {"contact": contact.pk, "outcome": "no_answer", "callback": "custom"}
        return rep_client.post(
            reverse("call-log"), {**data, "callback_at": at}, **HX
        ).content.decode()

    html = log(f"{day.isoformat()}T03:00")
    assert "03:00 is outside Lynn&#x27;s calling hours (9:00–18:00 their time, Amsterdam)" in html
    html = log("tomorrow-ish")
    assert html.count('class="error"') == 1 and "Enter a date and time" in html
    assert not Callback.objects.exists() and not CallLog.objects.exists()
    log(f"{day.isoformat()}T10:00")
    callback = Callback.objects.get(contact=contact)
    expected = dt.datetime.combine(day, dt.time(10), tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert callback.due_at == expected


def test_log_with_a_callback_preset(rep_client, company, callable_contact):
    contact = callable_contact(company.rep)
    rep_client.post(
        reverse("call-log"),
        {"contact": contact.pk, "outcome": "no_answer", "callback": "tomorrow"},
        **HX,
    )
    callback = Callback.objects.get(contact=contact)
    assert callback.status == CallbackStatus.OPEN
    assert callback.rep == company.rep
    hours = (callback.due_at - timezone.now()).total_seconds() / 3600
    assert 12 < hours < 48


def test_nobody_logs_calls_outside_their_book(client, company, callable_contact):
    contact = callable_contact(company.outsider_rep)
    client.force_login(company.rep)
    response = client.post(reverse("call-log"), {"contact": contact.pk, "outcome": "connected"})
    assert response.status_code == 404
    client.force_login(company.agent)  # agents read everything and change nothing
    response = client.post(reverse("call-log"), {"contact": contact.pk, "outcome": "connected"})
    assert response.status_code == 404
    assert not Interaction.objects.exists()


def test_undo_puts_the_card_back(rep_client, company, callable_contact):
    contact = callable_contact(company.rep, first_name="Oops")
    rep_client.post(reverse("call-log"), {"contact": contact.pk, "outcome": "do_not_call"}, **HX)
    assert Contact.objects.get(pk=contact.pk).do_not_call
    log = CallLog.objects.get(contact=contact)
    response = rep_client.post(reverse("call-undo", args=[log.pk]), **HX)
    html = response.content.decode()
    assert "Undone. Oops Tester is back on the card." in html
    assert not Contact.objects.get(pk=contact.pk).do_not_call
    assert Interaction.objects.filter(kind=Kind.CORRECTION, corrects=log.interaction).exists()
    # someone else's log is not found
    other = callable_contact(company.rep2)
    rep_client.logout()
    rep_client.force_login(company.rep2)
    assert rep_client.post(reverse("call-undo", args=[log.pk])).status_code == 404
    assert other


def test_undo_after_the_window_says_so(rep_client, company, callable_contact):
    contact = callable_contact(company.rep)
    rep_client.post(reverse("call-log"), {"contact": contact.pk, "outcome": "no_answer"}, **HX)
    log = CallLog.objects.get(contact=contact)
    CallLog.objects.filter(pk=log.pk).update(created_at=timezone.now() - dt.timedelta(seconds=30))
    response = rep_client.post(reverse("call-undo", args=[log.pk]), **HX)
    assert "Too late to undo" in response.content.decode()
    assert CallLog.objects.get(pk=log.pk).undone_at is None


def test_skip_moves_on_and_can_be_cleared(rep_client, company, callable_contact):
    a = callable_contact(company.rep, first_name="Alpha", overdue_days=500)
    callable_contact(company.rep, first_name="Beta", overdue_days=300)
    html = rep_client.post(reverse("call-skip"), {"contact": a.pk}, **HX).content.decode()
    assert "Beta" in html and "Alpha Tester</h1>" not in html
    html = rep_client.post(reverse("call-skip"), {"contact": a.pk + 1}, **HX).content.decode()
    assert "Nobody to call right now" in html
    assert "Bring back the 2 you skipped" in html
    html = rep_client.post(reverse("call-skips-clear"), **HX).content.decode()
    assert "Alpha Tester</h1>" in html


def test_empty_queue_says_why(rep_client, company, callable_contact):
    callable_contact(company.rep, first_name="Night", time_zone=zone_where_it_is(3))
    html = rep_client.get(reverse("call-mode")).content.decode()
    assert "Nobody to call right now" in html
    assert "1 contact held back" in html


# --- queue page --------------------------------------------------------------------------


def test_queue_page_lists_ready_held_and_callbacks(rep_client, company, callable_contact):
    callable_contact(company.rep, first_name="Ready")
    callable_contact(company.rep, first_name="Dnc", do_not_call=True)
    cb = callable_contact(company.rep, first_name="Later", overdue_days=1)
    callback_schedule(
        rep=company.rep, contact=cb, due_at=timezone.now() + dt.timedelta(days=2), note="quote"
    )
    html = rep_client.get(reverse("call-queue")).content.decode()
    assert "Ready Tester" in html
    assert "Held back: marked do not call" in html
    assert "Later Tester" in html and "quote" in html
    assert reverse("callbacks-ics") in html
    assert "How the queue is ordered" in html


def _count(client, method, url, data=None, **extra):
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(url, data or {}, **extra)
    assert response.status_code in (200, 302), response.status_code
    return len(ctx.captured_queries)


def _book(company, callable_contact, n):
    for i in range(n):
        contact = callable_contact(company.rep, overdue_days=200 + i)
        if i % 3 == 0:
            fact_add(contact=contact, kind="hobby", text="sails", actor=company.rep)
            important_date_add(contact=contact, kind="birthday", date=dt.date(1980, 1, 1))
        if i % 4 == 0:
            callback_schedule(
                rep=company.rep, contact=contact, due_at=timezone.now() + dt.timedelta(days=3)
            )
        if i % 5 == 0:
            ContactFactory(owner=company.rep, do_not_call=True, first_name=f"D{i}")


@pytest.mark.parametrize(
    ("url_name", "served", "rebuilt"), [("call-queue", 9, 23), ("call-mode", 13, 28)]
)
def test_query_count_does_not_grow_with_the_book(
    rep_client, company, callable_contact, url_name, served, rebuilt
):
    """Served from the rep's queue snapshot (call mode): session, user, snapshot, the
    ranked contacts' live facts, attempts, the card's contact; card: facts, dates,
    timeline, callbacks, script; undo, day. Right after a change to the book the snapshot
    is rebuilt first: the providers' queries on top (the reconnects read the book's zones,
    then the callable now and the others), a fixed number too."""
    rep_client.get(reverse(url_name))  # the rep's first visit creates the snapshot
    _book(company, callable_contact, 3)
    rebuilt_few = _count(rep_client, "get", reverse(url_name))
    few = _count(rep_client, "get", reverse(url_name))
    _book(company, callable_contact, 40)
    rebuilt_many = _count(rep_client, "get", reverse(url_name))
    many = _count(rep_client, "get", reverse(url_name))
    assert (few, rebuilt_few) == (many, rebuilt_many)
    assert many <= served
    assert rebuilt_many <= rebuilt


def test_logging_an_outcome_costs_the_same_whatever_the_book(rep_client, company, callable_contact):
    """The outcome's writes plus the next card from the snapshot: logging changes no
    reason (the attempt is read live), so it never waits for a rebuild. (Both contacts have
    no open callback: settling callbacks costs one UPDATE more when there are some.)"""
    _book(company, callable_contact, 3)
    contacts = list(Contact.objects.filter(owner=company.rep, do_not_call=False))
    rep_client.get(reverse("call-mode"), **HX)
    few = _count(
        rep_client,
        "post",
        reverse("call-log"),
        {"contact": contacts[1].pk, "outcome": "voicemail"},
        **HX,
    )
    _book(company, callable_contact, 40)
    rep_client.get(reverse("call-mode"), **HX)
    many = _count(
        rep_client,
        "post",
        reverse("call-log"),
        {"contact": contacts[2].pk, "outcome": "voicemail"},
        **HX,
    )
    assert few == many
    # (18 since a call's entry skips the savepoint: it has no external id to race on)
    assert many <= 18, many


# --- callbacks as calendar files -----------------------------------------------------------


def _unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_callback_ics(rep_client, company, callable_contact):
    contact = callable_contact(company.rep, first_name="Dana", last_name="Kowalski", overdue_days=1)
    due = timezone.now().replace(microsecond=0) + dt.timedelta(days=1)
    cb = callback_schedule(
        rep=company.rep,
        contact=contact,
        due_at=due,
        note="Pricing; X200, the long version of the question that needs folding " * 2,
    )
    response = rep_client.get(reverse("callback-ics", args=[cb.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    text = response.content.decode()
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    lines = _unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert f"UID:callback-{cb.uuid}@warmline" in lines
    assert f"DTSTART:{due.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}" in lines
    assert "SUMMARY:Call back Dana Kowalski" in lines
    description = next(line for line in lines if line.startswith("DESCRIPTION:Call back"))
    assert "Pricing\\; X200\\, the long" in description
    assert "TRIGGER:-PT10M" in lines
    assert f"LOCATION:tel:{contact.phone}" in lines
    # the same, as a calendar program reads it
    (event,) = Calendar.from_ical(text).walk("VEVENT")
    assert str(event["UID"]) == f"callback-{cb.uuid}@warmline"
    assert event.decoded("DTSTART") == due
    assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(minutes=15)
    assert str(event["STATUS"]) == "CONFIRMED" and event.decoded("SEQUENCE") == 0
    assert f"on {phone_display(contact.phone)}." in str(event["DESCRIPTION"])
    assert "Note: Pricing; X200, the long version" in str(event["DESCRIPTION"])
    (alarm,) = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == -dt.timedelta(minutes=10)
    # another rep's callback is not found
    other = callable_contact(company.outsider_rep, overdue_days=1)
    theirs = callback_schedule(rep=company.outsider_rep, contact=other, due_at=due)
    assert rep_client.get(reverse("callback-ics", args=[theirs.pk])).status_code == 404


def test_all_open_callbacks_as_one_calendar(rep_client, company, callable_contact):
    due = timezone.now() + dt.timedelta(hours=5)
    for i in range(3):
        contact = callable_contact(company.rep, overdue_days=1)
        callback_schedule(rep=company.rep, contact=contact, due_at=due + dt.timedelta(hours=i))
    text = rep_client.get(reverse("callbacks-ics")).content.decode()
    assert text.count("BEGIN:VEVENT") == 3


def test_a_cancelled_callback_cancels_the_same_event(rep_client, company, callable_contact):
    contact = callable_contact(company.rep, overdue_days=1)
    cb = callback_schedule(
        rep=company.rep, contact=contact, due_at=timezone.now() + dt.timedelta(hours=1)
    )
    before = rep_client.get(reverse("callback-ics", args=[cb.pk])).content
    rep_client.post(reverse("callback-cancel", args=[cb.pk]))
    after = rep_client.get(reverse("callback-ics", args=[cb.pk])).content

    (open_event,) = Calendar.from_ical(before).walk("VEVENT")
    (cancelled,) = Calendar.from_ical(after).walk("VEVENT")
    assert str(cancelled["UID"]) == str(open_event["UID"]) == f"callback-{cb.uuid}@warmline"
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled.decoded("SEQUENCE") == 1 > open_event.decoded("SEQUENCE")


def test_cancel_callback(rep_client, company, callable_contact):
    contact = callable_contact(company.rep, overdue_days=1)
    cb = callback_schedule(
        rep=company.rep, contact=contact, due_at=timezone.now() + dt.timedelta(hours=1)
    )
    response = rep_client.post(reverse("callback-cancel", args=[cb.pk]))
    assert response.status_code == 302
    assert Callback.objects.get(pk=cb.pk).status == CallbackStatus.CANCELLED


# --- cadence and templates -----------------------------------------------------------------


def test_cadence_edit(rep_client, company, callable_contact):
    contact = callable_contact(company.rep)
    html = rep_client.post(
        reverse("call-cadence", args=[contact.pk]), {"days": "45"}, **HX
    ).content.decode()
    assert "every <strong>45 days</strong>" in html
    assert Contact.objects.get(pk=contact.pk).reconnect_days == 45
    html = rep_client.post(
        reverse("call-cadence", args=[contact.pk]), {"days": "2"}, **HX
    ).content.decode()
    assert "Choose at least 7 days." in html
    assert 'value="2"' in html
    assert Contact.objects.get(pk=contact.pk).reconnect_days == 45
    other = callable_contact(company.outsider_rep)
    assert (
        rep_client.post(reverse("call-cadence", args=[other.pk]), {"days": "30"}).status_code == 404
    )


def test_templates_are_the_reps_own_with_validated_merge_fields(rep_client, company):
    html = rep_client.get(reverse("call-templates")).content.decode()
    assert "Hi {{ first_name }}, this is {{ rep_first_name }}" in html
    response = rep_client.post(
        reverse("call-templates"),
        {"kind": "voicemail", "body": "Hi {{ first_nme }}, it's me. {{ rep_phone }}"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Unknown merge field {{ first_nme }}" in html
    assert "Hi {{ first_nme }}, it&#x27;s me." in html
    assert not MessageTemplate.objects.exists()
    response = rep_client.post(
        reverse("call-templates"),
        {"kind": "voicemail", "body": "Hey {{ first_name }}! Call {{ rep_phone|me }}."},
    )
    assert response.status_code == 302
    assert MessageTemplate.objects.get(owner=company.rep, kind="voicemail").body.startswith("Hey")
    response = rep_client.post(reverse("call-templates"), {"kind": "voicemail", "action": "reset"})
    assert not MessageTemplate.objects.exists()
