"""Reads of the monitoring figures (统计监测), limited to the actor, summed in SQL.

Every figure is one GROUP BY over the loans (never a loop over rows in Python): a loan's facts as
of the period's end (`_FACTS_SQL`: the principal repaid on or before it, whether it was
non-performing then — its latest recorded classification on or before the day (LoanClassification)
was 次级, 可疑 or 损失, or an instalment unsettled that day was more than 90 days past due, the
overdue floor the daily classification applies, 办法 art. 10, so that a day the job did not run is
still read right — and its borrower's first disbursement on record), grouped by the cut's key; the
subsidies and the compensation paid in the period the same way over their own tables. Money is
summed in integer fen (each amount rounded to the fen first, so that SQLite's floating point
gives exact sums). The definitions are `ipfin.stats.domain.DEFINITIONS`.

Who sees what (`ipfin.accounts.permissions.stats_scope`): the IP office's administrators and the
regulators every loan; a bank its own loans, whatever the cut; a park its member enterprises'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ipfin.accounts.models import EnterpriseSize, Organisation, OrganisationKind
from ipfin.accounts.permissions import Actor, StatsScope, stats_scope
from ipfin.common.databases import reporting_connection
from ipfin.financing.models import Demand, DemandState, Product
from ipfin.guarantees.models import Guarantee
from ipfin.holidays.selectors import working_calendar
from ipfin.insurance.models import Policy as InsurancePolicy
from ipfin.loans.domain.status import NPL_AFTER_DAYS, overdue_cutoff
from ipfin.registry.models import RightKindChoices
from ipfin.risk.anomalies import in_fen
from ipfin.risk.models import BankNplReport
from ipfin.stats.domain import (
    Dimension,
    Figures,
    Period,
    growth,
    meets_target,
    quarters_of,
    region_label,
)
from ipfin.stats.models import BankReturn

__all__ = [
    "IndicatorRow",
    "IndicatorTable",
    "ParkGrowth",
    "bank_return_list",
    "indicator_table",
    "member_demands",
    "park_growth",
]

# Keys that are not an organisation, a product, a kind or a region of the register.
NONE_KEY = "none"
MIXED_KEY = "mixed"
UNATTRIBUTED_KEY = "unattributed"
TOTAL_KEY = "total"

# Each cut: the SQL of a loan's key (text) over the aliases l (the loan) and e (its borrower),
# and the joins it needs.
# A loan's right kind: the kinds of the rights its pledge registration covers (a disbursed loan
# always rests on one).
_RIGHT_KINDS_JOIN = (
    "LEFT JOIN (SELECT pi.pledge_id, MIN(r.kind) AS lo, MAX(r.kind) AS hi "
    "FROM pledges_pledgeitem pi JOIN registry_right r ON r.id = pi.right_id "
    "GROUP BY pi.pledge_id) rk ON rk.pledge_id = l.pledge_id"
)
_KEYS: dict[Dimension, tuple[str, str]] = {
    Dimension.BANK: ("CAST(l.bank_id AS TEXT)", ""),
    Dimension.PARK: (f"COALESCE(CAST(e.park_id AS TEXT), '{NONE_KEY}')", ""),
    Dimension.REGION: (f"CASE WHEN e.region = '' THEN '{NONE_KEY}' ELSE e.region END", ""),
    Dimension.SIZE: (f"CASE WHEN e.size = '' THEN '{NONE_KEY}' ELSE e.size END", ""),
    Dimension.PRODUCT: (
        f"COALESCE(CAST(pv.product_id AS TEXT), '{NONE_KEY}')",
        "LEFT JOIN financing_productversion pv ON pv.id = l.product_version_id",
    ),
    Dimension.RIGHT_KIND: (
        f"CASE WHEN rk.lo IS NULL THEN '{NONE_KEY}' WHEN rk.lo = rk.hi THEN rk.lo "
        f"ELSE '{MIXED_KEY}' END",
        _RIGHT_KINDS_JOIN,
    ),
}
# Cuts by an attribute of the loan: a subsidy claim (awarded to an enterprise, over its loans) is
# attributed to a row only when all its loans fall in it.
_LOAN_CUTS = frozenset({Dimension.BANK, Dimension.PRODUCT, Dimension.RIGHT_KIND})
_NPL_CATEGORIES = "('substandard', 'doubtful', 'loss')"
# Cuts whose key reads the borrower (alias e); the facts join it only for those and a park's scope.
_BORROWER_CUTS = frozenset({Dimension.PARK, Dimension.REGION, Dimension.SIZE})
_BORROWER_JOIN = "\n    JOIN accounts_organisation e ON e.id = l.enterprise_id"


def _fen(column: str) -> str:
    """A money column in integer fen: rounded first (SQLite keeps decimals as REAL)."""
    return f"CAST(ROUND({column} * 100) AS BIGINT)"


def _scope_sql(scope: StatsScope, loan: str = "l", borrower: str = "e") -> tuple[str, list[Any]]:
    if scope.bank_id is not None:
        return f" AND {loan}.bank_id = %s", [scope.bank_id]
    if scope.park_id is not None:
        return f" AND {borrower}.park_id = %s", [scope.park_id]
    return "", []


# Stocks (balance, NPL, customers) from the loans on the books at the end only: one closed on or
# before it was repaid in full by then (`loan_close` refuses any other) and one written off counts
# 0. The repayments are those loans' (chosen in loans_loan, whose statistics the planner has, not
# in the CTE). A loan's position: its key, its borrower, the columns a cut reads (fixed once it is
# disbursed), its balance and whether it was non-performing.
_LIVE_STOCK_SQL = """
stocked AS (
    SELECT l.id, {key} AS key, l.enterprise_id AS borrower, l.bank_id, l.pledge_id,
           l.product_version_id, {principal_fen} AS principal_fen
    FROM loans_loan l{borrower_join}
    {joins}
    WHERE l.disbursed_on IS NOT NULL AND l.disbursed_on <= %s
      AND (l.closed_on IS NULL OR l.closed_on > %s)
      AND (l.written_off_on IS NULL OR l.written_off_on > %s){scope}
), repaid AS (
    SELECT p.loan_id, SUM({repaid_fen}) AS fen
    FROM loans_repayment p JOIN loans_loan o ON o.id = p.loan_id
    WHERE p.paid_on <= %s
      AND (o.closed_on IS NULL OR o.closed_on > %s)
      AND (o.written_off_on IS NULL OR o.written_off_on > %s)
    GROUP BY p.loan_id
), latest AS (
    SELECT c.loan_id, c.category,
           ROW_NUMBER() OVER (PARTITION BY c.loan_id ORDER BY c.effective_on DESC, c.id DESC) AS n
    FROM loans_loanclassification c WHERE c.effective_on <= %s
), overdue AS (
    SELECT DISTINCT i.loan_id FROM loans_installment i
    WHERE i.due_date <= %s AND (i.settled_on IS NULL OR i.settled_on > %s)
), stock AS (
    SELECT s.id, s.key, s.borrower, s.bank_id, s.pledge_id, s.product_version_id,
           s.principal_fen - COALESCE(r.fen, 0) AS balance_fen,
           CASE WHEN c.category IN {npl} OR o.loan_id IS NOT NULL THEN 1 ELSE 0 END AS npl
    FROM stocked s
    LEFT JOIN repaid r ON r.loan_id = s.id
    LEFT JOIN latest c ON c.loan_id = s.id AND c.n = 1
    LEFT JOIN overdue o ON o.loan_id = s.id
)"""

# The same positions read from a snapshot of the day (stats.LoanPosition, `l` as the loan: the
# columns a cut reads have the loan's names), when one was taken and nothing recorded since
# changes that day (`_fresh_snapshot`).
_SNAPSHOT_STOCK_SQL = """
stock AS (
    SELECT {key} AS key, l.enterprise_id AS borrower, l.balance_fen, l.npl
    FROM stats_loanposition l{borrower_join}
    {joins}
    WHERE l.snapshot_id = %s{scope}
)"""

# Flows from the loans disbursed in the period; a borrower is a first-time one unless one loan of
# theirs was disbursed before it (EXISTS: the first such loan answers). Distinct borrowers are
# counted from DISTINCT subqueries. Each part is summed by key on its own (a few hundred rows each),
# then the parts by key: the wide sums never run over every loan.
_FACTS_SQL = """
WITH {stock}, flows AS (
    SELECT {key} AS key, l.enterprise_id AS borrower, {principal_fen} AS principal_fen,
           l.pledge_rate, l.annual_rate, {sole} AS sole,
           CASE WHEN EXISTS (
               SELECT 1 FROM loans_loan f
               WHERE f.enterprise_id = l.enterprise_id AND f.disbursed_on < %s
           ) THEN 0 ELSE 1 END AS first_time
    FROM loans_loan l{borrower_join}
    {joins}
    WHERE l.disbursed_on >= %s AND l.disbursed_on <= %s{scope}
), parts AS (
    SELECT key, 0 AS new_loans, 0 AS new_fen, SUM(balance_fen) AS balance_fen,
           SUM(npl * balance_fen) AS npl_fen, 0 AS customers, 0 AS firsts, 0 AS sole,
           0 AS pledge_w, 0 AS rate_w
    FROM stock GROUP BY key
    UNION ALL
    SELECT key, COUNT(*), SUM(principal_fen), 0, 0, 0, 0, SUM(sole),
           SUM(principal_fen * pledge_rate), SUM(principal_fen * annual_rate)
    FROM flows GROUP BY key
    UNION ALL
    SELECT key, 0, 0, 0, 0, COUNT(*), 0, 0, 0, 0
    FROM (SELECT DISTINCT key, borrower FROM stock WHERE balance_fen > 0) s GROUP BY key
    UNION ALL
    SELECT key, 0, 0, 0, 0, 0, COUNT(*), 0, 0, 0
    FROM (SELECT DISTINCT key, borrower FROM flows WHERE first_time = 1) f GROUP BY key
), by_key AS (
    SELECT key, SUM(new_loans) AS new_loans, SUM(new_fen) AS new_fen,
           SUM(balance_fen) AS balance_fen, SUM(customers) AS customers, SUM(firsts) AS firsts,
           SUM(sole) AS sole, SUM(pledge_w) AS pledge_w, SUM(rate_w) AS rate_w,
           SUM(npl_fen) AS npl_fen
    FROM parts GROUP BY key
)
SELECT key, new_loans, new_fen, balance_fen, customers, firsts, sole, pledge_w, rate_w, npl_fen
FROM by_key
UNION ALL
SELECT '{total}', SUM(new_loans), SUM(new_fen), SUM(balance_fen),
       (SELECT COUNT(*) FROM (SELECT DISTINCT borrower FROM stock WHERE balance_fen > 0) s),
       (SELECT COUNT(*) FROM (SELECT DISTINCT borrower FROM flows WHERE first_time = 1) f),
       SUM(sole), SUM(pledge_w), SUM(rate_w), SUM(npl_fen)
