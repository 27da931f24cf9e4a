"""Loans on registered pledges, through the real services, for the tests of other modules and the
browser tests.

- `bank_valuation(bank_user, right)`: the bank's issued cost valuation of the right
  (1,000,000 × 1.1 × 8/10 = 880,000.00);
- `lend_on(...)`: a loan of the bank on its pledge and valuation, applied, approved and disbursed
  on `start` (default today): three months at 12 %, equal principal, 30/360;
- `pledge_with_loan(...)`: the bank's registered pledge of an enterprise's right (filed,
  confirmed by the enterprise, contract uploaded, approved by the examiner), valued, and a loan
  on it, today.
"""

from __future__ import annotations

from datetime import date

from ipfin.accounts.models import Organisation, User
from ipfin.loans import services as loans
from ipfin.loans.models import Loan
from ipfin.pledges.models import Pledge
from ipfin.pledges.tests.factories import approve, file_pledge
from ipfin.registry.models import Right
from ipfin.valuation.models import Valuation
from ipfin.valuation.services.valuations import valuation_create, valuation_issue


def bank_valuation(bank_user: User, right: Right) -> Valuation:
    return valuation_issue(
        actor=bank_user,
        valuation=valuation_create(
            actor=bank_user,
            rights=[right.number],
            method="cost",
            inputs={
                "cost": "1000000",
                "profit_rate": "0.1",
                "used_years": "2",
                "remaining_years": "8",
            },
        ),
    )


def lend_on(
    *,
    bank_user: User,
    enterprise: Organisation,
    pledge: Pledge,
    valuation: Valuation,
    principal: str = "120000.00",
    start: date | None = None,
    months: int = 3,
    annual_rate: str = "0.12",
    disburse: bool = True,
) -> Loan:
    """Equal principal, 30/360; approved on `start` (default today) and disbursed then unless
    `disburse` is False."""
    loan = loans.loan_apply(
        actor=bank_user,
        enterprise_uscc=enterprise.uscc or "",
        product_version_id=None,
        amount=principal,
        months=months,
        method="equal_principal",
        day_count="30/360",
    )
    loan = loans.loan_approve(
        actor=bank_user,
        loan=loan,
        principal=principal,
        months=months,
        pledge_id=pledge.pk,
        valuation_id=valuation.pk,
        annual_rate=annual_rate,
        today=start,
    )
    if not disburse:
        return loan
    return loans.loan_disburse(actor=bank_user, loan=loan, today=start)


def pledge_with_loan(
    *,
    examiner: User,
    bank_user: User,
    enterprise: Organisation,
    right: Right,
    principal: str = "120000.00",
) -> tuple[Pledge, Loan]:
    """`bank_user`'s registered pledge over `enterprise`'s `right` and its disbursed loan of
    `principal` on it, today."""
    pledge = approve(examiner, file_pledge(bank_user=bank_user, pledgor=enterprise, rights=[right]))
    loan = lend_on(
        bank_user=bank_user,
        enterprise=enterprise,
        pledge=pledge,
        valuation=bank_valuation(bank_user, right),
        principal=principal,
    )
    return pledge, loan
