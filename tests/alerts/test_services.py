"""alert_raise / acknowledge / live events / outbox delivery, in process."""

from __future__ import annotations

import datetime as dt
import json
from email.header import decode_header, make_header

import pytest
from django.core import mail
from django.db.models import F
from django.utils import timezone

from tests.factories import ContactFactory
from warmline.alerts import realtime
from warmline.alerts.models import Alert, LiveEvent, OutboxMessage, Status
from warmline.alerts.services import (
    Step,
    alert_acknowledge,
    alert_acknowledge_cause,
    alert_ladder_default,
    alert_raise,
    live_event_prune,
    live_event_publish,
    outbox_dispatch_due,
    outbox_message_deliver,
    outbox_message_retry,
)
from warmline.alerts.sms import ConsoleSmsProvider, SmsError, TwilioSmsProvider

pytestmark = pytest.mark.django_db

MIN = dt.timedelta(minutes=1)


def _raise(people, **kwargs):  # type: ignore[no-untyped-def]
    defaults = {
        "recipient": people.rep,
        "kind": "question",
        "title": "Dana Kowalski (Acme Pumps) asked a question",
        "body": "Is the X200 retrofit kit in stock?",
        "url": "/questions/1/",
        "cause": "question:1",
    }
    return alert_raise(**{**defaults, **kwargs})


# -- raising -----------------------------------------------------------------------------
def test_default_ladder_comes_from_settings(settings):
    settings.ALERT_LADDER = [
        {"after_seconds": 0, "channel": "inapp", "to": "recipient"},
        {"after_seconds": 60, "channel": "sms", "to": "manager"},
    ]
    assert alert_ladder_default() == [
        Step(after=dt.timedelta(0), channel="inapp"),
        Step(after=MIN, channel="sms", to="manager"),
    ]


def test_raise_writes_alert_ladder_rows_and_the_in_app_event(
    people, django_capture_on_commit_callbacks
):
    contact = ContactFactory(owner=people.rep, first_name="Dana", last_name="Kowalski")
    with django_capture_on_commit_callbacks() as callbacks:
        alert = _raise(people, contact=contact, data={"question_id": 1})

    rows = list(alert.messages.order_by("step"))
    assert [(r.channel, r.audience, r.to_user, r.due_at - alert.created_at) for r in rows] == [
        ("inapp", "recipient", people.rep, dt.timedelta(0)),
        ("email", "recipient", people.rep, 5 * MIN),
        ("sms", "recipient", people.rep, 15 * MIN),
        ("email", "manager", people.manager, 30 * MIN),
    ]
    assert [r.status for r in rows] == ["sent", "pending", "pending", "pending"]
    assert [r.idempotency_key for r in rows] == [f"{alert.uuid}:{i}" for i in range(4)]
    assert rows[1].to_address == "rita@warmline.test"
    assert rows[2].to_address == "+14155550101"
    assert rows[3].to_address == "maria@warmline.test"
    assert rows[3].subject == f"Not yet acknowledged by Rita Reyes: {alert.title}"
    assert "has not acknowledged this alert in 30 minutes" in rows[3].body_text
    assert rows[2].body_text.startswith("Warmline: Dana Kowalski (Acme Pumps) asked a question")
    assert len(rows[2].body_text) <= 320

    event = LiveEvent.objects.get(user=people.rep)
    assert rows[0].provider_id == f"live:{event.pk}"
    assert event.event == "alert"
    assert event.data["title"] == alert.title
    assert event.data["unread"] == 1
    assert event.data["contact_id"] == contact.pk
    assert event.data["ack_url"] == f"/alerts/{alert.uuid}/ack"
    # Only the live publish runs on commit: nothing else is due yet.
    assert len(callbacks) == 1


def test_raising_the_same_cause_twice_returns_the_first_alert_and_writes_nothing(people):
    first = _raise(people)
    counts = (Alert.objects.count(), OutboxMessage.objects.count(), LiveEvent.objects.count())
    again = _raise(people, title="something else")
    assert again.pk == first.pk
    assert (
        Alert.objects.count(),
        OutboxMessage.objects.count(),
        LiveEvent.objects.count(),
    ) == counts
    # ...but the same cause for another person is another alert.
    other = _raise(people, recipient=people.rep2)
    assert other.pk != first.pk


