from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import chinese_calendar  # type: ignore[import-untyped]  # the package ships no type information
import pytest
from chinese_calendar import constants as chinese_calendar_data
from hypothesis import given
from hypothesis import strategies as st

from ipfin.common import workdays
from ipfin.common.workdays import (
    HOLIDAY_DATA_DUE,
    PACKAGE_CALENDAR,
    CalendarSource,
    WorkingCalendar,
    YearArrangement,
    add_working_days,
    covered_years,
    holiday_data_missing,
    is_working_day,
    package_arrangement,
    working_days_between,
)

# Years around the end of the package's data, so that properties exercise both the package data and
# the Monday-to-Friday fallback, whatever version is installed.
_LAST = max(day.year for day in chinese_calendar_data.holidays)
starts = st.dates(min_value=date(2023, 1, 1), max_value=date(_LAST + 2, 12, 31))
counts = st.integers(min_value=0, max_value=300)


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget which fallback years were already warned about in this process."""
    monkeypatch.setattr(workdays, "_warned_years", set())


def d(iso: str) -> date:
    return date.fromisoformat(iso)


# --- covered_years ----------------------------------------------------------------------------


def test_covered_years_come_from_the_package_data() -> None:
    years = {day.year for day in chinese_calendar_data.holidays}
    covered = covered_years()
    assert covered.start == min(years) == 2004
    assert covered.stop - 1 == max(years)
    assert 2025 in covered
    assert 2026 in covered  # chinese-calendar 1.11.0 carries the 2026 arrangement


def test_covered_years_agree_with_the_package_range_check() -> None:
    covered = covered_years()
    chinese_calendar.is_workday(date(covered.start, 6, 1))
    chinese_calendar.is_workday(date(covered.stop - 1, 6, 1))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(covered.stop, 1, 1))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(covered.start - 1, 12, 31))


# --- is_working_day with real arrangements ----------------------------------------------------
# Checked against chinese-calendar 1.11.0 data and the State Council notices:
# 2025: National Day + Mid-Autumn off 10-01..10-08; Sun 09-28 and Sat 10-11 are working days.
# 2026: New Year off 01-01..01-03, Sun 01-04 working; Spring Festival off 02-15..02-23, Sat 02-14
#       and Sat 02-28 working; Dragon Boat off 06-19..06-21; Mid-Autumn off 09-25..09-27, Sun 09-20
#       working; National Day off 10-01..10-07, Sat 10-10 working.


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2025-09-26", True),  # Friday
        ("2025-09-27", False),  # Saturday
        ("2025-09-28", True),  # Sunday, adjusted working day
        ("2025-09-30", True),  # Tuesday
        ("2025-10-01", False),  # National Day
        ("2025-10-06", False),  # Mid-Autumn (Monday)
        ("2025-10-08", False),  # Wednesday, holiday
        ("2025-10-09", True),  # Thursday
        ("2025-10-11", True),  # Saturday, adjusted working day
        ("2025-10-12", False),  # Sunday
        ("2026-01-01", False),  # New Year (Thursday)
        ("2026-01-02", False),  # Friday, holiday
        ("2026-01-04", True),  # Sunday, adjusted working day
        ("2026-02-14", True),  # Saturday, adjusted working day
        ("2026-02-16", False),  # Monday, Spring Festival
        ("2026-02-23", False),  # Monday, Spring Festival
        ("2026-02-24", True),  # Tuesday
        ("2026-02-28", True),  # Saturday, adjusted working day
        ("2026-06-19", False),  # Dragon Boat (Friday)
        ("2026-09-20", True),  # Sunday, adjusted working day
        ("2026-09-25", False),  # Mid-Autumn (Friday)
        ("2026-10-07", False),  # Wednesday, National Day
        ("2026-10-08", True),  # Thursday
        ("2026-10-10", True),  # Saturday, adjusted working day
        ("2026-11-23", True),  # an ordinary Monday
    ],
)
def test_is_working_day_real_arrangements(day: str, working: bool) -> None:
    assert is_working_day(d(day)) is working


def test_is_working_day_accepts_datetime() -> None:
    assert is_working_day(datetime(2025, 10, 1, 9, 30)) is False
    assert is_working_day(datetime(2025, 9, 28, 9, 30)) is True


# --- add_working_days with real arrangements --------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2025-09-30", 1, "2025-10-09"),  # across National Day + Mid-Autumn 2025
        ("2025-09-26", 1, "2025-09-28"),  # Friday + 1 is the adjusted working Sunday
        ("2025-09-26", 2, "2025-09-29"),
        ("2025-10-09", 2, "2025-10-11"),  # Thu, Fri, then the adjusted working Saturday
        ("2025-10-10", 3, "2025-10-14"),  # Sat 10-11, Mon 10-13, Tue 10-14
        ("2025-09-30", 7, "2025-10-16"),  # 10-09, 10-10, 10-11 (Sat), 10-13 .. 10-16
        ("2025-12-31", 1, "2026-01-04"),  # across New Year 2026 and the year boundary
        ("2026-02-13", 1, "2026-02-14"),  # Friday + 1 is the adjusted working Saturday
        ("2026-02-13", 2, "2026-02-24"),  # across Spring Festival 2026
        ("2026-09-30", 1, "2026-10-08"),  # across National Day 2026
        ("2026-09-18", 1, "2026-09-20"),  # Friday + 1 is the adjusted working Sunday
        ("2026-11-20", 1, "2026-11-23"),  # ordinary Friday + 1 is Monday
        ("2026-11-20", 3, "2026-11-25"),  # the local 3-working-day window
        ("2025-10-01", 0, "2025-10-01"),  # n = 0 returns start, even on a holiday
    ],
)
def test_add_working_days_real_arrangements(start: str, n: int, expected: str) -> None:
    assert add_working_days(d(start), n) == d(expected)


def test_add_working_days_rejects_negative_n() -> None:
    with pytest.raises(ValueError):
        add_working_days(d("2025-10-09"), -1)


# --- working_days_between ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2025-09-30", "2025-10-09", 1),
        ("2025-09-30", "2025-10-08", 0),  # only holidays in between
        ("2025-09-26", "2025-10-12", 6),  # 09-28, 09-29, 09-30, 10-09, 10-10, 10-11
        ("2026-02-13", "2026-02-28", 6),  # 02-14, 02-24, 02-25, 02-26, 02-27, 02-28
        ("2026-11-23", "2026-11-23", 0),  # empty interval
        ("2026-11-24", "2026-11-23", 0),  # b before a
        ("2026-11-22", "2026-11-23", 1),  # b counted, a not
    ],
)
def test_working_days_between(a: str, b: str, expected: int) -> None:
    assert working_days_between(d(a), d(b)) == expected


def test_working_days_in_october_2025() -> None:
    # 31 days less the holidays 10-01..10-08 and the weekend days 10-12, 10-18, 10-19, 10-25, 10-26
    # (Saturday 10-11 is an adjusted working day).
    assert working_days_between(d("2025-09-30"), d("2025-10-31")) == 31 - 8 - 5


# --- fallback outside the package data --------------------------------------------------------


def _first_monday(year: int) -> date:
    day = date(year, 1, 1)
    while day.weekday() != 0:
        day += timedelta(days=1)
    return day


def test_fallback_after_the_last_covered_year_is_monday_to_friday(fresh_warnings: None) -> None:
    monday = _first_monday(covered_years().stop)
    assert [is_working_day(monday + timedelta(days=i)) for i in range(7)] == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
    ]


def test_fallback_before_the_first_covered_year(fresh_warnings: None) -> None:
    assert covered_years().start == 2004
    assert is_working_day(d("2003-10-01")) is True  # a Wednesday: a holiday, unknown to the data
    assert is_working_day(d("2003-10-04")) is False  # Saturday


def test_fallback_add_working_days_skips_weekends_only(fresh_warnings: None) -> None:
    friday = _first_monday(covered_years().stop + 1) + timedelta(days=4)
    assert add_working_days(friday, 1) == friday + timedelta(days=3)
    assert add_working_days(friday, 5) == friday + timedelta(days=7)


def test_fallback_warns_once_per_year(
    fresh_warnings: None, caplog: pytest.LogCaptureFixture
) -> None:
    first_missing = covered_years().stop
    with caplog.at_level(logging.WARNING, logger="ipfin.workdays"):
        for i in range(20):
            is_working_day(date(first_missing, 3, 1) + timedelta(days=i))
        add_working_days(date(first_missing, 6, 1), 10)
        is_working_day(date(first_missing + 1, 3, 1))
        is_working_day(date(first_missing + 1, 3, 2))
        is_working_day(d("2025-10-09"))  # covered: no warning
    records = [r for r in caplog.records if r.name == "ipfin.workdays"]
    assert [r.levelno for r in records] == [logging.WARNING, logging.WARNING]
    assert str(first_missing) in records[0].getMessage()
    assert "pip install -U chinese-calendar" in records[0].getMessage()
    assert str(first_missing + 1) in records[1].getMessage()


def test_no_warning_for_covered_years(
    fresh_warnings: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="ipfin.workdays"):
        add_working_days(d("2025-01-01"), 250)
    assert [r for r in caplog.records if r.name == "ipfin.workdays"] == []


# --- properties -------------------------------------------------------------------------------


@given(starts, st.integers(min_value=1, max_value=300))
def test_add_working_days_lands_on_a_working_day(start: date, n: int) -> None:
    assert is_working_day(add_working_days(start, n))


@given(starts, counts)
def test_working_days_between_inverts_add_working_days(start: date, n: int) -> None:
    assert working_days_between(start, add_working_days(start, n)) == n


@given(starts, counts)
def test_add_working_days_is_strictly_monotone_in_n(start: date, n: int) -> None:
    assert add_working_days(start, n) < add_working_days(start, n + 1)


@given(starts, counts)
def test_add_working_days_skips_only_non_working_days(start: date, n: int) -> None:
    end = add_working_days(start, n + 1)
    previous = add_working_days(start, n)
    day = previous + timedelta(days=1)
    while day < end:
        assert not is_working_day(day)
        day += timedelta(days=1)


@given(starts, st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=60))
def test_working_days_between_is_additive(start: date, x: int, y: int) -> None:
    middle = start + timedelta(days=x)
    end = middle + timedelta(days=y)
    assert working_days_between(start, end) == (
        working_days_between(start, middle) + working_days_between(middle, end)
    )


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2025-10-08", "2025-10-09"),  # National Day and Mid-Autumn, 1–8 October 2025
        ("2025-10-01", "2025-10-09"),
        ("2025-09-28", "2025-09-28"),  # a Sunday worked instead (调休上班)
        ("2025-10-09", "2025-10-09"),  # a working day stays
        ("2025-12-27", "2025-12-29"),  # an ordinary weekend
    ],
)
def test_working_day_from_moves_a_rest_day_to_the_next_working_day_minfadian_art_203(
    day: str, expected: str
) -> None:
    assert PACKAGE_CALENDAR.working_day_from(d(day)) == d(expected)


def test_working_day_before_the_day_after_national_day_2025() -> None:
    assert PACKAGE_CALENDAR.working_day_before(d("2025-10-09")) == d("2025-09-30")
    assert PACKAGE_CALENDAR.working_day_before(d("2025-09-29")) == d("2025-09-28")


@given(starts)
def test_working_day_from_is_the_first_working_day_on_or_after(day: date) -> None:
    moved = PACKAGE_CALENDAR.working_day_from(day)
    assert moved >= day and is_working_day(moved)
    assert all(not is_working_day(day + timedelta(days=k)) for k in range((moved - day).days))


@given(starts)
def test_working_day_before_is_the_last_working_day_before(day: date) -> None:
    back = PACKAGE_CALENDAR.working_day_before(day)
    assert back < day and is_working_day(back)
    assert all(not is_working_day(back + timedelta(days=k)) for k in range(1, (day - back).days))


@given(starts, st.integers(min_value=-20, max_value=20))
def test_moved_before_a_day_exactly_when_on_or_before_the_working_day_before(
    day: date, offset: int
) -> None:
    x = day + timedelta(days=offset)
    assert (PACKAGE_CALENDAR.working_day_from(x) < day) == (
        x <= PACKAGE_CALENDAR.working_day_before(day)
    )


@given(starts)
def test_no_run_of_more_than_nine_days_off(start: date) -> None:
    # No arrangement in the data gives more than 9 consecutive days off (Spring Festival 2026: 9).
    assert add_working_days(start, 1) - start <= timedelta(days=10)


# --- holiday_data_missing ---------------------------------------------------------------------


def test_holiday_data_due_is_15_december() -> None:
    assert HOLIDAY_DATA_DUE == (12, 15)


def test_holiday_data_missing_relative_to_the_covered_years() -> None:
    last = covered_years().stop - 1
    assert holiday_data_missing(date(last, 1, 1)) is None
    assert holiday_data_missing(date(last, 12, 14)) is None
    assert holiday_data_missing(date(last, 12, 15)) == last + 1
    assert holiday_data_missing(date(last, 12, 31)) == last + 1
    assert holiday_data_missing(date(last + 1, 1, 1)) == last + 1
    assert holiday_data_missing(date(last + 3, 7, 1)) == last + 3
    assert holiday_data_missing(date(last - 1, 12, 20)) is None  # next year is covered


def test_holiday_data_missing_with_data_up_to_2026(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workdays, "covered_years", lambda: range(2004, 2027))
    assert holiday_data_missing(d("2026-11-23")) is None
    assert holiday_data_missing(d("2026-12-14")) is None
    assert holiday_data_missing(d("2026-12-15")) == 2027
    assert holiday_data_missing(d("2027-01-04")) == 2027
    assert holiday_data_missing(d("2003-06-01")) == 2003


# --- the working-day calendar with the office's own arrangements ---------------------------------


def _office(
    year: int, holidays: list[str], workdays: tuple[str, ...] | list[str] = ()
) -> YearArrangement:
    return YearArrangement(
        year=year,
        holidays=frozenset(d(x) for x in holidays),
        workdays=frozenset(d(x) for x in workdays),
        source=CalendarSource.OFFICE,
    )


# An arrangement for a year the package does not carry (made up for the test: not the State
# Council's notice, which is not known here).
_FAR = covered_years().stop + 3
_FAR_NEW_YEAR = date(_FAR, 1, 1)


def test_office_arrangement_is_used_for_a_year_the_package_lacks(fresh_warnings: None) -> None:
    holidays = [(_FAR_NEW_YEAR + timedelta(days=i)).isoformat() for i in range(3)]
    calendar = WorkingCalendar(office={_FAR: _office(_FAR, holidays)})
    assert calendar.source(_FAR) is CalendarSource.OFFICE
    assert PACKAGE_CALENDAR.source(_FAR) is CalendarSource.MISSING
    weekdays = [day for day in (d(x) for x in holidays) if day.weekday() < 5]
    assert weekdays  # three consecutive days contain at least one weekday
    for day in weekdays:
        assert calendar.is_working_day(day) is False
        assert PACKAGE_CALENDAR.is_working_day(day) is True


def test_office_arrangement_overrides_the_package_for_its_year() -> None:
    # 2026-11-23 is an ordinary Monday in the package; an office record that says otherwise wins.
    calendar = WorkingCalendar(office={2026: _office(2026, ["2026-11-23"], ["2026-11-22"])})
    assert calendar.source(2026) is CalendarSource.OFFICE
    assert calendar.is_working_day(d("2026-11-23")) is False
    assert calendar.is_working_day(d("2026-11-22")) is True  # a Sunday worked
    assert calendar.is_working_day(d("2026-10-01")) is True  # the package's holiday is not used
    assert calendar.add_working_days(d("2026-11-20"), 1) == d("2026-11-22")
    assert is_working_day(d("2026-10-01")) is False  # the package alone still says holiday


def test_year_arrangement_refuses_days_of_another_year_and_double_days() -> None:
    with pytest.raises(ValueError, match="another year"):
        _office(2027, ["2026-12-31"])
    with pytest.raises(ValueError, match="both"):
        _office(2027, ["2027-01-02"], ["2027-01-02"])


def test_package_arrangement_agrees_with_the_package_for_every_covered_day() -> None:
    for year in (2004, 2015, 2025, covered_years().stop - 1):
        arrangement = package_arrangement(year)
        assert arrangement is not None and arrangement.source is CalendarSource.PACKAGE
        day = date(year, 1, 1)
        while day.year == year:
            assert arrangement.is_working_day(day) is chinese_calendar.is_workday(day), day
            day += timedelta(days=1)
    assert package_arrangement(covered_years().stop) is None
    assert package_arrangement(2026).festivals[d("2026-02-14")] == "春节"  # type: ignore[union-attr]


def test_missing_year_is_a_warning_from_15_december_not_a_build_failure() -> None:
    """The arrangement for next year is due from 15 December: missing, it is reported (office home
    page, system check) on fixed dates, never by failing the build on today's date."""
    last = covered_years().stop - 1
    assert PACKAGE_CALENDAR.missing_year(date(last, 12, 14)) is None
    assert PACKAGE_CALENDAR.missing_year(date(last, 12, 15)) == last + 1
    entered = WorkingCalendar(office={last + 1: _office(last + 1, [f"{last + 1}-01-01"])})
    assert entered.missing_year(date(last, 12, 15)) is None
    assert entered.missing_year(date(last + 1, 12, 15)) == last + 2
    assert holiday_data_missing(date(last, 12, 15), entered) is None
