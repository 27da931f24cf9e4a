"""Builders shared by the demo's scenarios and the tests, written through the registry services:
canonical patent application numbers and annuities paid as the office records them."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.registry.domain import RightKind, annuity_schedule, cn_application_check_digit
from ipfin.registry.models import Right

__all__ = ["PATENT_TYPE_DIGIT", "application_no", "pay_annuities"]

# The type digit of a CN application number (专利申请号: year, type, serial, check digit).
PATENT_TYPE_DIGIT = {"invention": "1", "utility_model": "2", "design": "3"}


def application_no(kind: str, year: int, serial: int) -> str:
    """A canonical CN patent application number: `year`, the kind's type digit, a 7-digit
    `serial` and the mod-11 check digit."""
    body = f"{year:04d}{PATENT_TYPE_DIGIT[kind]}{serial:07d}"
    return f"{body}.{cn_application_check_digit(body)}"


def pay_annuities(
    right: Right,
    *,
    examiner: User,
    until: date | None = None,
    days_early: int = 0,
    skip_year: int | None = None,
) -> None:
    """Record each annuity of a granted patent due up to `until` (default today) and not yet
    recorded as paid, `days_early` days before its due date (on the due date when that would
    precede the filing), except the annuity of `skip_year` (left unpaid)."""
    from ipfin.registry.services import right_event_record

    if right.kind not in PATENT_TYPE_DIGIT or right.grant_date is None:
        return
    limit = until or timezone.localdate()
    paid = set(right.events.filter(type="annuity_paid").values_list("payload__year", flat=True))
    schedule = annuity_schedule(RightKind(right.kind), right.filing_date, right.grant_date)
    for year, due in schedule:
        if due > limit or year == skip_year or year in paid:
            continue
        early = due - timedelta(days=days_early)
        right_event_record(
            actor=examiner,
            right=right,
            type="annuity_paid",
            date=early if early >= right.filing_date else due,
            payload={"year": year},
        )
