"""factory-boy factories shared by every app's tests. Contacts are made through the real
service so that e-mails, phones and search text are what production would store."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from warmline.people.models import Account, Contact
from warmline.people.search import unaccented
from warmline.people.services import ContactData, contact_create
from warmline.users.models import Role, Team, User


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@warmline.test")
    role = Role.REP
    password = factory.django.Password("correct horse battery")


class AccountFactory(DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Faker("company")
    domain = factory.Sequence(lambda n: f"company{n}.example")
    country = "US"


def _ascii(name: str) -> str:
    """ "Jürgen Müller" -> "jurgenmuller": an e-mail local part the validator accepts."""
    return unaccented(name.lower().replace(" ", ""))


class ContactFactory(factory.Factory):
    """Builds through `contact_create`; pass owner=, account=, emails=, phones= as needed."""

    class Meta:
        model = Contact

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    title = ""
    account = None
    owner = None
    emails = factory.LazyAttribute(
        lambda o: [(f"{_ascii(o.first_name)}.{_ascii(o.last_name)}@example.com", "work")]
    )
    phones: list[tuple[str, str]] = []
    stage = "customer"
    interests: list[str] = []
    time_zone = ""
    email_opt_in = False
    do_not_call = False

    @classmethod
    def _create(cls, model_class, **kwargs):  # type: ignore[no-untyped-def]
        return contact_create(data=ContactData(**kwargs))

    @classmethod
    def _build(cls, model_class, **kwargs):  # type: ignore[no-untyped-def]
        return contact_create(data=ContactData(**kwargs))
