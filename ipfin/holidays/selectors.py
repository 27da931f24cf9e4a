"""Reads of the working-day calendar. The calendar is public information (the State Council's
notices): no actor is needed to read it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from ipfin.common.versioning import UNSAVED
from ipfin.common.workdays import (
    PACKAGE_CALENDAR,
    CalendarSource,
    WorkingCalendar,
    YearArrangement,
    covered_years,
)
from ipfin.holidays.domain import ArrangementDay, DayKind, to_year_arrangement
from ipfin.holidays.models import HolidayArrangement, HolidayArrangementDay

__all__ = [
    "YearView",
    "calendar_years",
    "missing_arrangement_year",
    "working_calendar",
    "year_view",
]


def _office_arrangements() -> dict[int, YearArrangement]:
    by_year: dict[int, list[ArrangementDay]] = defaultdict(list)
    rows = HolidayArrangementDay.objects.values_list("arrangement__year", "day", "kind", "festival")
    for year, day, kind, festival in rows:
        by_year[year].append(ArrangementDay(day, DayKind(kind), festival))
    return {year: to_year_arrangement(year, days) for year, days in by_year.items()}


class _OfficeArrangements(Mapping[int, YearArrangement]):
    """The office's arrangements, read (one query) the first time a day is asked about: a read
    that takes the calendar but meets no deadline to count (a right with nothing outstanding, a
    loan with nothing due) costs no query."""

    def __init__(self) -> None:
        self._read: dict[int, YearArrangement] | None = None

    def _years(self) -> dict[int, YearArrangement]:
        if self._read is None:
            self._read = _office_arrangements()
        return self._read

    def __getitem__(self, year: int) -> YearArrangement:
        return self._years()[year]

    def __iter__(self) -> Iterator[int]:
        return iter(self._years())

    def __len__(self) -> int:
        return len(self._years())


def working_calendar() -> WorkingCalendar:
    """The calendar every deadline is counted on: the office's arrangements (one query, made
    when first needed), then the package's, then Monday to Friday."""
    return WorkingCalendar(office=_OfficeArrangements())


def missing_arrangement_year(today: date) -> int | None:
    """The year whose holiday arrangement is due but missing on `today` (see
    `WorkingCalendar.missing_year`). The office's records are read only when the package lacks a
    year that is due: a page that asks costs no query in the ordinary case."""
    if PACKAGE_CALENDAR.missing_year(today) is None:
        return None
    return working_calendar().missing_year(today)


@dataclass(frozen=True)
class YearView:
    """One year of the calendar as the page and the API show it."""

    year: int
    source: CalendarSource
    notice: str
    published_on: date | None
    arrangement: YearArrangement | None
    # The office's record's version (ipfin.common.versioning): 0 while it has recorded none.
    version: int = UNSAVED

    def days(self, kind: DayKind) -> list[tuple[date, str]]:
        if self.arrangement is None:
            return []
        listed = self.arrangement.holidays if kind is DayKind.HOLIDAY else self.arrangement.workdays
        return [(d, self.arrangement.festivals.get(d, "")) for d in sorted(listed)]


def year_view(year: int, calendar: WorkingCalendar | None = None) -> YearView:
    calendar = calendar or working_calendar()
    record = HolidayArrangement.objects.filter(year=year).first()
    return YearView(
        year=year,
        source=calendar.source(year),
        notice=record.notice if record else "",
        published_on=record.published_on if record else None,
        arrangement=calendar.arrangement(year),
        version=record.version if record else UNSAVED,
    )


def calendar_years(today: date) -> list[YearView]:
    """Every year from next year back to the package's first, newest first (two queries)."""
    calendar = working_calendar()
    records = {r.year: r for r in HolidayArrangement.objects.all()}
    last = max([today.year + 1, *records])
    views = []
    for year in range(last, covered_years().start - 1, -1):
        record = records.get(year)
        views.append(
            YearView(
                year=year,
                source=calendar.source(year),
                notice=record.notice if record else "",
                published_on=record.published_on if record else None,
                arrangement=calendar.arrangement(year),
                version=record.version if record else UNSAVED,
            )
        )
    return views
