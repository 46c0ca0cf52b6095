"""The PostgreSQL backend declares the wire protocol's 65,535-parameter limit, so Django
splits large deletes, bulk writes and `in_bulk()` into batches (server-side binding sends
every value as a parameter), and deleting many contacts goes through `contacts_delete`,
which deletes them in batches: one `QuerySet.delete()` of 100,000 contacts fails."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ContactFactory
from warmline.alerts.models import Alert
from warmline.people.models import Contact
from warmline.people.services import contacts_delete

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


def test_django_ors_the_batches_of_a_set_null_update_into_one_statement(company, monkeypatch):
    """Why `contacts_delete` deletes in batches of its own: Django splits a large delete
    into batches (`bulk_batch_size`), but sends the SET NULL update of each relation (here
    the alerts naming the contacts) as one statement ORing every batch, so one
    `QuerySet.delete()` of more than 65,535 contacts fails on PostgreSQL. Batches of two
    here, to see it with five contacts. If Django ever sends one UPDATE per batch, this
    fails, and `core.db.delete_in_batches` may go."""
    contacts = [ContactFactory(owner=company.rep) for _ in range(5)]
    for contact in contacts:
        Alert.objects.create(
            recipient=company.rep,
            contact=contact,
            kind="question",
            title="Hi",
            cause=f"c{contact.pk}",
        )
    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 2)
    table = Alert._meta.db_table

    with CaptureQueriesContext(connection) as queries:
        Contact.objects.filter(owner=company.rep).delete()

    updates = [q["sql"] for q in queries if q["sql"].startswith(f'UPDATE "{table}"')]
    assert len(updates) == 1
    assert updates[0].count(" IN (") == 3  # batches of 2, 2 and 1, ORed
    assert Alert.objects.filter(contact=None).count() == 5


@postgres_only
def test_deleting_more_contacts_than_parameters_allowed(company):
    kept = ContactFactory(owner=company.rep2)
    rows = [Contact(first_name=f"Bulk{i}", owner=company.rep) for i in range(66_000)]
    mine = Contact.objects.bulk_create(rows, batch_size=5_000)
    Alert.objects.create(recipient=company.rep, contact=mine[-1], kind="question", title="Hi")

    deleted = contacts_delete(contacts=Contact.objects.filter(owner=company.rep))

    assert deleted == MORE_THAN_THE_PROTOCOL_ALLOWS
    assert list(Contact.objects.all()) == [kept]
    assert Alert.objects.get().contact is None
