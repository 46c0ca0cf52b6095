"""The rep's queue snapshot: call mode reads the ranking the providers computed, and every
way that ranking can go out of date makes it rebuild before the next card."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.calls.conftest import make_overdue
from tests.factories import AccountFactory, ContactFactory, UserFactory
from warmline.calls import queue as queue_module
from warmline.calls.models import QueueSnapshot
from warmline.calls.queue import (
    call_queue_current,
    queue_snapshot_build,
    queue_snapshot_invalidate,
    queue_snapshots_refresh,
    ranking_decode,
    ranking_encode,
)
from warmline.calls.selectors import CallFacts, call_queue_build, call_queue_rank
from warmline.calls.services import (
    call_outcome_log,
    call_outcome_undo,
    callback_cancel,
    callback_schedule,
    contact_cadence_set,
)
from warmline.core.phones import phone_display
from warmline.core.registries.reasons import (
    ReasonProvider,
    reason_provider_register,
    reasons_changed,
)
from warmline.people.models import Tier
from warmline.people.services import account_save, important_date_add
from warmline.timeline.services import meeting_log
from warmline.users.models import Role

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)  # 11:00 in New York
NY = "America/New_York"


def person(owner, days=400, **kwargs):
    kwargs.setdefault("time_zone", NY)
    kwargs.setdefault("phones", [(f"+1 212 555 {ContactFactory._meta.next_sequence():04d}", "w")])
    contact = ContactFactory(owner=owner, **kwargs)
    return contact if days is None else make_overdue(contact, days=days, now=NOW)


def ready(user, now=NOW, **kwargs):
    return [
        item.contact.first_name for item in call_queue_current(user=user, now=now, **kwargs).ready
    ]


def snapshot(user):
    return QueueSnapshot.objects.get(rep=user)


def test_the_snapshot_gives_the_same_queue_as_asking_the_providers(company):
    rep = company.rep
    for i in range(6):
        person(rep, days=200 + 30 * i, first_name=f"R{i}")
    dana = person(rep, days=1, first_name="Dana")
    callback_schedule(rep=rep, contact=dana, due_at=NOW, note="price list", now=NOW)
    person(rep, first_name="Dnc", do_not_call=True)
    fresh = call_queue_build(user=rep, now=NOW)
    current = call_queue_current(user=rep, now=NOW)  # builds the snapshot
    again = call_queue_current(user=rep, now=NOW + dt.timedelta(seconds=5))  # reads it
    for q in (current, again):
        assert [(i.contact.pk, i.score, i.reason_text) for i in q.ready] == [
            (i.contact.pk, i.score, i.reason_text) for i in fresh.ready
        ]
        assert [(i.contact.pk, i.held) for i in q.held] == [
            (i.contact.pk, i.held) for i in fresh.held
        ]
    assert again.ready[0].contact == dana
    assert again.ready[0].reasons[0].reason.at == NOW


def test_encoding_round_trips_every_field(company):
    rep = company.rep
    person(rep, first_name="Ada")
    ranking = call_queue_rank(user=rep, now=NOW)
    assert ranking.ranked

    def fields(entries):
        return [(e.contact_id, e.score, e.reasons, e.newest_at, e.first_at) for e in entries]

    ada = ranking.ranked[0].contact_id
    known = {ada: CallFacts(ada, "+12125550100", NY, False, frozenset({"+12125550199"}))}
    ranked, decoded = ranking_decode(ranking_encode(ranking.ranked, known))
    assert fields(ranked) == fields(ranking.ranked)
    assert decoded == known


def test_a_fresh_snapshot_is_read_without_asking_any_provider(company, monkeypatch):
    rep = company.rep
    person(rep, first_name="Ada")
    call_queue_current(user=rep, now=NOW)
    built = snapshot(rep).built_at

    def boom(**kwargs):
        raise AssertionError("providers asked again")

    monkeypatch.setattr(queue_module, "call_queue_rank", boom)
    with CaptureQueriesContext(connection) as ctx:
        assert ready(rep, now=NOW + dt.timedelta(seconds=30)) == ["Ada"]
    assert snapshot(rep).built_at == built
    assert len(ctx.captured_queries) <= 3  # snapshot, attempts, the contacts shown
    assert '"ranked"' not in ctx.captured_queries[0]["sql"]  # this process decoded it


def test_a_build_by_another_process_is_read_not_the_older_one_decoded_here(company):
    rep = company.rep
    ada = person(rep, days=900, first_name="Ada")
    ben = person(rep, days=500, first_name="Ben")
    assert ready(rep) == ["Ada", "Ben"]  # built and decoded in this process
    ranking = call_queue_rank(user=rep, now=NOW)
    theirs = [r for r in ranking.ranked if r.contact_id == ben.pk]
    known = {ben.pk: CallFacts(ben.pk, ben.phone, ben.time_zone, False)}
    QueueSnapshot.objects.filter(rep=rep).update(  # what a worker's rebuild writes
        ranked=ranking_encode(theirs, known),
        built_at=NOW + dt.timedelta(seconds=2),
        build_token=12345,
    )
    assert ready(rep, now=NOW + dt.timedelta(seconds=5)) == ["Ben"]
    assert ada.pk not in {r.contact_id for r in theirs}


def test_logging_an_outcome_keeps_the_snapshot_and_moves_on(company):
    rep = company.rep
    ada = person(rep, days=500, first_name="Ada")
    person(rep, days=300, first_name="Bob")
    assert ready(rep) == ["Ada", "Bob"]
    built = snapshot(rep)
    call_outcome_log(rep=rep, contact=ada, outcome="voicemail", now=NOW + dt.timedelta(seconds=5))
    later = NOW + dt.timedelta(seconds=10)
    q = call_queue_current(user=rep, now=later)
    assert [i.contact.first_name for i in q.ready] == ["Bob"]
    assert [i.contact.first_name for i in q.recent] == ["Ada"]  # tried: read live
    after = snapshot(rep)
    assert (after.built_at, after.version) == (built.built_at, built.version)


def test_a_connected_call_is_not_listed_as_still_needing_a_reconnect(company):
    rep = company.rep
    ada = person(rep, days=500, first_name="Ada")
    assert ready(rep) == ["Ada"]
    call_outcome_log(rep=rep, contact=ada, outcome="connected", now=NOW + dt.timedelta(seconds=5))
    q = call_queue_current(user=rep, now=NOW + dt.timedelta(seconds=10))
    (item,) = q.recent
    assert item.ranked.reasons[0].key == "reconnect"  # the snapshot does not know yet...
    assert item.reason_text == ""  # ...but the list does not say "no personal contact"


def test_undo_puts_the_contact_back_and_invalidates(company):
    rep = company.rep
    ada = person(rep, days=500, first_name="Ada")
    ready(rep)
    log = call_outcome_log(rep=rep, contact=ada, outcome="no_answer", now=NOW)
    call_outcome_undo(log=log, rep=rep, now=NOW + dt.timedelta(seconds=3))
    assert snapshot(rep).version > snapshot(rep).built_version
    assert ready(rep, now=NOW + dt.timedelta(seconds=4)) == ["Ada"]


def test_a_callback_scheduled_for_later_shows_when_it_falls_due(company):
    rep = company.rep
    dana = person(rep, days=1, first_name="Dana")
    person(rep, days=400, first_name="Old")
    assert ready(rep) == ["Old"]
    due = NOW + dt.timedelta(minutes=30)
    callback_schedule(rep=rep, contact=dana, due_at=due, now=NOW)
    snap = snapshot(rep)
    assert snap.version == snap.built_version  # not invalidated...
    assert snap.valid_until == due - dt.timedelta(minutes=5)  # ...but due for a rebuild then
    assert ready(rep, now=NOW + dt.timedelta(minutes=20)) == ["Old"]
    assert ready(rep, now=NOW + dt.timedelta(minutes=26))[0] == "Dana"


def test_a_call_that_settles_a_callback_due_soon_moves_on(company):
    """A callback shows 5 minutes before it is due, so its reason is dated after the call
    that settles it. The snapshot still lists it until its next rebuild, but a reason counts
    as no newer than the snapshot's build, so the call moves the contact to "tried recently"
    instead of bringing them straight back as the next card."""
    rep = company.rep
    dana = person(rep, days=1, first_name="Dana")
    person(rep, days=400, first_name="Old")
    callback_schedule(rep=rep, contact=dana, due_at=NOW + dt.timedelta(minutes=3), now=NOW)
    assert ready(rep)[0] == "Dana"
    call_outcome_log(rep=rep, contact=dana, outcome="connected", now=NOW + dt.timedelta(seconds=5))
    assert ready(rep, now=NOW + dt.timedelta(seconds=6)) == ["Old"]


def test_the_next_callback_due_is_known_at_build_time(company):
    rep = company.rep
    dana = person(rep, days=1, first_name="Dana")
    callback_schedule(rep=rep, contact=dana, due_at=NOW + dt.timedelta(hours=2), now=NOW)
    QueueSnapshot.objects.all().delete()
    queue_snapshot_build(user=rep, now=NOW)
    assert snapshot(rep).valid_until == NOW + dt.timedelta(hours=2, minutes=-5)


@pytest.mark.parametrize(
    "change",
    [
        "cadence",
        "meeting",
        "date",
        "new_contact",
        "account_tier",
        "callback_cancelled",
        "reasons_changed",
    ],
)
def test_writes_that_change_a_reason_rebuild_before_the_next_card(company, change):
    rep = company.rep
    account = AccountFactory(owner=rep, tier=Tier.STANDARD)
    ada = person(rep, days=120, first_name="Ada", account=account)  # not overdue at 180 days
    bob = person(rep, days=300, first_name="Bob")
    callback = callback_schedule(rep=rep, contact=bob, due_at=NOW, now=NOW)
    before = ready(rep)
    assert before == ["Bob"]
    later = NOW + dt.timedelta(seconds=20)
    if change == "cadence":
        contact_cadence_set(contact=ada, days=90)
        expected = ["Bob", "Ada"]
    elif change == "meeting":
        meeting_log(contact=bob, author=rep, subject="Lunch", occurred_at=later)
        expected = ["Bob"]  # still the callback; the reconnect is settled
    elif change == "date":
        important_date_add(contact=ada, kind="birthday", date=dt.date(1980, 3, 11))
        expected = ["Bob", "Ada"]
    elif change == "new_contact":
        person(rep, days=None, first_name="Lead", stage="lead")
        expected = ["Lead", "Bob"]  # a brand-new lead outranks a callback
    elif change == "account_tier":
        account.tier = Tier.KEY
        account_save(account=account)  # key accounts: a touch every 90 days
        expected = ["Bob", "Ada"]
    elif change == "callback_cancelled":
        callback_cancel(callback=callback, now=later)
        expected = ["Bob"]  # still overdue for a reconnect: now that is the reason
    else:
        reasons_changed(rep_ids=[rep.pk])
        expected = ["Bob"]
    snap = snapshot(rep)
    assert snap.version > snap.built_version
    after = call_queue_current(user=rep, now=later)
    assert [i.contact.first_name for i in after.ready] == expected
    if change == "callback_cancelled":
        assert [r.key for r in after.ready[0].reasons] == ["reconnect"]
    if change == "meeting":
        assert [r.key for r in after.ready[0].reasons] == ["callback"]


def test_a_write_to_another_reps_book_leaves_this_snapshot_alone(company):
    rep, other = company.rep, company.rep2
    person(rep, first_name="Ada")
    theirs = person(other, first_name="Zed")
    ready(rep)
    ready(other)
    contact_cadence_set(contact=theirs, days=30)
    assert snapshot(rep).version == snapshot(rep).built_version
    assert snapshot(other).version > snapshot(other).built_version


def test_a_contact_moved_to_another_rep_leaves_the_old_queue_at_once(company):
    rep, other = company.rep, company.rep2
    ada = person(rep, first_name="Ada")
    assert ready(rep) == ["Ada"]
    type(ada).objects.filter(pk=ada.pk).update(owner=other)  # a bulk move that tells no queue
    assert ready(rep, now=NOW + dt.timedelta(seconds=5)) == []  # the book is read live


def test_do_not_call_set_behind_the_snapshots_back_is_never_shown(company):
    """The snapshot's phone / zone / do-not-call only sort the queue: each contact returned
    is checked against its live row, and a change makes the read sort from live rows."""
    rep = company.rep
    ada = person(rep, days=900, first_name="Ada")
    person(rep, days=500, first_name="Ben")
    assert ready(rep) == ["Ada", "Ben"]
    built = snapshot(rep).built_at
    type(ada).objects.filter(pk=ada.pk).update(do_not_call=True)  # a write that tells no queue
    later = NOW + dt.timedelta(seconds=5)
    assert ready(rep, now=later, limit=1) == ["Ben"]
    q = call_queue_current(user=rep, now=later)
    assert [(i.contact.first_name, i.held) for i in q.held] == [("Ada", "marked do not call")]
    assert (q.ready_count, q.held_count) == (1, 1)
    assert snapshot(rep).built_at == built  # no rebuild was needed for that


def test_a_number_found_wrong_before_the_build_holds_until_the_phone_changes(company):
    rep = company.rep
    ada = person(rep, days=900, first_name="Ada")
    call_outcome_log(rep=rep, contact=ada, outcome="wrong_number", now=NOW - dt.timedelta(days=2))
    q = call_queue_current(user=rep, now=NOW)
    assert (
        q.held[0].held
        == f"{phone_display(ada.phone)} was a wrong number; update the contact's phone"
    )
    type(ada).objects.filter(pk=ada.pk).update(phone="+12125559999")  # tells no queue
    assert ready(rep, now=NOW + dt.timedelta(seconds=5)) == ["Ada"]


def test_an_old_snapshot_is_rebuilt(company, settings):
    settings.WARMLINE_CALL_QUEUE_MAX_AGE_SECONDS = 90
    rep = company.rep
    person(rep, first_name="Ada")
    ready(rep)
    person(rep, first_name="Bulk")  # contact_create marks it stale; undo that to test age alone
    QueueSnapshot.objects.filter(rep=rep).update(built_version=snapshot(rep).version)
    assert ready(rep, now=NOW + dt.timedelta(seconds=60)) == ["Ada"]
    assert ready(rep, now=NOW + dt.timedelta(seconds=91)) == ["Ada", "Bulk"]
    assert snapshot(rep).built_at == NOW + dt.timedelta(seconds=91)


def test_a_snapshot_cut_short_is_refilled_when_it_runs_low(company, monkeypatch):
    monkeypatch.setattr("warmline.calls.selectors.PROVIDER_LIMIT", 3)
    monkeypatch.setattr(queue_module, "REFILL_AT", 2)
    rep = company.rep
    people = [person(rep, days=400 + i, first_name=f"P{i}") for i in range(6)]
    assert len(ready(rep)) == 3
    assert snapshot(rep).truncated
    for i, contact in enumerate(people[-2:][::-1]):  # the two most overdue
        call_outcome_log(
            rep=rep, contact=contact, outcome="voicemail", now=NOW + dt.timedelta(seconds=i)
        )
    # One left ready in the snapshot (< REFILL_AT): rebuilt, and the next three come up.
    assert ready(rep, now=NOW + dt.timedelta(seconds=10)) == ["P3", "P2", "P1"]


def test_a_write_during_a_rebuild_leaves_the_snapshot_stale(company, monkeypatch):
    rep = company.rep
    person(rep, first_name="Ada")
    ready(rep)
    real = queue_module.call_queue_rank

    def rank_then_write(**kwargs):
        ranking = real(**kwargs)
        queue_snapshot_invalidate(rep_ids=[rep.pk])  # a question lands mid-build
        return ranking

    queue_snapshot_invalidate(rep_ids=[rep.pk])
    monkeypatch.setattr(queue_module, "call_queue_rank", rank_then_write)
    ready(rep, now=NOW + dt.timedelta(seconds=1))
    snap = snapshot(rep)
    assert snap.version > snap.built_version  # so the next read rebuilds again


def test_an_older_build_never_overwrites_a_newer_one(company):
    rep = company.rep
    person(rep, first_name="Ada")
    queue_snapshot_build(user=rep, now=NOW + dt.timedelta(minutes=1))
    queue_snapshot_build(user=rep, now=NOW)  # slower process, older clock
    assert snapshot(rep).built_at == NOW + dt.timedelta(minutes=1)


def test_periodic_refresh_rebuilds_active_reps_before_their_snapshot_gets_old(company, settings):
    settings.WARMLINE_CALL_QUEUE_MAX_AGE_SECONDS = 90
    rep, other, idle = company.rep, company.rep2, UserFactory(role=Role.REP)
    for user in (rep, other, idle):
        person(user, first_name="Ada")
    ready(rep)  # read at NOW
    ready(other, now=NOW + dt.timedelta(seconds=40))
    queue_snapshot_build(user=idle, now=NOW)  # built, never read: not kept warm
    assert queue_snapshots_refresh(now=NOW + dt.timedelta(seconds=50)) == 1  # rep: 50 s old
    assert snapshot(rep).built_at == NOW + dt.timedelta(seconds=50)
    assert snapshot(other).built_at == NOW + dt.timedelta(seconds=40)
    assert snapshot(idle).built_at == NOW
    later = NOW + dt.timedelta(minutes=30)
    assert queue_snapshots_refresh(now=later) == 0  # nobody read theirs in 20 minutes


def test_a_failing_next_change_is_logged_and_ignored(company, caplog):
    rep = company.rep
    person(rep, first_name="Ada")

    def broken(ctx):
        raise RuntimeError("source down")

    reason_provider_register(
        ReasonProvider(key="broken", label="Broken", collect=lambda ctx: [], next_change=broken)
    )
    try:
        with caplog.at_level(logging.ERROR):
            assert ready(rep) == ["Ada"]
    finally:
        from warmline.core.registries.reasons import reason_provider_unregister

        reason_provider_unregister("broken")
    assert "next_change failed" in caplog.text


def test_a_snapshot_in_another_format_is_rebuilt(company):
    rep = company.rep
    person(rep, first_name="Ada")
    ready(rep)
    QueueSnapshot.objects.filter(rep=rep).update(  # an older layout, from another process
        ranked=[[1, 2.0, []]], built_at=NOW + dt.timedelta(seconds=1)
    )
    assert ready(rep, now=NOW + dt.timedelta(seconds=5)) == ["Ada"]
    assert snapshot(rep).built_at == NOW + dt.timedelta(seconds=5)
