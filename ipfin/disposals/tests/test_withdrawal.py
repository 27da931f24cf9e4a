"""Withdrawing a listing (撤回挂牌, ipfin.disposals.services.disposal_withdraw): by the pledgee bank
that listed it, with its reason, before completion — listed with or without bids, or backstopped
(the backstop declined); the parties told; the pledge free to be listed again; each refusal
changing nothing.

Test names carry their source: `minfadian_art436` (the pledge secures the debt: a repaid debt
leaves nothing to realise), `minfadian_art393` (art. 393(1): 主债权消灭, the security right is
extinguished), `minfadian_art444` (the sale of a pledged right is the pledgee's own act: it may
decline a backstop it has not completed), `sifa_paimai_art26` (法释〔2016〕18号 art. 26: an auction
that drew no bid is held again at a lower reserve — here a new listing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from ipfin.accounts.models import Notification, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ipfin.disposals.models import WITHDRAW_REASON_MAX, Bid, Disposal
from ipfin.disposals.services import (
    disposal_backstop,
    disposal_complete,
    disposal_create,
    disposal_withdraw,
)
from ipfin.disposals.tests.conftest import FLOOR, INCREMENT, opening
from ipfin.loans.models import Loan
from ipfin.registry.models import Right
from ipfin.valuation.models import Valuation

pytestmark = pytest.mark.django_db
D = Decimal
Bidding = Callable[..., Any]
REASON = "借款人已于今日全额还款，贷款结清，质物无需处置"


def trail(disposal: Disposal) -> tuple[Any, ...]:
    """What a refused withdrawal must leave as it was: the row, its bids, the audit trail and
    the notifications."""
    return (
        Disposal.objects.filter(pk=disposal.pk).values().get(),
        list(Bid.objects.filter(disposal=disposal).values_list("pk", flat=True)),
        AuditRecord.objects.count(),
        Notification.objects.count(),
    )


def refused(disposal: Disposal, kind: type[Exception], **kw: Any) -> Any:
    before = trail(disposal)
    with pytest.raises(kind) as info:
        disposal_withdraw(disposal=disposal, **kw)
    assert trail(disposal) == before
    return info.value


def told(disposal: Disposal) -> dict[int, list[str]]:
    """The withdrawal's notifications by organisation: their Chinese texts."""
    rows = Notification.objects.filter(verb="disposal.withdraw", object_id=str(disposal.pk))
    by_org: dict[int, list[str]] = {}
    for org_id, text in rows.values_list("organisation_id", "message_zh"):
        by_org.setdefault(org_id, []).append(text)
    return by_org


def test_the_pledgee_withdraws_a_listing_with_bids_and_every_bidder_is_told_minfadian_art436(
    listing: Disposal,
    bid: Bidding,
    bank_a_user: User,
    enterprise_b_user: User,
    bank_b_user: User,
) -> None:
    """The debt repaid while bids stand: the bank takes the listing down; the bids stay on the
    record but lapse, each bidder organisation told once (enterprise_b bid twice)."""
    bid(enterprise_b_user, FLOOR)
    bid(bank_b_user, FLOOR + INCREMENT, timedelta(hours=2))
    bid(enterprise_b_user, FLOOR + 2 * INCREMENT, timedelta(hours=3))
    listing.refresh_from_db()
    before = listing.leading_amount
    done = disposal_withdraw(actor=bank_a_user, disposal=listing, reason=f"  {REASON}\n")
    stored = Disposal.objects.get(pk=listing.pk)
    assert (stored.state, stored.withdraw_reason, stored.withdrawn_by_id) == (
        "withdrawn",
        REASON,
        bank_a_user.pk,
    )
    assert stored.withdrawn_at is not None and done.withdrawn_at == stored.withdrawn_at
    # The bids are the board's record: kept, the leading one too; no sale.
    assert Bid.objects.filter(disposal=listing).count() == 3
    assert (stored.leading_amount, stored.buyer_id, stored.price) == (before, None, None)
    record = AuditRecord.objects.get(action="disposal.withdraw", object_id=str(listing.pk))
    assert (record.before["state"], record.after["state"]) == ("listed", "withdrawn")
    assert record.after["withdraw_reason"] == REASON
    assert sorted(record.after["bidder_ids"]) == sorted(
        [enterprise_b_user.organisation_id, bank_b_user.organisation_id]
    )
    borrower = Loan.objects.get(pk=listing.loan_id).enterprise_id
    messages = told(listing)
    assert set(messages) == {
        listing.pledgor_id,
        borrower,
        enterprise_b_user.organisation_id,
        bank_b_user.organisation_id,
    }
    assert all(len(texts) == 1 for texts in messages.values())  # each organisation once
    # The reason is the parties' (the pledgor reads it); a bidder is told the bidding ended.
    assert REASON in messages[listing.pledgor_id][0]
    assert "竞价终止" in messages[bank_b_user.organisation_id][0]
    assert REASON not in messages[bank_b_user.organisation_id][0]


