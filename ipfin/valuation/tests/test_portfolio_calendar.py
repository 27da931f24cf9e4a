"""The score's calendar arithmetic on day numbers (ipfin.valuation.portfolio: integers, H.
Hinnant's civil-calendar algorithms) against NumPy's own datetime64 conversions, which it
replaced for speed: the same day for any day, any shift, 29 February and month ends included."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ipfin.valuation.portfolio import (
    _MISSING,
    _add_months,
    _add_years,
    _end_of_50th_year,
    _year_of,
)

# From the year 0905 to 3094: every date a right or an author's life can carry, and then some.
_DAYS = hnp.arrays(np.int64, st.integers(1, 50), elements=st.integers(-400_000, 400_000))


def _reference_add_months(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    d = days.astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    offset = d - month.astype("datetime64[D]")
    moved = (month + months.astype("timedelta64[M]")).astype("datetime64[D]") + offset
    return moved.astype(np.int64)


@settings(max_examples=200)
@given(days=_DAYS, data=st.data())
def test_years_and_months_added_as_numpy_calendar_does(days: np.ndarray, data: st.DataObject):
    years = data.draw(hnp.arrays(np.int64, days.shape, elements=st.integers(0, 120)), label="years")
    months = data.draw(st.integers(-24, 240), label="months")
    assert np.array_equal(_add_years(days, years), _reference_add_months(days, 12 * years))
    assert np.array_equal(
        _add_months(days, months), _reference_add_months(days, np.full(days.shape, months))
    )
    reference_year = days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    assert np.array_equal(_year_of(days), reference_year)


def test_leap_days_and_month_ends_roll_into_the_next_month():
    def day(text: str) -> int:
        return int(np.datetime64(text, "D").astype(np.int64))

    days = np.array([day("2024-02-29"), day("2023-08-31"), day("1900-02-28")], dtype=np.int64)
    assert _add_years(days, np.array([1, 0, 100])).tolist() == [
        day("2025-03-01"),
        day("2023-08-31"),
        day("2000-02-28"),
    ]
    assert _add_months(days, 6).tolist() == [
        day("2024-08-29"),
        day("2024-03-02"),  # 31 February 2024: two days past the 29th
        day("1900-08-28"),
    ]


def test_end_of_the_50th_year_keeps_unknown_days_unknown():
    days = np.array([_MISSING, int(np.datetime64("1970-06-30", "D").astype(np.int64))])
    assert _end_of_50th_year(days).tolist() == [
        _MISSING,
        int(np.datetime64("2021-01-01", "D").astype(np.int64)),
    ]