FROM by_key
"""
# 纯知识产权质押 (`sole_ip_collateral`): a loan resting on a pledge registration and on no other
# credit enhancement: no guarantee given on it (issued, and on to called, paid or settled) and no
# pledge-financing guarantee insurance its bank accepted (an unaccepted policy covers nothing,
# ipfin.insurance.models.COVERING).
_GUARANTEE_T, _POLICY_T = Guarantee._meta.db_table, InsurancePolicy._meta.db_table
_SOLE_SQL = (  # the models' table names, no value
    "CASE WHEN l.pledge_id IS NOT NULL "  # noqa: S608
    f"AND NOT EXISTS (SELECT 1 FROM {_GUARANTEE_T} g WHERE g.loan_id = l.id "
    "AND g.state IN ('issued', 'called', 'paid', 'settled')) "
    f"AND NOT EXISTS (SELECT 1 FROM {_POLICY_T} ip WHERE ip.loan_id = l.id "
    "AND ip.accepted_at IS NOT NULL) THEN 1 ELSE 0 END"
)
# The key of the row the facts' query adds with the total over every row (a borrower counted once).
_ALL_KEY = "*all*"  # never a key of a row: ids, codes and divisions have no "*"

_SUBSIDIES_SQL = """
SELECT key, SUM(fen) FROM (
    SELECT s.id,
           CASE {no_loans}WHEN MIN({key}) = MAX({key}) THEN MIN({key})
                ELSE '{unattributed}' END AS key,
           MAX({awarded_fen}) AS fen
    FROM loans_subsidyclaim s
    JOIN loans_subsidyallocationrun ar ON ar.id = s.allocation_run_id
    JOIN accounts_organisation e ON e.id = s.enterprise_id
    LEFT JOIN loans_subsidyclaim_loans sl ON sl.subsidyclaim_id = s.id
    LEFT JOIN loans_loan l ON l.id = sl.loan_id{loan_scope}
    {joins}
    WHERE s.state = 'allocated' AND s.awarded IS NOT NULL
      AND ar.confirmed_at >= %s AND ar.confirmed_at < %s{scope}
    GROUP BY s.id{having}
) t GROUP BY key
"""

_COMPENSATION_SQL = """
SELECT {key} AS key, SUM({credit_fen} - {debit_fen})
FROM risk_ledgerline ll
JOIN risk_ledgerentry le ON le.id = ll.entry_id
JOIN risk_riskclaim rc ON rc.id = le.claim_id
JOIN loans_loan l ON l.id = rc.loan_id
JOIN accounts_organisation e ON e.id = l.enterprise_id
{joins}
WHERE ll.account = 'fund_cash' AND le.kind IN ('payment', 'settlement', 'refund')
  AND le.posted_on >= %s AND le.posted_on <= %s{scope}
