"""Error pages are Warmline pages (readable on a phone, with a way back), not bare defaults."""

import pytest
from django.template.loader import render_to_string

from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_404_for_a_rep_links_back_to_today(rep_client, company):
    other = ContactFactory(owner=company.outsider_rep)
    response = rep_client.get(f"/contacts/{other.pk}/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'name="viewport"' in body
    assert "Nothing here" in body and 'href="/"' in body


def test_404_on_the_public_site_links_to_its_home(client):
    response = client.get("/site/products/no-such-product/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Nothing here" in body and 'href="/site/"' in body


def test_403_explains_itself(rep_client):
    response = rep_client.get("/cases/new/")
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()


def test_500_page_renders_without_any_context():
    body = render_to_string("500.html")
    assert "Something went wrong" in body and 'name="viewport"' in body


def test_https_redirect_spares_the_health_check(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200  # a load balancer probing over HTTP
    page = client.get("/login/")
    assert page.status_code == 301 and page["Location"].startswith("https://")
