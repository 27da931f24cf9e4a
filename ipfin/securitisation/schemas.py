"""Schemas of the securitisation API. Money is a string of yuan with at most two decimals, a rate
per period a decimal string; the bounds are the service's (ipfin.securitisation.services)."""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Schema

from ipfin.securitisation.services import (
    MAX_NAME_LENGTH,
    MAX_PERIODS,
    MAX_RATE_DECIMALS,
    MAX_TRANCHES,
)

MONEY_PATTERN = r"^[0-9]{1,13}(\.[0-9]{1,2})?$"
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
