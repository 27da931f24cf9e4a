"""质物处置: the pure rules of realising a defaulted pledge on the platform's trading board.

Pure: no Django, no clock (`today` and the bid's time are passed in). Sources: issue 12, section
"Disposal (质物处置, seeds 000, 002)" and DOMAIN.md's glossary ("disposal: realising a defaulted
pledge: listing 挂牌, auction 拍卖, reverse licence 反向许可, debt-to-equity 质权转股权, backstop
acquisition 收储 (e.g. when listed 180 days without a buyer)"); the policy seeds are not kept in
../shared. The law: 民法典 art. 436 ¶2 (the debt in default, the pledgee may be paid first out of
the price of the pledged property sold at auction or otherwise), art. 438 (what the price leaves
over the debt goes back to the pledgor, a shortfall is still owed by the debtor), art. 444 (a
pledged right is transferred only with the pledgee's consent: here the sale is the pledgee's own
act). Where the issue leaves a figure open, the court's online-auction rules are followed
(《最高人民法院关于人民法院网络司法拍卖若干问题的规定》, 法释〔2016〕18号).

- A listing's states (`TRANSITIONS`): listed ─bid─▶ listed; listed ─backstop─▶ backstopped;
  listed (closed, a bid standing) or backstopped ─complete─▶ completed; listed (with or without
  bids) or backstopped ─withdraw─▶ withdrawn (撤回挂牌). Completed and withdrawn are final. The
  pledgee withdraws what it may no longer sell or no longer wants to: the debt repaid, the
  loan closed or the pledge released (a pledge secures the debt, 民法典 art. 436, and falls with
  it, art. 393(1): 主债权消灭 → 担保物权消灭, so nothing is left to realise); an auction that
  drew no bid, to list again at a new reserve (法释〔2016〕18号 art. 26); a backstop it declines
  before completing it (the sale is the pledgee's own act, art. 444). A withdrawn listing is
  not live: the pledge may be listed again.
- The reserve comes from a fresh valuation: at least `RESERVE_FLOOR_SHARE` (70 %) of the
  valuation's value (`reserve_floor`, rounded up to the fen: the court's rules, art. 10: 起拍价不得
  低于评估价的百分之七十), the valuation's base date at most `VALUATION_FRESH_MONTHS` (12) months
  before the listing day (`valuation_fresh`: an appraisal's conclusion is used within a year of
  its base date, 资产评估报告使用有效期一年; "届满" inclusive, 民法典 art. 1259).
- Bidding (`bid_refusal`, `place_bid`): ascending; the first bid at least the reserve, each
  later one at least the leading bid plus the increment (`minimum_bid`); from the start of the
  listing day, strictly before the close; the close is at least `MIN_BIDDING` (24 hours) after
  the start of the listing day (法释〔2016〕18号 art. 20: 竞价时间应当不少于二十四小时), at most
  `MAX_BIDDING` (a year: the platform's bound), the listing day at most `MAX_LEAD` ahead.
- Anti-sniping (`close_after_bid`): a bid in the last `ANTI_SNIPING` (5 minutes) before the close
  moves the close to 5 minutes after the bid (art. 20: 竞价程序结束前五分钟内……有出价的，竞价时间自
  该出价时点顺延五分钟); the close never moves earlier, so a bid exactly 5 minutes before it
  leaves it where it was.
- Backstop (收储, `backstop_from`): with no bid standing, the designated institution may buy once
  the 180 days after the listing day have run: the day of listing is not counted (民法典 art. 201)
  and the last day ends at 24:00 (art. 203), so from the 181st day after `listed_on` (later when
  the 180th falls on a rest day: art. 203 ¶1 moves the last day to the next working day); not while
  bidding is still open (a close set later than that: a bid may yet come), and at a price of at
  least `backstop_floor` (80 % of the reserve, rounded up to the fen: a pledged right sold
  otherwise than at auction goes at a price that refers to the market, 民法典 arts. 436 ¶3 and
  446, and the court's rules let an auction that drew no bid be held again at a reserve lowered
  by at most 20 %, 法释〔2016〕18号 art. 26: the lowest price the market could next be asked).
- The price (`split_proceeds`, 民法典 arts. 436, 438, 561): the disposal costs first, then the
  debt owed on the day (penalties, interest, principal as the loan's own waterfall applies them),
  what is left to the pledgor; a shortfall stays owed by the borrower.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum

from ipfin.common.money import FEN
from ipfin.common.workdays import WorkingCalendar
from ipfin.common.workflow import IllegalTransition, Workflow
from ipfin.registry.domain import add_months

__all__ = [
    "ANTI_SNIPING",
    "BACKSTOP_DAYS",
    "MAX_BIDDING",
    "MAX_LEAD",
    "MIN_BIDDING",
    "RESERVE_FLOOR_SHARE",
    "TRANSITIONS",
    "VALUATION_FRESH_MONTHS",
    "BidRefusal",
    "Board",
    "DisposalAction",
    "DisposalMethod",
    "DisposalState",
    "IllegalTransition",
    "Proceeds",
    "allowed_actions",
    "backstop_floor",
    "backstop_from",
    "bid_refusal",
    "close_after_bid",
    "minimum_bid",
    "next_state",
    "place_bid",
    "reserve_floor",
    "split_proceeds",
    "valuation_fresh",
]

RESERVE_FLOOR_SHARE = Decimal("0.7")
VALUATION_FRESH_MONTHS = 12
MIN_BIDDING = timedelta(hours=24)
# The platform's own bounds, not the law's: a listing is announced at most a year ahead and bids
# are taken for at most a year (beyond them a date is a typing mistake, not a plan).
MAX_LEAD = timedelta(days=365)
MAX_BIDDING = timedelta(days=365)
ANTI_SNIPING = timedelta(minutes=5)
BACKSTOP_DAYS = 180
# The lowest backstop price as a share of the listing's reserve (`backstop_floor`).
BACKSTOP_FLOOR_SHARE = Decimal("0.8")
_ZERO = Decimal("0.00")


class DisposalMethod(StrEnum):
    """How the pledgee realises the right. The board's rules are the same for every method; the
    method says what the buyer agrees to beside the transfer (the licence back to the pledgor, or
    the stake), which is its contract with the pledgor, recorded afterwards in the register."""

    AUCTION = "auction"  # 拍卖
    LISTING = "listing"  # 挂牌转让
    REVERSE_LICENCE = "reverse_licence"  # 反向许可: the buyer licenses the right back
    EQUITY = "equity"  # 质权转股权: the price paid in a stake

    @property
    def label_zh(self) -> str:
        return _METHOD_ZH[self]


_METHOD_ZH = {
    DisposalMethod.AUCTION: "拍卖",
    DisposalMethod.LISTING: "挂牌转让",
    DisposalMethod.REVERSE_LICENCE: "反向许可",
    DisposalMethod.EQUITY: "质权转股权",
}


class DisposalState(StrEnum):
    LISTED = "listed"  # 挂牌中: bids until the close, then completion (a bid) or backstop
    BACKSTOPPED = "backstopped"  # 已收储, awaiting completion
    COMPLETED = "completed"  # 已成交
    WITHDRAWN = "withdrawn"  # 已撤回: taken down by the pledgee before completion; final

    @property
    def label_zh(self) -> str:
        return _STATE_ZH[self]


class DisposalAction(StrEnum):
    LIST = "list"
    BID = "bid"
    BACKSTOP = "backstop"
    COMPLETE = "complete"
    WITHDRAW = "withdraw"


_STATE_ZH = {
    DisposalState.LISTED: "挂牌中",
    DisposalState.BACKSTOPPED: "已收储，待成交",
    DisposalState.COMPLETED: "已成交",
    DisposalState.WITHDRAWN: "已撤回",
}
_ACTION_ZH = {
    DisposalAction.LIST: "挂牌",
    DisposalAction.BID: "出价",
    DisposalAction.BACKSTOP: "收储",
    DisposalAction.COMPLETE: "成交",
    DisposalAction.WITHDRAW: "撤回挂牌",
}

TRANSITIONS: dict[tuple[DisposalState | None, DisposalAction], DisposalState] = {
    (None, DisposalAction.LIST): DisposalState.LISTED,
    (DisposalState.LISTED, DisposalAction.BID): DisposalState.LISTED,
    (DisposalState.LISTED, DisposalAction.BACKSTOP): DisposalState.BACKSTOPPED,
    # After the close with a bid standing (the service checks the close and the bid).
    (DisposalState.LISTED, DisposalAction.COMPLETE): DisposalState.COMPLETED,
    (DisposalState.BACKSTOPPED, DisposalAction.COMPLETE): DisposalState.COMPLETED,
    # Before completion only: a completed sale has transferred the rights (a 409 after it). From
    # `backstopped`, the pledgee declines the trading centre's purchase.
    (DisposalState.LISTED, DisposalAction.WITHDRAW): DisposalState.WITHDRAWN,
    (DisposalState.BACKSTOPPED, DisposalAction.WITHDRAW): DisposalState.WITHDRAWN,
}

_WORKFLOW: Workflow[DisposalState, DisposalAction] = Workflow(
    state_type=DisposalState,
    action_type=DisposalAction,
    transitions=TRANSITIONS,
    state_zh=_STATE_ZH,
    action_zh=_ACTION_ZH,
    message_zh="处置项目当前状态为“{state}”，不能{action}。",
    message_en="A disposal in state {state} does not allow {action}.",
    not_filed_zh="未挂牌",
)


def next_state(state: DisposalState | str | None, action: DisposalAction | str) -> DisposalState:
    """The state after `action`, or `IllegalTransition` (→ 409)."""
    return _WORKFLOW.next_state(state, action)


def allowed_actions(state: DisposalState | str | None) -> frozenset[DisposalAction]:
    return _WORKFLOW.allowed_actions(state)


# --- the reserve ---------------------------------------------------------------------------------


def reserve_floor(value: Decimal) -> Decimal:
    """The lowest reserve a valuation of `value` admits: 70 % of it, rounded up to the fen (a
    reserve is an amount in fen; a fen less would be below 70 %)."""
    return (value * RESERVE_FLOOR_SHARE).quantize(FEN, rounding=ROUND_CEILING)


def valuation_fresh(valuation_date: date, listed_on: date) -> bool:
    """Whether a valuation based on `valuation_date` may set the reserve of a listing on
    `listed_on`: its base date at most 12 months before (inclusive), and not after it."""
    earliest = add_months(listed_on, -VALUATION_FRESH_MONTHS)
    return earliest <= valuation_date <= listed_on


# --- bidding -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Board:
    """A listing as the bidding rule sees it. `leading`: the highest bid so far (None: none)."""

    reserve: Decimal
    increment: Decimal
    opens_at: datetime
    closes_at: datetime
    leading: Decimal | None = None


class BidRefusal(StrEnum):
    NOT_OPEN = "bidding_not_open"  # before the start of the listing day
    CLOSED = "bidding_closed"  # at or after the close
    TOO_LOW = "bid_too_low"  # below the reserve, or the leading bid plus the increment


def minimum_bid(board: Board) -> Decimal:
    """The lowest bid the board accepts now: the reserve, then the leading bid + the increment."""
    return board.reserve if board.leading is None else board.leading + board.increment


def bid_refusal(board: Board, amount: Decimal, at: datetime) -> BidRefusal | None:
    """Why a bid of `amount` at `at` is refused, or None when it is accepted."""
    if at < board.opens_at:
        return BidRefusal.NOT_OPEN
    if at >= board.closes_at:
        return BidRefusal.CLOSED
    if amount < minimum_bid(board):
        return BidRefusal.TOO_LOW
    return None


def close_after_bid(closes_at: datetime, at: datetime) -> datetime:
    """The close after a bid at `at` (before `closes_at`): 5 minutes after the bid when that is
    later (a bid in the last 5 minutes), else unchanged."""
    return max(closes_at, at + ANTI_SNIPING)


def place_bid(board: Board, amount: Decimal, at: datetime) -> Board:
    """The board after an accepted bid (the caller has checked `bid_refusal`)."""
    if bid_refusal(board, amount, at) is not None:
        raise ValueError(f"bid of {amount} at {at} is refused: {bid_refusal(board, amount, at)}")
    return replace(board, leading=amount, closes_at=close_after_bid(board.closes_at, at))


# --- backstop and proceeds -----------------------------------------------------------------------


def backstop_from(listed_on: date, calendar: WorkingCalendar) -> date:
    """The first day on which the designated institution may buy a listing with no bid: the
    180 days after `listed_on` (the listing day not counted, 民法典 art. 201; the last day to
    24:00, art. 203 ¶2) have run, a last day on a rest day moved to the first working day after
    it (art. 203 ¶1: 期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日;
    `calendar`: the office's working days). A listing of 2026-04-04 runs to 10-08, not to
    National Day (10-01): the backstop is open from 10-09."""
    last_day = calendar.working_day_from(listed_on + timedelta(days=BACKSTOP_DAYS))
    return last_day + timedelta(days=1)


def backstop_floor(reserve: Decimal) -> Decimal:
    """The lowest price the designated institution may buy a listing at (收储): 80 % of its
    reserve, rounded up to the fen — the lowest reserve at which the auction that drew no bid
    could be held again (法释〔2016〕18号 art. 26: 再次拍卖的起拍价降价幅度不得超过前次起拍价
    的百分之二十), since a pledged right sold otherwise than at auction goes at a price that
    refers to the market (民法典 arts. 436 ¶3, 446: 应当参照市场价格). Without it the backstop
    could take the right for a fen and leave the whole debt a shortfall, the pledgor's surplus
    gone (art. 438)."""
    return (reserve * BACKSTOP_FLOOR_SHARE).quantize(FEN, rounding=ROUND_CEILING)


@dataclass(frozen=True)
class Proceeds:
    """The price of a completed sale, applied (民法典 arts. 436, 438, 561)."""

    price: Decimal
    costs: Decimal  # the disposal's costs, paid first
    to_loan: Decimal  # what repays the debt owed on the day
    to_pledgor: Decimal  # what exceeds the debt (art. 438: 归出质人所有)
    shortfall: Decimal  # what the price did not cover (art. 438: 由债务人清偿)


def split_proceeds(price: Decimal, costs: Decimal, owed: Decimal) -> Proceeds:
    """`price` less `costs` repays `owed`; the rest is the pledgor's, a shortfall the borrower's.
    Amounts in fen, none negative, costs at most the price (ValueError otherwise)."""
    for name, amount in (("price", price), ("costs", costs), ("owed", owed)):
        if amount < 0 or amount != amount.quantize(FEN):
            raise ValueError(f"{name} must be a non-negative amount in fen, got {amount}")
    if costs > price:
        raise ValueError(f"costs {costs} exceed the price {price}")
    net = price - costs
    to_loan = min(net, owed)
    return Proceeds(
        price=price,
        costs=costs,
        to_loan=to_loan + _ZERO,
        to_pledgor=net - to_loan + _ZERO,
        shortfall=owed - to_loan + _ZERO,
    )
