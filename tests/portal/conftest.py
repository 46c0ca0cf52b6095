"""Portal test fixtures: a private cache per test (rate limits never leak between tests,
even when REDIS_URL points the real cache at Redis), tasks run immediately, and a client
whose browser is identified as a customer of the rep."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from tests.factories import AccountFactory, ContactFactory
from tests.portal.factories import NewsItemFactory, ProductFactory
from warmline.people.models import Contact
from warmline.portal.identity import VISITOR_COOKIE, VISITOR_SALT


@pytest.fixture(autouse=True)
def _isolated_cache_and_tasks(settings):  # type: ignore[no-untyped-def]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"portal-test-{uuid.uuid4()}",
        }
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def customer(company) -> Contact:  # type: ignore[no-untyped-def]
    company.rep.first_name, company.rep.last_name = "Rita", "Reyes"
    company.rep.direct_phone = "+14155550123"
    company.rep.title = "Account manager"
    company.rep.save()
    return ContactFactory(
        owner=company.rep,
        account=AccountFactory(name="Acme Water"),
        first_name="Dana",
        last_name="Kowalski",
        emails=[("dana@acme.example", "work")],
        phones=[("+1 415 555 2671", "work")],
    )


def identify(client: Client, contact: Contact) -> Client:
    """Give this test browser the signed identification cookie (as the magic link would)."""
    from django.core.signing import get_cookie_signer

    signer = get_cookie_signer(salt=VISITOR_COOKIE + VISITOR_SALT)
    client.cookies[VISITOR_COOKIE] = signer.sign(str(contact.uuid))
    return client


@pytest.fixture
def visitor_client(customer) -> Client:  # type: ignore[no-untyped-def]
    return identify(Client(), customer)


@pytest.fixture
def catalogue(db):  # type: ignore[no-untyped-def]
    products = [ProductFactory(name=f"Pump {i}", category="Pumps") for i in range(3)]
    news = [NewsItemFactory(title=f"News {i}") for i in range(3)]
    return products, news
