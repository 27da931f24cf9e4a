"""REST adapter of guarantees (融资担保): parse → one service / selector → serialise.

- POST /guarantees (the lending bank): ask a guarantor to guarantee one of its loans.
- GET /guarantees, GET /guarantees/{guarantee_id}: a bank its loans' guarantees, a guarantor
  those asked of it, the IP office and (under supervision) the regulators every one.
- POST /guarantees/{guarantee_id}/decision (the guarantor): issue or decline.
- POST /guarantees/{guarantee_id}/call (the bank, on default), …/pay (the guarantor), …/recovery
  (the bank, once the loan is closed, or written off with its pledge sold or released: what
  comes back to the guarantor; a sale that ends the recovery settles it by itself),
  …/refund-received (the guarantor: what of that came in, in one or more instalments).
Another party's guarantee is a 404; a step out of order a 409 `guarantee_state_invalid`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from ipfin.accounts.auth import ApiAuth
from ipfin.common.money import money_str, money_str_or_none
from ipfin.common.schemas import ErrorOut
from ipfin.guarantees import selectors, services
from ipfin.guarantees.models import Guarantee
from ipfin.guarantees.schemas import (
    GuaranteeCallIn,
    GuaranteeDecisionIn,
    GuaranteeIn,
    GuaranteeOut,
    GuaranteeRecoveryIn,
    GuaranteeRefundReceivedIn,
)
from ipfin.risk.domain.ratios import ratio_text

router = Router(auth=ApiAuth())
LIST_LIMIT = 500


def _out(g: Guarantee) -> dict[str, Any]:
    return {
        "id": g.pk,
        "loan_id": g.loan_id,
        "bank": {"id": g.bank_id, "name": g.bank.name},
        "guarantor": {"id": g.guarantor_id, "name": g.guarantor.name},
        "state": g.state,
        "state_label": str(g.get_state_display()),
        "share": ratio_text(Decimal(g.share)),
        "cap": money_str(Decimal(g.cap)),
        "fee_rate": ratio_text(Decimal(g.fee_rate)),
        "period_months": g.period_months,
        "liability": g.liability,
        "liability_label": str(g.get_liability_display()),
        "sued_on": g.sued_on,
        "enforcement_ref": g.enforcement_ref,
        "period_end": services.period_end(g, g.loan),
        "fee": money_str_or_none(g.fee),
        "fee_charged_on": g.fee_charged_on,
        "decline_reason": g.decline_reason,
        "loss": money_str_or_none(g.loss),
        "due": money_str_or_none(g.due),
        "paid": money_str_or_none(g.paid),
        "paid_on": g.paid_on,
        "proceeds": money_str_or_none(g.proceeds),
        "refund": money_str_or_none(g.refund),
        "refund_received": money_str(Decimal(g.refund_received)),
        "refund_received_on": g.refund_received_on,
    }


def _fresh(request: HttpRequest, g: Guarantee) -> dict[str, Any]:
    return _out(selectors.guarantee_get(actor=request.user, guarantee_id=g.pk))


@router.post("/guarantees", response={201: GuaranteeOut, 404: ErrorOut})
def guarantee_request(request: HttpRequest, payload: GuaranteeIn) -> Status[dict[str, Any]]:
    """The lending bank asks a guarantor to cover `share` of the loan's loss up to `cap`, for a
    fee of `fee_rate` a year of the principal over the loan's term (charged on disbursement), as
    a joint-liability guarantee (连带责任保证) or, `liability` "general", a general one (一般保证),
    for `period_months` after the loan falls due.
    404 for a loan not the bank's; 409 `guarantee_exists` while another is asked for or in force,
    `loan_state_invalid` for a closed, written-off or declined loan; 422 naming the field."""
    g = services.guarantee_request(actor=request.user, **payload.dict())
    return Status(201, _fresh(request, g))


@router.get("/guarantees", response=list[GuaranteeOut])
def guarantee_list(request: HttpRequest, state: str | None = None) -> list[dict[str, Any]]:
    """The guarantees the caller may see, newest first (at most 500)."""
    return [_out(g) for g in selectors.guarantee_list(actor=request.user, state=state)[:LIST_LIMIT]]


@router.get("/guarantees/{guarantee_id}", response=GuaranteeOut)
def guarantee_detail(request: HttpRequest, guarantee_id: int) -> dict[str, Any]:
    """One guarantee the caller may see; 404 otherwise."""
    return _out(selectors.guarantee_get(actor=request.user, guarantee_id=guarantee_id))


@router.post("/guarantees/{guarantee_id}/decision", response=GuaranteeOut)
def guarantee_decide(
    request: HttpRequest, guarantee_id: int, payload: GuaranteeDecisionIn
) -> dict[str, Any]:
    """The guarantor issues (the fee is charged at once if the loan is disbursed) or declines
    with a reason. A loan closed, written off or declined since the request is not guaranteed
    (409 `loan_state_invalid`)."""
    g = services.guarantee_decide(
        actor=request.user,
        guarantee=guarantee_id,
        decision=payload.decision,
        reason=payload.reason,
    )
    return _fresh(request, g)


@router.post("/guarantees/{guarantee_id}/call", response=GuaranteeOut)
def guarantee_call(
    request: HttpRequest, guarantee_id: int, payload: GuaranteeCallIn | None = None
) -> dict[str, Any]:
    """The bank calls the guarantee once the loan is classified 次级, 可疑 or 损失 (else 409
    `loan_not_non_performing`): a joint-liability guarantee within the guarantee period (else
    409 `guarantee_period_expired`, 民法典 arts. 692, 693 ¶2); a general one with `sued_on`
    within the period, not after today (409 `guarantee_period_expired` after the period, art. 693
    ¶1; 422 `sued_on_required`, `date_in_future`) and `enforcement_ref` (422
    `enforcement_required`, art. 687 ¶2), which a joint one does not take (422
    `not_general_guarantee`). The loss is the principal outstanding, the guarantor owes share ×
    loss within the cap."""
    grounds = payload.dict() if payload is not None else {}
    return _fresh(
        request,
        services.guarantee_call(actor=request.user, guarantee=guarantee_id, **grounds),
    )


@router.post("/guarantees/{guarantee_id}/pay", response=GuaranteeOut)
def guarantee_pay(request: HttpRequest, guarantee_id: int) -> dict[str, Any]:
    """The guarantor pays what is due on a called guarantee, dated today."""
    return _fresh(request, services.guarantee_pay(actor=request.user, guarantee=guarantee_id))


@router.post("/guarantees/{guarantee_id}/recovery", response=GuaranteeOut)
def guarantee_recover(
    request: HttpRequest, guarantee_id: int, payload: GuaranteeRecoveryIn | None = None
) -> dict[str, Any]:
    """Once the loan is closed, or written off with its pledge sold or released (409
    `recovery_pending` before; a sale that ends the recovery settles the guarantee by itself):
    the principal recovered since the call, as the loan
    records it, shrinks the loss; the guarantor's part is taken again on it and what it paid
    beyond that is returned to it (`refund`). A `proceeds` given must be the loan's figure (422
    `proceeds_mismatch`, with `recovered`)."""
    g = services.guarantee_recover(
        actor=request.user,
        guarantee=guarantee_id,
        proceeds=payload.proceeds if payload is not None else None,
    )
    return _fresh(request, g)


@router.post("/guarantees/{guarantee_id}/refund-received", response=GuaranteeOut)
def guarantee_refund_receive(
    request: HttpRequest, guarantee_id: int, payload: GuaranteeRefundReceivedIn
) -> dict[str, Any]:
    """The guarantor records `amount` of the bank's refund (`refund`) as received on
    `received_on` (default today); the refund may come in instalments. 404 for another party's
    guarantee; 409 `no_refund_due` when nothing is outstanding; 422 `refund_exceeds_due` (with
    `outstanding`), `date_in_future`, `date_before_payment`."""
    g = services.guarantee_refund_receive(
        actor=request.user,
        guarantee=guarantee_id,
        amount=payload.amount,
        received_on=payload.received_on,
    )
    return _fresh(request, g)
