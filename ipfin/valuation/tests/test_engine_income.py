"""收益分成法 (income approach): hand-computed cases, every validation error, and properties
(monotonic in r, linear in revenues, batch == single). Pure engine: no database."""

from __future__ import annotations

import dataclasses
from decimal import ROUND_CEILING, Decimal, localcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipfin.valuation.domain.errors import ValuationInputError
from ipfin.valuation.domain.income import (
    DiscountRateParts,
    IncomeInputs,
    IncomeResult,
    income_value,
    income_value_batch,
)

D = Decimal


def unrounded(result: IncomeResult) -> Decimal:
    """Σ present values before the rounding to the fen."""
    with localcontext(prec=34):
        return sum((year.present_value for year in result.years), D(0))


def inputs(**overrides: object) -> IncomeInputs:
    base = IncomeInputs(
        revenues=(D(1_000_000),) * 3,
        share_rate=D("0.1"),
        tax_rate=D("0.25"),
        discount_rate=D("0.1"),
        life_years=D(3),
    )
    return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]


# --- hand-computed cases ----------------------------------------------------------------------


def test_three_years_end_of_year() -> None:
    # Each year: R·K·(1 − T) = 1,000,000 × 0.1 × 0.75 = 75,000.
    # V = 75,000/1.1 + 75,000/1.21 + 75,000/1.331
    #   = 68,181.8181… + 61,983.4710… + 56,348.6100… = 186,513.8993… → 186,513.90
    result = income_value(inputs())
    assert result.value == D("186513.90")
    assert [y.t for y in result.years] == [1, 2, 3]
    assert all(y.income_after_tax == D(75_000) for y in result.years)
    assert all(y.fraction == 1 for y in result.years)
    assert [y.discount_time for y in result.years] == [1, 2, 3]
    assert abs(result.years[0].present_value - D("68181.81818181818")) < D("1e-9")
    assert abs(result.years[2].discount_factor - D(1) / D("1.331")) < D(
        "1e-25"
    )  # the right side is at 28 digits


def test_fractional_life_counts_last_year_pro_rata() -> None:
    # Life 4.5 → 5 revenues; year 5 counts half its income and is discounted at t = 5.
    # Years 1–4: 75,000 × (1/1.1 + 1/1.1² + 1/1.1³ + 1/1.1⁴) = 75,000 × 3.1698654… = 237,739.9085
    # Year 5:    75,000 × 0.5 / 1.1⁵ = 37,500 / 1.61051 = 23,284.5496
    # V = 261,024.4581 → 261,024.46
    result = income_value(inputs(revenues=(D(1_000_000),) * 5, life_years=D("4.5")))
    assert result.value == D("261024.46")
    last = result.years[-1]
    assert (last.t, last.fraction, last.discount_time) == (5, D("0.5"), D(5))
    assert last.income_after_tax == D(37_500)
    assert all(y.fraction == 1 for y in result.years[:-1])


def test_mid_year_discounts_every_year_at_t_minus_half() -> None:
    # Same inputs, mid-year: year t is discounted at t − ½, so every factor is the end-of-year one
    # times √1.1 = 1.0488088…; V = 261,024.4581 × 1.0488088 = 273,764.7612 → 273,764.76.
    # The fractional year 5 is discounted at 4.5.
    result = income_value(inputs(revenues=(D(1_000_000),) * 5, life_years=D("4.5"), mid_year=True))
    assert result.value == D("273764.76")
    assert [y.discount_time for y in result.years] == [
        D("0.5"),
        D("1.5"),
        D("2.5"),
        D("3.5"),
        D("4.5"),
    ]
    assert abs(result.years[0].discount_factor - D("1.1") ** D("-0.5")) < D(
        "1e-25"
    )  # the right side is at 28 digits


def test_share_rate_decays_each_year() -> None:
    # K = 0.2, d = 0.1: K_1 = 0.2, K_2 = 0.2 × 0.9 = 0.18; T = 0.25, r = 0.08.
    # Year 1: 500,000 × 0.2 × 0.75 = 75,000 / 1.08   = 69,444.444…
    # Year 2: 600,000 × 0.18 × 0.75 = 81,000 / 1.1664 = 69,444.444…
    # V = 138,888.888… → 138,888.89
    result = income_value(
        IncomeInputs(
            revenues=(D(500_000), D(600_000)),
            share_rate=D("0.2"),
            share_decay=D("0.1"),
            tax_rate=D("0.25"),
            discount_rate=D("0.08"),
            life_years=D(2),
        )
    )
    assert result.value == D("138888.89")
    assert [y.share_rate for y in result.years] == [D("0.2"), D("0.18")]
    assert [y.income_after_tax for y in result.years] == [D(75_000), D(81_000)]


