"""The calls app's sections on *Today*: the rep's day, overdue reconnects by cadence and
congratulate / check-in suggestions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.calls.conftest import make_overdue
from tests.factories import AccountFactory, ContactFactory
from warmline.calls import today as calls_today
from warmline.calls.models import Callback
from warmline.calls.services import call_outcome_log, call_outcome_undo, note_send
from warmline.core.registries.today import TodayContext, section_list
from warmline.people.models import Tier
from warmline.people.services import important_date_add

pytestmark = pytest.mark.django_db


def ctx(user, now=None):
    now = now or timezone.now()
    return TodayContext(user=user, today=timezone.localdate(now), now=now)


def test_sections_are_registered_and_replace_the_builtin_ones():
    by_key = {s.key: s for s in section_list()}
    assert by_key["calls"].template == "calls/today/day.html"
    assert by_key["stale"].template == "calls/today/stale.html"
    assert by_key["stale"].title == "Haven't spoken in a while"
    assert by_key["dates"].template == "calls/today/dates.html"


def test_the_sections_of_a_book_are_shown_to_those_who_own_one(company):
    from warmline.core.registries.today import sections_build

    def keys(user):
        return {r.section.key for r in sections_build(ctx(user))}

    assert {"calls", "stale", "dates"} <= keys(company.rep)
    assert {"calls", "stale", "dates"} <= keys(company.manager)
    for user in (company.agent, company.marketer):
        assert not {"calls", "stale", "dates"} & keys(user)


def test_the_reps_day_counts_calls_connects_voicemails_and_notes(company):
    rep = company.rep
    now = timezone.now()
    contacts = [ContactFactory(owner=rep) for _ in range(4)]
    call_outcome_log(rep=rep, contact=contacts[0], outcome="connected", now=now)
    call_outcome_log(rep=rep, contact=contacts[1], outcome="voicemail", now=now)
    call_outcome_log(rep=rep, contact=contacts[2], outcome="no_answer", now=now)
    undone = call_outcome_log(rep=rep, contact=contacts[3], outcome="voicemail", now=now)
    call_outcome_undo(log=undone, rep=rep, now=now)
    last_week = now - dt.timedelta(days=8)
    call_outcome_log(rep=rep, contact=contacts[3], outcome="connected", now=last_week)
    call_outcome_log(rep=company.rep2, contact=contacts[3], outcome="connected", now=now)
    day = calls_today.day_build(ctx(rep, now))["day"]
    assert (day.today.calls, day.today.connects, day.today.voicemails, day.today.notes) == (
        3,
        1,
        1,
        0,
    )
    assert day.week.calls >= 3  # the week started on Monday in the rep's zone


def test_the_week_starts_on_monday_in_the_reps_zone_and_counts_notes(company):
    from zoneinfo import ZoneInfo

    from warmline.calls.selectors import DayCounts, rep_day_counts
    from warmline.timeline.models import Kind
    from warmline.timeline.services import interaction_create

    rep = company.rep
    rep.time_zone = "America/New_York"
    rep.save(update_fields=["time_zone"])
    ny = ZoneInfo("America/New_York")
    now = dt.datetime(2026, 11, 25, 10, 0, tzinfo=ny)  # a Wednesday morning in New York
    dana, lee = ContactFactory(owner=rep), ContactFactory(owner=rep)
    call_outcome_log(rep=rep, contact=dana, outcome="connected", now=now)
    # 00:30 today in New York is still yesterday in UTC: it counts as today.
    early = dt.datetime(2026, 11, 25, 0, 30, tzinfo=ny)
    call_outcome_log(rep=rep, contact=lee, outcome="voicemail", now=early)
    monday = dt.datetime(2026, 11, 23, 9, 0, tzinfo=ny)
    call_outcome_log(rep=rep, contact=lee, outcome="no_answer", now=monday)
    sunday = dt.datetime(2026, 11, 22, 23, 30, tzinfo=ny)  # last week, in New York
    call_outcome_log(rep=rep, contact=lee, outcome="connected", now=sunday)
    for when in (now - dt.timedelta(hours=1), monday):
        interaction_create(contact=dana, kind=Kind.CHECKIN_NOTE, author=rep, occurred_at=when)
    later = now + dt.timedelta(hours=1)  # not yet: "today" stops at now
    call_outcome_log(rep=rep, contact=dana, outcome="no_answer", now=later)
    undone = call_outcome_log(rep=rep, contact=lee, outcome="connected", now=now)
    call_outcome_undo(log=undone, rep=rep, now=now)
    call_outcome_log(rep=company.rep2, contact=lee, outcome="voicemail", now=now)

    day = rep_day_counts(user=rep, now=now)

    assert day.today == DayCounts(calls=2, connects=1, voicemails=1, notes=1)
    assert day.week == DayCounts(calls=3, connects=1, voicemails=1, notes=2)


def test_stale_uses_the_cadence_and_says_how_overdue(company):
    key = AccountFactory(tier=Tier.KEY)
    now = timezone.now()
    make_overdue(
        ContactFactory(owner=company.rep, first_name="Key", account=key), days=120, now=now
    )
    make_overdue(ContactFactory(owner=company.rep, first_name="Std"), days=200, now=now)
    make_overdue(ContactFactory(owner=company.rep, first_name="Fine"), days=100, now=now)
    rows = calls_today.stale_build(ctx(company.rep, now))["overdue"]
    assert [(r.contact.first_name, r.overdue_days, r.cadence_days) for r in rows] == [
        ("Key", 30, 90),
        ("Std", 20, 180),
    ]


def test_dates_become_suggestions(company):
    today = timezone.localdate()
    dana = ContactFactory(owner=company.rep, first_name="Dana", email_opt_in=True)
    important_date_add(
        contact=dana, kind="birthday", date=(today + dt.timedelta(days=1)).replace(year=1985)
    )
    rows = calls_today.dates_build(ctx(company.rep))["suggestions"]
    assert rows[0]["contact"] == dana
    assert rows[0]["text"] == "birthday tomorrow"
    assert rows[0]["congratulate"] and not rows[0]["noted"]


def test_a_date_already_congratulated_says_so_instead_of_offering_it_again(company, rep_client):
    today = timezone.localdate()
    dana = ContactFactory(
        owner=company.rep,
        first_name="Dana",
        email_opt_in=True,
        emails=[("dana@example.com", "work")],
    )
    birthday = important_date_add(
        contact=dana, kind="birthday", date=(today + dt.timedelta(days=1)).replace(year=1985)
    )
    note_send(
        rep=company.rep,
        contact=dana,
        kind="congrats",
        subject="Happy birthday",
        body="Enjoy the day.",
        occasion=birthday,
    )
    (row,) = calls_today.dates_build(ctx(company.rep))["suggestions"]
    assert row["noted"]
    html = rep_client.get(reverse("today")).content.decode()
    assert "✓ Note sent" in html and "?kind=congrats" not in html


def test_today_page_shows_the_sections_with_bounded_queries(rep_client, company):
    now = timezone.now()

    def add_book(n):
        for i in range(n):
            c = ContactFactory(
                owner=company.rep,
                email_opt_in=True,
                phones=[(f"+1 415 555 {2000 + i + n * 10:04d}", "w")],
            )
            make_overdue(c, days=200 + i, now=now)
            important_date_add(
                contact=c,
                kind="birthday",
                date=(timezone.localdate() + dt.timedelta(days=2)).replace(year=1980),
            )
            # already due (always "today", whatever the time of day the test runs)
            Callback.objects.create(
                rep=company.rep, contact=c, due_at=now - dt.timedelta(minutes=i)
            )

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = rep_client.get(reverse("today"))
        assert response.status_code == 200
        return len(queries.captured_queries), response.content.decode()

    add_book(2)
    count()
    few, html = count()
    assert "Your calls" in html
    assert "Overdue by" in html
    assert "Congratulate" in html
    assert "Callbacks today" in html
    add_book(25)
    many, _ = count()
    assert few == many
