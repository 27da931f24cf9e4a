"""The risk scan's reading, set-based: a fixed number of queries whatever the number of pledges,
the rules on NumPy columns (`domain.annuity_watch` and the comparisons below); Python objects are
made only for the findings.

As of a day `on`, the scan reads every right of every pledge in force on that day (registered,
effective on or before it, not released by then) and every loan those pledges secure that was
disbursed and not yet closed or written off on that day. It looks only at events, instalments and
classifications dated on or before `on`:

1. the pledged rights with their pledge (one query over pledge items, pledges and rights);
2. their legal events aggregated per right (one GROUP BY): the highest annuity year paid, the term
   compensation, the renewals, the first whole invalidation, the latest transfer or licence, and
   for each procedure (invalidation, preservation, dispute) the latest opening and closing date —
   open when the latest opening is later than the latest closing (on the same day, when the
   opening was recorded later);
3. the loans on those pledges (one query), their first instalment unpaid on `on` (one GROUP BY)
   and their classification history up to `on` (one query).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from ipfin.holidays.selectors import working_calendar
from ipfin.loans.domain.status import NON_PERFORMING, LoanState, overdue_cutoff
from ipfin.loans.models import Installment, Loan, LoanClassification, Repayment
from ipfin.pledges.domain import PledgeState
from ipfin.pledges.models import Pledge, PledgeItem
from ipfin.pledges.selectors import covered_annuities
from ipfin.registry.domain import TRADEMARK_TERM_YEARS
from ipfin.registry.models import RightEvent
from ipfin.risk.domain.alerts import AlertKind, Finding
from ipfin.risk.domain.annuity_watch import (
    KIND_CODES,
    NOT_A_PATENT,
    AnnuityState,
    add_years_columns,
    annuity_watch,
    patent_expiry_columns,
)
from ipfin.valuation.models import ValuationRight, ValuationState

__all__ = ["EpochDays", "ScanRead", "scan_findings"]


class EpochDays(Func):
    """A date as whole days since 1970-01-01, computed by the database: the scan reads numbers,
    which NumPy takes in one conversion (a Python `date` per cell costs ten times as much)."""

    output_field = IntegerField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        sql, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            return f"(({sql}) - DATE '1970-01-01')", params
        return f"CAST(julianday({sql}) - 2440587.5 AS INTEGER)", params


_NAT = np.datetime64("NaT", "D")
# Kind codes in the scan's read: the patents' (domain.annuity_watch) and trademarks.
_TRADEMARK = 3
_KINDS = {**KIND_CODES, "trademark": _TRADEMARK}
_ZERO = Decimal("0.00")
# The fall below the approved value that is reported, and the share of a bank's IP-pledge balance
# in one industry or park above which it is (settings IPFIN_RISK_VALUE_DECLINE and
# IPFIN_RISK_CONCENTRATION_SHARE override them for the daily scan).
DEFAULT_VALUE_DECLINE = Decimal("0.20")
DEFAULT_CONCENTRATION_SHARE = Decimal("0.50")
_LOAN_STATES = [LoanState.DISBURSED, LoanState.REPAYING, LoanState.CLOSED, LoanState.WRITTEN_OFF]


@dataclass(frozen=True)
class ScanRead:
    """What the scan read (its summary says it)."""

    pledged_rights: int
    loans: int
    # (right id, pledgee bank id) of the pledged rights whose legal status the days may have
    # changed: an annuity unpaid past its due day, a term run out by the day (a trademark's ten
    # years, its renewal grace aside), and every right whose term the scan does not compute in
    # columns (a copyright, a layout design: the author's life, the first commercial use). The
    # scan of today tells the change feed of their changes (ipfin.registry.services.
    # rights_time_status_publish).
    status_watch: tuple[tuple[int, int], ...] = ()


def _pledges_in_force(on: date) -> QuerySet[Pledge]:
    return Pledge.objects.filter(
        Q(state=PledgeState.REGISTERED) | Q(state=PledgeState.RELEASED, released_on__gt=on),
        effective_date__lte=on,
    )


def _opening(kind: str | list[str], field: str = "date") -> Max:
    kinds = [kind] if isinstance(kind, str) else kind
    value = EpochDays(F("date")) if field == "date" else F(field)
    return Max(Case(When(type__in=kinds, then=value)))


_PROCEDURES = {
    "inv": ("invalidation_requested", ["invalidation_dismissed", "invalidated"]),
    "pres": ("preservation", ["preservation_lifted"]),
    "disp": ("dispute", ["dispute_resolved"]),
}
_EVENT_COLUMNS = [
    "right_id",
    "paid_year",
    "compensation",
    "renewals",
    "invalidated",
    "moved",
    *[f"{p}_{part}" for p in _PROCEDURES for part in ("open", "open_id", "close", "close_id")],
]


def _events(pledged: QuerySet[Any], on: date) -> np.ndarray:
    year = Cast(KeyTextTransform("year", "payload"), IntegerField())
    days = Cast(KeyTextTransform("days", "payload"), IntegerField())
    procedures: dict[str, Any] = {}
    for prefix, (opens, closes) in _PROCEDURES.items():
        procedures[f"{prefix}_open"] = _opening(opens)
        procedures[f"{prefix}_open_id"] = _opening(opens, "id")
        procedures[f"{prefix}_close"] = _opening(closes)
        procedures[f"{prefix}_close_id"] = _opening(closes, "id")
    rows = (
        RightEvent.objects.filter(right_id__in=pledged, date__lte=on)
        .values("right_id")
        .annotate(
            paid_year=Max(Case(When(type="annuity_paid", then=year))),
            compensation=Max(Case(When(type="term_compensation", then=days))),
            renewals=Count("id", filter=Q(type="renewed")),
            invalidated=Min(
                Case(
                    When(
                        Q(type="invalidated") & ~Q(payload__scope="partial"),
                        then=EpochDays(F("date")),
                    )
                )
            ),
            moved=_opening(["transfer", "licence"]),
            **procedures,
        )
        .order_by("right_id")
        .values_list(*_EVENT_COLUMNS)
    )
    return _numeric(_fetch(rows), len(_EVENT_COLUMNS))


def _fetch(rows: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a values_list query of numbers, fetched by the database cursor: Django's
    per-cell converters cost a second per 100,000 rows here, and numbers need none."""
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _numeric(rows: list[tuple[Any, ...]], width: int) -> np.ndarray:
    """Rows of numbers (None for a missing one) as one float64 array (NaN for None): exact for
    ids, years and day numbers (all far below 2^53)."""
    if not rows:
        return np.zeros((0, width))
    table: np.ndarray = np.array(rows, dtype=object).astype(np.float64)
    return np.asarray(table.reshape(-1, width))