def test_a_zero_discount_rate_is_taken_a_negative_one_refused_issue13() -> None:
    # r = 0: V = Σ R·K·(1 − T) = 3 × 75,000 = 225,000.00
    assert income_value(inputs(discount_rate=D(0))).value == D("225000.00")
    # A negative rate would make later income worth more than income now: refused.
    for rate in (D("-0.0001"), D("-0.5")):
        with pytest.raises(ValuationInputError) as caught:
            income_value(inputs(discount_rate=rate))
        assert caught.value.field == "discount_rate"
        assert "折现率不能为负数" in caught.value.detail_zh
        assert "cannot be negative" in caught.value.detail_en


def test_life_below_one_year() -> None:
    # Life 0.25: one revenue counting a quarter: 1,000,000 × 0.1 × 0.75 × 0.25 / 1.1 = 17,045.4545…
    result = income_value(inputs(revenues=(D(1_000_000),), life_years=D("0.25")))
    assert result.value == D("17045.45")
    assert result.years[0].fraction == D("0.25")


def test_life_equal_to_legal_term_is_allowed() -> None:
    result = income_value(inputs(remaining_legal_years=D(3)))
    assert result.value == D("186513.90")


def test_discount_rate_build_up() -> None:
    # 累加法: 2.5 % + 5 % + 3 % + 2 % + 1.5 % = 14 %
    parts = DiscountRateParts(
        risk_free=D("0.025"),
        technology=D("0.05"),
        market=D("0.03"),
        management=D("0.02"),
        legal=D("0.015"),
    )
    assert parts.total == D("0.140")
    shown = parts.parts()
    assert [name for name, *_ in shown] == [
        "risk_free",
        "technology",
        "market",
        "management",
        "legal",
    ]
    assert shown[0][1] == "无风险报酬率"
    assert sum(rate for *_, rate in shown) == parts.total
    assert DiscountRateParts(risk_free=D("0.03")).total == D("0.03")


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"life_years": D(0), "revenues": ()}, "life_years"),
        ({"life_years": D(-1), "revenues": ()}, "life_years"),
        ({"life_years": D(51), "revenues": (D(1),) * 51}, "life_years"),  # MAX_LIFE_YEARS + 1
        ({"remaining_legal_years": D("2.5")}, "life_years"),
        ({"discount_rate": D(-1)}, "discount_rate"),
        ({"discount_rate": D("-1.5")}, "discount_rate"),
        ({"share_rate": D("1.01")}, "share_rate"),
        ({"share_rate": D("-0.01")}, "share_rate"),
        ({"share_decay": D(1)}, "share_decay"),
        ({"share_decay": D("-0.1")}, "share_decay"),
        ({"tax_rate": D(1)}, "tax_rate"),
        ({"tax_rate": D("-0.1")}, "tax_rate"),
        ({"revenues": (D(1),) * 2}, "revenues"),  # life 3 needs 3
        ({"revenues": (D(1),) * 4}, "revenues"),
        ({"life_years": D("3.5")}, "revenues"),  # life 3.5 needs 4
        ({"revenues": (D(1), D(-1), D(1))}, "revenues[1]"),
        ({"revenues": (D(1), D("NaN"), D(1))}, "revenues[1]"),
        ({"discount_rate": D("Infinity")}, "discount_rate"),
        ({"life_years": D("NaN")}, "life_years"),
        ({"share_rate": 0.1}, "share_rate"),  # a float is refused
    ],
)
def test_impossible_inputs_are_refused(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValuationInputError) as caught:
        income_value(inputs(**overrides))
    assert caught.value.field == field
    assert caught.value.extra == {"field": field}
    assert caught.value.status == 422
    assert caught.value.code == "valuation_input"
    assert caught.value.detail_zh != caught.value.detail_en


