"""The one formatting layer (ipfin.common.display): amounts by unit and size, rates, ranges."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.common import display
from ipfin.common.money import to_fen

M = display.MINUS


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (Decimal("0"), "0.00 元"),
        (Decimal("0.004"), "0.00 元"),
        (Decimal("1234.5"), "1,234.50 元"),
        (Decimal("9999.99"), "9,999.99 元"),
        # 9,999.995 rounds to 1.00 万 as shown: the unit follows the figure shown.
        (Decimal("9999.995"), "1.00 万元"),
        (Decimal("10000"), "1.00 万元"),
        (Decimal("12500000"), "1,250.00 万元"),
        (Decimal("99994999.99"), "9,999.50 万元"),
        # Just under 1亿 rounds to 1.00 亿元, never "10,000.00 万元".
        (Decimal("99999999.99"), "1.00 亿元"),
        (Decimal("100000000"), "1.00 亿元"),
        (Decimal("10000000000"), "100.00 亿元"),
        (Decimal("123456789012.34"), "1,234.57 亿元"),
        (Decimal("-20000"), f"{M}2.00 万元"),
        (Decimal("-9999.99"), f"{M}9,999.99 元"),
        (Decimal("-250000000"), f"{M}2.50 亿元"),
        (Decimal("-0.004"), "0.00 元"),
    ],
)
def test_yuan_scaled_chooses_the_unit_by_size(x: Decimal, expected: str) -> None:
    assert display.yuan_scaled(x) == expected


@pytest.mark.parametrize(
    ("x", "zh", "en"),
    [
        (Decimal("1200000"), "1,200,000.00 元", "CNY 1,200,000.00"),
        (Decimal("10000000000"), "10,000,000,000.00 元", "CNY 10,000,000,000.00"),
        (Decimal("0.005"), "0.01 元", "CNY 0.01"),
        (Decimal("-5"), f"{M}5.00 元", "CNY -5.00"),
        ("616000.00", "616,000.00 元", "CNY 616,000.00"),
        (1200, "1,200.00 元", "CNY 1,200.00"),
    ],
)
def test_exact_amounts_in_both_languages(x: object, zh: str, en: str) -> None:
    assert display.yuan_exact(x) == zh
    assert display.yuan_en(x) == en
    assert display.money_pair(x) == (zh, en)


def test_english_is_one_form_whatever_the_size() -> None:
    assert display.yuan(Decimal("10000000000"), english=True) == "CNY 10,000,000,000.00"
    assert display.yuan(Decimal("1.5"), english=True, exact=True) == "CNY 1.50"
    assert display.yuan(None, english=False) == ""


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        display.yuan_scaled(1.5)
    with pytest.raises(TypeError):
        display.percent(0.5)


@given(
    st.decimals(
        min_value=Decimal("-999999999999"),
        max_value=Decimal("999999999999"),
        allow_nan=False,
        allow_infinity=False,
        places=2,
    )
)
def test_scaled_figure_is_within_half_a_hundredth_of_its_unit(x: Decimal) -> None:
    text = display.yuan_scaled(x)
    number_text, unit = text.rsplit(" ", 1)
    number = Decimal(number_text.replace(",", "").replace(M, "-"))
    scale = {"元": Decimal(1), "万元": Decimal(10_000), "亿元": Decimal(100_000_000)}[unit]
    assert abs(number * scale - x) <= scale / 200
    # The unit is the largest one in which the shown figure is at least 1.
    if unit != "元":
        assert abs(number) >= 1
    if unit == "万元":
        assert abs(number) < 10_000
    if unit == "元":
        assert abs(to_fen(x)) < 10_000


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (Decimal("0.035"), "3.50%"),
        (Decimal("0.324749"), "32.47%"),
        (Decimal("0.324750"), "32.48%"),
        (Decimal("3.7967"), "379.67%"),
        (Decimal("1"), "100.00%"),
        (Decimal("12.5"), "1,250.00%"),
        (Decimal("-0.012"), f"{M}1.20%"),
        (Decimal("-0.00001"), "0.00%"),
        (None, "—"),
        ("0.05", "5.00%"),
    ],
)
def test_percent(ratio: object, expected: str) -> None:
    assert display.percent(ratio) == expected


@pytest.mark.parametrize(
    ("lpr", "spread", "expected"),
    [
        (Decimal("0.03"), 50, "3.00% + 50bp"),
        (Decimal("0.0345"), Decimal("25.5"), "3.45% + 25.5bp"),
        (Decimal("0.03"), -20, f"3.00% {M} 20bp"),
        (Decimal("0.03"), 0, "3.00% + 0bp"),
    ],
)
def test_lpr_rate(lpr: Decimal, spread: object, expected: str) -> None:
    assert display.lpr_rate(lpr, spread) == expected


@pytest.mark.parametrize(
    ("low", "high", "zh", "en"),
    [
        (
            Decimal("1000000"),
            Decimal("5000000"),
            "100.00 万元 至 500.00 万元",
            "CNY 1,000,000.00 to CNY 5,000,000.00",
        ),
        (None, Decimal("5000000"), "至 500.00 万元", "up to CNY 5,000,000.00"),
        (Decimal("0"), Decimal("5000000"), "至 500.00 万元", "up to CNY 5,000,000.00"),
        (Decimal("1000000"), None, "100.00 万元 起", "from CNY 1,000,000.00"),
        (None, None, "", ""),
    ],
)
def test_amount_range_has_no_dash(low: object, high: object, zh: str, en: str) -> None:
    assert display.amount_range(low, high, english=False) == zh
    assert display.amount_range(low, high, english=True) == en
    assert "-" not in zh and "–" not in zh and "—" not in zh
