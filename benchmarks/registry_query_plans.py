"""Benchmark `registry_query_plans`: the public query and the status-as-of query on a register of
30 million rights (IPFIN_BENCH_REGISTER_RIGHTS; the issue's national register), explained and
timed.

Creates a PostgreSQL database of its own (on the server DATABASE_URL points at, as
`valuation_score_portfolio` does), migrates it, and generates the register on the server, in
slices of a million rights (generate_series; nothing crosses to the client): valid application
numbers (check digits computed in SQL), titles, IPC codes, a current owner each (one in ten a
former owner besides, as after a transfer) and a grant event each; then VACUUM (ANALYZE), as
autovacuum leaves a register loaded long ago. The register's own indexes (the migrations',
trigram indexes included) are dropped during the load and built again after it, as a bulk load
does.

Then, through the API as a visitor calls it (Django's test client, in-process):

- `GET /api/v1/rights?q=…` for a selective title, a company name shared by 600 rights and a full
  application number;
- `GET /api/v1/rights/{number}/status?on=…`;

each statement these send is EXPLAINed with the planner's own settings, and the benchmark fails
if any plan reads a register table with a sequential scan (the tests prove which index paths
exist; this proves the planner takes them at this size). Each request is then timed
(IPFIN_BENCH_REPEATS, default 30, after a warm-up), its median printed as:

- `registry_query_search`: the median of the three searches, in ms;
- `registry_query_status`: the status-as-of request, in ms;

each against the median of a primary-key read of one right through the ORM in the same process
(the floor for any read of the register), `ratio` = request / floor. The plans' top lines and
every median go to stderr. Without PostgreSQL it says so and exits 1.

Generating 30 million rights and building their indexes takes a long time on a small machine
(measured on 2 cores: see the README); set IPFIN_BENCH_REGISTER_RIGHTS to try a smaller register.
Run alone with `python -m benchmarks.registry_query_plans`, or with `make bench`.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks._report import bench_line
from benchmarks.valuation_score_portfolio import (
    _drop_database,
    _setup_django,
    _with_database,
    bench_database,
)

SLICE = 1_000_000
REGISTER_TABLES = ("registry_right", "registry_rightowner", "registry_rightevent")
_CHECK_DIGIT_SQL = """
CREATE FUNCTION bench_check_digit(body text) RETURNS text IMMUTABLE LANGUAGE sql AS $$
    SELECT CASE WHEN s % 11 = 10 THEN 'X' ELSE (s % 11)::text END
    FROM (SELECT sum(substr(body, k, 1)::int * (ARRAY[2,3,4,5,6,7,8,9,2,3,4,5])[k]) AS s
          FROM generate_series(1, 12) AS k) AS w
$$
"""


def _rights() -> int:
    return int(os.environ.get("IPFIN_BENCH_REGISTER_RIGHTS", "30000000"))


def _body(i: str) -> str:
    """A 12-digit application number body of the serial i (SQL): filing year, type digit (six
    in ten utility models), a 7-digit serial; unique for every i below 200 million."""
    return (
        f"(2005 + {i} % 20)::text || CASE WHEN {i} % 10 < 6 THEN '2' ELSE '1' END "
        f"|| lpad(({i} / 20)::text, 7, '0')"
    )


def _number(i: str) -> str:
    body = _body(i)
    return f"{body} || '.' || bench_check_digit({body})"


def _load_slice(cursor: Any, lo: int, hi: int) -> None:
    """The rights of serials lo..hi with their owners and events. Integers embedded as literals
    and no parameters, so that the SQL's own % stays an operator."""
    lo, hi = int(lo), int(hi)
    now = "TIMESTAMPTZ '2026-01-01 00:00:00+00'"
    filing = "make_date(2005 + g.i % 20, 1 + g.i % 12, 1 + g.i % 28)"
    ipc = "(ARRAY['H01M10/42','G01N33/00','E01B3/32','B64C39/02','G06F16/33'])[1 + g.i % 5]"
    cursor.execute("SELECT COALESCE(max(id), 0) FROM registry_right")
    before = int(cursor.fetchone()[0])
    cursor.execute(
        "INSERT INTO registry_right (number, kind, title, filing_date, grant_date, "  # noqa: S608
        "publication_no, ipc_main, ipc_codes, inventors, address, region, abstract, mark_text, "
        "nice_classes, similar_groups, source, created_at, updated_at, author_kind, "
        "same_day_invention, applicant_type, applicant_count) "
        f"SELECT {_number('g.i')}, "
        "CASE WHEN g.i % 10 < 6 THEN 'utility_model' ELSE 'invention' END, "
        "'一种' || (ARRAY['传感','电池','轨枕','无人机','控制','检测','芯片','阀门'])[1 + g.i % 8] "
        "|| '装置' || md5(g.i::text), "
        f"{filing}, {filing} + 400, '', {ipc}, {ipc}, "
        f"'', '', '', '', '', '[]', '[]', 'bench', {now}, {now}, '', '', 'enterprise', 1 "
        f"FROM generate_series({lo}, {hi}) AS g(i) ORDER BY g.i"
    )
    new = f"r.id > {before}"
    cursor.execute(
        "INSERT INTO registry_rightowner (right_id, name, uscc, share, valid_from) "  # noqa: S608
        f"SELECT r.id, '公司' || (r.id % 50000), '', 1, r.grant_date FROM registry_right r "
        f"WHERE {new}"
    )
    # One in ten had a former owner, as after a transfer (the public query reads current ones).
    cursor.execute(
        "INSERT INTO registry_rightowner (right_id, name, uscc, share, valid_from, valid_to) "  # noqa: S608
        "SELECT r.id, '原权利人' || (r.id % 997), '', 1, r.filing_date, r.grant_date "
        f"FROM registry_right r WHERE {new} AND r.id % 10 = 0"
    )
    cursor.execute(
        "INSERT INTO registry_rightevent (right_id, type, date, payload, source, recorded_at) "  # noqa: S608
        "SELECT r.id, 'annuity_paid', r.grant_date, '{\"year\": 1}', 'bench', "
        f"{now} FROM registry_right r WHERE {new}"
    )


