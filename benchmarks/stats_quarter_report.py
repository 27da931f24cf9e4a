"""Benchmark `stats_quarter_report`: the monitoring figures of one quarter by bank
(`ipfin.stats.selectors.indicator_table`, 2025Q3, by=bank, as a regulator sees them) over
1,000,000 loans in PostgreSQL, in seconds. The issue asks for under 1 s, all set-based in SQL.

Creates a fresh PostgreSQL database of its own (ipfin_bench_stats_<pid>), migrates it and loads,
with server-side `INSERT ... SELECT ... FROM generate_series(...)` (fixed seed): 200 banks, 50
parks, 100,000 enterprises (80% in a park, 30 division codes as regions, micro/small/medium),
10,000 registered pledges of one right each (the rights: `load_register` of
`valuation_score_portfolio`, 10,000 of them), 1,000,000 disbursed loans (disbursed uniformly over
2021-2026, principal 100,000-10,000,000 yuan, 3%-8% a year, 12/24/36 months, every CHECK constraint
met) with their schedules of semi-annual instalments, each paid on its due date by one repayment
(about 3 a loan) up to SNAPSHOT, except that 6% of the loans stop paying at some instalment (half
of those long overdue are written off); a matured loan paid in full is closed. About 5% of the
loans have a classification change (the overdue ones, by days past due, and the written-off
ones). Then, warm, best of 3:

- baseline: ONE hand-written SQL aggregate, the quarter's new loans per bank and their balance from
  the stored column `outstanding_principal` (BASELINE_SQL), the cheapest way to ask for a table
  by bank;
- value: `indicator_table(actor=<a regulator user>, period=2025Q3, by=Dimension.BANK)` with the
  quarter end's position snapshot taken, as the daily job `snapshot_positions` leaves it.

The same table is first timed from the loans' history (no snapshot yet): the new-loan counts and
amounts per bank must equal the baseline's, and the table from the snapshot must equal it, or the
benchmark fails. The detail (row counts, every timing — from the history, taking the snapshot —
and the same table by park, region and quarter) goes to stderr.
The database is dropped at the end; without PostgreSQL it says so on stderr and exits 1.

Prints one JSON line: {"bench", "value", "unit": "s", "baseline", "ratio" (value / baseline)}.
Run alone with `python -m benchmarks stats_quarter_report`, or with `make bench`.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from benchmarks._report import bench_line, over_goal
from benchmarks.valuation_score_portfolio import (
    _drop_database,
    _setup_django,
    _with_database,
    bench_database,
    load_register,
)

BANKS = 200
PARKS = 50
ENTERPRISES = 100_000
PLEDGES = 10_000
LOANS = 1_000_000
SEED = 0.20251015  # setseed(): the server's random() draws are the same on every run
RIGHTS_SEED = 20_251_015
FIRST_DAY = date(2021, 1, 1)
SNAPSHOT = date(2026, 12, 31)  # the day the book is seen as of: loans disbursed up to it
PERIOD = "2025Q3"
LIMIT_SECONDS = 1.0
REPEAT = 3
TROUBLED = 0.06  # share of the loans that stop paying at some instalment
# Regions: 30 county-level division codes (行政区划代码), as the register and the demo record them.
REGIONS = [
    "110101", "110105", "110108", "120101", "130102", "210102", "220102", "310101", "310104",
    "310115", "320102", "320505", "330106", "330212", "340104", "350203", "370202", "410105",
    "420106", "430104", "440106", "440305", "440306", "440604", "441900", "450103", "500103",
    "510107", "610113", "650102",
]  # fmt: skip

# Ids are given explicitly (a fresh database): banks 1..BANKS, then the parks, then the
# enterprises; pledges and loans from 1. The identity sequences are moved past them afterwards.
_FIRST_PARK = BANKS + 1
_FIRST_FIRM = BANKS + PARKS + 1

_ORGANISATIONS_SQL = """
INSERT INTO accounts_organisation
    (id, kind, name, uscc, region, industry, size, park_id, totp_required, created_at)
SELECT g, 'bank', '银行' || g, NULL, '', '', '', NULL, false, now()
FROM generate_series(1, %(banks)s) g;
INSERT INTO accounts_organisation
    (id, kind, name, uscc, region, industry, size, park_id, totp_required, created_at)
