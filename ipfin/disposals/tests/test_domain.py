"""The pure rules of a disposal (ipfin.disposals.domain): the reserve, the bidding rule with its
anti-sniping close, the backstop day and the price applied; worked examples both ways and
Hypothesis properties. No database.

Test names carry their source: `issue12` (issue 12, "Disposal (质物处置)"; the policy seeds 000 and
002 are not on disk), `sifa_paimai_art10` / `_art20` (《最高人民法院关于人民法院网络司法拍卖若干问题
的规定》: the reserve at least 70 % of the valuation; bidding at least 24 hours, a bid in the last
five minutes moves the close to five minutes after it), `minfadian_art201_203` (a period in days:
the first day not counted, the last to 24:00), `minfadian_art436_438` (the price pays the debt, the
rest is the pledgor's, a shortfall the debtor's), `minfadian_art1259` (届满 includes the figure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.common.workdays import PACKAGE_CALENDAR
from ipfin.disposals.domain import (
    ANTI_SNIPING,
    BidRefusal,
    Board,
    DisposalAction,
    DisposalState,
    IllegalTransition,
    allowed_actions,
    backstop_from,
    bid_refusal,
    close_after_bid,
    minimum_bid,
    next_state,
    place_bid,
    reserve_floor,
    split_proceeds,
    valuation_fresh,
)

D = Decimal
OPENS = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)  # 2026-03-02 00:00 in Shanghai
CLOSES = OPENS + timedelta(days=3)


def board(**kw: object) -> Board:
    base: dict[str, object] = {
        "reserve": D("600000.00"),
        "increment": D("10000.00"),
        "opens_at": OPENS,
        "closes_at": CLOSES,
        "leading": None,
    }
    return Board(**{**base, **kw})  # type: ignore[arg-type]


# --- states -------------------------------------------------------------------------------------


def test_the_listing_moves_only_by_its_table_issue12() -> None:
    assert next_state(None, DisposalAction.LIST) is DisposalState.LISTED
    assert next_state("listed", "bid") is DisposalState.LISTED
    assert next_state("listed", "backstop") is DisposalState.BACKSTOPPED
    assert next_state("listed", "complete") is DisposalState.COMPLETED
    assert next_state("backstopped", "complete") is DisposalState.COMPLETED
    assert allowed_actions("completed") == frozenset()
    for state, action in [
        ("backstopped", "bid"),
        ("backstopped", "backstop"),
        ("completed", "bid"),
        ("completed", "complete"),
        ("completed", "backstop"),
        (None, "bid"),
    ]:
        with pytest.raises(IllegalTransition):
            next_state(state, action)


def test_a_listing_is_withdrawn_before_completion_and_stays_withdrawn_minfadian_art436() -> None:
    """Listed (bids or none) or backstopped, the pledgee takes it down; completed, the rights are
    transferred and nothing is withdrawn; withdrawn is final (the pledge is listed anew)."""
    assert next_state("listed", "withdraw") is DisposalState.WITHDRAWN
    assert next_state("backstopped", "withdraw") is DisposalState.WITHDRAWN
    assert DisposalAction.WITHDRAW in allowed_actions("listed")
    assert DisposalAction.WITHDRAW in allowed_actions("backstopped")
    assert allowed_actions("withdrawn") == frozenset()
    for state, action in [
        ("completed", "withdraw"),
        ("withdrawn", "withdraw"),
        ("withdrawn", "bid"),
        ("withdrawn", "backstop"),
        ("withdrawn", "complete"),
        (None, "withdraw"),
    ]:
        with pytest.raises(IllegalTransition) as info:
            next_state(state, action)
        assert info.value.code == "illegal_transition"
    with pytest.raises(IllegalTransition) as twice:
        next_state("withdrawn", "withdraw")
    assert twice.value.message_zh == "处置项目当前状态为“已撤回”，不能撤回挂牌。"


# --- the reserve ---------------------------------------------------------------------------------


def test_the_reserve_is_at_least_seventy_percent_of_the_valuation_sifa_paimai_art10() -> None:
    assert reserve_floor(D("880000.00")) == D("616000.00")
    # 70 % of 0.05 is 0.035: a reserve of 0.03 would be below it, the floor is 0.04.
    assert reserve_floor(D("0.05")) == D("0.04")
    assert reserve_floor(D("0.10")) == D("0.07")


@given(st.integers(min_value=0, max_value=10**15).map(lambda fen: D(fen) / 100))
def test_the_floor_is_the_lowest_fen_at_or_above_seventy_percent_sifa_paimai_art10(
    value: Decimal,
) -> None:
    floor = reserve_floor(value)
    assert floor == floor.quantize(D("0.01"))
    assert floor >= value * D("0.7")
    assert floor - D("0.01") < value * D("0.7")


def test_a_valuation_twelve_months_old_is_fresh_a_day_older_is_not_minfadian_art1259() -> None:
    listed = date(2026, 3, 2)
    assert valuation_fresh(date(2025, 3, 2), listed)  # 届满 one year: inclusive
    assert not valuation_fresh(date(2025, 3, 1), listed)
    assert valuation_fresh(listed, listed)
    assert not valuation_fresh(date(2026, 3, 3), listed)  # based after the listing: not a fact yet
    # 29 February: twelve months before 2025-02-28 is 2024-02-28.
    assert valuation_fresh(date(2024, 2, 28), date(2025, 2, 28))
    assert not valuation_fresh(date(2024, 2, 27), date(2025, 2, 28))


# --- bidding --------------------------------------------------------------------------------------


def test_the_first_bid_is_at_least_the_reserve_issue12() -> None:
    at = OPENS + timedelta(hours=1)
    assert bid_refusal(board(), D("599999.99"), at) is BidRefusal.TOO_LOW
    assert bid_refusal(board(), D("600000.00"), at) is None
    assert minimum_bid(board()) == D("600000.00")


def test_a_later_bid_is_at_least_the_leading_bid_plus_the_increment_issue12() -> None:
    at = OPENS + timedelta(hours=1)
    led = board(leading=D("600000.00"))
    assert minimum_bid(led) == D("610000.00")
    assert bid_refusal(led, D("609999.99"), at) is BidRefusal.TOO_LOW
    assert bid_refusal(led, D("600000.00"), at) is BidRefusal.TOO_LOW  # equal is not higher
    assert bid_refusal(led, D("610000.00"), at) is None
    assert bid_refusal(led, D("900000.00"), at) is None  # any jump above the minimum


def test_bids_are_taken_from_the_listing_day_until_before_the_close_issue12() -> None:
    assert bid_refusal(board(), D("600000.00"), OPENS - timedelta(seconds=1)) is (
        BidRefusal.NOT_OPEN
    )
    assert bid_refusal(board(), D("600000.00"), OPENS) is None
    assert bid_refusal(board(), D("600000.00"), CLOSES - timedelta(microseconds=1)) is None
    assert bid_refusal(board(), D("600000.00"), CLOSES) is BidRefusal.CLOSED


def test_a_late_bid_moves_the_close_five_minutes_after_it_sifa_paimai_art20() -> None:
    two_before = CLOSES - timedelta(minutes=2)
    assert close_after_bid(CLOSES, two_before) == CLOSES + timedelta(minutes=3)
    after = place_bid(board(), D("600000.00"), two_before)
    assert (after.leading, after.closes_at) == (D("600000.00"), two_before + ANTI_SNIPING)
    # A bid just inside the extended close extends it again.
    last = after.closes_at - timedelta(seconds=1)
    again = place_bid(after, D("610000.00"), last)
    assert again.closes_at == last + ANTI_SNIPING


def test_a_bid_earlier_than_the_last_five_minutes_leaves_the_close_sifa_paimai_art20() -> None:
    six_before = CLOSES - timedelta(minutes=6)
    assert close_after_bid(CLOSES, six_before) == CLOSES
    assert close_after_bid(CLOSES, CLOSES - ANTI_SNIPING) == CLOSES  # exactly five: unchanged
    assert place_bid(board(), D("600000.00"), six_before).closes_at == CLOSES


def test_a_refused_bid_is_never_placed() -> None:
    with pytest.raises(ValueError, match="bid_too_low"):
        place_bid(board(), D("1.00"), OPENS)


_fen = st.integers(min_value=1, max_value=10**9).map(lambda fen: D(fen) / 100)


@given(
    reserve=_fen,
    increment=_fen,
    attempts=st.lists(
        st.tuples(
            st.integers(min_value=-600, max_value=4 * 24 * 3600),  # seconds after opening
            st.integers(min_value=0, max_value=10**11),  # fen
        ),
        max_size=40,
    ),
)
def test_accepted_bids_ascend_by_the_increment_and_the_close_never_comes_earlier_issue12(
    reserve: Decimal, increment: Decimal, attempts: list[tuple[int, int]]
) -> None:
    """Any sequence of bid attempts in time order: every accepted bid is before the close as it
    then stood, the first at least the reserve, each later one at least the one before plus the
    increment (so the last accepted is the highest); the close never moves earlier, moves only on
    a bid in its last five minutes, and then to five minutes after that bid; a refused bid
    changes nothing."""
    state = board(reserve=reserve, increment=increment)
    accepted: list[Decimal] = []
    for seconds, fen in sorted(attempts):
        at = OPENS + timedelta(seconds=seconds)
        amount = D(fen) / 100
        refusal = bid_refusal(state, amount, at)
        if refusal is not None:
            assert (refusal is BidRefusal.NOT_OPEN) == (at < OPENS)
            assert (refusal is BidRefusal.CLOSED) == (at >= OPENS and at >= state.closes_at)
            if refusal is BidRefusal.TOO_LOW:
                assert amount < minimum_bid(state)
            continue
        after = place_bid(state, amount, at)
        assert OPENS <= at < state.closes_at
        assert amount >= (reserve if not accepted else accepted[-1] + increment)
        assert after.closes_at >= state.closes_at
        if at + ANTI_SNIPING > state.closes_at:
            assert after.closes_at == at + ANTI_SNIPING
        else:
            assert after.closes_at == state.closes_at
        accepted.append(amount)
        state = after
    assert all(b - a >= increment for a, b in pairwise(accepted))
    assert state.leading == (max(accepted) if accepted else None)


# --- backstop ---------------------------------------------------------------------------------


def test_the_backstop_is_open_from_the_181st_day_after_listing_minfadian_art201_203() -> None:
    """挂牌180天内无意向方揭牌 (issue 12): the listing day is not counted (民法典 art. 201), the
    180th day after it ends at 24:00 (art. 203); the designated institution buys the next day."""
    assert backstop_from(date(2026, 1, 1), PACKAGE_CALENDAR) == date(2026, 7, 1)
    assert date(2026, 1, 1) + timedelta(days=180) == date(2026, 6, 30)  # still within the period


def test_a_period_ending_on_a_holiday_runs_to_the_next_working_day_minfadian_art203() -> None:
    """民法典 art. 203 ¶1: a last day on a statutory holiday moves to the day after the holiday.
    Listed 2026-04-04, the 180th day is 10-01 (National Day, rest to 10-07): the period runs to
    10-08 and the backstop opens on 10-09; it opened on 10-02, in the holiday."""
    assert date(2026, 4, 4) + timedelta(days=180) == date(2026, 10, 1)
    assert backstop_from(date(2026, 4, 4), PACKAGE_CALENDAR) == date(2026, 10, 9)
    # A last day on a Saturday of an ordinary week runs to the Monday.
    assert backstop_from(date(2026, 1, 26), PACKAGE_CALENDAR) == date(2026, 7, 28)


# --- the price --------------------------------------------------------------------------------


def test_the_price_pays_the_costs_then_the_debt_the_rest_to_the_pledgor_minfadian_art438() -> None:
    over = split_proceeds(D("700000.00"), D("20000.00"), D("412345.67"))
    assert (over.to_loan, over.to_pledgor, over.shortfall) == (
        D("412345.67"),
        D("267654.33"),
        D("0.00"),
    )
    short = split_proceeds(D("300000.00"), D("15000.00"), D("412345.67"))
    assert (short.to_loan, short.to_pledgor, short.shortfall) == (
        D("285000.00"),
        D("0.00"),
        D("127345.67"),
    )


def test_costs_above_the_price_or_amounts_not_in_fen_are_refused() -> None:
    with pytest.raises(ValueError, match="exceed"):
        split_proceeds(D("100.00"), D("100.01"), D("0.00"))
    with pytest.raises(ValueError, match="fen"):
        split_proceeds(D("100.001"), D("0.00"), D("0.00"))
    with pytest.raises(ValueError, match="fen"):
        split_proceeds(D("100.00"), D("0.00"), D("-1.00"))


_money = st.integers(min_value=0, max_value=10**15).map(lambda fen: D(fen) / 100)


@given(price=_money, costs_share=st.fractions(min_value=0, max_value=1), owed=_money)
def test_the_price_is_applied_exactly_minfadian_art436_438(
    price: Decimal, costs_share: object, owed: Decimal
) -> None:
    costs = (price * D(str(float(costs_share)))).quantize(D("0.01"), rounding="ROUND_FLOOR")
    costs = min(costs, price)
    result = split_proceeds(price, costs, owed)
    assert result.costs + result.to_loan + result.to_pledgor == price
    assert result.to_loan + result.shortfall == owed
    assert min(result.to_loan, result.to_pledgor, result.shortfall) >= 0
    assert result.to_pledgor == 0 or result.shortfall == 0
    assert str(result.to_pledgor) != "-0.00" and str(result.shortfall) != "-0.00"
