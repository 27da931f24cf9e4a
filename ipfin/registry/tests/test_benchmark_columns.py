"""The portfolio benchmark writes rights by COPY, bypassing the ORM's defaults: it must name every
column the database cannot fill itself, or `make bench` fails on the next new field."""

from __future__ import annotations

from django.db.models.fields import NOT_PROVIDED

from benchmarks.valuation_score_portfolio import RIGHT_COLUMNS
from ipfin.registry.models import Right


def test_the_benchmark_copy_names_every_column_the_database_cannot_fill() -> None:
    needed = {
        f.column
        for f in Right._meta.concrete_fields
        if not f.null and not f.primary_key and f.db_default is NOT_PROVIDED
    }
    assert needed <= set(RIGHT_COLUMNS), needed - set(RIGHT_COLUMNS)