def _aligned(rows: np.ndarray, keys: np.ndarray, column: int, missing: Any) -> np.ndarray:
    """Column `column` of `rows` (sorted by their first column) for each of `keys`; `missing`
    where `keys` has no row. Numeric rows give a float column (NaN for None), others object."""
    numeric = rows.dtype != object
    out = np.full(len(keys), np.nan if numeric and missing is None else missing,
                  dtype=np.float64 if numeric else object)  # fmt: skip
    if not len(rows):
        return out
    ids = rows[:, 0].astype(np.int64)
    at = np.minimum(np.searchsorted(ids, keys), len(ids) - 1)
    found = ids[at] == keys
    out[found] = rows[at[found], column]
    return out


def _dates(values: np.ndarray) -> np.ndarray:
    """Dates from a column of day numbers since 1970 (NaN: NaT) or of `date` objects."""
    if values.dtype == object:
        return values.astype("datetime64[D]")
    out = np.full(len(values), _NAT)
    known = ~np.isnan(values)
    out[known] = values[known].astype(np.int64).astype("datetime64[D]")
    return out


def _ints(values: np.ndarray) -> np.ndarray:
    if values.dtype == object:
        return np.where(values == None, 0, values).astype(np.int64)  # noqa: E711 - elementwise
    filled: np.ndarray = np.nan_to_num(values, nan=0)
    return filled.astype(np.int64)


