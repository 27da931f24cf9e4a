"""Completing a sale (ipfin.disposals.services.disposal_complete): the register's transfer, the
pledge's release, the price applied to the loan, the claim named, in one transaction; each
refusal changing nothing.

Test names carry their source: `issue12` (issue 12, "A completed sale records the transfer in the
registry, releases the pledge, settles the loan and posts the compensation settlement"),
`minfadian_art436` (the pledgee is paid first out of the price), `minfadian_art438` (the rest is
the pledgor's, a shortfall still the debtor's), `minfadian_art444` (no transfer of a pledged right
without the pledgee's consent: here the sale is the pledgee's own act)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.utils import timezone

from ipfin.accounts.models import Notification, Organisation, OrganisationKind, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ipfin.common.money import money_str
from ipfin.disposals.models import Disposal
from ipfin.disposals.services import disposal_backstop, disposal_complete
from ipfin.disposals.tests.conftest import FLOOR, backstop_day, open_backstop_day
from ipfin.loans.models import Loan, Repayment
from ipfin.loans.services import loan_write_off
from ipfin.pledges.models import Pledge
from ipfin.registry.models import Right, RightEvent, RightOwner
from ipfin.registry.services import right_transfer_on_realisation
from ipfin.risk.models import RiskClaim
from ipfin.risk.selectors import (
    allowed_claim_actions,
    claim_payable,
    claim_refundable,
    fund_balance,
)
from ipfin.risk.services import (
    claim_approve,
    claim_file,
    claim_pay,
    claim_refund_receive,
    claim_settle,
    fund_budget,
    scheme_create,
)

pytestmark = pytest.mark.django_db
D = Decimal
Defaulted = Callable[..., tuple[Pledge, Right, Loan]]


def state_of(disposal: Disposal) -> tuple[Any, ...]:
    """What a refused completion must leave as it was."""
    pledge = Pledge.objects.get(pk=disposal.pledge_id)
    loan = Loan.objects.get(pk=disposal.loan_id)
    return (
        Disposal.objects.filter(pk=disposal.pk).values().get(),
        (pledge.state, pledge.release_basis),
        (loan.state, loan.outstanding_principal),
        sorted(RightOwner.objects.filter(valid_to__isnull=True).values_list("right_id", "name")),
        RightEvent.objects.count(),
        Repayment.objects.count(),
    )


def refused(disposal: Disposal, kind: type[Exception], **kw: Any) -> Any:
    before = state_of(disposal)
    with pytest.raises(kind) as info:
        disposal_complete(disposal=disposal, **kw)
    assert state_of(disposal) == before
    return info.value


@pytest.fixture
def sold(listing: Disposal, bid: Callable[..., Any], enterprise_b_user: User) -> Disposal:
    """The listing with enterprise_b's bid of 900,000.00 standing; its close has passed."""
    bid(enterprise_b_user, D("900000.00"))
    listing.refresh_from_db()
    return listing


def test_the_sale_transfers_the_right_releases_the_pledge_and_repays_the_loan_issue12(
    sold: Disposal, bank_a_user: User, enterprise_b: Organisation, today: date
) -> None:
    loan = Loan.objects.get(pk=sold.loan_id)
    (right,) = sold.rights.all()
    done = disposal_complete(actor=bank_a_user, disposal=sold, disposal_costs="20000.00")
    assert (done.state, done.buyer_id, done.price, done.completed_on) == (
        "completed",
        enterprise_b.pk,
        D("900000.00"),
        today,
    )
    # The register: the buyer is the sole owner from today, the transfer carries the consent.
    owners = RightOwner.objects.filter(right=right, valid_to__isnull=True)
    assert [(o.organisation_id, o.share) for o in owners] == [(enterprise_b.pk, 1)]
    event = RightEvent.objects.get(right=right, type="transfer")
    assert event.date == today and event.payload["price"] == "900000.00"
    assert event.payload["pledgee_consent"] is True
    assert event.payload["consent_document"].startswith(f"质物处置项目 #{sold.pk}成交确认")
    # The pledge: released today, realised.
    pledge = Pledge.objects.get(pk=sold.pledge_id)
    assert (pledge.state, pledge.release_basis, pledge.released_on) == (
        "released",
        "realised",
        today,
    )
    # The loan: repaid in full with the price less the costs, and closed.
    loan.refresh_from_db()
    repayment = Repayment.objects.get(loan=loan)
    assert (loan.state, loan.outstanding_principal) == ("closed", 0)
    assert done.repayment_id == repayment.pk and repayment.amount == done.to_loan == done.owed
    assert done.owed > D("408000.00")  # principal, interest and the penalties to today
    assert done.to_pledgor == D("880000.00") - done.owed and done.shortfall == 0
    record = AuditRecord.objects.get(action="disposal.complete", object_id=str(sold.pk))
    assert record.after["loan_state"] == "closed" and record.after["pledge_released"] is True
    assert record.after["right_event_ids"] == [event.pk]


