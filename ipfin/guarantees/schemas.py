"""Schemas of the guarantees API. Money is a string of yuan with at most two decimals; a share or
a rate a decimal string from 0 to 1 with at most ten decimals (RATIO_PATTERN)."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Schema

from ipfin.common.schemas import IsoDate, OrganisationRef
from ipfin.guarantees.domain import MAX_ENFORCEMENT_REF, MAX_PERIOD_MONTHS
from ipfin.risk.schemas import MoneyText, RatioText


class GuaranteeIn(Schema):
    loan_id: int = Field(..., ge=1, le=2**63 - 1, description="one of the bank's own loans")
    guarantor_id: int = Field(..., ge=1, le=2**63 - 1, description="a guarantor (担保机构)")
    share: RatioText = Field(..., description='share of the loss covered, above 0, e.g. "0.6"')
    cap: MoneyText = Field(..., description="at most this much (yuan), above 0")
    fee_rate: RatioText = Field(..., description="guarantee fee a year, of the principal")
    period_months: int | None = Field(
        None,
        ge=1,
        le=MAX_PERIOD_MONTHS,
        description="the guarantee period (保证期间, 民法典 art. 692) in months after the loan "
        "falls due: the bank calls the guarantee within it or the guarantor is discharged (art. "
        "693); omitted: six, the statute's when none is agreed",
    )
    liability: Literal["joint", "general"] = Field(
        "joint",
        description="保证方式 as the contract agrees: joint (连带责任保证, 民法典 art. 688; the "
        "default) or general (一般保证, art. 687: called only after the borrower was sued and "
        "enforcement left the debt unpaid)",
    )


class GuaranteeCallIn(Schema):
    sued_on: IsoDate | None = Field(
        None,
        description="general guarantee only (required; 422 not_general_guarantee for a joint "
        "one): the day the bank sued the borrower or applied for arbitration, not after today, "
        "within the guarantee period (民法典 art. 693 ¶1)",
    )
    enforcement_ref: str | None = Field(
        None,
        max_length=MAX_ENFORCEMENT_REF,
        description="general guarantee only (required): the ruling that enforcement on the "
        "borrower's property left the debt unpaid (e.g. 终结本次执行程序裁定书's number), or the "
        "民法典 art. 687 ¶2 ground that dispenses with it",
    )


class GuaranteeDecisionIn(Schema):
    decision: Literal["issue", "decline"]
    reason: str = Field("", max_length=500, description="required to decline")


class GuaranteeRecoveryIn(Schema):
    proceeds: MoneyText | None = Field(
        None,
        description="principal recovered since the call (yuan), as the bank reads it: checked "
        "against the loan's own record (422 proceeds_mismatch); omitted: the record's figure",
    )


class GuaranteeRefundReceivedIn(Schema):
    amount: MoneyText = Field(
        ...,
        description="yuan of the bank's refund received (more than is still owed back: 422 "
        "refund_exceeds_due, with outstanding)",
    )
    received_on: IsoDate | None = Field(
        None,
        description="the day it came in (default today): not after today, not before the "
        "guarantor paid",
    )


class GuaranteeOut(Schema):
    id: int
    loan_id: int
    bank: OrganisationRef
    guarantor: OrganisationRef
    state: str
    state_label: str
    share: str
    cap: str
    fee_rate: str
    period_months: int = Field(..., description="the guarantee period, months after the due day")
    liability: Literal["joint", "general"] = Field(..., description="保证方式")
    liability_label: str
    sued_on: IsoDate | None = Field(..., description="general guarantee: the borrower sued on")
    enforcement_ref: str = Field(..., description="general guarantee: the enforcement's outcome")
    period_end: IsoDate | None = Field(
        ..., description="the last day it may be called (None before the loan is disbursed)"
    )
    fee: str | None = Field(
        ..., description="charged on disbursement: principal × rate × months / 12"
    )
    fee_charged_on: IsoDate | None
    decline_reason: str
    loss: str | None = Field(..., description="the principal outstanding when called")
    due: str | None = Field(..., description="share × loss, within the cap")
    paid: str | None
    paid_on: IsoDate | None
    proceeds: str | None
    refund: str | None = Field(..., description="returned to the guarantor after the disposal")
    refund_received: str = Field(
        ..., description="of `refund`, what the guarantor recorded as received so far"
    )
    refund_received_on: IsoDate | None = Field(
        ..., description="the day of the latest receipt of the refund"
    )
