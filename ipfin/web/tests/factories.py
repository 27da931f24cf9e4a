"""Data for the UI tests, entered through the real services (no model shortcuts): patents in force
with their annuities paid, and pledge applications filed by a bank. Shared with e2e/."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from ipfin.accounts.models import Organisation, User
from ipfin.accounts.services import user_create
from ipfin.pledges.models import Pledge
from ipfin.pledges.samples import other_party_confirms
from ipfin.pledges.services import pledge_submit
from ipfin.registry.domain import RightKind, annuity_schedule, cn_application_check_digit
from ipfin.registry.models import Right
from ipfin.registry.services import right_create, right_event_record

_seq = itertools.count(1)
_TYPE_DIGIT = {"invention": "1", "utility_model": "2", "design": "3"}


def patent_no(kind: str = "invention", year: int = 2021) -> str:
    """A valid CN application number (with its mod-11 check digit), unique in this process."""
    body = f"{year:04d}{_TYPE_DIGIT[kind]}{3_000_000 + next(_seq):07d}"
    return f"{body}.{cn_application_check_digit(body)}"


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
    grant = grant_date or today - timedelta(days=365)
    right = right_create(
        actor=examiner,
        number=patent_no(kind, filing.year),
        kind=kind,
        title=title,
        filing_date=filing,
        grant_date=grant,
        owners=[{"name": owner.name, "uscc": owner.uscc}],
        **extra,
    )
    if paid:
        for year, due in annuity_schedule(RightKind(kind), filing, grant):
            if due <= today:
                right_event_record(
                    actor=examiner,
                    right=right,
                    type="annuity_paid",
                    date=due,
                    payload={"year": year},
                )
    return right


def file_pledge(
    *, bank_user: User, pledgor: Organisation, rights: list[Right], **kw: Any
) -> Pledge:
    """An application filed by `bank_user` through pledge_submit (5,000,000.00 yuan, two years)
    and, unless `confirm=False`, confirmed by a user of the pledgor (created if it has none)."""
    today = timezone.localdate()
    confirm = kw.pop("confirm", True)
    kw.setdefault("debt_amount", "5000000.00")
    kw.setdefault("term_start", today)
    kw.setdefault("term_end", today + timedelta(days=2 * 365))
    kw.setdefault("contract_no", f"WEB-{next(_seq):05d}")
    pledge, _checks = pledge_submit(
        actor=bank_user, pledgor_uscc=pledgor.uscc, rights=[r.number for r in rights], **kw
    )
    if confirm:
        if not User.objects.filter(organisation=pledgor).exists():
            user_create(
                username=f"signer-{pledgor.pk}", password="pw-for-tests-1", organisation=pledgor
            )
        pledge = other_party_confirms(pledge, today=kw.get("today"))
    return pledge
