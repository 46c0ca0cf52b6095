"""`in_subquery` and `in_ids`: the same rows as `field__in=...` on both engines.
`in_subquery` is `= ANY(ARRAY(subquery))` on PostgreSQL so the planner drives the query from
the subquery; `in_ids` binds a list of ids as one parameter."""

from __future__ import annotations

from django.db import connection

from tests.factories import ContactFactory
from warmline.core.db import in_subquery
from warmline.people.models import Contact
from warmline.timeline.models import Interaction, Kind
from warmline.timeline.services import interaction_create


def test_same_rows_as_in_and_combinable_with_q(company):  # type: ignore[no-untyped-def]
    mine = [ContactFactory(owner=company.rep) for _ in range(3)]
    theirs = ContactFactory(owner=company.rep2)
    for contact in [*mine, theirs]:
        interaction_create(contact=contact, kind=Kind.NOTE, body="hello", author=company.rep)
    book = Contact.objects.filter(owner=company.rep).values("id")

    found = Interaction.objects.filter(in_subquery("contact_id", book))
    assert set(found.values_list("contact_id", flat=True)) == {c.pk for c in mine}
    assert set(found) == set(Interaction.objects.filter(contact_id__in=book))

    either = Interaction.objects.filter(
        in_subquery("contact_id", book) | ~in_subquery("contact_id", book)
    )
    assert either.count() == 4

    sql = str(found.query)
    if connection.vendor == "postgresql":
        assert "= ANY(ARRAY(SELECT" in sql
    else:
        assert " IN (SELECT" in sql


def test_in_ids_matches_in_with_one_parameter(company):  # type: ignore[no-untyped-def]
    """`in_ids`: the rows of `field__in=ids`, the ids bound as a single parameter."""
    from warmline.core.db import in_ids

    contacts = [ContactFactory(owner=company.rep) for _ in range(4)]
    wanted = [contacts[0].pk, contacts[2].pk, 10**12]  # an id that does not exist too
    found = Contact.objects.filter(in_ids("pk", wanted))
    assert set(found) == {contacts[0], contacts[2]}
    assert set(found) == set(Contact.objects.filter(pk__in=wanted))
    assert not Contact.objects.filter(in_ids("pk", [])).exists()
    assert Contact.objects.filter(~in_ids("pk", wanted)).count() == 2
    sql, params = found.query.sql_with_params()
    assert len(params) == 1
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql
    else:
        assert "json_each" in sql
