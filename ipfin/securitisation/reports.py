"""The pool's investor report (资产池测算报告), PDF and Excel, from a pool preview
(ipfin.securitisation.services.pool_preview): the pool (loans, balance, cut-off day), the loans
left out and why, the concentration by borrower and by industry, the tranches, each tranche's
expected loss and probability of loss in the base case and under each stress, the projected cash
flows by month, and the notes with the model and its assumptions.

Amounts in 万元 to two decimals (`ipfin.common.money.wan_yuan`, half-up once from the exact
amount), shares and probabilities as percentages. The workbook keeps every figure a number; text
goes through `ipfin.common.excel.append_row` (tranche and stress names are the caller's: formula
injection). The PDF is set in the embedded font of every PDF (ipfin.common.pdf), in Chinese.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ipfin.common.display import EXCEL_PERCENT_FORMAT, percent
from ipfin.common.excel import XLSX_CONTENT_TYPE, append_row, header_sheet
from ipfin.common.money import wan_yuan
from ipfin.common.pdf import DOC_KWARGS, FONT, FONT_BOLD, TABLE_FONT, register_fonts
from ipfin.risk.domain.ratios import ratio_text
from ipfin.securitisation.services import PoolPreview

__all__ = [
    "PDF_CONTENT_TYPE",
    "XLSX_CONTENT_TYPE",
    "ReportContext",
    "investor_report_pdf",
    "investor_report_workbook",
]

PDF_CONTENT_TYPE = "application/pdf"
WAN_FORMAT = "#,##0.00"
TOP = 10  # borrowers and industries listed by share
REASONS_ZH = {
    "not_performing": "非正常类或已逾期",
    "too_short": "剩余期限不足",
    "obligor_limit": "超过单一借款人集中度上限",
    "industry_limit": "超过单一行业集中度上限",
}


@dataclass(frozen=True)
class ReportContext:
    """What the report says besides the preview: who made it and the assumptions asked for."""

    bank: str
    monthly_pd: Decimal
    recovery_rate: Decimal
    senior_fee_rate: Decimal
    scenarios: int
    seed: int
    max_obligor_share: Decimal
    max_industry_share: Decimal
    borrowers: dict[int, str]  # the pool's borrowers' names by id
    # The eligibility rules the pool was selected by (pools.PoolRules), as the notes state them.
    performing_only: bool = True
    min_months_left: int = 1


def _wan(fen: int) -> Decimal:
    return wan_yuan(Decimal(fen).scaleb(-2))


def _percent(value: float | Decimal) -> str:
    """A share or a probability (the simulation's are floats) as the platform shows a ratio."""
    return percent(Decimal(str(value)))


def _concentration(preview: PoolPreview, key: str, context: ReportContext) -> list[tuple[str, int]]:
    """The TOP borrowers (key "obligor") or industries by balance in the pool, largest first."""
    sums: dict[str, int] = defaultdict(int)
    for loan in preview.selection.included:
        if key == "obligor":
            name = context.borrowers.get(loan.obligor, f"#{loan.obligor}")
        else:
            name = loan.industry or "未填行业"
        sums[name] += loan.balance_fen
    return sorted(sums.items(), key=lambda item: (-item[1], item[0]))[:TOP]


def _eligibility(context: ReportContext) -> str:
    """The eligibility rules as applied: the notes had stated the default ones whatever the
    request asked, so a pool taken with overdue loans read as a pool of performing ones."""
    classified = "正常类、无逾期" if context.performing_only else "不限五级分类，含逾期贷款"
    months = context.min_months_left
    left = f"剩余期限不少于 {months} 个月" if months > 0 else "不限剩余期限"
    return f"{classified}、{left}"


def _notes(context: ReportContext, preview: PoolPreview) -> list[str]:
    return [
        f"截止日：{preview.cutoff.isoformat()}；入池条件：{_eligibility(context)}；"
        f"单一借款人不超过资产池余额的 {_percent(context.max_obligor_share)}，单一行业不超过 "
        f"{_percent(context.max_industry_share)}（超限时逐笔剔除集中度最高者中余额最大的贷款）。",
        "现金流：各笔贷款未结清还款计划的应收本金与利息，按截止日后的月份归集。",
        f"违约模型：每笔贷款每月违约概率 {_percent(context.monthly_pd)}，"
        f"违约当月回收当期期初本金的 {_percent(context.recovery_rate)}，其后无现金流；"
        "压力情景按违约概率倍数与回收率扣减调整。",
        f"分配顺序：优先费用（每月为资产池余额的 {_percent(context.senior_fee_rate)}）→ 各档利息"
        "（按顺序，不足部分结转且不计息）→ 各档本金（按顺序）→ 剩余归次级/权益持有人。",
        f"模拟：{context.scenarios:,} 个情景，随机种子 {context.seed}，同一输入结果可复现。"
        "预期损失为各情景期末未获偿付本息的平均值占该档初始本金的比例；损失概率为出现任何损失的情景占比。",
        "金额单位：万元，保留两位小数，四舍五入（分项之和与合计可能存在尾差）。"
        "本报告为测算结果，不构成投资建议。",
    ]


# --- Excel ----------------------------------------------------------------------------------------


def investor_report_workbook(preview: PoolPreview, context: ReportContext) -> bytes:
    wb = Workbook()
    ws = header_sheet(wb, "资产池概况", ["项目", "数值"], first=True)
    ws.column_dimensions["A"].width = 30
    append_row(ws, ["发起机构", context.bank])
    append_row(ws, ["截止日", preview.cutoff.isoformat()])
    append_row(ws, ["入池贷款笔数", len(preview.selection.included)])
    append_row(ws, ["资产池余额（万元）", _wan(preview.balance_fen)])
    ws.cell(row=ws.max_row, column=2).number_format = WAN_FORMAT
    append_row(ws, ["剔除贷款笔数", len(preview.selection.excluded)])
    tranches = header_sheet(
        wb, "分层与压力测试", ["证券", "本金（万元）", "每月利率", "情景", "预期损失", "损失概率"]
    )
    tranches.column_dimensions["A"].width = 20
    for spec in preview.tranches:
        for outcome in preview.results:
            append_row(
                tranches,
                [
                    spec.name,
                    _wan(spec.balance_fen),
                    Decimal(spec.rate_e8).scaleb(-8),
                    outcome.stress.name,
                    round(outcome.result.expected_loss(spec.name), 6),
                    round(outcome.result.loss_probability(spec.name), 6),
                ],
            )
            row = tranches[tranches.max_row]
            row[1].number_format = WAN_FORMAT
            row[4].number_format = EXCEL_PERCENT_FORMAT
            row[5].number_format = EXCEL_PERCENT_FORMAT
    flows = header_sheet(wb, "现金流预测", ["月份", "本金（万元）", "利息（万元）"])
    for month, (principal, interest) in enumerate(
        zip(preview.monthly_principal, preview.monthly_interest, strict=True), start=1
    ):
        append_row(flows, [month, _wan(principal), _wan(interest)])
        for cell in flows[flows.max_row][1:]:
            cell.number_format = WAN_FORMAT
    spread = header_sheet(wb, "集中度", ["维度", "名称", "余额（万元）", "占比"])
    for label, key in (("借款人", "obligor"), ("行业", "industry")):
        for name, fen in _concentration(preview, key, context):
            share = Decimal(fen) / preview.balance_fen if preview.balance_fen else Decimal(0)
            append_row(spread, [label, name, _wan(fen), round(share, 6)])
            spread[spread.max_row][2].number_format = WAN_FORMAT
            spread[spread.max_row][3].number_format = EXCEL_PERCENT_FORMAT
    left_out = header_sheet(wb, "剔除明细", ["贷款编号", "原因"])
    for loan_id, reason in sorted(preview.selection.excluded.items()):
        append_row(left_out, [loan_id, REASONS_ZH.get(reason, reason)])
    notes = header_sheet(wb, "附注", ["说明"])
    notes.column_dimensions["A"].width = 140
    for line in _notes(context, preview):
        append_row(notes, [line])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- PDF ------------------------------------------------------------------------------------------

_TABLE_STYLE = TableStyle(
    [
        TABLE_FONT,
        ("FONT", (0, 0), (-1, -1), FONT, 8),
        ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
)


def _table(rows: list[list[Any]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(_TABLE_STYLE)
    return table


def investor_report_pdf(preview: PoolPreview, context: ReportContext) -> bytes:
    register_fonts()
    base = ParagraphStyle("abs", fontName=FONT, fontSize=9.5, leading=15, wordWrap="CJK")
    title = ParagraphStyle("abs-title", parent=base, fontName=FONT_BOLD, fontSize=16, leading=24)
    h2 = ParagraphStyle(
        "abs-h2", parent=base, fontName=FONT_BOLD, fontSize=12, leading=20, spaceBefore=8
    )
    cell = ParagraphStyle("abs-cell", parent=base, fontSize=8, leading=10)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title="知识产权质押贷款资产池测算报告",
        author="ipfin",
        creator="ipfin",
        **DOC_KWARGS,
    )
    story: list[Flowable] = [
        Paragraph("知识产权质押贷款资产池测算报告", title),
        Paragraph(
            escape(
                f"发起机构：{context.bank}　截止日：{preview.cutoff.isoformat()}　金额单位：万元"
            ),
            base,
        ),
        Spacer(1, 4 * mm),
        Paragraph("一、资产池概况", h2),
        Paragraph(
            escape(
                f"入池贷款 {len(preview.selection.included):,} 笔，"
                f"资产池余额 {_wan(preview.balance_fen):,.2f} 万元；"
                f"剔除 {len(preview.selection.excluded):,} 笔。"
            ),
            base,
        ),
        Paragraph("二、分层与压力测试", h2),
    ]
    rows: list[list[Any]] = [["证券", "本金", "每月利率", "情景", "预期损失", "损失概率"]]
    for spec in preview.tranches:
        for outcome in preview.results:
            rows.append(
                [
                    Paragraph(escape(spec.name), cell),
                    f"{_wan(spec.balance_fen):,.2f}",
                    ratio_text(Decimal(spec.rate_e8).scaleb(-8)),
                    Paragraph(escape(outcome.stress.name), cell),
                    _percent(outcome.result.expected_loss(spec.name)),
                    _percent(outcome.result.loss_probability(spec.name)),
                ]
            )
    story.append(_table(rows, [34 * mm, 28 * mm, 22 * mm, 34 * mm, 30 * mm, 30 * mm]))
    story.append(Paragraph("三、集中度（前十）", h2))
    spread: list[list[Any]] = [["维度", "名称", "余额", "占比"]]
    for label, key in (("借款人", "obligor"), ("行业", "industry")):
        for name, fen in _concentration(preview, key, context):
            share = Decimal(fen) / preview.balance_fen if preview.balance_fen else Decimal(0)
            spread.append(
                [label, Paragraph(escape(name), cell), f"{_wan(fen):,.2f}", _percent(share)]
            )
    story.append(_table(spread, [24 * mm, 84 * mm, 35 * mm, 35 * mm]))
    story.append(Paragraph("四、现金流预测", h2))
    flows: list[list[Any]] = [["月份", "本金", "利息"]]
    for month, (principal, interest) in enumerate(
        zip(preview.monthly_principal, preview.monthly_interest, strict=True), start=1
    ):
        flows.append([str(month), f"{_wan(principal):,.2f}", f"{_wan(interest):,.2f}"])
    story.append(_table(flows, [30 * mm, 50 * mm, 50 * mm]))
    if preview.selection.excluded:
        story.append(Paragraph("五、剔除明细", h2))
        left_out: list[list[Any]] = [["贷款编号", "原因"]]
        for loan_id, reason in sorted(preview.selection.excluded.items()):
            left_out.append([f"#{loan_id}", REASONS_ZH.get(reason, reason)])
        story.append(_table(left_out, [40 * mm, 100 * mm]))
    story.append(Paragraph("附注", h2))
    for line in _notes(context, preview):
        story.append(Paragraph(escape(line), base))
    doc.build(story)
    return buffer.getvalue()
