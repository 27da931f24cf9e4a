"""REST adapter of IP insurance (知识产权保险): parse → one service / selector → serialise.

- POST /insurance/policies (the lead insurer): issue a policy, the premium split among the pool.
- GET /insurance/policies, GET /insurance/policies/{insurance_policy_id}: the parties' own (its
  insurers, its policyholder, its insured bank), every one for the IP office and supervised
  regulators.
- POST /insurance/policies/{insurance_policy_id}/claims (the policyholder or the insured bank):
  notice of a loss. GET …/claims: a policy's claims.
- POST /insurance/claims/{insurance_claim_id}/assessment, …/pay (the lead insurer).
- POST /insurance/policies/{insurance_policy_id}/refund-received (the lead insurer): the bank's
  refund of what the insurers paid beyond a compensation claim's settlement came in.
Another party's policy or claim is a 404; a step out of order a 409 `claim_state_invalid`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from ipfin.accounts.auth import ApiAuth
from ipfin.common.errors import NotFound
from ipfin.common.money import money_str, money_str_or_none
from ipfin.insurance import selectors, services
from ipfin.insurance.models import InsuranceClaim, Policy
from ipfin.insurance.schemas import (
    InsuranceAssessmentIn,
    InsuranceClaimIn,
    InsuranceClaimOut,
    InsurancePolicyIn,
    InsurancePolicyOut,
    InsuranceRefundReceivedIn,
)
from ipfin.risk.domain.ratios import ratio_text

router = Router(auth=ApiAuth())
LIST_LIMIT = 500


def _policy(p: Policy) -> dict[str, Any]:
    return {
        "id": p.pk,
        "kind": p.kind,
        "kind_label": str(p.get_kind_display()),
        "subject": p.subject,
        "insurer": {"id": p.insurer_id, "name": p.insurer.name},
        "policyholder": {"id": p.policyholder_id, "name": p.policyholder.name},
        "beneficiary": (
            {"id": p.beneficiary_id, "name": p.beneficiary.name} if p.beneficiary else None
        ),
        "loan_id": p.loan_id,
        "rights": sorted(r.number for r in p.rights.all()),
        "sum_insured": money_str(Decimal(p.sum_insured)),
        "rate": ratio_text(Decimal(p.rate)),
        "premium": money_str(Decimal(p.premium)),
        "deductible": money_str(Decimal(p.deductible)),
        "loss_share": None if p.loss_share is None else ratio_text(Decimal(p.loss_share)),
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "paid_out": money_str(Decimal(p.paid_out)),
        "refund_due": money_str_or_none(p.refund_due),
        "refund_due_on": p.refund_due_on,
        "refund_received_on": p.refund_received_on,
        "accepted_at": p.accepted_at,
        "members": [
            {
                "insurer": {"id": m.insurer_id, "name": m.insurer.name},
                "share": ratio_text(Decimal(m.share)),
                "premium_part": money_str(Decimal(m.premium_part)),
            }
            for m in p.members.all()
        ],
    }


def _claim(c: InsuranceClaim) -> dict[str, Any]:
    return {
        "id": c.pk,
        "policy_id": c.policy_id,
        "claimant": {"id": c.claimant_id, "name": c.claimant.name},
        "state": c.state,
        "state_label": str(c.get_state_display()),
        "amount_claimed": money_str(Decimal(c.amount_claimed)),
        "description": c.description,
        "loss_on": c.loss_on,
        "assessed_loss": money_str_or_none(c.assessed_loss),
        "payout": money_str_or_none(c.payout),
        "parts": c.parts,
        "reject_reason": c.reject_reason,
        "paid_on": c.paid_on,
    }


@router.post("/insurance/policies", response={201: InsurancePolicyOut})
def policy_issue(request: HttpRequest, payload: InsurancePolicyIn) -> Status[dict[str, Any]]:
    """The lead insurer issues a policy: premium = rate × sum insured, half-up to the fen, split
    among the co-insurance pool (共保体) to the fen by largest remainder (the lead keeps the share
    the co-insurers leave). pledge_guarantee (质押融资保证保险) is on a disbursed loan: the
    borrower is the policyholder, the bank the insured, who accepts it (POST …/accept) before it
    covers anything; one such policy on a loan at a time (409 `loan_already_insured` for a term
    overlapping an accepted one's; 409 `loan_has_claim` once a compensation claim shares the
    loan's loss). 422 naming the field otherwise."""
    policy = services.policy_issue(actor=request.user, data=payload.dict())
    return Status(201, _policy(selectors.policy_get(actor=request.user, policy_id=policy.pk)))


@router.get("/insurance/policies", response=list[InsurancePolicyOut])
def policy_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The policies the caller is a party to, newest first (at most 500)."""
    return [_policy(p) for p in selectors.policy_list(actor=request.user)[:LIST_LIMIT]]


@router.get("/insurance/policies/{insurance_policy_id}", response=InsurancePolicyOut)
def policy_detail(request: HttpRequest, insurance_policy_id: int) -> dict[str, Any]:
    """One policy the caller is a party to; 404 otherwise."""
    return _policy(selectors.policy_get(actor=request.user, policy_id=insurance_policy_id))


@router.post("/insurance/policies/{insurance_policy_id}/accept", response=InsurancePolicyOut)
def policy_accept(request: HttpRequest, insurance_policy_id: int) -> dict[str, Any]:
    """The insured bank's loan staff accept a pledge-financing guarantee insurance on the bank's
    loan: from now on it shares the loan's loss. 404 for a policy not on one of the bank's loans;
    409 `policy_accepted` a second time, `loan_already_insured` over an accepted policy's term,
    `loan_has_claim` once a compensation claim shares the loss."""
    services.policy_accept(actor=request.user, policy_id=insurance_policy_id)
    return _policy(selectors.policy_get(actor=request.user, policy_id=insurance_policy_id))


@router.post(
    "/insurance/policies/{insurance_policy_id}/refund-received", response=InsurancePolicyOut
)
def policy_refund_receive(
    request: HttpRequest,
    insurance_policy_id: int,
    payload: InsuranceRefundReceivedIn | None = None,
) -> dict[str, Any]:
    """The lead insurer records the insured bank's refund (`refund_due`) as received on
    `received_on` (default today). 404 for a policy the caller's organisation does not lead;
    409 `no_refund_due` when nothing is owed back, `refund_received` a second time; 422
    `date_in_future`, `date_before_policy`, `date_before_settlement`."""
    services.policy_refund_receive(
        actor=request.user,
        policy_id=insurance_policy_id,
        received_on=payload.received_on if payload is not None else None,
    )
    return _policy(selectors.policy_get(actor=request.user, policy_id=insurance_policy_id))


@router.post("/insurance/policies/{insurance_policy_id}/claims", response={201: InsuranceClaimOut})
def claim_notify(
    request: HttpRequest, insurance_policy_id: int, payload: InsuranceClaimIn
) -> Status[dict[str, Any]]:
    """Notice of a loss by the policyholder or the insured bank: the loss on `loss_on` (today
    when not given) within the policy's term (409 `policy_not_in_force` otherwise), never after
    today (422 `loss_in_future`); the notice may come after the term (保险法 arts. 14, 21). 403
    for its insurers."""
    claim = services.claim_notify(
        actor=request.user,
        policy_id=insurance_policy_id,
        amount=payload.amount,
        description=payload.description,
        loss_on=payload.loss_on,
    )
    return Status(201, _claim(InsuranceClaim.objects.select_related("claimant").get(pk=claim.pk)))


@router.get("/insurance/policies/{insurance_policy_id}/claims", response=list[InsuranceClaimOut])
def claim_list(request: HttpRequest, insurance_policy_id: int) -> list[dict[str, Any]]:
    """A policy's claims, for the policy's parties."""
    policy = selectors.policy_get(actor=request.user, policy_id=insurance_policy_id)
    rows = selectors.claim_list(actor=request.user, policy=policy).select_related("claimant")
    return [_claim(c) for c in rows[:LIST_LIMIT]]


def _visible_claim(request: HttpRequest, claim: InsuranceClaim) -> dict[str, Any]:
    found = InsuranceClaim.objects.select_related("claimant").filter(pk=claim.pk).first()
    if found is None:
        raise NotFound("未找到该理赔案件。", "No such claim.", code="claim_not_found")
    return _claim(found)


@router.post("/insurance/claims/{insurance_claim_id}/assessment", response=InsuranceClaimOut)
def claim_assess(
    request: HttpRequest, insurance_claim_id: int, payload: InsuranceAssessmentIn
) -> dict[str, Any]:
    """The lead insurer assesses: pay — the loss less the deductible (pledge_guarantee: the loss
    share × the bank's loss), within what is left of the sum insured, split among the pool — or
    reject with a reason."""
    claim = services.claim_assess(
        actor=request.user,
        claim_id=insurance_claim_id,
        decision=payload.decision,
        loss=payload.loss,
        reason=payload.reason,
    )
    return _visible_claim(request, claim)


@router.post("/insurance/claims/{insurance_claim_id}/pay", response=InsuranceClaimOut)
def claim_pay(request: HttpRequest, insurance_claim_id: int) -> dict[str, Any]:
    """The lead insurer pays an assessed claim, dated today (409 `sum_insured_exceeded` if
    another payout took what was left of the sum insured)."""
    return _visible_claim(
        request, services.claim_pay(actor=request.user, claim_id=insurance_claim_id)
    )
