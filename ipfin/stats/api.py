"""The monitoring API (统计监测, issue 15): thin adapters over `ipfin.stats.selectors`.

- GET /stats/indicators?from=&to=&by=: the figures of a period by bank, park, region, right kind,
  product, enterprise size or quarter, and their total (definitions in each field's description
  and in `ipfin.stats.domain.DEFINITIONS`).
- GET /stats/park-growth?year=: each park's projects and amount against the year before and the
  20% target (入园惠企).
- GET /stats/reports/{period}.pdf and .xlsx: the quarterly monitoring report (季度监测报告), or
  the annual summary for a year (ipfin.stats.reports).
- POST /stats/bank-returns (a form's JSON), POST /stats/bank-returns/upload (a file), GET
  /stats/bank-returns?period=: the banks' quarterly returns, reconciled with the platform's.
The IP office's administrators and the regulators read every loan's figures; a bank its own loans'
(whatever the cut); a park its member enterprises'; anyone else 403.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from ipfin.common.downloads import attachment
from ipfin.common.errors import invalid
from ipfin.common.money import money_str
from ipfin.jobs.api import accepted
from ipfin.jobs.schemas import JobRunOut
from ipfin.stats import reports, selectors, services
from ipfin.stats.domain import GROWTH_TARGET, Figures, Period, PeriodError, parse_period
from ipfin.stats.schemas import (
    BankReturnFilter,
    BankReturnIn,
    BankReturnOut,
    BankReturnsUploadOut,
    IndicatorFilter,
    IndicatorsOut,
    ParkGrowthFilter,
    ParkGrowthPageOut,
)

router = Router()


def yuan(fen: int) -> str:
    """Integer fen as the API's money text ("1234.50")."""
    return money_str(Decimal(fen).scaleb(-2))


def _ratio(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.6f}"


def figures_out(figures: Figures) -> dict[str, Any]:
    return {
        "new_loans": figures.new_loans,
        "new_loan_amount": yuan(figures.new_loan_fen),
        "balance": yuan(figures.balance_fen),
        "customers": figures.customers,
        "first_time_borrowers": figures.first_time_borrowers,
        "sole_ip_collateral": figures.sole_ip_collateral,
        "avg_pledge_rate": f"{figures.avg_pledge_rate:.6f}",
        "avg_rate": f"{figures.avg_rate:.6f}",
        "npl_balance": yuan(figures.npl_fen),
        "npl_ratio": f"{figures.npl_ratio:.6f}",
        "subsidies_paid": yuan(figures.subsidies_fen),
        "compensation_paid": yuan(figures.compensation_fen),
    }


def period_between(start: Any, end: Any) -> Period:
    try:
        return Period.between(start, end)
    except PeriodError as error:
        raise invalid(error.field, "period_invalid", error.message_zh, error.message_en) from None


@router.get("/stats/indicators", response=IndicatorsOut)
def stats_indicators(request: HttpRequest, filters: Query[IndicatorFilter]) -> dict[str, Any]:
    """统计监测: the figures of [from, to] cut `by`, one row per key with any figure, and the total.

    The additive fields (new_loans, new_loan_amount, sole_ip_collateral, subsidies_paid,
    compensation_paid; balance and npl_balance in every cut but quarter; customers and
    first_time_borrowers by park, region and size, first_time_borrowers by quarter) of the rows
    sum exactly to `total`; `total` counts a borrower once. By quarter, one row per quarter the
    period touches, clipped to it, its balances at its own end. Ratios are 0.000000 when there is
    nothing to divide by: an empty period answers no rows and a zero total. A `to` before `from`
    or a period over ten years is a 422 `period_invalid`."""
    period = period_between(filters.from_, filters.to)
    table = selectors.indicator_table(actor=request.user, period=period, by=filters.by)
    return {
        "start": period.start,
        "end": period.end,
        "by": filters.by,
        "rows": [
            {"key": row.key, "label": row.label, **figures_out(row.figures)} for row in table.rows
        ],
        "total": figures_out(table.total),
    }


@router.get("/stats/park-growth", response=ParkGrowthPageOut)
def stats_park_growth(request: HttpRequest, filters: Query[ParkGrowthFilter]) -> dict[str, Any]:
    """入园惠企 (seed 001): each park's IP-pledge loans to its member enterprises (projects) and
    their principal disbursed in `year`, against the year before; growth = (this − last) ÷ last,
    six decimals; the target is met when both grow by at least 20% (inclusive). Parks with no
    loans the year before have growth null and are listed apart (`without_base`)."""
    rows = selectors.park_growth(actor=request.user, year=filters.year)
    items = [
        {
            "park": {"id": row.park_id, "name": row.park_name},
            "projects": row.projects,
            "amount": yuan(row.amount_fen),
            "prev_projects": row.prev_projects,
            "prev_amount": yuan(row.prev_amount_fen),
            "projects_growth": _ratio(row.projects_growth),
            "amount_growth": _ratio(row.amount_growth),
            "meets_target": row.meets_target,
        }
        for row in rows
    ]
    return {
        "year": filters.year,
        "target": f"{GROWTH_TARGET:.6f}",
        "parks": [item for item in items if item["projects_growth"] is not None],
        "without_base": [item for item in items if item["projects_growth"] is None],
    }


# --- the quarterly report --------------------------------------------------------------------


def _report(request: HttpRequest, period: str) -> reports.MonitoringReport:
    return reports.monitoring_report(actor=request.user, period=reports.report_period(period))


class ReportJobIn(Schema):
    period: str = Field(..., description="a quarter (2026Q3) or a year (2026)", max_length=20)
    format: Literal["pdf", "xlsx"]