GROUP BY 1
"""


def _key_of(by: Dimension | None, constant: str) -> tuple[str, str]:
    if by is None or by == Dimension.QUARTER:
        return f"'{constant}'", ""
    return _KEYS[by]


def _decimal(value: Any) -> Decimal:
    return Decimal(0) if value is None else Decimal(str(value))


def _figures(
    scope: StatsScope, period: Period, by: Dimension | None, constant: str = TOTAL_KEY
) -> dict[str, Figures]:
    """Each key's figures over `period` (one key, `constant`, when `by` is None or quarter)."""
    key, joins = _key_of(by, constant)
    scope_sql, scope_params = _scope_sql(scope)
    out: dict[str, Figures] = {}
    end, start = period.end, period.start
    parts = {
        "key": key,
        "joins": joins,
        "scope": scope_sql,
        "borrower_join": (
            _BORROWER_JOIN if by in _BORROWER_CUTS or scope.park_id is not None else ""
        ),
    }
    db = reporting_connection()  # the replica when one is configured
    with transaction.atomic(using=db.alias), db.cursor() as cursor:
        _tune(cursor)
        snapshot = _fresh_snapshot(cursor, end)
        if snapshot is None:
            stock, params = live_stock_sql(end, parts, scope_params)
        else:
            stock = _SNAPSHOT_STOCK_SQL.format(**parts)
            params = [snapshot, *scope_params]
        sql = _FACTS_SQL.format(
            stock=stock,
            total=_ALL_KEY,
            principal_fen=_fen("l.principal"),
            sole=_SOLE_SQL,
            **parts,
        )
        cursor.execute(sql, [*params, start, start, end, *scope_params])
        for row in cursor.fetchall():
            out[row[0]] = Figures(
                new_loans=int(row[1] or 0),
                new_loan_fen=int(row[2] or 0),
                balance_fen=int(row[3] or 0),
                customers=int(row[4] or 0),
                first_time_borrowers=int(row[5] or 0),
                sole_ip_collateral=int(row[6] or 0),
                pledge_rate_weighted=_decimal(row[7]),
                rate_weighted=_decimal(row[8]),
                npl_fen=int(row[9] or 0),
            )
        everything = out.setdefault(_ALL_KEY, Figures())
        for found, fen in _subsidies(cursor, scope, period, by, constant):
            out.setdefault(found, Figures()).subsidies_fen = int(fen or 0)
            everything.subsidies_fen += int(fen or 0)
        for found, fen in _compensation(cursor, scope, period, by, constant):
            out.setdefault(found, Figures()).compensation_fen = int(fen or 0)
            everything.compensation_fen += int(fen or 0)
    return out


