"""Chinese working days (工作日), for deadlines counted in working days.

The source is the maintained `chinese_calendar` package, which carries the State Council's yearly
holiday arrangement (国务院办公厅关于部分节假日安排的通知): statutory holidays plus the adjusted
working weekends (调休上班). Its data stops at the last published year and the package raises
`NotImplementedError` outside its range. Here, outside that range, Monday to Friday count as working
days and a warning is logged once per year per process, so that a deadline is still computed (and
slightly early rather than never) while the outdated package is visible in the logs and in
`holiday_data_missing`, which the test suite checks (test_holiday_calendar_data_is_current).
"""

from __future__ import annotations

import functools
import logging
import threading
from datetime import date, datetime, timedelta

import chinese_calendar  # type: ignore[import-untyped]  # the package ships no type information
from chinese_calendar import constants as chinese_calendar_data

__all__ = [
    "HOLIDAY_DATA_DUE",
    "add_working_days",
    "covered_years",
    "holiday_data_missing",
    "is_working_day",
    "working_days_between",
]

logger = logging.getLogger("ipfin.workdays")

# (month, day): the State Council publishes the next year's arrangement in autumn (late October to
# mid-November in recent years); by 15 December of year Y the package is expected to carry Y + 1.
HOLIDAY_DATA_DUE = (12, 15)

_warned_years: set[int] = set()
_warned_lock = threading.Lock()


@functools.cache
def covered_years() -> range:
    """The years for which `chinese_calendar` has holiday data (first to last year it knows)."""
    years = [day.year for day in chinese_calendar_data.holidays]
    return range(min(years), max(years) + 1)


def _warn_fallback_once(year: int) -> None:
    with _warned_lock:
        if year in _warned_years:
            return
        _warned_years.add(year)
    covered = covered_years()
    logger.warning(
        "chinese_calendar has no holiday data for %d (it covers %d-%d): counting Monday to Friday "
        "as working days for that year; upgrade the package (pip install -U chinese-calendar)",
        year,
        covered.start,
        covered.stop - 1,
    )


def is_working_day(d: date) -> bool:
    """Whether `d` is a working day in mainland China.

    Package data where covered (holidays off, adjusted weekends on); outside the covered years,
    Monday to Friday, with a warning logged once per year.
    """
    if isinstance(d, datetime):
        d = d.date()
    if d.year in covered_years():
        return bool(chinese_calendar.is_workday(d))
    _warn_fallback_once(d.year)
    return d.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    """The day that is the `n`-th working day after `start` (`start` itself not counted).

    `n == 0` returns `start` unchanged (even if it is not a working day). Raises `ValueError` for
    negative `n`.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    day = start
    remaining = n
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(a: date, b: date) -> int:
    """The number of working days in the interval (a, b]; 0 when `b <= a`.

    Inverse of `add_working_days`: `working_days_between(s, add_working_days(s, n)) == n`.
    """
    count = 0
    day = a + timedelta(days=1)
    while day <= b:
        if is_working_day(day):
            count += 1
        day += timedelta(days=1)
    return count


def holiday_data_missing(today: date) -> int | None:
    """The year whose holiday data is due but missing from `chinese_calendar` as of `today`.

    `today.year` if it is not covered; else `today.year + 1` from `HOLIDAY_DATA_DUE` (15 December)
    on, if that year is not covered yet; else `None`.
    """
    covered = covered_years()
    if today.year not in covered:
        return today.year
    due = date(today.year, *HOLIDAY_DATA_DUE)
    if today >= due and today.year + 1 not in covered:
        return today.year + 1
    return None
