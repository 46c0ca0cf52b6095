"""Where the portal meets the other apps: its call-queue reason ("asked a question 2 h
ago"), the acknowledge hook for question alerts (both directions), and the contact page's
"Questions from the portal" panel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.calls.conftest import zone_where_it_is
from tests.factories import ContactFactory
from tests.queries import session_queries
from warmline.alerts.models import Alert, OutboxMessage, Status
from warmline.alerts.services import alert_acknowledge, alert_raise
from warmline.calls.selectors import call_queue_build
from warmline.calls.services import callback_schedule
from warmline.core.registries.reasons import ReasonContext, reason_provider_list
from warmline.people.panels import contact_panel_list
from warmline.portal.models import Channel, Question, QuestionStatus
from warmline.portal.reasons import question_call_reasons
from warmline.portal.services import (
    QuestionInput,
    question_acknowledge,
    question_answer,
    question_ask,
)
from warmline.timeline.models import Interaction, Kind

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _ask(contact, text="Do you stock DN 150 seals?", minutes_ago=0, **kwargs):  # type: ignore[no-untyped-def]
    question = question_ask(
        contact=contact, data=QuestionInput(message=text, **kwargs), verified=True
    )
    if minutes_ago:
        asked = timezone.now() - dt.timedelta(minutes=minutes_ago)
        Question.objects.filter(pk=question.pk).update(created_at=asked)
        question.refresh_from_db()
    return question


def _reasons(user, now=None):  # type: ignore[no-untyped-def]
    now = now or timezone.now()
    return list(
        question_call_reasons(ReasonContext(user=user, now=now, today=now.date(), limit=60))
    )


@pytest.fixture
def callable_customer(customer):  # type: ignore[no-untyped-def]
    """The rep's customer, in calling hours right now and with a personal touch yesterday
    (so no other reason puts them in the queue)."""
    from warmline.people.models import Contact

    yesterday = timezone.now() - dt.timedelta(days=1)
    Contact.objects.filter(pk=customer.pk).update(
        time_zone=zone_where_it_is(13), last_touch_at=yesterday
    )
    customer.refresh_from_db()
    return customer


# --- Call queue ------------------------------------------------------------------------


def test_the_portal_registers_its_reason_with_the_queue() -> None:
    provider = {p.key: p for p in reason_provider_list()}["question"]
    assert provider.collect is question_call_reasons and provider.default_weight == 100


def test_open_questions_are_reasons_to_call(customer, company) -> None:  # type: ignore[no-untyped-def]
    call_me = _ask(customer, minutes_ago=125, preferred_channel=Channel.CALL, phone="+14155550199")
    other = ContactFactory(owner=company.rep, first_name="Eve")
    mail_me = _ask(other, minutes_ago=30)
    acknowledged = _ask(ContactFactory(owner=company.rep), minutes_ago=10)
    question_acknowledge(question=acknowledged, user=company.rep)
    answered = _ask(ContactFactory(owner=company.rep))
    question_answer(question=answered, user=company.rep, note="Called back")
    _ask(ContactFactory(owner=company.rep2), "Not Rita's")
    reasons = _reasons(company.rep)
    assert [r.ref for r in reasons] == [
        f"question:{call_me.pk}",
        f"question:{mail_me.pk}",
        f"question:{acknowledged.pk}",
    ]
    first, second, _ = reasons
    assert first.text == "asked a question 2 h ago and would like a call"
    assert first.contact_id == customer.pk and first.at == call_me.created_at
    assert first.url == reverse("question-detail", args=[call_me.pk])
    assert second.text == "asked a question 30 min ago (prefers e-mail)"
    assert second.urgency < first.urgency


def test_a_question_past_its_promised_answer_time_is_more_urgent(customer, company) -> None:  # type: ignore[no-untyped-def]
    question = _ask(customer, preferred_channel=Channel.CALL, phone="+14155550199")
    on_time = _reasons(company.rep, now=question.answer_by - dt.timedelta(minutes=1))[0]
    late = _reasons(company.rep, now=question.answer_by + dt.timedelta(hours=2))[0]
    overdue = _reasons(company.rep, now=question.answer_by + dt.timedelta(hours=8))[0]
    assert on_time.urgency == 1.0 and late.urgency == 1.5 and overdue.urgency == 2.0


def test_the_reason_costs_one_query_however_many_questions(
    customer, company, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        _ask(ContactFactory(owner=company.rep), f"Question {n}")
    with django_assert_num_queries(1):
        assert len(_reasons(company.rep)) == 3
    for n in range(30):
        _ask(ContactFactory(owner=company.rep), f"More {n}")
    with django_assert_num_queries(1):
        assert len(_reasons(company.rep)) == 33


def test_a_waiting_question_beats_a_callback_in_the_queue(callable_customer, company) -> None:  # type: ignore[no-untyped-def]
    from tests.calls.conftest import make_overdue

    promised = ContactFactory(
        owner=company.rep,
        first_name="Promised",
        phones=[("+1 415 555 0142", "work")],
        time_zone=zone_where_it_is(13),
    )
    make_overdue(promised, days=1)
    callback_schedule(rep=company.rep, contact=promised, due_at=timezone.now())
    _ask(callable_customer, minutes_ago=20, preferred_channel=Channel.CALL, phone="+14155550199")
    queue = call_queue_build(user=company.rep)
    assert [item.contact.pk for item in queue.ready] == [callable_customer.pk, promised.pk]
    assert queue.ready[0].reason_text == "asked a question 20 min ago and would like a call"


# --- Alerts: acknowledging a question's alert acknowledges the question --------------


def test_acknowledging_the_alert_acknowledges_the_question(customer, company) -> None:  # type: ignore[no-untyped-def]
    question = _ask(customer)
    alert = Alert.objects.get(cause=question.cause)
    alert_acknowledge(alert=alert, user=company.rep)
    question.refresh_from_db()
    assert question.status == QuestionStatus.ACKNOWLEDGED
    assert question.acknowledged_by == company.rep and question.acknowledged_at is not None
    entry = Interaction.objects.get(external_id=f"question:{question.uuid}:acknowledged")
    assert entry.kind == Kind.QUESTION and entry.author == company.rep
    assert not OutboxMessage.objects.filter(alert=alert, status=Status.PENDING).exists()


def test_acknowledging_from_the_toast_acknowledges_the_question(customer, company, client) -> None:  # type: ignore[no-untyped-def]
    question = _ask(customer)
    alert = Alert.objects.get(cause=question.cause)
    client.force_login(company.rep)
    response = client.post(reverse("alerts:ack", args=[alert.uuid]), HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response.json()["unread"] == 0
    question.refresh_from_db()
    assert question.status == QuestionStatus.ACKNOWLEDGED
    # ... and from the alerts list (htmx swaps the card).
    second = _ask(customer, "Another one")
    alert = Alert.objects.get(cause=second.cause)
    client.post(reverse("alerts:ack", args=[alert.uuid]), **HTMX)
    second.refresh_from_db()
    assert second.status == QuestionStatus.ACKNOWLEDGED


def test_acknowledging_the_question_stops_its_alert_s_ladder(customer, company) -> None:  # type: ignore[no-untyped-def]
    question = _ask(customer)
    alert = Alert.objects.get(cause=question.cause)
    assert OutboxMessage.objects.filter(alert=alert, status=Status.PENDING).count() == 3
    question_acknowledge(question=question, user=company.rep)
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None
    assert not OutboxMessage.objects.filter(alert=alert, status=Status.PENDING).exists()
    # Exactly one "acknowledged" entry: the alert's hook did not run a second time.
    acknowledged = Interaction.objects.filter(external_id__endswith=":acknowledged")
    assert acknowledged.count() == 1


def test_an_answered_question_stays_answered_and_a_bare_alert_is_ignored(customer, company) -> None:  # type: ignore[no-untyped-def]
    question = _ask(customer)
    Question.objects.filter(pk=question.pk).update(status=QuestionStatus.ANSWERED)
    alert_acknowledge(alert=Alert.objects.get(cause=question.cause), user=company.rep)
    question.refresh_from_db()
    assert question.status == QuestionStatus.ANSWERED
    bare = alert_raise(recipient=company.rep, kind="question", title="No question", cause="q:x")
    assert alert_acknowledge(alert=bare, user=company.rep).acknowledged_at is not None


# --- The contact page's questions panel -----------------------------------------------


def test_the_questions_panel_is_registered_and_loads_on_the_contact_page(
    customer, rep_client
) -> None:  # type: ignore[no-untyped-def]
    assert {p.key: p.url_name for p in contact_panel_list()}["questions"] == "contact-questions"
    body = rep_client.get(reverse("contact-detail", args=[customer.pk])).content.decode()
    url = reverse("contact-questions", args=[customer.pk])
    assert f'hx-get="{url}" hx-trigger="load"' in body


def test_panel_lists_the_contact_s_questions_open_first(customer, company, rep_client) -> None:  # type: ignore[no-untyped-def]
    old = _ask(customer, "An old question, answered", minutes_ago=600)
    question_answer(question=old, user=company.rep, note="Sent the datasheet")
    new = _ask(customer, "Can you call me about the X200?")
    body = rep_client.get(reverse("contact-questions", args=[customer.pk]), **HTMX).content.decode()
    assert body.index("Can you call me about the X200?") < body.index("An old question")
    assert reverse("question-acknowledge", args=[new.pk]) in body
    assert reverse("question-acknowledge", args=[old.pk]) not in body
    assert "Answered" in body


def test_acknowledging_from_the_panel_returns_to_the_contact_page(
    customer, company, rep_client
) -> None:  # type: ignore[no-untyped-def]
    question = _ask(customer)
    response = rep_client.post(
        reverse("question-acknowledge", args=[question.pk]),
        {"next": customer.get_absolute_url()},
    )
    assert response.status_code == 302 and response.url == customer.get_absolute_url()
    question.refresh_from_db()
    assert question.status == QuestionStatus.ACKNOWLEDGED


def test_panel_is_empty_without_questions_and_scoped_to_the_book(
    customer, company, rep_client
) -> None:  # type: ignore[no-untyped-def]
    assert rep_client.get(reverse("contact-questions", args=[customer.pk]), **HTMX).content == b""
    stranger = ContactFactory(owner=company.outsider_rep)
    _ask(stranger)
    url = reverse("contact-questions", args=[stranger.pk])
    assert rep_client.get(url, **HTMX).status_code == 404


def test_panel_query_count_does_not_grow(
    customer, company, rep_client, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    url = reverse("contact-questions", args=[customer.pk])
    _ask(customer)
    # 1 session, 2 user, 3 contact, 4 questions (+ rep, answered by)
    with django_assert_num_queries(3 + session_queries()):
        rep_client.get(url, **HTMX)
    for n in range(8):
        _ask(customer, f"Question number {n}")
    with django_assert_num_queries(3 + session_queries()):
        body = rep_client.get(url, **HTMX).content.decode()
    assert body.count('class="q-item') == 5


def test_a_question_reaches_the_reps_queue_snapshot_at_once(callable_customer, company) -> None:  # type: ignore[no-untyped-def]
    """Call mode reads a snapshot of the ranking: asking (and answering) marks it stale in
    the same transaction, so the next card already shows it."""
    from warmline.calls.models import QueueSnapshot
    from warmline.calls.queue import call_queue_current

    assert call_queue_current(user=company.rep).ready == []
    question = _ask(callable_customer, preferred_channel=Channel.CALL, phone="+14155550199")
    snapshot = QueueSnapshot.objects.get(rep=company.rep)
    assert snapshot.version > snapshot.built_version
    queue = call_queue_current(user=company.rep)
    assert [item.contact.pk for item in queue.ready] == [callable_customer.pk]
    assert queue.ready[0].reason_key == "question"
    question_answer(question=question, user=company.rep)
    assert call_queue_current(user=company.rep).ready == []
