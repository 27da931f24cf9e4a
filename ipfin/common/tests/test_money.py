from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.common.money import (
    FEN,
    MAX_AMOUNT,
    AmountTooLarge,
    money_str,
    parse_money,
    to_fen,
    wan_yuan,
)

# Amounts up to a trillion yuan, any number of decimals: far beyond any loan, far inside the
# 28-digit decimal context.
amounts = st.decimals(
    min_value=Decimal("-1000000000000"),
    max_value=Decimal("1000000000000"),
    allow_nan=False,
    allow_infinity=False,
)
non_negative_amounts = st.decimals(
    min_value=Decimal(0),
    max_value=Decimal("1000000000000"),
    allow_nan=False,
    allow_infinity=False,
)


# --- to_fen -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.005", "0.01"),  # half up, not half even
        ("0.015", "0.02"),
        ("0.025", "0.03"),  # half even would give 0.02
        ("2.675", "2.68"),  # exact from a string (the float 2.675 is 2.67499...)
        ("0.0049999", "0.00"),
        ("-0.005", "-0.01"),  # half away from zero
        ("-0.004", "0.00"),  # no negative zero
        ("1234.5", "1234.50"),
        (10, "10.00"),
        (Decimal("1E+3"), "1000.00"),
        (" 7.125 ", "7.13"),
    ],
)
def test_to_fen_rounds_half_up(raw: Decimal | int | str, expected: str) -> None:
    result = to_fen(raw)
    assert result == Decimal(expected)
    assert str(result) == expected


def test_to_fen_has_fen_exponent() -> None:
    assert to_fen(5).as_tuple().exponent == -2
    assert to_fen(Decimal("0.1")).as_tuple().exponent == -2


@pytest.mark.parametrize("bad", [1.5, 0.0, True])
def test_to_fen_rejects_float_and_bool(bad: object) -> None:
    with pytest.raises(TypeError):
        to_fen(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), "-Infinity", "nan", "abc", ""]
)
def test_to_fen_rejects_non_finite_and_garbage(bad: Decimal | str) -> None:
    with pytest.raises(ValueError):
        to_fen(bad)


@given(amounts)
def test_to_fen_is_idempotent(x: Decimal) -> None:
    assert to_fen(to_fen(x)) == to_fen(x)


@given(amounts)
def test_to_fen_moves_by_at_most_half_a_fen(x: Decimal) -> None:
    assert abs(to_fen(x) - x) <= Decimal("0.005")


@given(amounts)
def test_to_fen_is_a_whole_number_of_fen(x: Decimal) -> None:
    assert to_fen(x) % FEN == 0


@given(amounts, amounts)
def test_to_fen_is_monotone(x: Decimal, y: Decimal) -> None:
    if x <= y:
        assert to_fen(x) <= to_fen(y)


@given(amounts)
def test_to_fen_is_symmetric(x: Decimal) -> None:
    # ROUND_HALF_UP rounds halves away from zero, so rounding commutes with negation.
    assert to_fen(-x) == -to_fen(x)


# --- parse_money ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234.5", "1234.50"),
        ("1234.50", "1234.50"),
        ("1234", "1234.00"),
        ("0", "0.00"),
        ("0.01", "0.01"),
        ("  88.8\n", "88.80"),
        (1234, "1234.00"),
        (0, "0.00"),
        (Decimal("1234.5"), "1234.50"),
        (Decimal("99.99"), "99.99"),
        (Decimal("1E+3"), "1000.00"),
    ],
)
def test_parse_money_accepts(raw: str | int | Decimal, expected: str) -> None:
    result = parse_money(raw)
    assert str(result) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "-1",
        "-0",
        "-0.01",
        -5,
        Decimal("-0.01"),
        Decimal("-0"),
        "1.005",  # more than two decimals
        "1.500",  # literal places count, as in Django's DecimalValidator
        Decimal("1.500"),
        Decimal("0.001"),
        "1,234.50",  # no thousands separators
        "1 234",
        "NaN",
        "Infinity",
        Decimal("NaN"),
        Decimal("Infinity"),
        "",
        "   ",
        ".5",
        "5.",
        "+5",
        "1e3",
        "0x10",
        "12元",
        "１２",  # full-width digits
        "abc",
    ],
)
def test_parse_money_rejects(raw: str | int | Decimal) -> None:
    with pytest.raises(ValueError):
        parse_money(raw)


