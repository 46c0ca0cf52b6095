"""The contact page's panel seam (warmline/people/panels.py): features register a URL, the
page renders a placeholder that loads it (htmx, on load) and costs no query of its own."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import ContactFactory
from warmline.people import panels
from warmline.people.panels import (
    contact_panel_list,
    contact_panel_register,
    contact_panels_place,
)
from warmline.users.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def only_test_panels(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(panels, "_panels", {})
    contact_panel_register("later", "Later panel", "contact-timeline", order=50)
    contact_panel_register("first", "First panel", "contact-log", order=10)
    contact_panel_register(
        "managers",
        "For managers",
        "contact-edit",
        order=30,
        visible=lambda user: user.role == Role.MANAGER,
    )


def test_panels_are_ordered_placed_per_contact_and_filtered_by_user(only_test_panels, company):  # type: ignore[no-untyped-def]
    assert [p.key for p in contact_panel_list()] == ["first", "managers", "later"]
    contact = ContactFactory(owner=company.rep)
    placed = contact_panels_place(user=company.rep, contact=contact)
    assert [(p.key, p.url) for p in placed] == [
        ("first", reverse("contact-log", args=[contact.pk])),
        ("later", reverse("contact-timeline", args=[contact.pk])),
    ]
    as_manager = contact_panels_place(user=company.manager, contact=contact)
    assert [p.key for p in as_manager] == ["first", "managers", "later"]


def test_registering_a_key_again_replaces_it(only_test_panels):  # type: ignore[no-untyped-def]
    contact_panel_register("first", "Renamed", "contact-log", order=99)
    assert [(p.key, p.label) for p in contact_panel_list()][-1] == ("first", "Renamed")


def test_the_page_renders_one_lazy_placeholder_per_panel(only_test_panels, company, rep_client):  # type: ignore[no-untyped-def]
    contact = ContactFactory(owner=company.rep)
    body = rep_client.get(reverse("contact-detail", args=[contact.pk])).content.decode()
    assert 'class="contact-grid has-panels"' in body
    url = reverse("contact-log", args=[contact.pk])
    assert f'id="panel-first" hx-get="{url}" hx-trigger="load"' in body
    assert "Later panel" in body and "For managers" not in body
    assert f'<noscript><p><a href="{url}">Show first panel</a></p></noscript>' in body


def test_without_panels_the_page_keeps_its_two_columns(monkeypatch, company, rep_client):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(panels, "_panels", {})
    contact = ContactFactory(owner=company.rep)
    body = rep_client.get(reverse("contact-detail", args=[contact.pk])).content.decode()
    assert 'class="contact-grid"' in body and "contact-panels" not in body


def test_the_feature_apps_register_their_panels():
    keys = [p.key for p in contact_panel_list()]
    assert keys == ["questions", "cases"]


def test_the_header_shows_the_contact_s_own_wall_clock(company, rep_client, settings):  # type: ignore[no-untyped-def]
    """Seen while checking the demo: the local time was shown in the server's zone."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    settings.TIME_ZONE = "America/New_York"
    contact = ContactFactory(owner=company.rep, time_zone="Asia/Tokyo")
    body = rep_client.get(reverse("contact-detail", args=[contact.pk])).content.decode()
    tokyo = dt.datetime.now(ZoneInfo("Asia/Tokyo"))
    shown = [
        tokyo.strftime("%a ") + f"{t:%I:%M}".lstrip("0")
        for t in (tokyo, tokyo - dt.timedelta(minutes=1))
    ]
    assert any(text in body for text in shown), shown
