"""Valuation fixtures: a valuation agency and its user, API clients per party, rights in force
(the pledge tests' `make_right`: entered through the real registry services, annuities paid),
and the income inputs the flows value with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, User


@pytest.fixture
def agency(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(OrganisationKind.VALUATION_AGENCY, "甲资产评估有限公司")


@pytest.fixture
def agency_user(make_user: Callable[..., User], agency: Organisation) -> User:
    return make_user("agency", agency)


@pytest.fixture
def agency_api(api_client: Callable[..., Any], agency_user: User) -> Any:
    return api_client(agency_user)


@pytest.fixture
def public(api_client: Callable[..., Any]) -> Any:
    return api_client()


# Five years of 1,000,000 yuan revenue, K = 25%, T = 25%, r = 10%, end-of-year discounting.
INCOME_INPUTS: dict[str, Any] = {
    "revenues": ["1000000", "1000000", "1000000", "1000000", "1000000"],
    "share_rate": "0.25",
    "share_decay": "0",
    "tax_rate": "0.25",
    "discount_rate": "0.10",
    "life_years": "5",
    "mid_year": False,
}
# 187,500 × (1/1.1 + 1/1.1² + 1/1.1³ + 1/1.1⁴ + 1/1.1⁵) = 187,500 × 3.790786769 = 710,772.52
INCOME_VALUE = "710772.52"
# The two appraisers who sign an agency's report (资产评估法 art. 26).
APPRAISERS = ["王评估", "李评估"]


@pytest.fixture
def income_inputs() -> dict[str, Any]:
    return {**INCOME_INPUTS, "revenues": list(INCOME_INPUTS["revenues"])}
