"""The valuation report (资产评估报告): a PDF an appraiser signs and a bank files (ReportLab).

`valuation_report_pdf(valuation, scores=..., language=...)` lays the report out as the standard
asks (资产评估执业准则——资产评估报告, 中国资产评估协会 2018: the body states the client and the
report's users, the purpose, the subject and scope, the type of value, the valuation date, the
basis, the approach, the assumptions, the conclusion, the special matters, the restrictions on
use, the report date, and bears the appraisers' signatures and the agency's seal), each section a
numbered heading:

委托人和其他报告使用人 · 评估目的 · 评估对象和范围 (the rights with their legal status on the
valuation date) · 价值类型 · 评估基准日 · 评估依据 · 评估方法 (the formula in words with the term of
GB/T 42748-2023《专利评估指引》, the inputs and the calculation: per-year income table, cost
breakdown or adjusted comparables) · 评估假设 · 评估结论 (the value in 元 and 万元, the Monte Carlo
P10–P90 range when one was run, each right's indicator score with a bar chart of each indicator's
contribution — at most `REPORT_SCORE_LIMIT` rights of a package, with a note beyond — and the
client bank's recheck) · 特别事项说明 (from the register on the valuation date:
`ipfin.valuation.matters`; a right in its grace period or under a pending invalidation request is
a warning) · 使用限制说明 · 评估报告日 · 签字盖章: the two appraisers who signed (资产评估法 2016
art. 26: a report is signed by at least two appraisers who did the work, and bears the agency's
seal), the agency, and its seal image where it uploaded one (`AgencySeal`; not on a draft).

Every font is embedded (ipfin.common.pdf: Noto Sans SC, regular and bold), so −, ½ and every
Chinese character show in any viewer. The words and tables come from
`ipfin.valuation.presentation`, which the valuation page shows too, so the page and the filed
report agree. The PDF is rendered under `translation.override(language)`: the headings are
Chinese by default and English under English.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ipfin.common.pdf import DOC_KWARGS, FONT, FONT_BOLD, TABLE_FONT, register_fonts
from ipfin.valuation.charts import Bar, contribution_bars, range_bar
from ipfin.valuation.matters import special_matters
from ipfin.valuation.models import AgencySeal
from ipfin.valuation.presentation import (
    REPORT_SCORE_LIMIT,
    calculation_table,
    cohort_sentence,
    field_of,
    grade_sentence,
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

__all__ = ["FONT", "SECTION_HEADINGS", "valuation_report_pdf"]

STANDARD = "GB/T 42748-2023"
SEAL_WIDTH = 38 * mm


def _register_font() -> None:
    register_fonts()


# --- the PDF -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Styles:
    title: ParagraphStyle
    h2: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    value: ParagraphStyle
    h3: ParagraphStyle
    warning: ParagraphStyle


def _styles() -> _Styles:
    base = ParagraphStyle(
        "ipfin-body",
        fontName=FONT,
        bulletFontName=FONT,
        fontSize=10,
        leading=15,
        wordWrap="CJK",
    )
    return _Styles(
        title=ParagraphStyle(
            "ipfin-title",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=18,
            leading=26,
            alignment=TA_CENTER,
        ),
        h2=ParagraphStyle(
            "ipfin-h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=12.5,
            leading=18,
            spaceBefore=9,
            spaceAfter=4,
            textColor=colors.HexColor("#0b5cad"),
            keepWithNext=1,  # a heading never ends a page
        ),
        body=base,
        small=ParagraphStyle("ipfin-small", parent=base, fontSize=8.5, leading=12),
        cell=ParagraphStyle("ipfin-cell", parent=base, fontSize=8.5, leading=11.5),
        value=ParagraphStyle(
            "ipfin-value", parent=base, fontName=FONT_BOLD, fontSize=15, leading=22
        ),
        h3=ParagraphStyle(
            "ipfin-h3",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=10.5,
            spaceBefore=4,
            spaceAfter=2,
            keepWithNext=1,
        ),
        warning=ParagraphStyle("ipfin-warning", parent=base, textColor=colors.HexColor("#b42318")),
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
        TABLE_FONT,
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
    parts = [text for text in (grade_sentence(score), cohort_sentence(score)) if text]
    standing = (". ".join(parts) + ".") if is_english() else ("；".join(parts) + "。")
    return [
        _p(f"{label}：{summary}" if named and label else summary, st.body),
        _p(standing, st.body),
        Spacer(1, 2 * mm),
        _contribution_chart(bars, width),
    ]


# The report's sections in order (资产评估执业准则——资产评估报告, 2018), as their Chinese
# headings (the msgids: English under English).
SECTION_HEADINGS = (
    gettext_noop("委托人和其他报告使用人"),
    gettext_noop("评估目的"),
    gettext_noop("评估对象和范围"),
    gettext_noop("价值类型"),
    gettext_noop("评估基准日"),
    gettext_noop("评估依据"),
    gettext_noop("评估方法"),
    gettext_noop("评估假设"),
    gettext_noop("评估结论"),
    gettext_noop("特别事项说明"),
    gettext_noop("使用限制说明"),
    gettext_noop("评估报告日"),
    gettext_noop("签字盖章"),
)


def _cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 13 → 十三, 20 → 二十 (section numbers below 100)."""
    tens, units = divmod(n, 10)
    if tens == 0:
        return _CN_NUMERALS[units]
    return (_CN_NUMERALS[tens] if tens > 1 else "") + "十" + (_CN_NUMERALS[units] if units else "")


