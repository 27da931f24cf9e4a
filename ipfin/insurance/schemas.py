"""Schemas of the IP insurance API. Money is a string of yuan with at most two decimals; a share or
a rate a decimal string from 0 to 1 with at most ten decimals (RATIO_PATTERN)."""

from __future__ import annotations

import datetime
from typing import Literal

from ninja import Field, Schema

from ipfin.common.schemas import IsoDate, OrganisationRef
from ipfin.insurance.domain import ProductKind
from ipfin.insurance.services import MAX_MEMBERS, MAX_RIGHTS
from ipfin.registry.schemas import RightNumber
from ipfin.risk.schemas import MoneyText, RatioText

Kind = Literal[
    "pledge_guarantee",
    "enforcement",
    "infringement_liability",
    "infringed_loss",
    "application_cost",
    "transformation_cost",
    "overseas_infringement",
]
assert set(Kind.__args__) == {k.value for k in ProductKind}  # type: ignore[attr-defined]


class InsuranceCoInsurerIn(Schema):
    insurer_id: int = Field(..., ge=1, le=2**63 - 1)
    share: RatioText


class InsurancePolicyIn(Schema):
    kind: Kind
    policyholder_id: int | None = Field(
        None,
        ge=1,
        le=2**63 - 1,
        description="an enterprise or a park (一园一保); pledge_guarantee: the loan's borrower",
    )
    beneficiary_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="pledge_guarantee: the loan's bank (the insured)"
    )
    loan_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="pledge_guarantee: the disbursed loan insured"
    )
    loss_share: RatioText | None = Field(
        None, description="pledge_guarantee: the share of the bank's loss paid"
    )
    rights: list[RightNumber] = Field(default_factory=list, max_length=MAX_RIGHTS)
    sum_insured: MoneyText
    rate: RatioText = Field(..., description="premium = rate × sum insured, half-up to the fen")
    deductible: MoneyText = "0"
    starts_on: IsoDate
    ends_on: IsoDate
    co_insurers: list[InsuranceCoInsurerIn] = Field(
        default_factory=list,
        max_length=MAX_MEMBERS,
        description="the other insurers of the pool; the lead keeps the rest of the shares",
    )


class InsurancePolicyMemberOut(Schema):
    insurer: OrganisationRef
    share: str
    premium_part: str


class InsurancePolicyOut(Schema):
    id: int
    kind: str
    kind_label: str
    subject: str
    insurer: OrganisationRef
    policyholder: OrganisationRef
    beneficiary: OrganisationRef | None
    loan_id: int | None
    rights: list[str]
    sum_insured: str
    rate: str
    premium: str
    deductible: str
    loss_share: str | None
    starts_on: IsoDate
    ends_on: IsoDate
    paid_out: str
    refund_due: str | None = Field(
        ...,
        description="what the insured bank returns to the insurers, once a compensation claim's "
        "settlement fixed their part below what the policy had paid; null until then",
    )
    refund_due_on: IsoDate | None = Field(
        ...,
        description="the day of the settlement that fixed `refund_due`; the refund is not "
        "recorded as received before it; null until then",
    )
    refund_received_on: IsoDate | None = Field(
        ...,
        description="the day the lead insurer recorded the bank's refund (`refund_due`) as "
        "received; null until then",
    )
    accepted_at: datetime.datetime | None = Field(
        ...,
        description="pledge_guarantee: when the insured bank accepted it (null: not yet, it "
        "covers nothing)",
    )
    members: list[InsurancePolicyMemberOut]


class InsuranceClaimIn(Schema):
    amount: MoneyText
    description: str = Field(..., min_length=1, max_length=1000)
    loss_on: IsoDate | None = Field(
        None,
        description="the day of the loss (出险日), within the policy's term and not after today; "
        "today when not given. The notice itself may come after the term.",
    )


class InsuranceAssessmentIn(Schema):
    decision: Literal["pay", "reject"]
    loss: MoneyText | None = Field(
        None, description="pay: the loss assessed (pledge_guarantee: the bank's loss)"
    )
    reason: str = Field("", max_length=500, description="reject: why")


class InsuranceClaimOut(Schema):
    id: int
    policy_id: int
    claimant: OrganisationRef
    state: str
    state_label: str
    amount_claimed: str
    description: str
    loss_on: IsoDate | None = Field(..., description="the day of the loss (出险日)")
    assessed_loss: str | None
    payout: str | None
    parts: dict[str, str] = Field(..., description="the payout by insurer id (co-insurance)")
    reject_reason: str
    paid_on: IsoDate | None


class InsuranceRefundReceivedIn(Schema):
    received_on: IsoDate | None = Field(
        None,
        description="the day the bank's refund came in (default today): not after today, not "
        "before the policy began",
    )
