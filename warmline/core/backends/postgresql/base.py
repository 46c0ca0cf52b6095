"""Django's PostgreSQL backend, aware of the wire protocol's limit of 65,535 parameters.

Warmline binds parameters on the server (`server_side_binding`, see settings), so every value
in a statement is a protocol parameter, and a statement with more than 65,535 fails
("number of parameters must be between 0 and 65535"). Django's PostgreSQL backend declares
no such limit, so `in_bulk()` over 70,000 ids, or bulk writes of that many rows, failed.
Declaring it (`max_query_params`, `bulk_batch_size`: the documented way to describe a
database to Django is a backend whose DatabaseWrapper, DatabaseFeatures and
DatabaseOperations subclass the shipped ones) makes Django split those into batches, as it
already does on SQLite and Oracle.

Django still ORs the batches of a delete's SET NULL updates back into one statement, so one
`QuerySet.delete()` of more than 65,535 contacts fails here; `people.services.contacts_delete`
deletes in batches (`core.db.delete_in_batches`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.backends.postgresql import base, features, operations

PROTOCOL_MAX_PARAMS = 65_535


class DatabaseFeatures(features.DatabaseFeatures):
    max_query_params = PROTOCOL_MAX_PARAMS


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields: Sequence[Any], objs: Sequence[Any]) -> int:
        """Rows per statement so that rows x fields stays within the protocol's limit (the
        delete collector and bulk_create/bulk_update size their batches with this)."""
        per_row = max(1, len(fields))
        return max(1, min(len(objs), PROTOCOL_MAX_PARAMS // per_row))


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    ops_class = DatabaseOperations
