"""`bid_place` and `disposal_backstop`: the board's bids and the backstop (see the package
docstring)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ipfin.accounts.models import Organisation, User
from ipfin.accounts.permissions import Perm, acting_organisation, require
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.display import money_pair, yuan_en, yuan_exact
from ipfin.common.errors import Conflict, PermissionDenied, invalid
from ipfin.common.inputs import amount_in
from ipfin.common.money import money_str
from ipfin.disposals import selectors
from ipfin.disposals.domain import (
    BidRefusal,
    Board,
    DisposalAction,
    backstop_floor,
    backstop_from,
    bid_refusal,
    minimum_bid,
    place_bid,
)
from ipfin.disposals.models import Bid, Disposal
from ipfin.disposals.services._common import (
    instant,
    label,
    lock,
    now_or,
    refuse_while_open,
    snapshot,
    still_realisable,
    transition,
)
from ipfin.holidays.selectors import working_calendar
from ipfin.loans.models import Loan

__all__ = ["bid_place", "disposal_backstop"]


def _bid_refused(refusal: BidRefusal, board: Board) -> Conflict:
    if refusal is BidRefusal.NOT_OPEN:
        return Conflict(
            f"竞价自 {instant(board.opens_at)} 开始。",
            f"Bidding opens at {instant(board.opens_at)}.",
            code=refusal.value,
            extra={"opens_at": instant(board.opens_at)},
        )
    if refusal is BidRefusal.CLOSED:
        return Conflict(
            f"竞价已于 {instant(board.closes_at)} 截止。",
            f"Bidding closed at {instant(board.closes_at)}.",
            code=refusal.value,
            extra={"closes_at": instant(board.closes_at)},
        )
    lowest_zh, lowest_en = money_pair(minimum_bid(board))
    return Conflict(
        f"出价须不低于 {lowest_zh}（"
        + ("起拍价" if board.leading is None else "当前最高出价加加价幅度")
        + "）。",
        f"A bid must be at least {lowest_en} ("
        + ("the reserve" if board.leading is None else "the leading bid plus the increment")
        + ").",
        code=refusal.value,
        extra={"minimum": money_str(minimum_bid(board))},
    )


def _bidder_no(disposal: Disposal, bidder: Organisation) -> int:
    """The bidder's number in this listing: its first bid's, or the next one."""
    known = (
        Bid.objects.filter(disposal=disposal, bidder=bidder)
        .values_list("bidder_no", flat=True)
        .first()
    )
    if known is not None:
        return known
    top = Bid.objects.filter(disposal=disposal).aggregate(top=Max("bidder_no"))["top"]
    return (top or 0) + 1


def bid_place(*, actor: User, disposal: Disposal, amount: Any, now: datetime | None = None) -> Bid:
    """A bid on a listing (module docstring); the bid's time is the server's (`now`)."""
    require(actor, Perm.DISPOSAL_BID)
    bidder = acting_organisation(actor)
    value = amount_in(amount, "amount", label_zh="出价")
    at = now_or(now)
    with transaction.atomic():
        locked = lock(disposal)
        debtor = Loan.objects.filter(pk=locked.loan_id).values_list("enterprise_id", flat=True)
        if bidder.pk in {locked.bank_id, locked.pledgor_id, *debtor}:
            raise PermissionDenied(
                "质权人、出质人和借款人不能参与竞买。",
                "The pledgee, the pledgor and the borrower may not bid.",
                code="party_may_not_bid",
            )
        transition(locked.state, DisposalAction.BID)
        # The debt repaid or the pledge released since the listing: nothing left to sell.
        still_realisable(locked, zh="，不能出价", en=": no bid is taken")
        board = selectors.board_of(locked)
        refusal = bid_refusal(board, value, at)
        if refusal is not None:
            raise _bid_refused(refusal, board)
        after = place_bid(board, value, at)
        before = snapshot(locked)
        overtaken = locked.leading_bidder_id
        bid = Bid.objects.create(
            disposal=locked,
            bidder=bidder,
            bidder_no=_bidder_no(locked, bidder),
            amount=value,
            placed_at=at,
            placed_by=actor,
        )
        locked.leading_amount = value
        locked.leading_bidder = bidder
        locked.closes_at = after.closes_at
        locked.save(update_fields=["leading_amount", "leading_bidder", "closes_at", "updated_at"])
        audit_record(
            actor=actor,
            action="disposal.bid",
            obj=locked,
            before=before,
            after={
                **snapshot(locked),
                "bid_id": bid.pk,
                "bidder_no": bid.bidder_no,
                "amount": money_str(value),
                "placed_at": instant(at),
            },
        )
        label_zh, label_en = label(locked)
        if overtaken is not None and overtaken != bidder.pk:
            notify_orgs(
                [overtaken],
                locked,
                "disposal.outbid",
                f"您在{label_zh}的出价已被超过：当前最高出价 {yuan_exact(value)}，竞价截止于 "
                f"{timezone.localtime(after.closes_at):%Y-%m-%d %H:%M}。",
                f"Your bid on {label_en} was overtaken: the leading bid is {money_str(value)} "
                f"yuan; bidding closes at {instant(after.closes_at)}.",
            )
    return bid


# --- backstop ------------------------------------------------------------------------------------


def disposal_backstop(
    *, actor: User, disposal: Disposal, price: Any, today: date | None = None
) -> Disposal:
    """The designated institution buys a listing no one bid on (收储), from the 181st day after
    the listing day, once bidding has closed (409 `bidding_open`), at `price`, at least
    `backstop_floor` of the reserve (422 `price_too_low`) (module docstring)."""
    require(actor, Perm.DISPOSAL_BACKSTOP)
    centre = acting_organisation(actor)
    value = amount_in(price, "price", label_zh="收储价格")
    day = today if today is not None else timezone.localdate()
    with transaction.atomic():
        locked = lock(disposal)
        new_state = transition(locked.state, DisposalAction.BACKSTOP)
        still_realisable(locked, zh="，不能收储", en=": no backstop")
        if locked.leading_amount is not None:
            raise Conflict(
                f"已有竞买人出价（{yuan_exact(locked.leading_amount)}），不能收储。",
                f"A bid stands ({yuan_en(locked.leading_amount)}): no backstop.",
                code="bid_stands",
                extra={"leading_amount": money_str(locked.leading_amount)},
            )
        first_day = backstop_from(locked.listed_on, working_calendar())
        if day < first_day:
            raise Conflict(
                f"挂牌日 {locked.listed_on} 起 180 日内无人出价的方可收储：{first_day} 起可收储。",
                f"A listing is bought only when 180 days after its listing day on "
                f"{locked.listed_on} have passed without a bid: from {first_day}.",
                code="backstop_too_early",
                extra={"backstop_from": first_day.isoformat()},
            )
        # A bid may still come, as the listing announced: the backstop waits for the close.
        refuse_while_open(locked, timezone.now(), zh="，不能收储", en=": no backstop")
        floor = backstop_floor(Decimal(locked.reserve_price))
        if value < floor:
            raise invalid(
                "price",
                "price_too_low",
                f"收储价格不得低于起拍价的 80%（{yuan_exact(floor)}）。",
                f"The backstop price is at least 80% of the reserve ({yuan_en(floor)}).",
                floor=money_str(floor),
            )
        before = snapshot(locked)
        locked.state = new_state.value
        locked.buyer = centre
        locked.price = value
        locked.backstopped_by = actor
        locked.backstopped_at = timezone.now()
        locked.save()
        audit_record(actor=actor, action="disposal.backstop", obj=locked, before=before,
                     after=snapshot(locked))  # fmt: skip
        label_zh, label_en = label(locked)
        notify_orgs(
            [locked.bank_id, locked.pledgor_id],
            locked,
            "disposal.backstop",
            f"{label_zh} 挂牌 180 日无人出价，已由 {centre.name} 以 {yuan_exact(value)}收储，"
            "待质权人办理成交。",
            f"{label_en} had no bid in 180 days: {centre.name} buys it for {money_str(value)} "
            "yuan; the pledgee completes the sale.",
        )
    return locked
