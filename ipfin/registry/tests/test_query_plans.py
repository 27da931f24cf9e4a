"""The public query and the status-as-of query read the register through indexes, proven by
PostgreSQL's own EXPLAIN of every statement the endpoints send (the PostgreSQL run of the suite).

Each statement is explained with every scan priced out but the bitmap scan, which can only read
an index with a condition on it: a statement that can be answered by searching an index then
shows that index and its condition, and one that cannot still shows "Seq Scan" (a scan of every
row, the planner's only way left), which these tests refuse on any register table. (With only
sequential scans priced out, a small table's whole index read in order, a scan of every row by
another name, would pass.)
What this proves holds at any size: the register's 30 million rights change the costs, not the
paths an index offers (benchmarks/registry_query_plans.py explains and times them on 30 million
generated rights)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from ipfin.accounts.models import Organisation
from ipfin.registry.models import Right, RightOwner

REGISTER_TABLES = ("registry_right", "registry_rightowner", "registry_rightevent")


@pytest.fixture(autouse=True)
def _postgresql_only(db: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN of PostgreSQL's plans: the suite's PostgreSQL run")


def _copies(model: Any, template: int, n: int, overrides: dict[str, str]) -> None:
    """`n` copies of the row `template` of `model`, with the columns in `overrides` set to SQL
    expressions of i (1..n): a register of some size in one statement, so that the planner's
    statistics are not those of a handful of rows."""
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    values = [overrides.get(c, f"t.{c}") for c in columns]
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - the model's own names
            f"SELECT {', '.join(values)} FROM {table} t, generate_series(1, %s) AS i "
            "WHERE t.id = %s",
            [n, template],
        )


def _register_of_size(template: Right, n: int = 20_000) -> None:
    _copies(
        Right,
        template.pk,
        n,
        {
            "number": "'ZZ' || lpad(i::text, 12, '0')",
            "title": "'一种装置' || md5(i::text)",
            "publication_no": "''",
        },
    )
    owner = RightOwner.objects.filter(right=template).first()
    assert owner is not None
    _copies(
        RightOwner,
        owner.pk,
        n,
        {
            "right_id": (
                "(SELECT id FROM registry_right WHERE number = 'ZZ' || lpad(i::text, 12, '0'))"
            ),
            "name": "'公司' || md5(i::text)",
            # Half of them former owners, as after transfers.
            "valid_to": "CASE WHEN i %% 2 = 0 THEN t.valid_from + 1 END",
        },
    )


def _plans(statements: list[str]) -> list[str]:
    """EXPLAIN of each register statement, sequential scans priced out."""
    plans = []
    with transaction.atomic(), connection.cursor() as cursor:
        for table in REGISTER_TABLES:
            cursor.execute(f"ANALYZE {table}")
        # Rows just inserted wait in a GIN index's pending list, which the planner prices as
        # read in full; autovacuum merges it in a running system: here, merge it now.
        cursor.execute(
            "SELECT gin_clean_pending_list(indexrelid::regclass) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 'registry_%%_trgm'"
        )
        for scan in ("seqscan", "indexscan", "indexonlyscan"):
            cursor.execute(f"SET LOCAL enable_{scan} = off")
        for sql in statements:
            if not any(table in sql for table in REGISTER_TABLES):
                continue
            cursor.execute(f"EXPLAIN {sql}")
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


def _statements(call: Callable[[], Any]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200, response.content
    return [q["sql"] for q in captured.captured_queries]


def _no_register_seq_scan(plans: list[str]) -> None:
    assert plans
    for plan in plans:
        for table in REGISTER_TABLES:
            assert f"Seq Scan on {table}" not in plan, plan
        # Every register table is read by a bitmap of an index search.
        assert "Bitmap Heap Scan on registry_" in plan, plan


def test_public_query_finds_by_text_through_trigram_and_key_indexes(
    make_right: Callable[..., Right],
    enterprise_a: Organisation,
    api_client: Callable[..., Any],
) -> None:
    rights = [make_right(title=t) for t in ("一种锂电池隔膜", "一种传感器", "一种数据处理方法")]
    _register_of_size(rights[1])
    client = api_client(None)
    # Three characters or more: a trigram index holds no shorter piece of text, so a one- or
    # two-character search ("传感") still reads every title (README, "The register at scale").
    for q in ("锂电池", "甲科技", "CN2023", "传感器"):
        plans = _plans(_statements(lambda q=q: client.get("/api/v1/rights", {"q": q})))
        _no_register_seq_scan(plans)
        found = "\n".join(plans)
        # The substring searches are answered by the trigram indexes (registry migration 0006).
        assert "registry_right_title_trgm" in found, found
        assert "registry_rightowner_name_trgm" in found, found


def test_status_as_of_a_day_reads_one_right_and_its_events_by_index(
    make_right: Callable[..., Right], api_client: Callable[..., Any]
) -> None:
    right = make_right()
    _register_of_size(make_right())
    client = api_client(None)
    plans = _plans(
        _statements(
            lambda: client.get(f"/api/v1/rights/{right.number}/status", {"on": "2025-06-30"})
        )
    )
    _no_register_seq_scan(plans)
    assert any("registry_right_number" in p for p in plans), plans
