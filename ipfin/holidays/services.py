"""Writes of the working-day calendar: the IP office records a year's holiday arrangement.

A saved arrangement replaces the year's previous record as a whole (the notice is one document);
deadlines already set keep their dates, deadlines computed from now on use the new days.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import transaction

from ipfin.accounts.models import User
from ipfin.accounts.permissions import Perm, require
from ipfin.audit.services import audit_record
from ipfin.common.errors import ValidationFailed
from ipfin.common.versioning import UNSAVED, check_version
from ipfin.holidays.domain import ArrangementDay, Problem, check_arrangement
from ipfin.holidays.models import HolidayArrangement, HolidayArrangementDay
from ipfin.holidays.selectors import working_calendar

__all__ = ["MAX_NOTICE_LENGTH", "arrangement_save", "problems_error"]

MAX_NOTICE_LENGTH = 200


def problems_error(problems: Sequence[Problem]) -> ValidationFailed:
    """A 422 listing every problem (`extra.problems`), the first one's code as the error's code."""
    return ValidationFailed(
        "节假日安排有误：" + "；".join(p.message_zh for p in problems),
        "The holiday arrangement has mistakes: " + " ".join(p.message_en for p in problems),
        code=problems[0].code,
        extra={"problems": [p.as_dict() for p in problems]},
    )


def _snapshot(record: HolidayArrangement | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "year": record.year,
        "notice": record.notice,
        "published_on": record.published_on.isoformat() if record.published_on else None,
        "days": [[d.day.isoformat(), d.kind, d.festival] for d in record.days.order_by("day")],
    }


def arrangement_save(
    *,
    actor: User,
    year: int,
    version: int | None,
    notice: str,
    published_on: date | None,
    days: Sequence[ArrangementDay],
) -> HolidayArrangement:
    """Record `year`'s holiday arrangement (IP office administrators). Every mistake is reported
    at once (422 with `problems`) and nothing is saved; the write is audited with the year's
    arrangement before and after. `version` is the year's record as the edit was made from (0:
    none recorded yet); another than the stored one is a 409 `version_conflict`, none a 428
    (ipfin.common.versioning)."""
    require(actor, Perm.CALENDAR_MANAGE)
    notice = (notice or "").strip()
    calendar = working_calendar()  # the neighbouring years as they stand
    problems = check_arrangement(year, days, lambda day: not calendar.is_working_day(day))
    if not notice or len(notice) > MAX_NOTICE_LENGTH:
        problems.insert(
            0,
            Problem(
                "notice_required",
                "notice",
                f"请填写通知名称及文号（不超过 {MAX_NOTICE_LENGTH} 个字符）。",
                f"Enter the notice's title and number (at most {MAX_NOTICE_LENGTH} characters).",
            ),
        )
    if published_on is not None and published_on.year > year:
        problems.append(
            Problem(
                "published_after_year",
                "published_on",
                f"{year} 年的节假日安排不会在 {published_on} 才发布。",
                f"The arrangement for {year} cannot have been published on {published_on}.",
            )
        )
    if problems:
        raise problems_error(problems)
    with transaction.atomic():
        # Locked, or created (a concurrent first save of the year waits on the unique year, then
        # finds the row and is refused as stale).
        record, created = HolidayArrangement.objects.select_for_update().get_or_create(
            year=year, defaults={"notice": notice}
        )
        current = UNSAVED if created else record.version
        check_version(current=current, expected=version)
        before = None if created else _snapshot(record)
        record.notice = notice
        record.published_on = published_on
        record.updated_by = actor
        record.version = current + 1
        record.save()
        record.days.all().delete()
        HolidayArrangementDay.objects.bulk_create(
            HolidayArrangementDay(arrangement=record, day=d.day, kind=d.kind, festival=d.festival)
            for d in sorted(days, key=lambda d: d.day)
        )
        audit_record(
            actor=actor,
            action="calendar.arrangement_save",
            obj=record,
            before=before,
            after=_snapshot(record),
        )
    return record
