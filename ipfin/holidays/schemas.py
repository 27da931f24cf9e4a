from __future__ import annotations

from ninja import Field, Schema

from ipfin.common.schemas import ErrorOut, IsoDate
from ipfin.holidays.domain import MAX_FESTIVAL_LENGTH, MAX_RANGE_DAYS
from ipfin.holidays.services import MAX_NOTICE_LENGTH

# Far more than any year has (2026: 33 days off, 6 adjusted working days): a bound on the body.
MAX_HOLIDAYS = 120
MAX_WORKDAYS = 60
MAX_WORKING_DAYS_QUERY = 366


class DayIn(Schema):
    date: IsoDate
    festival: str = Field("", max_length=MAX_FESTIVAL_LENGTH)


class ArrangementIn(Schema):
    notice: str = Field(
        ...,
        min_length=1,
        max_length=MAX_NOTICE_LENGTH,
        description="The notice's title and number, e.g. 国务院办公厅关于2027年部分节假日安排的通知"
        "（国办发明电〔2026〕×号）.",
    )
    published_on: IsoDate | None = None
    holidays: list[DayIn] = Field(
        ..., min_length=1, max_length=MAX_HOLIDAYS, description="Every day off (放假)."
    )
    workdays: list[DayIn] = Field(
        default_factory=list,
        max_length=MAX_WORKDAYS,
        description="The weekend days worked instead (调休上班): Saturdays and Sundays only.",
    )


class DayOut(Schema):
    date: IsoDate
    festival: str
    festival_en: str


class YearOut(Schema):
    year: int
    source: str = Field(
        ...,
        description="office: the IP office's record of the State Council notice; package: the "
        "chinese_calendar package; missing: neither (Monday to Friday count as working days).",
    )
    notice: str
    published_on: IsoDate | None
    holidays: list[DayOut]
    workdays: list[DayOut]
    version: int = Field(
        ...,
        description="The office's record's version (0: none recorded yet), also the ETag: send "
        "it as If-Match to record the year.",
    )


class YearSummaryOut(Schema):
    year: int
    source: str
    notice: str
    published_on: IsoDate | None
    holidays_count: int
    workdays_count: int


class WorkingDayOut(Schema):
    start: IsoDate
    days: int
    date: IsoDate
    sources: dict[str, str] = Field(
        ..., description="Each year the count crossed and where its arrangement came from."
    )


__all__ = [
    "MAX_RANGE_DAYS",
    "MAX_WORKING_DAYS_QUERY",
    "ArrangementIn",
    "DayIn",
    "DayOut",
    "ErrorOut",
    "WorkingDayOut",
    "YearOut",
    "YearSummaryOut",
]