def test_value_beyond_the_largest_amount_is_refused() -> None:
    # 50 years of 10^14 yuan, all of it the right's, untaxed, undiscounted: 5 × 10^15 yuan, more
    # than any stored amount can hold, so it is a 422, not an overflow.
    absurd = IncomeInputs(
        revenues=(D(10) ** 14,) * 50,
        share_rate=D(1),
        tax_rate=D(0),
        discount_rate=D(0),
        life_years=D(50),
    )
    with pytest.raises(ValuationInputError) as caught:
        income_value(absurd)
    assert caught.value.field == "revenues"


def batch_args(n: int = 3, horizon: int = 3) -> dict[str, np.ndarray]:
    return {
        "revenues": np.full((n, horizon), 1e6),
        "share_rate": np.full(n, 0.1),
        "share_decay": np.zeros(n),
        "tax_rate": np.full(n, 0.25),
        "discount_rate": np.full(n, 0.1),
        "life_years": np.full(n, 3.0),
    }


def test_batch_hand_computed() -> None:
    args = batch_args()
    args["life_years"] = np.array([3.0, 2.5, 1.0])
    values = income_value_batch(**args)  # type: ignore[arg-type]
    # Row 0 as test_three_years_end_of_year: 186,513.8993…
    # Row 1: 75,000/1.1 + 75,000/1.21 + 37,500/1.331 = 68,181.818 + 61,983.471 + 28,174.305
    # Row 2: 75,000/1.1 = 68,181.818… (the padded years 2–3 are ignored)
    expected = [
        186513.89932381667,
        75_000 / 1.1 + 75_000 / 1.21 + 37_500 / 1.331,
        75_000 / 1.1,
    ]
    assert values == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("column", "row_value", "field"),
    [
        ("life_years", 0.0, "life_years"),
        ("life_years", -2.0, "life_years"),
        ("life_years", 4.0, "revenues"),  # horizon 3 < ⌈4⌉
        ("life_years", np.nan, "life_years"),
        ("discount_rate", -1.0, "discount_rate"),
        ("discount_rate", -0.01, "discount_rate"),
        ("discount_rate", np.nan, "discount_rate"),
        ("share_rate", 1.5, "share_rate"),
        ("share_decay", 1.0, "share_decay"),
        ("tax_rate", 1.0, "tax_rate"),
    ],
)
def test_batch_refuses_impossible_rows(column: str, row_value: float, field: str) -> None:
    args = batch_args()
    args[column][1] = row_value
    with pytest.raises(ValuationInputError) as caught:
        income_value_batch(**args)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert "row 1" in caught.value.detail_en


def test_batch_refuses_negative_revenue_and_bad_shapes() -> None:
    args = batch_args()
    args["revenues"][2, 1] = -5.0
    with pytest.raises(ValuationInputError) as caught:
        income_value_batch(**args)  # type: ignore[arg-type]
    assert caught.value.field == "revenues"
    assert "row 2" in caught.value.detail_en

    args = batch_args()
    args["tax_rate"] = np.zeros(2)
    with pytest.raises(ValuationInputError) as caught:
        income_value_batch(**args)  # type: ignore[arg-type]
    assert caught.value.field == "tax_rate"

    args = batch_args()
    args["revenues"] = np.ones(3)
    with pytest.raises(ValuationInputError) as caught:
        income_value_batch(**args)  # type: ignore[arg-type]
    assert caught.value.field == "revenues"


# --- properties -------------------------------------------------------------------------------

# Bounded so that every value stays below MAX_AMOUNT (about 10^13 yuan) even scaled by 100:
# 10^8 × Σ_{t≤30} 1.12^t ≈ 2.7 × 10^10, × 100 < 10^13.
rates = st.decimals(min_value=D(0), max_value=D("0.5"), places=4)
shares = st.decimals(min_value=D(0), max_value=D(1), places=4)
decays = st.decimals(min_value=D(0), max_value=D("0.5"), places=4)
taxes = st.decimals(min_value=D(0), max_value=D("0.5"), places=4)
amounts = st.decimals(min_value=D(0), max_value=D(100_000_000), places=2)
lives = st.decimals(min_value=D("0.1"), max_value=D(30), places=2)