def test_what_exceeds_the_debt_goes_back_to_the_pledgor_and_the_parties_are_told_minfadian_art438(
    sold: Disposal, bank_a_user: User, enterprise_b: Organisation
) -> None:
    done = disposal_complete(actor=bank_a_user, disposal=sold)
    assert done.disposal_costs == 0
    assert done.to_loan + done.to_pledgor == D("900000.00")
    buyer = Notification.objects.get(organisation=enterprise_b, verb="disposal.complete")
    assert "900,000.00 元" in buyer.message_zh
    pledgor = Notification.objects.get(organisation_id=sold.pledgor_id, verb="disposal.complete")
    assert f"{done.to_pledgor:,} 元" in pledgor.message_zh and "贷款已结清" in pledgor.message_zh


def test_a_price_below_the_debt_leaves_the_shortfall_owed_and_the_loan_open_minfadian_art438(
    defaulted: Callable[..., Any],
    list_pledge: Callable[..., Disposal],
    bid: Callable[..., Any],
    enterprise_b_user: User,
    bank_a_user: User,
) -> None:
    pledge, _right, loan = defaulted(principal="600000.00")
    listing = list_pledge(pledge)
    bid(enterprise_b_user, FLOOR, on=listing)
    done = disposal_complete(actor=bank_a_user, disposal=listing, disposal_costs="16000.00")
    assert (done.to_loan, done.to_pledgor) == (D("600000.00"), 0)
    assert done.shortfall == done.owed - D("600000.00") > 0
    loan.refresh_from_db()
    assert loan.state == "repaying" and loan.outstanding_principal > 0
    assert Repayment.objects.get(loan=loan).amount == D("600000.00")
    # Writing the shortfall off is the bank's own decision, never the sale's side effect.
    assert loan.written_off_on is None
    assert Pledge.objects.get(pk=pledge.pk).state == "released"


def test_a_written_off_loan_records_the_recovery_on_the_disposal_only_issue12(
    defaulted: Callable[..., Any],
    list_pledge: Callable[..., Disposal],
    bid: Callable[..., Any],
    enterprise_b_user: User,
    bank_a_user: User,
) -> None:
    """账销案存: a written-off loan takes no repayment (its state is final); the price repays the
    debt off the books, recorded on the disposal and its audit record."""
    pledge, _right, loan = defaulted(category="loss")
    loan_write_off(
        actor=bank_a_user, loan=loan, reason="认定损失，予以核销", today=date(2025, 7, 1)
    )
    listing = list_pledge(pledge)
    bid(enterprise_b_user, D("900000.00"), on=listing)
    done = disposal_complete(actor=bank_a_user, disposal=listing)
    loan.refresh_from_db()
    assert loan.state == "written_off" and not Repayment.objects.filter(loan=loan).exists()
    assert done.repayment_id is None and done.to_loan == done.owed > 0
    record = AuditRecord.objects.get(action="disposal.complete", object_id=str(listing.pk))
    assert record.after["recovered_after_write_off"] == str(done.to_loan)


