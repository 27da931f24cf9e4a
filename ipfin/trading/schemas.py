"""Schemas of the trading board's API. Money is a string of yuan with at most two decimals."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from ipfin.common.schemas import IsoDate, OrganisationRef
from ipfin.registry.schemas import RightNumber
from ipfin.risk.schemas import MoneyText


class ListingIn(Schema):
    number: RightNumber = Field(..., description="the right's number")
    kind: Literal["sale", "licence"]
    licence_type: Literal["exclusive", "sole", "ordinary", ""] = Field(
        "", description="for a licence: 独占 exclusive, 排他 sole, 普通 ordinary"
    )
    price_kind: Literal["fixed", "reserve"] = Field(
        ..., description="fixed: the asking price; reserve: no deal below it"
    )
    price: MoneyText
    terms: str = Field("", max_length=1000)


class ListingOut(Schema):
    id: int
    right_number: str
    right_title: str
    right_kind: str
    owner: OrganisationRef
    kind: str
    kind_label: str
    licence_type: str
    price_kind: str
    price: str
    terms: str
    state: Literal["open", "dealt", "withdrawn"]
    listed_on: IsoDate


class InterestIn(Schema):
    offer: MoneyText | None = Field(None, description="the price the party would pay (optional)")
    message: str = Field(..., min_length=1, max_length=1000)


class InterestOut(Schema):
    id: int
    listing_id: int
    right_number: str
    party: OrganisationRef
    offer: str | None
    message: str
    created_at: dt.datetime


class DealIn(Schema):
    interest_id: int = Field(..., ge=1, le=2**63 - 1, description="the party chosen")
    price: MoneyText = Field(..., description="from a reserve, not below it")
    agreed_on: IsoDate | None = Field(None, description="omitted: today; never in the future")


class DealConsentIn(Schema):
    decision: Literal["consent", "refuse"]
    document: str = Field("", max_length=200, description="the consent letter's number: to consent")
    reason: str = Field("", max_length=500, description="required to refuse")


class DealConsentOut(Schema):
    pledgee: OrganisationRef
    registration_no: str
    state: Literal["pending", "given", "refused"]
    document: str
    reason: str


class DealOut(Schema):
    id: int
    listing_id: int
    right_number: str
    seller: OrganisationRef
    counterparty: OrganisationRef
    kind: str
    licence_type: str
    price: str
    agreed_on: IsoDate
    state: Literal["awaiting_consent", "ready", "recorded", "refused", "lapsed"]
    state_label: str
    consents: list[DealConsentOut]
    event_id: int | None = Field(..., description="the register's transfer or licence, recorded")


class TradeStatsRow(Schema):
    year: int
    kind: Literal["sale", "licence"]
    listed: int
    agreed: int
    recorded: int
    value: str = Field(..., description="the recorded deals' prices, yuan")