@st.composite
def income_inputs(draw: st.DrawFn) -> IncomeInputs:
    life = draw(lives)
    count = int(life.to_integral_value(rounding=ROUND_CEILING))
    return IncomeInputs(
        revenues=tuple(draw(st.lists(amounts, min_size=count, max_size=count))),
        share_rate=draw(shares),
        share_decay=draw(decays),
        tax_rate=draw(taxes),
        discount_rate=draw(rates),
        life_years=life,
        mid_year=draw(st.booleans()),
    )


@given(income_inputs(), rates, rates)
def test_higher_discount_rate_never_raises_the_value(
    base: IncomeInputs, r1: Decimal, r2: Decimal
) -> None:
    low, high = sorted((r1, r2))
    v_low = income_value(dataclasses.replace(base, discount_rate=low))
    v_high = income_value(dataclasses.replace(base, discount_rate=high))
    assert unrounded(v_high) <= unrounded(v_low)
    assert v_high.value <= v_low.value
    if low < high and unrounded(v_low) > 0:
        assert unrounded(v_high) < unrounded(v_low)


@given(income_inputs(), st.integers(min_value=0, max_value=100), st.data())
def test_value_is_linear_in_revenues(base: IncomeInputs, scale: int, data: st.DataObject) -> None:
    other = tuple(
        data.draw(st.lists(amounts, min_size=len(base.revenues), max_size=len(base.revenues)))
    )
    v = unrounded(income_value(base))
    scaled = income_value(
        dataclasses.replace(base, revenues=tuple(r * scale for r in base.revenues))
    )
    summed = income_value(
        dataclasses.replace(
            base, revenues=tuple(a + b for a, b in zip(base.revenues, other, strict=True))
        )
    )
    v_other = unrounded(income_value(dataclasses.replace(base, revenues=other)))
    with localcontext(prec=34):  # the sums at the engine's precision, not the default 28 digits
        tolerance = D("1e-20") * (1 + v * (scale + 1) + v_other)
        assert abs(unrounded(scaled) - v * scale) <= tolerance
        assert abs(unrounded(summed) - (v + v_other)) <= tolerance
    # After rounding each to the fen the two sides differ by at most three half-fen roundings.
    assert abs(
        summed.value
        - (income_value(base).value + income_value(dataclasses.replace(base, revenues=other)).value)
    ) <= D("0.02")


@given(income_inputs())
def test_mid_year_is_end_of_year_times_root_of_one_plus_r(base: IncomeInputs) -> None:
    end = unrounded(income_value(dataclasses.replace(base, mid_year=False)))
    mid = unrounded(income_value(dataclasses.replace(base, mid_year=True)))
    with localcontext(prec=34):
        expected = end * (1 + base.discount_rate).sqrt()
    assert abs(mid - expected) <= D("1e-25") * (1 + expected)


@given(income_inputs(), st.decimals(min_value=D("0.01"), max_value=D(1), places=2))
def test_longer_life_never_lowers_the_value(base: IncomeInputs, extra: Decimal) -> None:
    # Extending the life adds non-negative income: the same revenues, the last one repeated if a
    # further year is needed.
    life = base.life_years + extra
    count = int(life.to_integral_value(rounding=ROUND_CEILING))
    revenues = base.revenues + (base.revenues[-1],) * (count - len(base.revenues))
    longer = income_value(dataclasses.replace(base, life_years=life, revenues=revenues))
    assert unrounded(longer) >= unrounded(income_value(base))


@settings(max_examples=200)
@given(st.lists(income_inputs(), min_size=1, max_size=8), st.booleans())
def test_batch_agrees_with_single(cases: list[IncomeInputs], mid_year: bool) -> None:
    horizon = max(len(case.revenues) for case in cases) + 2  # extra zero padding is ignored
    revenues = np.zeros((len(cases), horizon))
    for i, case in enumerate(cases):
        revenues[i, : len(case.revenues)] = [float(r) for r in case.revenues]

    def column(name: str) -> np.ndarray:
        return np.array([float(getattr(case, name)) for case in cases])

    batch = income_value_batch(
        revenues,
        share_rate=column("share_rate"),
        share_decay=column("share_decay"),
        tax_rate=column("tax_rate"),
        discount_rate=column("discount_rate"),
        life_years=column("life_years"),
        mid_year=mid_year,
    )
    for i, case in enumerate(cases):
        single = float(unrounded(income_value(dataclasses.replace(case, mid_year=mid_year))))
        assert batch[i] == pytest.approx(single, rel=1e-6, abs=1e-6)
