"""REST adapters of the working-day calendar.

- GET /calendar (public): every year with the source of its arrangement.
- GET /calendar/working-days?start=&days= (public): the n-th working day after a date, on the
  same calendar the platform's deadlines use.
- GET /calendar/{year} (public): the year's days off and adjusted working days.
- PUT /calendar/{year} (IP office administrators): record the year's arrangement, with
  `If-Match` the version read (ipfin.common.versioning).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field as NinjaField
from ninja import Path, Query, Router, Schema

from ipfin.common import versioning
from ipfin.common.schemas import IsoDate
from ipfin.holidays import selectors, services
from ipfin.holidays.domain import FIRST_YEAR, LAST_YEAR, ArrangementDay, DayKind, festival_en
from ipfin.holidays.schemas import (
    MAX_WORKING_DAYS_QUERY,
    ArrangementIn,
    ErrorOut,
    WorkingDayOut,
    YearOut,
    YearSummaryOut,
)
from ipfin.holidays.selectors import YearView

router = Router()


class YearPath(Schema):
    year: int = NinjaField(..., ge=FIRST_YEAR, le=LAST_YEAR)


class WorkingDaysQuery(Schema):
    start: IsoDate = NinjaField(
        ..., ge=date(FIRST_YEAR, 1, 1), le=date(LAST_YEAR - 2, 12, 31)
    )  # a year's count from the last allowed day stays far from date.max
    days: int = NinjaField(..., ge=0, le=MAX_WORKING_DAYS_QUERY)


def _year_out(view: YearView) -> dict[str, Any]:
    def days(kind: DayKind) -> list[dict[str, Any]]:
        return [
            {"date": d, "festival": name, "festival_en": festival_en(name)}
            for d, name in view.days(kind)
        ]

    return {
        "year": view.year,
        "source": view.source.value,
        "notice": view.notice,
        "published_on": view.published_on,
        "holidays": days(DayKind.HOLIDAY),
        "workdays": days(DayKind.WORKDAY),
        "version": view.version,
    }


def _versioned(response: HttpResponse, view: YearView) -> dict[str, Any]:
    response[versioning.ETAG] = versioning.etag(view.version)
    return _year_out(view)


@router.get("/calendar", response=list[YearSummaryOut], auth=None)
def calendar_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Every year from next year back to 2004, newest first, with where its holiday arrangement
    comes from (`office`, `package`, `missing`)."""
    return [
        {
            "year": v.year,
            "source": v.source.value,
            "notice": v.notice,
            "published_on": v.published_on,
            "holidays_count": len(v.arrangement.holidays) if v.arrangement else 0,
            "workdays_count": len(v.arrangement.workdays) if v.arrangement else 0,
        }
        for v in selectors.calendar_years(timezone.localdate())
    ]


@router.get(
    "/calendar/working-days",
    response={200: WorkingDayOut, 422: ErrorOut},
    auth=None,
)
def working_days(request: HttpRequest, query: Query[WorkingDaysQuery]) -> dict[str, Any]:
    """The `days`-th working day after `start` (`start` not counted; at most 366)."""
    calendar = selectors.working_calendar()
    end = calendar.add_working_days(query.start, query.days)
    return {
        "start": query.start,
        "days": query.days,
        "date": end,
        "sources": {
            str(y): calendar.source(y).value for y in range(query.start.year, end.year + 1)
        },
    }


@router.get(
    "/calendar/{year}",
    response={200: YearOut, 422: ErrorOut},
    auth=None,
    openapi_extra=versioning.openapi_read(),
)
def calendar_year(
    request: HttpRequest, response: HttpResponse, path: Path[YearPath]
) -> dict[str, Any]:
    """The year's days off (放假) and adjusted working days (调休上班), each with its festival;
    `version` (and the ETag) of the office's record, 0 while it has none."""
    return _versioned(response, selectors.year_view(path.year))


@router.put(
    "/calendar/{year}",
    response={200: YearOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    openapi_extra=versioning.openapi_write(),
)
def calendar_save(
    request: HttpRequest, response: HttpResponse, path: Path[YearPath], payload: ArrangementIn
) -> dict[str, Any]:
    """Record the year's arrangement from the State Council's notice (IP office administrators).
    It replaces the year's previous record and, from now on, the package's data for that year.
    A mistake (a day outside the year, a day listed twice, an adjusted working day that is not a
    weekend day, no holidays) is a 422 listing every problem in `problems`. `If-Match` names the
    version the arrangement was read at (`"0"` for a year not recorded yet): a stale one is a 409
    `version_conflict` with `current_version`, none a 428 `version_required`."""
    days = [
        ArrangementDay(d.date, DayKind.HOLIDAY, d.festival.strip()) for d in payload.holidays
    ] + [ArrangementDay(d.date, DayKind.WORKDAY, d.festival.strip()) for d in payload.workdays]
    services.arrangement_save(
        actor=request.user,
        year=path.year,
        version=versioning.if_match_version(request.headers.get(versioning.IF_MATCH)),
        notice=payload.notice,
        published_on=payload.published_on,
        days=days,
    )
    return _versioned(response, selectors.year_view(path.year))
