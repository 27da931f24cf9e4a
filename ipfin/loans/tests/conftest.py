"""Loan fixtures, all through the real services: a right in force (the pledge tests' `make_right`),
a registered pledge of bank_a over it (filed by the bank, approved by the examiner), an issued
valuation of it by bank_a (cost approach: 1,000,000 × 1.1 × 8/10 = 880,000.00), bank_a's loan
product (1y LPR + 50 bp, max pledge rate 50 %), and a `lend` helper that takes a loan from
application to disbursement on given dates (approved on the valuation it names, by default the
latest the bank may name)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, Role, User
from ipfin.demo.scenarios.catalogue import BANK_A_LOAN
from ipfin.financing.models import Policy, ProductVersion
from ipfin.financing.services import policy_publish, product_publish
from ipfin.loans import services
from ipfin.loans.models import Loan
from ipfin.loans.selectors import pledge_valuations
from ipfin.pledges.models import Pledge
from ipfin.pledges.samples import other_party_confirms
from ipfin.pledges.services import pledge_decide, pledge_submit
from ipfin.pledges.tests.factories import signer_for
from ipfin.registry.models import Right
from ipfin.valuation.models import Valuation
from ipfin.valuation.services.valuations import (
    valuation_create,
    valuation_issue,
    valuation_recheck,
)

_seq = itertools.count(1)

D = Decimal
VALUATION_VALUE = D("880000.00")
REGISTERED_ON = date(2024, 1, 2)  # the pledges' effective date (see `pledge_over`)
# Bank A's loan product of the demo (scenario `catalogue`), as the tests' product.
LOAN_TERMS: dict[str, Any] = {**BANK_A_LOAN, "description": "知识产权质押贷款"}


@pytest.fixture
def product(bank_a_user: User) -> ProductVersion:
    return product_publish(
        actor=bank_a_user, code="IPL", kind="loan", name="知识产权质押贷", terms=LOAN_TERMS
    )


@pytest.fixture
def pledge_over(
    bank_a_user: User,
    examiner: User,
    make_right: Callable[..., Right],
    today: date,
    upload_contract: Callable[..., Any],
    make_user: Callable[..., User],
) -> Callable[..., tuple[Pledge, Right]]:
    """A registered pledge of bank_a over a new right of `enterprise` (default 5,000,000.00)."""

    def make(enterprise: Organisation, debt: str = "5000000.00") -> tuple[Pledge, Right]:
        right = make_right(owners=[enterprise])
        pledge, _checks = pledge_submit(
            actor=bank_a_user,
            pledgor_uscc=enterprise.uscc or "",
            rights=[right.number],
            debt_amount=debt,
            term_start=today,
            term_end=today + timedelta(days=3 * 365),
            contract_no=f"ZY-L-{next(_seq):05d}",
        )
        signer_for(enterprise)
        pledge = other_party_confirms(pledge)  # a joint application (办法 arts. 3, 7)
        upload_contract(pledge)  # the examiner approves no registration without its contract
        registered = pledge_decide(actor=examiner, pledge=pledge, decision="approve")
        # The loans in these tests are dated 2025 and an approval may not rely on a registration
        # effective after the approval day; pledge_decide allows no effective date before the
        # filing (today), so the registration is backdated here, the one step not via a service.
        Pledge.objects.filter(pk=registered.pk).update(effective_date=REGISTERED_ON)
        registered.refresh_from_db()
        return registered, right

    return make


@pytest.fixture
def value_right(bank_a_user: User) -> Callable[..., Valuation]:
    def make(right: Right, cost: str = "1000000") -> Valuation:
        valuation = valuation_create(
            actor=bank_a_user,
            rights=[right.number],
            method="cost",
            inputs={"cost": cost, "profit_rate": "0.1", "used_years": "2", "remaining_years": "8"},
        )
        return valuation_issue(actor=bank_a_user, valuation=valuation)

    return make


@pytest.fixture
def agency_user(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> User:
    return make_user("agency", make_org(OrganisationKind.VALUATION_AGENCY, "甲资产评估有限公司"))


@pytest.fixture
def agency_report(
    agency_user: User, bank_a: Organisation, bank_a_user: User
) -> Callable[..., Valuation]:
    """A valuation agency's issued cost report over `right` for bank_a as client bank (cost ×
    1.1 × 8/10: 1,000,000 → 880,000.00); with `bank_value`, rechecked by bank_a against that
    reference value of the right (flagged beyond the default threshold, 30 %)."""

    def make(right: Right, cost: str = "1000000", bank_value: str | None = None) -> Valuation:
        valuation = valuation_create(
            actor=agency_user,
            rights=[right.number],
            method="cost",
            inputs={"cost": cost, "profit_rate": "0.1", "used_years": "2", "remaining_years": "8"},
            client_bank_uscc=bank_a.uscc,
        )
        valuation = valuation_issue(
            actor=agency_user, valuation=valuation, appraisers=["王评估", "李评估"]
        )
        if bank_value is None:
            return valuation
        return valuation_recheck(
            actor=bank_a_user, valuation=valuation, reference_values={right.number: bank_value}
        )

    return make


@pytest.fixture
def pledged(
    enterprise_a: Organisation,
    pledge_over: Callable[..., tuple[Pledge, Right]],
    value_right: Callable[..., Valuation],
) -> tuple[Pledge, Valuation]:
    """bank_a's registered pledge over enterprise_a's right, valued at 880,000.00."""
    pledge, right = pledge_over(enterprise_a)
    valuation = value_right(right)
    assert valuation.value == VALUATION_VALUE
    return pledge, valuation


def _latest_usable(bank_user: User, pledge: Pledge) -> int | None:
    usable = pledge_valuations(actor=bank_user, pledge=pledge)
    return usable[0].pk if usable else None


@pytest.fixture
def lend(bank_a_user: User, enterprise_a: Organisation) -> Callable[..., Loan]:
    """Apply (the bank, no product unless given), approve with an explicit rate, and disburse
    on `start`; stops earlier with `until="applied"` or `"approved"`."""

    def make(
        pledge: Pledge,
        *,
        principal: str = "120000.00",
        rate: str = "0.12",
        months: int = 3,
        method: str = "equal_principal",
        day_count: str = "30/360",
        start: date = date(2025, 1, 15),
        enterprise: Organisation | None = None,
        product_version_id: int | None = None,
        valuation_id: int | None = None,
        until: str = "disbursed",
    ) -> Loan:
        """`valuation_id` None: the latest valuation the bank may name for the pledge (the
        approval itself never picks one)."""
        org = enterprise or enterprise_a
        loan = services.loan_apply(
            actor=bank_a_user,
            enterprise_uscc=org.uscc or "",
            product_version_id=product_version_id,
            amount=principal,
            months=months,
            method=method,
            day_count=day_count,
        )
        if until == "applied":
            return loan
        loan = services.loan_approve(
            actor=bank_a_user,
            loan=loan,
            principal=principal,
            months=months,
            pledge_id=pledge.pk,
            valuation_id=valuation_id or _latest_usable(bank_a_user, pledge),
            annual_rate=rate,
            today=start,
        )
        if until == "approved":
            return loan
        return services.loan_disburse(actor=bank_a_user, loan=loan, today=start)

    return make


@pytest.fixture
def subsidy_policy(office_user: User) -> Policy:
    """50 % of the interest paid in 2025, at most 1,000.00 per enterprise, budget 1,000.01."""
    return policy_publish(
        actor=office_user,
        kind="subsidy",
        title="2025年知识产权质押贷款贴息",
        conditions={"ip_pledge_loan": True, "sizes": ["micro", "small", "medium"]},
        subsidy_share="0.5",
        cap_per_enterprise="1000.00",
        annual_budget="1000.01",
        year=2025,
    )


__all__ = ["LOAN_TERMS", "REGISTERED_ON", "VALUATION_VALUE", "D", "Role"]
