"""Schemas of the securitisation API. Money is a string of yuan with at most two decimals, a rate
per period a decimal string; the bounds are the service's (ipfin.securitisation.services)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema

from ipfin.common.schemas import IsoDate, OrganisationRef, uscc_field
from ipfin.registry.schemas import RightNumber
from ipfin.risk.schemas import MONEY_PATTERN, MoneyText
from ipfin.securitisation.services import (
    MAX_NAME_LENGTH,
    MAX_PERIODS,
    MAX_POOL_TRANCHES,
    MAX_PROGRAMME_BANKS,
    MAX_RATE_DECIMALS,
    MAX_ROYALTY_PAYMENTS,
    MAX_SCENARIOS,
    MAX_STRESSES,
    MAX_TRANCHES,
)

RATE_PATTERN = rf"^(0(\.[0-9]{{1,{MAX_RATE_DECIMALS}}})?|1(\.0{{1,{MAX_RATE_DECIMALS}}})?)$"


class WaterfallTrancheIn(Schema):
    name: str = Field(..., min_length=1, max_length=MAX_NAME_LENGTH, description="distinct")
    balance: str = Field(..., pattern=MONEY_PATTERN, description='yuan, e.g. "80000000.00"')
    rate: str = Field(
        ..., pattern=RATE_PATTERN, description='per period, from 0 to 1, e.g. "0.0075"'
    )


class WaterfallPreviewIn(Schema):
    collections: list[Annotated[str, Field(pattern=MONEY_PATTERN)]] = Field(
        ...,
        min_length=1,
        max_length=MAX_PERIODS,
        description="the pool's collection of each period, in order (yuan)",
    )
    senior_fees: str = Field(
        ..., pattern=MONEY_PATTERN, description="the senior fees due each period (yuan)"
    )
    tranches: list[WaterfallTrancheIn] = Field(
        ..., min_length=1, max_length=MAX_TRANCHES, description="in order of priority"
    )


class WaterfallPeriodOut(Schema):
    n: int = Field(..., description="the period, from 1")
    collection: str
    fees: str = Field(..., description="what was paid of the fees due (this period's and unpaid)")
    interest: dict[str, str] = Field(..., description="interest paid, by tranche")
    principal: dict[str, str] = Field(..., description="principal paid, by tranche")
    shortfall: dict[str, str] = Field(
        ..., description="interest still owed after the period, by tranche (due next period)"
    )
    residual: str = Field(..., description="to the equity holder")


class WaterfallTrancheEndOut(Schema):
    balance: str
    interest_shortfall: str


class WaterfallPreviewOut(Schema):
    periods: list[WaterfallPeriodOut]
    final: dict[str, WaterfallTrancheEndOut]
    fees_unpaid: str = Field(..., description="senior fees still unpaid after the last period")


# --- the pool preview ----------------------------------------------------------------------------

SHARE_PATTERN = r"^(0(\.[0-9]{1,8})?|1(\.0{1,8})?)$"
# A recovery rate and its haircut: the simulation counts them in whole basis points (0.0001), so
# a finer share is refused, not cut (a haircut of 0.00009 ran as none).
BASIS_POINTS_PATTERN = r"^(0(\.[0-9]{1,4})?|1(\.0{1,4})?)$"


class PoolRulesIn(Schema):
    performing_only: bool = Field(True, description="only loans classified 正常, no day past due")
    min_months_left: int = Field(1, ge=0, le=600, description="months to maturity, at least")
    max_obligor_share: str = Field(
        "0.10", pattern=SHARE_PATTERN, description="of the pool's balance, per borrower"
    )
    max_industry_share: str = Field(
        "0.40", pattern=SHARE_PATTERN, description="of the pool's balance, per industry"
    )


class PoolTrancheIn(Schema):
    name: str = Field(..., min_length=1, max_length=MAX_NAME_LENGTH)
    share: str = Field(
        ..., pattern=SHARE_PATTERN, description="of the pool's balance; the shares add up to 1"
    )
    rate: str = Field(..., pattern=SHARE_PATTERN, description="interest rate per month")


class PoolStressIn(Schema):
    name: str = Field(..., min_length=1, max_length=MAX_NAME_LENGTH)
    pd_multiplier: str = Field(
        ...,
        pattern=r"^[0-9]{1,3}(\.[0-9]{1,4})?$",
        description="default probabilities × this (at most 999.9999)",
    )
    recovery_haircut: str = Field(
        "0",
        pattern=BASIS_POINTS_PATTERN,
        description="recovery rate less this (never below 0), in basis points: at most 4 decimals",
    )


class PoolPreviewIn(Schema):
    assets: Literal["loans", "royalties"] = Field(
        "loans", description="the bank's loans, or its licence-royalty receivables (/abs/royalties)"
    )
    programme_id: int | None = Field(
        None,
        ge=1,
        le=2**63 - 1,
        description="a programme the bank arranges: the loans of every bank that accepted too",
    )
    rules: PoolRulesIn = Field(default_factory=PoolRulesIn)
    tranches: list[PoolTrancheIn] = Field(
        ..., min_length=1, max_length=MAX_POOL_TRANCHES, description="in order of priority"
    )
    senior_fee_rate: str = Field(
        "0.0002", pattern=SHARE_PATTERN, description="senior fees per month, of the pool's balance"
    )
    monthly_pd: str = Field(
        "0.002", pattern=SHARE_PATTERN, description="each loan's probability of default a month"
    )
    recovery_rate: str = Field(
        "0.4", pattern=BASIS_POINTS_PATTERN, description="of the balance, at most 4 decimals"
    )
    scenarios: int = Field(2_000, ge=100, le=MAX_SCENARIOS)
    seed: int = Field(1, ge=0, le=2**31 - 1)
    stresses: list[PoolStressIn] = Field(default_factory=list, max_length=MAX_STRESSES)


class PoolExcludedOut(Schema):
    loan_id: int
    reason: str = Field(
        ..., description="not_performing | too_short | obligor_limit | industry_limit"
    )


class PoolCashFlowOut(Schema):
    month: int = Field(..., description="1 = the month after the cut-off day")
    principal: str
    interest: str


class PoolStressResultOut(Schema):
    stress: str
    expected_loss: float = Field(..., description="mean loss ÷ the tranche's balance")
    loss_probability: float = Field(..., description="share of the scenarios with any loss")


class PoolTrancheOut(Schema):
    name: str
    balance: str
    rate: str
    results: list[PoolStressResultOut]


class PoolPreviewOut(Schema):
    cutoff: dt.date
    assets: Literal["loans", "royalties"]
    loans: list[int] = Field(
        ..., description="the assets in the pool: loan ids, or royalty receivable ids"
    )
    excluded: list[PoolExcludedOut]
    balance: str
    senior_fees: str = Field(..., description="per month")
    cash_flows: list[PoolCashFlowOut]
    tranches: list[PoolTrancheOut]
    mean_defaults: dict[str, float] = Field(..., description="by stress: loans defaulting")


class RoyaltyPaymentIn(Schema):
    due_on: IsoDate = Field(..., description="after today; each date once")
    amount: MoneyText


class RoyaltyIn(Schema):
    number: RightNumber = Field(..., description="the right licensed")
    licensee_uscc: str = uscc_field(
        description="the licensee (the obligor): the register records a licence of the right to it"
    )
    payments: list[RoyaltyPaymentIn] = Field(..., min_length=1, max_length=MAX_ROYALTY_PAYMENTS)


class RoyaltyPaymentOut(Schema):
    due_on: dt.date
    amount: str


class RoyaltyOut(Schema):
    id: int
    right_number: str
    licence_event_id: int = Field(..., description="the licence recorded in the register")
    licensor: OrganisationRef
    licensee: OrganisationRef
    payments: list[RoyaltyPaymentOut]
    total: str


class ProgrammeIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    bank_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(
        ..., min_length=1, max_length=MAX_PROGRAMME_BANKS, description="the banks invited"
    )


class ProgrammeAnswerIn(Schema):
    decision: Literal["accept", "decline"]


class ProgrammeMemberOut(Schema):
    bank: OrganisationRef
    state: Literal["invited", "accepted", "declined"]


class ProgrammeOut(Schema):
    id: int
    name: str
    arranger: OrganisationRef
    members: list[ProgrammeMemberOut]
    created_at: dt.datetime
