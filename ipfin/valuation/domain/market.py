"""市场法: the market approach over comparable transactions (GB/T 42748-2023 专利评估指引).

The value of a right is the similarity-weighted mean of the prices of comparable rights (可比案例:
recorded transfers and licences from the registry, or entered by the valuer), each adjusted for how
the comparable differs from the right valued (调整系数, adjustment factors):

    V = Σ_i w_i · P_i · a_i · b_i · c_i · d_i / Σ_i w_i

- P_i: the comparable's transaction price (交易价格);
- a_i: technical adjustment (技术因素调整系数), b_i: economic adjustment (经济因素调整系数),
  c_i = n_rem / n_rem_i: remaining-life adjustment (剩余经济寿命调整系数),
  d_i: time adjustment (交易时间调整系数, the price index from the transaction date to the
  valuation date); each > 0, 1 meaning "no difference";
- w_i > 0: the comparable's similarity weight (相似度权重), normalised by Σ w, so only the weights'
  proportions matter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from ipfin.valuation.domain.errors import ValuationInputError, decimal_input
from ipfin.valuation.domain.income import PRECISION, rounded_value

__all__ = ["AdjustedComparable", "Comparable", "MarketResult", "market_value"]

# The adjustment factors, as the API spells them, with their names for messages.
_FACTORS: dict[str, tuple[str, str]] = {
    "technical": ("技术因素调整系数", "technical adjustment factor"),
    "economic": ("经济因素调整系数", "economic adjustment factor"),
    "remaining_life_ratio": ("剩余经济寿命调整系数", "remaining-life adjustment factor"),
    "time": ("交易时间调整系数", "time adjustment factor"),
}


@dataclass(frozen=True)
class Comparable:
    """One 可比案例: its price and its adjustment factors (调整系数) and similarity weight."""

    price: Decimal  # P_i
    technical: Decimal  # a_i
    economic: Decimal  # b_i
    remaining_life_ratio: Decimal  # c_i = n_rem / n_rem_i
    time: Decimal  # d_i
    weight: Decimal  # w_i
    label: str = ""


@dataclass(frozen=True)
class AdjustedComparable:
    """A comparable after adjustment, figures unrounded (round for display):
    adjusted_price = P·a·b·c·d; normalised_weight = w / Σ w; contribution = normalised_weight ·
    adjusted_price (the contributions sum to the unrounded value, to 34 digits)."""

    label: str
    price: Decimal
    adjusted_price: Decimal
    normalised_weight: Decimal
    contribution: Decimal


@dataclass(frozen=True)
class MarketResult:
    """`value`: Σ w·P' / Σ w rounded to the fen; `comparables` in the order given."""

    value: Decimal
    comparables: tuple[AdjustedComparable, ...]


def market_value(comparables: Sequence[Comparable]) -> MarketResult:
    """市场法: V = Σ w_i · P_i · a_i · b_i · c_i · d_i / Σ w_i, rounded once to the fen.

    Raises `ValuationInputError` for: no comparable ("comparables"); a weight ≤ 0
    ("comparables[i].weight"); a negative price ("comparables[i].price"); an adjustment factor ≤ 0
    ("comparables[i].technical" etc.).
    """
    if not comparables:
        raise ValuationInputError(
            "comparables",
            "市场法至少需要一个可比案例。",
            "The market approach needs at least one comparable.",
        )
    with localcontext(prec=PRECISION):
        adjusted: list[tuple[str, Decimal, Decimal, Decimal]] = []
        for i, comparable in enumerate(comparables):
            prefix = f"comparables[{i}]"
            price = decimal_input(f"{prefix}.price", comparable.price)
            if price < 0:
                raise ValuationInputError(
                    f"{prefix}.price",
                    f"第 {i + 1} 个可比案例的交易价格不能为负数。",
                    f"The price of comparable {i + 1} cannot be negative.",
                )
            weight = decimal_input(f"{prefix}.weight", comparable.weight)
            if weight <= 0:
                raise ValuationInputError(
                    f"{prefix}.weight",
                    f"第 {i + 1} 个可比案例的权重必须大于 0。",
                    f"The weight of comparable {i + 1} must be greater than 0.",
                )
            adjusted_price = price
            for name, (zh, en) in _FACTORS.items():
                factor = decimal_input(f"{prefix}.{name}", getattr(comparable, name))
                if factor <= 0:
                    raise ValuationInputError(
                        f"{prefix}.{name}",
                        f"第 {i + 1} 个可比案例的{zh}必须大于 0。",
                        f"The {en} of comparable {i + 1} must be greater than 0.",
                    )
                adjusted_price *= factor
            adjusted.append((comparable.label, price, adjusted_price, weight))

        weight_sum = sum((weight for *_, weight in adjusted), Decimal(0))
        # The value is Σ w·P' / Σ w with one division, so that a value lying exactly on half a fen
        # rounds as the formula says, not as the sum of rounded contributions happens to fall.
        weighted_sum = sum((w * p for *_, p, w in adjusted), Decimal(0))  # Σ w·P·a·b·c·d
        rows = []
        for label, price, adjusted_price, weight in adjusted:
            normalised = weight / weight_sum
            contribution = normalised * adjusted_price
            rows.append(
                AdjustedComparable(
                    label=label,
                    price=price,
                    adjusted_price=adjusted_price,
                    normalised_weight=normalised,
                    contribution=contribution,
                )
            )
        value = rounded_value(weighted_sum / weight_sum, "comparables")
        return MarketResult(value=value, comparables=tuple(rows))
