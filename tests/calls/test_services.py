"""Logging outcomes, undo, callbacks and cadence."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import ContactFactory
from warmline.calls.models import Callback, CallbackStatus, CallLog
from warmline.calls.services import (
    call_outcome_log,
    call_outcome_undo,
    callback_custom_at,
    callback_preset_at,
    callback_schedule,
    contact_cadence_set,
)
from warmline.people.models import Contact
from warmline.timeline.models import Interaction, Kind
from warmline.timeline.services import meeting_log

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)  # a Tuesday


@pytest.mark.parametrize(
    ("outcome", "kind", "personal"),
    [
        ("connected", Kind.CALL, True),
        ("voicemail", Kind.VOICEMAIL, False),
        ("no_answer", Kind.CALL, False),
        ("wrong_number", Kind.CALL, False),
        ("do_not_call", Kind.CALL, False),
    ],
)
def test_every_outcome_is_a_timeline_entry(company, outcome, kind, personal):
    contact = ContactFactory(owner=company.rep, phones=[("+14155550123", "work")])
    log = call_outcome_log(
        rep=company.rep, contact=contact, outcome=outcome, note="Spoke briefly", now=NOW
    )
    entry = log.interaction
    assert entry.kind == kind
    assert entry.outcome == outcome
    assert entry.author == company.rep
    assert entry.body == "Spoke briefly"
    assert entry.data["phone"] == "+14155550123"
    assert entry.is_personal is personal
    contact.refresh_from_db()
    assert (contact.last_touch_at == NOW) is personal
    assert contact.do_not_call is (outcome == "do_not_call")


def test_outcome_must_be_known(company):
    contact = ContactFactory(owner=company.rep)
    with pytest.raises(ValidationError):
        call_outcome_log(rep=company.rep, contact=contact, outcome="busy-ish", now=NOW)
    assert not Interaction.objects.exists()


def test_logging_settles_due_callbacks_and_schedules_a_new_one(company):
    contact = ContactFactory(owner=company.rep)
    due = callback_schedule(
        rep=company.rep, contact=contact, due_at=NOW + dt.timedelta(minutes=30), now=NOW
    )
    later = callback_schedule(
        rep=company.rep, contact=contact, due_at=NOW + dt.timedelta(days=5), now=NOW
    )
    log = call_outcome_log(
        rep=company.rep,
        contact=contact,
        outcome="no_answer",
        callback_at=NOW + dt.timedelta(days=1),
        now=NOW,
    )
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.status == CallbackStatus.DONE and due.closed_by_log == log
    assert later.status == CallbackStatus.OPEN  # next week's promise still stands
    new = Callback.objects.get(created_by_log=log)
    assert new.due_at == NOW + dt.timedelta(days=1)
    assert new.status == CallbackStatus.OPEN


def test_do_not_call_cancels_every_open_callback_and_refuses_a_new_one(company):
    contact = ContactFactory(owner=company.rep)
    cb = callback_schedule(
        rep=company.rep, contact=contact, due_at=NOW + dt.timedelta(days=20), now=NOW
    )
    with pytest.raises(ValidationError):
        call_outcome_log(
            rep=company.rep,
            contact=contact,
            outcome="do_not_call",
            callback_at=NOW + dt.timedelta(days=1),
            now=NOW,
        )
    call_outcome_log(rep=company.rep, contact=contact, outcome="do_not_call", now=NOW)
    cb.refresh_from_db()
    assert cb.status == CallbackStatus.DONE
    contact.refresh_from_db()
    with pytest.raises(ValidationError):
        callback_schedule(
            rep=company.rep, contact=contact, due_at=NOW + dt.timedelta(days=1), now=NOW
        )


def test_a_repeated_submit_of_the_same_card_logs_once(company):
    contact = ContactFactory(owner=company.rep)
    shown = NOW - dt.timedelta(seconds=20)
    first = call_outcome_log(
        rep=company.rep, contact=contact, outcome="voicemail", shown_at=shown, now=NOW
    )
    second = call_outcome_log(
        rep=company.rep,
        contact=contact,
        outcome="voicemail",
        shown_at=shown,
        now=NOW + dt.timedelta(seconds=1),
    )
    assert first.pk == second.pk
    assert Interaction.objects.filter(contact=contact).count() == 1


def test_the_card_shown_right_after_a_log_logs_its_own_outcome(company):
    """The next card can be the same contact (a callback due in a few minutes): it is
    shown with the first log's own time, and its outcome is a new one, not a double press."""
    contact = ContactFactory(owner=company.rep)
    first = call_outcome_log(
        rep=company.rep,
        contact=contact,
        outcome="no_answer",
        shown_at=NOW - dt.timedelta(seconds=20),
        now=NOW,
    )
    second = call_outcome_log(
        rep=company.rep,
        contact=contact,
        outcome="wrong_number",
        shown_at=first.created_at,
        now=NOW + dt.timedelta(seconds=30),
    )
    assert second.pk != first.pk and second.outcome == "wrong_number"
    assert Interaction.objects.filter(contact=contact).count() == 2


