"""Input and output schemas of the financing API. Shape and type only: the rules live in the
services (`ipfin.financing.services.clean_terms` for product terms).

Money is a string with exactly two decimals (yuan); on input a JSON number is accepted too. Rates
and ratios are decimal strings (fractions: "0.5" = 50 %); spreads are integers in basis points.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from ipfin.common.schemas import IsoDate, OrganisationRef, uscc_field
from ipfin.pledges.schemas import MoneyIn
from ipfin.registry.schemas import RightNumber

# --- input ---------------------------------------------------------------------------------------


class ProductTermsIn(Schema):
    description: str = Field("", max_length=5000)
    amount_min: MoneyIn | None = None
    amount_max: MoneyIn | None = None
    term_min_months: int | None = None
    term_max_months: int | None = None
    lpr_tenor: Literal["1y", "5y", ""] = ""
    rate_spread_bp: int | None = Field(None, description="加点（基点），LPR + spread")
    accepted_right_kinds: list[str] = Field(default_factory=list, max_length=10)
    package_allowed: bool = True
    max_pledge_rate: str | None = Field(None, max_length=20, description='e.g. "0.5" = 50 %')
    repayment_methods: list[str] = Field(default_factory=list, max_length=5)
    regions: list[str] = Field(default_factory=list, max_length=50)
    park_ids: list[int] = Field(default_factory=list, max_length=50)
    industries: list[str] = Field(default_factory=list, max_length=50)
    insurance_kind: Literal[
        "pledge_guarantee", "enforcement", "infringement_liability", "infringed_loss",
        "application_cost", "transformation_cost", "overseas_infringement", "",
    ] = Field("", description="险种: required for an insurance product")  # fmt: skip
    premium_rate: str | None = Field(None, max_length=20)
    coverage_ratio: str | None = Field(None, max_length=20)
    coverage_max: MoneyIn | None = None


class ProductIn(Schema):
    code: str = Field(..., max_length=40, description="产品代码 (per provider)")
    kind: Literal["loan", "insurance", "guarantee"]
    name: str = Field(..., max_length=200)
    terms: ProductTermsIn


class PolicyIn(Schema):
    kind: Literal["subsidy", "fee_subsidy", "risk_compensation", "other"]
    title: str = Field(..., max_length=200)
    summary: str = Field("", max_length=10_000)
    conditions: dict[str, Any] = Field(default_factory=dict)
    subsidy_share: str | None = Field(None, max_length=20)
    cap_per_enterprise: MoneyIn | None = None
    annual_budget: MoneyIn | None = None
    year: int | None = None
    valid_from: IsoDate | None = None
    valid_to: IsoDate | None = None


class DemandIn(Schema):
    enterprise_uscc: str = uscc_field(description="企业统一社会信用代码")
    amount: MoneyIn
    term_months: int
    purpose: str = Field(..., max_length=2000)
    rights: list[RightNumber] = Field(..., min_length=1, max_length=200)


class RespondIn(Schema):
    response: Literal["interested", "need_info", "declined"]
    reason: str = Field("", max_length=2000)


# --- output --------------------------------------------------------------------------------------


class VersionOut(Schema):
    id: int
    version: int
    description: str
    amount_min: str | None
    amount_max: str | None
    term_min_months: int | None
    term_max_months: int | None
    lpr_tenor: str
    rate_spread_bp: int | None
    annual_rate: str | None = Field(None, description="LPR of the day + spread (fraction)")
    accepted_right_kinds: list[str]
    package_allowed: bool
    max_pledge_rate: str | None
    repayment_methods: list[str]
    regions: list[str]
    park_ids: list[int]
    industries: list[str]
    insurance_kind: str = Field(..., description="险种 of an insurance product ('' otherwise)")
    premium_rate: str | None
    coverage_ratio: str | None
    coverage_max: str | None
    published_at: dt.datetime


class ProductOut(Schema):
    id: int
    code: str
    kind: str
    kind_label: str
    name: str
    provider: OrganisationRef
    is_active: bool
    current: VersionOut


class ProductDetailOut(ProductOut):
    versions: list[VersionOut]


class CompareRowOut(Schema):
    key: str
    label: str
    values: list[str]


class CompareOut(Schema):
    products: list[ProductOut]
    rows: list[CompareRowOut]


class PolicyOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    summary: str
    issuer: OrganisationRef
    conditions: dict[str, Any]
    subsidy_share: str | None
    cap_per_enterprise: str | None
    annual_budget: str | None
    year: int | None
    valid_from: IsoDate | None
    valid_to: IsoDate | None
    is_active: bool
    created_at: dt.datetime


class RightRef(Schema):
    number: str
    kind: str
    title: str


class DemandOut(Schema):
    id: int
    state: str
    state_label: str
    enterprise: OrganisationRef
    filed_by: OrganisationRef
    amount: str
    term_months: int
    purpose: str
    rights: list[RightRef]
    financed_loan_id: int | None
    created_at: dt.datetime


class MatchRuleOut(Schema):
    rule: str
    passed: bool
    message: str
    message_zh: str
    message_en: str


class ComponentOut(Schema):
    name: str
    points: str
    max_points: int
    neutral: bool
    detail: str


class MatchOut(Schema):
    product: ProductOut
    eligible: bool
    rank: int | None
    score: str | None
    components: list[ComponentOut]
    rules: list[MatchRuleOut]


class MatchesOut(Schema):
    demand_id: int
    valuation: str | None
    valuation_ids: list[int]
    rights_valued: int
    rights_total: int
    held_rights: list[str] = Field(
        ...,
        description="the offered rights held by a pledge or a pending pledge application (a "
        "co-owner's too): left out of matching (专利权质押登记办法 art. 12); rule rights_free",
    )
    credit_score: int | None
    credit_grade: str | None
    reference_rate: str
    matches: list[MatchOut]


class LedgerOut(Schema):
    id: int
    demand_id: int
    enterprise: OrganisationRef
    bank: OrganisationRef
    product_version_id: int | None
    product_name: str | None
    match_score: str | None
    pushed_at: dt.datetime
    due_date: IsoDate
    overdue: bool
    response: str
    reason: str
    answered_at: dt.datetime | None
    reminder_count: int


class InterchangePeriodOut(Schema):
    start: IsoDate
    end: IsoDate


class InterchangeDemandOut(Schema):
    demand_id: int
    enterprise_name: str
    uscc: str | None
    amount: str = Field(..., description="yuan, two decimals")
    currency: Literal["CNY"]
    term_months: int
    purpose: str
    collateral: str
    rights: list[str]
    state: str
    state_label: str
    filed_on: IsoDate
    financed: bool


class DemandInterchangeOut(Schema):
    format: Literal["ipfin-financing-demands"]
    version: int
    generated_at: dt.datetime
    period: InterchangePeriodOut
    items: list[InterchangeDemandOut]
