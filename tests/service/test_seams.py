"""Where the service app meets the others: its call-queue reason ("case #41 breached
SLA"), the acknowledge hook for its SLA alerts, and its panel on the contact page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import ContactFactory
from tests.queries import session_queries
from tests.service.conftest import Book
from warmline.alerts.models import Alert, OutboxMessage
from warmline.alerts.models import Status as OutboxStatus
from warmline.alerts.services import alert_acknowledge
from warmline.calls.selectors import call_queue_build
from warmline.core.registries.reasons import ReasonContext, reason_provider_list
from warmline.people.panels import contact_panel_list
from warmline.service.escalation import sla_pass
from warmline.service.models import Case, CaseNote
from warmline.service.reasons import case_call_reasons
from warmline.service.services import CaseData, case_acknowledge, case_create, case_update

HTMX = {"HTTP_HX_REQUEST": "true"}


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


def _reasons(book: Book, now: dt.datetime | None = None) -> list:  # type: ignore[type-arg]
    now = now or timezone.now()
    ctx = ReasonContext(user=book.company.rep, now=now, today=now.date(), limit=60)
    return list(case_call_reasons(ctx))


# --- Call queue ------------------------------------------------------------------------


def test_the_service_app_registers_its_reason_with_the_queue() -> None:
    provider = {p.key: p for p in reason_provider_list()}["case"]
    assert provider.collect is case_call_reasons and provider.default_weight == 90


def test_breached_and_nearly_breached_cases_are_reasons_to_call(book: Book, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SERVICE_CALL_NEAR_BREACH_MINUTES = 120
    now = timezone.now()
    # Normal policy (24x7 in these tests): first response breaches 20 minutes after opening.
    breached = _open(book, minutes_ago=150, subject="Seal leaking on the X200")
    near = _open(book, minutes_ago=5, subject="Invoice shows the old PO")
    near_contact = near.contact
    _open(book, minutes_ago=5, priority="low", subject="Far from its SLA")  # no policy: none
    paused = _open(book, minutes_ago=140, subject="Waiting on photos")
    case_update(case=paused, changes={"status": "pending_customer"}, actor=book.company.agent)
    _open(book, minutes_ago=140, contact=book.omar, subject="Someone else's customer")
    reasons = _reasons(book, now)
    assert [r.ref for r in reasons] == [f"case:{breached.pk}", f"case:{near.pk}"]
    first, second = reasons
    assert first.text == f"case #{breached.pk} breached SLA 2 h ago: “Seal leaking on the X200”"
    assert first.at == breached.breach_at and first.urgency >= 1.5
    assert first.url == reverse("case-detail", args=[breached.pk])
    assert second.text == f"case #{near.pk} breaches SLA in 15 min: “Invoice shows the old PO”"
    assert 1.0 <= second.urgency < first.urgency
    assert second.contact_id == near_contact.pk


def test_a_case_outside_the_window_or_acknowledged_counts_less(book: Book, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SERVICE_CALL_NEAR_BREACH_MINUTES = 10
    fresh = _open(book, minutes_ago=1)  # breaches in 19 min: outside a 10-minute window
    assert _reasons(book) == []
    settings.SERVICE_CALL_NEAR_BREACH_MINUTES = 120
    late = _open(book, minutes_ago=60, subject="Late")
    before = {r.ref: r.urgency for r in _reasons(book)}
    case_acknowledge(case=late, user=book.company.rep)
    after = {r.ref: r.urgency for r in _reasons(book)}
    assert after[f"case:{late.pk}"] == pytest.approx(before[f"case:{late.pk}"] * 0.75, rel=0.01)
    assert f"case:{fresh.pk}" in after


def test_the_reason_costs_one_query_however_many_cases(
    book: Book, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        _open(book, minutes_ago=60 + n, subject=f"Case {n}")
    with django_assert_num_queries(1):
        assert len(_reasons(book)) == 3
    for n in range(30):
        _open(book, minutes_ago=60 + n, subject=f"More {n}")
    with django_assert_num_queries(1):
        assert len(_reasons(book)) == 33


def test_a_breached_case_puts_its_customer_on_top_of_the_queue(book: Book) -> None:
    breached = _open(book, minutes_ago=140)
    queue = call_queue_build(user=book.company.rep, limit=100)
    items = queue.ready + queue.held
    top = next(i for i in items if i.contact.pk == book.dana.pk)
    assert top.reason_key == "case" and f"case #{breached.pk} breached SLA" in top.reason_text


def test_case_writes_and_sla_times_keep_the_queue_snapshot_current(book: Book, settings) -> None:  # type: ignore[no-untyped-def]
    """A new case marks the owner's snapshot stale at once; a case that will enter its
    near-breach window, or breach, sets the time the snapshot must be rebuilt by."""
    from warmline.calls.models import QueueSnapshot
    from warmline.calls.queue import call_queue_current

    rep = book.company.rep
    call_queue_current(user=rep)
    breached = _open(book, minutes_ago=140)
    snapshot = QueueSnapshot.objects.get(rep=rep)
    assert snapshot.version > snapshot.built_version
    queue = call_queue_current(user=rep, limit=100)
    top = next(i for i in queue.ready + queue.held if i.contact.pk == book.dana.pk)
    assert f"case #{breached.pk} breached SLA" in top.reason_text
    case_acknowledge(case=breached, user=rep)
    snapshot.refresh_from_db()
    assert snapshot.version > snapshot.built_version  # acknowledged: ranks lower
    fresh = _open(book, minutes_ago=0, subject="Just in")
    call_queue_current(user=rep)
    fresh.refresh_from_db()
    snapshot.refresh_from_db()
    assert fresh.breach_at is not None
    window = dt.timedelta(minutes=settings.SERVICE_CALL_NEAR_BREACH_MINUTES)
    now = timezone.now()
    # Already inside the window ("breaches SLA in 20 min"): the text changes when it breaches.
    assert now < fresh.breach_at <= now + window
    assert snapshot.valid_until == fresh.breach_at
    settings.SERVICE_CALL_NEAR_BREACH_MINUTES = 5  # now it enters the window 5 min before
    call_queue_current(user=rep, now=now + dt.timedelta(seconds=91))  # old: rebuilt
    snapshot.refresh_from_db()
    assert snapshot.valid_until == fresh.breach_at - dt.timedelta(minutes=5)


# --- Alerts: acknowledging an SLA alert acknowledges the case -----------------------


def test_acknowledging_the_breach_alert_acknowledges_the_case(book: Book, client: Client) -> None:
    case = _open(book, minutes_ago=35)
    sla_pass()  # breach (rita) and manager (maria) steps
    breach = Alert.objects.get(cause=f"case:{case.pk}:first_response:breach")
    manager = Alert.objects.get(cause=f"case:{case.pk}:first_response:manager")
    client.force_login(book.company.rep)
    response = client.post(
        reverse("alerts:ack", args=[breach.uuid]), HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.acknowledged_by == book.company.rep and case.acknowledged_at is not None
    assert case_history_says(case, "Case acknowledged")
    breach.refresh_from_db()
    assert breach.acknowledged_by == book.company.rep
    pending = OutboxMessage.objects.filter(alert=breach, status=OutboxStatus.PENDING)
    assert not pending.exists()
    manager.refresh_from_db()
    assert manager.acknowledged_at is None  # the manager's escalation is theirs to clear


def test_the_manager_acknowledging_an_escalation_leaves_the_case_to_the_rep(book: Book) -> None:
    case = _open(book, minutes_ago=35)
    sla_pass()
    manager = Alert.objects.get(cause=f"case:{case.pk}:first_response:manager")
    alert_acknowledge(alert=manager, user=book.company.manager)
    case.refresh_from_db()
    assert case.acknowledged_at is None


def test_acknowledging_the_case_acknowledges_the_rep_s_alerts(book: Book) -> None:
    case = _open(book, minutes_ago=12)
    sla_pass()
    warn = Alert.objects.get(cause=f"case:{case.pk}:first_response:warn")
    case_acknowledge(case=case, user=book.company.rep)
    warn.refresh_from_db()
    assert warn.acknowledged_at is not None
    assert not OutboxMessage.objects.filter(alert=warn, status=OutboxStatus.PENDING).exists()


def case_history_says(case: Case, text: str) -> bool:
    from warmline.service.selectors import case_history

    return any(text in entry.subject for entry in case_history(case=case))


# --- The contact page's cases panel ---------------------------------------------------


def test_the_cases_panel_is_registered_for_the_contact_page() -> None:
    panels = {p.key: p for p in contact_panel_list()}
    assert panels["cases"].url_name == "contact-cases"


def test_contact_page_loads_the_cases_panel(book: Book, client: Client) -> None:
    client.force_login(book.company.rep)
    body = client.get(reverse("contact-detail", args=[book.dana.pk])).content.decode()
    url = reverse("contact-cases", args=[book.dana.pk])
    assert f'hx-get="{url}" hx-trigger="load"' in body


def test_cases_panel_offers_acknowledge_note_and_call(book: Book, client: Client) -> None:
    case = _open(book, minutes_ago=35, subject="Seal leaking")
    client.force_login(book.company.rep)
    body = client.get(reverse("contact-cases", args=[book.dana.pk]), **HTMX).content.decode()
    assert "Seal leaking" in body and "First response overdue by 15 min" in body
    assert reverse("case-acknowledge", args=[case.pk]) in body
    assert reverse("case-note", args=[case.pk]) in body
    assert f"{reverse('call-mode')}?contact={book.dana.pk}" in body
    assert "Open a case for" not in body  # reps do not record cases


def test_acknowledge_from_the_panel_swaps_its_row(book: Book, client: Client) -> None:
    case = _open(book, minutes_ago=35)
    client.force_login(book.company.rep)
    response = client.post(
        reverse("case-acknowledge", args=[case.pk]), {"panel": "contact"}, **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="contact-case-{case.pk}"' in body and "✓ Acknowledged by" in body
    case.refresh_from_db()
    assert case.acknowledged_by == book.company.rep


def test_note_from_the_panel_reaches_the_service_team(book: Book, client: Client) -> None:
    case = _open(book, minutes_ago=35)
    client.force_login(book.company.rep)
    url = reverse("case-note", args=[case.pk])
    response = client.post(url, {"panel": "contact", "body": "Customer is nervous"}, **HTMX)
    assert response.status_code == 200
    assert "Note added" in response.content.decode()
    note = CaseNote.objects.get(case=case)
    assert (note.author, note.body) == (book.company.rep, "Customer is nervous")
    # The agent reads it on the case page.
    client.force_login(book.company.agent)
    assert "Customer is nervous" in client.get(case.get_absolute_url()).content.decode()


def test_an_empty_note_from_the_panel_comes_back_with_the_error(book: Book, client: Client) -> None:
    case = _open(book, minutes_ago=35)
    client.force_login(book.company.rep)
    url = reverse("case-note", args=[case.pk])
    response = client.post(url, {"panel": "contact", "body": "  "}, **HTMX)
    assert response.status_code == 200  # htmx swaps 2xx only
    assert "Write something in the note." in response.content.decode()
    assert not CaseNote.objects.exists()


def test_panel_is_empty_for_a_rep_without_cases_but_not_for_agents(
    book: Book, client: Client
) -> None:
    client.force_login(book.company.rep)
    url = reverse("contact-cases", args=[book.dana.pk])
    assert client.get(url, **HTMX).content == b""
    client.force_login(book.company.agent)
    assert "Open a case for Dana" in client.get(url, **HTMX).content.decode()


def test_panel_of_someone_else_s_customer_is_not_found(book: Book, client: Client) -> None:
    client.force_login(book.company.rep)
    assert client.get(reverse("contact-cases", args=[book.omar.pk]), **HTMX).status_code == 404


def test_panel_query_count_does_not_grow_with_cases(
    book: Book, client: Client, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(book.company.rep)
    url = reverse("contact-cases", args=[book.dana.pk])
    _open(book, minutes_ago=35)
    # 1 session, 2 user, 3 contact, 4 open cases (+ contact, account, agent, acknowledger)
    with django_assert_num_queries(3 + session_queries()):
        client.get(url, **HTMX)
    for n in range(8):
        _open(book, minutes_ago=40 + n, subject=f"Case {n}")
    with django_assert_num_queries(3 + session_queries()):
        body = client.get(url, **HTMX).content.decode()
    assert body.count("cs-contact-row") == 9


def test_stray_contacts_of_nobody_do_not_reach_a_rep_s_queue(book: Book) -> None:
    stray = ContactFactory(owner=None)
    _open(book, minutes_ago=140, contact=stray)
    assert _reasons(book) == []
