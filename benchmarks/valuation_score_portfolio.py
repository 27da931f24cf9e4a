"""Benchmark `valuation_score_portfolio`: `ipfin score_portfolio` over 1,000,000 rights in
PostgreSQL, end to end (read, score, write back), in seconds. The issue that asked for it set
< 60 s; the national-scale issue (17) asks for ≤ 8 s: stderr says when a run misses either.

Creates a fresh PostgreSQL database of its own (ipfin_bench_score_<pid>, on the server
DATABASE_URL points at, default postgres://postgres@127.0.0.1:5432), migrates it, and loads
1,000,000 synthetic rights with COPY (fixed seed): 60% utility models, 40% inventions, filed
2005-2024 over 300 IPC main subclasses, 1-3 IPC codes each, forward citations / claims / family
sizes for part of them; one owner each (10% with a co-owner); the grant-year annuity of every
granted right and a few licences, transfers, invalidation requests, preservations. Then:

- baseline: the same rows read (`read_portfolio`, the command's own read) and the same number of
  RightScore rows written (`write_scores`, the command's own write) with constant values, no
  scoring;
- value: `call_command("score_portfolio")`: read, score every right, write back.

The database is dropped at the end. Without PostgreSQL it says so on stderr and exits 1.

Prints one JSON line: {"bench", "value", "unit": "s", "baseline", "ratio" (value / baseline)}.
Run alone with `python -m benchmarks.valuation_score_portfolio`, or with `make bench`.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from datetime import date
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from benchmarks._report import bench_line, over_goal

RIGHTS = 1_000_000
SEED = 20_260_105
SUBCLASSES = 300
LIMIT_SECONDS = 60.0
GOAL_SECONDS = 8.0  # issue 17: "goal ≤ 8 s end to end"
_CHUNK = 100_000


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    return url


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _admin(url: str) -> Any:
    import psycopg

    return psycopg.connect(_with_database(url, "postgres"), autocommit=True, connect_timeout=5)


def _create_database(url: str, name: str) -> None:
    with _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def bench_database(bench: str, short: str) -> tuple[str, str]:
    """(the server's URL, the name of a fresh database of `bench`'s own on it), or, when no
    PostgreSQL can be reached, a line on stderr saying so and exit status 1."""
    server = _server_url()
    name = f"ipfin_bench_{short}_{os.getpid()}"
    try:
        _create_database(server, name)
    except Exception as exc:
        print(
            f"{bench}: skipped, PostgreSQL is not available at "
            f"{_with_database(server, 'postgres')} ({exc.__class__.__name__}: {exc}). "
            "Set DATABASE_URL=postgres://user@host:port/db to a server where the user may "
            "create databases.",
            file=sys.stderr,
        )
        raise SystemExit(1) from None
    return server, name


def _drop_database(url: str, name: str) -> None:
    from django.db import connections

    connections.close_all()
    with _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django
    from django.conf import settings

    if settings.configured:
        raise RuntimeError("run in a fresh process (see benchmarks/__main__)")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


# --- synthetic register --------------------------------------------------------------------------


def _check_digits(bodies: list[str]) -> list[str]:
    from ipfin.registry.domain import cn_application_check_digit

    return [cn_application_check_digit(body) for body in bodies]


# The columns each COPY line fills, in order. Every column without a value of its own in the
# database (NOT NULL, no database default) must be here: a test holds it to the model.
RIGHT_COLUMNS = [
    "number", "kind", "title", "filing_date", "grant_date", "publication_no", "ipc_main",
    "ipc_codes", "inventors", "address", "region", "abstract", "mark_text", "nice_classes",
    "similar_groups", "source", "created_at", "updated_at", "cited_by_count",
    "claims_count", "family_size", "author_kind", "same_day_invention", "applicant_type",
    "applicant_count",
]  # fmt: skip


def _copy(table: str, columns: list[str], lines: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for start in range(0, len(lines), _CHUNK):
                copy.write("".join(lines[start : start + _CHUNK]))


def load_register(n: int = RIGHTS, seed: int = SEED) -> dict[str, int]:
    """Insert n rights with owners and events by COPY; returns the row counts."""
    from django.db import connection, transaction

    rng = np.random.default_rng(seed)
    letters = np.array(list("ABCDEFGH"))
    subclasses = np.array(
        [
            f"{letters[i % 8]}{(i * 7) % 99 + 1:02d}{chr(65 + (i * 11) % 26)}"
            for i in range(SUBCLASSES)
        ]
    )
    popularity = 1.0 / np.arange(1, SUBCLASSES + 1) ** 0.8
    main = rng.choice(SUBCLASSES, size=n, p=popularity / popularity.sum())
    utility = rng.random(n) < 0.6
    year = rng.integers(2005, 2025, size=n)
    filing = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + rng.integers(
        0, 365, size=n
    ).astype("timedelta64[D]")
    granted = utility | (rng.random(n) < 0.6)
    grant = filing + rng.integers(120, 1200, size=n).astype("timedelta64[D]")
    grant = np.minimum(grant, np.datetime64(date.today().isoformat()))
    extra_codes = rng.integers(0, 3, size=n)
    second = rng.choice(SUBCLASSES, size=n)
    cited = np.where(rng.random(n) < 0.5, rng.poisson(3, size=n), -1)
    claims = np.where(rng.random(n) < 0.3, rng.integers(1, 30, size=n), -1)
    family = np.where(rng.random(n) < 0.2, rng.integers(1, 12, size=n), -1)
    applicant = rng.choice(
        np.array(["enterprise", "university", "institute", "individual", ""]),
        size=n,
        p=[0.70, 0.12, 0.05, 0.10, 0.03],
    )
    applicants = 1 + rng.geometric(0.8, size=n) - 1

    bodies = [
        f"{y}{'2' if u else '1'}{i:07d}"
        for i, (y, u) in enumerate(zip(year.tolist(), utility.tolist(), strict=True))
    ]
    digits = _check_digits(bodies)
    filing_s = filing.astype(str).tolist()
    grant_s = np.where(granted, grant.astype(str), "\\N").tolist()
    main_s = subclasses[main].tolist()
    second_s = subclasses[second].tolist()
    now = "2026-01-01 00:00:00+00"

    def opt(x: int) -> str:
        return "\\N" if x < 0 else str(x)

    right_lines = [
        f"{b}.{d}\t{'utility_model' if u else 'invention'}\t一种装置{i}\t{f}\t{g}\t\t"
        f"{m}1/00\t{m}1/00{(';' + s + '3/02') if e else ''}{(';' + m + '5/00') if e > 1 else ''}"
        f"\t\t\t\t\t\t[]\t[]\tbench\t{now}\t{now}\t{opt(c)}\t{opt(cl)}\t{opt(fa)}\t\t"
        f"\t{at}\t{ac}\n"
        for i, (b, d, u, f, g, m, s, e, c, cl, fa, at, ac) in enumerate(
            zip(bodies, digits, utility.tolist(), filing_s, grant_s, main_s, second_s,
                extra_codes.tolist(), cited.tolist(), claims.tolist(), family.tolist(),
                applicant.tolist(), applicants.tolist(), strict=True)
        )
    ]  # fmt: skip
    with transaction.atomic():
        _copy("registry_right", RIGHT_COLUMNS, right_lines)
        del right_lines
        with connection.cursor() as cursor:
            cursor.execute("SELECT min(id) FROM registry_right")
            first_id = int(cursor.fetchone()[0])
        ids = np.arange(first_id, first_id + n)
        start = np.where(granted, grant, filing).astype(str).tolist()
        owner_lines = [
            f"{rid}\t公司{rid % 50000}\t\t1.000000\t{s}\t\\N\t\\N\n"
            for rid, s in zip(ids.tolist(), start, strict=True)
        ]
        co = np.flatnonzero(rng.random(n) < 0.1)
        owner_lines += [
            f"{ids[k]}\t合作方{k % 997}\t\t0.500000\t{start[k]}\t\\N\t\\N\n" for k in co.tolist()
        ]
        _copy(
            "registry_rightowner",
            ["right_id", "name", "uscc", "share", "valid_from", "valid_to", "organisation_id"],
            owner_lines,
        )
        del owner_lines
        event_lines = [
            f'{ids[k]}\tannuity_paid\t{grant_s[k]}\t{{"year": 1}}\timport\t{now}\t\\N\n'
            for k in np.flatnonzero(granted).tolist()
        ]
        for kind, share in (
            ("licence", 0.05),
            ("transfer", 0.04),
            ("invalidation_requested", 0.01),
            ("preservation", 0.005),
        ):
            picked = np.flatnonzero(granted & (rng.random(n) < share)).tolist()
            event_lines += [
                f"{ids[k]}\t{kind}\t{grant_s[k]}\t{{}}\tbench\t{now}\t\\N\n" for k in picked
            ]
        _copy(
            "registry_rightevent",
            ["right_id", "type", "date", "payload", "source", "recorded_at", "recorded_by_id"],
            event_lines,
        )
        events = len(event_lines)
        del event_lines
    # As autovacuum would leave a register loaded long ago: visibility map and statistics set
    # (otherwise the first scans pay for setting every row's hint bits after the bulk load).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    return {"rights": n, "owners": n + len(co), "events": events}


# --- measurements --------------------------------------------------------------------------------


def _baseline() -> float:
    """Seconds to read the rows and write as many RightScore rows with constant values."""
    from ipfin.valuation.domain.indicator import INDICATOR_NAMES, ScoreBatch
    from ipfin.valuation.models import ScoreRun
    from ipfin.valuation.portfolio import read_portfolio, write_scores

    run = ScoreRun.objects.create(started_at="2026-01-01T00:00:00Z")
    start = time.perf_counter()
    portfolio = read_portfolio(on=date.today())
    n = len(portfolio)
    constant = np.full(n, 50.0)
    batch = ScoreBatch(
        score=constant,
        grade=np.full(n, 2, dtype=np.int8),
        dimensions={d: constant for d in ("legal", "technical", "economic")},
        percentiles={name: np.full(n, 0.5) for name in INDICATOR_NAMES},
        contributions={name: constant for name in INDICATOR_NAMES},
    )
    write_scores(portfolio, batch, run_id=run.pk)
    return time.perf_counter() - start


def _command() -> tuple[float, str]:
    from django.core.management import call_command

    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    call_command("score_portfolio", stdout=out, stderr=err, progress=False)
    return time.perf_counter() - start, out.getvalue()


def run() -> list[dict[str, Any]]:
    server, name = bench_database("valuation_score_portfolio", "score")
    try:
        _setup_django(_with_database(server, name))
        started = time.perf_counter()
        counts = load_register()
        load_seconds = time.perf_counter() - started

        from ipfin.valuation.models import RightScore
        from ipfin.valuation.portfolio import read_portfolio

        read_portfolio(on=date.today())  # warm the server's cache, as for both measurements
        baseline = _baseline()
        seconds, summary = _command()
        stored = RightScore.objects.count()
        if stored != RIGHTS:
            raise RuntimeError(f"score_portfolio stored {stored} rows, expected {RIGHTS}")
    finally:
        _drop_database(server, name)
    detail = {
        **counts,
        "load_seconds": round(load_seconds, 2),
        "seconds": round(seconds, 3),
        "baseline_seconds": round(baseline, 3),
        "summary": summary.strip(),
    }
    print(f"valuation_score_portfolio: {json.dumps(detail, ensure_ascii=False)}", file=sys.stderr)
    over_goal(
        "valuation_score_portfolio",
        seconds <= GOAL_SECONDS,
        f"{seconds:.1f} s, the goal ≤ {GOAL_SECONDS:.0f} s (the limit {LIMIT_SECONDS:.0f} s)",
    )
    return [bench_line("valuation_score_portfolio", seconds, "s", baseline)]


if __name__ == "__main__":
    for line in run():
        print(json.dumps(line, ensure_ascii=False))
