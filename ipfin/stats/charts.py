"""The monitoring charts, drawn once with ReportLab's charting library (reportlab.graphics, a
maintained package already set in every PDF ipfin writes) and used twice: as a flowable in the
quarterly report's PDF and as inline SVG on the dashboards (`svg`). No script and no CDN: what the
regulator sees on the page is what the report prints.

Amounts are plotted in 万元 (two decimals, `wan_yuan`), ratios in percent. Labels are set in the
embedded font of the PDFs (ipfin.common.pdf); in a browser the SVG text falls back to the page's
own sans-serif font.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors

from ipfin.common.money import wan_yuan
from ipfin.common.pdf import FONT, register_fonts
from ipfin.risk.domain.npl import ratio_6
from ipfin.risk.selectors import BankNplFigures
from ipfin.stats.domain import GROWTH_TARGET
from ipfin.stats.selectors import IndicatorTable, ParkGrowth

__all__ = ["breakdown_chart", "npl_chart", "park_growth_chart", "svg", "trend_chart"]

BLUE = colors.HexColor("#2b6cb0")
TEAL = colors.HexColor("#2c9a8a")
RED = colors.HexColor("#c53030")
GREY = colors.HexColor("#718096")
LABEL_CHARS = 14
TOP_ROWS = 10
# The charts' own words (zh, en): the PDF is in Chinese; a page in English asks for English.
TEXT: dict[str, tuple[str, str]] = {
    "empty": ("本期无数据", "No figures in this period"),
    "trend": ("新增贷款金额与期末余额（万元）", "New loans and balance (10,000 yuan)"),
    "new": ("新增贷款金额", "New loans"),
    "balance": ("期末余额", "Balance"),
    "breakdown": ("期末贷款余额（万元）", "Balance (10,000 yuan)"),
    "npl": ("知识产权质押贷款不良率与容忍上限（%）", "IP-pledge NPL ratio and tolerance (%)"),
    "npl_ratio": ("不良率", "NPL ratio"),
    "limit": ("容忍上限（未报送为0）", "Tolerance (0: not reported)"),
    "growth": ("园区知识产权质押融资金额同比增长（%）", "Parks' IP-pledge lending growth (%)"),
    "target": ("目标 20%", "Target 20%"),
}


def _t(key: str, english: bool) -> str:
    return TEXT[key][1 if english else 0]


def _wan(fen: int) -> float:
    # A plotted length: the amount in 万元 as the tables print it, then a float for the drawing.
    return float(wan_yuan(Decimal(fen).scaleb(-2)))


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _empty(width: float, height: float, title: str, english: bool = False) -> Drawing:
    drawing = Drawing(width, height)
    drawing.add(String(8, height - 14, title, fontName=FONT, fontSize=10))
    drawing.add(String(width / 2, height / 2, _t("empty", english), fontName=FONT, fontSize=10,
                       fillColor=GREY, textAnchor="middle"))  # fmt: skip
    return drawing


def _legend(
    drawing: Drawing, x: float, y: float, items: Sequence[tuple[colors.Color, str]]
) -> None:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.fontName = FONT
    legend.fontSize = 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 120
    legend.colorNamePairs = list(items)
    drawing.add(legend)


def trend_chart(
    table: IndicatorTable, *, width: float = 720, height: float = 220, english: bool = False
) -> Drawing:
    """New loan amount and balance per quarter (万元), grouped bars."""
    register_fonts()
    title = _t("trend", english)
    if not table.rows:
        return _empty(width, height, title, english)
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 56, 28
    chart.width, chart.height = width - 72, height - 64
    chart.data = [
        [_wan(row.figures.new_loan_fen) for row in table.rows],
        [_wan(row.figures.balance_fen) for row in table.rows],
    ]
    chart.categoryAxis.categoryNames = [row.label for row in table.rows]
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = FONT
        axis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = BLUE
    chart.bars[1].fillColor = TEAL
    chart.barSpacing = 1
    drawing.add(chart)
    drawing.add(String(8, height - 14, title, fontName=FONT, fontSize=10))
    _legend(
        drawing,
        width - 200,
        height - 8,
        [(BLUE, _t("new", english)), (TEAL, _t("balance", english))],
    )
    return drawing


def breakdown_chart(
    table: IndicatorTable, *, width: float = 720, height: float = 220, english: bool = False
) -> Drawing:
    """The balance of the largest rows (万元), horizontal bars, at most TOP_ROWS."""
    register_fonts()
    title = _t("breakdown", english)
    rows = [row for row in table.rows if row.figures.balance_fen > 0][:TOP_ROWS]
    if not rows:
        return _empty(width, height, title, english)
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 150, 16
    chart.width, chart.height = width - 170, height - 44
    chart.data = [[_wan(row.figures.balance_fen) for row in reversed(rows)]]
    chart.categoryAxis.categoryNames = [_short(row.label) for row in reversed(rows)]
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = FONT
        axis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = BLUE
    drawing.add(chart)
    drawing.add(String(8, height - 14, title, fontName=FONT, fontSize=10))
    return drawing


def npl_chart(
    rows: Sequence[BankNplFigures],
    *,
    width: float = 720,
    height: float = 220,
    english: bool = False,
) -> Drawing:
    """Each bank's IP-pledge NPL ratio against its tolerance (the overall ratio + 3 points), %."""
    register_fonts()
    title = _t("npl", english)
    rows = [row for row in rows if row.ip_balance > 0][:TOP_ROWS]
    if not rows:
        return _empty(width, height, title, english)
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 150, 16
    chart.width, chart.height = width - 170, height - 44
    chart.data = [
        [float(ratio_6(row.ip_npl_ratio) * 100) for row in reversed(rows)],
        [0.0 if row.limit is None else float(ratio_6(row.limit) * 100) for row in reversed(rows)],
    ]
    chart.categoryAxis.categoryNames = [_short(row.bank_name) for row in reversed(rows)]
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = FONT
        axis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = RED
    chart.bars[1].fillColor = GREY
    drawing.add(chart)
    drawing.add(String(8, height - 14, title, fontName=FONT, fontSize=10))
    _legend(
        drawing,
        width - 290,
        height - 8,
        [(RED, _t("npl_ratio", english)), (GREY, _t("limit", english))],
    )
    return drawing


