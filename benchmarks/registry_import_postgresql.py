"""Benchmark `registry_import_postgresql`: `ipfin import_patents` on PostgreSQL against a raw
COPY of the same file. The issue asks the import to come within 1.5× of the raw COPY (a ratio of
at least 1 / 1.5 ≈ 0.667).

The same 100,000 synthetic CNIPR rows as `registry_import` (valid check digits, fixed seed), in a
PostgreSQL database of the benchmark's own (on the server DATABASE_URL points at, as
`valuation_score_portfolio` does):

- baseline: `COPY … FROM STDIN (FORMAT csv, HEADER)` of the file into a table of text columns,
  one per column of the file: the bare cost of getting the bytes into the server;
- value: the whole command on the file (read, map and validate each row, look up, write rights,
  owners and events), through `call_command("import_patents", ...)`, into the empty register.

Both in rows per second. The detail line on stderr also gives the floor any import of these rows
has, whatever its reading and checking: the rows the import wrote (rights, owners, events) stored
again by `INSERT … SELECT` into empty copies of their tables, with the register's indexes
(`floor_indexed`), and without them, the indexes built after (`floor_load_then_index`), each in
seconds and as a multiple of the raw COPY. Measured on 2026-12-07: 4.7–6.3× and 2.9–3.5×, so the
1.5× asked is out of reach of any import that keeps the register's indexes (the public query's
among them). Without PostgreSQL it says so on stderr and exits 1.
Run alone with `python -m benchmarks.registry_import_postgresql`, or with `make bench`.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._report import bench_line, over_goal
from benchmarks.registry_import import CNIPR_COLUMNS, ROWS, generate_rows, import_file, write_csv
from benchmarks.valuation_score_portfolio import (
    _drop_database,
    _setup_django,
    _with_database,
    bench_database,
)

GOAL = 1 / 1.5


def _raw_copy(path: Path) -> float:
    """Seconds to COPY the file as it is into a table of text columns (created beforehand)."""
    from django.db import connection, transaction

    columns = ", ".join(f"c{i} text" for i in range(len(CNIPR_COLUMNS)))
    with connection.cursor() as cursor:
        # Logged, as the register's own tables are: the baseline pays for the WAL as the import.
        cursor.execute(f"CREATE TABLE bench_raw_copy ({columns})")
    data = path.read_bytes()
    start = time.perf_counter()
    sql = "COPY bench_raw_copy FROM STDIN (FORMAT csv, HEADER true)"
    with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.write(data)
    seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM bench_raw_copy")
        (count,) = cursor.fetchone()
        cursor.execute("DROP TABLE bench_raw_copy")
    if count != ROWS:
        raise RuntimeError(f"the raw COPY loaded {count} rows, expected {ROWS}")
    return seconds


_REGISTER_TABLES = ("registry_right", "registry_rightowner", "registry_rightevent")


def _storage_floor() -> dict[str, float]:
    """Seconds to store the rows the import wrote once more, nothing read or checked: into empty
    copies of their tables with the register's indexes (`floor_indexed`), and into copies
    without them, their indexes built after (`floor_load_then_index`). The copies are dropped."""
    from django.db import connection, transaction

    def copies(indexed: bool) -> None:
        with connection.cursor() as cursor:
            for table in _REGISTER_TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS floor_{table}")
                cursor.execute(
                    f"CREATE TABLE floor_{table} (LIKE {table} "
                    f"INCLUDING {'ALL' if indexed else 'DEFAULTS'})"
                )

    def store() -> float:
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            for table in _REGISTER_TABLES:
                cursor.execute(f"INSERT INTO floor_{table} SELECT * FROM {table}")  # noqa: S608
        return time.perf_counter() - start

    copies(indexed=True)
    indexed = store()
    copies(indexed=False)
    loaded = store()
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for table in _REGISTER_TABLES:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = %s",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(
                    definition.replace(f" ON {table} ", f" ON floor_{table} ", 1)
                    .replace(f".{table} ", f".floor_{table} ", 1)
                    .replace(f"INDEX {name} ", f"INDEX floor_{name} ", 1)
                )
        built = time.perf_counter() - start
        for table in _REGISTER_TABLES:
            cursor.execute(f"DROP TABLE floor_{table}")
    return {"floor_indexed": indexed, "floor_load_then_index": loaded + built}


def run() -> list[dict[str, Any]]:
    server, name = bench_database("registry_import_postgresql", "import")
    try:
        with tempfile.TemporaryDirectory(prefix="ipfin-bench-") as tmp:
            data_dir = Path(tmp) / "cn-patents-synthetic"
            data_dir.mkdir()
            path = data_dir / "cnipr_synthetic_100000.csv"
            write_csv(generate_rows(), path)
            _setup_django(_with_database(server, name))
            from ipfin.registry.models import Right, RightEvent, RightOwner

            baseline_seconds = _raw_copy(path)
            seconds, summary = import_file(path)
            counts = (Right.objects.count(), RightOwner.objects.count(), RightEvent.objects.count())
            if counts[0] != ROWS:
                raise RuntimeError(f"import created {counts[0]} rights, expected {ROWS}: {summary}")
            rerun_seconds, rerun_summary = import_file(path)
            if f"未变 {ROWS}" not in rerun_summary:
                raise RuntimeError(f"re-run was not idempotent: {rerun_summary}")
            floor = _storage_floor()
    finally:
        _drop_database(server, name)
    value, baseline = ROWS / seconds, ROWS / baseline_seconds
    detail = {
        "rows": ROWS,
        "seconds": round(seconds, 3),
        "raw_copy_seconds": round(baseline_seconds, 3),
        "rerun_seconds": round(rerun_seconds, 3),
        "owners": counts[1],
        "events": counts[2],
        **{
            name: {"seconds": round(taken, 3), "raw_copies": round(taken / baseline_seconds, 2)}
            for name, taken in floor.items()
        },
    }
    print(f"registry_import_postgresql: {json.dumps(detail)}", file=sys.stderr)
    ratio = value / baseline
    over_goal(
        "registry_import_postgresql",
        ratio >= GOAL,
        f"the import takes {1 / ratio:.1f}× the raw COPY, goal within 1.5×; its rows stored "
        f"alone, nothing read or checked, take {floor['floor_indexed'] / baseline_seconds:.1f}× "
        f"with the register's indexes, "
        f"{floor['floor_load_then_index'] / baseline_seconds:.1f}× with them built after",
    )
    return [bench_line("registry_import_postgresql", value, "rows/s", baseline, places=1)]


if __name__ == "__main__":
    for line in run():
        print(json.dumps(line, ensure_ascii=False))