SELECT %(first_park)s - 1 + g, 'park', '园区' || g, NULL,
       (%(regions)s::text[])[1 + mod(g - 1, %(region_count)s)], '', '', NULL, false, now()
FROM generate_series(1, %(parks)s) g;
INSERT INTO accounts_organisation
    (id, kind, name, uscc, region, industry, size, park_id, totp_required, created_at)
SELECT %(first_firm)s - 1 + g, 'enterprise', '企业' || g, NULL,
       (%(regions)s::text[])[1 + floor(random() * %(region_count)s)::int], '',
       (ARRAY['micro', 'small', 'medium'])[1 + floor(random() * 3)::int],
       CASE WHEN random() < 0.8 THEN %(first_park)s + floor(random() * %(parks)s)::int END,
       false, now()
FROM generate_series(1, %(firms)s) g;
"""

_PLEDGES_SQL = """
INSERT INTO pledges_pledge
    (id, state, initiator, debt_amount, term_start, term_end, contract_no, scope,
     forfeiture_clause, co_owner_consent, proceed_despite_invalidation, proceed_despite_same_day,
     checks, registration_no, effective_date, decision_reason, release_basis, submitted_at,
     updated_at, created_by_id, pledgee_id, pledgor_id)
SELECT g, 'registered', 'pledgee', 1000000000.00, DATE '2020-12-01', DATE '2030-12-31',
       'S-' || g, '', false, false, false, false, '[]', 'S' || lpad(g::text, 11, '0'),
       DATE '2020-12-01', '', '', now(), now(), %(clerk)s,
       1 + mod(g - 1, %(banks)s), %(first_firm)s + mod((g - 1) * 10, %(firms)s)
FROM generate_series(1, %(pledges)s) g;
INSERT INTO pledges_pledgeitem (pledge_id, right_id, active)
SELECT g, %(first_right)s - 1 + g, true FROM generate_series(1, %(pledges)s) g;
"""

# One row of draws per loan (a temporary table: the loans, their schedules, repayments and
# classifications are all made from it). Every loan repays in semi-annual instalments (n = months
# / 6) of equal principal, each paid on its due date by one repayment, up to SNAPSHOT. 6% of them
# stop paying at a random instalment (`stop`): half of those that are then more than 400 days
# overdue by SNAPSHOT are written off on that day, the others stay open and overdue. The others are
# closed on maturity when it has come, open otherwise.
_PLAN_SQL = """
CREATE TEMPORARY TABLE bench_loan_plan AS
WITH base AS (
    SELECT g AS id,
           %(first_day)s::date
               + floor(random() * (%(snapshot)s::date - %(first_day)s::date + 1))::int AS d,
           (100000 + floor(random() * 9900001))::numeric AS principal,
           round((0.03 + random() * 0.05)::numeric, 6) AS rate,
           (ARRAY[12, 24, 36])[1 + floor(random() * 3)::int] AS months,
           random() AS u_state,
           random() AS u_stop,
           %(first_firm)s + floor(random() * %(firms)s)::int AS firm,
           1 + floor(random() * %(pledges)s)::int AS pledge
    FROM generate_series(1, %(loans)s) g
), shaped AS (
    SELECT b.*, b.months / 6 AS n,
           (b.d + make_interval(months => b.months))::date AS maturity,
           CASE WHEN b.u_state < %(troubled)s THEN 1 + floor(b.u_stop * (b.months / 6))::int END
               AS stop,
           (SELECT COUNT(*) FROM generate_series(1, b.months / 6) j
            WHERE (b.d + make_interval(months => 6 * j))::date <= %(snapshot)s::date)::int AS due
    FROM base b
), dated AS (
    SELECT s.*, (s.d + make_interval(months => 6 * s.stop))::date AS stop_due FROM shaped s
), fated AS (
    SELECT x.*,
           CASE WHEN x.stop IS NOT NULL AND x.u_state < %(troubled)s / 2
                     AND x.stop_due + 400 <= %(snapshot)s::date THEN 'written_off'
                WHEN x.stop IS NULL AND x.maturity <= %(snapshot)s::date THEN 'closed'
                ELSE 'open' END AS fate,
           CASE WHEN x.stop IS NULL THEN x.due ELSE LEAST(x.due, x.stop - 1) END AS paid,
           CASE WHEN x.stop_due < %(snapshot)s::date THEN %(snapshot)s::date - x.stop_due
                ELSE 0 END AS dpd
    FROM dated x
)
SELECT f.id, f.d, f.principal, f.rate, f.months, f.n, f.maturity, f.fate, f.firm, f.pledge, f.paid,
       floor(f.principal * 100 / f.n) / 100 AS part,
       round(f.principal * f.rate / 2, 2) AS interest,
       CASE WHEN f.fate = 'written_off' THEN f.stop_due + 400 END AS written_off_on,
       CASE WHEN f.fate = 'open' THEN f.dpd ELSE 0 END AS dpd,
       CASE WHEN f.fate = 'written_off' THEN 'loss'
            WHEN f.fate <> 'open' THEN 'normal'
            WHEN f.dpd > 360 THEN 'loss'
            WHEN f.dpd > 270 THEN 'doubtful'
            WHEN f.dpd > 90 THEN 'substandard'
            WHEN f.dpd > 0 THEN 'special_mention'
            ELSE 'normal' END AS category,
       CASE WHEN f.fate = 'written_off' THEN f.stop_due + 400
            WHEN f.fate <> 'open' THEN NULL
            WHEN f.dpd > 360 THEN f.stop_due + 361
            WHEN f.dpd > 270 THEN f.stop_due + 271
            WHEN f.dpd > 90 THEN f.stop_due + 91
            WHEN f.dpd > 0 THEN f.stop_due + 1 END AS classified_on
