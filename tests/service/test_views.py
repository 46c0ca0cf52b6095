"""Case pages: who sees what, what agents and reps can do, Today and the contact partial,
with bounded query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import ContactFactory, UserFactory
from tests.service.conftest import Book
from warmline.service.models import Case, CaseNote
from warmline.service.services import CaseData, case_create
from warmline.timeline.models import Interaction, Kind


def _open(book: Book, contact=None, minutes_ago: int = 0, subject: str = "Pump leaking") -> Case:  # type: ignore[no-untyped-def]
    return case_create(
        contact=contact or book.dana,
        data=CaseData(
            subject=subject, opened_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
        ),
        actor=book.company.agent,
    )


def test_rep_sees_only_own_customers_cases(client: Client, book: Book) -> None:
    mine = _open(book, subject="Dana's pump")
    theirs = _open(book, contact=book.omar, subject="Omar's invoice")
    client.force_login(book.company.rep)
    page = client.get("/cases/").content.decode()
    assert "Dana&#x27;s pump" in page and "Omar" not in page
    assert client.get(f"/cases/{mine.pk}/").status_code == 200
    assert client.get(f"/cases/{theirs.pk}/").status_code == 404
    for url in ("acknowledge", "note", "call"):
        assert client.post(f"/cases/{theirs.pk}/{url}/", {"body": "x"}).status_code == 404
    assert client.get(f"/contacts/{book.omar.pk}/cases/").status_code == 404
    assert not Interaction.objects.filter(contact=book.omar, kind=Kind.CASE_UPDATED).exists()


def test_manager_sees_team_and_agent_sees_all(client: Client, book: Book) -> None:
    _open(book, subject="Dana's pump")
    _open(book, contact=book.omar, subject="Omar's invoice")
    client.force_login(book.company.manager)
    page = client.get("/cases/").content.decode()
    assert "Dana&#x27;s pump" in page and "Omar&#x27;s invoice" not in page
    client.force_login(book.company.agent)
    page = client.get("/cases/").content.decode()
    assert "Dana&#x27;s pump" in page and "Omar&#x27;s invoice" in page


def test_reps_cannot_create_or_edit_cases(client: Client, book: Book) -> None:
    case = _open(book)
    client.force_login(book.company.rep)
    assert client.get("/cases/new/").status_code == 403
    assert client.post(f"/cases/{case.pk}/edit/", {"subject": "x"}).status_code == 403
    assert client.post(f"/cases/{case.pk}/status/", {"status": "closed"}).status_code == 403
    case.refresh_from_db()
    assert case.status == "open"


def test_agent_opens_a_case_and_errors_keep_what_was_typed(client: Client, book: Book) -> None:
    client.force_login(book.company.agent)
    bad = client.post(
        "/cases/new/",
        {
            "contact_email": "not-an-address",
            "subject": "Broken valve",
            "priority": "high",
            "channel": "phone",
            "description": "It rattles",
        },
    )
    assert bad.status_code == 422
    html = bad.content.decode()
    assert 'value="Broken valve"' in html and "It rattles" in html and "not-an-address" in html
    assert not Case.objects.exists()

    good = client.post(
        "/cases/new/",
        {
            "contact_email": "dana@acme.example",
            "subject": "Broken valve",
            "priority": "high",
            "channel": "phone",
        },
    )
    case = Case.objects.get()
    assert good.status_code == 302 and good["Location"] == f"/cases/{case.pk}/"
    assert case.contact == book.dana and case.created_by == book.company.agent

    from_contact = client.post(
        f"/cases/new/?contact={book.omar.pk}",
        {"contact": book.omar.pk, "subject": "Call back", "priority": "low", "channel": "email"},
    )
    assert from_contact.status_code == 302
    assert Case.objects.get(subject="Call back").contact == book.omar


def test_the_new_case_form_assigns_the_agent_who_records_it(client: Client, book: Book) -> None:
    agent = book.company.agent
    client.force_login(agent)
    html = client.get("/cases/new/").content.decode()
    assert f'<option value="{agent.pk}" selected>' in html

    admin = UserFactory(role="admin")
    client.force_login(admin)
    html = client.get("/cases/new/").content.decode()
    assert '<option value="" selected>— nobody yet —</option>' in html  # an admin picks


def test_agent_edits_and_resolves(client: Client, book: Book) -> None:
    case = _open(book)
    client.force_login(book.company.agent)
    response = client.post(
        f"/cases/{case.pk}/edit/",
        {
            "subject": "Pump leaking badly",
            "description": "",
            "priority": "urgent",
            "status": "open",
            "channel": "phone",
            "assigned_agent": book.company.agent.pk,
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.subject, case.priority, case.assigned_agent) == (
        "Pump leaking badly",
        "urgent",
        book.company.agent,
    )
    client.post(f"/cases/{case.pk}/status/", {"status": "resolved"})
    case.refresh_from_db()
    assert case.status == "resolved" and case.resolved_at is not None
    kinds = set(Interaction.objects.filter(data__case_id=case.pk).values_list("kind", flat=True))
    assert kinds == {Kind.CASE_OPENED, Kind.CASE_UPDATED, Kind.CASE_RESOLVED}


def test_rep_acknowledges_with_htmx_adds_note_and_logs_call(client: Client, book: Book) -> None:
    case = _open(book)
    client.force_login(book.company.rep)
    response = client.post(f"/cases/{case.pk}/acknowledge/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="case-row-{case.pk}"' in response.content.decode()
    assert "Acknowledged" in response.content.decode()
    case.refresh_from_db()
    assert case.acknowledged_by == book.company.rep

    empty = client.post(f"/cases/{case.pk}/note/", {"body": ""})
    assert empty.status_code == 422 and "Write something in the note." in empty.content.decode()
    client.post(f"/cases/{case.pk}/note/", {"body": "Key account — please call them today"})
    assert CaseNote.objects.get().body == "Key account — please call them today"
    client.post(f"/cases/{case.pk}/call/", {"outcome": "connected", "body": "All good"})
    call = Interaction.objects.get(kind=Kind.CALL)
    assert call.data == {"case_id": case.pk} and call.is_personal

    client.force_login(book.company.agent)  # the service team sees the rep's note
    assert "please call them today" in client.get(f"/cases/{case.pk}/").content.decode()


def test_today_lists_open_cases_oldest_breach_first_with_time_left(
    client: Client, book: Book
) -> None:
    _open(book, minutes_ago=0, subject="Fresh case")
    _open(book, minutes_ago=50, subject="Long overdue")
    _open(book, minutes_ago=25, subject="Just overdue")
    _open(book, contact=book.omar, subject="Someone else's")
    client.force_login(book.company.rep)
    html = client.get("/").content.decode()
    assert "Open cases" in html and "Someone else" not in html
    assert html.index("Long overdue") < html.index("Just overdue") < html.index("Fresh case")
    assert "First response overdue by 30 min" in html
    assert "First response due in 20 min" in html or "First response due in 19 min" in html


def _today_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_today_query_count_does_not_grow_with_cases(client: Client, book: Book) -> None:
    client.force_login(book.company.rep)
    _open(book, minutes_ago=5)
    _today_queries(client)  # warm caches (session, content types)
    few = _today_queries(client)
    for n in range(25):
        contact = ContactFactory(owner=book.company.rep, account=book.account)
        _open(book, contact=contact, minutes_ago=n, subject=f"Case {n}")
    assert _today_queries(client) == few


@pytest.mark.parametrize("count", [1, 12])
def test_case_list_and_contact_partial_queries_are_bounded(  # type: ignore[no-untyped-def]
    client: Client, book: Book, count: int, django_assert_max_num_queries
) -> None:
    for n in range(count):
        _open(book, minutes_ago=n, subject=f"Case {n}")
    client.force_login(book.company.rep)
    # session, user, the page of cases (contact, owner, account, agent joined)
    with django_assert_max_num_queries(3):
        assert client.get("/cases/").status_code == 200
    # session, user, the contact, its open cases
    with django_assert_max_num_queries(4):
        response = client.get(f"/contacts/{book.dana.pk}/cases/")
    assert response.content.decode().count('class="cs-row') == min(count, 10)


def test_unassigned_queue_is_for_managers(client: Client, book: Book) -> None:
    stray = ContactFactory(first_name="Sam", last_name="Stray", owner=None)
    _open(book, contact=stray, subject="Who handles this?")
    _open(book, subject="Dana pump check")
    client.force_login(book.company.rep)
    assert client.get("/cases/unassigned/").status_code == 403
    client.force_login(book.company.manager)
    html = client.get("/cases/unassigned/").content.decode()
    # Dana's case (by its subject: the manager's random name may be Dana too) is not there.
    assert "Who handles this?" in html and "Dana pump check" not in html and "Assign a rep" in html


def test_case_detail_shows_sla_and_history(client: Client, book: Book) -> None:
    case = _open(book, minutes_ago=30)
    client.force_login(book.company.rep)
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "First response overdue by 10 min" in html
    assert "Case opened: Pump leaking" in html
    assert 'href="tel:+14155550123"' in html


def test_today_section_refresh_endpoint(client: Client, book: Book) -> None:
    _open(book, minutes_ago=25, subject="Overdue one")
    client.force_login(book.company.rep)
    html = client.get("/cases/today/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="today-cases"' in html and "Overdue one" in html
    assert 'hx-trigger="warmline:alert from:document, warmline:case from:document"' in html


def test_an_agents_today_lists_the_cases_assigned_to_them(client: Client, book: Book) -> None:
    from warmline.service.services import case_update

    agent = book.company.agent
    client.force_login(agent)
    assert "No open case is assigned to you" in client.get("/").content.decode()
    mine = _open(book, subject="Pump leaking badly")
    _open(book, contact=book.omar, subject="Someone else's")
    case_update(case=mine, changes={"assigned_agent": agent}, actor=agent)
    html = client.get("/").content.decode()
    assert "1 open case assigned to you" in html
    assert "Pump leaking badly" in html and "Someone else" not in html
    client.force_login(book.company.rep)
    html = client.get("/").content.decode()
    assert "1 open case of your customers" in html and "Pump leaking badly" in html


def test_a_case_opened_or_changed_reaches_the_reps_and_the_agents_open_tabs(book: Book) -> None:
    from warmline.alerts.models import LiveEvent
    from warmline.service.services import case_update

    case = _open(book, subject="Pump leaking badly")
    events = list(LiveEvent.objects.filter(event="case"))
    assert [(e.user_id, e.data["case"]) for e in events] == [(book.company.rep.pk, case.pk)]
    case_update(case=case, changes={"assigned_agent": book.company.agent}, actor=None)
    latest = {e.user_id for e in LiveEvent.objects.filter(event="case").order_by("-id")[:2]}
    assert latest == {book.company.rep.pk, book.company.agent.pk}


def test_moving_a_case_to_another_agent_tells_both(book: Book) -> None:
    from warmline.alerts.models import LiveEvent
    from warmline.service.services import case_update
    from warmline.users.models import Role

    first, second = book.company.agent, UserFactory(username="abel", role=Role.AGENT)
    case = _open(book, subject="Pump leaking badly")
    case = case_update(case=case, changes={"assigned_agent": first}, actor=None).case
    LiveEvent.objects.all().delete()
    case_update(case=case, changes={"assigned_agent": second}, actor=None)
    told = set(LiveEvent.objects.filter(event="case").values_list("user_id", flat=True))
    assert told == {book.company.rep.pk, first.pk, second.pk}
