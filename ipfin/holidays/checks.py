"""System check: the working-day calendar has next year's holiday arrangement from 15 December.

A missing year is an operations duty (the IP office enters the State Council's notice), not a build
failure: `ipfin check` (and every management command) shows a warning, never an error.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.checks import CheckMessage, Warning, register
from django.db import DatabaseError
from django.utils import timezone

from ipfin.common.workdays import PACKAGE_CALENDAR, covered_years

CHECK_ID = "ipfin.holidays.W001"


def _missing_year(day: date) -> int | None:
    from ipfin.holidays.selectors import working_calendar

    try:
        # The office's records are read when first asked about (here, by missing_year).
        return working_calendar().missing_year(day)
    except DatabaseError:  # not migrated yet (e.g. `ipfin migrate` on a fresh database)
        return PACKAGE_CALENDAR.missing_year(day)


@register()
def holiday_arrangement_check(
    app_configs: Any = None, today: date | None = None, **kwargs: Any
) -> list[CheckMessage]:
    day = today or timezone.localdate()
    year = _missing_year(day)
    if year is None:
        return []
    covered = covered_years()
    return [
        Warning(
            f"No holiday arrangement for {year}: working-day deadlines in {year} count Monday to "
            f"Friday and ignore the holidays. (chinese_calendar covers {covered.start}-"
            f"{covered.stop - 1}.)",
            hint=f"An IP office administrator enters the State Council's {year} notice "
            f"(国务院办公厅关于{year}年部分节假日安排的通知) at /calendar/{year}/edit/ or with PUT "
            f"/api/v1/calendar/{year}; or upgrade chinese-calendar once it carries {year}.",
            id=CHECK_ID,
        )
    ]