FROM fated f;
"""

# The principal of instalment j is part (the last one: what is left); each paid instalment is one
# repayment on its due date; the outstanding principal is what is left after them.
_LOANS_SQL = """
INSERT INTO loans_loan
    (id, state, purpose, requested_amount, requested_months, principal, annual_rate, months,
     method, day_count, penalty_surcharge, pledge_id, valuation_id, valuation_value, pledge_rate,
     approved_on, disbursed_on, maturity_date, closed_on, decline_reason, outstanding_principal,
     days_past_due, classification, classified_on, assessed_classification, assessed_reason,
     written_off_on, write_off_reason, security_waiver_reason, created_at, updated_at, bank_id,
     enterprise_id, created_by_id, approved_by_id, disbursed_by_id)
SELECT p.id,
       CASE p.fate WHEN 'open' THEN CASE WHEN p.paid > 0 THEN 'repaying' ELSE 'disbursed' END
                   ELSE p.fate END,
       '', p.principal, p.months, p.principal, p.rate, p.months,
       'equal_principal', 'actual/360', 0.500, p.pledge, NULL,
       round(p.principal / (0.30 + mod(p.id, 31) / 100.0), 2), 0.30 + mod(p.id, 31) / 100.0,
       p.d - 7, p.d, p.maturity, CASE WHEN p.fate = 'closed' THEN p.maturity END, '',
       CASE WHEN p.paid = p.n THEN 0 ELSE p.principal - p.paid * p.part END,
       p.dpd, p.category, COALESCE(p.classified_on, p.d), '', '',
       p.written_off_on, CASE WHEN p.fate = 'written_off' THEN '损失类贷款核销' ELSE '' END, '',
       p.d::timestamptz, p.d::timestamptz, 1 + mod(p.pledge - 1, %(banks)s),
       p.firm, %(clerk)s, %(clerk)s, %(clerk)s
FROM bench_loan_plan p;
INSERT INTO loans_installment
    (loan_id, n, due_date, principal, interest, principal_paid, interest_paid, penalty,
     penalty_paid, penalty_through, settled_on)
SELECT p.id, j, i.due_date, i.principal, p.interest,
       CASE WHEN j <= p.paid THEN i.principal ELSE 0 END,
       CASE WHEN j <= p.paid THEN p.interest ELSE 0 END, 0, 0, NULL,
       CASE WHEN j <= p.paid THEN i.due_date END
