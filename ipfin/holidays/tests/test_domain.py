"""The holiday arrangement as the office types it: lines read, mistakes found (pure)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ipfin.holidays.domain import (
    ArrangementDay,
    DayKind,
    check_arrangement,
    festival_en,
    parse_day_lines,
    to_year_arrangement,
)

H, W = DayKind.HOLIDAY, DayKind.WORKDAY


def codes(problems: list) -> list[str]:  # type: ignore[type-arg]
    return [p.code for p in problems]


def test_parse_single_days_ranges_and_festivals() -> None:
    text = "2026-01-01 至 2026-01-03 元旦\n\n2026-02-15~2026-02-23 春节\n2026-04-04 to 2026-04-06\n"
    days, problems = parse_day_lines(text, H, "holidays")
    assert problems == []
    assert len(days) == 3 + 9 + 3
    assert days[0] == ArrangementDay(date(2026, 1, 1), H, "元旦")
    assert days[3] == ArrangementDay(date(2026, 2, 15), H, "春节")
    assert days[-1] == ArrangementDay(date(2026, 4, 6), H, "")


def test_parse_reports_each_bad_line_with_its_number() -> None:
    text = (
        "2026-01-04 元旦\n1月4日\n2026-02-30 春节\n2026-02-14 2026-02-28\n2026-03-10 至 2026-03-01"
    )
    days, problems = parse_day_lines(text, W, "workdays")
    assert [d.day for d in days] == [date(2026, 1, 4)]
    assert [(p.code, p.line, p.field) for p in problems] == [
        ("line_unreadable", 2, "workdays"),
        ("line_unreadable", 3, "workdays"),  # 30 February
        ("line_unreadable", 4, "workdays"),  # two dates without 至
        ("range_invalid", 5, "workdays"),
    ]
    assert "第 2 行" in problems[0].message_zh and "Line 2" in problems[0].message_en


def test_parse_refuses_a_range_longer_than_a_month() -> None:
    _days, problems = parse_day_lines("2026-01-01 至 2026-03-01 元旦", H, "holidays")
    assert codes(problems) == ["range_invalid"]


def test_a_correct_arrangement_has_no_problems() -> None:
    days = [
        ArrangementDay(date(2026, 1, 1), H, "元旦"),
        ArrangementDay(date(2026, 1, 4), W, "元旦"),
    ]
    assert check_arrangement(2026, days) == []


def test_arrangement_mistakes_are_all_reported() -> None:
    days = [
        ArrangementDay(date(2027, 1, 1), H, "元旦"),
        ArrangementDay(date(2027, 1, 1), H, "元旦"),  # twice
        ArrangementDay(date(2026, 12, 31), H, ""),  # another year
        ArrangementDay(date(2027, 1, 5), W, ""),  # a Tuesday: a working day anyway
        ArrangementDay(date(2027, 1, 9), W, ""),  # a Saturday: fine
        ArrangementDay(date(2027, 1, 9), H, ""),  # both
        ArrangementDay(date(2027, 1, 10), H, "节" * 33),  # name too long
    ]
    assert codes(check_arrangement(2027, days)) == [
        "day_twice",
        "day_outside_year",
        "workday_not_weekend",
        "day_twice",
        "festival_too_long",
    ]


def test_an_arrangement_without_holidays_or_out_of_range_is_refused() -> None:
    assert codes(check_arrangement(2027, [ArrangementDay(date(2027, 1, 9), W, "")])) == [
        "no_holidays"
    ]
    assert codes(check_arrangement(2003, [])) == ["year_out_of_range"]
    assert codes(check_arrangement(2101, [])) == ["year_out_of_range"]


def test_festival_names_in_english() -> None:
    assert festival_en("春节") == "Spring Festival"
    assert festival_en("中秋节、国庆节") == "Mid-Autumn Festival, National Day"
    assert festival_en("地方节日") == "地方节日"
    assert festival_en("") == ""


@given(
    st.dates(min_value=date(2030, 1, 1), max_value=date(2030, 12, 1)),
    st.integers(min_value=0, max_value=20),
)
def test_a_range_line_lists_every_day_of_the_range(first: date, span: int) -> None:
    last = first + timedelta(days=span)
    days, problems = parse_day_lines(f"{first} 至 {last} 春节", H, "holidays")
    assert problems == []
    assert [d.day for d in days] == [first + timedelta(days=i) for i in range(span + 1)]
    arrangement = to_year_arrangement(2030, [d for d in days if d.day.year == 2030])
    assert all(not arrangement.is_working_day(d.day) for d in days if d.day.year == 2030)


def test_a_month_of_rest_days_in_a_row_is_refused_as_a_mistake() -> None:
    """Deadlines moved past rest days rely on no arrangement giving more than LONGEST_REST (31)
    days off in a row (the longest ever: 10, Spring Festival 2020 as extended): a month marked
    off by mistake is refused before it can stop the calendar from counting."""
    # 1 March 2027 is a Monday: with the weekend before, 1-29 March marked off make 31 rest days
    # in a row (27 February to 29 March), allowed; 1-30 March make 32, refused.
    start = date(2027, 3, 1)
    allowed = [ArrangementDay(start + timedelta(days=i), H, "") for i in range(29)]
    assert codes(check_arrangement(2027, allowed)) == []
    month = [ArrangementDay(start + timedelta(days=i), H, "") for i in range(30)]
    assert codes(check_arrangement(2027, month)) == ["rest_run_too_long"]