def test_a_listing_without_bids_is_withdrawn_and_the_pledge_listed_again_sifa_paimai_art26(
    listing: Disposal,
    bank_a_user: User,
    value_on: Callable[..., Valuation],
    listed_on: Any,
) -> None:
    """An auction that drew no bid: the one live listing per pledge blocked listing it again at a
    lower reserve; withdrawn, it no longer does (a withdrawn listing is not live)."""
    (right,) = Right.objects.filter(pledge_items__pledge=listing.pledge_id)
    lower = value_on([right], listed_on - timedelta(days=1), cost="800000")  # 704,000.00
    again = {
        "pledge_id": listing.pledge_id,
        "method": "auction",
        "valuation_id": lower.pk,
        "reserve_price": "492800.00",  # 70 % of 704,000.00
        "increment": "5000.00",
        "listed_on": listed_on,
        "closes_at": opening(listed_on) + timedelta(days=2),
        "today": listed_on,
    }
    with pytest.raises(Conflict) as blocked:
        disposal_create(actor=bank_a_user, **again)
    assert blocked.value.code == "disposal_exists"

    disposal_withdraw(actor=bank_a_user, disposal=listing, reason="流拍，降低起拍价重新挂牌")
    assert set(told(listing)) == {
        listing.pledgor_id,
        Loan.objects.get(pk=listing.loan_id).enterprise_id,
    }  # no bidder to tell
    relisted = disposal_create(actor=bank_a_user, **again)
    assert (relisted.state, relisted.reserve_price) == ("listed", D("492800.00"))
    assert list(
        Disposal.objects.filter(pledge_id=listing.pledge_id).order_by("pk").values_list("state")
    ) == [("withdrawn",), ("listed",)]


def test_only_the_pledgee_that_listed_it_withdraws_a_listing(
    listing: Disposal, bank_b_user: User, enterprise_b_user: User, centre_user: User
) -> None:
    """Another bank: a 404, as for completion (it does not learn the listing is withdrawable);
    a bidder or the trading centre holds no `Perm.DISPOSAL_MANAGE`: 403. Nothing changes."""
    error = refused(listing, NotFound, actor=bank_b_user, reason=REASON)
    assert error.code == "disposal_not_found"
    for user in (enterprise_b_user, centre_user):
        assert refused(listing, PermissionDenied, actor=user, reason=REASON).code == "forbidden"
    assert Disposal.objects.get(pk=listing.pk).state == "listed"


@pytest.mark.parametrize("reason", ["", "   \n", None])
def test_a_withdrawal_states_its_reason(
    listing: Disposal, bank_a_user: User, reason: str | None
) -> None:
    error = refused(listing, ValidationFailed, actor=bank_a_user, reason=reason)
    assert (error.code, error.extra["field"]) == ("reason_required", "reason")


def test_a_reason_longer_than_the_other_reasons_is_refused_whole(
    listing: Disposal, bank_a_user: User
) -> None:
    error = refused(
        listing, ValidationFailed, actor=bank_a_user, reason="理" * (WITHDRAW_REASON_MAX + 1)
    )
    assert (error.code, error.extra["max_length"]) == ("reason_too_long", WITHDRAW_REASON_MAX)
    done = disposal_withdraw(actor=bank_a_user, disposal=listing, reason="理" * WITHDRAW_REASON_MAX)
    assert len(done.withdraw_reason) == WITHDRAW_REASON_MAX
    # Kept whole on the row and in the audit record; the notification quotes its beginning.
    record = AuditRecord.objects.get(action="disposal.withdraw", object_id=str(listing.pk))
    assert len(record.after["withdraw_reason"]) == WITHDRAW_REASON_MAX
    (quoted,) = told(listing)[listing.pledgor_id]
    assert len(quoted) <= 500 and quoted.endswith("理…")


