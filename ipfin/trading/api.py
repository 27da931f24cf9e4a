"""REST adapter of the trading board (知识产权运营): parse → one service / selector → serialise.

- GET /trading/listings, GET /trading/listings/{trading_listing_id}: the board (public).
- POST /trading/listings (the right's holder): list a right for sale or licence.
- POST /trading/listings/{trading_listing_id}/withdraw (the holder).
- POST /trading/listings/{trading_listing_id}/interests (an enterprise, not the holder).
- GET /trading/interests: the caller's and those in its listings.
- POST /trading/listings/{trading_listing_id}/deal (the holder, with one interested party).
- GET /trading/deals, GET /trading/deals/{trading_deal_id}: the deal's parties, trading centres.
- POST /trading/deals/{trading_deal_id}/consent (the pledgee), …/record (a trading centre).
- GET /trading/stats: the board's figures by year (public).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from ipfin.accounts.auth import ApiAuth
from ipfin.accounts.ratelimit import ANON_READ_THROTTLE
from ipfin.common.money import money_str, money_str_or_none
from ipfin.trading import selectors, services
from ipfin.trading.models import Deal, Interest, Listing
from ipfin.trading.schemas import (
    DealConsentIn,
    DealIn,
    DealOut,
    InterestIn,
    InterestOut,
    ListingIn,
    ListingOut,
    TradeStatsRow,
)

router = Router(auth=ApiAuth())
LIST_LIMIT = 500


def _listing(x: Listing) -> dict[str, Any]:
    return {
        "id": x.pk,
        "right_number": x.right.number,
        "right_title": x.right.title,
        "right_kind": x.right.kind,
        "owner": {"id": x.owner_id, "name": x.owner.name},
        "kind": x.kind,
        "kind_label": str(x.get_kind_display()),
        "licence_type": x.licence_type,
        "price_kind": x.price_kind,
        "price": money_str(x.price),
        "terms": x.terms,
        "state": x.state,
        "listed_on": x.listed_on,
    }


def _interest(i: Interest) -> dict[str, Any]:
    return {
        "id": i.pk,
        "listing_id": i.listing_id,
        "right_number": i.listing.right.number,
        "party": {"id": i.party_id, "name": i.party.name},
        "offer": money_str_or_none(i.offer),
        "message": i.message,
        "created_at": i.created_at,
    }


def _deal(d: Deal) -> dict[str, Any]:
    return {
        "id": d.pk,
        "listing_id": d.listing_id,
        "right_number": d.listing.right.number,
        "seller": {"id": d.seller_id, "name": d.seller.name},
        "counterparty": {"id": d.counterparty_id, "name": d.counterparty.name},
        "kind": d.kind,
        "licence_type": d.licence_type,
        "price": money_str(d.price),
        "agreed_on": d.agreed_on,
        "state": d.state,
        "state_label": str(d.get_state_display()),
        "consents": [
            {
                "pledgee": {"id": c.pledgee_id, "name": c.pledgee.name},
                "registration_no": c.registration_no,
                "state": c.state,
                "document": c.document,
                "reason": c.reason,
            }
            for c in d.consents.all()
        ],
        "event_id": d.event_id,
    }


def _fresh_deal(request: HttpRequest, deal: Deal) -> dict[str, Any]:
    return _deal(selectors.deal_get(actor=request.user, deal_id=deal.pk))


@router.get("/trading/listings", response=list[ListingOut], auth=ApiAuth(optional=True))
def listing_board(
    request: HttpRequest, kind: str | None = None, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """The open listings, the latest first (public: 挂牌公告); `kind` sale or licence."""
    limit, offset = max(1, min(limit, LIST_LIMIT)), max(0, offset)
    rows = selectors.listing_board(kind=kind if kind in ("sale", "licence") else None)
    return [_listing(x) for x in rows[offset : offset + limit]]


@router.get(
    "/trading/listings/{int:trading_listing_id}",
    response=ListingOut,
    auth=ApiAuth(optional=True),
)
def listing_detail(request: HttpRequest, trading_listing_id: int) -> dict[str, Any]:
    """One listing, whatever its state (public)."""
    return _listing(selectors.listing_get(listing_id=trading_listing_id))


@router.post("/trading/listings", response={201: ListingOut})
def listing_create(request: HttpRequest, payload: ListingIn) -> Status[dict[str, Any]]:
    """The holder lists a right it holds now and in force (422 `right_not_owned`,
    `right_co_owned`: a co-owner alone grants only an ordinary licence, 专利法 art. 14; 409
    `right_not_in_force`, `listing_exists`)."""
    listing = services.listing_create(actor=request.user, data=payload.dict())
    return Status(201, _listing(selectors.listing_get(listing_id=listing.pk)))


@router.post("/trading/listings/{int:trading_listing_id}/withdraw", response=ListingOut)
def listing_withdraw(request: HttpRequest, trading_listing_id: int) -> dict[str, Any]:
    """The holder withdraws its open listing (404 for another's, 409 `listing_not_open`)."""
    services.listing_withdraw(actor=request.user, listing_id=trading_listing_id)
    return _listing(selectors.listing_get(listing_id=trading_listing_id))


@router.post("/trading/listings/{int:trading_listing_id}/interests", response={201: InterestOut})
def interest_express(
    request: HttpRequest, trading_listing_id: int, payload: InterestIn
) -> Status[dict[str, Any]]:
    """An enterprise expresses interest in an open listing, once (409 `interest_exists`,
    `own_listing`, `listing_not_open`)."""
    interest = services.interest_express(
        actor=request.user, listing_id=trading_listing_id, **payload.dict()
    )
    return Status(201, _interest(interest))


@router.get("/trading/interests", response=list[InterestOut])
def interest_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's expressions of interest and those in its listings, newest first."""
    return [_interest(i) for i in selectors.interest_list(actor=request.user)[:LIST_LIMIT]]


@router.post("/trading/listings/{int:trading_listing_id}/deal", response={201: DealOut})
def deal_agree(
    request: HttpRequest, trading_listing_id: int, payload: DealIn
) -> Status[dict[str, Any]]:
    """The holder agrees a deal with one interested party. A right under a registered pledge
    waits for each pledgee's consent (民法典 art. 444 ¶2); else the deal is ready to record."""
    deal = services.deal_agree(actor=request.user, listing_id=trading_listing_id, **payload.dict())
    return Status(201, _fresh_deal(request, deal))


@router.get("/trading/deals", response=list[DealOut])
def deal_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The deals the caller is a party to (every one for a trading centre), newest first."""
    return [_deal(d) for d in selectors.deal_list(actor=request.user)[:LIST_LIMIT]]


@router.get("/trading/deals/{int:trading_deal_id}", response=DealOut)
def deal_detail(request: HttpRequest, trading_deal_id: int) -> dict[str, Any]:
    return _deal(selectors.deal_get(actor=request.user, deal_id=trading_deal_id))


@router.post("/trading/deals/{int:trading_deal_id}/consent", response=DealOut)
def deal_consent(
    request: HttpRequest, trading_deal_id: int, payload: DealConsentIn
) -> dict[str, Any]:
    """The pledgee consents (with the consent letter's number) or refuses (with a reason; the
    listing opens again)."""
    deal = services.deal_consent(actor=request.user, deal_id=trading_deal_id, **payload.dict())
    return _fresh_deal(request, deal)


@router.post("/trading/deals/{int:trading_deal_id}/record", response=DealOut)
def deal_record(request: HttpRequest, trading_deal_id: int) -> dict[str, Any]:
    """A trading centre records a ready deal in the register, as a transfer or a licence dated
    the deal (409 `deal_state_invalid`; the register's own refusals as they are). 409
    `pledgee_consent_required` when the right was pledged since the deal was agreed: its new
    pledgee is asked (民法典 art. 444 ¶2) and the deal waits for the answer."""
    deal = services.deal_record(actor=request.user, deal_id=trading_deal_id)
    return _fresh_deal(request, deal)


@router.get(
    "/trading/stats",
    response=list[TradeStatsRow],
    auth=ApiAuth(optional=True),
    throttle=ANON_READ_THROTTLE,
)
def trade_stats(request: HttpRequest) -> list[dict[str, Any]]:
    """The board's figures by year and kind (public). Anonymous callers: at most
    IPFIN_ANON_READ_RATE requests per address (429 `rate_limited` with Retry-After)."""
    return selectors.trade_stats()
