"""成本法 (cost approach): hand-computed cases, every validation error, and properties
(value ≤ replacement cost, monotonic in obsolescence and life). Pure engine: no database."""

from __future__ import annotations

import dataclasses
from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.common.money import to_fen
from ipfin.valuation.domain.cost import CostInputs, cost_value
from ipfin.valuation.domain.errors import ValuationInputError

D = Decimal


def inputs(**overrides: object) -> CostInputs:
    base = CostInputs(
        cost=D(1_000_000),
        profit_rate=D("0.1"),
        used_years=D(3),
        remaining_years=D(7),
        obsolescence=D("0.2"),
        price_index=D("1.05"),
    )
    return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]


def test_hand_computed() -> None:
    # 重置成本 = C · I · (1 + p) = 1,000,000 × 1.05 × 1.1 = 1,155,000
    # 成新率 = 7 / (3 + 7) = 0.7
    # V = 1,155,000 × 0.7 × (1 − 0.2) = 808,500 × 0.8 = 646,800.00
    result = cost_value(inputs())
    assert result.replacement_cost == D(1_155_000)
    assert result.newness_rate == D("0.7")
    assert result.obsolescence == D("0.2")
    assert result.value == D("646800.00")


def test_defaults_no_obsolescence_and_current_prices() -> None:
    # C = 300,000, p = 0.15, no index, no obsolescence: 重置成本 = 345,000;
    # 成新率 = 2 / (4 + 2) = 1/3; V = 345,000 / 3 = 115,000.00
    result = cost_value(
        CostInputs(cost=D(300_000), profit_rate=D("0.15"), used_years=D(4), remaining_years=D(2))
    )
    assert result.replacement_cost == D(345_000)
    assert result.value == D("115000.00")


def test_value_rounds_half_up_to_the_fen() -> None:
    plain = {"profit_rate": D(0), "obsolescence": D(0), "price_index": D(1)}
    # 100 × 2 / (1 + 2) = 66.666… → 66.67
    thirds = inputs(cost=D(100), used_years=D(1), remaining_years=D(2), **plain)
    assert cost_value(thirds).value == D("66.67")
    # 0.03 × 1 / (1 + 1) = 0.015 → 0.02 (half up; half even would give 0.02 too, so also:)
    # 0.05 × 1 / (1 + 1) = 0.025 → 0.03 (half up; half even would give 0.02)
    assert cost_value(
        inputs(cost=D("0.03"), used_years=D(1), remaining_years=D(1), **plain)
    ).value == D("0.02")
    assert cost_value(
        inputs(cost=D("0.05"), used_years=D(1), remaining_years=D(1), **plain)
    ).value == D("0.03")


def test_edge_lives() -> None:
    # No life left: 成新率 0, value 0. Nothing used yet and no obsolescence: the full 重置成本.
    assert cost_value(inputs(remaining_years=D(0))).value == D("0.00")
    full = cost_value(inputs(used_years=D(0), obsolescence=D(0)))
    assert full.newness_rate == 1
    assert full.value == D("1155000.00")
    # Total obsolescence leaves nothing.
    assert cost_value(inputs(obsolescence=D(1))).value == D("0.00")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"cost": D(-1)}, "cost"),
        ({"profit_rate": D("-0.01")}, "profit_rate"),
        ({"used_years": D(-1)}, "used_years"),
        ({"remaining_years": D(-1)}, "remaining_years"),
        ({"used_years": D(0), "remaining_years": D(0)}, "remaining_years"),
        ({"obsolescence": D("1.01")}, "obsolescence"),
        ({"obsolescence": D("-0.01")}, "obsolescence"),
        ({"price_index": D(0)}, "price_index"),
        ({"price_index": D("-1")}, "price_index"),
        ({"cost": D("NaN")}, "cost"),
        ({"remaining_years": D("Infinity")}, "remaining_years"),
        ({"cost": 1000.0}, "cost"),  # a float is refused
    ],
)
def test_impossible_inputs_are_refused(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValuationInputError) as caught:
        cost_value(inputs(**overrides))
    assert caught.value.field == field
    assert caught.value.status == 422
    assert caught.value.detail_zh != caught.value.detail_en


def test_value_beyond_the_largest_amount_is_refused() -> None:
    # 10^13 × 5 × 2 × 1 = 10^14 yuan, above MAX_AMOUNT (just under 10^13).
    huge = CostInputs(
        cost=D(10) ** 13, profit_rate=D(1), used_years=D(0), remaining_years=D(1), price_index=D(5)
    )
    with pytest.raises(ValuationInputError) as caught:
        cost_value(huge)
    assert caught.value.field == "cost"


costs = st.decimals(min_value=D(0), max_value=D(10_000_000_000), places=2)
rates = st.decimals(min_value=D(0), max_value=D(1), places=4)
years = st.decimals(min_value=D(0), max_value=D(30), places=2)
indices = st.decimals(min_value=D("0.01"), max_value=D(5), places=4)


@st.composite
def cost_inputs(draw: st.DrawFn) -> CostInputs:
    used = draw(years)
    remaining = draw(years.filter(lambda y: y + used > 0))
    return CostInputs(
        cost=draw(costs),
        profit_rate=draw(rates),
        used_years=used,
        remaining_years=remaining,
        obsolescence=draw(rates),
        price_index=draw(indices),
    )


@given(cost_inputs())
def test_value_never_exceeds_replacement_cost(case: CostInputs) -> None:
    result = cost_value(case)
    assert D(0) <= result.value <= to_fen(result.replacement_cost)
    assert 0 <= result.newness_rate <= 1


@given(cost_inputs(), rates, rates)
def test_more_obsolescence_never_raises_the_value(
    case: CostInputs, f1: Decimal, f2: Decimal
) -> None:
    low, high = sorted((f1, f2))
    assert (
        cost_value(dataclasses.replace(case, obsolescence=high)).value
        <= cost_value(dataclasses.replace(case, obsolescence=low)).value
    )


@given(cost_inputs(), years)
def test_more_years_used_never_raises_the_value(case: CostInputs, extra: Decimal) -> None:
    older = dataclasses.replace(case, used_years=case.used_years + extra)
    assert cost_value(older).value <= cost_value(case).value


@given(cost_inputs())
def test_value_is_the_formula_rounded_once(case: CostInputs) -> None:
    with localcontext(prec=40):
        exact = (
            case.cost
            * case.price_index
            * (1 + case.profit_rate)
            * case.remaining_years
            / (case.used_years + case.remaining_years)
            * (1 - case.obsolescence)
        )
    assert abs(cost_value(case).value - exact) <= D("0.005")