def _open_since(events: np.ndarray, keys: np.ndarray, prefix: str) -> np.ndarray:
    column = _EVENT_COLUMNS.index
    opened = _dates(_aligned(events, keys, column(f"{prefix}_open"), None))
    closed = _dates(_aligned(events, keys, column(f"{prefix}_close"), None))
    opened_id = _ints(_aligned(events, keys, column(f"{prefix}_open_id"), None))
    closed_id = _ints(_aligned(events, keys, column(f"{prefix}_close_id"), None))
    later = np.isnat(closed) | (opened > closed) | ((opened == closed) & (opened_id > closed_id))
    return np.where(~np.isnat(opened) & later, opened, _NAT)


def scan_findings(
    on: date,
    *,
    decline: Decimal = DEFAULT_VALUE_DECLINE,
    concentration: Decimal = DEFAULT_CONCENTRATION_SHARE,
) -> tuple[list[Finding], ScanRead]:
    """Every alert the facts on `on` call for (see the module and `domain.alerts`). `decline`:
    the fall of the collateral's value below the one a loan was approved on that is reported
    (products carry no threshold of their own yet: 20% by default); `concentration`: the share of
    a bank's IP-pledge balance in one industry or one park above which it is reported."""
    pledges = _pledges_in_force(on)
    items = PledgeItem.objects.filter(active=True, pledge__in=pledges.values("pk"))
    kind_code = Case(
        *(When(right__kind=text, then=Value(code)) for text, code in _KINDS.items()),
        default=Value(NOT_A_PATENT),
        output_field=IntegerField(),
    )
    rows = _fetch(
        items.order_by("right_id", "pledge_id").values_list(
            "right_id",
            "pledge_id",
            "pledge__pledgee_id",
            EpochDays(F("pledge__effective_date")),
            kind_code,
            EpochDays(F("right__filing_date")),
            EpochDays(F("right__grant_date")),
            "right__number",
        )
    )
    loans = _loans(pledges, on)
    if not rows:
        return [], ScanRead(0, len(loans))
    table = np.array(rows, dtype=object)
    cols = table[:, :7].astype(np.float64)  # numbers; NaN for a missing date
    number = table[:, 7]
    right_id, pledge_id = cols[:, 0].astype(np.int64), cols[:, 1].astype(np.int64)
    bank_id, effective = cols[:, 2].astype(np.int64), _dates(cols[:, 3])
    coded = cols[:, 4].astype(np.int64)
    kind = np.where(coded < _TRADEMARK, coded, NOT_A_PATENT)  # patents 0-2, else none
    trademark = coded == _TRADEMARK
    filing, grant = _dates(cols[:, 5]), _dates(cols[:, 6])
    events = _events(items.values("right_id"), on)
    column = _EVENT_COLUMNS.index

    compensation = _ints(_aligned(events, right_id, column("compensation"), None))
    patent_expiry = patent_expiry_columns(kind, filing, compensation)
    renewals = _ints(_aligned(events, right_id, column("renewals"), 0))
    expiry = np.where(
        trademark,
        add_years_columns(
            np.where(np.isnat(grant), filing, grant), TRADEMARK_TERM_YEARS * (1 + renewals)
        ),
        patent_expiry,
    )
    expiry = np.where(trademark & np.isnat(grant), _NAT, expiry)
    # A year a live annuity deposit covers is paid by the platform on its due date (预缴年费):
    # no annuity_due / grace_period alert for it.
    covered = covered_annuities(items.values("right_id"))
    watch = annuity_watch(
        kind=kind,
        filing=filing,
        grant=grant,
        paid_year=_ints(_aligned(events, right_id, column("paid_year"), None)),
        expiry=patent_expiry,
        on=on,
        calendar=working_calendar(),
    )

    findings: list[Finding] = []

    def emit(mask: np.ndarray, kind: AlertKind, when: np.ndarray, **extra: np.ndarray) -> None:
        for i in np.flatnonzero(mask):
            findings.append(
                Finding(
                    kind=kind,
                    right_id=int(right_id[i]),
                    right_number=str(number[i]),
                    pledge_id=int(pledge_id[i]),
                    loan_id=int(extra["loan"][i]) if "loan" in extra else None,
                    bank_id=int(bank_id[i]),
                    date=when[i].astype(date),
                    year=int(watch.year[i]) if kind in _ANNUITY_KINDS else None,
                    maturity=extra["maturity"][i].astype(date) if "maturity" in extra else None,
                    key_date=extra["key_date"][i].astype(date) if "key_date" in extra else None,
                )
            )

    if covered:
        pairs = np.array(sorted(covered), dtype=np.int64)
        covered_mask = np.isin(right_id * 1000 + watch.year, pairs[:, 0] * 1000 + pairs[:, 1])
    else:
        covered_mask = np.zeros(len(right_id), dtype=bool)
    # Shown with its last day in time (the due date moved past rest days), known by its due date.
    emit(
        (watch.state == AnnuityState.DUE_SOON) & ~covered_mask,
        AlertKind.ANNUITY_DUE,
        watch.payable_until,
        key_date=watch.due,
    )
    emit(
        (watch.state == AnnuityState.GRACE) & ~covered_mask,
        AlertKind.GRACE_PERIOD,
        watch.grace_until,
        key_date=watch.grace_counted,
    )
    emit(watch.state == AnnuityState.LAPSED, AlertKind.LAPSED, watch.due)
    invalidated = _dates(_aligned(events, right_id, column("invalidated"), None))
    emit(~np.isnat(invalidated), AlertKind.INVALIDATED, invalidated)
    for prefix, alert in (
        ("inv", AlertKind.INVALIDATION_REQUESTED),
        ("pres", AlertKind.PRESERVATION),
        ("disp", AlertKind.DISPUTE),
    ):
        since = _open_since(events, right_id, prefix)
        emit(~np.isnat(since), alert, since)
    moved = _dates(_aligned(events, right_id, column("moved"), None))
    emit(~np.isnat(moved) & (moved >= effective), AlertKind.TRANSFER_ATTEMPT, moved)

    # Loans: the latest-maturing loan of each pledge is the one a right's term must outlast.
    if len(loans):
        by_pledge = loans[np.lexsort((loans["maturity"], loans["pledge"]))]
        last = np.r_[by_pledge["pledge"][1:] != by_pledge["pledge"][:-1], True]
        latest = by_pledge[last]
        at = np.searchsorted(latest["pledge"], pledge_id)
        has_loan = (at < len(latest)) & (
            latest["pledge"][np.minimum(at, len(latest) - 1)] == pledge_id
        )
        chosen = latest[np.minimum(at, len(latest) - 1)]
        maturity = np.where(has_loan, chosen["maturity"], _NAT)
        short = has_loan & ~np.isnat(expiry) & ~np.isnat(maturity) & (expiry < maturity)
        emit(
            short,
            AlertKind.EXPIRES_BEFORE_MATURITY,
            expiry,
            loan=chosen["id"],
            maturity=maturity,
        )
        first_right = _first_right_of_pledge(loans, pledge_id, right_id, number)
        findings.extend(_loan_findings(loans, first_right))
        latest = _latest_valuations(items, on, right_id, pledge_id)
        findings.extend(_value_findings(loans, first_right, latest, decline))
        findings.extend(_concentration_findings(loans, on, concentration))
    watched = (
        (watch.state == AnnuityState.GRACE)
        | (watch.state == AnnuityState.LAPSED)
        | (~np.isnat(expiry) & (expiry <= np.datetime64(on, "D")))
        | (coded == NOT_A_PATENT)
    )
    status_watch = tuple(
        (int(r), int(b)) for r, b in zip(right_id[watched], bank_id[watched], strict=True)
    )
    return findings, ScanRead(len(rows), len(loans), status_watch)


