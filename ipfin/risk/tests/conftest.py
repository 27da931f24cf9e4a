"""Risk-compensation fixtures, all through the real services: a fund (an organisation of kind
`risk_fund`), a front-loaded scheme of it (shares 0.4 / 0.3 / 0.2 / 0.1, 300,000.00 per loan),
and `npl_loan`, a loan of bank_a classified 次级 by the bank, with its three instalments due and
unpaid on CLAIM_DAY. The loans are the loans app's own builders (its conftest's fixtures).

The figures of one such loan (400,000.00 at 12 %, 3 months, equal principal, 30/360, from
2025-01-15): outstanding principal 400,000.00, interest due and unpaid 4,000.00 + 2,666.67 +
1,333.33 = 8,000.00."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, Role, User
from ipfin.loans.models import Loan
from ipfin.loans.services import loan_classify_manual

# The loans app's builders, as fixtures here too (pytest finds a fixture by its name in scope).
from ipfin.loans.tests.conftest import (  # noqa: F401
    lend,
    pledge_over,
    pledged,
    value_right,
)
from ipfin.pledges.models import Pledge
from ipfin.risk.models import RiskClaim, RiskScheme
from ipfin.risk.services import claim_file, fund_budget, scheme_create

D = Decimal
CLAIM_DAY = date(2025, 6, 1)  # 107 days after the first instalment fell due: 次级 at least
SHARES = {"fund": "0.4", "bank": "0.3", "guarantor": "0.2", "insurer": "0.1"}
PRINCIPAL = D("400000.00")
INTEREST = D("8000.00")


@pytest.fixture
def fund(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(OrganisationKind.RISK_FUND, "知识产权质押融资风险补偿基金")


@pytest.fixture
def checker(make_user: Callable[..., User], ip_office: Organisation) -> User:
    """A second IP office user: releases the payments `office_user` approved."""
    return make_user("office_checker", ip_office, Role.MEMBER)


@pytest.fixture
def make_scheme(office_user: User, fund: Organisation) -> Callable[..., RiskScheme]:
    def make(**kw: Any) -> RiskScheme:
        fields: dict[str, Any] = {
            "fund_id": fund.pk,
            "name": "知识产权质押贷款风险补偿（前置代偿）",
            "mode": "front_loaded",
            "shares": SHARES,
            "fund_cap_per_loan": "300000.00",
            "fund_cap_per_bank_year": None,
            "eligibility": {},
        }
        return scheme_create(actor=kw.pop("actor", office_user), **{**fields, **kw})

    return make


@pytest.fixture
def scheme(make_scheme: Callable[..., RiskScheme]) -> RiskScheme:
    return make_scheme()


@pytest.fixture
def budget(office_user: User, fund: Organisation) -> Callable[..., Any]:
    def put(amount: str, on: date = CLAIM_DAY) -> Any:
        return fund_budget(
            actor=office_user, fund_id=fund.pk, amount=amount, memo="财预〔2025〕1号", today=on
        )

    return put


@pytest.fixture
def npl_loan(
    pledged: tuple[Pledge, Any],  # noqa: F811 - the loans app's fixture, imported above
    lend: Callable[..., Loan],  # noqa: F811
    bank_a_user: User,
) -> Callable[..., Loan]:
    """A new loan of bank_a over the same registered pledge, classified 次级 (or `category`) on
    CLAIM_DAY (or `on`), or left as it is with `category=None`."""
    pledge, _valuation = pledged

    def make(
        principal: str = "400000.00", category: str | None = "substandard", on: date = CLAIM_DAY
    ) -> Loan:
        loan = lend(pledge, principal=principal)
        if category is None:
            return loan
        return loan_classify_manual(
            actor=bank_a_user,
            loan=loan,
            category=category,
            reason="借款人经营困难，三期本息逾期未还",
            today=on,
        )

    return make


@pytest.fixture
def file_claim(
    bank_a_user: User, npl_loan: Callable[..., Loan], scheme: RiskScheme
) -> Callable[..., RiskClaim]:
    """bank_a's claim on a new non-performing loan under `on` (default: `scheme`)."""

    def file(on: RiskScheme | None = None) -> RiskClaim:
        loan = npl_loan()
        return claim_file(
            actor=bank_a_user, loan_id=loan.pk, scheme_id=(on or scheme).pk, today=CLAIM_DAY
        )

    return file
