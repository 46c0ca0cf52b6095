import re

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core import mail
from django.http import HttpRequest
from django.urls import reverse

from tests.factories import UserFactory


def test_passwords_are_hashed_with_argon2_in_production_settings():
    from warmline import settings as prod

    assert prod.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_argon2_round_trip(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    hashed = make_password("s3cret-Phrase")
    assert hashed.startswith("argon2$")
    assert check_password("s3cret-Phrase", hashed)


@pytest.mark.django_db
def test_login_and_logout(client):
    UserFactory(username="rita", password="correct horse battery")
    page = client.get(reverse("today"))
    assert page.status_code == 302 and reverse("login") in page["Location"]
    bad = client.post(reverse("login"), {"username": "rita", "password": "wrong"})
    assert bad.status_code == 200
    assert b"correct username and password" in bad.content
    assert b'value="rita"' in bad.content  # what the user typed is kept
    ok = client.post(reverse("login"), {"username": "rita", "password": "correct horse battery"})
    assert ok.status_code == 302 and ok["Location"] == reverse("today")
    assert client.get(reverse("today")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("today")).status_code == 302


@pytest.mark.django_db
def test_password_reset_by_email(client):
    UserFactory(username="rita", email="rita@warmline.test", password="old password 123")
    client.post(reverse("password_reset"), {"email": "rita@warmline.test"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/password-reset/\S+/\S+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    path = link.group(0).split("testserver", 1)[1]
    form = client.get(path, follow=True)
    assert b"Choose a new password" in form.content
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a brand new phrase 42", "new_password2": "a brand new phrase 42"},
    )
    assert done.status_code == 302
    # django-axes throttles sign-in by the request's address, so authenticate() needs one
    assert client.login(request=HttpRequest(), username="rita", password="a brand new phrase 42")


@pytest.mark.django_db
def test_password_reset_does_not_reveal_unknown_addresses(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_sqlite_runs_in_wal_mode(db):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
    # The test database lives in memory (journal "memory"); the configured file uses WAL.
    assert "journal_mode=WAL" in settings.DATABASES["default"]["OPTIONS"]["init_command"]
    assert mode in {"wal", "memory"}


@pytest.mark.django_db
def test_each_role_signs_in_to_its_own_start_page(client):
    """Agents work cases, so they start on the case list; reps and managers on Today. A
    `next` link still wins, and a signed-in user opening the login page goes to theirs."""
    UserFactory(username="agnes", password="service desk 123", role="agent")
    ok = client.post(reverse("login"), {"username": "agnes", "password": "service desk 123"})
    assert ok.status_code == 302 and ok["Location"] == reverse("case-list")
    assert client.get(reverse("login"))["Location"] == reverse("case-list")
    client.post(reverse("logout"))
    nxt = client.post(
        reverse("login") + "?next=" + reverse("contact-list"),
        {"username": "agnes", "password": "service desk 123"},
    )
    assert nxt["Location"] == reverse("contact-list")
