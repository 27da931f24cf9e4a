"""Input and output schemas of the loans API. Shape and type only: the rules (and every 422 that
names a field) live in the services.

Money is a string with exactly two decimals (yuan); on input an amount may also be a JSON number.
Rates are fractions (0.0435 = 4.35 %), as strings or numbers. Dates are ISO 8601.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import WithJsonSchema

from ipfin.common.schemas import IsoDate, OrganisationRef, uscc_field
from ipfin.loans.domain.schedules import MAX_MONTHS
from ipfin.pledges.schemas import MoneyIn
from ipfin.registry.schemas import RightNumber

# --- input ---------------------------------------------------------------------------------------


# The term's bound as the document shows it; the schedule's engine refuses the same (MAX_MONTHS).
# A JSON schema only: pydantic's `le=` on an `Any` field is a TypeError (a 500) for "twelve".
LooseMonths = Annotated[
    Any, WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_MONTHS})
]


class SchedulePreviewIn(Schema):
    """Every field is parsed by the service, so that a bad value is a 422 naming its field."""

    principal: Any = Field(None, description='yuan, e.g. "1000000.00"')
    annual_rate: Any = Field(None, description='a fraction, e.g. "0.0435" for 4.35 %')
    months: LooseMonths = Field(None, description=f"1–{MAX_MONTHS} (the number of instalments)")
    method: Any = Field(None, description="annuity | equal_principal | interest_only")
    start_date: Any = Field(None, description="YYYY-MM-DD: the disbursement date")
    day_count: Any = Field("30/360", description="30/360 | actual/360 | actual/365")


class LoanIn(Schema):
    enterprise_uscc: str = uscc_field(description="借款企业统一社会信用代码")
    product_version_id: int | None = Field(None, description="the product version applied for")
    amount: MoneyIn = Field(..., description="申请金额 (yuan)")
    months: int = Field(..., description="申请期限（月）")
    method: str = Field(..., max_length=20, description="annuity | equal_principal | interest_only")
    day_count: str = Field("30/360", max_length=12)
    demand_id: int | None = Field(None, description="the matched financing demand, if any")
    rights: list[RightNumber] = Field(default_factory=list, max_length=200)
    bank_id: int | None = Field(None, description="the bank, for a direct application")
    purpose: str = Field("", max_length=2000)


class ApproveIn(Schema):
    principal: MoneyIn = Field(..., description="授信额度 (yuan)")
    months: int
    pledge_id: int = Field(..., description="a registered pledge of this bank over the borrower")
    method: str | None = Field(None, max_length=20)
    day_count: str | None = Field(None, max_length=12)
    annual_rate: Any = Field(
        None, description="a fraction; omitted: the product's LPR on the day + its spread"
    )
    valuation_id: int = Field(
        ...,
        description="the valuation the approval rests on, always named (none is picked): the "
        "bank's own issued valuation of the pledged rights, or a valuation agency's report for "
        "the bank that it rechecked and the recheck did not flag",
    )
    penalty_surcharge: Any = Field(None, description="罚息加收比例, default 0.5 (= +50 %)")


class LoanDeclineIn(Schema):
    reason: str = Field(..., max_length=2000)


class WriteOffIn(Schema):
    reason: str = Field(..., max_length=2000, description="核销理由")


class ClassifyIn(Schema):
    category: str = Field(
        ..., max_length=20, description="normal | special_mention | substandard | doubtful | loss"
    )
    reason: str = Field(..., max_length=2000, description="认定理由")


class DisburseIn(Schema):
    disbursed_on: IsoDate | None = None


class RepaymentIn(Schema):
    amount: MoneyIn
    paid_on: IsoDate | None = None


class ClaimIn(Schema):
    policy_id: int
    year: int


class ReviewIn(Schema):
    decision: Literal["approve", "reject"]
    reason: str = Field("", max_length=2000)


class AllocateIn(Schema):
    policy_id: int
    year: int


# --- output --------------------------------------------------------------------------------------


class InstallmentRowOut(Schema):
    n: int
    due_date: IsoDate
    principal: str
    interest: str
    payment: str
    balance: str


class SchedulePreviewOut(Schema):
    installments: list[InstallmentRowOut]
    total_interest: str
    total_payment: str


class LoanSummaryOut(Schema):
    id: int
    state: str
    state_label: str
    bank: OrganisationRef
    enterprise: OrganisationRef
    requested_amount: str
    principal: str | None
    annual_rate: str | None
    months: int | None
    method: str
    day_count: str
    disbursed_on: IsoDate | None
    maturity_date: IsoDate | None
    outstanding_principal: str
    days_past_due: int
    classification: str
    classification_label: str


class InstallmentOut(Schema):
    n: int
    due_date: IsoDate
    payable_on: IsoDate = Field(
        ...,
        description=(
            "the last day the instalment may be paid without being late: the due date, or the "
            "first working day after it when it falls on a weekend or statutory holiday (民法典 "
            "art. 203); days past due and penalty interest count from the day after"
        ),
    )
    principal: str
    interest: str
    payment: str
    principal_paid: str
    interest_paid: str
    penalty: str
    penalty_paid: str
    settled_on: IsoDate | None


class RepaymentOut(Schema):
    id: int
    paid_on: IsoDate
    amount: str
    penalty: str
    interest: str
    principal: str
    prepaid_principal: str
    full_repayment: bool
    lines: list[dict[str, Any]]


class PositionOut(Schema):
    on: IsoDate
    outstanding_principal: str
    amount_due: str
    amount_to_settle: str


class PledgeRef(Schema):
    id: int
    registration_no: str | None
    state: str


class LoanSecurityOut(Schema):
    kind: Literal["guarantee"]
    ref: str = Field(..., description='the record: "guarantee:<id>"')
    label: str = Field(..., description="who gives it, in words")
    share: str = Field(..., description="the share of the loss it covers")
    cap: str = Field(..., description="at most this much (yuan)")


class LoanOut(LoanSummaryOut):
    product_version_id: int | None
    demand_id: int | None
    purpose: str
    requested_months: int
    lpr_rate: str | None
    rate_spread_bp: int | None
    penalty_surcharge: str
    pledge: PledgeRef | None
    valuation_id: int | None
    valuation_value: str | None
    pledge_rate: str | None
    securities: list[LoanSecurityOut] = Field(
        ..., description="the credit enhancements the approval rests on, as they stood then"
    )
    approved_on: IsoDate | None
    closed_on: IsoDate | None
    decline_reason: str
    assessed_classification: str = Field(
        ..., description="the bank's own category ('' if none); classification is the worse"
    )
    assessed_reason: str
    assessed_on: IsoDate | None
    written_off_on: IsoDate | None
    write_off_reason: str
    security_waived_on: IsoDate | None = Field(
        ...,
        description="放弃担保日: the pledgee released the pledge while the loan was owed, waiving "
        "the security (民法典 arts. 393(3), 435); the loan is unsecured from that day",
    )
    security_waiver_reason: str = Field(..., description="why the security was waived ('' if not)")
    rights: list[str]
    installments: list[InstallmentOut]
    repayments: list[RepaymentOut]
    position: PositionOut | None
    release_pledge: bool = Field(
        ..., description="closed, and the pledge it relied on waits for the pledgee's release"
    )
    allowed_actions: list[str]


class SubsidyFeeLineOut(Schema):
    kind: Literal["guarantee_fee", "premium", "evaluation_fee"]
    ref: str = Field(
        ..., description='the record: "guarantee:<id>", "policy:<id>" or "valuation:<id>"'
    )
    amount: str
    on: dt.date = Field(..., description="the day it was charged")


class ClaimOut(Schema):
    id: int
    policy_id: int
    policy_title: str
    enterprise: OrganisationRef
    year: int
    state: str
    state_label: str
    basis: Literal["interest", "fees"] = Field(
        ..., description="what the subsidy is a share of: interest (贴息) or fees (贴费)"
    )
    interest_paid: str = Field(..., description="贴息: interest paid in the year (0.00 for 贴费)")
    fees_paid: str = Field(..., description="贴费: guarantee fees and premiums paid in the year")
    fees: list[SubsidyFeeLineOut] = Field(..., description="贴费: each fee paid")
    loan_ids: list[int]
    eligible: str | None
    capped: str | None
    awarded: str | None
    review_reason: str
    submitted_at: dt.datetime


class RunOut(Schema):
    id: int
    policy_id: int
    year: int
    budget: str
    cap_per_enterprise: str | None
    share: str
    total_awarded: str
    scaled: bool
    scale_factor: str
    proposed_by: str = Field(description="the office user who proposed the allocation (maker)")
    confirmed_by: str | None = Field(
        description="who confirmed it (checker); null: proposed, the claims not yet allocated"
    )
    confirmed_at: dt.datetime | None
    claims: list[ClaimOut]
