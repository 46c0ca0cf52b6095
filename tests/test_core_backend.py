"""The PostgreSQL backend declares the wire protocol's 65,535-parameter limit, so Django
splits large deletes and `in_bulk()` into batches, and long `IN` lists go as one array
(server-side binding sends every value as a parameter; without these, deleting 100,000
contacts failed outright)."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.factories import ContactFactory
from warmline.people.models import Contact

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the limit is PostgreSQL's wire protocol's"
)
MORE_THAN_THE_PROTOCOL_ALLOWS = 66_000


@postgres_only
def test_batch_size_keeps_rows_times_fields_within_the_protocol_limit():
    rows = range(200_000)
    assert connection.ops.bulk_batch_size(["a"], rows) == 65_535
    assert connection.ops.bulk_batch_size(["a", "b", "c"], rows) == 21_845
    assert connection.ops.bulk_batch_size(["a", "b"], range(10)) == 10


@postgres_only
def test_in_bulk_over_more_ids_than_parameters_allowed(company):
    contact = ContactFactory(owner=company.rep)
    ids = [contact.pk, *range(10**9, 10**9 + MORE_THAN_THE_PROTOCOL_ALLOWS)]
    assert list(Contact.objects.in_bulk(ids)) == [contact.pk]


@postgres_only
def test_or_of_long_in_lists_in_one_statement(company):
    """What the delete collector does for SET NULL relations of a large delete: one UPDATE
    whose batches, each within the limit, are ORed back together."""
    kept, changed = ContactFactory(owner=company.rep), ContactFactory(owner=company.rep)
    half = MORE_THAN_THE_PROTOCOL_ALLOWS // 2 + 1
    first = [*range(10**9, 10**9 + half), changed.pk]
    second = list(range(2 * 10**9, 2 * 10**9 + half))
    both = Contact.objects.filter(pk__in=first) | Contact.objects.filter(pk__in=second)

    assert both.update(title="Changed") == 1

    assert Contact.objects.get(pk=changed.pk).title == "Changed"
    assert Contact.objects.get(pk=kept.pk).title != "Changed"
    assert Contact.objects.exclude(pk__in=first).filter(pk=kept.pk).exists()
