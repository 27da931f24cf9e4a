"""成本法: the cost approach (GB/T 42748-2023 专利评估指引).

The value of a right is what it would cost to make it again today, less what it has lost:

    V = C · I · (1 + p) · n_rem / (n_used + n_rem) · (1 − f)

- C: the historical development cost of the right (研发成本: 人工、材料、试验、申请维持费用…),
  I its price index (物价指数) that restates it at today's prices (default 1: C already current);
- p: the reasonable profit rate (合理利润率) a developer would earn, so that
  重置成本 (replacement cost) = C · I · (1 + p);
- 成新率 (newness rate) = n_rem / (n_used + n_rem), the share of the economic life still to run
  (已使用年限 n_used, 剩余经济寿命 n_rem) — the right's functional wear;
- f: 经济性贬值率 (economic obsolescence), the loss of value from outside the right (a shrinking
  market, a substitute technology), in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from ipfin.valuation.domain.errors import ValuationInputError, decimal_input
from ipfin.valuation.domain.income import PRECISION, rounded_value

__all__ = ["CostInputs", "CostResult", "cost_value"]

_ZERO = Decimal(0)
_ONE = Decimal(1)


@dataclass(frozen=True)
class CostInputs:
    """The inputs of one 成本法 valuation (rates as fractions, lives in years)."""

    cost: Decimal  # C, historical development cost in yuan
    profit_rate: Decimal  # p, 合理利润率
    used_years: Decimal  # n_used, 已使用年限
    remaining_years: Decimal  # n_rem, 剩余经济寿命
    obsolescence: Decimal = _ZERO  # f, 经济性贬值率
    price_index: Decimal = _ONE  # I, restates C at today's prices


@dataclass(frozen=True)
class CostResult:
    """`value` rounded to the fen; the intermediate figures unrounded (round for display).

    replacement_cost = C · I · (1 + p) (重置成本); newness_rate = n_rem / (n_used + n_rem) (成新率);
    obsolescence = f (经济性贬值率); value = replacement_cost · newness_rate · (1 − f)."""

    value: Decimal
    replacement_cost: Decimal
    newness_rate: Decimal
    obsolescence: Decimal


def cost_value(inputs: CostInputs) -> CostResult:
    """成本法: V = C · I · (1 + p) · n_rem / (n_used + n_rem) · (1 − f), rounded once to the fen.

    Raises `ValuationInputError` for: C < 0 ("cost"); p < 0 ("profit_rate"); n_used < 0
    ("used_years"); n_rem < 0 ("remaining_years"); n_used + n_rem = 0 ("remaining_years": no life
    to divide by); f outside [0, 1] ("obsolescence"); I ≤ 0 ("price_index").
    """
    with localcontext(prec=PRECISION):
        cost = decimal_input("cost", inputs.cost)
        profit = decimal_input("profit_rate", inputs.profit_rate)
        used = decimal_input("used_years", inputs.used_years)
        remaining = decimal_input("remaining_years", inputs.remaining_years)
        obsolescence = decimal_input("obsolescence", inputs.obsolescence)
        index = decimal_input("price_index", inputs.price_index)
        if cost < 0:
            raise ValuationInputError(
                "cost", "开发成本不能为负数。", "The development cost cannot be negative."
            )
        if profit < 0:
            raise ValuationInputError(
                "profit_rate",
                "合理利润率不能为负数。",
                "The reasonable profit rate cannot be negative.",
            )
        if used < 0:
            raise ValuationInputError(
                "used_years", "已使用年限不能为负数。", "The years used cannot be negative."
            )
        if remaining < 0:
            raise ValuationInputError(
                "remaining_years",
                "剩余经济寿命不能为负数。",
                "The remaining economic life cannot be negative.",
            )
        if used + remaining == 0:
            raise ValuationInputError(
                "remaining_years",
                "已使用年限与剩余经济寿命之和必须大于 0，才能计算成新率。",
                "The years used plus the remaining life must be more than 0 to compute the "
                "newness rate.",
            )
        if not 0 <= obsolescence <= 1:
            raise ValuationInputError(
                "obsolescence",
                "经济性贬值率必须在 0 到 1 之间。",
                "The economic obsolescence must be between 0 and 1.",
            )
        if index <= 0:
            raise ValuationInputError(
                "price_index", "物价指数必须大于 0。", "The price index must be greater than 0."
            )
        replacement_cost = cost * index * (_ONE + profit)
        newness_rate = remaining / (used + remaining)
        value = replacement_cost * newness_rate * (_ONE - obsolescence)
        return CostResult(
            value=rounded_value(value, "cost"),
            replacement_cost=replacement_cost,
            newness_rate=newness_rate,
            obsolescence=obsolescence,
        )
