"""A builder of IP-pledge loans for any bank, through the real services (the risk tests' NPL
tolerance and anomaly signals): the bank's registered pledge of a new right of a new enterprise,
valued by the bank, and loans over it applied, approved and disbursed on the day given."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.loans.models import Loan
from ipfin.loans.tests.conftest import REGISTERED_ON
from ipfin.loans.tests.factories import bank_valuation, lend_on
from ipfin.pledges.models import Pledge
from ipfin.pledges.tests.factories import approve, file_pledge
from ipfin.registry.models import Right


@pytest.fixture
def lender(
    examiner: User,
    make_org: Callable[..., Organisation],
    make_right: Callable[..., Right],
) -> Callable[[User], Callable[..., Loan]]:
    """`lender(bank_user)(principal=, start=)`: the bank's loan over its registered pledge of a
    new right of a new enterprise (registered on REGISTERED_ON, securing 50,000,000.00, valued
    by the bank at 880,000.00), applied, approved and disbursed on `start` through the loans
    services."""

    def for_bank(bank_user: User) -> Callable[..., Loan]:
        firm = make_org(OrganisationKind.ENTERPRISE)
        right = make_right(owners=[firm])
        # A registration securing 50,000,000.00: room for the tests' dozens of loans on it (all
        # of them together stay within the debt it secures, loans.services.approval).
        pledge = approve(
            examiner,
            file_pledge(
                bank_user=bank_user, pledgor=firm, rights=[right], debt_amount="50000000.00"
            ),
        )
        Pledge.objects.filter(pk=pledge.pk).update(effective_date=REGISTERED_ON)
        valuation = bank_valuation(bank_user, right)

        def lend(principal: str = "120000.00", start: date = date(2025, 1, 15)) -> Loan:
            return lend_on(
                bank_user=bank_user,
                enterprise=firm,
                pledge=pledge,
                valuation=valuation,
                principal=principal,
                start=start,
            )

        return lend

    return for_bank
