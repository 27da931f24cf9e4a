"""Chart geometry shared by the valuation page (inline SVG) and the PDF report (reportlab.graphics).

Pure presentation arithmetic: no Django import, no drawing library. The page and the report draw
the same bars from the same numbers, so what a bank files is what it saw on screen.

- `contribution_bars`: one bar per indicator of a right's 价值度 score, its length proportional to
  the points the indicator adds (the points sum to the score).
- `range_bar`: the Monte Carlo P10–P90 interval, its median and the reported value placed on one
  axis, as fractions of the axis length.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["Bar", "RangeBar", "SvgBarRow", "contribution_bars", "range_bar", "svg_bar_rows"]

DIMENSION_ORDER = ("legal", "technical", "economic")


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _float(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Bar:
    """One indicator's bar: `fraction` is its length relative to the longest bar (0–1)."""

    name: str
    dimension: str
    label_zh: str
    label_en: str
    points: float
    percentile: float | None
    raw: float | None
    fraction: float
    reason_zh: str = ""
    reason_en: str = ""

    @property
    def missing(self) -> bool:
        """No data for this indicator: it counted at the neutral percentile (0.5)."""
        return self.raw is None

    def label(self, language: str | None) -> str:
        english = (language or "").startswith("en")
        return (self.label_en if english else self.label_zh) or self.label_zh or self.name

    def reason(self, language: str | None) -> str:
        english = (language or "").startswith("en")
        return (self.reason_en if english else self.reason_zh) or self.reason_zh


def contribution_bars(contributions: Iterable[Any]) -> list[Bar]:
    """Bars for an indicator score's contributions (dicts or objects with name, dimension,
    label_zh, label_en, raw, percentile, points), grouped legal → technical → economic, and
    within a dimension in the order given."""
    items = list(contributions)
    points = [max(_float(_get(c, "points")) or 0.0, 0.0) for c in items]
    longest = max(points, default=0.0)
    bars = [
        Bar(
            name=str(_get(c, "name") or ""),
            dimension=str(_get(c, "dimension") or ""),
            label_zh=str(_get(c, "label_zh") or ""),
            label_en=str(_get(c, "label_en") or ""),
            points=p,
            percentile=_float(_get(c, "percentile")),
            raw=_float(_get(c, "raw")),
            fraction=(p / longest) if longest > 0 else 0.0,
            reason_zh=str(_get(c, "reason_zh") or ""),
            reason_en=str(_get(c, "reason_en") or ""),
        )
        for c, p in zip(items, points, strict=True)
    ]

    def order(bar: Bar) -> int:
        try:
            return DIMENSION_ORDER.index(bar.dimension)
        except ValueError:
            return len(DIMENSION_ORDER)

    return sorted(bars, key=order)  # sorted() is stable: the given order within a dimension


@dataclass(frozen=True)
class SvgBarRow:
    """A bar placed in an SVG of `width` units: label at the left, bar from `x`, value after."""

    bar: Bar
    label: str
    reason: str
    y: float
    text_y: float
    x: float
    width: float
    value_x: float


def svg_bar_rows(
    bars: Iterable[Bar],
    *,
    language: str | None,
    width: float = 640.0,
    label_width: float = 200.0,
    value_width: float = 60.0,
    row_height: float = 26.0,
    bar_height: float = 16.0,
) -> tuple[list[SvgBarRow], float]:
    """The rows of a horizontal bar chart and the chart's height, in SVG user units."""
    span = width - label_width - value_width
    rows: list[SvgBarRow] = []
    for i, bar in enumerate(bars):
        top = i * row_height + (row_height - bar_height) / 2
        length = round(bar.fraction * span, 2)
        rows.append(
            SvgBarRow(
                bar=bar,
                label=bar.label(language),
                reason=bar.reason(language),
                y=round(top, 2),
                text_y=round(top + bar_height * 0.8, 2),
                x=label_width,
                width=length,
                value_x=round(label_width + length + 6, 2),
            )
        )
    return rows, len(rows) * row_height


@dataclass(frozen=True)
class RangeBar:
    """The P10–P90 interval on an axis from `axis_low` to `axis_high` (yuan); the positions are
    fractions of the axis (0–1)."""

    p10: Decimal
    p50: Decimal
    p90: Decimal
    value: Decimal | None
    axis_low: Decimal
    axis_high: Decimal
    p10_at: float
    p50_at: float
    p90_at: float
    value_at: float | None

    @property
    def width(self) -> float:
        return self.p90_at - self.p10_at


def range_bar(p10: Any, p50: Any, p90: Any, value: Any = None) -> RangeBar:
    """Place P10, P50, P90 (and the reported value, if given) on an axis padded 10 % of the
    spread on each side (never below zero), so the interval is never drawn edge to edge."""
    low, mid, high = Decimal(str(p10)), Decimal(str(p50)), Decimal(str(p90))
    val = Decimal(str(value)) if value is not None and value != "" else None
    points = [low, mid, high] + ([val] if val is not None else [])
    lo, hi = min(points), max(points)
    pad = (hi - lo) / 10 if hi > lo else (abs(hi) / 10 or Decimal(1))
    axis_low = max(lo - pad, Decimal(0)) if lo >= 0 else lo - pad
    axis_high = hi + pad
    span = axis_high - axis_low

    def at(x: Decimal) -> float:
        return round(float((x - axis_low) / span), 4)

    return RangeBar(
        p10=low,
        p50=mid,
        p90=high,
        value=val,
        axis_low=axis_low,
        axis_high=axis_high,
        p10_at=at(low),
        p50_at=at(mid),
        p90_at=at(high),
        value_at=at(val) if val is not None else None,
    )
