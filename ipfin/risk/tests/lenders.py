"""A builder of IP-pledge loans for any bank, through the real services (the risk tests' NPL
tolerance and anomaly signals): the bank's registered pledge of a new right of a new enterprise,
valued by the bank, and loans over it applied, approved and disbursed on the day given."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.loans import services as loans
from ipfin.loans.models import Loan
from ipfin.loans.tests.conftest import REGISTERED_ON
from ipfin.pledges.models import Pledge
from ipfin.pledges.tests.factories import approve, file_pledge
from ipfin.registry.models import Right
from ipfin.valuation.services.valuations import valuation_create, valuation_issue


@pytest.fixture
def lender(
    examiner: User,
    make_org: Callable[..., Organisation],
    make_right: Callable[..., Right],
) -> Callable[[User], Callable[..., Loan]]:
    """`lender(bank_user)(principal=, start=)`: the bank's loan over its registered pledge of a
    new right of a new enterprise (registered on REGISTERED_ON, valued by the bank at
    880,000.00), applied, approved and disbursed on `start` through the loans services."""

    def for_bank(bank_user: User) -> Callable[..., Loan]:
        firm = make_org(OrganisationKind.ENTERPRISE)
        right = make_right(owners=[firm])
        pledge = approve(examiner, file_pledge(bank_user=bank_user, pledgor=firm, rights=[right]))
        Pledge.objects.filter(pk=pledge.pk).update(effective_date=REGISTERED_ON)
        valuation = valuation_issue(
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

        def lend(principal: str = "120000.00", start: date = date(2025, 1, 15)) -> Loan:
            loan = loans.loan_apply(
                actor=bank_user,
                enterprise_uscc=firm.uscc or "",
                product_version_id=None,
                amount=principal,
                months=3,
                method="equal_principal",
                day_count="30/360",
            )
            loan = loans.loan_approve(
                actor=bank_user,
                loan=loan,
                principal=principal,
                months=3,
                pledge_id=pledge.pk,
                valuation_id=valuation.pk,
                annual_rate="0.12",
                today=start,
            )
            return loans.loan_disburse(actor=bank_user, loan=loan, today=start)

        return lend

    return for_bank