def live_stock_sql(
    end: date, parts: dict[str, str], scope_params: list[Any]
) -> tuple[str, list[Any]]:
    """The CTEs that end in `stock` (each loan on the books at `end`: key, borrower, balance in
    fen, NPL 0/1) computed from the loans' history, and their parameters. Also what a snapshot
    stores (ipfin.stats.services.positions_snapshot_take)."""
    sql = _LIVE_STOCK_SQL.format(
        npl=_NPL_CATEGORIES,
        repaid_fen=_fen("p.principal_part"),
        principal_fen=_fen("l.principal"),
        **parts,
    )
    # More than 90 days past due counted from the payable day (the due date moved past weekends
    # and holidays, 民法典 art. 203): due on or before the cutoff.
    cutoff = overdue_cutoff(end - timedelta(days=NPL_AFTER_DAYS), working_calendar())
    return sql, [end, end, end, *scope_params, end, end, end, end, cutoff, end]


# A snapshot of `as_of` still tells the day's positions when nothing recorded after it was taken
# touches that day or before: no repayment paid, classification effective or loan disbursed (its
# schedule's instalments are new rows) on or before it, no loan closed or written off on or before
# it updated since. Ids only grow, so each test reads the rows added since (the primary key's
# index); a stale snapshot is not read, the figures come from the history instead.
_FRESH_SNAPSHOT_SQL = """
SELECT s.id FROM stats_positionsnapshot s
WHERE s.as_of = %s
  AND NOT EXISTS (SELECT 1 FROM loans_repayment p
                  WHERE p.id > s.repayment_mark AND p.paid_on <= s.as_of)
  AND NOT EXISTS (SELECT 1 FROM loans_loanclassification c
                  WHERE c.id > s.classification_mark AND c.effective_on <= s.as_of)
  AND NOT EXISTS (SELECT 1 FROM loans_installment i JOIN loans_loan l ON l.id = i.loan_id
                  WHERE i.id > s.installment_mark AND l.disbursed_on <= s.as_of)
  AND NOT EXISTS (SELECT 1 FROM loans_loan l
                  WHERE (l.closed_on IS NOT NULL OR l.written_off_on IS NOT NULL)
                    AND l.updated_at > s.taken_at
                    AND (l.closed_on <= s.as_of OR l.written_off_on <= s.as_of))
  AND NOT EXISTS (SELECT 1 FROM holidays_holidayarrangement h WHERE h.updated_at > s.taken_at)
"""


