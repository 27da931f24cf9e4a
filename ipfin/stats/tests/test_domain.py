"""The pure rules of the monitoring figures (ipfin.stats.domain)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.stats.domain import (
    Period,
    PeriodError,
    growth,
    meets_target,
    parse_period,
    quarter_ends,
    quarters_of,
    ratio,
)


def test_ratio_rounds_half_up_to_six_decimals_and_is_zero_without_a_denominator() -> None:
    assert ratio(1, 3) == Decimal("0.333333")
    assert ratio(2, 3) == Decimal("0.666667")
    assert ratio(1, 16_000_000) == Decimal("0.000000")  # 0.0000000625
    assert ratio(1, 8_000_000) == Decimal("0.000000")  # 0.000000125
    assert ratio(1, 2_000_000) == Decimal("0.000001")  # 0.0000005: half up
    assert ratio(-1, 2_000_000) == Decimal("-0.000001")  # away from zero
    assert ratio(5, 0) == Decimal("0.000000")


@given(st.integers(-(10**15), 10**15), st.integers(1, 10**15))
def test_ratio_is_within_half_a_unit_of_the_exact_quotient(n: int, d: int) -> None:
    assert abs(Fraction(ratio(n, d)) - Fraction(n, d)) <= Fraction(1, 2_000_000)


def test_growth_is_none_from_nothing() -> None:
    assert growth(5, 0) is None
    assert growth(12, 10) == Decimal("0.200000")
    assert growth(9, 10) == Decimal("-0.100000")


def test_target_seed_001_is_met_at_exactly_twenty_percent_by_both_figures_civil_code_1259() -> None:
    # 入园惠企: "增长 20% 以上" includes 20% itself (民法典 art. 1259).
    assert meets_target((12, 10), (120_000, 100_000))
    assert not meets_target((11, 10), (150_000, 100_000))
    assert not meets_target((15, 10), (119_999, 100_000))
    assert not meets_target((5, 0), (100, 50))  # no base year


def test_target_seed_001_is_judged_on_the_exact_growth_not_the_six_decimals_shown() -> None:
    # 100,000,001 → 120,000,001 fen: 19.9999998%, shown as 0.200000 (half up): not met.
    assert growth(120_000_001, 100_000_001) == Decimal("0.200000")
    assert not meets_target((6, 5), (120_000_001, 100_000_001))
    assert meets_target((6, 5), (120_000_002, 100_000_001))


def test_periods_are_parsed_as_quarters_or_years() -> None:
    assert parse_period("2026Q3") == Period(date(2026, 7, 1), date(2026, 9, 30), "2026Q3")
    assert parse_period("2024") == Period(date(2024, 1, 1), date(2024, 12, 31), "2024")
    for bad in ("2026Q5", "26Q1", "2026-Q1", "", "２０２６Q1"):
        with pytest.raises(PeriodError):
            parse_period(bad)


def test_a_period_ends_on_or_after_its_start_and_spans_at_most_ten_years() -> None:
    with pytest.raises(PeriodError) as error:
        Period.between(date(2025, 2, 1), date(2025, 1, 31))
    assert error.value.field == "to"
    with pytest.raises(PeriodError):
        Period.between(date(2015, 1, 1), date(2025, 1, 2))
    assert Period.between(date(2025, 1, 1), date(2025, 1, 1)).start == date(2025, 1, 1)


@given(st.dates(date(2000, 1, 1), date(2030, 12, 31)), st.integers(0, 2000))
def test_the_quarters_of_a_period_tile_it_exactly(start: date, days: int) -> None:
    period = Period.between(start, start + timedelta(days=days))
    quarters = quarters_of(period)
    assert quarters[0].start == period.start and quarters[-1].end == period.end
    for before, after in itertools.pairwise(quarters):
        assert after.start == before.end + timedelta(days=1)
        assert after.name > before.name
    for quarter in quarters:
        assert parse_period(quarter.name).start <= quarter.start <= quarter.end
        assert quarter.end <= parse_period(quarter.name).end


def test_quarter_ends_are_the_quarters_over_before_today() -> None:
    assert quarter_ends(date(2024, 11, 20), date(2025, 7, 1)) == [
        date(2024, 12, 31),
        date(2025, 3, 31),
        date(2025, 6, 30),
    ]
    assert quarter_ends(date(2025, 6, 30), date(2025, 6, 30)) == []  # not over on its own day
    assert quarter_ends(date(2025, 6, 30), date(2025, 7, 1)) == [date(2025, 6, 30)]


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)),
    st.integers(0, 3000),
)
def test_quarter_ends_cover_every_quarter_from_the_first_day_once(first: date, days: int) -> None:
    today = first + timedelta(days=days)
    ends = quarter_ends(first, today)
    assert all(end < today for end in ends)
    assert all((end + timedelta(days=1)).day == 1 for end in ends)
    assert all((end + timedelta(days=1)).month in (1, 4, 7, 10) for end in ends)
    assert ends == sorted(set(ends))
    if ends:
        assert ends[0] >= first and ends[0] - first < timedelta(days=92)
    # The next quarter end left out is not over yet.
    after = ends[-1] + timedelta(days=1) if ends else first
    assert quarter_ends(after, today + timedelta(days=400))[0] >= today
    for a, b in itertools.pairwise(ends):
        assert timedelta(days=89) <= b - a <= timedelta(days=92)