def test_parse_money_rejects_float() -> None:
    with pytest.raises(TypeError):
        parse_money(1.5)  # type: ignore[arg-type]


@given(non_negative_amounts)
def test_money_str_round_trips_through_parse_money(x: Decimal) -> None:
    amount = to_fen(x)
    assert parse_money(money_str(amount)) == amount


@given(st.integers(min_value=0, max_value=10**14))
def test_parse_money_of_fen_count(fen: int) -> None:
    text = f"{fen // 100}.{fen % 100:02d}"
    assert parse_money(text) == Decimal(fen) / 100


# --- money_str --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (Decimal("1234.5"), "1234.50"),
        (Decimal(0), "0.00"),
        (Decimal("-5"), "-5.00"),
        (Decimal("0.005"), "0.01"),
        (Decimal("1E+7"), "10000000.00"),  # never scientific notation
        (Decimal("12345678901234.567"), "12345678901234.57"),
    ],
)
def test_money_str(x: Decimal, expected: str) -> None:
    assert money_str(x) == expected


@given(amounts)
def test_money_str_has_exactly_two_decimals(x: Decimal) -> None:
    text = money_str(x)
    whole, _, decimals = text.partition(".")
    assert len(decimals) == 2
    assert whole.lstrip("-").isdigit()
    assert Decimal(text) == to_fen(x)


# --- wan_yuan ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (Decimal("12500000"), "1250.00"),
        (Decimal("10000"), "1.00"),
        (Decimal("15000"), "1.50"),
        (Decimal("49.99"), "0.00"),
        (Decimal("50"), "0.01"),  # 0.005 万元 rounds half up
        (Decimal("49.995"), "0.00"),  # rounded once from the exact amount, not via 50.00
        (Decimal("123456789.12"), "12345.68"),
        (Decimal("-12500000"), "-1250.00"),
    ],
)
def test_wan_yuan(x: Decimal, expected: str) -> None:
    assert str(wan_yuan(x)) == expected


@given(non_negative_amounts)
def test_wan_yuan_is_within_half_a_hundredth_of_a_wan(x: Decimal) -> None:
    assert abs(wan_yuan(x) * 10_000 - x) <= 50


# --- the upper bound ------------------------------------------------------------------------------


def test_max_amount_has_fifteen_significant_digits_and_survives_a_double() -> None:
    # SQLite stores DECIMAL columns as REAL (IEEE double, 15 significant digits exact): the bound
    # must come back unchanged, and so must every amount below it.
    assert str(MAX_AMOUNT) == "9999999999999.99"
    assert len(MAX_AMOUNT.as_tuple().digits) == 15
    assert Decimal(repr(float(MAX_AMOUNT))) == MAX_AMOUNT


@pytest.mark.parametrize(
    "raw", ["9999999999999.99", " 9999999999999.99 ", Decimal("9999999999999.99"), 9999999999999]
)
def test_parse_money_accepts_up_to_the_bound(raw: str | int | Decimal) -> None:
    assert parse_money(raw) <= MAX_AMOUNT


@pytest.mark.parametrize(
    "raw",
    [
        "10000000000000.00",  # the bound plus one fen
        "10000000000000",
        10000000000000,
        Decimal("10000000000000.00"),
        Decimal("1E+14"),
        "12345678901234.56",  # 16 significant digits: SQLite gave back ...34.60
        "99999999999999.99",
        "1" * 40,  # beyond the decimal context's 28 digits
        10**40,
    ],
)
def test_parse_money_refuses_amounts_above_the_bound(raw: str | int | Decimal) -> None:
    with pytest.raises(AmountTooLarge) as exc:
        parse_money(raw)
    assert isinstance(exc.value, ValueError)  # callers that catch ValueError still refuse it


@given(st.integers(min_value=0, max_value=10**20))
def test_parse_money_result_never_exceeds_the_bound(fen: int) -> None:
    text = f"{fen // 100}.{fen % 100:02d}"
    try:
        amount = parse_money(text)
    except AmountTooLarge:
        assert Decimal(text) > MAX_AMOUNT
    else:
        assert amount == Decimal(text) <= MAX_AMOUNT
        assert Decimal(repr(float(amount))) == amount  # exact through SQLite's REAL
