"""Writes of the monitoring app: a bank's periodic returns (银行季度报送), by form or by file.

A return is one quarter's figures of the acting bank: its overall NPL ratio (written through
`ipfin.risk.services.bank_npl_report`, where the NPL tolerance reads it), the balance of its whole
loan book, and its own tally of its IP-pledge lending (balance at the quarter's end, loans and
amount granted in the quarter). A file (CSV or Excel, `RETURN_COLUMNS` as its header, a row per
quarter) is checked whole before anything is written: every row's every problem is reported with
its row number (the header is row 1), and a file with any problem stores nothing (422
`rows_invalid`, `errors: [{row, field, detail}]`). A quarter must have ended; the IP-pledge
balance cannot exceed the whole book's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import get_language

from ipfin.accounts.models import User
from ipfin.accounts.permissions import Perm, acting_organisation, require
from ipfin.audit.services import audit_record
from ipfin.common.errors import ValidationFailed, invalid
from ipfin.common.inputs import amount_in, decimal_in, int_in
from ipfin.common.money import money_str
from ipfin.common.tables import TableLimits, read_table
from ipfin.loans.models import Loan
from ipfin.risk.domain.npl import period_in
from ipfin.risk.domain.ratios import ratio_in
from ipfin.risk.services import bank_npl_report
from ipfin.stats.domain import MAX_NEW_LOANS, quarter_ends
from ipfin.stats.models import BankReturn, PositionSnapshot
from ipfin.stats.selectors import live_stock_sql, positions_snapshot_is_fresh

__all__ = [
    "RETURN_COLUMNS",
    "ReturnRow",
    "bank_return_submit",
    "bank_returns_upload",
    "positions_snapshot_take",
    "positions_snapshots_refresh",
]

# The file's columns: (field, the header a bank writes, its English header). Either header works.
RETURN_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("period", "报告期", "period"),
    ("npl_ratio", "全行不良贷款率", "overall NPL ratio"),
    ("total_loan_balance", "全行各项贷款余额", "total loan balance"),
    ("ip_loan_balance", "知识产权质押贷款余额", "IP-pledge loan balance"),
    ("ip_new_loans", "本季新增知识产权质押贷款笔数", "new IP-pledge loans"),
    ("ip_new_amount", "本季新增知识产权质押贷款金额", "new IP-pledge loan amount"),
)
_RETURN_FILES = TableLimits(1024 * 1024, 200, "报送文件", "return file")


@dataclass(frozen=True)
class ReturnRow:
    period: str
    period_end: date
    npl_ratio: Decimal
    total_loan_balance: Decimal
    ip_loan_balance: Decimal
    ip_new_loans: int
    ip_new_amount: Decimal


def _ratio(raw: Any) -> Any:
    """A ratio as a bank writes it: 0.0162, "0.0162" or "1.62%" (a spreadsheet's number cell, a
    float, is read by its shortest decimal text in `decimal_in`)."""
    if isinstance(raw, str) and raw.strip().endswith("%"):
        try:
            return f"{Decimal(raw.strip()[:-1].strip()) / 100}"
        except ArithmeticError:
            return raw
    return raw


def _cell(raw: Any) -> Any:
    if isinstance(raw, float):
        return repr(raw)  # the shortest text that reads back as the same number
    if isinstance(raw, str):
        return raw.strip().replace(",", "")
    return raw


def parse_return(data: dict[str, Any], *, today: date) -> ReturnRow:
    """One return from its raw fields, each checked (422 naming the first wrong one)."""
    quarter = period_in(_cell(data.get("period")), today=today)
    npl = ratio_in(
        decimal_in(_ratio(data.get("npl_ratio")), "npl_ratio"),
        "npl_ratio",
        "ratio_invalid",
        "全行不良贷款率",
    )
    total = amount_in(_cell(data.get("total_loan_balance")), "total_loan_balance",
                      positive=False, label_zh="全行各项贷款余额")  # fmt: skip
    ip_balance = amount_in(_cell(data.get("ip_loan_balance")), "ip_loan_balance",
                           positive=False, label_zh="知识产权质押贷款余额")  # fmt: skip
    raw_count = data.get("ip_new_loans")
    count = int_in(int(raw_count) if isinstance(raw_count, float) and raw_count.is_integer()
                   else _cell(raw_count), "ip_new_loans")  # fmt: skip
    if not 0 <= count <= MAX_NEW_LOANS:
        # The bound the API's schema and the form state (a count past it is no return's, and
        # past 32 bits no column's: the database refused it with a 500).
        raise invalid(
            "ip_new_loans",
            "count_invalid",
            f"本季新增笔数应在 0 至 {MAX_NEW_LOANS:,} 之间。",
            f"The new loans of the quarter must be between 0 and {MAX_NEW_LOANS:,}.",
        )
    amount = amount_in(_cell(data.get("ip_new_amount")), "ip_new_amount",
                       positive=False, label_zh="本季新增知识产权质押贷款金额")  # fmt: skip
    if ip_balance > total:
        raise invalid(
            "ip_loan_balance",
            "ip_balance_over_total",
            "知识产权质押贷款余额不能超过全行各项贷款余额。",
            "The IP-pledge balance cannot exceed the whole loan book.",
        )
    return ReturnRow(str(quarter), quarter.last_day, npl, total, ip_balance, count, amount)


def _snapshot(row: BankReturn) -> dict[str, Any]:
    return {
        "period": row.period,
        "total_loan_balance": money_str(row.total_loan_balance),
        "ip_loan_balance": money_str(row.ip_loan_balance),
        "ip_new_loans": row.ip_new_loans,
        "ip_new_amount": money_str(row.ip_new_amount),
        "revision": row.revision,
    }


def _store(actor: User, row: ReturnRow, today: date) -> BankReturn:
    bank = acting_organisation(actor)
    bank_npl_report(actor=actor, period=row.period, ratio=str(row.npl_ratio), today=today)
    fields = {
        "period_end": row.period_end,
        "total_loan_balance": row.total_loan_balance,
        "ip_loan_balance": row.ip_loan_balance,
        "ip_new_loans": row.ip_new_loans,
        "ip_new_amount": row.ip_new_amount,
        "reported_by": actor,
        "reported_at": timezone.now(),
    }
    existing = BankReturn.objects.select_for_update().filter(bank=bank, period=row.period).first()
    if existing is None:
        try:
            with transaction.atomic():
                stored = BankReturn.objects.create(bank=bank, period=row.period, **fields)
            audit_record(
                actor=actor, action="stats.bank_return", obj=stored, before=None,
                after=_snapshot(stored),
            )  # fmt: skip
            return stored
        except IntegrityError:  # a concurrent first return won: this one replaces it
            existing = BankReturn.objects.select_for_update().get(bank=bank, period=row.period)
    before = _snapshot(existing)
    for name, value in fields.items():
        setattr(existing, name, value)
    existing.revision += 1
    existing.save()
    audit_record(
        actor=actor, action="stats.bank_return", obj=existing, before=before,
        after=_snapshot(existing),
    )  # fmt: skip
    return existing


def bank_return_submit(
    *, actor: User, data: dict[str, Any], today: date | None = None
) -> BankReturn:
    """The acting bank's return for one quarter (a form): checked, then stored (a second return
    of the quarter replaces the first)."""
    require(actor, Perm.RISK_NPL_REPORT)
    day = today or timezone.localdate()
    row = parse_return(data, today=day)
    with transaction.atomic():
        return _store(actor, row, day)


def _header_fields(header: list[object]) -> dict[int, str]:
    names = {}
    for field, zh, en in RETURN_COLUMNS:
        names[zh] = field
        names[en.lower()] = field
        names[field] = field
    return {
        index: names[str(cell).strip().lower() if cell is not None else ""]
        for index, cell in enumerate(header)
        if cell is not None and str(cell).strip().lower() in names
    }


def bank_returns_upload(
    *, actor: User, uploaded_file: UploadedFile[bytes], today: date | None = None
) -> list[BankReturn]:
    """The acting bank's returns from a file (module docstring): all rows stored, or none."""
    require(actor, Perm.RISK_NPL_REPORT)
    acting_organisation(actor)
    day = today or timezone.localdate()
    _name, rows = read_table(uploaded_file, _RETURN_FILES)
    if not rows:
        raise invalid("file", "file_empty", "文件为空。", "The file is empty.")
    columns = _header_fields(rows[0])
    missing = [zh for field, zh, _en in RETURN_COLUMNS if field not in columns.values()]
    if missing:
        raise invalid(
            "file",
            "columns_missing",
            f"缺少列：{'、'.join(missing)}（第 1 行应为表头）。",
            f"Missing columns: {', '.join(missing)} (row 1 is the header).",
            columns=missing,
        )
    errors: list[dict[str, Any]] = []
    parsed: list[ReturnRow] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if all(cell is None or str(cell).strip() == "" for cell in cells):
            continue
        data = {columns[i]: cell for i, cell in enumerate(cells) if i in columns}
        try:
            row = parse_return(data, today=day)
        except ValidationFailed as error:
            errors.append(
                {
                    "row": number,
                    "field": (error.extra or {}).get("field"),
                    "detail": error.detail(get_language()),
                    "code": error.code,
                }
            )
            continue
        if row.period in seen:
            errors.append(
                {
                    "row": number,
                    "field": "period",
                    "detail": f"{row.period} was already given in row {seen[row.period]}."
                    if (get_language() or "").startswith("en")
                    else f"{row.period} 已在第 {seen[row.period]} 行报送。",
                    "code": "period_duplicate",
                }
            )
            continue
        seen[row.period] = number
        parsed.append(row)
    if errors:
        raise ValidationFailed(
            f"文件中有 {len(errors)} 处错误，未保存任何数据。",
            f"The file has {len(errors)} error{'s' if len(errors) != 1 else ''}: "
            "nothing was stored.",
            code="rows_invalid",
            extra={"field": "file", "errors": errors},
        )
    if not parsed:
        raise invalid("file", "file_empty", "文件没有数据行。", "The file has no data rows.")
    with transaction.atomic():
        return [_store(actor, row, day) for row in parsed]


