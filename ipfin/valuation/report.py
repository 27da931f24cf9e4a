"""The valuation report: a PDF a bank can file (ReportLab).

`valuation_report_pdf(valuation, scores=..., language=...)` lays out: title and report number,
issuer, right holder and dates, the rights valued with their legal status on the valuation date,
the approach and its formula in words with the term of GB/T 42748-2023《专利评估指引》, the
inputs, the calculation (per-year income table, cost breakdown or adjusted comparables), the value
in 元 and 万元, the Monte Carlo P10–P90 range when one was run, each right's indicator score with
a bar chart of each indicator's contribution (at most `REPORT_SCORE_LIMIT` rights of a package,
with a note beyond), the recheck (the bank's own value of the rights
against the report's, the deviation and threshold, where the bank's figures came from and, for
information, its collateral value and loan, one line per right), the issuer and date, and a
disclaimer.

Chinese renders with ReportLab's built-in CID font STSong-Light (Adobe's Asian font pack names it;
PDF readers supply the glyphs), so no font file is needed on the machine that makes the report.

The words and tables come from `ipfin.valuation.presentation`, which the valuation page shows
too, so the page and the filed report agree. The PDF is rendered under
`translation.override(language)`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ipfin.valuation.charts import Bar, contribution_bars, range_bar
from ipfin.valuation.presentation import (
    REPORT_SCORE_LIMIT,
    calculation_table,
    field_of,
    input_rows,
    is_english,
    issue_date,
    method_formula,
    method_name,
    recheck_note,
    recheck_table,
    recheck_text,
    report_number,
    right_rows,
    score_limit_note,
    state_label,
    valuation_date,
    valuation_rights,
    value_text,
    yuan_text,
)

__all__ = ["FONT", "valuation_report_pdf"]

FONT = "STSong-Light"  # ReportLab's built-in CID font (Adobe-GB1): no font file needed
STANDARD = "GB/T 42748-2023"

_font_registered = False


def _register_font() -> None:
    global _font_registered
    if not _font_registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _font_registered = True


# --- the PDF -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Styles:
    title: ParagraphStyle
    h2: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    value: ParagraphStyle


def _styles() -> _Styles:
    base = ParagraphStyle("ipfin-body", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK")
    return _Styles(
        title=ParagraphStyle(
            "ipfin-title", parent=base, fontSize=18, leading=26, alignment=TA_CENTER
        ),
        h2=ParagraphStyle(
            "ipfin-h2",
            parent=base,
            fontSize=12.5,
            leading=18,
            spaceBefore=9,
            spaceAfter=4,
            textColor=colors.HexColor("#0b5cad"),
        ),
        body=base,
        small=ParagraphStyle("ipfin-small", parent=base, fontSize=8.5, leading=12),
        cell=ParagraphStyle("ipfin-cell", parent=base, fontSize=8.5, leading=11.5),
        value=ParagraphStyle("ipfin-value", parent=base, fontSize=15, leading=22),
    )


_CN_NUMERALS = "零一二三四五六七八九十"
_GRID = colors.HexColor("#c4cdd5")
_HEAD = colors.HexColor("#eef2f6")
_BRAND = colors.HexColor("#0b5cad")


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _table(
    headers: Sequence[str] | None,
    rows: Sequence[Sequence[str]],
    st: _Styles,
    *,
    widths: Sequence[float] | None = None,
    numeric: Sequence[bool] | None = None,
) -> Table:
    data: list[list[Any]] = []
    if headers:
        data.append([_p(h, st.cell) for h in headers])
    right = ParagraphStyle("ipfin-cell-num", parent=st.cell, alignment=2)
    for row in rows:
        data.append(
            [
                _p(cell, right if numeric and i < len(numeric) and numeric[i] else st.cell)
                for i, cell in enumerate(row)
            ]
        )
    table = Table(data, colWidths=list(widths) if widths else None, repeatRows=1 if headers else 0)
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, _GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if headers:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), _HEAD))
    table.setStyle(TableStyle(commands))
    return table


def _facts_table(pairs: Sequence[tuple[str, str]], st: _Styles, width: float) -> Table:
    table = _table(None, [list(p) for p in pairs], st, widths=[width * 0.3, width * 0.7])
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (0, -1), _HEAD)]))
    return table


def _contribution_chart(bars: Sequence[Bar], width: float) -> Drawing:
    """Horizontal bars, one per indicator, length ∝ points added to the score."""
    row, bar_h, label_w, value_w = 15.0, 10.0, 150.0, 45.0
    height = row * len(bars) + 14
    drawing = Drawing(width, height)
    span = width - label_w - value_w
    fills = {
        "legal": colors.HexColor("#0b5cad"),
        "technical": colors.HexColor("#1b7f3b"),
        "economic": colors.HexColor("#b54708"),
    }
    english = is_english()
    for i, bar in enumerate(bars):
        y = height - (i + 1) * row
        label = bar.label("en" if english else "zh")
        if bar.missing:
            label += _("（无数据）")
        drawing.add(String(0, y + 2, label, fontName=FONT, fontSize=7.5))
        length = max(bar.fraction * span, 0.5)
        drawing.add(
            Rect(
                label_w,
                y,
                length,
                bar_h,
                fillColor=fills.get(bar.dimension, colors.grey),
                strokeColor=None,
            )
        )
        drawing.add(
            String(label_w + length + 4, y + 2, f"{bar.points:.1f}", fontName=FONT, fontSize=7.5)
        )
    drawing.add(Line(label_w, 0, label_w, height - 10, strokeColor=_GRID, strokeWidth=0.5))
    return drawing


def _range_chart(mc: Mapping[str, Any], value: Any, width: float) -> Drawing:
    """The P10–P90 interval as a bar on an axis, the median and the reported value marked."""
    rb = range_bar(mc["p10"], mc["p50"], mc["p90"], value)
    height = 34.0
    drawing = Drawing(width, height)
    drawing.add(Line(0, 14, width, 14, strokeColor=_GRID, strokeWidth=1))
    drawing.add(
        Rect(
            rb.p10_at * width,
            8,
            max(rb.width * width, 1),
            12,
            fillColor=colors.HexColor("#cfe1f7"),
            strokeColor=_BRAND,
            strokeWidth=0.5,
        )
    )
    drawing.add(
        Line(rb.p50_at * width, 5, rb.p50_at * width, 23, strokeColor=_BRAND, strokeWidth=1.5)
    )
    if rb.value_at is not None:
        x = rb.value_at * width
        drawing.add(Line(x, 3, x, 25, strokeColor=colors.HexColor("#b42318"), strokeWidth=1.2))
    for at, text in ((rb.p10_at, "P10"), (rb.p50_at, "P50"), (rb.p90_at, "P90")):
        drawing.add(String(at * width, 26, text, fontName=FONT, fontSize=7, textAnchor="middle"))
    return drawing


def valuation_report_pdf(
    valuation: Any,
    *,
    score: Any = None,
    scores: Sequence[tuple[Any, Any]] | None = None,
    language: str = "zh",
) -> bytes:
    """The valuation report as PDF bytes, in Chinese (`language="zh"`) or English ("en").

    `valuation` is a `Valuation` (method, inputs, result, value, state, rights, organisation,
    recheck fields); `scores` the indicator scores of the rights valued, (right, score or None)
    in the package's order, each with its contributions: the first `REPORT_SCORE_LIMIT` are
    shown, and a note says how many rights the package has beyond. `score` alone is the first
    right's score (`scores=[(first right, score)]`). Neither: no score section.
    """
    if scores is None and score is not None:
        rights = valuation_rights(valuation)
        scores = [(rights[0] if rights else None, score)]
    _register_font()
    with translation.override("en" if language.startswith("en") else "zh-hans"):
        return _build(valuation, list(scores or []))


def _score_block(right: Any, score: Any, st: _Styles, width: float, *, named: bool) -> list[Any]:
    """One right's score: the total, grade and dimensions, then its contribution chart. `named`
    puts the right's number and title first (a package of several rights)."""
    label = f"{field_of(right, 'number') or ''} {field_of(right, 'title') or ''}".strip()
    if score is None:
        return [_p(f"{label}：{_('暂无价值度评分。')}", st.body)]
    bars = contribution_bars(field_of(score, "contributions") or [])
    dims = field_of(score, "dimensions") or {}
    dim_text = "，".join(
        f"{name} {float(dims[key]):.1f}"
        for key, name in (
            ("legal", _("法律")),
            ("technical", _("技术")),
            ("economic", _("经济")),
        )
        if key in dims
    )
    summary = _("综合得分 %(score)s（等级 %(grade)s）；%(dims)s。") % {
        "score": f"{float(field_of(score, 'score') or 0):.1f}",
        "grade": field_of(score, "grade") or "—",
        "dims": dim_text,
    }
    return [
        _p(f"{label}：{summary}" if named and label else summary, st.body),
        Spacer(1, 2 * mm),
        _contribution_chart(bars, width),
    ]