FROM bench_loan_plan p
CROSS JOIN LATERAL generate_series(1, p.n) j
CROSS JOIN LATERAL (
    SELECT (p.d + make_interval(months => 6 * j))::date AS due_date,
           CASE WHEN j < p.n THEN p.part ELSE p.principal - (p.n - 1) * p.part END AS principal
) i;
INSERT INTO loans_repayment
    (loan_id, paid_on, amount, penalty_part, interest_part, principal_part, prepaid_principal,
     full_repayment, lines, recorded_at, recorded_by_id)
SELECT p.id, i.due_date, i.principal + p.interest, 0, p.interest, i.principal, 0, j = p.n, '[]',
       i.due_date::timestamptz, %(clerk)s
FROM bench_loan_plan p
CROSS JOIN LATERAL generate_series(1, p.paid) j
CROSS JOIN LATERAL (
    SELECT (p.d + make_interval(months => 6 * j))::date AS due_date,
           CASE WHEN j < p.n THEN p.part ELSE p.principal - (p.n - 1) * p.part END AS principal
) i;
INSERT INTO loans_loanclassification (loan_id, effective_on, category, created_at)
SELECT p.id, p.classified_on, p.category, p.classified_on::timestamptz
FROM bench_loan_plan p WHERE p.classified_on IS NOT NULL;
DROP TABLE bench_loan_plan;
"""

_SEQUENCES = ("accounts_organisation", "pledges_pledge", "loans_loan")


def _execute(sql: str, params: dict[str, Any]) -> None:
    """Each statement of `sql` in turn (a server-side cursor takes one at a time)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in sql.split(";\n"):
            if statement.strip():
                cursor.execute(statement, params)


def _count(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - our own table names
        return int(cursor.fetchone()[0])


def _move_sequences() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in _SEQUENCES:
            top = f"SELECT MAX(id) FROM {table}"  # noqa: S608 - our own table names
            cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), ({top}))", [table])


def load_book() -> tuple[Any, dict[str, int]]:
    """The organisations, pledges, loans, repayments and classifications; (the regulator user,
    the row counts)."""
    from django.db import connection, transaction

    from ipfin.accounts.models import Organisation, OrganisationKind, User

    rights = load_register(n=PLEDGES, seed=RIGHTS_SEED)["rights"]
    params: dict[str, Any] = {
        "banks": BANKS,
        "parks": PARKS,
        "firms": ENTERPRISES,
        "pledges": PLEDGES,
        "loans": LOANS,
        "troubled": TROUBLED,
        "first_park": _FIRST_PARK,
        "first_firm": _FIRST_FIRM,
        "regions": REGIONS,
        "region_count": len(REGIONS),
        "first_day": FIRST_DAY,
        "snapshot": SNAPSHOT,
    }
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [SEED])
            cursor.execute("SELECT MIN(id) FROM registry_right")
            params["first_right"] = int(cursor.fetchone()[0])
        _execute(_ORGANISATIONS_SQL, params)
        _move_sequences()
        clerk = User.objects.create(username="bench_clerk", organisation_id=1)
        regulator_org = Organisation.objects.create(kind=OrganisationKind.REGULATOR, name="监管局")
        regulator = User.objects.create(username="bench_regulator", organisation=regulator_org)
        params["clerk"] = clerk.pk
        _execute(_PLEDGES_SQL, params)
        _execute(_PLAN_SQL, params)
        _execute(_LOANS_SQL, params)
        _move_sequences()
    # As autovacuum would leave a book loaded long ago: visibility map and statistics set.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    counts = {
        "banks": BANKS,
        "parks": PARKS,
        "enterprises": ENTERPRISES,
        "rights": rights,
        "pledges": _count("pledges_pledge"),
        "loans": _count("loans_loan"),
        "instalments": _count("loans_installment"),
        "repayments": _count("loans_repayment"),
        "classifications": _count("loans_loanclassification"),
    }
    return regulator, counts


# --- measurements --------------------------------------------------------------------------------

BASELINE_SQL = """
SELECT bank_id, COUNT(*), SUM(principal), SUM(outstanding_principal)
FROM loans_loan WHERE disbursed_on BETWEEN %s AND %s GROUP BY bank_id
"""


def _best(measure: Callable[[], Any]) -> tuple[list[float], Any]:
    """Warm once, then REPEAT timed runs: (their seconds, the last result)."""
    result = measure()
    seconds = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        result = measure()
        seconds.append(time.perf_counter() - start)
    return seconds, result