def test_raise_rolls_back_with_the_cause(people):
    class Boom(Exception):
        pass

    from django.db import transaction

    with pytest.raises(Boom), transaction.atomic():
        _raise(people)
        raise Boom
    assert not Alert.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert not LiveEvent.objects.exists()


def test_a_rung_due_at_once_is_queued_on_commit(
    people, immediate_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        alert = _raise(people, ladder=[Step(after=dt.timedelta(0), channel="email")])
    row = alert.messages.get()
    assert row.status == Status.SENT
    assert row.attempts == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rita@warmline.test"]
    assert mail.outbox[0].subject == alert.title


def test_bad_ladders_are_refused(people):
    with pytest.raises(ValueError):
        _raise(people, ladder=[Step(after=dt.timedelta(0), channel="pigeon")])
    with pytest.raises(ValueError):
        _raise(people, ladder=[Step(after=dt.timedelta(0), channel="email", to="ceo")])


# -- acknowledging -------------------------------------------------------------------------
def test_acknowledging_stops_the_ladder_and_is_idempotent(people):
    alert = _raise(people)
    acked = alert_acknowledge(alert=alert, user=people.rep)
    assert acked.acknowledged_by == people.rep
    first_time = acked.acknowledged_at
    assert list(alert.messages.order_by("step").values_list("status", flat=True)) == [
        "sent",
        "cancelled",
        "cancelled",
        "cancelled",
    ]
    ack_event = LiveEvent.objects.get(user=people.rep, event="alert.ack")
    assert ack_event.data["uuid"] == str(alert.uuid)
    assert ack_event.data["unread"] == 0

    again = alert_acknowledge(alert=alert, user=people.manager)
    assert again.acknowledged_at == first_time
    assert again.acknowledged_by == people.rep
    assert LiveEvent.objects.filter(event="alert.ack").count() == 1
    # Nothing is due any more, even long after.
    assert outbox_dispatch_due(now=timezone.now() + dt.timedelta(hours=1)) == 0


def test_acknowledge_cause_acks_every_open_alert_of_that_cause(people):
    _raise(people)
    _raise(people, recipient=people.rep2)
    _raise(people, cause="question:2")
    assert alert_acknowledge_cause(cause="question:1") == 2
    assert alert_acknowledge_cause(cause="question:1") == 0
    assert Alert.objects.filter(acknowledged_at__isnull=True).count() == 1


# -- live events -----------------------------------------------------------------------------
def test_live_events_are_published_on_commit_only(
    people, django_capture_on_commit_callbacks, monkeypatch
):
    published: list[list[realtime.LiveMessage]] = []
    monkeypatch.setattr(realtime, "live_publish", published.append)
    with django_capture_on_commit_callbacks(execute=True):
        live_event_publish(
            user_ids=[people.rep.pk, people.rep.pk, people.rep2.pk],
            event="question",
            data={"at": timezone.now(), "n": 1},
        )
        assert published == []
    assert len(published) == 1
    messages = published[0]
    assert sorted(m.user_id for m in messages) == sorted([people.rep.pk, people.rep2.pk])
    assert all(m.event == "question" for m in messages)
    assert isinstance(messages[0].data["at"], str)  # JSON-safe
    assert messages[0].id == LiveEvent.objects.get(user=messages[0].user_id).pk


def test_old_live_events_are_pruned(people, settings):
    settings.ALERT_LIVE_EVENT_KEEP_DAYS = 3
    live_event_publish(user_ids=[people.rep.pk], event="x", data={})
    LiveEvent.objects.update(created_at=timezone.now() - dt.timedelta(days=4))
    live_event_publish(user_ids=[people.rep.pk], event="y", data={})
    assert live_event_prune() == 1
    assert list(LiveEvent.objects.values_list("event", flat=True)) == ["y"]


# -- dispatch and delivery ---------------------------------------------------------------------
def _pass(alert: Alert, minutes: float) -> None:
    """Let time pass for this alert's ladder (moves its timestamps into the past)."""
    delta = dt.timedelta(minutes=minutes)
    Alert.objects.filter(pk=alert.pk).update(created_at=F("created_at") - delta)
    OutboxMessage.objects.filter(alert=alert).update(
        due_at=F("due_at") - delta, next_attempt_at=F("next_attempt_at") - delta
    )


def test_escalation_in_order_until_acknowledged(people, immediate_tasks, sms_settings):
    alert = _raise(people)
    assert outbox_dispatch_due() == 0
    _pass(alert, 4.9)
    assert outbox_dispatch_due() == 0
    assert mail.outbox == []

    _pass(alert, 0.2)  # 5 minutes: e-mail to the rep
    assert outbox_dispatch_due() == 1
    assert [m.to for m in mail.outbox] == [["rita@warmline.test"]]
    assert "still waiting for you (5 minutes now)" in mail.outbox[0].body
    assert outbox_dispatch_due() == 0

    _pass(alert, 10)  # 15 minutes: a text message
    assert outbox_dispatch_due() == 1
    assert [(m["To"], m["From"]) for m in sms_settings.messages] == [
        ("+14155550101", "+15005550006")
    ]
    assert sms_settings.messages[0]["Body"].startswith("Warmline: Dana Kowalski")

    _pass(alert, 15)  # 30 minutes: the manager
    assert outbox_dispatch_due() == 1
    assert [m.to for m in mail.outbox][-1] == ["maria@warmline.test"]
    assert set(alert.messages.values_list("status", flat=True)) == {"sent"}
    assert outbox_dispatch_due() == 0
    assert (len(mail.outbox), len(sms_settings.messages)) == (2, 1)


def test_acknowledging_midway_stops_what_is_left(people, immediate_tasks, sms_settings):
    alert = _raise(people)
    _pass(alert, 6)
    assert outbox_dispatch_due() == 1
    alert_acknowledge(alert=alert, user=people.rep)
    _pass(alert, 60)
    assert outbox_dispatch_due() == 0
    assert len(mail.outbox) == 1
    assert sms_settings.requests == []
    assert list(alert.messages.order_by("step").values_list("status", flat=True)) == [
        "sent",
        "sent",
        "cancelled",
        "cancelled",
    ]


def test_a_rung_is_sent_by_exactly_one_claimer(people):
    alert = _raise(people, ladder=[Step(after=dt.timedelta(0), channel="email")])
    row = alert.messages.get()
    assert outbox_message_deliver(message_id=row.pk, worker_id="w1") == "sent"
    assert outbox_message_deliver(message_id=row.pk, worker_id="w2") == "skipped"
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.claimed_by) == ("sent", 1, "w1")


