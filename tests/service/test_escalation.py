"""The SLA scheduler: each step alerts once, to the right people, never for resolved
cases; the e-mail reaches a real SMTP server with the case, the customer and a link."""

from __future__ import annotations

import datetime as dt
from email.header import decode_header, make_header

from django.utils import timezone

from tests.factories import ContactFactory
from tests.service.conftest import Book
from tests.smtp import SmtpServer
from warmline.alerts.models import Alert, OutboxMessage
from warmline.service.escalation import case_escalate, sla_pass
from warmline.service.models import Case, SlaStepFired
from warmline.service.services import CaseData, case_acknowledge, case_create, case_update


def _open(book: Book, minutes_ago: int, contact=None, **kwargs) -> Case:  # type: ignore[no-untyped-def]
    return case_create(
        contact=contact or book.dana,
        data=CaseData(
            subject=kwargs.pop("subject", "Pump leaking"),
            opened_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
            **kwargs,
        ),
        actor=book.company.agent,
    )


def test_warn_step_alerts_the_rep_once(book: Book) -> None:
    case = _open(book, minutes_ago=12)
    result = sla_pass()
    assert (result.cases_due, result.steps_fired, result.alerts_raised) == (1, 1, 1)
    alert = Alert.objects.get()
    assert alert.recipient == book.company.rep
    assert alert.cause == f"case:{case.pk}:first_response:warn"
    assert alert.contact == book.dana
    assert "Dana Scully (Acme Pumps)" in alert.title and "due in" in alert.title
    assert set(OutboxMessage.objects.values_list("channel", flat=True)) == {"inapp", "email"}
    case.refresh_from_db()
    assert case.next_step_due_at == case.opened_at + dt.timedelta(minutes=20)

    again = sla_pass()  # a second pass (or a restarted worker) finds nothing to do
    assert again.cases_due == 0 and Alert.objects.count() == 1


def test_late_arrival_breaches_without_a_warning_and_escalates_to_manager(book: Book) -> None:
    case = _open(book, minutes_ago=35)
    sla_pass()
    causes = dict(Alert.objects.values_list("cause", "recipient__username"))
    assert causes == {
        f"case:{case.pk}:first_response:breach": "rita",
        f"case:{case.pk}:first_response:manager": "maria",
    }
    fired = dict(SlaStepFired.objects.values_list("step", "alerts"))
    assert fired == {"warn": 0, "breach": 1, "manager": 1}  # warn superseded by breach
    breach = Alert.objects.get(cause__endswith=":breach")
    channels = set(OutboxMessage.objects.filter(alert=breach).values_list("channel", flat=True))
    assert channels == {"inapp", "email", "sms"}
    manager = Alert.objects.get(cause__endswith=":manager")
    assert manager.title.startswith(f"Escalation: {book.company.rep}'s customer Dana Scully")


def test_case_resolved_before_the_step_never_alerts(book: Book) -> None:
    case = _open(book, minutes_ago=9)
    assert case.next_step_due_at is not None
    case_update(case=case, changes={"status": "resolved"}, actor=book.company.agent)
    # Even a pass that "thinks" it is an hour later finds no running clock.
    result = sla_pass(now=timezone.now() + dt.timedelta(hours=5))
    assert result.alerts_raised == 0
    assert not Alert.objects.exists()


def test_stale_claim_does_nothing_and_alerts_are_unique_even_if_records_vanish(book: Book) -> None:
    case = _open(book, minutes_ago=12)
    version = case.sla_version
    sla_pass()
    # A second worker that listed the case before the first claimed it: loses the claim.
    late = case_escalate(case_id=case.pk, version=version, now=timezone.now())
    assert late.cases_claimed == 0
    # Belt and braces: even if the step record were lost, the alert is not raised twice.
    SlaStepFired.objects.all().delete()
    Case.objects.filter(pk=case.pk).update(next_step_due_at=case.opened_at)
    sla_pass()
    assert Alert.objects.count() == 1


def test_first_response_stops_the_ladder_and_rep_acknowledgement_too(book: Book) -> None:
    case = _open(book, minutes_ago=12)
    sla_pass()
    alert = Alert.objects.get()
    assert alert.acknowledged_at is None
    case_acknowledge(case=case, user=book.company.rep)
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None

    other = _open(book, minutes_ago=12, subject="Invoice wrong")
    sla_pass()
    second = Alert.objects.get(cause=f"case:{other.pk}:first_response:warn")
    case_update(case=other, changes={"status": "pending_customer"}, actor=book.company.agent)
    second.refresh_from_db()
    assert second.acknowledged_at is not None  # first response given: that ladder stops


def test_unassigned_customer_breach_goes_to_managers(book: Book) -> None:
    stranger = ContactFactory(first_name="Sam", last_name="Stray", owner=None)
    _open(book, minutes_ago=25, contact=stranger)
    sla_pass()
    recipients = set(Alert.objects.values_list("recipient__username", flat=True))
    assert recipients == {"maria", "otto"}  # every manager sees the unassigned queue


def test_pass_with_nothing_due_is_one_query(book: Book, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    _open(book, minutes_ago=0)
    with django_assert_num_queries(1):  # the indexed range query over next_step_due_at
        result = sla_pass()
    assert result.cases_due == 0


def test_escalation_email_reaches_smtp_with_case_customer_and_link(  # type: ignore[no-untyped-def]
    book: Book, smtp_settings: SmtpServer, django_capture_on_commit_callbacks
) -> None:
    case = _open(book, minutes_ago=12, description="Seal failed on pump P-400")
    with django_capture_on_commit_callbacks(execute=True):
        sla_pass()
    [message] = smtp_settings.wait_for(1)
    assert message["X-Envelope-To"] == "rita@warmline.test"
    subject = str(make_header(decode_header(message["Subject"])))
    assert "Dana Scully" in subject and "Pump leaking" in subject
    text = ""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode()
    assert "Customer: Dana Scully (Acme Pumps)" in text
    assert "Case: Pump leaking" in text and "Seal failed on pump P-400" in text
    assert f"https://warmline.example.com/cases/{case.pk}/" in text
    assert OutboxMessage.objects.get(channel="email").status == "sent"
