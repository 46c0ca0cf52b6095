import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tests.factories import ContactFactory
from warmline.timeline.models import AppendOnlyError, Interaction, Kind
from warmline.timeline.services import (
    call_log,
    interaction_correct,
    interaction_create,
    meeting_log,
    note_add,
)


@pytest.mark.django_db
def test_entries_are_append_only(company):
    contact = ContactFactory(owner=company.rep)
    entry = note_add(contact=contact, author=company.rep, body="Met at the fair")
    entry.body = "changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    fix = interaction_correct(original=entry, author=company.rep, body="It was the spring fair")
    assert fix.corrects_id == entry.pk
    assert Interaction.objects.get(pk=entry.pk).body == "Met at the fair"


@pytest.mark.django_db
def test_last_touch_moves_forward_only_for_personal_touches(company):
    contact = ContactFactory(owner=company.rep)
    now = timezone.now()
    note_add(contact=contact, author=company.rep, body="internal")
    call_log(contact=contact, author=company.rep, outcome="no_answer")
    contact.refresh_from_db()
    assert contact.last_touch_at is None
    call_log(contact=contact, author=company.rep, outcome="connected", occurred_at=now)
    meeting_log(
        contact=contact,
        author=company.rep,
        subject="Lunch",
        occurred_at=now - dt.timedelta(days=30),
    )
    contact.refresh_from_db()
    assert contact.last_touch_at == now


@pytest.mark.django_db
def test_voicemail_outcome_is_a_voicemail_entry(company):
    contact = ContactFactory(owner=company.rep)
    entry = call_log(contact=contact, author=company.rep, outcome="voicemail")
    assert entry.kind == Kind.VOICEMAIL
    assert not entry.is_personal


@pytest.mark.django_db
def test_external_id_makes_writes_idempotent(company):
    contact = ContactFactory(owner=company.rep)
    first = interaction_create(
        contact=contact, kind=Kind.CASE_OPENED, source="service_desk", external_id="ZD-1"
    )
    again = interaction_create(
        contact=contact, kind=Kind.CASE_OPENED, source="service_desk", external_id="ZD-1"
    )
    assert first.pk == again.pk
    assert Interaction.objects.count() == 1


@pytest.mark.django_db
def test_a_refused_entry_leaves_the_callers_transaction_usable(company):
    """Entries without an external id are written without a savepoint, so bad input must be
    refused before the write: a caller catching the error goes on in its transaction."""
    contact = ContactFactory(owner=company.rep)
    with transaction.atomic():
        with pytest.raises(ValidationError):
            note_add(
                contact=contact,
                author=company.rep,
                body="from the future",
                occurred_at=timezone.now() + dt.timedelta(days=1),
            )
        note_add(contact=contact, author=company.rep, body="today")
    assert list(Interaction.objects.filter(contact=contact).values_list("body", flat=True)) == [
        "today"
    ]


def _generic_plan(query: str, arguments: str) -> str:
    """PostgreSQL's plan for `query` (two text parameters) as a prepared statement's generic
    plan, the one it settles on after DB_PREPARE_THRESHOLD runs; sequential scans off, as
    the test tables are tiny and any usable index should win."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"PREPARE wl_probe(text, text) AS {query}")
        cursor.execute(f"EXPLAIN EXECUTE wl_probe({arguments})")
        plan = " ".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE wl_probe")
    return plan


@pytest.mark.django_db
def test_an_external_id_is_found_by_index_under_a_generic_plan(company):
    """Prepared statements (DB_PREPARE_THRESHOLD) end up with a generic plan, in which the
    external id is a parameter: the partial unique index (external_id <> '') cannot be
    proven to apply, so only a plain index keeps the lookups and Django's check of the
    constraint from scanning the whole timeline (they did, 0.5-1.2 s at 2,000,000 entries)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("plans and prepared statements are PostgreSQL's")
    contact = ContactFactory(owner=company.rep)
    interaction_create(contact=contact, kind=Kind.NOTE, body="x", external_id="ext-1")
    plan = _generic_plan(
        "SELECT 1 FROM timeline_interaction WHERE external_id = $1 AND source = $2",
        "'ext-1', 'web'",
    )
    assert "interaction_external_id" in plan, plan


@pytest.mark.django_db
def test_a_case_external_id_is_found_by_index_under_a_generic_plan():
    """The service desk's webhooks find a case by its external id: the same generic-plan
    trap as the timeline's (the unique index is partial)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("plans and prepared statements are PostgreSQL's")
    plan = _generic_plan(
        "SELECT 1 FROM service_case WHERE external_id = $1 AND external_system = $2",
        "'4711', 'desk'",
    )
    assert "case_external_id" in plan, plan