def test_callback_in_the_past_is_refused(company):
    contact = ContactFactory(owner=company.rep)
    with pytest.raises(ValidationError) as info:
        call_outcome_log(
            rep=company.rep,
            contact=contact,
            outcome="no_answer",
            callback_at=NOW - dt.timedelta(hours=2),
            now=NOW,
        )
    assert "future" in str(info.value)
    assert not Interaction.objects.exists()  # nothing half-written


# --- Undo ------------------------------------------------------------------------------


def test_undo_reverses_everything_and_writes_a_correction(company):
    contact = ContactFactory(owner=company.rep)
    earlier = NOW - dt.timedelta(days=40)
    meeting_log(contact=contact, author=company.rep, subject="Lunch", occurred_at=earlier)
    due = callback_schedule(
        rep=company.rep, contact=contact, due_at=NOW + dt.timedelta(minutes=10), now=NOW
    )
    log = call_outcome_log(
        rep=company.rep,
        contact=contact,
        outcome="connected",
        callback_at=NOW + dt.timedelta(days=7),
        now=NOW,
    )
    contact.refresh_from_db()
    assert contact.last_touch_at == NOW

    call_outcome_undo(log=log, rep=company.rep, now=NOW + dt.timedelta(seconds=8))

    log.refresh_from_db()
    assert log.undone_at is not None
    correction = log.correction
    assert correction.kind == Kind.CORRECTION
    assert correction.corrects_id == log.interaction_id
    assert correction.data["undo"] is True
    # the original entry is still there (append-only)
    assert Interaction.objects.filter(pk=log.interaction_id).exists()
    contact.refresh_from_db()
    assert contact.last_touch_at == earlier  # back to the meeting
    due.refresh_from_db()
    assert due.status == CallbackStatus.OPEN  # the settled callback is open again
    assert Callback.objects.get(created_by_log=log).status == CallbackStatus.CANCELLED


def test_undo_of_a_first_ever_connect_clears_last_touch(company):
    contact = ContactFactory(owner=company.rep)
    log = call_outcome_log(rep=company.rep, contact=contact, outcome="connected", now=NOW)
    call_outcome_undo(log=log, rep=company.rep, now=NOW + dt.timedelta(seconds=3))
    contact.refresh_from_db()
    assert contact.last_touch_at is None


def test_undo_keeps_a_newer_touch(company):
    contact = ContactFactory(owner=company.rep)
    log = call_outcome_log(rep=company.rep, contact=contact, outcome="connected", now=NOW)
    newer = NOW + dt.timedelta(seconds=2)
    meeting_log(contact=contact, author=company.rep, subject="Walk-in", occurred_at=newer)
    call_outcome_undo(log=log, rep=company.rep, now=NOW + dt.timedelta(seconds=5))
    contact.refresh_from_db()
    assert contact.last_touch_at == newer


