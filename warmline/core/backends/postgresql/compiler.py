"""Django's PostgreSQL compilers, with long `IN` lists sent as one array parameter.

With server-side binding each value of `field IN (...)` is a protocol parameter, and a
statement may carry 65,535 at most. Django batches most large operations by the limit the
backend declares, but it still ORs batches back into one statement in places (the delete
collector's SET NULL updates). `field = ANY(%s)` with the values as one array is what
PostgreSQL makes of `IN (...)` anyway, so the plan is the same and the count is one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.backends.postgresql import compiler
from django.db.models.fields.tuple_lookups import TupleIn
from django.db.models.lookups import In

if TYPE_CHECKING:  # the mixin only ever sits in front of a SQLCompiler
    from django.db.models.sql.compiler import SQLCompiler as _Compiler
else:
    _Compiler = object

LONG_IN_LIST = 1_000

__all__ = [
    "SQLAggregateCompiler",
    "SQLCompiler",
    "SQLDeleteCompiler",
    "SQLInsertCompiler",
    "SQLUpdateCompiler",
]


class _LongInAsArray(_Compiler):
    def compile(self, node: Any) -> Any:
        if (
            isinstance(node, In)
            and not isinstance(node, TupleIn)  # (composite keys: rows, not values)
            and node.rhs_is_direct_value()
            and len(node.rhs) > LONG_IN_LIST
            and not any(hasattr(value, "resolve_expression") for value in node.rhs)
        ):
            lhs, lhs_params = node.process_lhs(self, self.connection)
            _, rhs_params = node.process_rhs(self, self.connection)
            return f"{lhs} = ANY(%s)", [*lhs_params, list(rhs_params)]
        return super().compile(node)


class SQLCompiler(_LongInAsArray, compiler.SQLCompiler):
    pass


class SQLInsertCompiler(_LongInAsArray, compiler.SQLInsertCompiler):
    pass


class SQLDeleteCompiler(_LongInAsArray, compiler.SQLDeleteCompiler):
    pass


class SQLUpdateCompiler(_LongInAsArray, compiler.SQLUpdateCompiler):
    pass


class SQLAggregateCompiler(_LongInAsArray, compiler.SQLAggregateCompiler):
    pass
