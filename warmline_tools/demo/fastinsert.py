"""Insert many rows of a model with one `executemany`, skipping model instances.

`bulk_create` spends most of its time building SQL value by value; for the benchmark's
two million timeline entries that is minutes. Here each column's value is adapted once with
the database backend's own adapters (`connection.ops.adapt_*`, the same ones `bulk_create`
ends up calling), so the stored rows are identical — only faster to write.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models


def _adapter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    ops = connection.ops
    if isinstance(field, models.UUIDField):
        if connection.features.has_native_uuid_field:
            return None
        return lambda v: v.hex if isinstance(v, uuid.UUID) else v
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return lambda v: ops.adapt_json_value(v, encoder)
    return None


def rows_insert(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """INSERT `rows` (tuples in the order of `fields`, foreign keys as ids) into `model`'s
    table; returns how many. Defaults are not applied: give every column a value."""
    opts = model._meta
    columns: list[models.Field[Any, Any]] = [opts.get_field(name) for name in fields]  # type: ignore[misc]
    adapters = [(i, a) for i, a in enumerate(_adapter(f) for f in columns) if a is not None]
    quote = connection.ops.quote_name
    # Table and column names come from the model's meta (quoted); values are parameters.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(opts.db_table),
        ", ".join(quote(str(f.column)) for f in columns),
        ", ".join(["%s"] * len(columns)),
    )
    prepared: list[Sequence[Any]] = []
    for row in rows:
        if adapters:
            values = list(row)
            for i, adapt in adapters:
                values[i] = adapt(values[i])
            prepared.append(values)
        else:
            prepared.append(row)
    if prepared:
        with connection.cursor() as cursor:
            cursor.executemany(sql, prepared)
    return len(prepared)