def _fresh_snapshot(cursor: Any, as_of: date) -> int | None:
    """The id of the positions' snapshot of `as_of` if there is one and it is still true."""
    cursor.execute(_FRESH_SNAPSHOT_SQL, [as_of])
    row = cursor.fetchone()
    return None if row is None else int(row[0])


def positions_snapshot_is_fresh(as_of: date) -> bool:
    """Whether a snapshot of `as_of` exists and still tells that day's positions."""
    with connection.cursor() as cursor:
        return _fresh_snapshot(cursor, as_of) is not None


def _split(figures: dict[str, Figures]) -> tuple[dict[str, Figures], Figures]:
    """(the rows, the total) of `_figures`' answer."""
    total = figures.pop(_ALL_KEY, Figures())
    return figures, total


def _tune(cursor: Any) -> None:
    """PostgreSQL, for this transaction only: no JIT compilation (its estimate of the join sizes
    makes PostgreSQL compile the plan, which costs more than the query saves)."""
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL jit = off")


def _instants(period: Period) -> tuple[datetime, datetime]:
    """The instants [start 00:00, end + 1 day 00:00) in the platform's time zone."""
    zone = timezone.get_default_timezone()
    start = timezone.make_aware(datetime.combine(period.start, time.min), zone)
    end = timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time.min), zone)
    return start, end


