"""市场法 (market approach): hand-computed cases, every validation error, and properties
(weights normalised, value within the adjusted prices, order-free). Pure engine: no database."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.common.money import to_fen
from ipfin.valuation.domain.errors import ValuationInputError
from ipfin.valuation.domain.market import Comparable, market_value

D = Decimal

FIRST = Comparable(
    price=D(1_000_000),
    technical=D("1.1"),
    economic=D("0.9"),
    remaining_life_ratio=D("0.8"),  # 8 years left for the right / 10 for the comparable
    time=D("1.05"),
    weight=D("0.6"),
    label="CN201510000001.X 转让",
)
SECOND = Comparable(
    price=D(800_000),
    technical=D("1.2"),
    economic=D(1),
    remaining_life_ratio=D("1.25"),
    time=D("1.02"),
    weight=D("0.4"),
    label="entered",
)


def test_hand_computed() -> None:
    # Adjusted prices: 1,000,000 × 1.1 × 0.9 × 0.8 × 1.05 = 831,600
    #                    800,000 × 1.2 × 1.0 × 1.25 × 1.02 = 1,224,000
    # V = (0.6 × 831,600 + 0.4 × 1,224,000) / (0.6 + 0.4) = 498,960 + 489,600 = 988,560.00
    result = market_value([FIRST, SECOND])
    assert result.value == D("988560.00")
    first, second = result.comparables
    assert (first.label, first.price, first.adjusted_price) == (FIRST.label, D(1_000_000), 831_600)
    assert second.adjusted_price == D(1_224_000)
    assert (first.normalised_weight, second.normalised_weight) == (D("0.6"), D("0.4"))
    assert (first.contribution, second.contribution) == (D(498_960), D(489_600))


def test_weights_are_normalised_by_their_sum() -> None:
    # Weights 3 and 2 are 0.6 and 0.4 once divided by their sum 5: the same 988,560.00.
    result = market_value(
        [dataclasses.replace(FIRST, weight=D(3)), dataclasses.replace(SECOND, weight=D(2))]
    )
    assert result.value == D("988560.00")
    assert [c.normalised_weight for c in result.comparables] == [D("0.6"), D("0.4")]


def test_value_rounds_once_half_up() -> None:
    # Weights 1 and 2, adjusted prices 0.01 and 0.0025: (0.01 + 0.005) / 3 = 0.005 → 0.01 (half
    # up), where summing the contributions rounded at 34 digits (0.00333… + 0.00166…) could fall
    # just below half a fen.
    unit = {"technical": D(1), "economic": D(1), "remaining_life_ratio": D(1), "time": D(1)}
    result = market_value(
        [
            Comparable(price=D("0.01"), weight=D(1), **unit),
            Comparable(price=D("0.0025"), weight=D(2), **unit),
        ]
    )
    assert result.value == D("0.01")


@pytest.mark.parametrize(
    ("index", "overrides", "field"),
    [
        (2, {"weight": D(0)}, "comparables[2].weight"),
        (0, {"weight": D("-0.1")}, "comparables[0].weight"),
        (1, {"price": D(-1)}, "comparables[1].price"),
        (1, {"technical": D(0)}, "comparables[1].technical"),
        (0, {"economic": D("-0.5")}, "comparables[0].economic"),
        (2, {"remaining_life_ratio": D(0)}, "comparables[2].remaining_life_ratio"),
        (1, {"time": D(0)}, "comparables[1].time"),
        (0, {"price": D("NaN")}, "comparables[0].price"),
        (0, {"weight": 1.0}, "comparables[0].weight"),  # a float is refused
    ],
)
def test_impossible_comparables_are_refused(
    index: int, overrides: dict[str, object], field: str
) -> None:
    comparables = [FIRST, SECOND, SECOND]
    comparables[index] = dataclasses.replace(comparables[index], **overrides)  # type: ignore[arg-type]
    with pytest.raises(ValuationInputError) as caught:
        market_value(comparables)
    assert caught.value.field == field
    assert caught.value.status == 422
    assert caught.value.detail_zh != caught.value.detail_en


def test_no_comparable_is_refused() -> None:
    with pytest.raises(ValuationInputError) as caught:
        market_value([])
    assert caught.value.field == "comparables"


def test_value_beyond_the_largest_amount_is_refused() -> None:
    # 10^12 × 1.1 × 1 × 0.8 × 10 = 8.8 × 10^12 ≤ MAX_AMOUNT (9,999,999,999,999.99): allowed;
    # 10^12 × 1.1 × 1 × 1.0 × 10 = 1.1 × 10^13 > MAX_AMOUNT: refused.
    big = dataclasses.replace(FIRST, price=D(10) ** 12, economic=D(1), time=D(10))
    assert market_value([big]).value == D("8800000000000.00")
    with pytest.raises(ValuationInputError) as caught:
        market_value([dataclasses.replace(big, remaining_life_ratio=D(1))])
    assert caught.value.field == "comparables"


prices = st.decimals(min_value=D(0), max_value=D(1_000_000_000), places=2)
factors = st.decimals(min_value=D("0.1"), max_value=D(3), places=3)
weights = st.decimals(min_value=D("0.001"), max_value=D(100), places=3)


@st.composite
def comparable(draw: st.DrawFn) -> Comparable:
    return Comparable(
        price=draw(prices),
        technical=draw(factors),
        economic=draw(factors),
        remaining_life_ratio=draw(factors),
        time=draw(factors),
        weight=draw(weights),
    )


comparable_lists = st.lists(comparable(), min_size=1, max_size=6)


@given(comparable_lists, st.decimals(min_value=D("0.001"), max_value=D(1000), places=3))
def test_scaling_all_weights_leaves_the_value_unchanged(
    comparables: list[Comparable], scale: Decimal
) -> None:
    scaled = [dataclasses.replace(c, weight=c.weight * scale) for c in comparables]
    assert market_value(scaled).value == market_value(comparables).value


@given(comparable_lists)
def test_value_lies_within_the_adjusted_prices(comparables: list[Comparable]) -> None:
    result = market_value(comparables)
    adjusted = [c.adjusted_price for c in result.comparables]
    assert to_fen(min(adjusted)) <= result.value <= to_fen(max(adjusted))
    assert abs(sum(c.normalised_weight for c in result.comparables) - 1) <= D(
        "1e-25"
    )  # 28-digit sum
    assert abs(sum(c.contribution for c in result.comparables) - result.value) <= D("0.005")


@given(comparable_lists, st.randoms())
def test_order_of_comparables_does_not_matter(comparables: list[Comparable], rnd: object) -> None:
    shuffled = list(comparables)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert market_value(shuffled).value == market_value(comparables).value


@given(comparable())
def test_one_comparable_is_its_adjusted_price(single: Comparable) -> None:
    expected = single.price * single.technical * single.economic
    expected *= single.remaining_life_ratio * single.time
    assert market_value([single]).value == to_fen(expected)
