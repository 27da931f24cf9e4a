"""REST adapters of the disposals (质物处置, issue 12): parse → one selector / service → serialise.

- POST /disposals: the pledgee bank lists its pledge of a defaulted loan on the trading board.
- GET /disposals and GET /disposals/{disposal_id}: the board is public (anyone reads a listing,
  its reserve and its bids by bidder number; the buyer and the price once sold); how the price
  was applied (`settlement`) only for the pledgee, the pledgor, the IP office and a regulator
  under a supervision case.
- POST /disposals/{disposal_id}/bids: a bid by a logged-in enterprise, bank, insurer or
  guarantor that is not a party to the loan.
- POST /disposals/{disposal_id}/backstop: a trading centre buys a listing no one bid on, from the
  181st day after the listing day (earlier: 409 `backstop_too_early`), once bidding has closed
  (409 `bidding_open`), at no less than 80 % of the reserve (422 `price_too_low`).
- POST /disposals/{disposal_id}/complete: the pledgee bank completes the sale after the close
  (or once backstopped): the register's transfer, the pledge's release, the price applied to the
  loan; another bank's listing is a 404.
- POST /disposals/{disposal_id}/withdraw: the pledgee bank takes its listing down before
  completion (撤回挂牌), with its reason: listed (bids or none) or backstopped (the backstop
  declined); another bank's listing is a 404, a completed or withdrawn one a 409
  `illegal_transition`, no reason a 422 `reason_required`. A withdrawn listing stays on the board
  in its state (as a completed one); the pledge may be listed again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from ipfin.accounts.auth import ApiAuth
from ipfin.accounts.models import Organisation
from ipfin.common.money import money_str, money_str_or_none
from ipfin.common.workdays import WorkingCalendar
from ipfin.disposals import selectors, services
from ipfin.disposals.domain import (
    DisposalMethod,
    DisposalState,
    backstop_from,
    bid_refusal,
    minimum_bid,
)
from ipfin.disposals.models import Disposal
from ipfin.disposals.schemas import (
    DisposalBackstopIn,
    DisposalBidIn,
    DisposalCompleteIn,
    DisposalFilter,
    DisposalIn,
    DisposalOut,
    DisposalPageOut,
    DisposalPlacedOut,
    DisposalWithdrawIn,
)
from ipfin.holidays.selectors import working_calendar

router = Router()


def _org(org: Organisation | None) -> dict[str, Any] | None:
    return None if org is None else {"id": org.pk, "name": org.name}


def _settlement(disposal: Disposal) -> dict[str, Any]:
    return {
        "disposal_costs": money_str(Decimal(disposal.disposal_costs or 0)),
        "owed": money_str(Decimal(disposal.owed or 0)),
        "to_loan": money_str(Decimal(disposal.to_loan or 0)),
        "to_pledgor": money_str(Decimal(disposal.to_pledgor or 0)),
        "shortfall": money_str(Decimal(disposal.shortfall or 0)),
        "loan_id": disposal.loan_id,
        "repayment_id": disposal.repayment_id,
        "risk_claim_id": disposal.claim_id,
    }


def _disposal(
    request: HttpRequest,
    disposal: Disposal,
    *,
    one: bool,
    calendar: WorkingCalendar | None = None,
) -> dict[str, Any]:
    board = selectors.board_of(disposal)
    now = timezone.now()
    listed = disposal.state == DisposalState.LISTED
    open_now = listed and bid_refusal(board, minimum_bid(board), now) is None
    org_id = getattr(request.user, "organisation_id", None)
    sold = disposal.state in (DisposalState.BACKSTOPPED, DisposalState.COMPLETED)
    completed = disposal.state == DisposalState.COMPLETED
    withdrawn = disposal.state == DisposalState.WITHDRAWN
    # Both read what only the lending relationship's parties may (selectors.settlement_visible).
    parties = (completed or withdrawn) and selectors.settlement_visible(
        actor=request.user, disposal=disposal
    )
    bids = None
    if one:
        bids = [
            {
                "id": bid.pk,
                "bidder_no": bid.bidder_no,
                "amount": money_str(bid.amount),
                "placed_at": bid.placed_at,
                "mine": org_id is not None and bid.bidder_id == org_id,
            }
            for bid in disposal.bids.all()
        ]
    return {
        "id": disposal.pk,
        "state": disposal.state,
        "state_label": str(disposal.get_state_display()),
        "method": disposal.method,
        "method_label": DisposalMethod(disposal.method).label_zh,
        "pledge_registration_no": disposal.pledge.registration_no,
        "rights": [
            {"number": right.number, "kind": right.kind, "title": right.title}
            for right in disposal.rights.all()
        ],
        "seller": _org(disposal.bank),
        "pledgor": _org(disposal.pledgor),
        "valuation_value": money_str(disposal.valuation_value),
        "reserve_price": money_str(disposal.reserve_price),
        "increment": money_str(disposal.increment),
        "listed_on": disposal.listed_on,
        "closes_at": disposal.closes_at,
        "bidding_open": open_now,
        "leading_amount": money_str_or_none(disposal.leading_amount),
        "minimum_bid": money_str(minimum_bid(board)) if open_now else None,
        "bid_count": disposal.bid_count,  # type: ignore[attr-defined]
        "backstop_from": backstop_from(disposal.listed_on, calendar or working_calendar()),
        "buyer": _org(disposal.buyer) if sold else None,
        "price": money_str_or_none(disposal.price) if sold else None,
        "completed_on": disposal.completed_on,
        "withdrawn_at": disposal.withdrawn_at,
        "withdraw_reason": disposal.withdraw_reason if withdrawn and parties else None,
        "bids": bids,
        "settlement": _settlement(disposal) if completed and parties else None,
    }


def _fresh(request: HttpRequest, disposal_id: int) -> dict[str, Any]:
    disposal = selectors.disposal_get(actor=request.user, disposal_id=disposal_id)
    return _disposal(request, disposal, one=True)


@router.post("/disposals", response={201: DisposalOut})
def disposal_create(request: HttpRequest, payload: DisposalIn) -> Status[dict[str, Any]]:
    """The pledgee bank lists its registered pledge of a defaulted loan (disbursed and classified
    次级/可疑/损失, or written off; else 409 `loan_not_defaulted`; a pledge securing another loan
    not closed: 409 `pledge_secures_other_loans`; one live listing per pledge: 409
    `disposal_exists`). The reserve rests on `valuation_id`: a valuation the bank may rely on of
    exactly the pledge's rights, based at most 12 months before `listed_on` (422
    `valuation_stale`), the reserve at least 70 % of it (422 `reserve_below_floor`, with the
    floor). `listed_on` today or later; `closes_at` at least 24 hours after it begins."""
    disposal = services.disposal_create(actor=request.user, **payload.model_dump())
    return Status(201, _fresh(request, disposal.pk))


@router.get("/disposals", response=DisposalPageOut, auth=ApiAuth(optional=True))
def disposal_list(request: HttpRequest, filters: Query[DisposalFilter]) -> dict[str, Any]:
    """The trading board, the latest listed first (public: 挂牌公告)."""
    rows = selectors.disposal_list(actor=request.user, state=filters.state)
    page = list(rows[filters.offset : filters.offset + filters.limit])
    calendar = working_calendar()  # one for the page: the office's days read once, not a row
    return {
        "items": [_disposal(request, disposal, one=False, calendar=calendar) for disposal in page],
        "count": rows.count(),
        "limit": filters.limit,
        "offset": filters.offset,
    }


@router.get("/disposals/{int:disposal_id}", response=DisposalOut, auth=ApiAuth(optional=True))
def disposal_get(request: HttpRequest, disposal_id: int) -> dict[str, Any]:
    """One listing (public) with its bids, the latest first, each by its bidder's number."""
    return _fresh(request, disposal_id)


