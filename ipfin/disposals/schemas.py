"""Input and output schemas of the disposal API. Money is a string of yuan with at most two
decimals in (the risk API's `MoneyText`: never a JSON number) and exactly two out; a date is
YYYY-MM-DD (`IsoDate`); an instant is ISO 8601 with its UTC offset (`IsoDateTime`: a number, or
a time without an offset, is refused rather than guessed).

What the schema cannot say (the reserve against the valuation, the close against the listing
day, the bid against the board) the services refuse with their own codes."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AwareDatetime, BeforeValidator

from ipfin.common.schemas import IsoDate, OrganisationRef
from ipfin.disposals.domain import DisposalMethod, DisposalState
from ipfin.disposals.models import WITHDRAW_REASON_MAX
from ipfin.risk.schemas import MoneyText

_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})"
)


def _iso_datetime_only(value: Any) -> Any:
    """An instant is written as ISO 8601 text with its offset; pydantic would also read a number
    as seconds since 1970: refused here, before it can."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATETIME.fullmatch(value.strip()):
        return value.strip()
    raise ValueError("an instant is written YYYY-MM-DDTHH:MM[:SS]+HH:MM (or Z)")


IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime_only)]


class DisposalIn(Schema):
    pledge_id: int = Field(..., description="the bank's registered pledge of a defaulted loan")
    method: DisposalMethod = Field(
        ...,
        description="auction 拍卖, listing 挂牌转让, reverse_licence 反向许可, equity 质权转股权",
    )
    valuation_id: int = Field(
        ...,
        description="an issued valuation of exactly the pledge's rights the bank may rely on, "
        "based at most 12 months before listed_on",
    )
    reserve_price: MoneyText = Field(..., description="起拍价: at least 70 % of the valuation")
    increment: MoneyText = Field(..., description="加价幅度 (yuan, above 0)")
    listed_on: IsoDate = Field(..., description="挂牌日: today or later")
    closes_at: IsoDateTime = Field(
        ..., description="竞价截止: at least 24 hours after the listing day begins"
    )


class DisposalBidIn(Schema):
    amount: MoneyText = Field(
        ..., description="at least the reserve, then the leading bid plus the increment"
    )


class DisposalBackstopIn(Schema):
    price: MoneyText = Field(..., description="收储价格 (yuan, above 0)")


class DisposalCompleteIn(Schema):
    disposal_costs: MoneyText | None = Field(
        None, description="处置费用 paid out of the price first (yuan); omitted: 0.00"
    )


class DisposalWithdrawIn(Schema):
    # No min_length: an empty (or blank) reason is the service's 422 `reason_required`.
    reason: str = Field(
        ...,
        max_length=WITHDRAW_REASON_MAX,
        description="撤回理由 (e.g. the debt repaid, the pledge released, a new reserve)",
    )


class DisposalRightOut(Schema):
    number: str
    kind: str
    title: str


class DisposalBidOut(Schema):
    id: int
    bidder_no: int = Field(..., description="the bidder's number in this listing (竞买号)")
    amount: str
    placed_at: dt.datetime
    mine: bool = Field(..., description="the caller's organisation placed it")


class DisposalPlacedOut(Schema):
    """An accepted bid, with the board as it now stands."""

    id: int
    disposal_id: int
    bidder_no: int
    amount: str
    placed_at: dt.datetime
    closes_at: dt.datetime = Field(..., description="the close, moved by a bid in its last 5 min")
    minimum_bid: str = Field(..., description="the lowest bid the board now accepts")


class DisposalSettlementOut(Schema):
    """How the price was applied (the pledgee, the pledgor, the office, supervisors only)."""

    disposal_costs: str
    owed: str = Field(..., description="what repaid the loan in full on the day of the sale")
    to_loan: str
    to_pledgor: str = Field(..., description="民法典 art. 438: what exceeds the debt")
    shortfall: str = Field(..., description="still owed by the borrower")
    loan_id: int
    repayment_id: int | None = Field(..., description="the loan's repayment (none if written off)")
    risk_claim_id: int | None = Field(..., description="the loan's compensation claim, if any")


class DisposalOut(Schema):
    id: int
    state: DisposalState
    state_label: str
    method: DisposalMethod
    method_label: str
    pledge_registration_no: str
    rights: list[DisposalRightOut]
    seller: OrganisationRef = Field(..., description="the pledgee bank")
    pledgor: OrganisationRef
    valuation_value: str
    reserve_price: str
    increment: str
    listed_on: dt.date
    closes_at: dt.datetime
    bidding_open: bool
    leading_amount: str | None
    minimum_bid: str | None = Field(..., description="null once the board takes no bid")
    bid_count: int
    backstop_from: dt.date = Field(..., description="收储 possible from this day with no bid")
    buyer: OrganisationRef | None = Field(..., description="once backstopped or completed")
    price: str | None
    completed_on: dt.date | None
    withdrawn_at: dt.datetime | None = Field(..., description="once withdrawn (撤回挂牌)")
    withdraw_reason: str | None = Field(
        ..., description="once withdrawn; only for those who read the settlement"
    )
    bids: list[DisposalBidOut] | None = Field(..., description="one listing's read only")
    settlement: DisposalSettlementOut | None


class DisposalPageOut(Schema):
    items: list[DisposalOut]
    count: int
    limit: int
    offset: int


class DisposalFilter(Schema):
    state: DisposalState | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)