def _indexes(cursor: Any) -> list[tuple[str, str]]:
    """(name, definition) of the register tables' indexes other than their primary keys."""
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "JOIN pg_class c ON c.relname = i.indexname JOIN pg_index x ON x.indexrelid = c.oid "
        "WHERE i.tablename = ANY(%s) AND NOT x.indisprimary AND NOT x.indisunique",
        [list(REGISTER_TABLES)],
    )
    return [(name, definition) for name, definition in cursor.fetchall()]


def load(n: int) -> dict[str, float]:
    """Generate the register of n rights; seconds taken by the load and by the index builds."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(_CHECK_DIGIT_SQL)
        kept = _indexes(cursor)
        for name, _ in kept:
            cursor.execute(f'DROP INDEX "{name}"')
    start = time.perf_counter()
    for lo in range(0, n, SLICE):
        hi = min(lo + SLICE, n) - 1
        with connection.cursor() as cursor:
            _load_slice(cursor, lo, hi)
        print(f"registry_query_plans: {hi + 1} rights", file=sys.stderr, flush=True)
    loaded = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for _, definition in kept:
            cursor.execute(definition)
        cursor.execute("VACUUM (ANALYZE)")
    return {"load_seconds": loaded - start, "index_seconds": time.perf_counter() - loaded}


def _statements(call: Callable[[], Any]) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = call()
    if response.status_code != 200:
        raise RuntimeError(f"registry_query_plans: {response.status_code} {response.content!r}")
    return [q["sql"] for q in captured.captured_queries]


def _explained(statements: list[str]) -> list[str]:
    """The plan of each register statement; fails on a sequential scan of a register table."""
    from django.db import connection

    plans = []
    with connection.cursor() as cursor:
        for sql in statements:
            if not any(table in sql for table in REGISTER_TABLES):
                continue
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            for table in REGISTER_TABLES:
                if f"Seq Scan on {table}" in plan:
                    raise RuntimeError(f"registry_query_plans: a sequential scan:\n{plan}")
            plans.append(plan)
    return plans


def _median_ms(call: Callable[[], Any], repeats: int) -> float:
    call()  # warm
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        answer = call()
        times.append((time.perf_counter() - start) * 1000)
        if getattr(answer, "status_code", 200) != 200:
            raise RuntimeError(f"registry_query_plans: answered {answer.status_code}")
    return statistics.median(times)


def run() -> list[dict[str, Any]]:
    n = _rights()
    repeats = int(os.environ.get("IPFIN_BENCH_REPEATS", "30"))
    server, name = bench_database("registry_query_plans", "plans")
    # The benchmark's client searches from one address a hundred times a minute: the anonymous
    # searches' rate limit (IPFIN_ANON_SEARCH_RATE, 60/m) would answer 429 instead of searching.
    os.environ.setdefault("IPFIN_ANON_SEARCH_RATE", "1000000/m")
    try:
        _setup_django(_with_database(server, name))
        from django.test import Client

        from ipfin.registry.models import Right

        timing = load(n)
        probe = Right.objects.order_by("-pk").values("pk", "number").first()
        if probe is None:
            raise RuntimeError("registry_query_plans: the register is empty")
        client = Client()
        searches = {
            "title": "装置" + _md5_of(n // 2)[:8],
            "owner": "公司12345",
            "number": probe["number"],
        }

        def search(q: str) -> Callable[[], Any]:
            return lambda: client.get("/api/v1/rights", {"q": q})

        calls = {kind: search(q) for kind, q in searches.items()}
        status_url = f"/api/v1/rights/{probe['number']}/status"
        calls["status"] = lambda: client.get(status_url, {"on": "2025-06-30"})
        for kind, call in calls.items():
            for plan in _explained(_statements(call)):
                top = " | ".join(line.strip() for line in plan.splitlines()[:4])
                print(f"registry_query_plans: {kind}: {top}", file=sys.stderr)
        floor = _median_ms(lambda: Right.objects.get(pk=probe["pk"]), repeats)
        medians = {kind: _median_ms(call, repeats) for kind, call in calls.items()}
    finally:
        _drop_database(server, name)
    searched = statistics.median([medians["title"], medians["owner"], medians["number"]])
    detail = {
        "rights": n,
        **{k: round(v, 1) for k, v in timing.items()},
        "pk_read_ms": round(floor, 2),
        **{f"{k}_ms": round(v, 2) for k, v in medians.items()},
    }
    print(f"registry_query_plans: {json.dumps(detail)}", file=sys.stderr)
    return [
        bench_line("registry_query_search", searched, "ms", floor, places=2),
        bench_line("registry_query_status", medians["status"], "ms", floor, places=2),
    ]


def _md5_of(i: int) -> str:
    import hashlib

    return hashlib.md5(str(i).encode()).hexdigest()  # noqa: S324 - the generator's own titles


if __name__ == "__main__":
    for line in run():
        print(json.dumps(line, ensure_ascii=False))
