"""Admins edit SLA policies and calendars; open cases are re-timed afterwards."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from tests.service.conftest import Book, Policies
from warmline.service.models import Case
from warmline.service.services import CaseData, case_create


def test_editing_a_policy_in_admin_retimes_open_cases(  # type: ignore[no-untyped-def]
    client: Client, book: Book, policies: Policies, django_capture_on_commit_callbacks
) -> None:
    case = case_create(
        contact=book.dana,
        data=CaseData(subject="Pump", opened_at=timezone.now() - dt.timedelta(minutes=1)),
        actor=None,
    )
    client.force_login(book.company.admin)
    form = {
        "name": "Normal",
        "priority": "normal",
        "tier": "",
        "calendar": "",
        "is_active": "on",
        "first_response_warn_minutes": "40",
        "first_response_breach_minutes": "60",
        "first_response_manager_minutes": "90",
        "resolution_warn_minutes": "",
        "resolution_breach_minutes": "240",
        "resolution_manager_minutes": "",
        "warn_notify": "email",
        "breach_notify": "email_sms",
        "manager_notify": "email",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/service/slapolicy/{policies.normal.pk}/change/", form)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.first_response_due_at == case.opened_at + dt.timedelta(minutes=60)
    assert case.next_step_due_at == case.opened_at + dt.timedelta(minutes=40)


def test_policy_steps_must_escalate_in_order(
    client: Client, book: Book, policies: Policies
) -> None:
    client.force_login(book.company.admin)
    response = client.post(
        f"/admin/service/slapolicy/{policies.normal.pk}/change/",
        {
            "name": "Normal",
            "priority": "normal",
            "is_active": "on",
            "first_response_warn_minutes": "60",
            "first_response_breach_minutes": "30",
            "warn_notify": "email",
            "breach_notify": "email",
            "manager_notify": "email",
        },
    )
    assert response.status_code == 200
    assert "Must be later than the warn step (60 min)." in response.content.decode()


def test_calendar_admin_pages_render(client: Client, book: Book, policies: Policies) -> None:
    client.force_login(book.company.admin)
    assert (
        client.get(f"/admin/service/businesscalendar/{policies.calendar.pk}/change/").status_code
        == 200
    )
    assert client.get("/admin/service/case/").status_code == 200
    assert Case.objects.count() == 0