@router.post("/stats/reports/jobs", response={202: JobRunOut})
def stats_report_job(
    request: HttpRequest, response: HttpResponse, body: ReportJobIn
) -> Status[dict[str, Any]]:
    """The same report built in the background: the period and the format are checked now
    (422 `period_invalid`, nothing queued); 202 with the run, `Location` its address (GET
    /jobs/{job_id}), polled until done, then the file at GET /jobs/{job_id}/file (kept a
    week). Built over the caller's own scope and read by the caller alone. 409 `job_running`
    while the organisation's previous report runs."""
    run = reports.monitoring_report_request(actor=request.user, period=body.period, fmt=body.format)
    return accepted(request, response, run)


@router.get("/stats/reports/{period}.pdf")
def stats_report_pdf(request: HttpRequest, period: str) -> HttpResponse:
    """季度监测报告 as PDF: `period` a quarter (2026Q3) or a year (2026, the annual summary).
    Amounts in 万元 to two decimals, the tables by bank, region, right kind and park, the
    quarterly trend, park growth, NPL tolerance, charts, and the notes with the definitions.
    Over the loans the caller may see (a bank its own, a park its members'); 422
    `period_invalid` for another period."""
    report = _report(request, period)
    return attachment(
        reports.report_pdf(report), reports.PDF_CONTENT_TYPE, f"ipfin-monitoring-{period}.pdf"
    )


@router.get("/stats/reports/{period}.xlsx")
def stats_report_xlsx(request: HttpRequest, period: str) -> HttpResponse:
    """The same report as an Excel workbook: one sheet per table, every figure a number (万元,
    ratios as percentages), a notes sheet with the definitions."""
    report = _report(request, period)
    return attachment(
        reports.report_workbook(report),
        reports.XLSX_CONTENT_TYPE,
        f"ipfin-monitoring-{period}.xlsx",
    )


# --- the banks' returns ----------------------------------------------------------------------


def return_out(row: selectors.ReturnReconciled) -> dict[str, Any]:
    return {
        "bank": {"id": row.bank_id, "name": row.bank_name},
        "period": row.period,
        "npl_ratio": None if row.npl_ratio is None else f"{Decimal(row.npl_ratio):.6f}",
        "total_loan_balance": money_str(row.total_loan_balance),
        "ip_loan_balance": money_str(row.ip_loan_balance),
        "ip_new_loans": row.ip_new_loans,
        "ip_new_amount": money_str(row.ip_new_amount),
        "revision": row.revision,
        "reported_at": row.reported_at,
        "platform_balance": money_str(row.platform_balance),
        "platform_new_loans": row.platform_new_loans,
        "platform_new_amount": money_str(row.platform_new_amount),
        "balance_difference": money_str(row.balance_difference),
        "amount_difference": money_str(row.amount_difference),
    }


def _quarter(text: str) -> Period:
    try:
        period = parse_period(text)
    except PeriodError as error:
        raise invalid("period", "period_invalid", error.message_zh, error.message_en) from None
    if period.is_year:
        raise invalid(
            "period", "period_invalid", "报告期应为季度，如 2026Q3。", "A quarter, e.g. 2026Q3."
        )
    return period


def _returned(request: HttpRequest, periods: list[str]) -> list[dict[str, Any]]:
    rows = []
    for period in sorted(set(periods)):
        rows += selectors.bank_return_list(actor=request.user, period=_quarter(period))
    mine = request.user.organisation_id  # type: ignore[union-attr]
    return [return_out(row) for row in rows if row.bank_id == mine]


@router.post("/stats/bank-returns", response={201: BankReturnOut})
def bank_return_submit(request: HttpRequest, payload: BankReturnIn) -> Status[dict[str, Any]]:
    """银行季度报送: the acting bank's figures for a quarter that has ended — its overall NPL
    ratio (the NPL tolerance's), the balance of its whole loan book, its own tally of its
    IP-pledge lending. A second return of the quarter replaces the first (`revision`). The answer
    sets them beside the platform's figures for the bank and quarter. Banks only (403)."""
    stored = services.bank_return_submit(actor=request.user, data=payload.dict())
    return Status(201, _returned(request, [stored.period])[0])


@router.post("/stats/bank-returns/upload", response={201: BankReturnsUploadOut})
def bank_returns_upload(request: HttpRequest, file: File[UploadedFile]) -> Status[dict[str, Any]]:
    """The same returns from a file (multipart `file`, CSV or .xlsx, ≤ 1 MB, ≤ 200 rows): the
    header names the columns (报告期, 全行不良贷款率, 全行各项贷款余额, 知识产权质押贷款余额,
    本季新增知识产权质押贷款笔数, 本季新增知识产权质押贷款金额, or their English names), a row
    per quarter. Every row is checked first: any error is a 422 `rows_invalid` listing each
    (`errors: [{row, field, detail, code}]`, the header being row 1) and nothing is stored."""
    stored = services.bank_returns_upload(actor=request.user, uploaded_file=file)
    items = _returned(request, [row.period for row in stored])
    return Status(201, {"stored": len(stored), "items": items})


@router.get("/stats/bank-returns", response=list[BankReturnOut])
def bank_return_list(
    request: HttpRequest, filters: Query[BankReturnFilter]
) -> list[dict[str, Any]]:
    """The returns for a quarter: a bank its own, the IP office and the regulators every bank's,
    each beside the platform's figures (differences: reported − platform)."""
    rows = selectors.bank_return_list(actor=request.user, period=_quarter(filters.period))
    return [return_out(row) for row in rows]
