"""The rep's *Today* page: sections render in cards, say something useful when empty, and
cost the same number of queries for a book of 10 or of 500 contacts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import AccountFactory, ContactFactory
from tests.queries import session_queries
from warmline.core.registries import today as registry
from warmline.people.models import Contact, ImportantDate
from warmline.people.services import important_date_add
from warmline.timeline.services import call_log
from warmline.today import sections
from warmline.today.views import greeting_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def only_builtin_sections(monkeypatch):
    """The memory's own two sections, without whatever feature apps registered (the calls
    app, for one, replaces both with richer versions)."""
    monkeypatch.setattr(registry, "_sections", {})
    sections.register_builtin()


def _bulk_book(owner, n, *, prefix="Book"):
    today = timezone.localdate()
    contacts = Contact.objects.bulk_create(
        Contact(
            owner=owner,
            first_name=f"{prefix}{i:04d}",
            last_name="Person",
            phone=f"+1212555{i:04d}",
            last_touch_at=timezone.now() - dt.timedelta(days=200 + i),
        )
        for i in range(n)
    )
    dates = []
    for c in contacts:
        on = today + dt.timedelta(days=len(dates) % 10)
        item = ImportantDate(contact=c, kind="birthday", date=on.replace(year=1980))
        item.month_day = item.date.month * 100 + item.date.day
        dates.append(item)
    ImportantDate.objects.bulk_create(dates)


def test_greeting_follows_the_hour():
    assert greeting_for(8) == "Good morning"
    assert greeting_for(13) == "Good afternoon"
    assert greeting_for(21) == "Good evening"


def test_anonymous_goes_to_login(client):
    response = client.get(reverse("today"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_empty_book_explains_itself(rep_client, only_builtin_sections):
    body = rep_client.get(reverse("today")).content.decode()
    assert "Haven&#x27;t spoken in a while" in body or "Haven't spoken in a while" in body
    assert "No one in your book yet." in body
    assert "Coming up in the next 14 days" in body
    assert "No birthdays or anniversaries in the next two weeks." in body


def test_stale_contacts_with_last_touch_and_phone(rep_client, company, only_builtin_sections):
    account = AccountFactory(name="Acme Pumps")
    never = ContactFactory(
        owner=company.rep,
        first_name="Nora",
        last_name="Never",
        account=account,
        phones=[("+1 415 555 2671", "")],
    )
    old = ContactFactory(owner=company.rep, first_name="Olaf", last_name="Old")
    call_log(
        contact=old,
        author=company.rep,
        outcome="connected",
        occurred_at=timezone.now() - dt.timedelta(days=245),
    )
    ContactFactory(owner=company.rep2, first_name="Ravis", last_name="Own")
    # "8 months" is written with a no-break space; compare with plain ones.
    body = rep_client.get(reverse("today")).content.decode().replace("\xa0", " ")
    assert "Nora Never" in body and "never touched" in body and "Acme Pumps" in body
    assert 'href="tel:+14155552671"' in body
    assert "Olaf Old" in body and "last touch 8 months ago" in body
    assert body.index("Nora Never") < body.index("Olaf Old")  # never touched comes first
    assert "Ravis Own" not in body
    assert never.get_absolute_url() in body


def test_upcoming_dates(rep_client, company, only_builtin_sections):
    today = timezone.localdate()
    offset = 3 if (today + dt.timedelta(days=3)).strftime("%m%d") != "0229" else 4
    on = today + dt.timedelta(days=offset)
    dana = ContactFactory(owner=company.rep, first_name="Dana", last_name="Kowalski")
    important_date_add(
        contact=dana, kind="customer_anniversary", date=on.replace(year=on.year - 10)
    )
    far = ContactFactory(owner=company.rep, first_name="Faraway")
    important_date_add(contact=far, kind="birthday", date=today + dt.timedelta(days=40))
    body = rep_client.get(reverse("today")).content.decode()
    assert "Dana Kowalski" in body
    assert "10th anniversary as our customer" in body
    assert f"in {offset} days" in body
    assert "Faraway" not in body.split("Coming up in the next 14 days")[1]


def test_today_query_count_does_not_grow(rep_client, company, only_builtin_sections):
    _bulk_book(company.rep, 10)
    url = reverse("today")
    with CaptureQueriesContext(connection) as few:
        rep_client.get(url)
    _bulk_book(company.rep, 490, prefix="More")
    with CaptureQueriesContext(connection) as many:
        response = rep_client.get(url)
    assert response.status_code == 200
    # 1 session, 2 user, 3 stalest contacts (+ account), 4 upcoming dates (+ contact, account)
    assert len(few) == len(many) == 3 + session_queries(), [q["sql"] for q in many.captured_queries]


def test_today_with_every_registered_section_is_bounded(rep_client, company):
    """Whatever feature apps register, their sections must not grow with the book either."""
    _bulk_book(company.rep, 10)
    url = reverse("today")
    with CaptureQueriesContext(connection) as few:
        assert rep_client.get(url).status_code == 200
    _bulk_book(company.rep, 490, prefix="More")
    with CaptureQueriesContext(connection) as many:
        assert rep_client.get(url).status_code == 200
    assert len(few) == len(many), "\n".join(q["sql"][:300] for q in many.captured_queries)


def test_the_tagline_speaks_to_whoever_signs_in(client, company):
    for user, tagline in [
        (company.rep, "the people worth a call today."),
        (company.agent, "what needs you today."),
    ]:
        client.force_login(user)
        assert tagline in client.get(reverse("today")).content.decode()