def _day_bounds(period: Period) -> tuple[Any, Any]:
    """`_instants` as the database compares a datetime column with them in raw SQL."""
    adapt = connection.ops.adapt_datetimefield_value
    start, end = _instants(period)
    return adapt(start), adapt(end)


def _subsidies(
    cursor: Any, scope: StatsScope, period: Period, by: Dimension | None, constant: str
) -> list[tuple[str, int]]:
    key, joins = _key_of(by, constant)
    loan_scope, having, params_join, params_where = "", "", [], []
    if scope.bank_id is not None:
        # A bank: the claims over at least one of its loans, attributed by its own loans.
        loan_scope = " AND l.bank_id = %s"
        params_join = [scope.bank_id]
        having = " HAVING COUNT(l.id) > 0"
    scope_sql = ""
    if scope.park_id is not None:
        scope_sql, params_where = " AND e.park_id = %s", [scope.park_id]
    # Cuts by the enterprise: the claim's own enterprise decides, loans or not; cuts by a loan's
    # attribute: a claim over no loan is not attributable.
    no_loans = "" if by not in _LOAN_CUTS else f"WHEN COUNT(l.id) = 0 THEN '{UNATTRIBUTED_KEY}' "
    lo, hi = _day_bounds(period)
    cursor.execute(
        _SUBSIDIES_SQL.format(
            unattributed=UNATTRIBUTED_KEY,
            no_loans=no_loans,
            key=key,
            joins=joins,
            loan_scope=loan_scope,
            scope=scope_sql,
            having=having,
            awarded_fen=_fen("s.awarded"),
        ),
        [*params_join, lo, hi, *params_where],
    )
    return list(cursor.fetchall())


def _compensation(
    cursor: Any, scope: StatsScope, period: Period, by: Dimension | None, constant: str
) -> list[tuple[str, int]]:
    key, joins = _key_of(by, constant)
    scope_sql, scope_params = _scope_sql(scope)
    cursor.execute(
        _COMPENSATION_SQL.format(
            key=key,
            joins=joins,
            scope=scope_sql,
            credit_fen=_fen("ll.credit"),
            debit_fen=_fen("ll.debit"),
        ),
        [period.start, period.end, *scope_params],
    )
    return list(cursor.fetchall())


# --- labels ---------------------------------------------------------------------------------------


def _labels(by: Dimension, keys: list[str]) -> dict[str, str]:
    special = {
        NONE_KEY: {
            Dimension.PARK: _("未入园企业"),
            Dimension.REGION: _("未填地区"),
            Dimension.SIZE: _("未填规模"),
            Dimension.PRODUCT: _("未关联产品"),
            Dimension.RIGHT_KIND: _("未列明质押权利"),
        }.get(by, _("未分类")),
        MIXED_KEY: _("多类权利组合质押"),
        UNATTRIBUTED_KEY: _("未能归属（贴息按企业核定，所涉贷款分属多行）"),
    }
    labels = {key: special[key] for key in keys if key in special}
    ids = [int(key) for key in keys if key.isdigit()]
    if by in (Dimension.BANK, Dimension.PARK):
        names = Organisation.objects.filter(pk__in=ids).values_list("pk", "name")
        labels.update({str(pk): name for pk, name in names})
    elif by == Dimension.PRODUCT:
        products = Product.objects.filter(pk__in=ids).values_list("pk", "name", "provider__name")
        labels.update({str(pk): f"{name}（{provider}）" for pk, name, provider in products})
    elif by == Dimension.RIGHT_KIND:
        labels.update({v: str(label) for v, label in RightKindChoices.choices if v in keys})
    elif by == Dimension.SIZE:
        labels.update({v: str(label) for v, label in EnterpriseSize.choices if v in keys})
    elif by == Dimension.REGION:
        english = (get_language() or "zh").startswith("en")
        labels.update({k: region_label(k, english=english) for k in keys if k not in labels})
    for key in keys:
        labels.setdefault(key, key)
    return labels


# --- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorRow:
    key: str
    label: str
    figures: Figures