def test_a_backstopped_listing_is_sold_to_the_trading_centre_issue12(
    list_pledge: Callable[..., Disposal], centre_user: User, centre: Organisation, bank_a_user: User
) -> None:
    day = open_backstop_day()
    listing = list_pledge(listed_on=day, today=day)
    disposal_backstop(actor=centre_user, disposal=listing, price="500000.00")
    done = disposal_complete(actor=bank_a_user, disposal=listing)
    (right,) = listing.rights.all()
    assert (done.buyer_id, done.price) == (centre.pk, D("500000.00"))
    assert RightOwner.objects.get(right=right, valid_to__isnull=True).organisation_id == centre.pk


def test_a_claim_on_the_loan_is_named_and_the_office_told_its_figures_issue12(
    sold: Disposal,
    bank_a_user: User,
    office_user: User,
    make_org: Callable[..., Organisation],
) -> None:
    """claim_settle is the IP office's action (Perm.RISK_CLAIM_REVIEW): the seller's completion
    names the claim and tells the office the proceeds and costs its settlement takes."""
    fund = make_org(OrganisationKind.RISK_FUND, "风险补偿基金")
    scheme = scheme_create(
        actor=office_user,
        fund_id=fund.pk,
        name="前置代偿",
        mode="front_loaded",
        shares={"fund": "0.4", "bank": "0.3", "guarantor": "0.2", "insurer": "0.1"},
    )
    claim = claim_file(actor=bank_a_user, loan_id=sold.loan_id, scheme_id=scheme.pk)
    done = disposal_complete(actor=bank_a_user, disposal=sold, disposal_costs="20000.00")
    assert done.claim_id == claim.pk
    told = Notification.objects.get(verb="disposal.claim_settlement")
    assert told.organisation_id == office_user.organisation_id
    assert "900,000.00 元" in told.message_zh and "20,000.00 元" in told.message_zh


def _scheme_and_checker(
    office_user: User, make_org: Callable[..., Organisation], make_user: Callable[..., User]
) -> tuple[Any, User]:
    fund = make_org(OrganisationKind.RISK_FUND, "风险补偿基金")
    checker = make_user("checker", office_user.organisation)
    scheme = scheme_create(
        actor=office_user,
        fund_id=fund.pk,
        name="前置代偿",
        mode="front_loaded",
        shares={"fund": "0.4", "bank": "0.3", "guarantor": "0.2", "insurer": "0.1"},
    )
    fund_budget(actor=office_user, fund_id=fund.pk, amount="5000000.00", memo="财金〔2026〕1号")
    return scheme, checker