def _build(valuation: Any, scores: list[tuple[Any, Any]]) -> bytes:
    st = _styles()
    buffer = io.BytesIO()
    number = report_number(valuation)
    state = str(field_of(valuation, "state") or "")
    title = _("知识产权价值评估报告")
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=20 * mm,
        bottomMargin=18 * mm,
        title=f"{title} {number}",
        author=str(field_of(field_of(valuation, "organisation"), "name") or "ipfin"),
        subject=method_name(str(valuation.method)),
        creator="ipfin",
    )
    width = doc.width
    draft = state == "draft"
    header_right = f"{number}" + (f"  {_('草稿')} DRAFT" if draft else "")
    page_label = _("第 %(page)s 页")

    def decorate(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillColor(colors.HexColor("#616e7c"))
        canvas.drawString(doc.leftMargin, A4[1] - 12 * mm, title)
        canvas.drawRightString(A4[0] - doc.rightMargin, A4[1] - 12 * mm, header_right)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, page_label % {"page": document.page})
        if draft:
            canvas.setFont(FONT, 60)
            canvas.setFillColor(colors.Color(0.85, 0.1, 0.1, alpha=0.08))
            canvas.translate(A4[0] / 2, A4[1] / 2)
            canvas.rotate(35)
            canvas.drawCentredString(0, 0, _("草稿"))
        canvas.restoreState()

    method = str(valuation.method)
    inputs: Mapping[str, Any] = field_of(valuation, "inputs") or {}
    result: Mapping[str, Any] = field_of(valuation, "result") or {}
    organisation = field_of(valuation, "organisation")
    issuer = str(field_of(organisation, "name") or "—")
    based_on = valuation_date(valuation)
    issued = issue_date(valuation)
    rights = valuation_rights(valuation)
    rights_table = right_rows(rights, based_on)
    holders = "；".join(dict.fromkeys(r[3] for r in rights_table)) or "—"

    sections = iter(range(1, 100))

    def heading(title: str) -> Paragraph:
        """A numbered section heading: "三、评估参数" / "3. Inputs" (numbers follow the sections
        present: no gap where a report has no Monte Carlo, score or recheck)."""
        n = next(sections)
        if is_english():
            return _p(f"{n}. {title}", st.h2)
        return _p(f"{_CN_NUMERALS[n] if n < len(_CN_NUMERALS) else n}、{title}", st.h2)

    story: list[Any] = [
        _p(title, st.title),
        Spacer(1, 2 * mm),
        _p(f"{_('报告编号')}：{number}", ParagraphStyle("n", parent=st.body, alignment=TA_CENTER)),
        Spacer(1, 5 * mm),
        _facts_table(
            [
                (_("评估机构"), issuer),
                (_("委托银行"), str(field_of(field_of(valuation, "client_bank"), "name") or "—")),
                (_("产权持有人"), holders),
                (_("评估基准日"), f"{based_on:%Y-%m-%d}"),
                (_("报告日期"), f"{issued:%Y-%m-%d}" if issued else _("尚未出具")),
                (_("状态"), state_label(state)),
                (_("评估方法"), method_name(method)),
            ],
            st,
            width,
        ),
        heading(_("评估对象")),
        _table(
            [_("申请号/注册号"), _("类型"), _("名称"), _("权利人"), _("法律状态")],
            rights_table or [["—", "—", "—", "—", "—"]],
            st,
            widths=[w * width for w in (0.2, 0.14, 0.3, 0.22, 0.14)],
        ),
        heading(_("评估方法")),
        _p(method_formula(method), st.body),
    ]
    rows = input_rows(method, inputs)
    if rows:
        story += [heading(_("评估参数")), _facts_table(rows, st, width)]
    else:
        story += [heading(_("评估参数")), _p(_("见下表。"), st.body)]
    table = calculation_table(method, result, inputs)
    story.append(heading(_("计算过程")))
    if table is not None:
        story += [
            _p(table.title, st.small),
            _table(table.headers, table.rows, st, numeric=table.numeric),
        ]
    else:
        story.append(_p(_("（无明细）"), st.body))
    value = field_of(valuation, "value")
    story += [
        heading(_("评估结论")),
        _p(f"{_('评估值')}：{value_text(value)}", st.value),
    ]
    mc = result.get("monte_carlo")
    if isinstance(mc, Mapping) and all(mc.get(k) is not None for k in ("p10", "p50", "p90")):
        story += [
            _p(
                _(
                    "不确定性分析（蒙特卡洛模拟 %(draws)s 次）：P10 %(p10)s，P50 %(p50)s，"
                    "P90 %(p90)s。即按所设参数区间，评估值有 80%% 的概率落在 P10 至 P90 之间。"
                )
                % {
                    "draws": mc.get("draws", "—"),
                    "p10": yuan_text(mc["p10"]),
                    "p50": yuan_text(mc["p50"]),
                    "p90": yuan_text(mc["p90"]),
                },
                st.body,
            ),
            Spacer(1, 2 * mm),
            _range_chart(mc, value, width * 0.98),
            _p(_("浅蓝区间：P10 至 P90；蓝线：P50；红线：评估值。"), st.small),
        ]
    if scores:
        shown = scores[:REPORT_SCORE_LIMIT]
        named = len(rights) > 1 or len(shown) > 1
        blocks = [_score_block(r, sc, st, width, named=named) for r, sc in shown]
        story.append(
            KeepTogether(
                [
                    heading(_("价值度评分")),
                    _p(
                        _(
                            "各指标按同申请年、同技术领域的同组专利百分位排名标准化；"
                            "条形长度为该指标对综合得分的贡献分值。"
                        ),
                        st.small,
                    ),
                    *blocks[0],
                ]
            )
        )
        story += [KeepTogether([Spacer(1, 3 * mm), *block]) for block in blocks[1:]]
        note = score_limit_note(max(len(rights), len(scores)))
        if note:
            story.append(_p(note, st.small))
    recheck = recheck_text(valuation)
    if recheck:
        story += [heading(_("估值复核")), _p(recheck, st.body)]
        note = recheck_note(valuation)
        if note:
            story.append(_p(note, st.small))
        lines = recheck_table(valuation)
        if lines is not None:
            story += [
                Spacer(1, 2 * mm),
                _p(lines.title, st.small),
                _table(lines.headers, lines.rows, st, numeric=lines.numeric),
            ]
    story += [
        heading(_("出具")),
        _facts_table(
            [
                (_("评估机构"), issuer),
                (_("出具日期"), f"{issued:%Y-%m-%d}" if issued else _("尚未出具（草稿）")),
            ],
            st,
            width,
        ),
        Spacer(1, 6 * mm),
        _p(
            _(
                "声明：本报告依据 GB/T 42748-2023《专利评估指引》所述方法，按委托方提供的参数及"
                "知识产权登记簿于评估基准日的记载计算，供知识产权质押融资授信参考。评估结论仅在"
                "评估基准日及所述假设下成立，报告使用人应结合尽职调查独立作出判断。草稿及未经"
                "评估机构出具的报告不得作为正式评估报告使用。"
            ),
            st.small,
        ),
    ]
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
