"""The ranked call queue: one test per reason, the ranking weights, and the rules that hold
contacts back (do-not-call, calling hours, wrong number, tried recently)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.calls.conftest import make_overdue
from tests.factories import AccountFactory, ContactFactory
from warmline.calls.models import CallLog
from warmline.calls.ranking import reasons_rank
from warmline.calls.selectors import call_queue_build
from warmline.calls.services import call_outcome_log, call_outcome_undo, callback_schedule
from warmline.core.registries.reasons import (
    Reason,
    ReasonProvider,
    ago_text,
    reason_provider_list,
    reason_provider_register,
    reason_provider_unregister,
)
from warmline.people.models import Contact, Stage, Tier
from warmline.people.services import important_date_add
from warmline.timeline.services import call_log as timeline_call_log

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)  # 11:00 in New York, 16:00 in Berlin
NY = "America/New_York"


def person(owner, **kwargs):
    kwargs.setdefault("time_zone", NY)
    kwargs.setdefault("phones", [(f"+1 212 555 {ContactFactory._meta.next_sequence():04d}", "w")])
    return ContactFactory(owner=owner, **kwargs)


def fresh(owner, **kwargs):
    """A contact with a personal touch yesterday: no reason to call."""
    contact = person(owner, **kwargs)
    return make_overdue(contact, days=1, now=NOW)


def queue(user, **kwargs):
    return call_queue_build(user=user, now=NOW, **kwargs)


def texts(q):
    return {item.contact.first_name: [r.text for r in item.reasons] for item in q.ready}


# --- one test per reason -----------------------------------------------------------------


def test_callback_due_shows_with_its_time_in_the_reps_zone(company):
    company.rep.time_zone = "Europe/Berlin"
    company.rep.save()
    dana = fresh(company.rep, first_name="Dana")
    callback_schedule(
        rep=company.rep,
        contact=dana,
        due_at=NOW - dt.timedelta(minutes=60),  # 15:00 Berlin
        note="pricing for X200",
        now=NOW - dt.timedelta(days=1),
    )
    later = fresh(company.rep, first_name="Later")
    callback_schedule(rep=company.rep, contact=later, due_at=NOW + dt.timedelta(hours=2), now=NOW)
    q = queue(company.rep)
    # Dana is in New York: the card shows her clock, so the reason says whose is whose
    assert texts(q) == {
        "Dana": ["callback promised for 15:00 your time (10:00 theirs): “pricing for X200”"]
    }


def test_callback_shows_five_minutes_before_its_time(company):
    dana = fresh(company.rep, first_name="Dana")
    callback_schedule(rep=company.rep, contact=dana, due_at=NOW + dt.timedelta(minutes=4), now=NOW)
    assert "Dana" in texts(queue(company.rep))


def test_reconnect_uses_the_default_cadence(company):
    make_overdue(person(company.rep, first_name="Old"), days=212, now=NOW)
    make_overdue(person(company.rep, first_name="Recent"), days=170, now=NOW)
    assert texts(queue(company.rep)) == {"Old": ["no personal contact for 7 months"]}


def test_reconnect_for_key_accounts_is_90_days(company):
    key = AccountFactory(name="Key Co", tier=Tier.KEY)
    make_overdue(person(company.rep, first_name="Keyed", account=key), days=100, now=NOW)
    make_overdue(person(company.rep, first_name="Plain"), days=100, now=NOW)
    assert list(texts(queue(company.rep))) == ["Keyed"]


def test_reconnect_per_contact_cadence(company):
    make_overdue(person(company.rep, first_name="Monthly", reconnect_days=30), days=45, now=NOW)
    make_overdue(person(company.rep, first_name="Yearly", reconnect_days=365), days=300, now=NOW)
    make_overdue(person(company.rep, first_name="Weekly", reconnect_days=7), days=5, now=NOW)
    assert list(texts(queue(company.rep))) == ["Monthly"]


def test_reconnect_settings_are_used(company, settings):
    settings.WARMLINE_RECONNECT_DAYS = 60
    make_overdue(person(company.rep, first_name="Two"), days=70, now=NOW)
    assert list(texts(queue(company.rep))) == ["Two"]


def test_never_touched_contacts_count_from_when_they_were_added(company):
    old = person(company.rep, first_name="Never")
    make_overdue(old, days=200, now=NOW)
    type(old).objects.filter(pk=old.pk).update(last_touch_at=None)
    new = person(company.rep, first_name="Newbie")
    make_overdue(new, days=10, now=NOW)
    type(new).objects.filter(pk=new.pk).update(last_touch_at=None)
    assert texts(queue(company.rep)) == {"Never": ["no personal contact on record"]}


def test_birthday_tomorrow_and_anniversary_today(company):
    bea = fresh(company.rep, first_name="Bea")
    important_date_add(contact=bea, kind="birthday", date=dt.date(1985, 3, 11))
    cal = fresh(company.rep, first_name="Cal")
    important_date_add(contact=cal, kind="customer_anniversary", date=dt.date(2016, 3, 10))
    far = fresh(company.rep, first_name="Far")
    important_date_add(contact=far, kind="birthday", date=dt.date(1985, 4, 20))
    q = queue(company.rep)
    assert texts(q) == {
        "Bea": ["birthday tomorrow"],
        "Cal": ["10th anniversary as our customer today"],
    }
    assert [i.contact.first_name for i in q.ready] == ["Cal", "Bea"]  # today outranks tomorrow


def test_a_new_lead_nobody_has_spoken_to(company):
    def lead(first_name, days, **kwargs):
        contact = person(company.rep, first_name=first_name, stage=Stage.LEAD, **kwargs)
        Contact.objects.filter(pk=contact.pk).update(
            created_at=NOW - dt.timedelta(days=days), last_touch_at=None
        )
        return contact

    lead("Newest", 0.1)
    lead("Older", 5)
    lead("Stale", 20)  # not new any more (the reconnect cadence takes over later)
    touched = lead("Spoken", 1)
    Contact.objects.filter(pk=touched.pk).update(last_touch_at=NOW - dt.timedelta(hours=1))
    person(company.rep, first_name="Prospect")  # not a lead
    q = queue(company.rep)
    assert texts(q) == {
        "Newest": ["new lead, added 2 h ago"],
        "Older": ["new lead, added 5 days ago"],
    }
    assert [i.contact.first_name for i in q.ready] == ["Newest", "Older"]
    assert q.ready[0].score > q.ready[1].score  # the fresher, the more urgent


@pytest.fixture
def future_providers():
    """Questions, cases and leads do not exist in this app: they plug in like this."""

    def questions(ctx):
        if ctx.user.username != "rita":
            return
        yield Reason(
            contact_id=QUESTION[0],
            key="question",
            text=f"asked a question {ago_text(NOW - dt.timedelta(hours=2), ctx.now)}",
            at=NOW - dt.timedelta(hours=2),
            ref="question:7",
        )

    def cases(ctx):
        yield Reason(
            contact_id=CASE[0], key="case", text="case #41 breached SLA", at=NOW, ref="case:41"
        )

    def leads(ctx):
        yield Reason(
            contact_id=LEAD[0], key="lead", text="new sales-qualified lead", at=NOW, ref="lead:3"
        )

    before = {p.key: p for p in reason_provider_list()}
    for key, fn in (("question", questions), ("case", cases), ("lead", leads)):
        reason_provider_register(ReasonProvider(key=key, label=key, collect=fn))
    yield
    for key in ("question", "case", "lead"):
        reason_provider_unregister(key)
        if key in before:  # put back what the apps registered (the built-in lead provider)
            reason_provider_register(before[key])


QUESTION: list[int] = []
CASE: list[int] = []
LEAD: list[int] = []


def test_reasons_from_other_apps_rank_by_configured_weight(company, future_providers, settings):
    q_contact = fresh(company.rep, first_name="Quinn")
    c_contact = fresh(company.rep, first_name="Casey")
    l_contact = fresh(company.rep, first_name="Lee")
    cb_contact = fresh(company.rep, first_name="Cora")
    r_contact = make_overdue(person(company.rep, first_name="Ray"), days=200, now=NOW)
    d_contact = fresh(company.rep, first_name="Dee")
    important_date_add(contact=d_contact, kind="birthday", date=dt.date(1990, 3, 11))
    QUESTION[:] = [q_contact.pk]
    CASE[:] = [c_contact.pk]
    LEAD[:] = [l_contact.pk]
    callback_schedule(rep=company.rep, contact=cb_contact, due_at=NOW, now=NOW)
    q = queue(company.rep)
    assert [i.contact.first_name for i in q.ready] == [
        "Quinn",
        "Casey",
        "Cora",
        "Lee",
        "Dee",
        "Ray",
    ]
    assert texts(q)["Quinn"] == ["asked a question 2 h ago"]
    assert texts(q)["Casey"] == ["case #41 breached SLA"]
    assert texts(q)["Lee"] == ["new sales-qualified lead"]
    assert r_contact.pk in [i.contact.pk for i in q.ready]

    settings.WARMLINE_CALL_WEIGHTS = {**settings.WARMLINE_CALL_WEIGHTS, "reconnect": 500}
    assert queue(company.rep).ready[0].contact.first_name == "Ray"


def test_two_reasons_beat_one_of_the_same_kind(company):
    both = make_overdue(person(company.rep, first_name="Both"), days=200, now=NOW)
    important_date_add(contact=both, kind="birthday", date=dt.date(1990, 3, 11))
    one = fresh(company.rep, first_name="One")
    important_date_add(contact=one, kind="birthday", date=dt.date(1990, 3, 11))
    q = queue(company.rep)
    assert [i.contact.first_name for i in q.ready] == ["Both", "One"]
    assert [r.key for r in q.ready[0].reasons] == ["date", "reconnect"]


def test_rank_scores_are_documented_arithmetic():
    reasons = [
        Reason(contact_id=1, key="callback", text="a", urgency=1.5),
        Reason(contact_id=1, key="reconnect", text="b", urgency=1.0),
        Reason(contact_id=2, key="question", text="c", urgency=5.0),  # clamped to 2
        Reason(contact_id=2, key="question", text="c", urgency=5.0),  # duplicate: counted once
    ]
    ranked = reasons_rank(reasons, weights={"callback": 80, "reconnect": 30, "question": 100})
    assert [(r.contact_id, r.score) for r in ranked] == [(2, 200.0), (1, 123.0)]


def test_a_failing_provider_does_not_take_the_queue_down(company):
    def broken(ctx):
        raise RuntimeError("service desk is down")

    make_overdue(person(company.rep, first_name="Still"), days=200, now=NOW)
    reason_provider_register(ReasonProvider(key="broken", label="Broken", collect=broken))
    try:
        assert list(texts(queue(company.rep))) == ["Still"]
    finally:
        reason_provider_unregister("broken")


# --- held back -----------------------------------------------------------------------


def test_do_not_call_and_no_phone_are_held_back_and_say_so(company):
    make_overdue(person(company.rep, first_name="Dnc", do_not_call=True), days=200, now=NOW)
    make_overdue(person(company.rep, first_name="Nophone", phones=[]), days=200, now=NOW)
    q = queue(company.rep)
    assert q.ready == []
    held = {i.contact.first_name: i.held for i in q.held}
    assert held == {"Dnc": "marked do not call", "Nophone": "no phone number on record"}


def test_outside_calling_hours_is_held_back_with_their_local_time(company):
    make_overdue(person(company.rep, first_name="Tokyo", time_zone="Asia/Tokyo"), days=200, now=NOW)
    unknown = make_overdue(person(company.rep, first_name="Unknown"), days=100 + 200, now=NOW)
    type(unknown).objects.filter(pk=unknown.pk).update(time_zone="")
    q = queue(company.rep)
    assert [i.contact.first_name for i in q.held] == ["Tokyo"]
    assert q.held[0].held == "it is 00:00 in Tokyo; call from 9:00 their time"
    # an unknown time zone is not held back; the card says "local time unknown"
    assert [i.contact.first_name for i in q.ready] == ["Unknown"]
    assert q.ready[0].hours.text == "local time unknown"


ZONES = sorted(zoneinfo.available_timezones())


@hypothesis_settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    zone=st.sampled_from(ZONES),
    now=st.datetimes(
        min_value=dt.datetime(2020, 1, 1),
        max_value=dt.datetime(2040, 1, 1),
        timezones=st.just(dt.UTC),
    ),
    do_not_call=st.booleans(),
)
def test_held_back_exactly_when_do_not_call_or_outside_their_hours(company, zone, now, do_not_call):
    """Over every time zone: the queue offers a contact with a reason iff they did not ask
    not to be called and it is 9:00-18:00 where they are; otherwise it holds them back and
    says why (do-not-call first, else their local time and when to call)."""
    contact = Contact.objects.filter(owner=company.rep, first_name="Anywhere").first()
    if contact is None:
        contact = person(company.rep, first_name="Anywhere")
    long_ago = now - dt.timedelta(days=400)
    Contact.objects.filter(pk=contact.pk).update(
        time_zone=zone, do_not_call=do_not_call, last_touch_at=long_ago, created_at=long_ago
    )
    q = call_queue_build(user=company.rep, now=now)
    local = now.astimezone(zoneinfo.ZoneInfo(zone))
    in_hours = 9 <= local.hour < 18
    ready = [i.contact.pk for i in q.ready]
    held = {i.contact.pk: i.held for i in q.held}
    assert (contact.pk in ready) is (in_hours and not do_not_call)
    if do_not_call:
        assert held[contact.pk] == "marked do not call"
    elif not in_hours:
        assert held[contact.pk].startswith(f"it is {local:%H:%M} in ")
        assert held[contact.pk].endswith("from 9:00 their time")


def test_wrong_number_is_held_until_the_number_changes(company):
    wrong = make_overdue(person(company.rep, first_name="Wrong"), days=200, now=NOW)
    timeline_call_log(
        contact=wrong,
        author=company.rep,
        outcome="no_answer",
        occurred_at=NOW - dt.timedelta(days=3),
    )
    call_outcome_log(
        rep=company.rep,
        contact=wrong,
        outcome="wrong_number",
        now=NOW - dt.timedelta(days=2),
    )
    q = queue(company.rep)
    assert q.held[0].held.endswith("was a wrong number; update the contact's phone")
    type(wrong).objects.filter(pk=wrong.pk).update(phone="+12125559999")
    assert [i.contact.first_name for i in queue(company.rep).ready] == ["Wrong"]


# --- tried recently --------------------------------------------------------------------


def test_a_contact_tried_recently_leaves_the_queue_until_a_newer_reason(company, settings):
    vic = make_overdue(person(company.rep, first_name="Vic"), days=200, now=NOW)
    call_outcome_log(
        rep=company.rep,
        contact=vic,
        outcome="no_answer",
        callback_at=NOW + dt.timedelta(hours=3),
        now=NOW - dt.timedelta(hours=1),
    )
    birthday = make_overdue(person(company.rep, first_name="Bea"), days=1, now=NOW)
    important_date_add(contact=birthday, kind="birthday", date=dt.date(1990, 3, 11))
    call_outcome_log(
        rep=company.rep, contact=birthday, outcome="voicemail", now=NOW - dt.timedelta(hours=2)
    )
    q = queue(company.rep)
    assert q.ready == [] and q.held == []
    # a reconnect is quiet while they are on hold; other reasons show them as tried recently
    assert [i.contact.first_name for i in q.recent] == ["Bea"]
    assert q.recent[0].last_attempt.outcome == "voicemail"
    # when the callback falls due it is a newer reason than the attempt: back in the queue
    later = call_queue_build(user=company.rep, now=NOW + dt.timedelta(hours=3))
    assert [i.contact.first_name for i in later.ready] == ["Vic"]
    assert later.ready[0].reasons[0].key == "callback"
    # after the retry window the reconnect alone brings them back too
    settings.WARMLINE_CALL_RETRY_HOURS = 0
    assert [i.contact.first_name for i in queue(company.rep).ready] == ["Bea", "Vic"]


def test_an_undone_attempt_does_not_hold_anyone_back(company):
    vic = make_overdue(person(company.rep, first_name="Vic"), days=200, now=NOW)
    log = call_outcome_log(
        rep=company.rep, contact=vic, outcome="voicemail", now=NOW - dt.timedelta(seconds=5)
    )
    assert queue(company.rep).ready == []
    call_outcome_undo(log=log, rep=company.rep, now=NOW)
    assert [i.contact.first_name for i in queue(company.rep).ready] == ["Vic"]
    assert CallLog.objects.get(pk=log.pk).undone_at == NOW


def test_excluded_contacts_are_counted_as_skipped(company):
    a = make_overdue(person(company.rep, first_name="A"), days=300, now=NOW)
    make_overdue(person(company.rep, first_name="B"), days=200, now=NOW)
    q = queue(company.rep, exclude_ids=[a.pk])
    assert [i.contact.first_name for i in q.ready] == ["B"]
    assert q.skipped == 1


# --- whose queue -----------------------------------------------------------------------


def test_the_queue_is_the_reps_own_book(company):
    make_overdue(person(company.rep, first_name="Mine"), days=200, now=NOW)
    make_overdue(person(company.rep2, first_name="Colleague"), days=200, now=NOW)
    make_overdue(person(company.outsider_rep, first_name="Other"), days=200, now=NOW)
    assert list(texts(queue(company.rep))) == ["Mine"]
    # a manager's queue is their own book too, not the team's
    assert queue(company.manager).ready == []


def test_a_callback_for_a_contact_that_moved_to_another_book_is_not_shown(company):
    moved = fresh(company.rep, first_name="Moved")
    callback_schedule(rep=company.rep, contact=moved, due_at=NOW, now=NOW)
    type(moved).objects.filter(pk=moved.pk).update(owner=company.outsider_rep)
    assert queue(company.rep).ready == []


# --- cost ----------------------------------------------------------------------------


def _busy_book(owner, n):
    for i in range(n):
        contact = make_overdue(person(owner, first_name=f"Busy{i}"), days=200 + i, now=NOW)
        if i % 2 == 0:
            callback_schedule(rep=owner, contact=contact, due_at=NOW, now=NOW)
        if i % 3 == 0:
            important_date_add(contact=contact, kind="birthday", date=dt.date(1990, 3, 11))
        if i % 4 == 0:
            lead = person(owner, first_name=f"Lead{i}", stage=Stage.LEAD)
            Contact.objects.filter(pk=lead.pk).update(
                created_at=NOW - dt.timedelta(days=1), last_touch_at=None
            )
        if i % 5 == 0:
            make_overdue(person(owner, first_name=f"Dnc{i}", do_not_call=True), days=300, now=NOW)


def test_the_queue_costs_the_same_number_of_queries_whatever_the_book(
    company, django_assert_num_queries, django_assert_max_num_queries
):
    """callbacks 1, reconnect 6-8 (the book's zones, custom cadences, then standard, key
    and custom: the callable now, then the others), dates 2, lead 1, contacts 2 (the
    columns that sort them, then the ones shown), attempts 1."""
    _busy_book(company.rep, 3)
    with django_assert_max_num_queries(15) as small:
        few = queue(company.rep)
    _busy_book(company.rep, 45)
    with django_assert_num_queries(len(small.captured_queries)):
        many = queue(company.rep)
    assert len(many.ready) > len(few.ready) and many.held
    assert {r.key for i in many.ready for r in i.reasons} >= {"callback", "reconnect", "lead"}


def test_a_long_power_hour_keeps_finding_people_not_yet_tried(company):
    """More attempts than a provider's limit: the reconnects still offer untried contacts."""
    from warmline.calls.selectors import PROVIDER_LIMIT

    overdue = [
        make_overdue(person(company.rep, first_name=f"P{i}"), days=1000 - i, now=NOW)
        for i in range(PROVIDER_LIMIT + 5)
    ]
    for i, contact in enumerate(overdue[:PROVIDER_LIMIT]):
        call_outcome_log(
            rep=company.rep,
            contact=contact,
            outcome="no_answer",
            now=NOW - dt.timedelta(minutes=60 - i * 0.5),
        )
    q = queue(company.rep)
    assert [i.contact.pk for i in q.ready] == [c.pk for c in overdue[PROVIDER_LIMIT:]]


def test_reconnects_asleep_or_do_not_call_do_not_crowd_out_callable_ones(company):
    """More overdue contacts than a provider's limit who cannot be called now (asleep in
    Sydney, or marked do not call), all older than the callable ones: the callable ones
    still reach the queue, ready. (The oldest-first list used to fill the limit with people
    nobody could call, so call mode said the queue was empty.)"""
    from warmline.calls.selectors import PROVIDER_LIMIT

    asleep = [  # 02:00 in Sydney at NOW
        make_overdue(
            person(company.rep, first_name=f"S{i}", time_zone="Australia/Sydney"),
            days=2000 - i,
            now=NOW,
        )
        for i in range(PROVIDER_LIMIT)
    ]
    barred = [
        make_overdue(person(company.rep, first_name=f"D{i}", do_not_call=True), days=1500, now=NOW)
        for i in range(5)
    ]
    callable_ = [
        make_overdue(person(company.rep, first_name=f"C{i}"), days=400 - i, now=NOW)
        for i in range(3)
    ]
    q = queue(company.rep)
    assert [i.contact.pk for i in q.ready] == [c.pk for c in callable_]
    assert asleep and barred  # still known: held or beyond the limit, never ready
