"""Chinese working days (工作日), for deadlines counted in working days.

Each year's working days follow the State Council's holiday arrangement for that year
(国务院办公厅关于××年部分节假日安排的通知): the statutory holidays (放假) and the weekend days
worked instead (调休上班). A `WorkingCalendar` takes each year's arrangement from, in order:

1. the IP office's own record of the notice (`office`, kept as data by `ipfin.holidays`: an
   operations duty, entered when the notice is published, never a code change);
2. the maintained `chinese_calendar` package, which carries the arrangements up to the last year
   it was released for;
3. neither: Monday to Friday count as working days, and a warning is logged once per year per
   process, so that a deadline is still computed (a day or two early rather than never) while the
   gap is visible in the logs, on the office's home page and as a system-check warning
   (`missing_year`).

Pure: no Django, no clock. `ipfin.holidays.selectors.working_calendar()` builds the calendar the
services use; the module-level functions use the package alone (`PACKAGE_CALENDAR`).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

import numpy as np
from chinese_calendar import constants as chinese_calendar_data  # type: ignore[import-untyped]
from numpy.typing import NDArray

__all__ = [
    "HOLIDAY_DATA_DUE",
    "LONGEST_REST",
    "PACKAGE_CALENDAR",
    "CalendarSource",
    "WorkingCalendar",
    "YearArrangement",
    "add_working_days",
    "covered_years",
    "holiday_data_missing",
    "is_working_day",
    "package_arrangement",
    "working_days_between",
]

logger = logging.getLogger("ipfin.workdays")

# (month, day): the State Council publishes the next year's arrangement in autumn (late October to
# early December in recent years); from 15 December of year Y the arrangement for Y + 1 is due.
HOLIDAY_DATA_DUE = (12, 15)

# No arrangement has given a month of rest days in a row (the longest: 10 days, Spring Festival
# 2020 as extended): a day is moved at most this far (`working_day_from` refuses more), which lets
# a rule skip the calendar for days further away.
LONGEST_REST = timedelta(days=31)

_warned_years: set[int] = set()
_warned_lock = threading.Lock()


class CalendarSource(StrEnum):
    OFFICE = "office"  # the IP office's record of the State Council notice
    PACKAGE = "package"  # the chinese_calendar package
    MISSING = "missing"  # neither: Monday to Friday


@dataclass(frozen=True)
class YearArrangement:
    """One year's holiday arrangement: the days off (weekend days inside a holiday included) and
    the weekend days worked instead."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: CalendarSource
    # The festival each listed day belongs to, in Chinese (元旦, 春节, ...), where known.
    festivals: Mapping[date, str] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        if any(day.year != self.year for day in self.holidays | self.workdays):
            raise ValueError(f"an arrangement for {self.year} lists a day of another year")
        if self.holidays & self.workdays:
            raise ValueError("a day cannot be both a holiday and an adjusted working day")

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


@functools.cache
def covered_years() -> range:
    """The years for which `chinese_calendar` has holiday data (first to last year it knows)."""
    years = [day.year for day in chinese_calendar_data.holidays]
    return range(min(years), max(years) + 1)


# chinese_calendar names the festivals in English; the register speaks Chinese.
_PACKAGE_FESTIVAL_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


@functools.cache
def package_arrangement(year: int) -> YearArrangement | None:
    """The arrangement `chinese_calendar` carries for `year`, or None outside its years."""
    if year not in covered_years():
        return None
    listed = {
        d: str(name)
        for table in (chinese_calendar_data.holidays, chinese_calendar_data.workdays)
        for d, name in table.items()
        if d.year == year
    }
    return YearArrangement(
        year=year,
        holidays=frozenset(d for d in chinese_calendar_data.holidays if d.year == year),
        workdays=frozenset(d for d in chinese_calendar_data.workdays if d.year == year),
        source=CalendarSource.PACKAGE,
        festivals={d: _PACKAGE_FESTIVAL_ZH.get(name, name) for d, name in listed.items()},
    )


