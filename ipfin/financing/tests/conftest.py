"""Financing fixtures: a park with a member enterprise, users of each role, rights entered through
the real registry services (in force today), products published and demands filed through the real
financing services."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, Role, User
from ipfin.demo.scenarios.catalogue import BANK_A_LOAN
from ipfin.financing.models import Demand, ProductVersion
from ipfin.financing.services import demand_file, product_publish
from ipfin.registry.models import Right


@pytest.fixture
def park(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(OrganisationKind.PARK, "高新区园区")


@pytest.fixture
def enterprise_a(make_org: Callable[..., Organisation], park: Organisation) -> Organisation:
    """Overrides the shared fixture: in the park, in 江苏省苏州市, industry C3911."""
    return make_org(
        OrganisationKind.ENTERPRISE,
        "甲科技有限公司",
        park=park,
        region="江苏省苏州市",
        industry="C3911",
        size="small",
    )


@pytest.fixture
def enterprise_b(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(OrganisationKind.ENTERPRISE, "乙制造有限公司", region="浙江省杭州市")


@pytest.fixture
def park_user(make_user: Callable[..., User], park: Organisation) -> User:
    return make_user("park", park)


@pytest.fixture
def insurer_user(make_user: Callable[..., User], make_org: Callable[..., Organisation]) -> User:
    return make_user("insurer", make_org(OrganisationKind.INSURER, "丙保险"))


# Bank A's loan product of the demo (scenario `catalogue`) from 6 months, without 等额本金.
LOAN_TERMS: dict[str, Any] = {
    **BANK_A_LOAN,
    "description": "知识产权质押贷款",
    "term_min_months": 6,
    "repayment_methods": ["annuity", "interest_only"],
}


@pytest.fixture
def publish() -> Callable[..., ProductVersion]:
    """Publish through the service; defaults: a loan with LOAN_TERMS, overridable per key (an
    insurance product: pledge-financing guarantee insurance, issue 16's kinds)."""

    def do(actor: User, code: str = "IP-LOAN", kind: str = "loan", **terms: Any) -> ProductVersion:
        name = terms.pop("name", f"{code} 产品")
        base: dict[str, Any] = dict(LOAN_TERMS) if kind == "loan" else {"premium_rate": "0.01"}
        if kind == "insurance":
            base["insurance_kind"] = "pledge_guarantee"
        base.update(terms)
        return product_publish(actor=actor, code=code, kind=kind, name=name, terms=base)

    return do


@pytest.fixture
def file_demand(
    enterprise_a_user: User, enterprise_a: Organisation, right: Right
) -> Callable[..., Demand]:
    """File through the service; defaults: enterprise_a for itself, 1,000,000.00 yuan, 12 months,
    offering `right`."""

    def do(**kw: Any) -> Demand:
        kw.setdefault("actor", enterprise_a_user)
        kw.setdefault("enterprise_uscc", enterprise_a.uscc)
        kw.setdefault("amount", "1000000.00")
        kw.setdefault("term_months", 12)
        kw.setdefault("purpose", "研发投入")
        kw.setdefault("rights", [right.number])
        return demand_file(**kw)

    return do


@pytest.fixture
def bank_a_loan(bank_a_user: User, publish: Callable[..., ProductVersion]) -> ProductVersion:
    return publish(bank_a_user, "A-LOAN")


@pytest.fixture
def bank_b_loan(bank_b_user: User, publish: Callable[..., ProductVersion]) -> ProductVersion:
    # Dearer than bank_a's: LPR + 150 bp.
    return publish(bank_b_user, "B-LOAN", rate_spread_bp=150)


@pytest.fixture
def valuation_of(
    make_user: Callable[..., User], make_org: Callable[..., Organisation]
) -> Callable[..., Any]:
    """An issued valuation of `rights` worth `cost` × 0.88 (cost approach: 10 % profit, 2 of 10
    years used: cost × 1.1 × 8/10), made by a valuation agency through the real services."""
    from ipfin.valuation.services.valuations import valuation_create, valuation_issue

    agency = make_org(OrganisationKind.VALUATION_AGENCY, "评估所")
    user = make_user(f"agency-{agency.pk}", agency)

    def make(rights: list[Right], cost: str) -> Any:
        valuation = valuation_create(
            actor=user,
            rights=[r.number for r in rights],
            method="cost",
            inputs={"cost": cost, "profit_rate": "0.1", "used_years": "2", "remaining_years": "8"},
        )
        return valuation_issue(actor=user, valuation=valuation, appraisers=["王评估", "李评估"])

    return make


def D(x: str) -> Decimal:
    return Decimal(x)


__all__ = ["LOAN_TERMS", "D", "Role"]