def test_a_rung_not_yet_due_is_not_sent(people):
    alert = _raise(people, ladder=[Step(after=5 * MIN, channel="email")])
    assert outbox_message_deliver(message_id=alert.messages.get().pk) == "skipped"
    assert mail.outbox == []


def test_email_carries_a_deterministic_message_id_and_both_parts(people, settings):
    settings.SITE_URL = "https://warmline.example.com"
    alert = _raise(
        people,
        title='Dana asked <about> "pumps" & valves',
        ladder=[Step(after=dt.timedelta(0), channel="email")],
    )
    row = alert.messages.get()
    outbox_message_deliver(message_id=row.pk)
    sent = mail.outbox[0]
    assert sent.extra_headers["Message-ID"] == f"<alert.{alert.uuid}.0@warmline.example.com>"
    assert sent.extra_headers["X-Warmline-Idempotency-Key"] == f"{alert.uuid}:0"
    assert sent.subject == 'Dana asked <about> "pumps" & valves'
    assert f"https://warmline.example.com/alerts/{alert.uuid}/" in sent.body
    html, mimetype = sent.alternatives[0]
    assert mimetype == "text/html"
    assert "Dana asked &lt;about&gt; &quot;pumps&quot; &amp; valves" in html
    row.refresh_from_db()
    assert row.provider_id == sent.extra_headers["Message-ID"]


def test_transient_failures_retry_with_backoff_then_fail(people, settings, sms_settings):
    settings.ALERT_MAX_ATTEMPTS = 3
    settings.ALERT_RETRY_BASE_SECONDS = 30
    sms_settings.fail_next = [503, 503, 503]
    alert = _raise(people, ladder=[Step(after=dt.timedelta(0), channel="sms")])
    row = alert.messages.get()

    assert outbox_message_deliver(message_id=row.pk) == "retry"
    row.refresh_from_db()
    assert row.status == "pending" and row.attempts == 1
    assert "503" in row.last_error
    delay = (row.next_attempt_at - timezone.now()).total_seconds()
    assert 25 < delay <= 30
    assert outbox_message_deliver(message_id=row.pk) == "skipped"  # not due yet

    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert outbox_message_deliver(message_id=row.pk) == "retry"
    row.refresh_from_db()
    assert 55 < (row.next_attempt_at - timezone.now()).total_seconds() <= 60

    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert outbox_message_deliver(message_id=row.pk) == "failed"
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 3)
    assert sms_settings.messages == []

    # An admin can send it again once the provider is back.
    assert outbox_message_retry(message=row)
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert outbox_message_deliver(message_id=row.pk) == "sent"
    assert len(sms_settings.messages) == 1


