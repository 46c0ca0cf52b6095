"""Fixtures for the calls app: an immediate task backend, contacts in calling hours, and
helpers to age contacts so they are due for a reconnect."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone

from tests.factories import ContactFactory
from warmline.people.models import Contact
from warmline.users.models import User

IMMEDIATE = "django_tasks.backends.immediate.ImmediateBackend"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):  # type: ignore[no-untyped-def]
    settings.TASKS = {"default": {"BACKEND": IMMEDIATE, "QUEUES": ["default"]}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def zone_where_it_is(hour: int, now: dt.datetime | None = None) -> str:
    """An Etc/GMT zone in which the local hour at `now` is `hour` (for tests that go
    through views, which use the real clock)."""
    now = now or timezone.now()
    offset = hour - now.astimezone(dt.UTC).hour
    if offset > 14:
        offset -= 24
    if offset < -12:
        offset += 24
    # POSIX sign convention: Etc/GMT-3 is UTC+3.
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def make_overdue(contact: Contact, *, days: int, now: dt.datetime | None = None) -> Contact:
    """Last personal touch `days` ago (bypassing the timeline: a test shortcut)."""
    now = now or timezone.now()
    when = now - dt.timedelta(days=days)
    Contact.objects.filter(pk=contact.pk).update(last_touch_at=when, created_at=when)
    contact.refresh_from_db()
    return contact


@pytest.fixture
def callable_contact() -> Callable[..., Contact]:
    """A contact in `owner`'s book, in calling hours right now, overdue for a reconnect by
    default (so it is in the queue)."""
    counter = {"n": 0}

    def make(owner: User, *, overdue_days: int | None = 400, **kwargs: object) -> Contact:
        counter["n"] += 1
        n = counter["n"]
        kwargs.setdefault("first_name", f"Caller{n}")
        kwargs.setdefault("last_name", "Tester")
        kwargs.setdefault("phones", [(f"+1 415 555 {1000 + n:04d}", "work")])
        kwargs.setdefault("time_zone", zone_where_it_is(13))
        contact = ContactFactory(owner=owner, **kwargs)
        if overdue_days is not None:
            make_overdue(contact, days=overdue_days)
        return contact

    return make