def park_growth_chart(
    rows: Sequence[ParkGrowth],
    *,
    width: float = 720,
    height: float = 220,
    english: bool = False,
) -> Drawing:
    """Each park's amount growth (%) with the 20% target as a line."""
    register_fonts()
    title = _t("growth", english)
    rows = [row for row in rows if row.amount_growth is not None][:TOP_ROWS]
    if not rows:
        return _empty(width, height, title, english)
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 56, 28
    chart.width, chart.height = width - 72, height - 64
    growths = [float((row.amount_growth or Decimal(0)) * 100) for row in rows]
    chart.data = [growths]
    chart.categoryAxis.categoryNames = [_short(row.park_name) for row in rows]
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = FONT
        axis.labels.fontSize = 8
    target = float(GROWTH_TARGET * 100)
    chart.valueAxis.valueMin = min(0.0, *growths)
    chart.valueAxis.valueMax = max(target * 1.5, *growths)
    chart.bars[0].fillColor = TEAL
    drawing.add(chart)
    axis_span = chart.valueAxis.valueMax - chart.valueAxis.valueMin
    y = chart.y + chart.height * (target - chart.valueAxis.valueMin) / axis_span
    drawing.add(Line(chart.x, y, chart.x + chart.width, y, strokeColor=RED, strokeDashArray=[4, 2]))
    label = _t("target", english)
    drawing.add(String(chart.x + chart.width, y + 3, label, fontName=FONT, fontSize=8,
                       fillColor=RED, textAnchor="end"))  # fmt: skip
    drawing.add(String(8, height - 14, title, fontName=FONT, fontSize=10))
    return drawing


_SVG_START = re.compile(r"^.*?<svg ", re.S)
_SIZE = re.compile(r' width="[0-9.]+" height="[0-9.]+"')
_CLIP_ID = re.compile(r'(id="|url\(#)clip')
_TITLE = re.compile(r"<title>.*?</title>", re.S)
_STYLE = re.compile(r'style="([^"]*)"')


def _attributes(match: re.Match[str]) -> str:
    """An inline style as SVG presentation attributes (fill="…" font-size="…"): the site's
    Content-Security-Policy refuses inline styles, never presentation attributes."""
    pairs = []
    for declaration in match.group(1).split(";"):
        name, _, value = declaration.partition(":")
        if name.strip() and value.strip():
            pairs.append(f'{name.strip()}="{value.strip()}"')
    return " ".join(pairs)


def svg(drawing: Drawing, *, key: str, title: str) -> str:
    """The drawing as inline SVG for a page: sized by CSS (its viewBox kept), its clip path's id
    made unique by `key`, its styles as attributes, `title` as its accessible name. ReportLab
    escapes the text it draws."""
    text = renderSVG.drawToString(drawing)
    text = _SVG_START.sub('<svg class="chart" role="img" ', text, count=1)
    text = _SIZE.sub("", text, count=1)
    text = _CLIP_ID.sub(lambda m: f"{m.group(1)}clip-{key}", text)
    text = _STYLE.sub(_attributes, text)
    safe_title = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _TITLE.sub(f"<title>{safe_title}</title>", text, count=1)