@router.post(
    "/disposals/{int:disposal_id}/bids",
    response={201: DisposalPlacedOut},
)
def bid_place(
    request: HttpRequest, disposal_id: int, payload: DisposalBidIn
) -> Status[dict[str, Any]]:
    """A bid (enterprises, banks, insurers, guarantors; the pledgee, the pledgor and the
    borrower: 403 `party_may_not_bid`): the first at least the reserve, then at least the leading
    bid plus the increment (409 `bid_too_low` with `minimum`), from the listing day (409
    `bidding_not_open`) and before the close (409 `bidding_closed`). A bid in the last 5 minutes
    moves the close to 5 minutes after it. Concurrent bids are taken one at a time: a bid another
    one overtook is a 409 `bid_too_low`. The pledge released or the loan no longer defaulted
    (repaid and closed): 409 `pledge_not_registered` / `loan_not_defaulted`; a backstopped,
    completed or withdrawn listing: 409 `illegal_transition`."""
    disposal = selectors.disposal_get(actor=request.user, disposal_id=disposal_id)
    bid = services.bid_place(actor=request.user, disposal=disposal, amount=payload.amount)
    after = Disposal.objects.get(pk=disposal_id)
    return Status(
        201,
        {
            "id": bid.pk,
            "disposal_id": disposal_id,
            "bidder_no": bid.bidder_no,
            "amount": money_str(bid.amount),
            "placed_at": bid.placed_at,
            "closes_at": after.closes_at,
            "minimum_bid": money_str(minimum_bid(selectors.board_of(after))),
        },
    )


