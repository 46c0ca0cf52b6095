"""Identification by magic link: neutral answers, hashed single-use expiring tokens, a
signed 90-day cookie, rate limits and a honeypot."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from tests.portal.conftest import identify
from warmline.portal.identity import VISITOR_COOKIE, magic_link_hash
from warmline.portal.models import MagicLink

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/site/m/[A-Za-z0-9_-]+/)")


def _ask_link(client: Client, email: str, django_capture_on_commit_callbacks, **extra):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/site/identify/", {"email": email, **extra})


def _link_from_mail() -> str:
    match = LINK.search(mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_known_and_unknown_addresses_get_the_same_answer(
    client, customer, django_capture_on_commit_callbacks
):
    known = _ask_link(client, "Dana@Acme.example", django_capture_on_commit_callbacks)
    unknown = _ask_link(client, "nobody@acme.example", django_capture_on_commit_callbacks)
    assert known.status_code == unknown.status_code == 200

    def neutral(response, email):  # type: ignore[no-untyped-def]
        return response.content.decode().replace(email, "EMAIL")

    assert neutral(known, "Dana@Acme.example") == neutral(unknown, "nobody@acme.example")
    assert "Check your inbox" in known.content.decode()
    assert len(mail.outbox) == 1  # only the known address got mail
    message = mail.outbox[0]
    assert message.to == ["dana@acme.example"]
    assert "30 minutes" in message.body
    assert message.alternatives and "Sign in to" in message.alternatives[0][0]


def test_token_is_stored_hashed_only(client, customer, django_capture_on_commit_callbacks):
    _ask_link(client, "dana@acme.example", django_capture_on_commit_callbacks)
    path = _link_from_mail()
    token = path.split("/")[3]
    link = MagicLink.objects.get()
    assert link.token_hash == magic_link_hash(token)
    stored = " ".join(str(v) for v in MagicLink.objects.values_list().get())
    assert token not in stored
    assert link.expires_at - link.created_at == dt.timedelta(minutes=30)


def test_link_identifies_the_browser_once_for_ninety_days(
    client, customer, django_capture_on_commit_callbacks
):
    _ask_link(client, "dana@acme.example", django_capture_on_commit_callbacks, next="/site/news/")
    path = _link_from_mail()

    # Opening the link (or a mail scanner fetching it) uses nothing up.
    page = client.get(path)
    assert page.status_code == 200
    assert "Welcome back, Dana" in page.content.decode()
    assert VISITOR_COOKIE not in page.cookies
    assert MagicLink.objects.get().used_at is None

    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"] == "/site/news/"
    cookie = response.cookies[VISITOR_COOKIE]
    assert cookie["max-age"] == 90 * 86400
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert str(customer.uuid) in cookie.value  # signed, not encrypted: uuid:timestamp:signature

    home = client.get("/site/")
    assert "Your contact at" in home.content.decode()
    assert "Rita Reyes" in home.content.decode()

    # Single use: a second browser with the same link gets nowhere.
    other = Client()
    again = other.post(path)
    assert again.status_code == 410
    assert VISITOR_COOKIE not in again.cookies
    assert "no longer works" in other.get(path).content.decode()


def test_expired_link_is_refused(client, customer, django_capture_on_commit_callbacks):
    _ask_link(client, "dana@acme.example", django_capture_on_commit_callbacks)
    path = _link_from_mail()
    MagicLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(path).status_code == 410
    assert client.post(path).status_code == 410
    assert MagicLink.objects.get().used_at is None


def test_made_up_token_is_refused(client, db):
    assert client.get("/site/m/not-a-real-token/").status_code == 410
    assert client.post("/site/m/not-a-real-token/").status_code == 410


def test_forged_or_tampered_cookie_is_ignored(client, customer):
    client.cookies[VISITOR_COOKIE] = f"{customer.uuid}:1abc:forged"
    assert "Your contact at" not in client.get("/site/").content.decode()
    client.cookies[VISITOR_COOKIE] = str(customer.uuid)
    assert "Your contact at" not in client.get("/site/").content.decode()


def test_cookie_older_than_the_identification_period_is_ignored(client, customer, settings):
    identify(client, customer)
    assert "Your contact at" in client.get("/site/").content.decode()
    settings.PORTAL_IDENTIFY_DAYS = 0
    assert "Your contact at" not in client.get("/site/").content.decode()


def test_forget_this_browser(visitor_client):
    response = visitor_client.post("/site/forget/")
    assert response.status_code == 302
    assert response.cookies[VISITOR_COOKIE].value == ""
    assert "Your contact at" not in visitor_client.get("/site/").content.decode()


def test_invalid_address_keeps_what_was_typed(client, db):
    response = client.post("/site/identify/", {"email": "dana at acme"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="dana at acme"' in body
    assert "valid email" in body.lower() or "valid e-mail" in body.lower()


def test_rate_limited_per_address_with_a_clear_message(
    client, customer, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_RATE_IDENTIFY_EMAIL = "2/h"
    for _ in range(2):
        assert (
            _ask_link(client, "dana@acme.example", django_capture_on_commit_callbacks).status_code
            == 200
        )
    blocked = _ask_link(client, "dana@acme.example", django_capture_on_commit_callbacks)
    assert blocked.status_code == 429
    assert "Please try again in" in blocked.content.decode()
    assert 'value="dana@acme.example"' in blocked.content.decode()
    assert len(mail.outbox) == 2


def test_rate_limited_per_ip(client, db, settings):
    settings.PORTAL_RATE_IDENTIFY_IP = "3/h"
    codes = [
        client.post("/site/identify/", {"email": f"p{i}@example.com"}).status_code for i in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    # another address (network) is not affected
    other = client.post("/site/identify/", {"email": "x@example.com"}, REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 200


def test_honeypot_pretends_success_and_sends_nothing(
    client, customer, django_capture_on_commit_callbacks
):
    response = _ask_link(
        client, "dana@acme.example", django_capture_on_commit_callbacks, website="http://spam"
    )
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    assert MagicLink.objects.count() == 0
    assert mail.outbox == []


def test_next_is_limited_to_the_public_site(client, customer, django_capture_on_commit_callbacks):
    _ask_link(
        client,
        "dana@acme.example",
        django_capture_on_commit_callbacks,
        next="https://evil.example/",
    )
    response = client.post(_link_from_mail())
    assert response["Location"] == "/site/"
    _ask_link(client, "dana@acme.example", django_capture_on_commit_callbacks, next="/admin/")
    assert client.post(_link_from_mail())["Location"] == "/site/"


def test_send_task_skips_a_used_link(customer):
    from warmline.portal.services import magic_link_create, magic_link_send

    link, token = magic_link_create(contact=customer, email="dana@acme.example")
    MagicLink.objects.filter(pk=link.pk).update(used_at=timezone.now())
    assert magic_link_send(link_id=link.pk) is False
    assert mail.outbox == []


def test_sign_in_from_the_ask_page_returns_there(
    client, customer, django_capture_on_commit_callbacks
):
    body = client.get("/site/ask/?from=/site/news/").content.decode()
    assert "/site/identify/?next=/site/ask/%3Ffrom%3D/site/news/" in body
    _ask_link(
        client,
        "dana@acme.example",
        django_capture_on_commit_callbacks,
        next="/site/ask/?from=/site/news/",
    )
    assert client.post(_link_from_mail())["Location"] == "/site/ask/?from=/site/news/"
