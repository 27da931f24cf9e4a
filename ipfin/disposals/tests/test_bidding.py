"""Public bidding on a listing and the backstop (ipfin.disposals.services.bid_place,
disposal_backstop): each rule both ways, a refused bid changing nothing. The concurrent bids are
in test_bidding_concurrency.py (PostgreSQL).

Test names carry their source: `issue12` (issue 12, "Disposal (质物处置)": ascending bids, at least
the reserve then the previous bid plus the increment, before the close; 挂牌180天内无意向方揭牌 →
收储), `sifa_paimai_art20` (a bid in the last five minutes moves the close to five minutes after
it), `minfadian_art201_203` (180 days: the listing day not counted, the last day to 24:00),
`minfadian_art428` (the pledgee may not take the pledged property for itself),
`minfadian_art436_393` (the pledge secures the debt, art. 436, and is extinguished with it, art.
393(1): a debt repaid or a pledge released leaves nothing to bid on or backstop)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils.timezone import localtime

from ipfin.accounts.models import Notification, Organisation, OrganisationKind, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, PermissionDenied, ValidationFailed
from ipfin.disposals.models import Bid, Disposal
from ipfin.disposals.services import disposal_backstop
from ipfin.disposals.tests.conftest import (
    FLOOR,
    INCREMENT,
    backstop_day,
    open_backstop_day,
    opening,
)
from ipfin.loans.models import Loan

pytestmark = pytest.mark.django_db
D = Decimal
Bidding = Callable[..., Any]


def unchanged(listing: Disposal, kind: type[Exception], call: Callable[[], Any]) -> Any:
    before = (Disposal.objects.filter(pk=listing.pk).values().get(), Bid.objects.count())
    with pytest.raises(kind) as info:
        call()
    assert (Disposal.objects.filter(pk=listing.pk).values().get(), Bid.objects.count()) == before
    return info.value


def test_the_first_bid_is_at_least_the_reserve_issue12(
    listing: Disposal, bid: Bidding, enterprise_b_user: User
) -> None:
    low = unchanged(listing, Conflict, lambda: bid(enterprise_b_user, FLOOR - D("0.01")))
    assert (low.code, low.extra["minimum"]) == ("bid_too_low", "616000.00")
    placed = bid(enterprise_b_user, FLOOR)
    listing.refresh_from_db()
    assert (placed.amount, placed.bidder_no) == (FLOOR, 1)
    assert (listing.leading_amount, listing.leading_bidder_id) == (
        FLOOR,
        enterprise_b_user.organisation_id,
    )
    record = AuditRecord.objects.get(action="disposal.bid", object_id=str(listing.pk))
    assert record.after["amount"] == "616000.00" and record.after["bidder_no"] == 1


def test_each_later_bid_is_at_least_the_previous_plus_the_increment_issue12(
    listing: Disposal, bid: Bidding, enterprise_b_user: User, bank_b_user: User
) -> None:
    bid(enterprise_b_user, FLOOR)
    short = FLOOR + INCREMENT - D("0.01")
    error = unchanged(listing, Conflict, lambda: bid(bank_b_user, short, timedelta(hours=2)))
    assert (error.code, error.extra["minimum"]) == ("bid_too_low", "626000.00")
    assert unchanged(listing, Conflict, lambda: bid(bank_b_user, FLOOR)).code == "bid_too_low"
    bid(bank_b_user, FLOOR + INCREMENT, timedelta(hours=2))
    bid(enterprise_b_user, D("700000.00"), timedelta(hours=3))  # any jump above the minimum
    assert list(
        Bid.objects.filter(disposal=listing).order_by("pk").values_list("amount", flat=True)
    ) == [
        FLOOR,
        FLOOR + INCREMENT,
        D("700000.00"),
    ]


def test_the_overtaken_bidder_is_told_and_keeps_its_number(
    listing: Disposal, bid: Bidding, enterprise_b_user: User, bank_b_user: User
) -> None:
    bid(enterprise_b_user, FLOOR)
    bid(bank_b_user, FLOOR + INCREMENT, timedelta(hours=2))
    told = Notification.objects.filter(
        organisation_id=enterprise_b_user.organisation_id, verb="disposal.outbid"
    )
    assert told.count() == 1 and "626,000.00 元" in told.get().message_zh
    again = bid(enterprise_b_user, FLOOR + 2 * INCREMENT, timedelta(hours=3))
    assert again.bidder_no == 1
    assert Bid.objects.get(bidder_id=bank_b_user.organisation_id).bidder_no == 2
    # Raising its own bid tells nobody.
    bid(enterprise_b_user, FLOOR + 3 * INCREMENT, timedelta(hours=4))
    assert not Notification.objects.filter(
        organisation_id=enterprise_b_user.organisation_id, verb="disposal.outbid"
    ).exclude(pk=told.get().pk)


def test_bids_are_taken_from_the_listing_day_until_the_close_issue12(
    listing: Disposal, bid: Bidding, enterprise_b_user: User
) -> None:
    early = unchanged(
        listing, Conflict, lambda: bid(enterprise_b_user, FLOOR, -timedelta(seconds=1))
    )
    assert early.code == "bidding_not_open"
    close = listing.closes_at - opening(listing.listed_on)
    late = unchanged(listing, Conflict, lambda: bid(enterprise_b_user, FLOOR, close))
    assert (late.code, late.extra["closes_at"]) == (
        "bidding_closed",
        localtime(listing.closes_at).isoformat(),
    )
    assert bid(enterprise_b_user, FLOOR, close - timedelta(microseconds=1)).amount == FLOOR


def test_a_bid_in_the_last_five_minutes_moves_the_close_five_minutes_after_it_sifa_paimai_art20(
    listing: Disposal, bid: Bidding, enterprise_b_user: User, bank_b_user: User
) -> None:
    close = listing.closes_at
    until = close - opening(listing.listed_on)
    bid(enterprise_b_user, FLOOR, until - timedelta(minutes=6))  # earlier: the close stays
    listing.refresh_from_db()
    assert listing.closes_at == close
    bid(bank_b_user, FLOOR + INCREMENT, until - timedelta(minutes=2))
    listing.refresh_from_db()
    assert listing.closes_at == close + timedelta(minutes=3)
    # After the first close, before the moved one: still open, and moved again.
    bid(enterprise_b_user, FLOOR + 2 * INCREMENT, until + timedelta(minutes=2))
    listing.refresh_from_db()
    assert listing.closes_at == close + timedelta(minutes=7)
    moved = until + timedelta(minutes=7)
    assert unchanged(listing, Conflict, lambda: bid(bank_b_user, D("900000.00"), moved)).code == (
        "bidding_closed"
    )


def test_the_pledgee_the_pledgor_and_the_borrower_may_not_bid_minfadian_art428(
    listing: Disposal, bid: Bidding, bank_a_user: User, enterprise_a_user: User
) -> None:
    for party in (bank_a_user, enterprise_a_user):
        error = unchanged(listing, PermissionDenied, lambda p=party: bid(p, FLOOR))
        assert error.code == "party_may_not_bid"


@pytest.mark.parametrize(
    "kind", [OrganisationKind.TRADING_CENTRE, OrganisationKind.VALUATION_AGENCY,
             OrganisationKind.IP_OFFICE, OrganisationKind.REGULATOR, OrganisationKind.RISK_FUND]
)  # fmt: skip
def test_only_enterprises_banks_insurers_and_guarantors_bid_issue12(
    listing: Disposal,
    bid: Bidding,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    insurer_user: User,
    kind: str,
) -> None:
    """Who buys IP: enterprises, and banks, insurers and guarantors (funds); not the trading
    centre that runs the board and backstops it, the agencies that value the rights, nor the
    public bodies."""
    outsider = make_user(f"user-{kind}", make_org(kind))
    assert unchanged(listing, PermissionDenied, lambda: bid(outsider, FLOOR)).code == "forbidden"
    assert bid(insurer_user, FLOOR).amount == FLOOR


@pytest.mark.parametrize("amount", ["0", "-5", "616000.001", "abc"])
def test_an_amount_that_is_not_money_is_422(
    listing: Disposal, bid: Bidding, enterprise_b_user: User, amount: str
) -> None:
    error = unchanged(listing, ValidationFailed, lambda: bid(enterprise_b_user, amount))
    assert (error.code, error.extra["field"]) == ("amount_invalid", "amount")


# --- backstop (收储) ------------------------------------------------------------------------------


def test_backstop_within_180_days_is_too_early_then_open_minfadian_art201_203_issue12(
    old_listing: Disposal, centre_user: User, today: date
) -> None:
    first_day = backstop_day(old_listing.listed_on)
    assert first_day <= today and first_day >= old_listing.listed_on + timedelta(days=181)
    error = unchanged(
        old_listing,
        Conflict,
        lambda: disposal_backstop(
            actor=centre_user,
            disposal=old_listing,
            price="500000.00",
            today=first_day - timedelta(days=1),
        ),
    )
    assert (error.code, error.extra["backstop_from"]) == (
        "backstop_too_early",
        first_day.isoformat(),
    )
    bought = disposal_backstop(actor=centre_user, disposal=old_listing, price="500000.00")
    assert (bought.state, bought.buyer_id, bought.price) == (
        "backstopped",
        centre_user.organisation_id,
        D("500000.00"),
    )
    told = Notification.objects.filter(verb="disposal.backstop", object_id=str(bought.pk))
    assert set(told.values_list("organisation_id", flat=True)) == {
        old_listing.bank_id,
        old_listing.pledgor_id,
    }
    assert AuditRecord.objects.filter(action="disposal.backstop").count() == 1


def test_no_backstop_while_bidding_is_still_open_minfadian_art436(
    list_pledge: Callable[..., Disposal], centre_user: User
) -> None:
    """Listed 181 days ago with a close announced 300 days after the listing day: the 180 days
    have run, but a bid may still come until the close, so the trading centre cannot buy it
    yet (the pledgee and the pledgor would lose a higher bid within the announced window)."""
    day = open_backstop_day()
    late_close = list_pledge(listed_on=day, today=day, closes_at=opening(day) + timedelta(days=300))
    error = unchanged(
        late_close,
        Conflict,
        lambda: disposal_backstop(actor=centre_user, disposal=late_close, price="500000.00"),
    )
    assert (error.code, error.extra["closes_at"]) == (
        "bidding_open",
        localtime(late_close.closes_at).isoformat(),
    )


def test_a_backstop_price_below_80_percent_of_the_reserve_is_refused_minfadian_art436_446(
    old_listing: Disposal, centre_user: User
) -> None:
    """A pledged right sold otherwise than at auction goes at a price referring to the market
    (民法典 arts. 436 ¶3, 446); the lowest the market could next be asked is a second auction's
    reserve, at most 20 % below the first (法释〔2016〕18号 art. 26): 80 % of 616,000.00 is
    492,800.00. A fen less is refused, nothing changed; the floor itself is accepted."""
    error = unchanged(
        old_listing,
        ValidationFailed,
        lambda: disposal_backstop(actor=centre_user, disposal=old_listing, price="492799.99"),
    )
    assert (error.code, error.extra["field"], error.extra["floor"]) == (
        "price_too_low",
        "price",
        "492800.00",
    )
    assert not AuditRecord.objects.filter(action="disposal.backstop").exists()
    bought = disposal_backstop(actor=centre_user, disposal=old_listing, price="492800.00")
    assert (bought.state, bought.price) == ("backstopped", D("492800.00"))


def test_no_backstop_while_a_bid_stands_issue12(
    old_listing: Disposal, bid: Bidding, enterprise_b_user: User, centre_user: User
) -> None:
    bid(enterprise_b_user, FLOOR, on=old_listing)
    error = unchanged(
        old_listing,
        Conflict,
        lambda: disposal_backstop(actor=centre_user, disposal=old_listing, price="500000.00"),
    )
    assert (error.code, error.extra["leading_amount"]) == ("bid_stands", "616000.00")


def test_only_the_trading_centre_backstops_and_once(
    old_listing: Disposal, centre_user: User, bank_b_user: User, bank_a_user: User
) -> None:
    for user in (bank_a_user, bank_b_user):
        error = unchanged(
            old_listing,
            PermissionDenied,
            lambda u=user: disposal_backstop(actor=u, disposal=old_listing, price="1.00"),
        )
        assert error.code == "forbidden"
    disposal_backstop(actor=centre_user, disposal=old_listing, price="500000.00")
    again = unchanged(
        old_listing,
        Conflict,
        lambda: disposal_backstop(actor=centre_user, disposal=old_listing, price="600000.00"),
    )
    assert again.code == "illegal_transition"


def test_a_backstopped_listing_takes_no_bid(
    old_listing: Disposal, centre_user: User, bid: Bidding, enterprise_b_user: User
) -> None:
    disposal_backstop(actor=centre_user, disposal=old_listing, price="500000.00")
    error = unchanged(old_listing, Conflict, lambda: bid(enterprise_b_user, FLOOR, on=old_listing))
    assert error.code == "illegal_transition"


# --- a debt repaid, a pledge released (民法典 arts. 436, 393(1)) --------------------------------


def test_no_bid_once_the_debt_is_repaid_and_the_loan_closed_minfadian_art436_393(
    listing: Disposal,
    bid: Bidding,
    enterprise_b_user: User,
    bank_b_user: User,
    repay_in_full: Callable[..., Loan],
) -> None:
    """The pledge secures the debt (art. 436); repaid, the debt is extinguished and the pledge
    with it (art. 393(1)): the board takes no further bid. Nothing is written."""
    bid(enterprise_b_user, FLOOR)  # taken while the debt is owed
    loan = repay_in_full(Loan.objects.get(pk=listing.loan_id))
    assert loan.state == "closed"
    error = unchanged(
        listing, Conflict, lambda: bid(bank_b_user, FLOOR + INCREMENT, timedelta(hours=2))
    )
    assert (error.code, error.extra["loan_id"], error.extra["state"]) == (
        "loan_not_defaulted",
        loan.pk,
        "closed",
    )
    assert "不能出价" in error.detail_zh
    assert AuditRecord.objects.filter(action="disposal.bid").count() == 1
    assert not Notification.objects.filter(verb="disposal.outbid").exists()


def test_no_bid_on_a_debt_repaid_in_full_before_the_bank_closes_the_loan_minfadian_art393(
    listing: Disposal,
    bid: Bidding,
    enterprise_b_user: User,
    repay_in_full: Callable[..., Loan],
) -> None:
    """Repaid in full, the loan still open until the bank closes it (and still classified as the
    bank assessed it): the debt is extinguished all the same."""
    loan = repay_in_full(Loan.objects.get(pk=listing.loan_id), close=False)
    assert loan.state == "repaying" and loan.outstanding_principal == 0
    error = unchanged(listing, Conflict, lambda: bid(enterprise_b_user, FLOOR))
    assert (error.code, error.extra["repaid_in_full"]) == ("loan_not_defaulted", True)


def test_no_bid_and_no_backstop_once_the_pledge_is_released_minfadian_art393(
    listing: Disposal,
    old_listing: Disposal,
    bid: Bidding,
    enterprise_b_user: User,
    centre_user: User,
    release_pledge: Callable[..., Any],
) -> None:
    """The bank waived the pledge (the loan still owed and in default): no pledge is left to
    sell."""
    for disposal in (listing, old_listing):
        release_pledge(disposal.pledge, waive=True)
    error = unchanged(listing, Conflict, lambda: bid(enterprise_b_user, FLOOR))
    assert (error.code, error.extra["state"]) == ("pledge_not_registered", "released")
    refused = unchanged(
        old_listing,
        Conflict,
        lambda: disposal_backstop(actor=centre_user, disposal=old_listing, price="500000.00"),
    )
    assert (refused.code, refused.extra["state"]) == ("pledge_not_registered", "released")
    assert not AuditRecord.objects.filter(action__in=["disposal.bid", "disposal.backstop"])


def test_no_backstop_once_the_debt_is_repaid_and_the_loan_closed_minfadian_art436_393(
    old_listing: Disposal, centre_user: User, repay_in_full: Callable[..., Loan]
) -> None:
    repay_in_full(Loan.objects.get(pk=old_listing.loan_id))
    error = unchanged(
        old_listing,
        Conflict,
        lambda: disposal_backstop(actor=centre_user, disposal=old_listing, price="500000.00"),
    )
    assert (error.code, error.extra["state"]) == ("loan_not_defaulted", "closed")
    assert "不能收储" in error.detail_zh
    assert not AuditRecord.objects.filter(action="disposal.backstop").exists()
    assert not Notification.objects.filter(verb="disposal.backstop").exists()
