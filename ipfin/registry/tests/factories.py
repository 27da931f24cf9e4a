"""Rights for the tests of every app, entered through the real registry services (no model
shortcuts): valid CN application numbers, patents in force today with their annuities paid."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from ipfin.accounts.models import Organisation, User
from ipfin.registry.models import Right
from ipfin.registry.samples import PATENT_TYPE_DIGIT, application_no, pay_annuities
from ipfin.registry.services import right_create

__all__ = ["PATENT_TYPE_DIGIT", "make_patent", "next_number", "patent_no", "pay_annuities"]

_seq = itertools.count(1)


def patent_no(kind: str = "invention", year: int = 2021) -> str:
    """A canonical CN application number (with its mod-11 check digit), unique in this process."""
    return application_no(kind, year, next(_seq))


def next_number() -> int:
    """A number unique in this process, for trademark and copyright registration numbers."""
    return next(_seq)


def make_patent(
    *,
    examiner: User,
    owner: Organisation,
    kind: str = "invention",
    title: str = "一种知识产权质押测试装置",
    filing_date: date | None = None,
    grant_date: date | None = None,
    paid: bool = True,
    **extra: Any,
) -> Right:
    """A patent entered by the examiner, wholly owned by `owner`, in force today (annuities paid
    on their due dates up to today) unless `paid=False`."""
    today = timezone.localdate()
    filing = filing_date or today - timedelta(days=3 * 365)
    right = right_create(
        actor=examiner,
        number=patent_no(kind, filing.year),
        kind=kind,
        title=title,
        filing_date=filing,
        grant_date=grant_date or today - timedelta(days=365),
        owners=[{"name": owner.name, "uscc": owner.uscc}],
        **extra,
    )
    if paid:
        pay_annuities(right, examiner=examiner)
    return right
