"""The monitoring tests' loan book, built through the real services (hand-computed figures in the
tests):

- park P; enterprise E_a in P (region 110108, small), E_b outside any park (region 320571,
  medium);
- L3: bank_b → E_a, 300,000.00 at 8%, disbursed 2024-11-20, twelve months, nothing repaid;
  classified 次级 by bank_b on 2025-02-01;
- L1: bank_a → E_a, 400,000.00 at 12%, disbursed 2025-01-15, three months equal principal; the
  first instalment (133,333.33 principal + 4,000.00 interest) repaid on 2025-02-15;
- L2: bank_a → E_b, 200,000.00 at 6%, disbursed 2025-02-10, one month; repaid in full
  (200,000.00 + 1,000.00 interest) on 2025-03-10: disbursed and repaid inside 2025Q1.
Every right is valued at 880,000.00 (cost approach), so the pledge rates are 400,000 ÷ 880,000 =
0.454545, 200,000 ÷ 880,000 = 0.227273 and 300,000 ÷ 880,000 = 0.340909.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.loans import services as loans
from ipfin.loans.models import Loan
from ipfin.loans.tests.conftest import lend, pledge_over, pledged, value_right  # noqa: F401
from ipfin.loans.tests.factories import bank_valuation, lend_on
from ipfin.pledges.models import Pledge
from ipfin.pledges.samples import other_party_confirms
from ipfin.pledges.services import pledge_decide, pledge_submit
from ipfin.pledges.tests.factories import signer_for
from ipfin.registry.models import Right

_seq = itertools.count(1)
REGISTERED_ON = date(2024, 1, 2)


@dataclass(frozen=True)
class Book:
    park: Organisation
    e_a: Organisation
    e_b: Organisation
    l1: Loan
    l2: Loan
    l3: Loan


def _pledge(
    *,
    bank_user: User,
    examiner: User,
    enterprise: Organisation,
    make_right: Callable[..., Right],
    upload_contract: Callable[..., Any],
    today: date,
) -> tuple[Pledge, Right]:
    right = make_right(owners=[enterprise])
    pledge, _checks = pledge_submit(
        actor=bank_user,
        pledgor_uscc=enterprise.uscc or "",
        rights=[right.number],
        debt_amount="5000000.00",
        term_start=today,
        term_end=today + timedelta(days=3 * 365),
        contract_no=f"ZY-S-{next(_seq):05d}",
    )
    signer_for(enterprise)
    pledge = other_party_confirms(pledge)
    upload_contract(pledge, actor=bank_user)
    registered = pledge_decide(actor=examiner, pledge=pledge, decision="approve")
    # The loans are dated 2024–2025; pledge_decide allows no effective date before the filing
    # (today), so the registration is backdated here, the one step not via a service (as in the
    # loans tests' `pledge_over`).
    Pledge.objects.filter(pk=registered.pk).update(effective_date=REGISTERED_ON)
    registered.refresh_from_db()
    return registered, right


def _lend(
    bank_user: User,
    enterprise: Organisation,
    pledge: Pledge,
    right: Right,
    *,
    principal: str,
    rate: str,
    months: int,
    start: date,
) -> Loan:
    return lend_on(
        bank_user=bank_user,
        enterprise=enterprise,
        pledge=pledge,
        valuation=bank_valuation(bank_user, right),
        principal=principal,
        start=start,
        months=months,
        annual_rate=rate,
    )


@pytest.fixture
def book(
    make_org: Callable[..., Organisation],
    bank_a_user: User,
    bank_b_user: User,
    examiner: User,
    make_right: Callable[..., Right],
    upload_contract: Callable[..., Any],
    today: date,
) -> Book:
    park = make_org(OrganisationKind.PARK, "示范园区P")
    e_a = make_org(name="甲科技有限公司", park=park, region="110108", size="small")
    e_b = make_org(name="乙科技有限公司", region="320571", size="medium")
    kw = {"examiner": examiner, "make_right": make_right, "upload_contract": upload_contract}
    p3, r3 = _pledge(bank_user=bank_b_user, enterprise=e_a, today=today, **kw)
    l3 = _lend(
        bank_b_user, e_a, p3, r3, principal="300000.00", rate="0.08", months=12,
        start=date(2024, 11, 20),
    )  # fmt: skip
    loans.loan_classify_manual(
        actor=bank_b_user,
        loan=l3,
        category="substandard",
        reason="借款人经营困难，现金流不足以偿还",
        today=date(2025, 2, 1),
    )
    p1, r1 = _pledge(bank_user=bank_a_user, enterprise=e_a, today=today, **kw)
    l1 = _lend(
        bank_a_user, e_a, p1, r1, principal="400000.00", rate="0.12", months=3,
        start=date(2025, 1, 15),
    )  # fmt: skip
    loans.loan_repay(
        actor=bank_a_user, loan=l1, amount="137333.33", paid_on=date(2025, 2, 15),
        today=date(2025, 2, 15),
    )  # fmt: skip
    p2, r2 = _pledge(bank_user=bank_a_user, enterprise=e_b, today=today, **kw)
    l2 = _lend(
        bank_a_user, e_b, p2, r2, principal="200000.00", rate="0.06", months=1,
        start=date(2025, 2, 10),
    )  # fmt: skip
    loans.loan_repay(
        actor=bank_a_user, loan=l2, amount="201000.00", paid_on=date(2025, 3, 10),
        today=date(2025, 3, 10),
    )  # fmt: skip
    return Book(park, e_a, e_b, l1, l2, l3)