_ANNUITY_KINDS = frozenset({AlertKind.ANNUITY_DUE, AlertKind.GRACE_PERIOD, AlertKind.LAPSED})
_LOAN_DTYPE = np.dtype(
    [("id", np.int64), ("pledge", np.int64), ("bank", np.int64), ("maturity", "datetime64[D]"),
     ("bad_since", "datetime64[D]"), ("overdue_since", "datetime64[D]"),
     ("valuation", np.int64), ("approved_value", "O"), ("max_rate", "O"), ("outstanding", "O"),
     ("industry", "O"), ("park", np.int64)]
)  # fmt: skip


def _loans(pledges: QuerySet[Pledge], on: date) -> np.ndarray:
    """The loans the pledges secure, live on `on`: id, pledge, bank, maturity, since when it is
    classified non-performing (NaT: it is not, on `on`), the due date of its first instalment
    overdue on `on` (unpaid after its payable day: the due date moved past rest days, 民法典
    art. 203)."""
    live = Loan.objects.filter(
        pledge__in=pledges.values("pk"), state__in=_LOAN_STATES, disbursed_on__lte=on
    ).exclude(Q(closed_on__lte=on) | Q(written_off_on__lte=on))
    rows = list(
        live.order_by("pk").values_list(
            "pk",
            "pledge_id",
            "bank_id",
            "maturity_date",
            "valuation_id",
            "valuation_value",
            "product_version__max_pledge_rate",
            "principal",
            "enterprise__industry",
            "enterprise__park_id",
        )
    )
    out = np.zeros(len(rows), dtype=_LOAN_DTYPE)
    if not rows:
        return out
    cols = np.array(rows, dtype=object)
    out["id"], out["pledge"], out["bank"] = (cols[:, i].astype(np.int64) for i in range(3))
    out["maturity"] = _dates(cols[:, 3])
    out["valuation"] = _ints(cols[:, 4])
    out["approved_value"], out["max_rate"] = cols[:, 5], cols[:, 6]
    out["industry"], out["park"] = cols[:, 8], _ints(cols[:, 9])
    repaid = list(
        Repayment.objects.filter(loan__in=live.values("pk"), paid_on__lte=on)
        .values("loan_id")
        .annotate(total=Sum("principal_part"))
        .order_by("loan_id")
        .values_list("loan_id", "total")
    )
    paid = _aligned(np.array(repaid, dtype=object).reshape(-1, 2), out["id"], 1, _ZERO)
    out["outstanding"] = cols[:, 7] - paid  # Decimal yuan, exact
    history = list(
        LoanClassification.objects.filter(loan__in=live.values("pk"), effective_on__lte=on)
        .order_by("loan_id", "effective_on", "id")
        .values_list("loan_id", "effective_on", "category")
    )
    out["bad_since"] = _bad_since(np.array(history, dtype=object).reshape(-1, 3), out["id"])
    unpaid = list(
        Installment.objects.filter(
            loan__in=live.values("pk"), due_date__lte=overdue_cutoff(on, working_calendar())
        )
        .filter(Q(settled_on__isnull=True) | Q(settled_on__gt=on))
        .values("loan_id")
        .annotate(first=Min("due_date"))
        .order_by("loan_id")
        .values_list("loan_id", "first")
    )
    if unpaid:
        overdue = np.array(unpaid, dtype=object)
        out["overdue_since"] = _dates(_aligned(overdue, out["id"], 1, None))
    else:
        out["overdue_since"] = _NAT
    return out


