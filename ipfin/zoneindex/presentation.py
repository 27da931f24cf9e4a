"""What the index's pages and API show of a run beyond its columns: its stored inputs and results
as one table — each indicator with the weight used and its labels, each zone by rank with its
score, its values and each indicator's contribution, and the width of that contribution's bar
(its share of the largest contribution of the indicator among the zones, 0 to 100)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ipfin.common import display
from ipfin.web.language import is_english
from ipfin.zoneindex.models import (
    Dimension,
    DirectionChoices,
    IndexRun,
    IndicatorSource,
    MethodChoices,
    PlatformMetric,
    WeightingChoices,
)
from ipfin.zoneindex.selectors import ZoneHistoryEntry

__all__ = [
    "HistoryRow",
    "RunCell",
    "RunIndicator",
    "RunTable",
    "RunZone",
    "history_rows",
    "label",
    "run_table",
    "value_text",
]


def label(choices: Any, value: str) -> str:
    """The label of `value` among `choices` in the page's language; the value if it is none."""
    return str(dict(choices.choices).get(value, value))


@dataclass(frozen=True)
class RunIndicator:
    code: str
    name_zh: str
    name_en: str
    dimension: str
    source: str
    platform_metric: str
    direction: str
    weight: float  # the weight used: Σ = 1

    @property
    def name(self) -> str:
        return self.name_en if is_english() else self.name_zh

    @property
    def dimension_label(self) -> str:
        return label(Dimension, self.dimension)

    @property
    def source_label(self) -> str:
        if self.source == IndicatorSource.PLATFORM:
            return label(PlatformMetric, self.platform_metric)
        return label(IndicatorSource, self.source)

    @property
    def direction_label(self) -> str:
        return label(DirectionChoices, self.direction)

    @property
    def weight_percent(self) -> float:
        return 100.0 * self.weight


def value_text(indicator: RunIndicator, value: float) -> str:
    """A value a run computed on, as the pages show it: the amount lent in yuan (万元 / 亿元 by
    size; CNY in English), any other number with thousands separators and its decimals."""
    number = Decimal(repr(value))  # a float by its shortest text: the decimal it was stored from
    if indicator.platform_metric == PlatformMetric.LOAN_AMOUNT:
        return display.yuan(number, english=is_english())
    text = f"{number:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class RunCell:
    code: str
    value: float
    value_text: str
    contribution: float
    bar: float  # 0 to 100: the contribution's share of the indicator's largest |contribution|
    negative: bool


@dataclass(frozen=True)
class RunZone:
    zone_id: int
    name: str
    score: float
    rank: int
    contributions: dict[str, float]
    values: dict[str, float]
    cells: list[RunCell]


@dataclass(frozen=True)
class RunTable:
    method: str
    weighting: str
    indicators: list[RunIndicator]
    zones: list[RunZone]  # by rank

    @property
    def method_label(self) -> str:
        return label(MethodChoices, self.method)

    @property
    def weighting_label(self) -> str:
        return label(WeightingChoices, self.weighting)


def run_table(run: IndexRun) -> RunTable:
    """The run's stored inputs and results as one table (the module's docstring)."""
    inputs, results = run.inputs, run.results
    weights = results["weights"]
    indicators = [
        RunIndicator(
            code=i["code"],
            name_zh=i.get("name_zh", i["code"]),
            name_en=i.get("name_en", i["code"]),
            dimension=i.get("dimension", ""),
            source=i.get("source", ""),
            platform_metric=i.get("platform_metric", ""),
            direction=i["direction"],
            weight=weights[i["code"]],
        )
        for i in inputs["indicators"]
    ]
    values = {zone["zone_id"]: zone["values"] for zone in inputs["zones"]}
    largest = {
        i.code: max((abs(z["contributions"][i.code]) for z in results["zones"]), default=0.0)
        for i in indicators
    }
    zones = []
    for z in results["zones"]:
        cells = []
        for i in indicators:
            c = z["contributions"][i.code]
            top = largest[i.code]
            cells.append(
                RunCell(
                    code=i.code,
                    value=values[z["zone_id"]][i.code],
                    value_text=value_text(i, values[z["zone_id"]][i.code]),
                    contribution=c,
                    bar=100.0 * abs(c) / top if top > 0 else 0.0,
                    negative=c < 0,
                )
            )
        zones.append(
            RunZone(
                zone_id=z["zone_id"],
                name=z["name"],
                score=z["score"],
                rank=z["rank"],
                contributions=z["contributions"],
                values=values[z["zone_id"]],
                cells=cells,
            )
        )
    return RunTable(inputs["method"], inputs["weighting"], indicators, zones)


@dataclass(frozen=True)
class HistoryRow:
    entry: ZoneHistoryEntry
    bar: float  # the score on a 0–100 bar (minmax scores are 0 to 100; others cut to it)


def history_rows(history: list[ZoneHistoryEntry]) -> list[HistoryRow]:
    return [HistoryRow(entry, min(100.0, max(0.0, entry.score))) for entry in history]
