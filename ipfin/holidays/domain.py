"""The official working-day calendar as the IP office keeps it: one year's holiday arrangement
(国务院办公厅关于××年部分节假日安排的通知), checked and read from what an officer types.

Pure: no Django. The arrangement lists the days off (放假, weekend days inside a holiday
included) and the weekend days worked instead (调休上班, always a Saturday or a Sunday), each with
its festival. `ipfin.common.workdays.WorkingCalendar` counts working days from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from ipfin.common.workdays import LONGEST_REST, CalendarSource, YearArrangement

__all__ = [
    "FESTIVALS",
    "FIRST_YEAR",
    "LAST_YEAR",
    "MAX_FESTIVAL_LENGTH",
    "MAX_RANGE_DAYS",
    "ArrangementDay",
    "DayKind",
    "Problem",
    "check_arrangement",
    "festival_en",
    "parse_day_lines",
    "to_year_arrangement",
]

# The years an arrangement may be entered for: the first year of the package's data (the Working
# Hours regulation's current form) to a far bound that keeps typing mistakes out.
FIRST_YEAR = 2004
LAST_YEAR = 2100
MAX_FESTIVAL_LENGTH = 32
# No holiday period runs longer than this (the longest so far: 9 days, Spring Festival 2026).
MAX_RANGE_DAYS = 31

# 全国年节及纪念日放假办法 (2024), art. 2: the festivals with days off for everyone.
FESTIVALS: dict[str, str] = {
    "元旦": "New Year's Day",
    "春节": "Spring Festival",
    "清明节": "Tomb-sweeping Day",
    "劳动节": "Labour Day",
    "端午节": "Dragon Boat Festival",
    "中秋节": "Mid-Autumn Festival",
    "国庆节": "National Day",
}


def festival_en(name: str) -> str:
    """The English name of a festival ("中秋节、国庆节" → "Mid-Autumn Festival, National Day");
    a name not in `FESTIVALS` is given back unchanged."""
    parts = [p for p in re.split(r"[、,，/]", name) if p.strip()]
    if parts and all(p.strip() in FESTIVALS for p in parts):
        return ", ".join(FESTIVALS[p.strip()] for p in parts)
    return name


class DayKind(StrEnum):
    HOLIDAY = "holiday"  # 放假
    WORKDAY = "workday"  # 调休上班


@dataclass(frozen=True)
class ArrangementDay:
    day: date
    kind: DayKind
    festival: str = ""


@dataclass(frozen=True)
class Problem:
    """One mistake in an arrangement: a stable `code`, the field it concerns (`holidays`,
    `workdays`, `year`), the line of the typed text (1-based) when it came from one, and the
    message in both languages."""

    code: str
    field: str
    message_zh: str
    message_en: str
    line: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "field": self.field,
            "line": self.line,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


_WEEKDAY_ZH = "一二三四五六日"
_ISO = r"(\d{4}-\d{1,2}-\d{1,2})"
# "2027-02-06 至 2027-02-13 春节", "2027-02-06~2027-02-13", "2027-01-01 元旦", "2027-01-01".
_LINE_RE = re.compile(
    rf"^\s*{_ISO}\s*(?:(?:至|到|~|～|—|–|to)\s*{_ISO})?\s*(?:[，,;；:：]\s*)?(.*?)\s*$",
    re.IGNORECASE,
)


def _parse_iso(text: str) -> date | None:
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return date(year, month, day)
    except ValueError:
        return None


def parse_day_lines(
    text: str, kind: DayKind, field: str
) -> tuple[list[ArrangementDay], list[Problem]]:
    """The days typed one per line (or a range per line) with an optional festival after them.

    Accepted: `2027-01-01 元旦`, `2027-02-06 至 2027-02-13 春节` (also `~`, `到`, `to`), a bare
    date; blank lines are skipped. Each unreadable line is a Problem naming its line number.
    """
    days: list[ArrangementDay] = []
    problems: list[Problem] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        match = _LINE_RE.match(raw)
        first = _parse_iso(match[1]) if match else None
        last = (_parse_iso(match[2]) if match[2] else first) if match else None
        if (
            match is None
            or first is None
            or last is None
            or re.search(r"\d{4}-\d", match[3]) is not None  # a second date without 至
        ):
            problems.append(
                Problem(
                    "line_unreadable",
                    field,
                    f"第 {number} 行“{raw.strip()}”无法识别：应为“2027-01-01 元旦”或"
                    "“2027-02-06 至 2027-02-13 春节”。",
                    f"Line {number} ({raw.strip()!r}) is not understood: write "
                    "'2027-01-01 New Year' or '2027-02-06 to 2027-02-13 Spring Festival'.",
                    number,
                )
            )
            continue
        if last < first or (last - first).days >= MAX_RANGE_DAYS:
            problems.append(
                Problem(
                    "range_invalid",
                    field,
                    f"第 {number} 行：日期区间 {first} 至 {last} 无效（止日不得早于起日，"
                    f"且不超过 {MAX_RANGE_DAYS} 天）。",
                    f"Line {number}: the range {first} to {last} is invalid (it must not end "
                    f"before it starts nor span more than {MAX_RANGE_DAYS} days).",
                    number,
                )
            )
            continue
        festival = match[3].strip()
        day = first
        while day <= last:
            days.append(ArrangementDay(day, kind, festival))
            day += timedelta(days=1)
    return days, problems


def check_arrangement(
    year: int,
    days: Sequence[ArrangementDay],
    rest_outside: Callable[[date], bool] | None = None,
) -> list[Problem]:
    """Every mistake in `year`'s arrangement `days` (empty: it may be saved).

    `rest_outside(day)`: whether a day of the years before and after is a rest day as the
    calendar stands (the run of rest days is checked across New Year too; without it, within
    the year only).

    - the year lies in [FIRST_YEAR, LAST_YEAR] and every day in it;
    - there is at least one holiday (every year has 元旦);
    - no day is listed twice, nor as both a holiday and a working day;
    - an adjusted working day (调休上班) is a Saturday or a Sunday: a weekday is a working day
      anyway, so listing one is a typing mistake;
    - a festival name has at most MAX_FESTIVAL_LENGTH characters.
    """
    problems: list[Problem] = []
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return [
            Problem(
                "year_out_of_range",
                "year",
                f"年份应在 {FIRST_YEAR} 至 {LAST_YEAR} 之间。",
                f"The year must be between {FIRST_YEAR} and {LAST_YEAR}.",
            )
        ]
    if not any(d.kind is DayKind.HOLIDAY for d in days):
        problems.append(
            Problem(
                "no_holidays",
                "holidays",
                "请填写放假日期（每年至少有元旦）。",
                "Enter the holidays (every year has at least New Year's Day).",
            )
        )
    seen: dict[date, DayKind] = {}
    for d in days:
        field = "holidays" if d.kind is DayKind.HOLIDAY else "workdays"
        if d.day.year != year:
            problems.append(
                Problem(
                    "day_outside_year",
                    field,
                    f"{d.day} 不在 {year} 年内。",
                    f"{d.day} is not in {year}.",
                )
            )
            continue
        if d.day in seen:
            both = seen[d.day] is not d.kind
            problems.append(
                Problem(
                    "day_twice",
                    field,
                    f"{d.day} 既是放假日又是调休上班日。" if both else f"{d.day} 重复填写。",
                    f"{d.day} is both a holiday and an adjusted working day."
                    if both
                    else f"{d.day} is listed twice.",
                )
            )
            continue
        seen[d.day] = d.kind
        if d.kind is DayKind.WORKDAY and d.day.weekday() < 5:
            problems.append(
                Problem(
                    "workday_not_weekend",
                    field,
                    f"{d.day}（星期{_WEEKDAY_ZH[d.day.weekday()]}）本是工作日；调休上班日应为"
                    "星期六或星期日。",
                    f"{d.day} ({d.day:%A}) is a working day anyway; an adjusted working day is a "
                    "Saturday or a Sunday.",
                )
            )
        if len(d.festival) > MAX_FESTIVAL_LENGTH:
            problems.append(
                Problem(
                    "festival_too_long",
                    field,
                    f"{d.day} 的节日名称超过 {MAX_FESTIVAL_LENGTH} 个字符。",
                    f"The festival name of {d.day} exceeds {MAX_FESTIVAL_LENGTH} characters.",
                )
            )
    if not problems:
        problems.extend(_rest_run_problems(year, seen, rest_outside))
    return problems


def _rest_run_problems(
    year: int, kinds: dict[date, DayKind], rest_outside: Callable[[date], bool] | None = None
) -> list[Problem]:
    """More rest days in a row (weekends and holidays, less the days worked instead) than any
    arrangement has given — `LONGEST_REST`, which the deadlines moved past rest days rely on
    (`WorkingCalendar.working_day_from`): a month marked off by mistake. With `rest_outside`,
    a run across New Year counts the neighbouring years' days too (December's holidays of one
    year and January's of the next, each saved alone, had passed)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    day, end, run = first, last, 0
    if rest_outside is not None and year > FIRST_YEAR:
        day = first - LONGEST_REST
    if rest_outside is not None and year < LAST_YEAR:
        end = last + LONGEST_REST
    while day <= end:
        if first <= day <= last or rest_outside is None:
            kind = kinds.get(day)
            rest = kind is DayKind.HOLIDAY or (kind is None and day.weekday() >= 5)
        else:
            rest = rest_outside(day)
        run = run + 1 if rest else 0
        if run > LONGEST_REST.days:
            return [
                Problem(
                    "rest_run_too_long",
                    "holidays",
                    f"放假日与周末连续超过 {LONGEST_REST.days} 天（至 {day}），请核对通知。",
                    f"More than {LONGEST_REST.days} rest days in a row (to {day}): check the "
                    "notice.",
                )
            ]
        day += timedelta(days=1)
    return []


def to_year_arrangement(year: int, days: Iterable[ArrangementDay]) -> YearArrangement:
    """The arrangement as the working-day calendar counts it (source: the office)."""
    listed = list(days)
    return YearArrangement(
        year=year,
        holidays=frozenset(d.day for d in listed if d.kind is DayKind.HOLIDAY),
        workdays=frozenset(d.day for d in listed if d.kind is DayKind.WORKDAY),
        source=CalendarSource.OFFICE,
        festivals={d.day: d.festival for d in listed if d.festival},
    )
