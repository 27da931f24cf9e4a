"""NPL tolerance (ipfin.risk.domain.npl): the IP-pledge NPL ratio against the bank's overall ratio
plus 3 percentage points, inclusive, compared exactly. Pure: no database.

Test names carry their source: `seed000` (不良容忍度 of the policy seeds 000, 002 and 004, as
DOMAIN.md and issue 12 state it), `minfadian_art1259` (以内 includes the figure)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.common.errors import ValidationFailed
from ipfin.common.money import MAX_AMOUNT
from ipfin.risk.domain.npl import NplTolerance, Quarter, npl_tolerance, period_in, ratio_6
from ipfin.risk.domain.ratios import MAX_PLACES

D = Decimal


def tolerance(npl: str, balance: str, bank: str) -> NplTolerance:
    return npl_tolerance(ip_npl_balance=D(npl), ip_balance=D(balance), bank_npl_ratio=D(bank))


def test_at_exactly_three_points_above_it_is_tolerated_seed000_minfadian_art1259() -> None:
    # 5,000,000.00 ÷ 100,000,000.00 = 0.05 = 0.02 + 0.03: the limit itself is within.
    result = tolerance("5000000.00", "100000000.00", "0.02")
    assert (result.ip_npl_ratio, result.limit, result.tolerated) == (
        Fraction(1, 20),
        Fraction(1, 20),
        True,
    )
    assert tolerance("4999999.99", "100000000.00", "0.02").tolerated


def test_one_fen_above_the_limit_is_not_tolerated_seed000() -> None:
    assert not tolerance("5000000.01", "100000000.00", "0.02").tolerated


def test_compared_exactly_not_after_rounding_to_six_decimals_seed000() -> None:
    # 15,000,000.01 ÷ 300,000,000.00 = 0.0500000000333…: shown as 0.050000, like the limit, and
    # still above it.
    result = tolerance("15000000.01", "300000000.00", "0.02")
    assert ratio_6(result.ip_npl_ratio) == ratio_6(result.limit) == D("0.050000")
    assert not result.tolerated


def test_no_ip_pledge_loans_is_a_ratio_of_zero_seed000() -> None:
    result = tolerance("0", "0", "0")
    assert (result.ip_npl_ratio, result.limit, result.tolerated) == (0, Fraction(3, 100), True)


def test_the_limit_may_pass_one() -> None:
    result = tolerance("100", "100", "0.99")
    assert (result.limit, result.tolerated) == (Fraction(102, 100), True)
    assert ratio_6(result.limit) == D("1.020000")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Fraction(1, 3), "0.333333"),
        (Fraction(2, 3), "0.666667"),
        (Fraction(1, 2_000_000), "0.000001"),  # 0.0000005: half up, not half even
        (Fraction(3, 2_000_000), "0.000002"),
        (Fraction(1, 2_000_001), "0.000000"),  # just below the half
        (Fraction(0), "0.000000"),
        (Fraction(1), "1.000000"),
    ],
)
def test_ratios_show_six_decimals_rounded_half_up(value: Fraction, shown: str) -> None:
    assert f"{ratio_6(value):f}" == shown


def test_npl_above_the_balance_is_refused_naming_ip_npl_balance() -> None:
    with pytest.raises(ValidationFailed) as info:
        tolerance("100.01", "100.00", "0.01")
    assert (info.value.code, info.value.extra["field"]) == ("npl_above_balance", "ip_npl_balance")
    assert tolerance("100.00", "100.00", "0.01").ip_npl_ratio == 1


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("bank_npl_ratio", D("1.0000000001"), "ratio_invalid"),
        ("bank_npl_ratio", D("-0.01"), "ratio_invalid"),
        ("bank_npl_ratio", D("0.01234567891"), "ratio_invalid"),  # 11 decimals
        ("bank_npl_ratio", 0.02, "decimal_invalid"),  # a float
        ("bank_npl_ratio", D("Infinity"), "decimal_invalid"),
        ("ip_balance", D("-1"), "amount_invalid"),
        ("ip_npl_balance", D("0.001"), "amount_invalid"),
        ("ip_balance", MAX_AMOUNT + 1, "amount_too_large"),
    ],
)
def test_each_bad_input_is_a_422_naming_it(field: str, value: Any, code: str) -> None:
    given_inputs: dict[str, Any] = {
        "ip_npl_balance": D(0),
        "ip_balance": D(100),
        "bank_npl_ratio": D("0.01"),
        field: value,
    }
    with pytest.raises(ValidationFailed) as info:
        npl_tolerance(**given_inputs)
    assert (info.value.status, info.value.code, info.value.extra["field"]) == (422, code, field)


def test_the_bank_ratio_takes_0_and_1_and_ten_decimals() -> None:
    assert tolerance("0", "1", "0").limit == Fraction(3, 100)
    assert tolerance("0", "1", "1").limit == Fraction(103, 100)
    tiny = D(1).scaleb(-MAX_PLACES)
    assert tolerance("0", "1", str(tiny)).limit == Fraction(3, 100) + Fraction(tiny)


# --- properties -----------------------------------------------------------------------------------

fen = st.integers(min_value=0, max_value=int(MAX_AMOUNT * 100))
ratios = st.integers(min_value=0, max_value=10**MAX_PLACES).map(lambda n: D(n).scaleb(-MAX_PLACES))


@st.composite
def balances(draw: st.DrawFn) -> tuple[Decimal, Decimal]:
    whole = draw(fen)
    part = draw(st.integers(min_value=0, max_value=whole))
    return D(part).scaleb(-2), D(whole).scaleb(-2)


@given(balances(), ratios)
def test_tolerated_exactly_when_npl_is_within_the_limit_times_the_balance_seed000(
    amounts: tuple[Decimal, Decimal], bank: Decimal
) -> None:
    npl, balance = amounts
    result = npl_tolerance(ip_npl_balance=npl, ip_balance=balance, bank_npl_ratio=bank)
    assert 0 <= result.ip_npl_ratio <= 1
    assert result.limit == Fraction(bank) + Fraction(3, 100)
    # Cross-multiplied in integers (fen and units of 10^-MAX_PLACES): no division, no rounding.
    npl_fen, balance_fen = int(npl * 100), int(balance * 100)
    bank_units = int(bank.scaleb(MAX_PLACES))
    within = npl_fen * 10**MAX_PLACES <= (bank_units + 3 * 10 ** (MAX_PLACES - 2)) * balance_fen
    assert result.tolerated is within
    assert abs(
        ratio_6(result.ip_npl_ratio)
        - D(result.ip_npl_ratio.numerator) / D(result.ip_npl_ratio.denominator)
    ) <= D("0.0000005")


@given(balances(), ratios, st.integers(min_value=0, max_value=10**6), ratios)
def test_a_higher_npl_balance_or_a_lower_bank_ratio_never_turns_it_tolerated_seed000(
    amounts: tuple[Decimal, Decimal], bank: Decimal, more_fen: int, less: Decimal
) -> None:
    npl, balance = amounts
    base = npl_tolerance(ip_npl_balance=npl, ip_balance=balance, bank_npl_ratio=bank)
    worse = npl_tolerance(
        ip_npl_balance=min(npl + D(more_fen).scaleb(-2), balance),
        ip_balance=balance,
        bank_npl_ratio=bank,
    )
    assert worse.tolerated <= base.tolerated
    lower = max(D(0), bank - less)
    stricter = npl_tolerance(ip_npl_balance=npl, ip_balance=balance, bank_npl_ratio=lower)
    assert stricter.tolerated <= base.tolerated


# --- the reporting period (issue 12: `{period: "2026Q3", ratio}`) --------------------------------


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2024Q1", date(2024, 1, 1), date(2024, 3, 31)),
    ],
)
def test_a_period_is_a_calendar_quarter_issue12(text: str, first: date, last: date) -> None:
    quarter = period_in(text)
    assert (str(quarter), quarter.first_day, quarter.last_day) == (text, first, last)


@pytest.mark.parametrize(
    "text",
    [
        *("2026q3", "2026Q0", "2026Q5", "26Q3", "2026Q3 ", " 2026Q3", "2026Q3\n", "２０２６Q3"),
        *("0000Q1", "2026-Q3", "20261Q3"),
    ],
)
def test_anything_but_yyyyqn_is_period_invalid_issue12(text: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        period_in(text)
    assert (info.value.code, info.value.extra["field"]) == ("period_invalid", "period")


@pytest.mark.parametrize("value", [None, 2026, D("2026"), b"2026Q3"])
def test_a_period_is_text(value: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        period_in(value)
    assert info.value.code == "period_invalid"


def test_a_quarter_has_ended_from_the_day_after_its_last_issue12() -> None:
    with pytest.raises(ValidationFailed) as info:
        period_in("2026Q3", today=date(2026, 9, 30))
    assert (info.value.code, info.value.extra["period_end"]) == ("period_not_ended", "2026-09-30")
    assert period_in("2026Q3", today=date(2026, 10, 1)) == Quarter(2026, 3)


@given(st.dates(min_value=date(1, 4, 1), max_value=date(9999, 9, 30)))
def test_each_day_is_in_one_quarter_and_quarters_follow_each_other(day: date) -> None:
    quarter = Quarter.of(day)
    assert quarter.first_day <= day <= quarter.last_day
    assert period_in(str(quarter)) == quarter
    previous = quarter.previous()
    assert previous.last_day + timedelta(days=1) == quarter.first_day
    assert previous < quarter and not quarter.ended(quarter.last_day)
    assert quarter.ended(quarter.last_day + timedelta(days=1))