def test_permanent_failures_do_not_retry(people, sms_settings):
    sms_settings.fail_next = [400]
    alert = _raise(people, ladder=[Step(after=dt.timedelta(0), channel="sms")])
    row = alert.messages.get()
    assert outbox_message_deliver(message_id=row.pk) == "failed"
    row.refresh_from_db()
    assert "SMS provider answered 400" in row.last_error


def test_missing_addresses_and_managers_fail_with_a_clear_reason(people):
    people.rep.mobile_phone = ""
    people.rep.save()
    people.rep.team.manager = None
    people.rep.team.save()
    people.rep.refresh_from_db()
    alert = _raise(
        people,
        ladder=[
            Step(after=dt.timedelta(0), channel="sms"),
            Step(after=dt.timedelta(0), channel="email", to="manager"),
        ],
    )
    sms_row, manager_row = alert.messages.order_by("step")
    assert outbox_message_deliver(message_id=sms_row.pk) == "failed"
    assert outbox_message_deliver(message_id=manager_row.pk) == "failed"
    sms_row.refresh_from_db()
    manager_row.refresh_from_db()
    assert sms_row.last_error.endswith("Rita Reyes has no mobile phone number on file")
    assert "the recipient's team has no manager" in manager_row.last_error


def test_a_mobile_added_after_the_alert_is_used(people, sms_settings):
    people.rep.mobile_phone = ""
    people.rep.save()
    alert = _raise(people, ladder=[Step(after=dt.timedelta(0), channel="sms")])
    people.rep.mobile_phone = "+14155550199"
    people.rep.save()
    assert outbox_message_deliver(message_id=alert.messages.get().pk) == "sent"
    assert sms_settings.messages[0]["To"] == "+14155550199"


def test_acknowledged_while_queued_is_not_sent(people):
    alert = _raise(people, ladder=[Step(after=dt.timedelta(0), channel="email")])
    row = alert.messages.get()
    Alert.objects.filter(pk=alert.pk).update(acknowledged_at=timezone.now())  # raced the claim
    assert outbox_message_deliver(message_id=row.pk) == "cancelled"
    assert mail.outbox == []


def test_a_claim_left_by_a_dead_worker_is_taken_over(people, settings, immediate_tasks):
    settings.ALERT_CLAIM_TIMEOUT_SECONDS = 120
    alert = _raise(people, ladder=[Step(after=dt.timedelta(0), channel="email")])
    row = alert.messages.get()
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=Status.SENDING,
        claimed_by="dead-worker",
        attempts=1,
        claimed_at=timezone.now() - dt.timedelta(seconds=60),
    )
    assert outbox_dispatch_due() == 0  # a young claim may still be sending
    assert mail.outbox == []
    OutboxMessage.objects.filter(pk=row.pk).update(
        claimed_at=timezone.now() - dt.timedelta(seconds=121)
    )
    assert outbox_dispatch_due() == 1
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)