def _warn_fallback_once(year: int) -> None:
    with _warned_lock:
        if year in _warned_years:
            return
        _warned_years.add(year)
    logger.warning(
        "no holiday arrangement for %d (the IP office has not entered the State Council's notice "
        "and chinese_calendar covers %d-%d): counting Monday to Friday as working days for that "
        "year; enter the arrangement on the working-day calendar page (/calendar/) or upgrade the "
        "package (pip install -U chinese-calendar)",
        year,
        covered_years().start,
        covered_years().stop - 1,
    )


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days by the office's arrangements (`office`, by year), then the package's, then
    Monday to Friday."""

    office: Mapping[int, YearArrangement] = field(default_factory=dict, hash=False)

    def arrangement(self, year: int) -> YearArrangement | None:
        return self.office.get(year) or package_arrangement(year)

    def source(self, year: int) -> CalendarSource:
        found = self.arrangement(year)
        return found.source if found is not None else CalendarSource.MISSING

    def covers(self, year: int) -> bool:
        return self.arrangement(year) is not None

    def is_working_day(self, day: date) -> bool:
        """Whether `day` is a working day in mainland China (see the module's sources)."""
        if isinstance(day, datetime):
            day = day.date()
        found = self.arrangement(day.year)
        if found is not None:
            return found.is_working_day(day)
        _warn_fallback_once(day.year)
        return day.weekday() < 5

    def add_working_days(self, start: date, n: int) -> date:
        """The `n`-th working day after `start` (`start` itself not counted).

        `n == 0` returns `start` unchanged (even if it is not a working day). Raises `ValueError`
        for negative `n`.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        day = start
        remaining = n
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_day_from(self, day: date) -> date:
        """`day` if it is a working day, else the first working day after it (a day falling on
        a weekend or holiday moved to the day after the rest days end: 民法典 art. 203). Never
        more than `LONGEST_REST` later: a calendar giving more rest days in a row is refused."""
        start = day
        while not self.is_working_day(day):
            day += timedelta(days=1)
            if day - start > LONGEST_REST:
                raise ValueError(f"more than {LONGEST_REST.days} rest days in a row from {start}")
        return day

    def working_day_before(self, day: date) -> date:
        """The last working day strictly before `day`. For every x: `working_day_from(x) < day`
        exactly when `x <= working_day_before(day)` (the days between are all rest days), which
        lets a query compare stored dates with one bound instead of moving each of them."""
        day -= timedelta(days=1)
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def working_days_from_column(self, days: NDArray[np.datetime64]) -> NDArray[np.datetime64]:
        """`working_day_from` of each day of a `datetime64[D]` column (NaT stays NaT), found once
        per distinct day."""
        out = days.astype("datetime64[D]")  # a copy
        known = ~np.isnat(out)
        if known.any():
            distinct, inverse = np.unique(out[known], return_inverse=True)
            moved = [self.working_day_from(day) for day in distinct.astype(object)]
            out[known] = np.array(moved, dtype="datetime64[D]")[inverse.ravel()]
        return out

    def working_days_between(self, a: date, b: date) -> int:
        """The number of working days in the interval (a, b]; 0 when `b <= a`.

        Inverse of `add_working_days`: `working_days_between(s, add_working_days(s, n)) == n`.
        """
        count = 0
        day = a + timedelta(days=1)
        while day <= b:
            if self.is_working_day(day):
                count += 1
            day += timedelta(days=1)
        return count

    def missing_year(self, today: date) -> int | None:
        """The year whose arrangement is due but missing as of `today`: `today.year` if it is not
        covered; else `today.year + 1` from `HOLIDAY_DATA_DUE` (15 December) on, if that year is
        not covered yet; else None."""
        if not self.covers(today.year):
            return today.year
        due = date(today.year, *HOLIDAY_DATA_DUE)
        if today >= due and not self.covers(today.year + 1):
            return today.year + 1
        return None


# The package alone (no office data): for code without a database and for the package's own tests.
PACKAGE_CALENDAR = WorkingCalendar()


def is_working_day(d: date) -> bool:
    """`PACKAGE_CALENDAR.is_working_day`: the package's data, else Monday to Friday."""
    return PACKAGE_CALENDAR.is_working_day(d)


def add_working_days(start: date, n: int) -> date:
    return PACKAGE_CALENDAR.add_working_days(start, n)


def working_days_between(a: date, b: date) -> int:
    return PACKAGE_CALENDAR.working_days_between(a, b)


def holiday_data_missing(today: date, calendar: WorkingCalendar | None = None) -> int | None:
    """The year whose arrangement is due but missing from `calendar` (default: the package alone)
    as of `today`; see `WorkingCalendar.missing_year`."""
    return (calendar or PACKAGE_CALENDAR).missing_year(today)