def _advance_paid(
    disposal: Disposal,
    bank: User,
    office_user: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> RiskClaim:
    """A front-loaded scheme's claim on the disposal's loan, approved and its advance paid (by
    a second office user): the claim awaits the disposal."""
    scheme, checker = _scheme_and_checker(office_user, make_org, make_user)
    claim = claim_file(actor=bank, loan_id=disposal.loan_id, scheme_id=scheme.pk)
    claim_approve(actor=office_user, claim=claim)
    claim_pay(actor=checker, claim=claim)
    claim.refresh_from_db()
    return claim


def test_a_sale_settles_the_claim_awaiting_it_in_its_transaction_issue12(
    sold: Disposal,
    bank_a_user: User,
    office_user: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> None:
    """The advance paid, the claim awaits the disposal: completing the sale posts the settlement
    (issue 12: "a completed sale ... posts the compensation settlement"); what the fund may still
    owe the bank is released by an office user, not by the bank that settled; what the bank is
    to return is the fund's money once an office user records it received."""
    claim = _advance_paid(sold, bank_a_user, office_user, make_org, make_user)
    assert claim.state == "awaiting_disposal"

    disposal_complete(actor=bank_a_user, disposal=sold, disposal_costs="20000.00")
    claim.refresh_from_db()
    assert (claim.proceeds, claim.disposal_costs) == (D("900000.00"), D("20000.00"))
    assert claim.settled_by == bank_a_user and claim.settlement is not None
    assert claim.advance is not None and claim.fund_part is not None
    assert claim.settlement == claim.fund_part - claim.advance
    assert Notification.objects.filter(verb="disposal.claim_settled").exists()
    # The sale repaid most of the loan: the bank owes back part of the advance, and the office
    # is told to record it once received (not to release a payment).
    assert claim.settlement < 0 and claim.state == "refund_due"
    told = Notification.objects.get(verb="disposal.claim_settled").message_zh
    assert "银行应退还代偿款" in told and "确认收到" in told and "复核拨付" not in told
    fund_id = claim.scheme.fund_id
    before = fund_balance(fund_id)
    closed = claim_refund_receive(actor=office_user, claim=claim)
    assert closed.state == "closed"
    assert fund_balance(fund_id) == before - claim.settlement


def test_a_sale_after_the_borrower_repaid_settles_on_what_the_loan_owed_issue12(
    listing: Disposal,
    bid: Callable[..., Any],
    enterprise_b_user: User,
    bank_a_user: User,
    office_user: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> None:
    """The borrower repaid 350,000.00 after the claim was filed and the advance paid; the sale
    then covers all the loan owes (no shortfall, the rest to the pledgor): no loss, so the bank
    returns the advance. The settlement had shared a loss of 58,000.00 on a repaid loan."""
    from ipfin.loans.services import loan_repay

    claim = _advance_paid(listing, bank_a_user, office_user, make_org, make_user)
    loan_repay(actor=bank_a_user, loan=Loan.objects.get(pk=listing.loan_id), amount="350000.00")
    bid(enterprise_b_user, D("650000.00"))
    listing.refresh_from_db()
    done = disposal_complete(actor=bank_a_user, disposal=listing, disposal_costs="300000.00")
    assert done.shortfall == 0 and done.to_pledgor > 0
    claim.refresh_from_db()
    assert claim.loss == 0 and claim.fund_part == 0
    assert claim.advance is not None and claim.settlement == -claim.advance


# --- refusals ----------------------------------------------------------------------------------


def test_before_the_close_the_sale_is_not_completed_issue12(
    listing: Disposal, bid: Callable[..., Any], enterprise_b_user: User, bank_a_user: User
) -> None:
    bid(enterprise_b_user, FLOOR)
    listing.refresh_from_db()
    early = listing.closes_at - timedelta(seconds=1)
    error = refused(listing, Conflict, actor=bank_a_user, now=early)
    assert (error.code, error.extra["closes_at"]) == (
        "bidding_open",
        timezone.localtime(listing.closes_at).isoformat(),
    )


def test_without_a_bid_nothing_is_sold_but_the_backstop_is_named_issue12(
    listing: Disposal, bank_a_user: User
) -> None:
    error = refused(listing, Conflict, actor=bank_a_user)
    assert (error.code, error.extra["backstop_from"]) == (
        "no_bid",
        backstop_day(listing.listed_on).isoformat(),
    )


def test_only_the_pledgee_completes_its_own_sale(
    sold: Disposal, bank_b_user: User, enterprise_b_user: User, centre_user: User
) -> None:
    assert refused(sold, NotFound, actor=bank_b_user).code == "disposal_not_found"
    for user in (enterprise_b_user, centre_user):
        assert refused(sold, PermissionDenied, actor=user).code == "forbidden"


def test_costs_above_the_price_are_refused(sold: Disposal, bank_a_user: User) -> None:
    error = refused(sold, ValidationFailed, actor=bank_a_user, disposal_costs="900000.01")
    assert (error.code, error.extra["field"]) == ("disposal_costs_exceed_price", "disposal_costs")


def test_a_sale_is_completed_once(sold: Disposal, bank_a_user: User) -> None:
    disposal_complete(actor=bank_a_user, disposal=sold)
    assert refused(sold, Conflict, actor=bank_a_user).code == "illegal_transition"


def test_a_failure_late_in_the_completion_leaves_everything_as_it_was_issue12(
    sold: Disposal, bank_a_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One transaction: the register's transfer and the release are undone when the loan's
    repayment fails."""

    def failing(**kw: Any) -> Any:
        raise Conflict("还款登记失败", "the repayment failed", code="repayment_failed")

    monkeypatch.setattr("ipfin.disposals.services.completion.loan_repay", failing)
    assert refused(sold, Conflict, actor=bank_a_user).code == "repayment_failed"


def test_only_a_pledgee_of_the_right_records_a_transfer_by_realisation_minfadian_art444(
    sold: Disposal, bank_b_user: User, enterprise_b: Organisation, today: date
) -> None:
    (right,) = sold.rights.all()
    before = RightEvent.objects.count()
    with pytest.raises(PermissionDenied) as info:
        right_transfer_on_realisation(
            actor=bank_b_user, right=right, date=today, buyer=enterprise_b, price=None, basis="x"
        )
    assert info.value.code == "not_pledgee" and RightEvent.objects.count() == before


def test_a_debt_repaid_in_full_is_not_realised_before_the_loan_is_closed_minfadian_art393(
    sold: Disposal, bank_a_user: User, repay_in_full: Callable[..., Loan]
) -> None:
    """The borrower repaid in full after the bid; the bank has not closed the loan yet. The debt
    is extinguished and the pledge with it (主债权消灭, art. 393(1)): the sale would take the
    pledgor's right for a debt of nothing (the completion had repaid 0.00 and handed the whole
    price to the pledgor, the right to the buyer). The bank withdraws the listing instead."""
    repay_in_full(Loan.objects.get(pk=sold.loan_id), close=False)
    error = refused(sold, Conflict, actor=bank_a_user)
    assert (error.code, error.extra["repaid_in_full"]) == ("loan_not_defaulted", True)
    assert "不能成交" in error.detail_zh


@pytest.fixture
def guarantor_user(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> User:
    return make_user(
        "guarantor_staff", make_org(OrganisationKind.GUARANTOR, "示范融资担保有限公司")
    )


def _guaranteed(loan: Loan, bank_a_user: User, guarantor_user: User, *, pay: bool) -> Any:
    """A guarantee of half the loss within 1,000,000.00 on `loan`, issued and called (the loan is
    classified 次级), paid when `pay`."""
    from ipfin.guarantees.services import (
        guarantee_call,
        guarantee_decide,
        guarantee_pay,
        guarantee_request,
    )

    g = guarantee_request(
        actor=bank_a_user, loan_id=loan.pk, guarantor_id=guarantor_user.organisation_id,
        share="0.5", cap="1000000.00", fee_rate="0.01", period_months=36,
    )  # fmt: skip
    guarantee_decide(actor=guarantor_user, guarantee=g.pk, decision="issue")
    g = guarantee_call(actor=bank_a_user, guarantee=g.pk)
    if pay:
        g = guarantee_pay(actor=guarantor_user, guarantee=g.pk)
    return g


SoldGuaranteed = Callable[..., tuple[Any, Disposal]]


@pytest.fixture
def sell_guaranteed(
    defaulted: Defaulted,
    list_pledge: Callable[..., Disposal],
    bid: Callable[..., Any],
    enterprise_b_user: User,
    bank_a_user: User,
    guarantor_user: User,
) -> SoldGuaranteed:
    """A loan of 2,000,000.00 classified `category` with its guarantee (`_guaranteed`; written
    off first when `write_off`), its pledge then sold for 900,000.00: (the guarantee, reread; the
    completed disposal), or with `complete=False` the listing with the bid standing."""

    def sell(
        *, pay: bool, category: str = "substandard", write_off: bool = False, complete: bool = True
    ) -> Any:
        pledge, _right, loan = defaulted(principal="2000000.00", category=category)
        g = _guaranteed(loan, bank_a_user, guarantor_user, pay=pay)
        assert (g.loss, g.due) == (D("2000000.00"), D("1000000.00"))
        if write_off:
            loan_write_off(
                actor=bank_a_user, loan=loan, reason="认定损失，予以核销", today=date(2025, 7, 1)
            )
        listing = list_pledge(pledge)
        bid(enterprise_b_user, D("900000.00"), on=listing)
        if not complete:  # the listing with its bid standing, the sale not completed
            return g, listing
        done = disposal_complete(actor=bank_a_user, disposal=listing)
        g.refresh_from_db()
        return g, done

    return sell


def _half_of_what_is_left(recovered: Decimal) -> Decimal:
    """The guarantor's part (half, within a cap that does not bind) of the 2,000,000.00 loss
    less what was recovered, half up to the fen."""
    return ((D("2000000.00") - recovered) * D("0.5")).quantize(D("0.01"), ROUND_HALF_UP)


def test_a_sale_leaving_a_shortfall_records_the_guarantors_refund_so_far_then_the_rest_issue16(
    sell_guaranteed: SoldGuaranteed, guarantor_user: User, bank_a_user: User, today: date
) -> None:
    """The guarantor paid its part of the loss (half of 2,000,000.00: 1,000,000.00); the pledge
    then sells for 900,000.00, which repays part of the principal and leaves a shortfall: the
    guarantee stays paid with the principal recovered so far and what the bank returns for it
    now, and the guarantor is told. The borrower later repays the rest; the bank settles: all
    the principal recovered, everything the guarantor paid comes back."""
    from ipfin.guarantees.services import guarantee_recover
    from ipfin.loans.selectors import loan_position
    from ipfin.loans.services import loan_close, loan_repay

    g, done = sell_guaranteed(pay=True)
    principal = Repayment.objects.get(pk=done.repayment_id).principal_part
    assert D("0") < principal <= D("900000.00")
    refund = D("1000000.00") - _half_of_what_is_left(principal)
    assert (g.state, g.proceeds, g.refund) == ("paid", principal, refund)
    assert g.refund > 0
    told = Notification.objects.filter(
        organisation_id=guarantor_user.organisation_id, verb="guarantee.recover"
    )
    assert told.count() == 1 and money_str(g.refund) in told.get().message_zh
    record = AuditRecord.objects.get(action="guarantee.recover_interim")
    assert record.after["by_sale"] is True
    # Still being recovered: the bank cannot settle yet.
    with pytest.raises(Conflict) as pending:
        guarantee_recover(actor=bank_a_user, guarantee=g.pk)
    assert pending.value.code == "recovery_pending"
    loan = Loan.objects.get(pk=done.loan_id)
    position = loan_position(loan, today)
    assert position is not None
    loan_repay(actor=bank_a_user, loan=loan, amount=position.amount_to_settle, today=today)
    loan_close(actor=bank_a_user, loan=Loan.objects.get(pk=loan.pk), today=today)
    settled = guarantee_recover(actor=bank_a_user, guarantee=g.pk)
    assert (settled.state, settled.proceeds, settled.refund) == (
        "settled",
        D("2000000.00"),
        D("1000000.00"),
    )


def test_the_sale_lowers_what_a_called_guarantee_still_owes_issue16(
    sell_guaranteed: SoldGuaranteed,
) -> None:
    """Called but not yet paid when the pledge sells: the guarantor owes its part of the loss the
    sale left, not of the loss before it."""
    g, done = sell_guaranteed(pay=False)
    principal = Repayment.objects.get(pk=done.repayment_id).principal_part
    assert (g.state, g.proceeds, g.due) == ("called", principal, _half_of_what_is_left(principal))
    assert g.due < D("1000000.00")


def test_a_sale_after_the_write_off_settles_the_guarantee_on_the_principal_it_repaid_off_the_books(
    sell_guaranteed: SoldGuaranteed,
) -> None:
    """账销案存: the written-off loan takes no repayment; the price repays the debt off the
    books, penalties and interest first (民法典 art. 561), so the guarantee is settled on the
    principal part — what the price left after the rest of the debt owed on the day — not on
    the whole price."""
    g, done = sell_guaranteed(pay=True, category="loss", write_off=True)
    assert done.repayment_id is None and done.to_loan is not None and done.owed is not None
    principal = done.to_loan - (done.owed - D("2000000.00"))
    assert D("0") < principal < done.to_loan
    refund = D("1000000.00") - _half_of_what_is_left(principal)
    assert (g.state, g.proceeds, g.refund) == ("settled", principal, refund)


def test_a_written_off_loan_is_not_settled_while_its_pledge_may_still_be_sold_issue16(
    defaulted: Defaulted, bank_a_user: User, guarantor_user: User
) -> None:
    """A written-off loan's pledge survives the write-off and may still be sold: settled now,
    the guarantor would never see what the sale recovers (409 `recovery_pending`)."""
    from ipfin.guarantees.services import guarantee_recover

    _pledge, _right, loan = defaulted(principal="2000000.00", category="loss")
    g = _guaranteed(loan, bank_a_user, guarantor_user, pay=True)
    loan_write_off(
        actor=bank_a_user, loan=loan, reason="认定损失，予以核销", today=date(2025, 7, 1)
    )
    with pytest.raises(Conflict) as pending:
        guarantee_recover(actor=bank_a_user, guarantee=g.pk)
    assert pending.value.code == "recovery_pending"
    g.refresh_from_db()
    assert (g.state, g.proceeds, g.refund) == ("paid", None, None)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_recovery_and_a_sale_at_once_queue_on_the_loan_never_deadlock(
    sell_guaranteed: SoldGuaranteed,
    bank_a_user: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bank's settlement and the sale of the pledge, at the same moment, on one written-off
    loan: both take the loan's row lock first, then the guarantee's, so one waits for the
    other — never a deadlock (they took them in opposite orders, and one died with a database
    error). Both paths are held between their locks until the other has started."""
    import contextlib
    import threading

    from django.db import connection

    from ipfin.common.tests.concurrency import run_at_once
    from ipfin.guarantees import services as guarantee_services

    assert connection.vendor == "postgresql"
    g, listing = sell_guaranteed(pay=True, category="loss", write_off=True, complete=False)
    original = guarantee_services._claim_filed
    meet = threading.Barrier(2)

    def claim_filed(loan_id: int) -> bool:
        with contextlib.suppress(threading.BrokenBarrierError):
            meet.wait(timeout=3)
        return original(loan_id)

    monkeypatch.setattr(guarantee_services, "_claim_filed", claim_filed)

    def work(i: int) -> object:
        bank = User.objects.select_related("organisation").get(pk=bank_a_user.pk)
        if i == 0:
            return guarantee_services.guarantee_recover(actor=bank, guarantee=g.pk).state
        return disposal_complete(actor=bank, disposal=Disposal.objects.get(pk=listing.pk)).state

    outcomes = run_at_once(work, count=2)
    assert all(kind != "error" for kind, _ in outcomes), outcomes
    assert ("ok", "completed") in outcomes


def test_a_claim_settled_by_hand_after_the_sale_counts_its_proceeds_once_issue12(
    listing: Disposal,
    bid: Callable[..., Any],
    enterprise_b_user: User,
    bank_a_user: User,
    office_user: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> None:
    """The claim filed before the sale, approved and paid after it; the office settles it with
    the price and costs the completion told it. The sale's repayment had lowered the loan's
    principal already, and the settlement took the proceeds off that lowered principal again:
    a loss of 136,490.01 where the same sale settled by the disposal itself gives 208,000.00
    (400,000.00 less 616,000.00 − 416,000.00 costs − 8,000.00 interest), the fund's 40 % part
    28,604.00 too low. The completion now keeps the sale's repayment on the claim."""
    scheme, checker = _scheme_and_checker(office_user, make_org, make_user)
    claim = claim_file(actor=bank_a_user, loan_id=listing.loan_id, scheme_id=scheme.pk)
    bid(enterprise_b_user, FLOOR)  # 616,000.00
    listing.refresh_from_db()
    done = disposal_complete(actor=bank_a_user, disposal=listing, disposal_costs="416000.00")
    claim.refresh_from_db()
    assert done.repayment is not None and claim.sale_repayment_id == done.repayment.pk
    kept = AuditRecord.objects.get(action="risk.claim_sale_recorded")
    assert kept.object_id == str(claim.pk) and kept.actor_id == bank_a_user.pk
    assert D(Loan.objects.get(pk=listing.loan_id).outstanding_principal) < D("400000.00")
    claim_approve(actor=office_user, claim=claim)
    claim_pay(actor=checker, claim=claim)
    claim_settle(
        actor=office_user, claim=claim, proceeds=str(done.price), disposal_costs="416000.00"
    )
    claim.refresh_from_db()
    assert claim.loss == D("208000.00")
    assert claim.fund_part == D("83200.00")  # 40 % of the loss


def test_a_claim_approved_before_the_sale_closed_the_loan_settles_without_its_advance_issue12(
    listing: Disposal,
    bid: Callable[..., Any],
    enterprise_b_user: User,
    bank_a_user: User,
    office_user: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> None:
    """An advance approved but not released when the sale repays and closes the loan can never
    be paid (the loan is no longer non-performing), and the claim could be neither settled nor
    rejected: 160,000.00 stayed owed to the bank on the fund's books, the live claim for good.
    Now the office settles it from `approved`: the sale covers the loan, no loss, the approved
    advance reversed on the books, the claim closed, nothing paid or to be returned."""
    scheme, checker = _scheme_and_checker(office_user, make_org, make_user)
    claim = claim_file(actor=bank_a_user, loan_id=listing.loan_id, scheme_id=scheme.pk)
    claim_approve(actor=office_user, claim=claim)
    assert claim_payable(claim.pk) == D("160000.00")
    bid(enterprise_b_user, D("900000.00"))
    listing.refresh_from_db()
    disposal_complete(actor=bank_a_user, disposal=listing, disposal_costs="20000.00")
    assert Loan.objects.get(pk=listing.loan_id).state == "closed"
    with pytest.raises(Conflict) as paid:
        claim_pay(actor=checker, claim=claim)
    assert paid.value.code == "loan_not_non_performing"
    claim.refresh_from_db()
    assert {a.value for a in allowed_claim_actions(claim)} == {"settle"}  # what its page offers
    settled = claim_settle(
        actor=office_user, claim=claim, proceeds="900000.00", disposal_costs="20000.00"
    )
    assert settled.state == "closed" and settled.loss == D("0.00")
    assert (settled.advance, settled.settlement) == (D("0.00"), D("0.00"))
    assert claim_payable(claim.pk) == 0 and claim_refundable(claim.pk) == 0
    record = AuditRecord.objects.get(action="risk.claim_settle")
    assert record.after["advance_withdrawn"] == "160000.00"


@pytest.mark.parametrize("above_the_refund", [D("10000.00"), D("450000.01")])
def test_a_claims_settlement_after_a_refund_came_in_counts_it_issue16(
    sell_guaranteed: SoldGuaranteed,
    guarantor_user: User,
    bank_a_user: User,
    above_the_refund: Decimal,
) -> None:
    """A sale's shortfall refunded the guarantor part of what it paid, and it recorded that
    refund as received; then a compensation claim's settlement fixes its part higher (the claim's
    loss counts the interest too). What it bears so far is its payment less that refund: it is
    called for the difference (not told the bank owes it nothing more while 10,000.00 too much
    had come back; not asked to pay the whole part again, the refund forgotten), and once it
    pays, it bears exactly its part. The claim's figures are stated as the risk app's settlement
    hands them to the guarantee (the claim itself is the risk app's, tested there)."""
    from ipfin.guarantees import services as guarantees
    from ipfin.risk.models import RiskClaim

    g, _done = sell_guaranteed(pay=True)
    paid, interim = Decimal(g.paid), Decimal(g.refund)
    assert interim > 0
    guarantees.guarantee_refund_receive(actor=guarantor_user, guarantee=g.pk, amount=interim)
    part = paid - interim + above_the_refund
    settled = RiskClaim(
        pk=10**9, cover=[{"party": "guarantor", "ref": f"guarantee:{g.pk}"}],
        guarantor_part=part, loss=D("2000000.00"), proceeds=D("900000.00"),
    )  # fmt: skip
    g = guarantees.guarantee_settle_by_claim(claim=settled, actor=bank_a_user)
    assert g is not None and g.state == "called"
    assert guarantees.still_to_pay(g) == above_the_refund
    assert guarantees.refund_outstanding(g) == 0
    told = Notification.objects.filter(verb="guarantee.settle_by_claim").latest("id")
    assert f"尚应代偿 {above_the_refund} 元" in told.message_zh
    g = guarantees.guarantee_pay(actor=guarantor_user, guarantee=g.pk)
    assert Decimal(g.paid) - Decimal(g.refund_received) == part  # what it bears, all told
    assert (g.paid, g.state) == (paid + above_the_refund, "paid")
