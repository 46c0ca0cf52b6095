"""The engine's search index (FTS5 trigram on SQLite, pg_trgm on PostgreSQL) only ever
narrows what the LIKE conditions would find: same results, fewer rows read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from tests.factories import AccountFactory, ContactFactory
from warmline.people import selectors
from warmline.people.models import Contact
from warmline.people.search_index import (
    FTS_TABLE,
    PG_INDEX,
    TRIGGERS,
    fts_match_expression,
    search_index_ensure,
)
from warmline.people.selectors import ContactFilters, contact_list, contact_search_q
from warmline.people.services import ContactData, contact_update
from warmline.users.models import User
from warmline_tools.demo import DemoSize, demo_load

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index is SQLite's")


def fts_ids(text: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", ['"' + text + '"']
        )
        return {row[0] for row in cursor.fetchall()}


def test_match_expression_covers_every_word_or_the_digits():
    assert fts_match_expression(words=["dana", "acme"]) == '"dana" AND "acme"'
    assert fts_match_expression(words=["(415)", "55"], digits="41555") == '("(415)") OR "41555"'
    assert fts_match_expression(words=['o"neil']) == '"o""neil"'
    # Too short for trigrams: no index help, the LIKE scan decides alone.
    assert fts_match_expression(words=["ab", "c"]) is None


@pytest.mark.django_db
def test_search_with_the_index_finds_exactly_what_the_scan_finds(monkeypatch):
    demo_load(
        size=DemoSize(accounts=10, contacts=80, seed=5), now=dt.datetime(2026, 5, 4, tzinfo=dt.UTC)
    )
    admin = User.objects.get(username="ada")
    sample = list(Contact.objects.select_related("account").order_by("id")[:12])
    queries = ["a", "ma", "son", "zzzq", "gmbh", "%", "_", 'o"ne', "(0", "+44 1", "ltd co"]
    for contact in sample:
        queries += [
            contact.last_name[:4],
            contact.first_name.upper(),
            f"{contact.first_name} {contact.last_name[:3]}",
            contact.email.split("@")[1],
            contact.phone[-7:],
            contact.phone[3:6] + " " + contact.phone[6:9],
        ]
        if contact.account:
            queries.append(contact.account.name.split()[0])
    with_index = {q: set(contact_list(user=admin, filters=ContactFilters(q=q))) for q in queries}
    monkeypatch.setattr(selectors, "search_index_q", lambda **kwargs: None)
    for q in queries:
        scanned = set(contact_list(user=admin, filters=ContactFilters(q=q)))
        assert with_index[q] == scanned, q
    assert any(with_index[q] for q in queries)


@sqlite_only
@pytest.mark.django_db
def test_whole_company_search_reads_the_trigram_index():
    sql = str(Contact.objects.filter(contact_search_q("kowalski")).only("id").query)
    assert FTS_TABLE in sql
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM people_contact WHERE search_text LIKE '%kowal%' "
            f"AND id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH '\"kowal\"')"
        )
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "VIRTUAL TABLE" in plan


@sqlite_only
@pytest.mark.django_db
def test_triggers_keep_the_index_in_step(company):
    contact = ContactFactory(owner=company.rep, first_name="Quentin", last_name="Zabriskie")
    assert fts_ids("zabrisk") == {contact.pk}
    contact_update(
        contact=contact,
        data=ContactData(first_name="Quentin", last_name="Yarborough", owner=company.rep),
    )
    assert fts_ids("zabrisk") == set()
    assert fts_ids("yarborough") == {contact.pk}
    account = AccountFactory(name="Brightwater Pumps")
    Contact.objects.filter(pk=contact.pk).update(search_text="quentin | brightwater pumps")
    assert fts_ids("brightwater") == {contact.pk}
    assert account.pk
    Contact.objects.filter(pk=contact.pk).delete()
    assert fts_ids("brightwater") == set()


@sqlite_only
@pytest.mark.django_db
def test_ensure_repairs_an_index_whose_triggers_were_dropped(company):
    """A later migration that rebuilds people_contact drops its triggers; the post_migrate
    check puts them back and reindexes what was written meanwhile."""
    assert search_index_ensure(connection=connection) is False  # all in place
    with connection.cursor() as cursor:
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    contact = ContactFactory(owner=company.rep, first_name="Imogen", last_name="Vasquez-Oduya")
    assert fts_ids("oduya") == set()
    assert search_index_ensure(connection=connection) is True
    assert fts_ids("oduya") == {contact.pk}
    found = contact_list(user=company.rep, filters=ContactFilters(q="Oduya"))
    assert list(found) == [contact]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's")
@pytest.mark.django_db
def test_postgres_has_the_trigram_index():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [PG_INDEX])
        row = cursor.fetchone()
    assert row is not None and "gin_trgm_ops" in row[0]
    assert search_index_ensure(connection=connection) is False


@pytest.mark.django_db
def test_names_with_accents_are_found_as_typed_without_them(company):
    from warmline.people.services import contact_create

    account = AccountFactory(name="Café Zürich")
    jurgen = contact_create(
        data=ContactData(
            first_name="Jürgen", last_name="Müller", account=account, owner=company.rep
        )
    )
    anna = contact_create(
        data=ContactData(first_name="Anna", last_name="Muller", owner=company.rep)
    )

    def found(q):
        return set(contact_list(user=company.rep, filters=ContactFilters(q=q)))

    assert found("müller") == {jurgen}
    assert found("mueller") == {jurgen}
    assert found("muller") == {jurgen, anna}
    assert found("juergen mueller") == {jurgen}
    assert found("zurich") == {jurgen}
    assert found("Zuerich") == {jurgen}


def test_a_digest_read_back_gets_no_second_copy_of_its_forms():
    from warmline.people.search import SEPARATOR, search_text_with_forms

    once = search_text_with_forms(["jürgen müller", "acme"])
    assert once == "jürgen müller | jurgen muller | juergen mueller | acme"
    assert search_text_with_forms(once.split(SEPARATOR)) == once


@pytest.mark.django_db
def test_the_migration_adds_the_forms_to_digests_written_before(company):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("warmline.people.migrations.0005_search_text_ascii_forms")
    old = ContactFactory(
        owner=company.rep,
        first_name="Jürgen",
        last_name="Müller",
        emails=[("jm@example.de", "work")],
    )
    plain = ContactFactory(owner=company.rep, first_name="Ann", last_name="Lee")
    Contact.objects.filter(pk=old.pk).update(search_text="jürgen | müller | jürgen müller")
    Contact.objects.filter(pk=plain.pk).update(search_text="ann | lee | ann lee")
    migration.forwards(apps, None)
    assert Contact.objects.get(pk=old.pk).search_text == (
        "jürgen | jurgen | juergen | müller | muller | mueller | jürgen müller"
        " | jurgen muller | juergen mueller"
    )
    assert Contact.objects.get(pk=plain.pk).search_text == "ann | lee | ann lee"
    assert set(contact_list(user=company.rep, filters=ContactFilters(q="mueller"))) == {old}