def test_a_listing_is_withdrawn_once_and_a_completed_sale_never(
    listing: Disposal,
    list_pledge: Callable[..., Disposal],
    bid: Bidding,
    bank_a_user: User,
    enterprise_b_user: User,
) -> None:
    disposal_withdraw(actor=bank_a_user, disposal=listing, reason=REASON)
    again = refused(listing, Conflict, actor=bank_a_user, reason=REASON)
    assert (again.code, again.extra["state"]) == ("illegal_transition", "withdrawn")
    sold = list_pledge()
    bid(enterprise_b_user, FLOOR, on=sold)
    disposal_complete(actor=bank_a_user, disposal=sold)
    late = refused(sold, Conflict, actor=bank_a_user, reason=REASON)
    assert (late.code, late.extra["state"]) == ("illegal_transition", "completed")


def test_a_withdrawn_listing_takes_no_bid_and_is_not_completed(
    listing: Disposal, bid: Bidding, bank_a_user: User, enterprise_b_user: User
) -> None:
    bid(enterprise_b_user, FLOOR)
    disposal_withdraw(actor=bank_a_user, disposal=listing, reason=REASON)
    with pytest.raises(Conflict) as late_bid:
        bid(enterprise_b_user, FLOOR + INCREMENT, timedelta(hours=2))
    assert late_bid.value.code == "illegal_transition"
    with pytest.raises(Conflict) as sale:
        disposal_complete(actor=bank_a_user, disposal=listing)
    assert sale.value.code == "illegal_transition"
    assert Bid.objects.filter(disposal=listing).count() == 1
    assert Disposal.objects.get(pk=listing.pk).state == "withdrawn"


def test_the_pledgee_declines_a_backstop_and_nobody_completes_it_minfadian_art444(
    old_listing: Disposal, centre_user: User, bank_a_user: User
) -> None:
    """The trading centre bought the listing (收储); the sale is the pledgee's own act, which it
    has not done: it withdraws the listing instead. The centre is told; no one completes the
    sale after it, and the centre cannot buy it again."""
    disposal_backstop(actor=centre_user, disposal=old_listing, price="500000.00")
    done = disposal_withdraw(
        actor=bank_a_user, disposal=old_listing, reason="质权人不同意按收储价格成交"
    )
    assert (done.state, done.buyer_id, done.price) == ("withdrawn", None, None)
    # Who backstopped, when, and at what price stay on record.
    assert done.backstopped_by_id == centre_user.pk and done.backstopped_at is not None
    record = AuditRecord.objects.get(action="disposal.withdraw", object_id=str(old_listing.pk))
    assert (record.before["state"], record.before["buyer_id"], record.before["price"]) == (
        "backstopped",
        centre_user.organisation_id,
        "500000.00",
    )
    assert record.after["declined_backstop_by"] == centre_user.organisation_id
    messages = told(old_listing)
    assert "不再按贵单位的收储价格成交" in messages[centre_user.organisation_id][0]
    assert old_listing.pledgor_id in messages
    with pytest.raises(Conflict) as sale:
        disposal_complete(actor=bank_a_user, disposal=old_listing)
    assert sale.value.code == "illegal_transition"
    with pytest.raises(PermissionDenied):
        disposal_complete(actor=centre_user, disposal=old_listing)
    with pytest.raises(Conflict) as rebuy:
        disposal_backstop(actor=centre_user, disposal=old_listing, price="500000.00")
    assert rebuy.value.code == "illegal_transition"
    assert Disposal.objects.get(pk=old_listing.pk).state == "withdrawn"


def test_after_the_debt_is_repaid_the_pledgee_withdraws_the_listing_minfadian_art393(
    listing: Disposal,
    bid: Bidding,
    bank_a_user: User,
    enterprise_b_user: User,
    repay_in_full: Callable[..., Loan],
    release_pledge: Callable[..., Any],
) -> None:
    """The way out the listing lacked: repaid, closed and released, the completion is refused
    for ever; the withdrawal takes the listing off the board."""
    bid(enterprise_b_user, FLOOR)
    repay_in_full(Loan.objects.get(pk=listing.loan_id))
    release_pledge(listing.pledge)
    with pytest.raises(Conflict) as sale:
        disposal_complete(actor=bank_a_user, disposal=listing)
    assert sale.value.code == "pledge_not_registered"
    done = disposal_withdraw(actor=bank_a_user, disposal=listing, reason=REASON)
    assert done.state == "withdrawn"
    assert enterprise_b_user.organisation_id in told(listing)