def test_undo_restores_do_not_call(company):
    contact = ContactFactory(owner=company.rep)
    log = call_outcome_log(rep=company.rep, contact=contact, outcome="do_not_call", now=NOW)
    assert Contact.objects.get(pk=contact.pk).do_not_call
    call_outcome_undo(log=log, rep=company.rep, now=NOW + dt.timedelta(seconds=1))
    assert not Contact.objects.get(pk=contact.pk).do_not_call


def test_undo_twice_is_harmless_and_too_late_is_refused(company):
    contact = ContactFactory(owner=company.rep)
    log = call_outcome_log(rep=company.rep, contact=contact, outcome="voicemail", now=NOW)
    call_outcome_undo(log=log, rep=company.rep, now=NOW + dt.timedelta(seconds=2))
    call_outcome_undo(log=log, rep=company.rep, now=NOW + dt.timedelta(seconds=3))
    assert Interaction.objects.filter(kind=Kind.CORRECTION).count() == 1

    late = call_outcome_log(
        rep=company.rep, contact=contact, outcome="no_answer", now=NOW + dt.timedelta(minutes=1)
    )
    with pytest.raises(ValidationError, match="Too late"):
        call_outcome_undo(log=late, rep=company.rep, now=NOW + dt.timedelta(minutes=1, seconds=15))
    assert CallLog.objects.get(pk=late.pk).undone_at is None


def test_only_the_caller_can_undo(company):
    contact = ContactFactory(owner=company.rep)
    log = call_outcome_log(rep=company.rep, contact=contact, outcome="voicemail", now=NOW)
    with pytest.raises(ValidationError):
        call_outcome_undo(log=log, rep=company.rep2, now=NOW)


# --- Callback times --------------------------------------------------------------------


def test_presets_land_in_the_contacts_calling_hours(company):
    contact = ContactFactory(owner=company.rep, time_zone="Europe/Berlin")
    berlin = dt.timezone(dt.timedelta(hours=1))  # CET in March before DST
    # 15:00 UTC = 16:00 in Berlin: "later" (+3 h = 19:00) is after hours -> tomorrow 9:30
    later = callback_preset_at(preset="later", contact=contact, rep=company.rep, now=NOW)
    assert later.astimezone(berlin).replace(tzinfo=None) == dt.datetime(2026, 3, 11, 9, 30)
    tomorrow = callback_preset_at(preset="tomorrow", contact=contact, rep=company.rep, now=NOW)
    assert tomorrow.astimezone(berlin).replace(tzinfo=None) == dt.datetime(2026, 3, 11, 16, 0)
    week = callback_preset_at(preset="next_week", contact=contact, rep=company.rep, now=NOW)
    assert week.astimezone(berlin).replace(tzinfo=None) == dt.datetime(2026, 3, 17, 16, 0)
    morning = dt.datetime(2026, 3, 10, 8, 7, tzinfo=dt.UTC)  # 9:07 in Berlin
    later = callback_preset_at(preset="later", contact=contact, rep=company.rep, now=morning)
    assert later.astimezone(berlin).replace(tzinfo=None) == dt.datetime(2026, 3, 10, 12, 15)


def test_custom_time_is_read_in_the_contacts_zone(company):
    contact = ContactFactory(owner=company.rep, time_zone="America/Chicago")
    at = callback_custom_at(value=dt.datetime(2026, 3, 12, 14, 0), contact=contact, rep=company.rep)
    assert at == dt.datetime(2026, 3, 12, 19, 0, tzinfo=dt.UTC)  # CDT is UTC-5


def test_cadence_is_validated(company):
    contact = ContactFactory(owner=company.rep)
    contact_cadence_set(contact=contact, days=30)
    assert Contact.objects.get(pk=contact.pk).reconnect_days == 30
    contact_cadence_set(contact=contact, days=None)
    assert Contact.objects.get(pk=contact.pk).reconnect_days is None
    with pytest.raises(ValidationError):
        contact_cadence_set(contact=contact, days=3)


def test_now_default_is_used(company):
    contact = ContactFactory(owner=company.rep)
    log = call_outcome_log(rep=company.rep, contact=contact, outcome="no_answer")
    assert abs((log.created_at - timezone.now()).total_seconds()) < 5