def _bad_since(history: np.ndarray, loan_ids: np.ndarray) -> np.ndarray:
    """Per loan of `loan_ids` (sorted), since when it has been non-performing without a break
    on the scan's day (NaT: its category in force that day is not 次级/可疑/损失), from its
    classification history up to that day (`history`: loan, effective_on, category rows sorted
    by loan, day, id; the latest row is the category in force, as ipfin.loans.selectors
    `category_on` reads it). Not `Loan.classified_on`, which each repayment and each day's
    reclassification of an overdue loan move forward: the alert's date, part of its key,
    would move with them and raise the same non-performing loan again as a new alert."""
    out = np.full(len(loan_ids), _NAT)
    if not len(history):
        return out
    loan = history[:, 0].astype(np.int64)
    day = _dates(history[:, 1])
    bad = np.isin(history[:, 2], [c.value for c in NON_PERFORMING])
    index = np.arange(len(loan))
    first_of_loan = np.r_[True, loan[1:] != loan[:-1]]
    # A run of non-performing changes starts where the loan's previous change was not one.
    starts = bad & (first_of_loan | ~np.r_[False, bad[:-1]])
    run_start = np.maximum.accumulate(np.where(starts, index, 0))
    last = np.r_[loan[1:] != loan[:-1], True]
    bad_now = last & bad
    since = day[run_start[bad_now]]
    where = np.searchsorted(loan_ids, loan[bad_now])
    out[where] = since
    return out


