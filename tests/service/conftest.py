"""Fixtures for the service tests: known SLA policies on a 24x7 calendar, a small book of
customers, API tokens, and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import Company
from tests.factories import AccountFactory, ContactFactory
from warmline.api.services import api_token_create
from warmline.people.models import Account, Contact
from warmline.service.models import BusinessCalendar, SlaPolicy


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):  # type: ignore[no-untyped-def]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = "https://warmline.example.com"


@dataclass
class Policies:
    calendar: BusinessCalendar
    normal: SlaPolicy
    urgent: SlaPolicy


@pytest.fixture
def policies(db) -> Policies:  # type: ignore[no-untyped-def]
    """Replace the shipped defaults with small round numbers on a 24x7 calendar:
    normal: first response warn 10 / breach 20 / manager 30 min; resolution 60/120/180.
    urgent: first response 5/10/15; resolution 30/60/90."""
    SlaPolicy.objects.all().delete()
    BusinessCalendar.objects.all().delete()
    calendar = BusinessCalendar.objects.create(name="24x7", always_open=True, is_default=True)
    normal = SlaPolicy.objects.create(
        name="Normal",
        priority="normal",
        first_response_warn_minutes=10,
        first_response_breach_minutes=20,
        first_response_manager_minutes=30,
        resolution_warn_minutes=60,
        resolution_breach_minutes=120,
        resolution_manager_minutes=180,
    )
    urgent = SlaPolicy.objects.create(
        name="Urgent",
        priority="urgent",
        first_response_warn_minutes=5,
        first_response_breach_minutes=10,
        first_response_manager_minutes=15,
        resolution_warn_minutes=30,
        resolution_breach_minutes=60,
        resolution_manager_minutes=90,
    )
    return Policies(calendar=calendar, normal=normal, urgent=urgent)


@dataclass
class Book:
    company: Company
    account: Account
    dana: Contact  # rita's customer at Acme
    omar: Contact  # olga's customer (another team)


@pytest.fixture
def book(company: Company, policies: Policies) -> Book:
    account = AccountFactory(name="Acme Pumps", domain="acme.example", owner=company.rep)
    other = AccountFactory(name="Globex", domain="globex.example", owner=company.outsider_rep)
    dana = ContactFactory(
        first_name="Dana",
        last_name="Scully",
        account=account,
        owner=company.rep,
        emails=[("dana@acme.example", "work")],
        phones=[("+14155550123", "work")],
    )
    omar = ContactFactory(
        first_name="Omar",
        last_name="Little",
        account=other,
        owner=company.outsider_rep,
        emails=[("omar@globex.example", "work")],
    )
    company.rep.email = "rita@warmline.test"
    company.rep.mobile_phone = "+14155550999"
    company.rep.save()
    return Book(company=company, account=account, dana=dana, omar=omar)


@pytest.fixture
def agent_token(company: Company) -> str:
    _, raw = api_token_create(
        name="Service desk", owner=company.agent, scopes=["service:read", "service:write"]
    )
    return raw


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