@dataclass(frozen=True)
class IndicatorTable:
    period: Period
    by: Dimension
    rows: list[IndicatorRow]
    total: Figures
    scope: StatsScope


def indicator_table(*, actor: Actor, period: Period, by: Dimension) -> IndicatorTable:
    """The monitoring figures of `period` cut `by`, and their total, over the loans the actor may
    see. By quarter, a row per quarter the period touches (clipped to it): its flows within it,
    its balances at its own end. An empty period: no rows, a zero total."""
    scope = stats_scope(actor)
    if by == Dimension.QUARTER:
        _rows, total = _split(_figures(scope, period, None))
        quarters = quarters_of(period)
        rows = []
        for quarter in quarters:
            if len(quarters) == 1:  # the period lies within one quarter: its row is the total
                figures: Figures | None = total
            else:
                figures = _figures(scope, quarter, None, constant=quarter.name).get(quarter.name)
            if figures is not None and not figures.is_empty():
                rows.append(IndicatorRow(quarter.name, quarter.name, figures))
        return IndicatorTable(period, by, rows, total, scope)
    cut, total = _split(_figures(scope, period, by))
    found = {k: f for k, f in cut.items() if not f.is_empty()}
    labels = _labels(by, list(found))
    special = {NONE_KEY, MIXED_KEY, UNATTRIBUTED_KEY}
    ordered = sorted(
        found.items(),
        key=lambda item: (
            item[0] in special,
            -item[1].balance_fen,
            -item[1].new_loan_fen,
            labels[item[0]],
        ),
    )
    rows = [IndicatorRow(key, labels[key], figures) for key, figures in ordered]
    return IndicatorTable(period, by, rows, total, scope)


# --- park growth (入园惠企) ---------------------------------------------------------------------


@dataclass(frozen=True)
class ParkGrowth:
    park_id: int
    park_name: str
    projects: int
    amount_fen: int
    prev_projects: int
    prev_amount_fen: int
    projects_growth: Decimal | None
    amount_growth: Decimal | None
    meets_target: bool

    @property
    def amount(self) -> Decimal:
        return Decimal(self.amount_fen).scaleb(-2)

    @property
    def prev_amount(self) -> Decimal:
        return Decimal(self.prev_amount_fen).scaleb(-2)


_PARK_SQL = """
SELECT e.park_id,
       SUM(CASE WHEN l.disbursed_on >= %s THEN 1 ELSE 0 END),
       SUM(CASE WHEN l.disbursed_on >= %s THEN {principal_fen} ELSE 0 END),
       SUM(CASE WHEN l.disbursed_on < %s THEN 1 ELSE 0 END),
       SUM(CASE WHEN l.disbursed_on < %s THEN {principal_fen} ELSE 0 END)
FROM loans_loan l JOIN accounts_organisation e ON e.id = l.enterprise_id
WHERE e.park_id IS NOT NULL AND l.disbursed_on >= %s AND l.disbursed_on <= %s{scope}
GROUP BY e.park_id
"""


def park_growth(*, actor: Actor, year: int) -> list[ParkGrowth]:
    """Each park's IP-pledge loans (projects) and amount disbursed in `year` and the year before,
    their growth and whether both met the 20% target. Every park for the office and the
    regulators, its own for a park, the parks of its own borrowers for a bank."""
    scope = stats_scope(actor)
    start, end, prev_start = date(year, 1, 1), date(year, 12, 31), date(year - 1, 1, 1)
    scope_sql, scope_params = _scope_sql(scope)
    with reporting_connection().cursor() as cursor:
        cursor.execute(
            _PARK_SQL.format(principal_fen=_fen("l.principal"), scope=scope_sql),
            [start, start, start, start, prev_start, end, *scope_params],
        )
        sums = {row[0]: [int(v or 0) for v in row[1:]] for row in cursor.fetchall()}
    parks = Organisation.objects.filter(kind=OrganisationKind.PARK)
    if scope.park_id is not None:
        parks = parks.filter(pk=scope.park_id)
    elif scope.bank_id is not None:
        parks = parks.filter(pk__in=list(sums))
    out = []
    for park_id, name in parks.order_by("name", "pk").values_list("pk", "name"):
        projects, amount, prev_projects, prev_amount = sums.get(park_id, [0, 0, 0, 0])
        projects_growth = growth(projects, prev_projects)
        amount_growth = growth(amount, prev_amount)
        out.append(
            ParkGrowth(
                park_id=park_id,
                park_name=name,
                projects=projects,
                amount_fen=amount,
                prev_projects=prev_projects,
                prev_amount_fen=prev_amount,
                projects_growth=projects_growth,
                amount_growth=amount_growth,
                meets_target=meets_target((projects, prev_projects), (amount, prev_amount)),
            )
        )
    return out


