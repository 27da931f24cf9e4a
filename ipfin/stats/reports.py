"""The quarterly monitoring report (季度监测报告) and the annual summary, as data, PDF and Excel.

`monitoring_report(actor, period)` gathers, through the selectors (so a bank's report holds its own
loans, a park's its members'): the period's total; the tables by bank, region, right kind and park;
the quarterly trend (the eight quarters ending with a quarter's report, a year's four quarters);
the parks' growth in the period's year against the 20% target; each bank's IP-pledge NPL ratio
against its tolerance at the end of the period's last quarter, once that quarter has ended.

Both files set amounts in 万元 to two decimals, as Chinese official statistical tables do
(`ipfin.common.money.wan_yuan`, rounded half up once from the exact amount), ratios as
percentages with two decimals, and end with the notes (附注): the definitions of
`ipfin.stats.domain.DEFINITIONS`. The workbook keeps every figure a number (so that it sums and
sorts); text cells go through `ipfin.common.excel.append_row` (formula injection). The PDF is
set in the embedded font of every PDF (ipfin.common.pdf), in Chinese, the language of the
official report, with the same charts as the dashboard (`ipfin.stats.charts`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ipfin.accounts.models import User
from ipfin.accounts.permissions import Actor, StatsScope, stats_scope
from ipfin.common.display import EXCEL_PERCENT_FORMAT, percent
from ipfin.common.errors import DomainError, PermissionDenied, invalid
from ipfin.common.excel import XLSX_CONTENT_TYPE, append_row, header_sheet
from ipfin.common.money import wan_yuan
from ipfin.common.pdf import DOC_KWARGS, FONT, FONT_BOLD, TABLE_FONT, register_fonts
from ipfin.jobs.models import JobRun
from ipfin.jobs.registry import ExportFile
from ipfin.jobs.services import job_request_run
from ipfin.risk.domain.npl import Quarter, ratio_6
from ipfin.risk.selectors import BankNplFigures, npl_tolerance_list
from ipfin.stats import charts
from ipfin.stats.domain import DEFINITIONS, Dimension, Figures, Period, PeriodError, parse_period
from ipfin.stats.selectors import IndicatorTable, ParkGrowth, indicator_table, park_growth

__all__ = [
    "PDF_CONTENT_TYPE",
    "XLSX_CONTENT_TYPE",
    "MonitoringReport",
    "monitoring_report",
    "report_pdf",
    "report_workbook",
]

PDF_CONTENT_TYPE = "application/pdf"
WAN_FORMAT = "#,##0.00"
TREND_QUARTERS = 8
BREAKDOWNS: tuple[tuple[Dimension, str], ...] = (
    (Dimension.BANK, "分银行"),
    (Dimension.REGION, "分地区"),
    (Dimension.RIGHT_KIND, "分权利类型"),
    (Dimension.PARK, "分园区"),
)
# (heading, unit, how a row's figures give it): the columns of every table, in order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("新增贷款笔数", "count"),
    ("新增贷款金额（万元）", "wan"),
    ("贷款余额（万元）", "wan"),
    ("客户数", "count"),
    ("首贷户数", "count"),
    ("纯知识产权质押笔数", "count"),
    ("平均质押率", "ratio"),
    ("平均利率", "ratio"),
    ("不良贷款余额（万元）", "wan"),
    ("不良率", "ratio"),
    ("贴息（万元）", "wan"),
    ("风险补偿（万元）", "wan"),
)


def _values(figures: Figures) -> list[Any]:
    """A row's figures in COLUMNS' order: counts, amounts in 万元, ratios as Decimals."""
    return [
        figures.new_loans,
        wan_yuan(Decimal(figures.new_loan_fen).scaleb(-2)),
        wan_yuan(Decimal(figures.balance_fen).scaleb(-2)),
        figures.customers,
        figures.first_time_borrowers,
        figures.sole_ip_collateral,
        figures.avg_pledge_rate,
        figures.avg_rate,
        wan_yuan(Decimal(figures.npl_fen).scaleb(-2)),
        figures.npl_ratio,
        wan_yuan(Decimal(figures.subsidies_fen).scaleb(-2)),
        wan_yuan(Decimal(figures.compensation_fen).scaleb(-2)),
    ]


def _text(value: Any, unit: str) -> str:
    if unit == "count":
        return f"{value:,}"
    if unit == "wan":
        return f"{value:,.2f}"
    return percent(value)  # half up, as the dashboard and the workbook's 0.00% show it


@dataclass(frozen=True)
class MonitoringReport:
    period: Period
    scope: StatsScope
    total: Figures
    breakdowns: list[tuple[str, IndicatorTable]]
    trend: IndicatorTable
    park_growth: list[ParkGrowth]
    npl: list[BankNplFigures]
    npl_quarter: Quarter | None
    generated_on: date

    @property
    def title(self) -> str:
        if self.period.is_year:
            return f"知识产权质押融资年度监测报告（{self.period.name}年）"
        quarter = Quarter(int(self.period.name[:4]), int(self.period.name[5]))
        return f"知识产权质押融资季度监测报告（{quarter.year}年第{quarter.number}季度）"

    @property
    def scope_text(self) -> str:
        if self.scope.bank_id is not None:
            return "统计范围：本行发放的知识产权质押贷款"
        if self.scope.park_id is not None:
            return "统计范围：本园区入园企业的知识产权质押贷款"
        return "统计范围：平台登记的全部知识产权质押贷款"


def trend_period(period: Period) -> Period:
    """A year: its own four quarters; a quarter or a range: the eight quarters ending with it."""
    if period.is_year:
        return period
    last = Quarter.of(period.end)
    first = last
    for _ in range(TREND_QUARTERS - 1):
        first = first.previous()
    return Period(first.first_day, period.end, f"{first}..{last}")


def monitoring_report(
    *, actor: Actor, period: Period, today: date | None = None
) -> MonitoringReport:
    scope = stats_scope(actor)
    day = today or timezone.localdate()
    if period.start <= day < period.end:
        # A period still running (the dashboard's 本季度，截至今日) is reported as of today: as of
        # its last day, instalments due today would count overdue by days yet to come, and a
        # loan 60 days late would read as non-performing (over 90 days).
        period = Period(period.start, day, period.name)
    breakdowns = [
        (title, indicator_table(actor=actor, period=period, by=by)) for by, title in BREAKDOWNS
    ]
    trend = indicator_table(actor=actor, period=trend_period(period), by=Dimension.QUARTER)
    npl_quarter = Quarter.of(period.end)
    npl: list[BankNplFigures] = []
    if npl_quarter.ended(day) and scope.park_id is None:
        npl_quarter, npl = npl_tolerance_list(actor=actor, period=str(npl_quarter), today=day)
    else:
        npl_quarter = None  # type: ignore[assignment]
    return MonitoringReport(
        period=period,
        scope=scope,
        total=breakdowns[0][1].total,
        breakdowns=breakdowns,
        trend=trend,
        park_growth=park_growth(actor=actor, year=period.end.year),
        npl=npl,
        npl_quarter=npl_quarter,
        generated_on=day,
    )


# --- Excel -------------------------------------------------------------------------------------


def _sheet(wb: Workbook, title: str, header: Sequence[str], *, first: bool = False) -> Worksheet:
    ws = header_sheet(wb, title, header, first=first)
    ws.column_dimensions["A"].width = 36
    return ws


def _format_row(ws: Worksheet, units: Sequence[str], offset: int = 2) -> None:
    row = ws[ws.max_row]
    for index, unit in enumerate(units):
        cell = row[index + offset - 1]
        if unit == "wan":
            cell.number_format = WAN_FORMAT
        elif unit == "ratio":
            cell.number_format = EXCEL_PERCENT_FORMAT


def _figure_sheet(wb: Workbook, title: str, table: IndicatorTable) -> None:
    ws = _sheet(wb, title, ["名称", *(heading for heading, _ in COLUMNS)])
    units = [unit for _, unit in COLUMNS]
    for row in table.rows:
        append_row(ws, [row.label, *_values(row.figures)])
        _format_row(ws, units)
    append_row(ws, ["合计", *_values(table.total)])
    _format_row(ws, units)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)


def report_workbook(report: MonitoringReport) -> bytes:
    wb = Workbook()
    ws = _sheet(wb, "总体情况", ["指标", "数值"], first=True)
    append_row(ws, ["报告", report.title])
    append_row(ws, ["统计期", f"{report.period.start} 至 {report.period.end}"])
    append_row(ws, ["范围", report.scope_text.removeprefix("统计范围：")])
    append_row(ws, ["生成日期", report.generated_on.isoformat()])
    for (heading, unit), value in zip(COLUMNS, _values(report.total), strict=True):
        append_row(ws, [heading, value])
        _format_row(ws, [unit])
    for title, table in report.breakdowns:
        _figure_sheet(wb, title, table)
    _figure_sheet(wb, "季度趋势", report.trend)
    growth = _sheet(
        wb,
        "园区增长",
        ["园区", "本年笔数", "本年金额（万元）", "上年笔数", "上年金额（万元）", "笔数增长率",
         "金额增长率", "达到20%目标"],
    )  # fmt: skip
    for park in report.park_growth:
        append_row(growth, _growth_values(park))
        _format_row(growth, ["count", "wan", "count", "wan", "ratio", "ratio"])
    if report.npl_quarter is not None:
        npl = _sheet(
            wb,
            "不良容忍度",
            ["银行", "知识产权质押贷款余额（万元）", "其中不良（万元）", "不良率", "全行不良率",
             "容忍上限", "在容忍度内"],
        )  # fmt: skip
        for bank in report.npl:
            append_row(npl, _npl_values(bank))
            _format_row(npl, ["wan", "wan", "ratio", "ratio", "ratio"])
    notes = _sheet(wb, "附注", ["指标", "口径"])
    notes.column_dimensions["B"].width = 120
    for _name, zh, _en in DEFINITIONS:
        heading, _, text = zh.partition("：")
        append_row(notes, [heading, text])
    append_row(
        notes, ["金额单位", "万元，保留两位小数，四舍五入；比率以百分比表示，保留两位小数。"]
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _growth_values(park: ParkGrowth) -> list[Any]:
    return [
        park.park_name,
        park.projects,
        wan_yuan(Decimal(park.amount_fen).scaleb(-2)),
        park.prev_projects,
        wan_yuan(Decimal(park.prev_amount_fen).scaleb(-2)),
        park.projects_growth,
        park.amount_growth,
        "是" if park.meets_target else ("无上年基数" if park.projects_growth is None else "否"),
    ]


def _npl_values(bank: BankNplFigures) -> list[Any]:
    return [
        bank.bank_name,
        wan_yuan(bank.ip_balance),
        wan_yuan(bank.ip_npl_balance),
        ratio_6(bank.ip_npl_ratio),
        bank.bank_npl_ratio,
        None if bank.limit is None else ratio_6(bank.limit),
        "未报送" if bank.tolerated is None else ("是" if bank.tolerated else "否"),
    ]


# --- PDF -----------------------------------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("report", fontName=FONT, fontSize=9.5, leading=15, wordWrap="CJK")
    return {
        "base": base,
        "title": ParagraphStyle(
            "report-title", parent=base, fontName=FONT_BOLD, fontSize=16, leading=24, alignment=1
        ),
        "h2": ParagraphStyle(
            "report-h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=12,
            leading=20,
            spaceBefore=8,
            keepWithNext=1,
        ),
        "cell": ParagraphStyle("report-cell", parent=base, fontSize=7.5, leading=10),
        "note": ParagraphStyle("report-note", parent=base, fontSize=8.5, leading=13),
    }


_TABLE_STYLE = TableStyle(
    [
        TABLE_FONT,
        ("FONT", (0, 0), (-1, -1), FONT, 7.5),
        ("FONT", (0, 0), (-1, 0), FONT_BOLD, 7.5),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
)


def _figure_table(table: IndicatorTable, styles: dict[str, ParagraphStyle]) -> Table:
    header = [Paragraph("名称", styles["cell"])] + [
        Paragraph(heading, styles["cell"]) for heading, _ in COLUMNS
    ]
    body = [
        [Paragraph(escape(row.label), styles["cell"])]
        + [_text(v, unit) for v, (_, unit) in zip(_values(row.figures), COLUMNS, strict=True)]
        for row in table.rows
    ]
    total = [Paragraph("合计", styles["cell"])] + [
        _text(v, unit) for v, (_, unit) in zip(_values(table.total), COLUMNS, strict=True)
    ]
    widths = [48 * mm] + [18.5 * mm] * len(COLUMNS)
    out = Table([header, *body, total], colWidths=widths, repeatRows=1)
    out.setStyle(_TABLE_STYLE)
    out.setStyle(TableStyle([("FONT", (0, -1), (-1, -1), FONT_BOLD, 7.5)]))
    return out


def report_pdf(report: MonitoringReport) -> bytes:
    register_fonts()
    styles = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=report.title,
        author="ipfin",
        creator="ipfin",
        **DOC_KWARGS,
    )
    story: list[Flowable] = [
        Paragraph(escape(report.title), styles["title"]),
        Paragraph(
            escape(
                f"统计期：{report.period.start} 至 {report.period.end}　{report.scope_text}　"
                f"生成日期：{report.generated_on}　金额单位：万元"
            ),
            styles["base"],
        ),
        Spacer(1, 4 * mm),
        Paragraph("一、总体情况", styles["h2"]),
        Paragraph(escape(_summary(report.total)), styles["base"]),
        Spacer(1, 3 * mm),
        charts.trend_chart(report.trend, width=250 * mm, height=70 * mm),
    ]
    numerals = "二三四五"
    for (title, table), numeral in zip(report.breakdowns, numerals, strict=True):
        story += [Paragraph(f"{numeral}、{title}", styles["h2"])]
        if table.by == Dimension.BANK and table.rows:
            story.append(charts.breakdown_chart(table, width=250 * mm, height=60 * mm))
        story.append(_figure_table(table, styles))
    story += [Paragraph("六、季度趋势", styles["h2"]), _figure_table(report.trend, styles)]
    year = report.period.end.year
    heading = f"七、园区增长（{year}年，目标：笔数与金额均增长20%以上）"
    story += [Paragraph(heading, styles["h2"])]
    story.append(_growth_table(report.park_growth, styles))
    if report.npl_quarter is not None:
        story += [
            Paragraph(f"八、不良容忍度（{report.npl_quarter}末）", styles["h2"]),
            _npl_table(report.npl, styles),
        ]
    story.append(Paragraph("附注：指标口径", styles["h2"]))
    for _name, zh, _en in DEFINITIONS:
        story.append(Paragraph(escape(zh), styles["note"]))
    story.append(
        Paragraph("金额单位为万元，保留两位小数，四舍五入；比率以百分比表示。", styles["note"])
    )
    doc.build(story)
    return buffer.getvalue()


def _summary(total: Figures) -> str:
    values = _values(total)
    return (
        f"新增贷款 {values[0]:,} 笔、{values[1]:,.2f} 万元，其中首贷户 {values[4]:,} 户；"
        f"期末贷款余额 {values[2]:,.2f} 万元，客户 {values[3]:,} 户；"
        f"平均质押率 {_text(values[6], 'ratio')}，平均利率 {_text(values[7], 'ratio')}；"
        f"不良贷款余额 {values[8]:,.2f} 万元，不良率 {_text(values[9], 'ratio')}；"
        f"贴息 {values[10]:,.2f} 万元，风险补偿 {values[11]:,.2f} 万元。"
    )


def _growth_table(rows: list[ParkGrowth], styles: dict[str, ParagraphStyle]) -> Table:
    header = ["园区", "本年笔数", "本年金额", "上年笔数", "上年金额", "笔数增长率", "金额增长率",
              "达到目标"]  # fmt: skip
    body = []
    for park in rows:
        values = _growth_values(park)
        body.append(
            [Paragraph(escape(values[0]), styles["cell"]), f"{values[1]:,}", f"{values[2]:,.2f}",
             f"{values[3]:,}", f"{values[4]:,.2f}",
             "—" if values[5] is None else _text(values[5], "ratio"),
             "—" if values[6] is None else _text(values[6], "ratio"), values[7]]
        )  # fmt: skip
    if not body:
        body.append(["无", "", "", "", "", "", "", ""])
    table = Table([header, *body], colWidths=[70 * mm] + [25 * mm] * 7, repeatRows=1)
    table.setStyle(_TABLE_STYLE)
    return table


def _npl_table(rows: list[BankNplFigures], styles: dict[str, ParagraphStyle]) -> Table:
    header = ["银行", "质押贷款余额", "其中不良", "不良率", "全行不良率", "容忍上限", "在容忍度内"]
    body = []
    for bank in rows:
        values = _npl_values(bank)
        body.append(
            [Paragraph(escape(values[0]), styles["cell"]), f"{values[1]:,.2f}",
             f"{values[2]:,.2f}", _text(values[3], "ratio"),
             "—" if values[4] is None else _text(values[4], "ratio"),
             "—" if values[5] is None else _text(values[5], "ratio"), values[6]]
        )  # fmt: skip
    if not body:
        body.append(["无", "", "", "", "", "", ""])
    table = Table([header, *body], colWidths=[70 * mm] + [28 * mm] * 6, repeatRows=1)
    table.setStyle(_TABLE_STYLE)
    return table


# --- the report built in the background (ipfin.stats.jobs) -------------------------------------

REPORT_EXPORT_JOB = "monitoring_report_export"
REPORT_FORMATS = ("pdf", "xlsx")


def report_period(period: str) -> Period:
    """`period` (2026Q3, 2026) parsed: else 422 `period_invalid` on its field."""
    try:
        return parse_period(period)
    except PeriodError as error:
        raise invalid(error.field, "period_invalid", error.message_zh, error.message_en) from None


def _report_format(fmt: str) -> str:
    if fmt not in REPORT_FORMATS:
        raise invalid(
            "format", "format_invalid", "格式应为 pdf 或 xlsx。", "format must be pdf or xlsx."
        )
    return fmt


def scope_key(actor: Actor) -> str:
    """The actor's monitoring scope as text ("all", "bank:<id>", "park:<id>"): what a report
    requested in the background is built over and read under."""
    scope = stats_scope(actor)
    if scope.park_id is not None:
        return f"park:{scope.park_id}"
    return f"bank:{scope.bank_id}" if scope.bank_id is not None else "all"


def monitoring_report_file(
    *, actor: Actor, period: str, fmt: str, requested_scope: str | None = None
) -> ExportFile:
    """The report of `period` (2026Q3, 2026) over the loans `actor` may see, as PDF or Excel
    (422 `period_invalid`, `format_invalid`). `requested_scope` (scope_key when it was asked
    for): refused (403 `stats_scope_changed`) if the actor's scope is another one now."""
    if requested_scope is not None and scope_key(actor) != requested_scope:
        raise PermissionDenied(
            "您的统计范围在提交后已变更，报告未生成；请重新提交。",
            "Your statistics scope changed after the request: the report was not built. Ask "
            "for it again.",
            code="stats_scope_changed",
        )
    report = monitoring_report(actor=actor, period=report_period(period))
    if _report_format(fmt) == "pdf":
        data, content_type = report_pdf(report), PDF_CONTENT_TYPE
    else:
        data, content_type = report_workbook(report), XLSX_CONTENT_TYPE
    return ExportFile(
        name=f"ipfin-monitoring-{report.period.name}.{fmt}",
        content_type=content_type,
        data=data,
        rows=None,  # a report, not rows
    )


def monitoring_report_request(*, actor: User, period: str, fmt: str) -> JobRun:
    """monitoring_report_file as a background run, built as the requester over their scope
    as it is now (a bank its own loans; the run refuses if it has changed) and read by them
    alone while their scope is the same; the period and the format are checked now (422,
    nothing queued). One report of the requester's at a time (409 `job_running`)."""
    key = scope_key(actor)  # 401/403 now, not in the run
    clean_period, clean_fmt = report_period(period), _report_format(fmt)
    return job_request_run(
        actor=actor,
        name=REPORT_EXPORT_JOB,
        scope=f"user:{actor.pk}",
        params={"period": clean_period.name, "format": clean_fmt, "stats_scope": key},
    )


def report_run_readable(user: User, run: JobRun) -> bool:
    """A report run is read (its file downloaded) only under the scope it was built over."""
    try:
        return scope_key(user) == run.params.get("stats_scope")
    except DomainError:
        return False
