"""Products and news are edited in the admin; questions and sign-in links are read-only."""

from __future__ import annotations

import pytest

from tests.portal.factories import NewsItemFactory, ProductFactory
from warmline.portal.models import Product
from warmline.portal.services import QuestionInput, magic_link_create, question_ask

pytestmark = pytest.mark.django_db


def test_admin_pages_render(client, company, customer):
    client.force_login(company.admin)
    product = ProductFactory(name="X200")
    NewsItemFactory(title="Hello")
    magic_link_create(contact=customer, email="dana@acme.example")
    question_ask(contact=customer, data=QuestionInput(message="Hello there"), verified=True)
    for url in (
        "/admin/portal/product/",
        f"/admin/portal/product/{product.pk}/change/",
        "/admin/portal/product/add/",
        "/admin/portal/newsitem/",
        "/admin/portal/question/",
        "/admin/portal/magiclink/",
        "/admin/portal/routingstate/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/portal/question/add/").status_code == 403
    body = client.get("/admin/portal/magiclink/").content.decode()
    assert "token_hash" not in body


def test_admin_can_add_a_product(client, company):
    client.force_login(company.admin)
    response = client.post(
        "/admin/portal/product/add/",
        {
            "name": "HD-900",
            "slug": "hd-900",
            "category": "Pumps",
            "summary": "Slurry pump",
            "description": "",
            "specs": "",
            "image_url": "",
            "is_published": "on",
            "position": "10",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Product.objects.get().slug == "hd-900"
    assert client.get("/site/products/hd-900/").status_code == 200


def test_demo_seed_is_idempotent(db):
    from warmline.portal.models import NewsItem
    from warmline_tools.demo.portal import portal_content_seed

    assert portal_content_seed() == (6, 4)
    assert portal_content_seed() == (6, 4)
    assert Product.objects.count() == 6 and NewsItem.objects.count() == 4