@router.post("/disposals/{int:disposal_id}/backstop", response=DisposalOut)
def disposal_backstop(
    request: HttpRequest, disposal_id: int, payload: DisposalBackstopIn
) -> dict[str, Any]:
    """收储: a trading centre buys a listing with no bid standing (409 `bid_stands`) once the 180
    days after the listing day have run, from `backstop_from` (earlier: 409
    `backstop_too_early`), and bidding has closed (409 `bidding_open`), at a price of at least
    80 % of the reserve (422 `price_too_low`, with `floor`: 民法典 arts. 436 ¶3, 446 — a price
    that refers to the market; 法释〔2016〕18号 art. 26); the pledgee bank then completes the
    sale (or withdraws the listing, declining it). The pledge released or the loan no longer
    defaulted: 409 `pledge_not_registered` / `loan_not_defaulted`."""
    disposal = selectors.disposal_get(actor=request.user, disposal_id=disposal_id)
    services.disposal_backstop(actor=request.user, disposal=disposal, price=payload.price)
    return _fresh(request, disposal_id)


@router.post("/disposals/{int:disposal_id}/complete", response=DisposalOut)
def disposal_complete(
    request: HttpRequest, disposal_id: int, payload: DisposalCompleteIn | None = None
) -> dict[str, Any]:
    """The pledgee bank completes the sale, after the close with a bid standing (409
    `bidding_open`, `no_bid`) or once backstopped, in one transaction: every right of the lot
    transferred to the buyer in the register (the pledgee's consent is the sale, 民法典 art.
    444), the pledge released (basis `realised`, art. 436), the price less `disposal_costs`
    repaying the loan (closed if repaid in full), the rest to the pledgor (art. 438). Another
    bank's listing is a 404; the pledge released or the loan no longer defaulted, a 409
    `pledge_not_registered` / `loan_not_defaulted`; a withdrawn listing, 409
    `illegal_transition`."""
    services.disposal_complete(
        actor=request.user,
        disposal=selectors.disposal_get(actor=request.user, disposal_id=disposal_id),
        disposal_costs=payload.disposal_costs if payload is not None else None,
    )
    return _fresh(request, disposal_id)


@router.post("/disposals/{int:disposal_id}/withdraw", response=DisposalOut)
def disposal_withdraw(
    request: HttpRequest, disposal_id: int, payload: DisposalWithdrawIn
) -> dict[str, Any]:
    """撤回挂牌: the pledgee bank takes its listing down before completion, with its `reason`
    (blank: 422 `reason_required`; longer than the schema allows: 422): listed, with or without
    bids (they lapse), or backstopped (the bank declines the trading centre's purchase). Another
    bank's listing is a 404; a completed or already withdrawn one a 409 `illegal_transition`.
    The pledgor and the borrower are told with the reason, the bidders and a declined trading
    centre of the withdrawal; the pledge may be listed again (a withdrawn listing is not live).
    The debt repaid in full or the pledge released while listed (民法典 arts. 436, 393(1)), the
    board refuses bids and the backstop: 409 `loan_not_defaulted` / `pledge_not_registered`."""
    services.disposal_withdraw(
        actor=request.user,
        disposal=selectors.disposal_get(actor=request.user, disposal_id=disposal_id),
        reason=payload.reason,
    )
    return _fresh(request, disposal_id)
