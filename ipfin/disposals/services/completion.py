"""`disposal_complete`: the sale completed in one transaction (see the package docstring)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ipfin.accounts.models import Organisation, User
from ipfin.accounts.permissions import Perm, require
from ipfin.accounts.selectors import ip_office_ids
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.display import money_pair, yuan_en, yuan_exact
from ipfin.common.errors import Conflict, invalid
from ipfin.common.inputs import optional_amount_in
from ipfin.common.money import money_str
from ipfin.disposals import selectors
from ipfin.disposals.domain import (
    DisposalAction,
    DisposalMethod,
    DisposalState,
    backstop_from,
    split_proceeds,
)
from ipfin.disposals.models import Disposal
from ipfin.disposals.services._common import (
    REPAYABLE,
    ZERO,
    label,
    lock,
    now_or,
    pledged_right_ids,
    refuse_while_open,
    snapshot,
    still_realisable,
    transition,
)
from ipfin.guarantees.services import guarantee_settle_after_sale
from ipfin.holidays.selectors import working_calendar
from ipfin.loans.domain import InstalmentState, amount_to_settle, apply_repayment
from ipfin.loans.domain.status import LoanState
from ipfin.loans.models import Installment, Loan, Repayment
from ipfin.loans.selectors import instalment_states, loan_terms
from ipfin.loans.services import loan_close, loan_repay
from ipfin.pledges.models import Pledge, ReleaseBasisChoices
from ipfin.pledges.services import pledge_release
from ipfin.registry.services import right_transfer_on_realisation
from ipfin.risk.domain.claims import ClaimState
from ipfin.risk.services import claim_sale_recorded, claim_settle_on_disposal

__all__ = ["disposal_complete"]

_SETTLED = (ClaimState.SETTLED.value, ClaimState.REFUND_DUE.value, ClaimState.CLOSED.value)


def _instalments(loan: Loan, day: date) -> list[InstalmentState]:
    """The loan's instalments as the repayment rules take them, read once for the sale (the
    rules work on copies); none for a loan not disbursed by `day`."""
    if loan.disbursed_on is None or day < loan.disbursed_on:
        return []
    rows = list(Installment.objects.filter(loan=loan).order_by("n"))
    return instalment_states(rows, working_calendar()) if rows else []


def _owed(loan: Loan, states: list[InstalmentState], day: date) -> Decimal:
    """What repays the loan in full on `day` (penalties to the day, interest earned, principal:
    the loans app's own rule), from its instalments; 0.00 for a loan with none."""
    return amount_to_settle(states, loan_terms(loan), day) if states else ZERO


def _principal_off_book(
    loan: Loan, states: list[InstalmentState], amount: Decimal, day: date
) -> Decimal:
    """The principal part of `amount` applied on `day` to a written-off loan, which takes no
    repayment (its state is final): as the loans app would allocate it (penalty, interest, then
    principal: `apply_repayment` on the loan's instalments, nothing stored)."""
    if amount <= 0 or not states:
        return ZERO
    return apply_repayment(states, loan_terms(loan), amount, day).principal


def _sale(locked: Disposal, at: datetime) -> tuple[Organisation, Decimal]:
    """The buyer and the price: the backstop's, or the leading bid's once bidding closed."""
    if locked.state == DisposalState.BACKSTOPPED:
        assert locked.buyer is not None and locked.price is not None
        return locked.buyer, Decimal(locked.price)
    refuse_while_open(locked, at)
    if locked.leading_bidder is None or locked.leading_amount is None:
        first_day = backstop_from(locked.listed_on, working_calendar())
        raise Conflict(
            f"无人出价，不能成交；挂牌 180 日后（{first_day} 起）可由交易中心收储。",
            f"No bid: nothing to complete; the trading centre may buy it from {first_day}.",
            code="no_bid",
            extra={"backstop_from": first_day.isoformat()},
        )
    return locked.leading_bidder, Decimal(locked.leading_amount)


def _transfer_rights(
    actor: User, locked: Disposal, pledge: Pledge, buyer: Organisation, price: Decimal, day: date
) -> list[int]:
    """The lot's rights transferred to the buyer in the register (a lot of several rights records
    its price once, in each event's note). The pledge must still hold exactly the lot: a change
    of the pledge's rights since the listing is a 409 `pledge_rights_changed`."""
    rights = list(locked.rights.order_by("pk"))
    if {right.pk for right in rights} != pledged_right_ids(pledge):
        raise Conflict(
            "挂牌后质押的知识产权已变更，与挂牌标的不一致，不能成交。",
            "The pledge's rights changed after the listing: they are not the lot listed.",
            code="pledge_rights_changed",
        )
    label_zh, _en = label(locked)
    method = DisposalMethod(locked.method).label_zh
    basis = f"{label_zh}成交确认（{method}，成交价 {yuan_exact(price)}）"
    lot = len(rights) > 1
    note = f"与其他 {len(rights) - 1} 项知识产权一并成交，总价 {yuan_exact(price)}" if lot else ""
    events = [
        right_transfer_on_realisation(
            actor=actor,
            right=right,
            date=day,
            buyer=buyer,
            price=None if lot else price,
            basis=basis,
            note=note,
        )
        for right in rights
    ]
    return [event.pk for event in events]


def disposal_complete(
    *, actor: User, disposal: Disposal, disposal_costs: Any = None, now: datetime | None = None
) -> Disposal:
    """The pledgee bank completes the sale (module docstring): the register's transfer, the
    pledge's release, the price applied to the loan, the claim named; one transaction."""
    require(actor, Perm.DISPOSAL_MANAGE)
    costs = optional_amount_in(
        disposal_costs, "disposal_costs", positive=False, label_zh="处置费用"
    )
    at = now_or(now)
    day = timezone.localdate(at)
    with transaction.atomic():
        locked = lock(selectors.seller_disposal(actor=actor, disposal_id=disposal.pk))
        new_state = transition(locked.state, DisposalAction.COMPLETE)
        buyer, price = _sale(locked, at)
        spent = costs if costs is not None else ZERO
        if spent > price:
            raise invalid(
                "disposal_costs",
                "disposal_costs_exceed_price",
                f"处置费用不能超过成交价 {yuan_exact(price)}。",
                f"The disposal costs cannot exceed the price of {yuan_en(price)}.",
            )
        pledge, loan = still_realisable(
            locked, zh="，不能成交", en=": the sale cannot be completed"
        )
        states = _instalments(loan, day)
        owed = _owed(loan, states, day)
        proceeds = split_proceeds(price, spent, owed)
        before = snapshot(locked)
        events = _transfer_rights(actor, locked, pledge, buyer, price, day)
        pledge_release(actor=actor, pledge=pledge, basis=ReleaseBasisChoices.REALISED, today=day)
        repayment: Repayment | None = None
        closed = False
        if loan.state in REPAYABLE and proceeds.to_loan > 0:
            repayment = loan_repay(
                actor=actor, loan=loan, amount=proceeds.to_loan, paid_on=day, today=day
            )
            if repayment.full_repayment:
                loan_close(actor=actor, loan=loan, today=day)
                closed = True
        claim = selectors.live_claim_of(loan.pk)
        if claim is not None and claim.state == ClaimState.AWAITING_DISPOSAL:
            # The compensation settles with this sale, in its transaction (issue 12: "a completed
            # sale ... posts the compensation settlement"); a payment it owes the bank is still
            # released by an IP office user (maker-checker).
            claim = claim_settle_on_disposal(
                actor=actor,
                loan_id=loan.pk,
                proceeds=price,
                disposal_costs=spent,
                sale_repayment=repayment,
                today=day,
            )
        elif claim is not None and repayment is not None:
            # A claim filed or approved, settled later by the office with this sale's figures
            # (told below): it keeps the repayment, so that the proceeds count once.
            claim_sale_recorded(actor=actor, loan_id=loan.pk, repayment=repayment)
        # A guarantee called or paid on the loan waits for this recovery: what the sale repaid of
        # the principal shrinks the guarantor's part, in this transaction (not where a
        # compensation claim shares the loss: its settlement does it).
        off_book = (
            _principal_off_book(loan, states, proceeds.to_loan, day)
            if loan.state == LoanState.WRITTEN_OFF
            else ZERO
        )
        guarantee_settle_after_sale(loan=loan, actor=actor, off_book=off_book)
        locked.state = new_state.value
        locked.buyer = buyer
        locked.price = price
        locked.disposal_costs = spent
        locked.owed = owed
        locked.to_loan = proceeds.to_loan
        locked.to_pledgor = proceeds.to_pledgor
        locked.shortfall = proceeds.shortfall
        locked.repayment = repayment
        locked.claim = claim
        locked.completed_on = day
        locked.completed_by = actor
        locked.completed_at = at
        locked.save()
        audit_record(
            actor=actor,
            action="disposal.complete",
            obj=locked,
            before=before,
            after={
                **snapshot(locked),
                "completed_on": day.isoformat(),
                "disposal_costs": money_str(spent),
                "owed": money_str(owed),
                "to_loan": money_str(proceeds.to_loan),
                "to_pledgor": money_str(proceeds.to_pledgor),
                "shortfall": money_str(proceeds.shortfall),
                "right_event_ids": events,
                "pledge_released": True,
                "repayment_id": repayment.pk if repayment else None,
                "loan_state": LoanState.CLOSED.value if closed else loan.state,
                "recovered_after_write_off": (
                    money_str(proceeds.to_loan) if loan.state == LoanState.WRITTEN_OFF else None
                ),
                "claim_id": claim.pk if claim else None,
            },
        )
        _tell_parties(locked, loan, buyer, claim, closed)
    return locked


def _tell_parties(
    locked: Disposal, loan: Loan, buyer: Organisation, claim: Any, closed: bool
) -> None:
    label_zh, label_en = label(locked)
    price_zh, price_en = money_pair(Decimal(locked.price or ZERO))
    notify_orgs(
        [buyer.pk],
        locked,
        "disposal.complete",
        f"{label_zh} 已成交：成交价 {price_zh}，知识产权已登记转让至贵单位名下。",
        f"{label_en} is completed: price {price_en}; the rights are registered in your name.",
    )
    back_zh, back_en = money_pair(Decimal(locked.to_pledgor or ZERO))
    short_zh, short_en = money_pair(Decimal(locked.shortfall or ZERO))
    debt_zh = "贷款已结清" if closed else f"尚欠 {short_zh}仍由借款人清偿"
    debt_en = "the loan is closed" if closed else f"{short_en} is still owed by the borrower"
    notify_orgs(
        [locked.pledgor_id, loan.enterprise_id],
        locked,
        "disposal.complete",
        f"{label_zh} 已成交（成交价 {price_zh}），质押已注销；返还出质人 {back_zh}，{debt_zh}。",
        f"{label_en} is completed ({price_en}) and the pledge released; {back_en} goes "
        f"back to the pledgor, {debt_en}.",
    )
    # A claim settled by this sale: the office releases what the fund still owes, or records the
    # bank's return of its advance once the fund has it.
    if claim is not None and claim.settled_at is not None and claim.proceeds == locked.price:
        settlement = Decimal(claim.settlement or ZERO)
        settlement_zh, settlement_en = money_pair(settlement)
        if settlement < 0:
            back_zh, back_en = money_pair(-settlement)
            next_zh = f"银行应退还代偿款 {back_zh}，基金收到后请确认收到"
            next_en = f"the bank is to return {back_en} of the advance: record it once received"
        else:
            next_zh, next_en = (
                "如基金尚应补偿，请复核拨付",
                "release what the fund still owes, if anything",
            )
        notify_orgs(
            ip_office_ids(),
            claim,
            "disposal.claim_settled",
            f"贷款 #{loan.pk} 的质物已处置成交（{label_zh}），风险补偿申请 #{claim.pk} "
            f"已随成交结算，结算差额 {settlement_zh}；{next_zh}。",
            f"The pledge of loan #{loan.pk} was sold ({label_en}) and compensation claim "
            f"#{claim.pk} settled with it (settlement {settlement_en}); {next_en}.",
        )
    # A claim already settled (or closed) took its figures from an earlier disposal: nothing to do.
    elif claim is not None and claim.state not in _SETTLED:
        costs_zh, costs_en = money_pair(Decimal(locked.disposal_costs or ZERO))
        notify_orgs(
            ip_office_ids(),
            claim,
            "disposal.claim_settlement",
            f"贷款 #{loan.pk} 的质物已处置成交（{label_zh}）：处置所得 {price_zh}，处置费用 "
            f"{costs_zh}；请据此办理风险补偿申请 #{claim.pk} 的处置后结算。",
            f"The pledge of loan #{loan.pk} was sold ({label_en}): proceeds {price_en}, "
            f"disposal costs {costs_en}; settle compensation claim #{claim.pk} with them.",
        )
