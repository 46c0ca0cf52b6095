"""The search index each database engine offers for `Contact.search_text`.

* SQLite (3.34+): an FTS5 table with the trigram tokenizer, `people_contact_fts`, that
  indexes people_contact.search_text (external content, so the text is not stored twice)
  and is kept in step by triggers. Search narrows its candidates with it for words of three
  or more characters; the LIKE conditions still decide what matches.
* PostgreSQL: the pg_trgm extension and a GIN trigram index on search_text, which
  `LIKE '%…%'` uses directly.

`search_index_ensure` creates whatever is missing and is safe to run any number of times.
The migration runs it, and so does a post_migrate handler: SQLite drops a table's triggers
when Django rebuilds that table in a later migration, so every `migrate` checks again and
rebuilds the index if its triggers had gone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q
from django.db.models.expressions import RawSQL

FTS_TABLE = "people_contact_fts"
PG_INDEX = "contact_search_trgm"
TRIGGERS = {
    "people_contact_fts_insert": (
        "AFTER INSERT ON people_contact BEGIN "
        "INSERT INTO people_contact_fts(rowid, search_text) VALUES (new.id, new.search_text); "
        "END"
    ),
    "people_contact_fts_delete": (
        "AFTER DELETE ON people_contact BEGIN "
        "INSERT INTO people_contact_fts(people_contact_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); "
        "END"
    ),
    "people_contact_fts_update": (
        "AFTER UPDATE OF search_text ON people_contact BEGIN "
        "INSERT INTO people_contact_fts(people_contact_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO people_contact_fts(rowid, search_text) VALUES (new.id, new.search_text); "
        "END"
    ),
}
MIN_TRIGRAM_WORD = 3  # the trigram tokenizer cannot match anything shorter


def sqlite_fts_supported() -> bool:
    """FTS5's trigram tokenizer arrived in SQLite 3.34."""
    return sqlite3.sqlite_version_info >= (3, 34, 0)


def search_index_ensure(*, connection: BaseDatabaseWrapper) -> bool:
    """Create the engine's search index if it is missing; True when something was made."""
    if connection.vendor == "postgresql":
        return _postgres_ensure(connection)
    if connection.vendor == "sqlite" and sqlite_fts_supported():
        return _sqlite_ensure(connection)
    return False


def search_index_drop(*, connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
        elif connection.vendor == "sqlite":
            for name in TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


def _sqlite_ensure(connection: BaseDatabaseWrapper) -> bool:
    with connection.cursor() as cursor:
        names = [FTS_TABLE, "people_contact", *TRIGGERS]
        cursor.execute("SELECT name FROM sqlite_master WHERE name IN (%s, %s, %s, %s, %s)", names)
        present = {row[0] for row in cursor.fetchall()}
        if "people_contact" not in present:  # migrating backwards past the contact table
            return False
        missing = {FTS_TABLE, *TRIGGERS} - present
        if not missing:
            return False
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "search_text, content='people_contact', content_rowid='id', tokenize='trigram')"
        )
        for name, body in TRIGGERS.items():
            cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
        # Whatever happened while a trigger was missing, the index now matches the table.
        cursor.execute("INSERT INTO people_contact_fts(people_contact_fts) VALUES ('rebuild')")
    return True


def _postgres_ensure(connection: BaseDatabaseWrapper) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [PG_INDEX])
        row = cursor.fetchone()
        if row and row[0]:
            return False
        cursor.execute("SELECT to_regclass('people_contact') IS NOT NULL")
        row = cursor.fetchone()
        if not (row and row[0]):
            return False
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError as exc:
            raise RuntimeError(
                "Contact search needs PostgreSQL's pg_trgm extension and this database user "
                "may not create it. Run `CREATE EXTENSION pg_trgm;` in the database as a "
                "superuser once, then `warmline migrate` again."
            ) from exc
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON people_contact "
            "USING gin (search_text gin_trgm_ops)"
        )
    return True


def fts_match_expression(*, words: Sequence[str], digits: str = "") -> str | None:
    """An FTS5 query that finds every contact whose search text contains all `words` (or,
    when given, `digits`) — possibly a few more, never fewer. None when no word is long
    enough for the trigram index to help."""
    long_words = [w for w in words if len(w) >= MIN_TRIGRAM_WORD]
    if not long_words:
        return None
    expression = " AND ".join(_phrase(w) for w in long_words)
    if digits:
        expression = f"({expression}) OR {_phrase(digits)}"
    return expression


# Fixed SQL: the user's words only ever travel as the parameter.
FTS_CANDIDATES_SQL = "SELECT rowid FROM people_contact_fts WHERE people_contact_fts MATCH %s"


def search_index_q(*, words: Sequence[str], digits: str = "") -> Q | None:
    """A condition that narrows contacts to the FTS5 candidates for this search, or None
    when this engine (or this query) gets no help from an index beyond the plain LIKEs."""
    from django.db import connection

    if connection.vendor != "sqlite" or not sqlite_fts_supported():
        return None
    match = fts_match_expression(words=words, digits=digits)
    if match is None:
        return None
    return Q(pk__in=RawSQL(FTS_CANDIDATES_SQL, (match,)))  # noqa: S611


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def search_index_post_migrate(*, using: str = "default", **kwargs: Any) -> None:
    """post_migrate handler: repair the index after a migration rebuilt people_contact."""
    from django.db import connections

    search_index_ensure(connection=connections[using])
