"""The monitoring API (统计监测, issue 15): thin adapters over `ipfin.stats.selectors`.

- GET /stats/indicators?from=&to=&by=: the figures of a period by bank, park, region, right kind,
  product, enterprise size or quarter, and their total (definitions in each field's description
  and in `ipfin.stats.domain.DEFINITIONS`).
- GET /stats/park-growth?year=: each park's projects and amount against the year before and the
  20% target (入园惠企).
- GET /stats/reports/{period}.pdf and .xlsx: the quarterly monitoring report (季度监测报告), or
  the annual summary for a year (ipfin.stats.reports).
The IP office's administrators and the regulators read every loan's figures; a bank its own loans'
(whatever the cut); a park its member enterprises'; anyone else 403.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from ipfin.common.errors import invalid
from ipfin.common.money import money_str
from ipfin.stats import reports, selectors
from ipfin.stats.domain import GROWTH_TARGET, Figures, Period, PeriodError, parse_period
from ipfin.stats.schemas import IndicatorFilter, IndicatorsOut, ParkGrowthFilter, ParkGrowthPageOut

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
    try:
        parsed = parse_period(period)
    except PeriodError as error:
        raise invalid(error.field, "period_invalid", error.message_zh, error.message_en) from None
    return reports.monitoring_report(actor=request.user, period=parsed)


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get("/stats/reports/{period}.pdf")
def stats_report_pdf(request: HttpRequest, period: str) -> HttpResponse:
    """季度监测报告 as PDF: `period` a quarter (2026Q3) or a year (2026, the annual summary).
    Amounts in 万元 to two decimals, the tables by bank, region, right kind and park, the
    quarterly trend, park growth, NPL tolerance, charts, and the notes with the definitions.
    Over the loans the caller may see (a bank its own, a park its members'); 422
    `period_invalid` for another period."""
    report = _report(request, period)
    return _download(
        reports.report_pdf(report), reports.PDF_CONTENT_TYPE, f"ipfin-monitoring-{period}.pdf"
    )


@router.get("/stats/reports/{period}.xlsx")
def stats_report_xlsx(request: HttpRequest, period: str) -> HttpResponse:
    """The same report as an Excel workbook: one sheet per table, every figure a number (万元,
    ratios as percentages), a notes sheet with the definitions."""
    report = _report(request, period)
    return _download(
        reports.report_workbook(report),
        reports.XLSX_CONTENT_TYPE,
        f"ipfin-monitoring-{period}.xlsx",
    )
