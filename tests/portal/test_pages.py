"""Public pages: anonymous browsing without cookies, the rep card for identified visitors,
page views on the timeline (one per page per day) and bounded query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.portal.conftest import identify
from tests.portal.factories import NewsItemFactory, ProductFactory
from warmline.timeline.models import Interaction, Kind, Source

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    "/site/",
    "/site/products/",
    "/site/products/pump-0/",
    "/site/news/",
    "/site/news/news-0/",
]


def test_anonymous_browsing_sets_no_cookie_and_shows_no_banner(client, catalogue):
    for url in PUBLIC_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        assert not response.cookies, f"{url} set {list(response.cookies)}"
        body = response.content.decode().lower()
        assert "cookie" not in body, url
        assert "Ask a question" in response.content.decode()
        assert 'href="/site/ask/?from=' in response.content.decode()


def test_unpublished_and_future_content_is_not_public(client, db):
    ProductFactory(name="Secret pump", is_published=False)
    NewsItemFactory(title="Tomorrow", published_at=timezone.now() + dt.timedelta(days=1))
    assert client.get("/site/products/secret-pump/").status_code == 404
    assert client.get("/site/news/tomorrow/").status_code == 404
    assert "Secret pump" not in client.get("/site/products/").content.decode()
    assert "Tomorrow" not in client.get("/site/news/").content.decode()


def test_product_page_shows_specs_and_plain_text(client, db):
    ProductFactory(
        name="X200", description="<b>bold</b> claim\n\nSecond", specs="Flow: 200 m³/h\nnonsense"
    )
    body = client.get("/site/products/x200/").content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt;" in body
    assert '<th scope="row">Flow</th><td>200 m³/h</td>' in body


def test_identified_visitor_sees_their_rep_on_every_page(visitor_client, catalogue, company):
    for url in PUBLIC_PAGES:
        body = visitor_client.get(url).content.decode()
        assert "Your contact at Northwind Industrial" in body, url
        assert "Rita Reyes" in body
        assert 'href="tel:+14155550123"' in body
        assert "+1 415-555-0123" in body
        assert f'href="mailto:{company.rep.email}"' in body
        assert ">Ask me</a>" in body
        assert "Hi, Dana" in body


def test_page_views_land_on_the_timeline_once_per_page_per_day(visitor_client, customer, catalogue):
    for _ in range(3):
        visitor_client.get("/site/products/pump-0/")
    visitor_client.get("/site/products/pump-1/")
    views = Interaction.objects.filter(contact=customer, kind=Kind.PAGE_VIEWED)
    assert views.count() == 2
    entry = views.get(data__path="/site/products/pump-0/")
    assert entry.source == Source.PORTAL
    assert entry.subject == "Viewed Pump 0"
    assert entry.is_personal is False
    assert entry.external_id == f"pv:{customer.pk}:/site/products/pump-0/:{timezone.localdate()}"


def test_anonymous_views_are_not_recorded(client, catalogue):
    client.get("/site/products/pump-0/")
    assert not Interaction.objects.exists()


def test_news_paginates(client, db):
    for i in range(23):
        NewsItemFactory(title=f"Story {i}", published_at=timezone.now() - dt.timedelta(hours=i + 1))
    first = client.get("/site/news/").content.decode()
    assert "Story 0" in first and "Story 10" not in first
    assert "Page 1 of 3" in first
    assert "Story 20" in client.get("/site/news/?page=3").content.decode()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # 1 contact + rep of the signed cookie, 2 products, 3 news
        ("/site/", 3),
        # 1 contact + rep, 2 products
        ("/site/products/", 2),
        # 1 contact + rep, 2 news count for the pager, 3 the page of news
        ("/site/news/", 3),
        # 1 contact + rep, 2 the product
        ("/site/products/pump-0/", 2),
    ],
)
def test_query_count_does_not_grow_with_content(url, expected, customer, django_assert_num_queries):
    client = identify(Client(), customer)
    ProductFactory(name="Pump 0")
    NewsItemFactory(title="Only story")
    client.get(url)  # today's page view is written once (then remembered): the steady state
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    for i in range(40):
        ProductFactory(name=f"Pump {i + 1}")
        NewsItemFactory(title=f"Story {i}")
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


def test_first_view_of_the_day_costs_a_bounded_few_queries(customer, django_assert_max_num_queries):
    client = identify(Client(), customer)
    ProductFactory(name="Pump 0")
    # contact, product, our existence check; then interaction_create: its own check, the
    # uuid and constraint validation, the insert (7 queries, plus 4 savepoint statements)
    with django_assert_max_num_queries(11):
        client.get("/site/products/pump-0/")
    assert Interaction.objects.filter(kind=Kind.PAGE_VIEWED).count() == 1
