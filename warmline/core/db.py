"""Query helpers for both engines (SQLite and PostgreSQL).

`field__any=...` is a custom lookup, registered on every model field the documented way
(`Field.register_lookup`, see "How to write custom lookups" in Django's documentation), with
one SQL per engine (`as_postgresql`, `as_sqlite`). `in_subquery` and `in_ids` name its two
uses, so callers need not remember why they want it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db import NotSupportedError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, ForeignKey, Lookup, Q, QuerySet
from django.db.models.sql.compiler import SQLCompiler

_Sql = tuple[str, tuple[Any, ...]]


@ForeignKey.register_lookup  # (relations do not inherit Field's lookups)
@Field.register_lookup
class AnyOf(Lookup[Any]):
    """`field__any=values` or `field__any=subquery`: `field` equals one of `values` (a list,
    sent as one parameter) or one of the rows of a one-column subquery.

    PostgreSQL: `field = ANY(%s)` with the values as one array, or `field = ANY(ARRAY(
    subquery))`, which evaluates the subquery once and probes `field`'s index with each row.
    SQLite: `field IN (SELECT value FROM json_each(%s))` with the values as one JSON list,
    or plain `field IN (subquery)`, which SQLite already runs that way."""

    lookup_name = "any"
    prepare_rhs = False  # the right-hand side is a list of the field's values, not one

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _Sql:
        raise NotSupportedError(
            f"field__any is written for PostgreSQL and SQLite, not {connection.vendor}"
        )

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _Sql:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)  # ("%s", [values]) or a query
        if self.rhs_is_direct_value():
            return f"{lhs} = ANY({rhs})", (*lhs_params, list(self.rhs))
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _Sql:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)  # ("%s", [values]) or a query
        if self.rhs_is_direct_value():
            values = json.dumps(list(self.rhs))
            sql = f"{lhs} IN (SELECT value FROM json_each({rhs}))"  # noqa: S608 - compiled SQL
            return sql, (*lhs_params, values)
        return f"{lhs} IN {rhs}", (*lhs_params, *rhs_params)


def in_subquery(field: str, subquery: QuerySet[Any, Any]) -> Q:
    """`field IN (subquery)`, written so that the engine runs the (small) subquery first
    and probes `field`'s index with each of its rows, whatever its statistics say.

    SQLite does that with IN. PostgreSQL may not: expecting matches in proportion to the
    subquery's size, it can hash-join a scan of the whole outer table, which for a book
    with few matching rows reads every row (measured: 150 ms over 100,000 open service
    cases for a rep's book of 5,000 with none). `= ANY(ARRAY(subquery))` makes it evaluate
    the subquery once and look each id up in the index (5 ms there). `subquery` must
    select one column."""
    return Q(**{f"{field}__any": subquery.order_by()})


def in_ids(field: str, ids: Iterable[int]) -> Q:
    """`field IN (ids)` with the ids as one parameter instead of one per id.

    For a few hundred ids the per-id work (a placeholder, a quoted literal or bound value,
    the engine parsing it) costs more than the query itself on the call queue's hot path.
    PostgreSQL gets `field = ANY(%s)` with an array, SQLite `field IN (SELECT value FROM
    json_each(%s))` with a JSON list; both probe `field`'s index per id."""
    return Q(**{f"{field}__any": [int(pk) for pk in ids]})


def delete_in_batches(queryset: QuerySet[Any, Any], *, size: int) -> int:
    """Delete the rows of `queryset`, `size` at a time (one `QuerySet.delete()` per batch of
    primary keys, in the caller's transaction); returns how many rows of its model went.

    Why: with server-side binding (settings, DB_SERVER_SIDE_BINDING: on by default) every
    value in a statement is a protocol parameter, and PostgreSQL accepts 65,535 at most.
    Django splits a large delete into batches by the limit the backend declares
    (`max_query_params`), but it ORs the batches of each SET NULL update back into one
    statement: deleting 70,000 contacts sends one `UPDATE ... SET contact_id = NULL` (the
    alerts that named them) with 70,000 parameters, and fails. Deleting in batches bounds
    every statement by what one batch cascades to. (With client-side binding there is no
    such limit; batches cost a few queries more.)"""
    model = queryset.model
    ids = list(queryset.order_by().values_list("pk", flat=True))
    deleted = 0
    for start in range(0, len(ids), size):
        batch = model._default_manager.filter(pk__in=ids[start : start + size])
        _, per_model = batch.delete()
        deleted += per_model.get(model._meta.label, 0)
    return deleted
