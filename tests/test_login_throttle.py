"""Login throttling (django-axes): five wrong passwords lock an account from any address,
and five failures from one address lock that address whatever the usernames; a locked-out
sign-in gets a 429 page saying when to try again; a successful sign-in clears the count."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from warmline.api.services import api_token_create

PASSWORD = "correct horse battery"


@pytest.fixture
def rita(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="rita", password=PASSWORD)


def _sign_in(username: str, password: str, *, ip: str = "198.51.100.1", path: str = ""):  # type: ignore[no-untyped-def]
    client = Client(REMOTE_ADDR=ip)
    response = client.post(path or reverse("login"), {"username": username, "password": password})
    return client, response


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_the_account_even_from_different_addresses(rita, settings):
    assert settings.AXES_FAILURE_LIMIT == 5  # LOGIN_FAILURE_LIMIT's default
    codes = [_sign_in("rita", "wrong", ip=f"198.51.100.{i}")[1].status_code for i in range(5)]
    assert codes == [200, 200, 200, 200, 429]  # the fifth failure already answers 429

    client, response = _sign_in("rita", PASSWORD, ip="203.0.113.99")  # right, but locked
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert not _signed_in(client)

    UserFactory(username="ravi", password=PASSWORD)  # others from those addresses may
    client, response = _sign_in("ravi", PASSWORD, ip="198.51.100.0")
    assert response.status_code == 302 and _signed_in(client)


def test_failures_for_many_accounts_from_one_address_lock_the_address(rita):
    for name in ("ana", "bob", "cyd", "dee", "eve"):
        _sign_in(name, "guess", ip="203.0.113.7")
    client, response = _sign_in("rita", PASSWORD, ip="203.0.113.7")
    assert response.status_code == 429 and not _signed_in(client)

    client, response = _sign_in("rita", PASSWORD, ip="203.0.113.8")  # her account is fine
    assert response.status_code == 302 and _signed_in(client)


def test_the_locked_out_page_says_when_to_try_again(rita):
    for _ in range(5):
        _sign_in("rita", "wrong")
    _, response = _sign_in("rita", PASSWORD)
    text = response.content.decode()
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "try again in 15 minutes, after" in text
    retry_at = timezone.localtime() + dt.timedelta(minutes=15)
    assert retry_at.strftime("%H:") in text
    assert reverse("password_reset") in text


def test_a_successful_sign_in_clears_the_count(rita):
    for _ in range(4):
        _sign_in("rita", "wrong")
    client, response = _sign_in("rita", PASSWORD)
    assert response.status_code == 302 and _signed_in(client)
    assert not AccessAttempt.objects.exists()
    codes = [_sign_in("rita", "wrong")[1].status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]  # counting from zero again


def test_the_lock_ends_after_the_cool_off(rita):
    for _ in range(5):
        _sign_in("rita", "wrong")
    assert _sign_in("rita", PASSWORD)[1].status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    client, response = _sign_in("rita", PASSWORD)
    assert response.status_code == 302 and _signed_in(client)


def test_the_limit_comes_from_settings(rita, settings):
    settings.AXES_FAILURE_LIMIT = 2
    assert [_sign_in("rita", "wrong")[1].status_code for _ in range(2)] == [200, 429]


def test_the_admin_login_is_throttled_too(rita):
    for _ in range(5):
        _sign_in("rita", "wrong")
    _, response = _sign_in("rita", PASSWORD, path=reverse("admin:login"))
    assert response.status_code == 429


def test_behind_a_proxy_the_forwarded_address_is_counted(rita, settings):
    settings.BEHIND_PROXY = True
    for i in range(5):  # five people behind one proxy, each failing once
        client = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
        client.post(reverse("login"), {"username": f"user{i}", "password": "wrong"})
    client = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.50")
    response = client.post(reverse("login"), {"username": "rita", "password": PASSWORD})
    assert response.status_code == 302  # the proxy's own address was never locked


def test_api_tokens_and_existing_sessions_are_not_throttled(rita, company):
    for _ in range(5):
        _sign_in("rita", "wrong")
    assert _sign_in("rita", PASSWORD)[1].status_code == 429
    _, raw = api_token_create(name="Desk", owner=company.agent, scopes=["service:read"])
    for _ in range(6):
        _sign_in("agnes", "wrong", ip="192.0.2.1")  # the token's owner locked out too
    api = Client(REMOTE_ADDR="192.0.2.1", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/service/cases").status_code == 200

    session = Client()
    session.force_login(rita)  # e.g. signed in before the attack began
    assert session.get(reverse("today")).status_code == 200