def _seal(valuation: Any) -> AgencySeal | None:
    """The issuing agency's seal image, if it uploaded one and the report is issued (a draft is no
    report: it bears no seal)."""
    if str(field_of(valuation, "state") or "") == "draft":
        return None
    organisation_id = field_of(valuation, "organisation_id")
    if organisation_id is None:
        return None
    return AgencySeal.objects.filter(organisation_id=organisation_id).first()


def _seal_image(seal: AgencySeal) -> Image | None:
    try:
        path = seal.image.path
    except (NotImplementedError, ValueError):  # pragma: no cover - a storage without paths
        return None
    height = SEAL_WIDTH * seal.height / seal.width if seal.width else SEAL_WIDTH
    return Image(path, width=SEAL_WIDTH, height=height)


def _bullets(lines: Sequence[str], st: _Styles) -> list[Paragraph]:
    return [
        _p(f"{i}. {line}" if is_english() else f"{i}．{line}", st.body)
        for i, line in enumerate(lines, 1)
    ]


def _value_type(method: str) -> str:
    if method == "bank_internal":
        return _(
            "银行内部认定价值：按本行内部评估模型，以本行对各项权利的参考价值经折扣率和评分系数"
            "调整后的质押价值，供本行授信参考，不是市场价值。"
        )
    return _(
        "市场价值：自愿买方和自愿卖方在各自理性行事且未受任何强迫的情况下，评估对象在评估基准日"
        "进行正常公平交易的价值估计数额。"
    )


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
        **DOC_KWARGS,
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
    client = str(field_of(field_of(valuation, "client_bank"), "name") or "—")
    based_on = valuation_date(valuation)
    issued = issue_date(valuation)
    rights = valuation_rights(valuation)
    rights_table = right_rows(rights, based_on)
    holders = "；".join(dict.fromkeys(r[3] for r in rights_table)) or "—"
    numbers = "、".join(str(field_of(r, "number")) for r in rights) or "—"

    sections = iter(range(1, 100))

    def heading(title: str) -> Paragraph:
        """A numbered section heading: "三、评估对象和范围" / "3. Subject and scope" (numbers
        follow the sections in order)."""
        n = next(sections)
        if is_english():
            return _p(f"{n}. {title}", st.h2)
        return _p(f"{_cn_number(n)}、{title}", st.h2)

    h = [_(text) for text in SECTION_HEADINGS]
    story: list[Any] = [
        _p(title, st.title),
        Spacer(1, 2 * mm),
        _p(
            _("报告编号：%(number)s") % {"number": number},
            ParagraphStyle("n", parent=st.body, alignment=TA_CENTER),
        ),
        Spacer(1, 5 * mm),
        _facts_table(
            [
                (_("评估机构"), issuer),
                (_("委托银行"), client),
                (_("产权持有人"), holders),
                (_("评估基准日"), f"{based_on:%Y-%m-%d}"),
                (_("报告日期"), f"{issued:%Y-%m-%d}" if issued else _("尚未出具")),
                (_("状态"), state_label(state)),
                (_("评估方法"), method_name(method)),
            ],
            st,
            width,
        ),
        Spacer(1, 3 * mm),
        _p(
            _(
                "声明：资产评估师恪守独立、客观、公正的原则，遵守法律、行政法规和资产评估准则；报告"
                "使用人应当关注本报告的特别事项说明和使用限制说明。"
            ),
            st.small,
        ),
        # 1. the client and the users
        heading(h[0]),
        _p(
            _(
                "委托人：%(client)s；产权持有人：%(holders)s；其他报告使用人：委托人办理知识产权质押"
                "融资时依法查阅本报告的质权人、登记机关及监管机构。除此以外，任何机构和个人不能"
                "因取得本报告而成为报告使用人。"
            )
            % {"client": client, "holders": holders},
            st.body,
        ),
        # 2. the purpose
        heading(h[1]),
        _p(
            _(
                "为委托人以评估对象办理知识产权质押融资（授信、质押登记）提供评估对象于评估基准日"
                "的价值参考。"
            ),
            st.body,
        ),
        # 3. the subject and its scope
        heading(h[2]),
        _p(
            _(
                "评估对象为下列知识产权（%(numbers)s）的权利价值；评估范围为各项权利在评估基准日"
                "依法享有的专用权利，不含与其配套的设备、存货等有形资产及其他无形资产。法律状态"
                "按知识产权登记簿于评估基准日的记载。"
            )
            % {"numbers": numbers},
            st.body,
        ),
        Spacer(1, 2 * mm),
        _table(
            [_("申请号/注册号"), _("类型"), _("名称"), _("权利人"), _("法律状态")],
            rights_table or [["—", "—", "—", "—", "—"]],
            st,
            widths=[w * width for w in (0.2, 0.14, 0.3, 0.22, 0.14)],
        ),
        # 4. the type of value
        heading(h[3]),
        _p(_value_type(method), st.body),
        # 5. the valuation date
        heading(h[4]),
        _p(
            _(
                "评估基准日为 %(date)s，由委托人确定；评估对象的法律状态、评估所用的参数和价格均以"
                "该日为准。"
            )
            % {"date": f"{based_on:%Y-%m-%d}"},
            st.body,
        ),
        # 6. the basis
        heading(h[5]),
        *_bullets(
            [
                _(
                    "法律依据：《中华人民共和国资产评估法》（2016）、《中华人民共和国民法典》、"
                    "《中华人民共和国专利法》、《中华人民共和国商标法》、《专利权质押登记办法》"
                    "（2021）。"
                ),
                _(
                    "准则依据：《资产评估执业准则——资产评估报告》（中国资产评估协会，2018）、"
                    "《资产评估执业准则——知识产权》、%(standard)s《专利评估指引》。"
                )
                % {"standard": STANDARD},
                _("权属依据：知识产权登记簿于评估基准日的记载（权利人、法律事件、年费缴纳）。"),
                _("取价依据：委托人提供的收入、成本或可比交易等参数（见评估方法中的评估参数）。"),
            ],
            st,
        ),
        # 7. the approach, its inputs and the calculation
        heading(h[6]),
        _p(method_formula(method), st.body),
    ]
    rows = input_rows(method, inputs)
    story.append(_p(_("评估参数"), st.h3))
    story.append(_facts_table(rows, st, width) if rows else _p(_("见下表。"), st.body))
    table = calculation_table(method, result, inputs)
    story.append(_p(_("计算过程"), st.h3))
    if table is not None:
        story += [
            _p(table.title, st.small),
            _table(table.headers, table.rows, st, numeric=table.numeric),
        ]
    else:
        story.append(_p(_("（无明细）"), st.body))
    # 8. the assumptions
    story.append(heading(h[7]))
    story += _bullets(
        [
            _("交易假设：假定评估对象已处在交易过程中，按其交易条件模拟市场进行估价。"),
            _("公开市场假设：评估对象可以在充分竞争的市场上自由交易，买卖双方地位平等、信息充分。"),
            _("持续使用假设：评估对象按评估基准日的用途和使用方式在收益期内持续使用。"),
            _(
                "权利存续假设：评估对象在收益期内保持有效，按期缴纳年费或办理续展，不被宣告无效；"
                "特别事项说明所列情形对此的影响未计入评估结论。"
            ),
            _("资料真实假设：委托人和产权持有人提供的参数、资料真实、完整、合法。"),
        ],
        st,
    )
    # 9. the conclusion
    value = field_of(valuation, "value")
    story += [
        heading(h[8]),
        _p(
            _("在上述假设下，评估对象于评估基准日的%(type)s为：")
            % {"type": _("银行内部认定价值") if method == "bank_internal" else _("市场价值")},
            st.body,
        ),
        _p(_("评估值：%(value)s") % {"value": value_text(value)}, st.value),
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
                    _p(_("价值度评分"), st.h3),
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
        story += [_p(_("估值复核"), st.h3), _p(recheck, st.body)]
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
    # 10. the special matters, from the register on the valuation date
    story.append(heading(h[9]))
    matters = special_matters(rights, based_on)
    if matters:
        story += [_p(m.text, st.warning if m.warning else st.body) for m in matters]
    else:
        story.append(
            _p(
                _(
                    "截至评估基准日，知识产权登记簿未记载评估对象存在无效宣告请求、质押、许可、"
                    "权属纠纷、保全或年费滞纳等事项。"
                ),
                st.body,
            )
        )
    # 11. the restrictions on use
    story.append(heading(h[10]))
    story += _bullets(
        [
            _("本报告只能用于评估目的所述的知识产权质押融资，不得用于其他目的。"),
            _(
                "评估结论的使用有效期原则上为自评估基准日起一年；超过一年，或评估对象的法律状态"
                "发生变化的，需重新评估。"
            ),
            _("本报告只能由本报告载明的报告使用人使用；未经评估机构同意，不得摘抄、引用或披露。"),
            _("草稿及未经资产评估师签名、评估机构盖章的报告不得作为正式评估报告使用。"),
            _(
                "本报告按 %(standard)s《专利评估指引》所述方法，依委托人提供的参数和知识产权登记"
                "簿的记载计算；报告使用人应结合尽职调查独立作出授信判断。"
            )
            % {"standard": STANDARD},
        ],
        st,
    )
    # 12. the report date
    story += [
        heading(h[11]),
        _p(f"{issued:%Y-%m-%d}" if issued else _("尚未出具（草稿）"), st.body),
    ]
    # 13. the signatures (资产评估法 art. 26: two appraisers sign, the agency seals)
    appraisers = [
        n for n in (field_of(valuation, "appraiser_one"), field_of(valuation, "appraiser_two")) if n
    ]
    unsigned = _("（草稿，未签署）") if draft else _("（未签署）")
    signature_rows: list[list[Any]] = [
        [
            _p(_("资产评估师（签名）"), st.cell),
            _p("　　".join(appraisers) if appraisers else unsigned, st.body),
        ],
        [_p(_("评估机构（盖章）"), st.cell), _p(issuer, st.body)],
        [_p(_("评估报告日"), st.cell), _p(f"{issued:%Y-%m-%d}" if issued else "—", st.body)],
    ]
    block: list[Any] = [
        heading(h[12]),
        Table(
            signature_rows,
            colWidths=[width * 0.3, width * 0.7],
            style=TableStyle(
                [
                    TABLE_FONT,
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LINEBELOW", (1, 0), (1, 0), 0.5, _GRID),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ]
            ),
        ),
    ]
    seal = _seal(valuation)
    image = _seal_image(seal) if seal is not None else None
    if image is not None:
        image.hAlign = "RIGHT"
        block += [Spacer(1, 2 * mm), image]
    story.append(KeepTogether(block))
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