# --- a park's members' demands -----------------------------------------------------------------


@dataclass(frozen=True)
class DemandCount:
    state: str
    label: str
    count: int
    amount: Decimal


def member_demands(*, actor: Actor, period: Period) -> list[DemandCount]:
    """The financing demands a park's member enterprises filed in `period`, by state (count and
    amount asked), for the park's dashboard; the office and the regulators: every park member's.
    One GROUP BY."""
    scope = stats_scope(actor)
    lo, hi = _instants(period)
    demands = Demand.objects.filter(created_at__gte=lo, created_at__lt=hi)
    if scope.park_id is not None:
        demands = demands.filter(enterprise__park_id=scope.park_id)
    elif scope.bank_id is not None:
        return []
    else:
        demands = demands.filter(enterprise__park__isnull=False)
    rows = {
        state: (n, amount)
        for state, n, amount in demands.order_by()
        .values("state")
        .annotate(n=Count("id"), amount=Sum(in_fen("amount")))
        .values_list("state", "n", "amount")
    }
    return [
        DemandCount(value, str(label), rows[value][0], Decimal(rows[value][1] or 0).scaleb(-2))
        for value, label in DemandState.choices
        if value in rows
    ]


# --- the banks' returns, reconciled -----------------------------------------------------------


@dataclass(frozen=True)
class ReturnReconciled:
    """A bank's return for a quarter beside the platform's own figures for the same bank and
    quarter: the differences are what the bank reported less what the platform computed."""

    bank_id: int
    bank_name: str
    period: str
    npl_ratio: Decimal | None
    total_loan_balance: Decimal
    ip_loan_balance: Decimal
    ip_new_loans: int
    ip_new_amount: Decimal
    revision: int
    reported_at: datetime
    platform_balance: Decimal
    platform_new_loans: int
    platform_new_amount: Decimal

    @property
    def balance_difference(self) -> Decimal:
        return self.ip_loan_balance - self.platform_balance

    @property
    def amount_difference(self) -> Decimal:
        return self.ip_new_amount - self.platform_new_amount


def bank_return_list(*, actor: Actor, period: Period) -> list[ReturnReconciled]:
    """The returns for the quarter `period` a user may read (a bank its own; the office and the
    regulators every bank's), each with the platform's figures for it: three queries."""
    scope = stats_scope(actor)
    if scope.park_id is not None:
        return []
    returns = BankReturn.objects.filter(period=period.name).select_related("bank")
    if scope.bank_id is not None:
        returns = returns.filter(bank_id=scope.bank_id)
    ratios = dict(BankNplReport.objects.filter(period=period.name).values_list("bank_id", "ratio"))
    platform = _figures(scope, period, Dimension.BANK)
    out = []
    for row in returns.order_by("bank_id"):
        figures = platform.get(str(row.bank_id), Figures())
        out.append(
            ReturnReconciled(
                bank_id=row.bank_id,
                bank_name=row.bank.name,
                period=row.period,
                npl_ratio=ratios.get(row.bank_id),
                total_loan_balance=row.total_loan_balance,
                ip_loan_balance=row.ip_loan_balance,
                ip_new_loans=row.ip_new_loans,
                ip_new_amount=row.ip_new_amount,
                revision=row.revision,
                reported_at=row.reported_at,
                platform_balance=figures.balance,
                platform_new_loans=figures.new_loans,
                platform_new_amount=figures.new_loan_amount,
            )
        )
    return out
