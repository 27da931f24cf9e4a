"""`field__any_of=[...]`: membership in a list sent as one value.

Django's `__in` writes one placeholder per value. For the thousands of numbers or ids of an
import's batch, building that SQL (Django prepares each value, psycopg splits a query of
thousands of placeholders) and the server's planning of the long list cost more than the
look-up itself (measured on PostgreSQL: about 3.5 s of a 100,000-row re-import's 10 s). On
PostgreSQL the list goes as one array parameter, `column = ANY(%s)`; elsewhere (SQLite, which
has no arrays) it is the same `IN (...)` as `__in`. An empty list matches nothing.

The values are taken as they are: strings for text columns, ints for ids (no per-value
preparation through the field, which is the cost avoided).
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, ForeignObject, Lookup
from django.db.models.sql.compiler import SQLCompiler


class AnyOf(Lookup):  # type: ignore[type-arg]  # generic only in the stubs
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[Any]:
        # Plain values only: a queryset or an expression is `__in`'s business, and a model
        # instance would reach the driver as it is. None is dropped, as `__in` drops it (no row
        # equals NULL; kept, `exclude` matched nothing).
        if not isinstance(self.rhs, list | tuple | set | frozenset):
            raise TypeError(f"__any_of takes a list of values, not {type(self.rhs).__name__}")
        values = [value for value in self.rhs if value is not None]
        for value in values:
            if not isinstance(value, str | int):
                raise TypeError(f"__any_of takes strings or integers, not {type(value).__name__}")
        return values

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = self.rhs
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        if not values:
            return "1 = 0", list(lhs_params)
        marks = ", ".join(["%s"] * len(values))
        return f"{lhs} IN ({marks})", [*lhs_params, *values]


def register() -> None:
    # Relations keep lookups of their own (`right_id__in` is a related lookup), hence twice.
    Field.register_lookup(AnyOf)
    ForeignObject.register_lookup(AnyOf)