def _first_right_of_pledge(
    loans: np.ndarray, pledge_id: np.ndarray, right_id: np.ndarray, number: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each loan, the (right id, number) of its pledge's first right in force (0, "": none):
    what an alert about the loan names."""
    order = np.argsort(pledge_id, kind="stable")  # the rows come sorted by right, then pledge
    at = np.minimum(np.searchsorted(pledge_id[order], loans["pledge"]), len(order) - 1)
    row = order[at]
    found = pledge_id[row] == loans["pledge"]
    return np.where(found, right_id[row], 0), np.where(found, number[row], "")


def _loan_finding(
    loans: np.ndarray, first: tuple[np.ndarray, np.ndarray], i: Any, kind: AlertKind, when: Any
) -> Finding:
    return Finding(
        kind=kind,
        right_id=int(first[0][i]) or None,
        right_number=str(first[1][i]),
        pledge_id=int(loans["pledge"][i]),
        loan_id=int(loans["id"][i]),
        bank_id=int(loans["bank"][i]),
        date=when if isinstance(when, date) else when.astype(date),
    )


def _loan_findings(loans: np.ndarray, first: tuple[np.ndarray, np.ndarray]) -> list[Finding]:
    """borrower_overdue: one per loan overdue or non-performing, naming its pledge's first right."""
    since = np.where(
        np.isnat(loans["overdue_since"]),
        loans["bad_since"],
        np.where(
            np.isnat(loans["bad_since"]),
            loans["overdue_since"],
            np.minimum(loans["overdue_since"], loans["bad_since"]),
        ),
    )
    live = ~np.isnat(since) & (first[0] > 0)
    findings = [
        _loan_finding(loans, first, i, AlertKind.BORROWER_OVERDUE, since[i])
        for i in np.flatnonzero(live)
    ]
    return findings


def _latest_valuations(
    items: QuerySet[PledgeItem], on: date, right_id: np.ndarray, pledge_id: np.ndarray
) -> np.ndarray:
    """Per pledge, the latest issued valuation (by valuation date, then id) of any of its rights
    on or before `on`: rows (pledge, valuation id, valuation date, value), sorted by pledge."""
    rows = list(
        ValuationRight.objects.filter(
            right_id__in=items.values("right_id"),
            valuation__state=ValuationState.ISSUED,
            valuation__valuation_date__lte=on,
        ).values_list("right_id", "valuation_id", "valuation__valuation_date", "valuation__value")
    )
    if not rows:
        return np.zeros((0, 4), dtype=object)
    cols = np.array(rows, dtype=object)
    # Each valuation row belongs to the pledges of its right (the rows are sorted by right).
    v_right = cols[:, 0].astype(np.int64)
    start = np.searchsorted(right_id, v_right, side="left")
    stop = np.searchsorted(right_id, v_right, side="right")
    repeat = stop - start
    rows_of = np.repeat(np.arange(len(cols)), repeat)
    if not len(rows_of):
        return np.zeros((0, 4), dtype=object)
    offsets = np.cumsum(repeat) - repeat
    pledge_rows = start[rows_of] + (np.arange(len(rows_of)) - offsets[rows_of])
    pledges = pledge_id[pledge_rows]
    v_id = cols[rows_of, 1].astype(np.int64)
    v_date = _dates(cols[rows_of, 2])
    order = np.lexsort((v_id, v_date, pledges))
    pledges, v_id, v_date = pledges[order], v_id[order], v_date[order]
    value = cols[rows_of, 3][order]
    last = np.r_[pledges[1:] != pledges[:-1], True]
    out = np.empty((int(last.sum()), 4), dtype=object)
    out[:, 0], out[:, 1], out[:, 2], out[:, 3] = (
        pledges[last],
        v_id[last],
        v_date[last],
        value[last],
    )
    return out


def _value_findings(
    loans: np.ndarray, first: tuple[np.ndarray, np.ndarray], latest: np.ndarray, decline: Decimal
) -> list[Finding]:
    """value_decline: the latest valuation of the collateral, made after the one the loan was
    approved on, is lower than that one by more than `decline`; pledge_rate_exceeded: the
    outstanding principal on `on` above the product's maximum pledge rate × the latest value.
    Both dated by the latest valuation's date; compared in exact decimals."""
    if not len(latest):
        return []
    at = np.minimum(
        np.searchsorted(latest[:, 0].astype(np.int64), loans["pledge"]), len(latest) - 1
    )
    mine = latest[at]
    has = mine[:, 0].astype(np.int64) == loans["pledge"]
    value, when = mine[:, 3], _dates(mine[:, 2])
    newer = has & (mine[:, 1].astype(np.int64) != loans["valuation"])
    approved = loans["approved_value"]
    known = approved != None  # noqa: E711 - elementwise over an object column
    zero = np.array(_ZERO, dtype=object)
    floor = np.where(known, approved, zero) * (1 - decline)
    fell = newer & known & (value < floor)
    rate = loans["max_rate"]
    capped = rate != None  # noqa: E711 - elementwise over an object column
    over = has & capped & (loans["outstanding"] > np.where(capped, rate, zero) * value)
    findings = [
        _loan_finding(loans, first, i, AlertKind.VALUE_DECLINE, when[i])
        for i in np.flatnonzero(fell & (first[0] > 0))
    ]
    findings += [
        _loan_finding(loans, first, i, AlertKind.PLEDGE_RATE_EXCEEDED, when[i])
        for i in np.flatnonzero(over & (first[0] > 0))
    ]
    return findings


def _concentration_findings(loans: np.ndarray, on: date, share: Decimal) -> list[Finding]:
    """concentration: per bank, its IP-pledge balance on `on` by the borrowers' industry and by
    their park; a group above `share` of the bank's balance is reported (the subject names it)."""
    findings: list[Finding] = []
    live = loans[loans["outstanding"] > 0] if len(loans) else loans
    for dimension, column in (("industry", live["industry"]), ("park", live["park"])):
        text = column.astype(str)
        keys = np.char.add(f"{dimension}:", text)
        known = (text != "") & (text != "0") & (text != "None")
        for bank in np.unique(live["bank"]):
            of_bank = live["bank"] == bank
            total = live["outstanding"][of_bank].sum()
            if total <= 0:
                continue
            groups = np.unique(keys[of_bank & known])
            for group in groups:
                part = live["outstanding"][of_bank & (keys == group)].sum()
                if part > share * total:
                    findings.append(
                        Finding(
                            kind=AlertKind.CONCENTRATION,
                            right_id=None,
                            right_number="",
                            pledge_id=None,
                            loan_id=None,
                            bank_id=int(bank),
                            date=on,
                            subject=str(group),
                            share=(part / total).quantize(Decimal("0.0001")),
                        )
                    )
    return findings