# --- period-end positions -----------------------------------------------------------------------

_TAKE_POSITIONS_SQL = """
INSERT INTO stats_loanposition
    (snapshot_id, loan_id, bank_id, enterprise_id, pledge_id, product_version_id, balance_fen, npl)
WITH {stock}
SELECT %s, id, bank_id, borrower, pledge_id, product_version_id, balance_fen, npl FROM stock
"""


def _mark(cursor: Any, table: str) -> int:
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - our own tables
    return int(cursor.fetchone()[0])


def positions_snapshot_take(*, as_of: date, today: date | None = None) -> PositionSnapshot:
    """Take (or take anew) the snapshot of every loan's position at the end of `as_of`, a day
    that is over: one INSERT ... SELECT of the same positions the statistics compute from the
    loans' history (ipfin.stats.selectors.live_stock_sql). The marks are read first, under the
    same transaction and, on PostgreSQL, with the tables they bound locked against writers: a
    row recorded meanwhile can only make the snapshot look stale, never fresh when it is not."""
    day = today or timezone.localdate()
    if as_of >= day:
        raise invalid(
            "as_of",
            "day_not_over",
            f"时点 {as_of.isoformat()} 尚未结束，只能对已过去的日期生成快照。",
            f"{as_of.isoformat()} is not over: only a past day can be snapshotted.",
        )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Ids are handed out before their rows commit: without this a row with an id under
            # a mark could commit after the snapshot was read and never make it stale. SHARE
            # waits for the writers in flight and holds new ones until the snapshot is taken (a
            # few seconds a night). SQLite has one writer at a time already.
            cursor.execute(
                "LOCK TABLE loans_repayment, loans_loanclassification, loans_installment, "
                "loans_loan IN SHARE MODE"
            )
        marks = {
            "repayment_mark": _mark(cursor, "loans_repayment"),
            "classification_mark": _mark(cursor, "loans_loanclassification"),
            "installment_mark": _mark(cursor, "loans_installment"),
        }
        taken_at = timezone.now()
        PositionSnapshot.objects.filter(as_of=as_of).delete()
        snapshot = PositionSnapshot.objects.create(as_of=as_of, taken_at=taken_at, loans=0, **marks)
        parts = {"key": "''", "joins": "", "scope": "", "borrower_join": ""}
        stock, params = live_stock_sql(as_of, parts, [])
        cursor.execute(_TAKE_POSITIONS_SQL.format(stock=stock), [*params, snapshot.pk])
        snapshot.loans = cursor.rowcount
        snapshot.save(update_fields=["loans"])
    if connection.vendor == "postgresql":
        # Statistics for the planner now rather than when autovacuum next passes: without them
        # it takes the new positions for a handful and joins the borrowers row by row.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE stats_loanposition")
    return snapshot


def positions_snapshots_refresh(*, today: date | None = None) -> list[PositionSnapshot]:
    """The daily job: take the snapshot of every quarter's end since the first disbursement up to
    the last one that is over, where it is missing or stale. The snapshots taken, oldest first."""
    day = today or timezone.localdate()
    first = Loan.objects.filter(disbursed_on__isnull=False).order_by("disbursed_on").first()
    if first is None or first.disbursed_on is None:
        return []
    taken = []
    for as_of in quarter_ends(first.disbursed_on, day):
        if not positions_snapshot_is_fresh(as_of):
            taken.append(positions_snapshot_take(as_of=as_of, today=day))
    return taken
