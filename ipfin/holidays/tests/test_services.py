"""Recording a year's holiday arrangement: permission, every mistake at once, the audit trail, the
seeded 2026 notice, and the deadlines and system check that follow from it (real database)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.checks.registry import registry

from ipfin.audit.models import AuditRecord
from ipfin.common.errors import NotAuthenticated, PermissionDenied, ValidationFailed
from ipfin.common.workdays import CalendarSource, covered_years, package_arrangement
from ipfin.holidays.checks import CHECK_ID, holiday_arrangement_check
from ipfin.holidays.domain import ArrangementDay, DayKind
from ipfin.holidays.models import HolidayArrangement, HolidayArrangementDay
from ipfin.holidays.selectors import calendar_years, working_calendar, year_view
from ipfin.holidays.services import arrangement_save

pytestmark = pytest.mark.django_db

H, W = DayKind.HOLIDAY, DayKind.WORKDAY
# A year the package does not carry; the days are made up for the tests (the State Council's notice
# for that year is not known here).
NEXT = covered_years().stop
NOTICE = f"国务院办公厅关于{NEXT}年部分节假日安排的通知（测试）"


def _days() -> list[ArrangementDay]:
    new_year = date(NEXT, 1, 1)
    days = [ArrangementDay(new_year + timedelta(days=i), H, "元旦") for i in range(3)]
    first_saturday = next(
        new_year + timedelta(days=i)
        for i in range(7)
        if (new_year + timedelta(days=i)).weekday() == 5
    )
    return [*days, ArrangementDay(first_saturday + timedelta(days=7), W, "元旦")]


def test_seeded_2026_arrangement_matches_the_package_day_by_day() -> None:
    """The data migration's 2026 notice (国务院办公厅关于2026年部分节假日安排的通知, 2025-11-04)
    agrees with chinese_calendar on every day of 2026."""
    record = HolidayArrangement.objects.get(year=2026)
    assert record.published_on == date(2025, 11, 4)
    calendar = working_calendar()
    assert calendar.source(2026) is CalendarSource.OFFICE
    package = package_arrangement(2026)
    assert package is not None
    office = calendar.arrangement(2026)
    assert office is not None
    assert office.holidays == package.holidays and office.workdays == package.workdays
    assert HolidayArrangementDay.objects.filter(arrangement=record).count() == 33 + 6


def test_office_admin_records_a_year_and_deadlines_follow(office_admin: Any) -> None:
    before = working_calendar()
    assert before.source(NEXT) is CalendarSource.MISSING
    record = arrangement_save(
        actor=office_admin,
        year=NEXT,
        version=0,
        notice=NOTICE,
        published_on=date(NEXT - 1, 11, 4),
        days=_days(),
    )
    calendar = working_calendar()
    assert calendar.source(NEXT) is CalendarSource.OFFICE
    weekday_off = next(d.day for d in _days() if d.kind is H and d.day.weekday() < 5)
    assert before.is_working_day(weekday_off) is True
    assert calendar.is_working_day(weekday_off) is False
    saturday_worked = next(d.day for d in _days() if d.kind is W)
    assert calendar.is_working_day(saturday_worked) is True
    audit = AuditRecord.objects.get(action="calendar.arrangement_save", object_id=str(record.pk))
    assert audit.before is None
    assert audit.after["notice"] == NOTICE and len(audit.after["days"]) == 4
    view = year_view(NEXT)
    assert view.notice == NOTICE and len(view.days(H)) == 3


def test_saving_again_replaces_the_year_and_audits_before_and_after(office_admin: Any) -> None:
    arrangement_save(
        actor=office_admin, year=NEXT, version=0, notice=NOTICE, published_on=None, days=_days()
    )
    one_day = [ArrangementDay(date(NEXT, 1, 1), H, "元旦")]
    arrangement_save(
        actor=office_admin, year=NEXT, version=1, notice="更正", published_on=None, days=one_day
    )
    record = HolidayArrangement.objects.get(year=NEXT)
    assert record.notice == "更正"
    assert list(record.days.values_list("day", flat=True)) == [date(NEXT, 1, 1)]
    last = AuditRecord.objects.filter(action="calendar.arrangement_save").order_by("-id").first()
    assert last is not None and len(last.before["days"]) == 4 and len(last.after["days"]) == 1


def test_every_mistake_is_reported_and_nothing_saved(office_admin: Any) -> None:
    bad = [
        ArrangementDay(date(NEXT, 1, 1), H, ""),
        ArrangementDay(date(NEXT - 1, 12, 31), H, ""),
        ArrangementDay(date(NEXT, 1, 1), W, ""),
    ]
    with pytest.raises(ValidationFailed) as caught:
        arrangement_save(
            actor=office_admin,
            year=NEXT,
            version=0,
            notice="",
            published_on=date(NEXT + 1, 1, 1),
            days=bad,
        )
    assert [p["code"] for p in caught.value.extra["problems"]] == [
        "notice_required",
        "day_outside_year",
        "day_twice",
        "published_after_year",
    ]
    assert caught.value.code == "notice_required"
    assert not HolidayArrangement.objects.filter(year=NEXT).exists()
    assert not AuditRecord.objects.filter(action="calendar.arrangement_save").exists()


@pytest.mark.parametrize("who", ["anonymous", "examiner", "bank_a_user", "enterprise_a_user"])
def test_only_office_administrators_record_the_calendar(who: str, request: Any) -> None:
    actor = None if who == "anonymous" else request.getfixturevalue(who)
    expected = NotAuthenticated if actor is None else PermissionDenied
    with pytest.raises(expected):
        arrangement_save(
            actor=actor, year=NEXT, version=0, notice=NOTICE, published_on=None, days=_days()
        )
    assert not HolidayArrangement.objects.filter(year=NEXT).exists()


def test_system_check_warns_from_15_december_until_next_year_is_entered(office_admin: Any) -> None:
    last = NEXT - 1
    assert holiday_arrangement_check(today=date(last, 12, 14)) == []
    warnings = holiday_arrangement_check(today=date(last, 12, 15))
    assert [w.id for w in warnings] == [CHECK_ID]
    assert warnings[0].level == 30  # a warning, never an error: the build does not fail on it
    assert str(NEXT) in warnings[0].msg and f"/calendar/{NEXT}/edit/" in warnings[0].hint
    arrangement_save(
        actor=office_admin, year=NEXT, version=0, notice=NOTICE, published_on=None, days=_days()
    )
    assert holiday_arrangement_check(today=date(last, 12, 15)) == []


def test_system_check_is_registered_with_django() -> None:
    assert holiday_arrangement_check in registry.get_checks()


def test_calendar_years_list_every_year_with_its_source() -> None:
    years = calendar_years(date(2026, 12, 3))
    assert years[0].year == 2027 and years[-1].year == covered_years().start
    by_year = {v.year: v.source for v in years}
    assert by_year[2026] is CalendarSource.OFFICE
    assert by_year[2025] is CalendarSource.PACKAGE
    assert by_year[2027] is (
        CalendarSource.PACKAGE if 2027 in covered_years() else CalendarSource.MISSING
    )


def test_a_run_of_rest_days_across_new_year_is_caught_with_the_neighbouring_year(
    office_admin: Any,
) -> None:
    """The end of December of one year and January of the next marked off, each saved alone:
    each year's run is within LONGEST_REST, together they are not (a deadline moved past them
    found no working day: `working_day_from` raised, and the pages computing payable days with
    it)."""
    december = [ArrangementDay(date(NEXT, 12, d), H, "测试") for d in range(1, 32)]
    following = f"{NEXT + 1}年安排（测试）"
    arrangement_save(
        actor=office_admin, year=NEXT, version=0, notice=NOTICE, published_on=None,
        days=[*_days(), *december[11:]],  # 12–31 December: 20 days
    )  # fmt: skip
    january = [ArrangementDay(date(NEXT + 1, 1, d), H, "测试") for d in range(1, 21)]
    with pytest.raises(ValidationFailed) as caught:  # 12 December to 20 January
        arrangement_save(
            actor=office_admin, year=NEXT + 1, version=0, notice=following, published_on=None,
            days=january,
        )  # fmt: skip
    assert caught.value.code == "rest_run_too_long"
    assert not HolidayArrangement.objects.filter(year=NEXT + 1).exists()
    arrangement_save(
        actor=office_admin, year=NEXT + 1, version=0, notice=following, published_on=None,
        days=january[:3],  # 12 December to 3 January: within the longest run
    )  # fmt: skip
    # Nor may December be extended to meet the January saved since.
    with pytest.raises(ValidationFailed) as caught:
        arrangement_save(
            actor=office_admin, year=NEXT, version=1, notice=NOTICE, published_on=None,
            days=[*_days(), *december],  # 1 December to 3 January
        )  # fmt: skip
    assert caught.value.code == "rest_run_too_long"