def test_dispatch_does_not_queue_a_row_twice_within_the_lease(people, monkeypatch):
    queued: list[list[int]] = []
    monkeypatch.setattr("warmline.alerts.services._enqueue_delivery", queued.append)
    alert = _raise(people, ladder=[Step(after=dt.timedelta(0), channel="email")])
    row = alert.messages.get()
    OutboxMessage.objects.filter(pk=row.pk).update(dispatched_at=None)
    assert outbox_dispatch_due() == 1
    assert outbox_dispatch_due() == 0
    OutboxMessage.objects.filter(pk=row.pk).update(
        dispatched_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert outbox_dispatch_due() == 1
    assert queued == [[row.pk], [row.pk]]


def test_a_later_in_app_rung_reaches_the_manager(people):
    alert = _raise(
        people,
        ladder=[
            Step(after=dt.timedelta(0), channel="inapp"),
            Step(after=dt.timedelta(0), channel="inapp", to="manager"),
        ],
    )
    # Both in-app rungs due at once are delivered while raising.
    events = {e.user_id: e for e in LiveEvent.objects.filter(event="alert")}
    assert events[people.rep.pk].data["unread"] == 1
    assert events[people.manager.pk].data["escalated"] is True
    assert events[people.manager.pk].data["unread"] is None

    alert_acknowledge(alert=alert, user=people.manager)
    acks = {e.user_id: e.data for e in LiveEvent.objects.filter(event="alert.ack")}
    assert acks[people.rep.pk]["unread"] == 0
    assert acks[people.manager.pk]["unread"] is None


def test_delayed_in_app_rung_is_delivered_by_the_worker_exactly_once(people):
    alert = _raise(
        people,
        ladder=[
            Step(after=dt.timedelta(0), channel="email"),
            Step(after=dt.timedelta(0), channel="inapp", to="manager"),
        ],
    )
    # Pretend the in-app rung was due later (so the worker delivers it, not alert_raise).
    row = alert.messages.get(step=1)
    assert row.status == "sent"
    OutboxMessage.objects.filter(pk=row.pk).update(status="pending", provider_id="")
    LiveEvent.objects.filter(user=people.manager).delete()
    assert outbox_message_deliver(message_id=row.pk) == "sent"
    assert outbox_message_deliver(message_id=row.pk) == "skipped"
    assert LiveEvent.objects.filter(user=people.manager, event="alert").count() == 1


# -- SMS providers --------------------------------------------------------------------------
def test_twilio_provider_speaks_the_messages_api(sms_server):
    provider = TwilioSmsProvider(
        api_url=sms_server.url,
        account_sid=sms_server.sid,
        auth_token=sms_server.token,
        from_number="+15005550006",
    )
    sid = provider.send(to="+14155550101", body="Hello", idempotency_key="k-1")
    assert sid.startswith("SM")
    request = sms_server.requests[0]
    assert request["path"] == f"/2010-04-01/Accounts/{sms_server.sid}/Messages.json"
    assert request["form"] == {"To": "+14155550101", "From": "+15005550006", "Body": "Hello"}
    assert request["key"] == request["idempotency_key"] == "k-1"
    # The same key again is the same message at the provider.
    assert provider.send(to="+14155550101", body="Hello", idempotency_key="k-1") == sid
    assert len(sms_server.messages) == 1


def test_twilio_provider_errors_are_clear(sms_server):
    wrong = TwilioSmsProvider(
        api_url=sms_server.url,
        account_sid=sms_server.sid,
        auth_token="wrong",
        from_number="+15005550006",
    )
    with pytest.raises(SmsError, match="401: Authenticate") as info:
        wrong.send(to="+1", body="x", idempotency_key="k")
    assert info.value.permanent
    unconfigured = TwilioSmsProvider(
        api_url=sms_server.url, account_sid="", auth_token="", from_number=""
    )
    with pytest.raises(SmsError, match="SMS_ACCOUNT_SID"):
        unconfigured.send(to="+1", body="x", idempotency_key="k")
    nobody = TwilioSmsProvider(
        api_url="http://127.0.0.1:9", account_sid="a", auth_token="b", from_number="+1", timeout=2
    )
    with pytest.raises(SmsError, match="unreachable") as info:
        nobody.send(to="+1", body="x", idempotency_key="k")
    assert not info.value.permanent


def test_console_provider_appends_to_a_file(tmp_path):
    path = tmp_path / "sms" / "outbox.jsonl"
    provider = ConsoleSmsProvider(path=str(path))
    assert provider.send(to="+14155550101", body="Hi Rita", idempotency_key="k") == "console:k"
    line = json.loads(path.read_text().splitlines()[0])
    assert (line["to"], line["body"], line["idempotency_key"]) == ("+14155550101", "Hi Rita", "k")


def test_subject_with_non_ascii_survives(people, smtp_settings):
    alert = _raise(
        people,
        title="Zoë Müller asked about the Ø-ring",
        ladder=[Step(after=dt.timedelta(0), channel="email")],
    )
    assert outbox_message_deliver(message_id=alert.messages.get().pk) == "sent"
    received = smtp_settings.wait_for(1)[0]
    assert (
        str(make_header(decode_header(received["Subject"]))) == "Zoë Müller asked about the Ø-ring"
    )