def _baseline(period: Any) -> dict[int, tuple[int, Decimal, Decimal]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL, [period.start, period.end])
        return {row[0]: (int(row[1]), row[2], row[3]) for row in cursor.fetchall()}


def _check(table: Any, expected: dict[int, tuple[int, Decimal, Decimal]]) -> None:
    """The new loans and their amounts per bank as the baseline counts them."""
    got = {
        int(row.key): (row.figures.new_loans, row.figures.new_loan_fen)
        for row in table.rows
        if row.figures.new_loans
    }
    want = {bank: (n, int(amount * 100)) for bank, (n, amount, _balance) in expected.items()}
    if got != want:
        differ = sorted(b for b in set(got) | set(want) if got.get(b) != want.get(b))
        raise RuntimeError(
            f"indicator_table and the SQL disagree on the new loans of {len(differ)} banks, "
            f"e.g. {[(b, got.get(b), want.get(b)) for b in differ[:3]]}"
        )
    total = (table.total.new_loans, table.total.new_loan_fen)
    if total != tuple(map(sum, zip(*want.values(), strict=True))):
        raise RuntimeError(f"the table's total {total} is not the sum of its banks")


def _exit_on_sigterm(signum: int, _frame: Any) -> None:
    """SIGTERM as an exit, so that `run`'s `finally` still drops the database (1M loans)."""
    raise SystemExit(128 + signum)


def run() -> list[dict[str, Any]]:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    server, name = bench_database("stats_quarter_report", "stats")
    try:
        _setup_django(_with_database(server, name))
        started = time.perf_counter()
        regulator, counts = load_book()
        load_seconds = time.perf_counter() - started

        from ipfin.stats.domain import Dimension, parse_period
        from ipfin.stats.selectors import indicator_table, positions_snapshot_is_fresh
        from ipfin.stats.services import positions_snapshot_take

        period = parse_period(PERIOD)

        def table(by: Dimension) -> Callable[[], Any]:
            return lambda: indicator_table(actor=regulator, period=period, by=by)

        baseline_runs, expected = _best(lambda: _baseline(period))
        history_runs, from_history = _best(table(Dimension.BANK))
        _check(from_history, expected)
        started = time.perf_counter()
        snapshot = positions_snapshot_take(as_of=period.end, today=SNAPSHOT + timedelta(days=1))
        snapshot_seconds = time.perf_counter() - started
        runs, by_bank = _best(table(Dimension.BANK))
        if not positions_snapshot_is_fresh(period.end) or by_bank != from_history:
            raise RuntimeError("the figures from the snapshot differ from the loans' history")
        cuts = (Dimension.PARK, Dimension.REGION, Dimension.QUARTER)
        others = {by.value: _best(table(by)) for by in cuts}
    finally:
        _drop_database(server, name)
    seconds, baseline = min(runs), min(baseline_runs)
    detail = {
        **counts,
        "period": PERIOD,
        "new_loans": by_bank.total.new_loans,
        "bank_rows": len(by_bank.rows),
        "load_seconds": round(load_seconds, 2),
        "seconds": [round(s, 3) for s in runs],
        "from_history_seconds": [round(s, 3) for s in history_runs],
        "snapshot_take_seconds": round(snapshot_seconds, 2),
        "snapshot_loans": snapshot.loans,
        "baseline_seconds": [round(s, 3) for s in baseline_runs],
        **{
            f"by_{by}_seconds": [round(s, 3) for s in timings]
            for by, (timings, _table) in others.items()
        },
        **{f"by_{by}_rows": len(result.rows) for by, (_timings, result) in others.items()},
    }
    print(f"stats_quarter_report: {json.dumps(detail, ensure_ascii=False)}", file=sys.stderr)
    over_goal(
        "stats_quarter_report",
        seconds < LIMIT_SECONDS,
        f"{seconds:.2f} s, the goal under {LIMIT_SECONDS} s",
    )
    return [bench_line("stats_quarter_report", seconds, "s", baseline)]


if __name__ == "__main__":
    for line in run():
        print(json.dumps(line, ensure_ascii=False))
