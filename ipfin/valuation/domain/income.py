"""收益法 · 收益分成法: the income approach with a share rate (GB/T 42748-2023 专利评估指引).

The value of a right is the present value of the part of the future revenues it earns:

    V = Σ_{t=1..n} R_t · K_t · (1 − T) · f_t / (1 + r)^{s_t}

- R_t: the revenue attributable to the right in year t (收益额 / 销售收入), t = 1..n;
- K_t = K · (1 − d)^{t−1}: the share rate (分成率, the right's share of the revenue), decaying by
  d a year (分成率衰减) as the technology ages;
- T: the income tax rate (所得税税率);
- r: the discount rate (折现率), given or built up (累加法) from a risk-free rate and risk
  premia (`DiscountRateParts`);
- n = ⌈N⌉ where N is the remaining economic life (收益期限 / 经济寿命), at most the remaining
  legal term (剩余法定保护期限). A fractional last year counts pro rata: f_t = 1 for t < n and
  f_n = N − ⌊N⌋ when N is fractional (f_n = 1 when N is whole);
- s_t = t (end-of-year discounting), or s_t = t − ½ for every year with the mid-year convention
  (期中折现), which assumes the income arrives evenly through the year.

So a life of 4.5 years takes 5 revenues; the fifth year counts half of its income and is discounted
at t = 5 (t = 4.5 with the mid-year convention).

`income_value` computes one valuation in `Decimal` (34 significant digits) with every year shown;
`income_value_batch` computes many in float64 arrays (the Monte Carlo and portfolio paths). Both
validate their inputs and raise `ValuationInputError` naming the API field.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext

import numpy as np
from numpy.typing import NDArray

from ipfin.common.money import MAX_AMOUNT, to_fen
from ipfin.valuation.domain.errors import ValuationInputError, decimal_input

__all__ = [
    "DISCOUNT_RATE_PART_LABELS",
    "MAX_LIFE_YEARS",
    "NEGATIVE_RATE_EN",
    "NEGATIVE_RATE_ZH",
    "PRECISION",
    "DiscountRateParts",
    "IncomeInputs",
    "IncomeResult",
    "IncomeYear",
    "discount_rate_refusal",
    "income_value",
    "income_value_batch",
    "rounded_value",
]

# Significant digits of the local decimal context of the single-valuation functions: far beyond
# the 15 digits of any amount, so that only the final rounding to the fen is visible.
PRECISION = 34
# The longest economic life accepted (收益期限, years). 50 is the longest fixed term of
# protection in Chinese IP law: a copyright of a legal person's work, and the post-mortem part of
# a natural person's (著作权法 2020 art. 23); an invention patent runs 20 years from filing plus
# any term compensation (专利法 2020 art. 42), a registered trademark 10 years at a time (商标法
# art. 39-40), an IC layout 10 years. An income forecast further out than 50 years is not one an
# appraiser can support (资产评估执业准则—无形资产: the economic life is at most the legal term and
# usually far shorter), and the bound keeps one preview's work small for an anonymous caller.
MAX_LIFE_YEARS = 50

_ZERO = Decimal(0)
_ONE = Decimal(1)
_HALF = Decimal("0.5")

# The parts of a built-up discount rate (累加法), in the order they are shown.
DISCOUNT_RATE_PART_LABELS: dict[str, tuple[str, str]] = {
    "risk_free": ("无风险报酬率", "risk-free rate"),
    "technology": ("技术风险报酬率", "technology risk premium"),
    "market": ("市场风险报酬率", "market risk premium"),
    "management": ("经营管理风险报酬率", "management risk premium"),
    "legal": ("法律风险报酬率", "legal risk premium"),
}


@dataclass(frozen=True)
class DiscountRateParts:
    """折现率 built up by the 累加法: r = 无风险报酬率 + 风险报酬率, where the risk premium is
    the sum of the technology (技术), market (市场), management (经营管理) and legal (法律)
    risk premia. Each part is kept so that the report can show it."""

    risk_free: Decimal
    technology: Decimal = _ZERO
    market: Decimal = _ZERO
    management: Decimal = _ZERO
    legal: Decimal = _ZERO

    @property
    def total(self) -> Decimal:
        """r = risk_free + technology + market + management + legal (exact: a sum of Decimals)."""
        with localcontext(prec=PRECISION):
            return self.risk_free + self.technology + self.market + self.management + self.legal

    def parts(self) -> tuple[tuple[str, str, str, Decimal], ...]:
        """(name, label_zh, label_en, rate) for each part, in `DISCOUNT_RATE_PART_LABELS` order."""
        return tuple(
            (name, zh, en, getattr(self, name))
            for name, (zh, en) in DISCOUNT_RATE_PART_LABELS.items()
        )


@dataclass(frozen=True)
class IncomeInputs:
    """The inputs of one 收益分成法 valuation (rates as fractions: 0.25 is 25 %).

    `revenues` holds R_1..R_n with n = ⌈life_years⌉. `remaining_legal_years`, when given, bounds
    the economic life: a right earns nothing after its legal protection ends."""

    revenues: tuple[Decimal, ...]
    share_rate: Decimal
    tax_rate: Decimal
    discount_rate: Decimal
    life_years: Decimal
    share_decay: Decimal = _ZERO
    mid_year: bool = False
    remaining_legal_years: Decimal | None = None


@dataclass(frozen=True)
class IncomeYear:
    """One year of the forecast, every figure unrounded (round for display with `to_fen`).

    income_after_tax = revenue · share_rate · (1 − T) · fraction;
    discount_factor = 1 / (1 + r)^discount_time; present_value = income_after_tax · discount_factor.
    """

    t: int
    revenue: Decimal
    share_rate: Decimal  # K_t = K · (1 − d)^(t − 1)
    fraction: Decimal  # 1, or N − ⌊N⌋ in the fractional last year
    income_after_tax: Decimal
    discount_time: Decimal  # t, or t − ½ with the mid-year convention
    discount_factor: Decimal
    present_value: Decimal


@dataclass(frozen=True)
class IncomeResult:
    """`value`: Σ present values rounded to the fen (ROUND_HALF_UP); `years`: the forecast."""

    value: Decimal
    years: tuple[IncomeYear, ...]


def rounded_value(total: Decimal, field: str) -> Decimal:
    """A valuation's result rounded to the fen (ROUND_HALF_UP, `to_fen`), refused as an impossible
    input on `field` when it exceeds `MAX_AMOUNT` (about 10 trillion yuan, the largest amount the
    platform stores): only absurd inputs (say r near −1 over decades) get there."""
    if not total.is_finite() or abs(total) > MAX_AMOUNT:
        raise ValuationInputError(
            field,
            f"估值结果超出上限 {MAX_AMOUNT} 元，请检查输入。",
            f"The value exceeds the maximum of {MAX_AMOUNT} yuan; check the inputs.",
        )
    return to_fen(total)


def _validate_life(life: Decimal, legal: Decimal | None) -> None:
    if life <= 0:
        raise ValuationInputError(
            "life_years",
            "收益期限（剩余经济寿命）必须大于 0 年。",
            "The remaining economic life must be more than 0 years.",
        )
    if life > MAX_LIFE_YEARS:
        raise ValuationInputError(
            "life_years",
            f"收益期限不能超过 {MAX_LIFE_YEARS} 年。",
            f"The remaining economic life cannot exceed {MAX_LIFE_YEARS} years.",
        )
    if legal is not None and life > legal:
        raise ValuationInputError(
            "life_years",
            f"收益期限（{life} 年）不能超过剩余法定保护期限（{legal} 年）：保护期届满后权利不再"
            "受法律保护，不能再产生收益。",
            f"The economic life ({life} years) cannot exceed the remaining legal term "
            f"({legal} years): once the term ends the right is no longer protected and earns "
            "nothing.",
        )


# 折现率 (issue 13): never negative. It is the return an investor requires of the right's income:
# the risk-free rate plus risk premia (累加法, `DiscountRateParts`), none of them below zero; a
# negative rate would make income further away worth more than income now. A discount rate at or
# below the growth rate needs no refusal here: the income approach sums a finite number of years
# (n = ⌈N⌉ ≤ MAX_LIFE_YEARS) with no perpetual terminal value (no Gordon growth term r − g), so
# the sum is finite for every r ≥ 0 and every growth the Monte Carlo draws.
NEGATIVE_RATE_ZH = (
    "折现率不能为负数：折现率是投资者对该收益要求的回报率，由无风险报酬率加风险报酬率构成，"
    "不低于零。"
)
NEGATIVE_RATE_EN = (
    "The discount rate cannot be negative: it is the return an investor requires of the income, "
    "the risk-free rate plus risk premia, never below zero."
)


def discount_rate_refusal(lowest: Decimal | float, field: str = "discount_rate") -> None:
    """The one rule on a discount rate (or the low end of its range): a ValuationInputError on
    `field` when it is negative (see NEGATIVE_RATE_ZH)."""
    if not lowest >= 0:  # also NaN
        raise ValuationInputError(field, NEGATIVE_RATE_ZH, NEGATIVE_RATE_EN)


def _validate_rates(share_rate: Decimal, share_decay: Decimal, tax: Decimal, r: Decimal) -> None:
    discount_rate_refusal(r)
    if not 0 <= share_rate <= 1:
        raise ValuationInputError(
            "share_rate",
            "分成率必须在 0 到 1（100%）之间。",
            "The share rate must be between 0 and 1 (100%).",
        )
    if not 0 <= share_decay < 1:
        raise ValuationInputError(
            "share_decay",
            "分成率年衰减率必须不小于 0 且小于 1。",
            "The yearly decay of the share rate must be at least 0 and less than 1.",
        )
    if not 0 <= tax < 1:
        raise ValuationInputError(
            "tax_rate",
            "所得税税率必须不小于 0 且小于 1。",
            "The income tax rate must be at least 0 and less than 1.",
        )


def income_value(inputs: IncomeInputs) -> IncomeResult:
    """收益分成法, one valuation in `Decimal`:

        V = Σ_{t=1..n} R_t · K·(1 − d)^{t−1} · (1 − T) · f_t / (1 + r)^{s_t}

    with n = ⌈N⌉, f_n = N − ⌊N⌋ for a fractional life N (else 1), s_t = t, or t − ½ for every
    year with `mid_year` (期中折现). Computed at 34 significant digits, rounded once to the fen.

    Raises `ValuationInputError` for: life ≤ 0, over MAX_LIFE_YEARS (50) or beyond the remaining
    legal term ("life_years"); r < 0 ("discount_rate"); K outside [0, 1] ("share_rate"); d
    outside [0, 1) ("share_decay"); T outside [0, 1) ("tax_rate"); a revenue count other than ⌈N⌉
    or a negative revenue ("revenues" / "revenues[i]").
    """
    with localcontext(prec=PRECISION):
        life = decimal_input("life_years", inputs.life_years)
        legal = (
            None
            if inputs.remaining_legal_years is None
            else decimal_input("remaining_legal_years", inputs.remaining_legal_years)
        )
        share_rate = decimal_input("share_rate", inputs.share_rate)
        share_decay = decimal_input("share_decay", inputs.share_decay)
        tax = decimal_input("tax_rate", inputs.tax_rate)
        r = decimal_input("discount_rate", inputs.discount_rate)
        _validate_life(life, legal)
        _validate_rates(share_rate, share_decay, tax, r)

        years_count = int(life.to_integral_value(rounding=ROUND_CEILING))
        if len(inputs.revenues) != years_count:
            raise ValuationInputError(
                "revenues",
                f"收益期限 {life} 年需要 {years_count} 个年度收益额，实际提供 "
                f"{len(inputs.revenues)} 个。",
                f"An economic life of {life} years needs {years_count} yearly revenues, "
                f"got {len(inputs.revenues)}.",
            )
        revenues = []
        for i, raw in enumerate(inputs.revenues):
            revenue = decimal_input(f"revenues[{i}]", raw)
            if revenue < 0:
                raise ValuationInputError(
                    f"revenues[{i}]",
                    f"第 {i + 1} 年收益额不能为负数。",
                    f"The revenue of year {i + 1} cannot be negative.",
                )
            revenues.append(revenue)

        last_fraction = life - life.to_integral_value(rounding=ROUND_FLOOR)
        growth = _ONE + r
        # (1 + r)^{t − ½} = (1 + r)^t / √(1 + r): the square root is correctly rounded.
        mid_year_factor = growth.sqrt() if inputs.mid_year else _ONE
        after_tax = _ONE - tax
        years = []
        total = _ZERO
        for t, revenue in enumerate(revenues, start=1):
            share_t = share_rate * (_ONE - share_decay) ** (t - 1)
            fraction = last_fraction if t == years_count and last_fraction else _ONE
            income = revenue * share_t * after_tax * fraction
            discount_factor = mid_year_factor / growth**t
            present_value = income * discount_factor
            total += present_value
            years.append(
                IncomeYear(
                    t=t,
                    revenue=revenue,
                    share_rate=share_t,
                    fraction=fraction,
                    income_after_tax=income,
                    discount_time=Decimal(t) - _HALF if inputs.mid_year else Decimal(t),
                    discount_factor=discount_factor,
                    present_value=present_value,
                )
            )
        return IncomeResult(value=rounded_value(total, "revenues"), years=tuple(years))


def _first_bad(ok: NDArray[np.bool_]) -> int | None:
    """Index of the first False in `ok`, or None when all hold (NaN compares False: caught)."""
    if bool(ok.all()):
        return None
    return int(np.flatnonzero(~ok)[0])


def _check_rows(ok: NDArray[np.bool_], field: str, zh: str, en: str) -> None:
    row = _first_bad(ok)
    if row is not None:
        raise ValuationInputError(field, f"第 {row} 行：{zh}", f"row {row}: {en}")


def income_value_batch(
    revenues: NDArray[np.float64],
    share_rate: NDArray[np.float64],
    share_decay: NDArray[np.float64],
    tax_rate: NDArray[np.float64],
    discount_rate: NDArray[np.float64],
    life_years: NDArray[np.float64],
    mid_year: bool = False,
) -> NDArray[np.float64]:
    """收益分成法 over many rights at once, in float64 (unrounded yuan, one value per row).

    `revenues` is (n, H): row i holds R_1..R_{⌈N_i⌉} padded with zeros to the widest horizon H
    (entries after year ⌈N_i⌉ are ignored); the other arrays are (n,). Same formula as
    `income_value`, rearranged so that one pass over the years serves every right:

        V = K·(1 − T)·v·m · Σ_{t=1..H} R_t · f_t · q^{t−1},   v = 1/(1 + r),  q = (1 − d)·v,
        f_t = clip(N − (t − 1), 0, 1),   m = √(1 + r) with the mid-year convention, else 1,

    the sum evaluated by Horner's rule over the year axis (H ≤ 100 steps, each vectorised over
    all n rights). Agrees with `income_value` to within float64 rounding (~1e-12 relative).

    Raises `ValuationInputError` (naming the field and the first bad row) on the same impossible
    inputs as `income_value`, or on mismatched shapes.
    """
    rev = np.asarray(revenues, dtype=np.float64)
    if rev.ndim != 2:
        raise ValuationInputError(
            "revenues",
            "收益额必须是二维数组（权利 × 年度）。",
            "revenues must be a 2-D array (rights × years).",
        )
    rows, horizon = rev.shape
    columns: dict[str, NDArray[np.float64]] = {}
    for field, array in (
        ("share_rate", share_rate),
        ("share_decay", share_decay),
        ("tax_rate", tax_rate),
        ("discount_rate", discount_rate),
        ("life_years", life_years),
    ):
        column = np.asarray(array, dtype=np.float64)
        if column.shape != (rows,):
            raise ValuationInputError(
                field,
                f"{field} 的长度必须等于权利数 {rows}。",
                f"{field} must have one entry per right ({rows}).",
            )
        columns[field] = column
    k, d = columns["share_rate"], columns["share_decay"]
    tax, r, life = columns["tax_rate"], columns["discount_rate"], columns["life_years"]

    _check_rows(
        (life > 0) & (life <= MAX_LIFE_YEARS),
        "life_years",
        f"收益期限必须大于 0 年且不超过 {MAX_LIFE_YEARS} 年。",
        f"the economic life must be more than 0 and at most {MAX_LIFE_YEARS} years.",
    )
    _check_rows(
        np.ceil(life) <= horizon,
        "revenues",
        "年度收益额的个数少于收益期限所需。",
        "fewer yearly revenues than the economic life needs.",
    )
    _check_rows((r >= 0) & np.isfinite(r), "discount_rate", NEGATIVE_RATE_ZH, NEGATIVE_RATE_EN)
    _check_rows(
        (k >= 0) & (k <= 1), "share_rate", "分成率必须在 0 到 1 之间。", "K must be in [0, 1]."
    )
    _check_rows(
        (d >= 0) & (d < 1), "share_decay", "分成率衰减率必须在 [0, 1) 内。", "d must be in [0, 1)."
    )
    _check_rows(
        (tax >= 0) & (tax < 1), "tax_rate", "所得税税率必须在 [0, 1) 内。", "T must be in [0, 1)."
    )
    if rev.size and not bool((np.isfinite(rev) & (rev >= 0)).all()):
        bad_row = int(np.flatnonzero(~(np.isfinite(rev) & (rev >= 0)).all(axis=1))[0])
        raise ValuationInputError(
            "revenues",
            f"第 {bad_row} 行：收益额必须是非负有限数。",
            f"row {bad_row}: revenues must be finite and non-negative.",
        )

    v = 1.0 / (1.0 + r)
    q = (1.0 - d) * v
    acc = np.zeros(rows, dtype=np.float64)
    # Horner: acc = Σ_t R_t f_t q^{t−1}, from the last year back to the first.
    for j in range(horizon - 1, -1, -1):
        acc *= q
        acc += rev[:, j] * np.clip(life - j, 0.0, 1.0)
    value: NDArray[np.float64] = k * (1.0 - tax) * v * acc
    if mid_year:
        value *= np.sqrt(1.0 + r)
    return value
