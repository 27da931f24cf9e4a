"""REST adapters of loans and interest subsidies: parse → one selector / service → serialise.

- POST /schedules/preview: a repayment schedule from its terms, nothing saved; open to anyone (a
  calculator). A bad field is a 422 `{detail, code, field}`.
- POST /loans (enterprise, its park, or the bank), GET /loans, GET /loans/{id} (schedule,
  repayments and today's position), POST /loans/{id}/approve | decline | disburse | repayments |
  close | write-off | classification (the lending bank).
- POST /subsidies/claims (enterprise), GET /subsidies/claims, POST /subsidies/claims/{id}/review
  and POST /subsidies/allocate (IP office).

Every endpoint on a loan or a claim first reads it through its selector, which answers 404 for
another tenant's (never 403); the service then checks the permission for the action.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Body, Router, Status

from ipfin.accounts.auth import ApiAuth
from ipfin.accounts.ratelimit import ANON_CALCULATOR_THROTTLE
from ipfin.common.money import money_str, money_str_or_none
from ipfin.loans import selectors, services
from ipfin.loans.domain.status import allowed_actions
from ipfin.loans.models import Loan, SubsidyAllocationRun, SubsidyClaim
from ipfin.loans.schemas import (
    AllocateIn,
    ApproveIn,
    ClaimIn,
    ClaimOut,
    ClassifyIn,
    DisburseIn,
    LoanDeclineIn,
    LoanIn,
    LoanOut,
    LoanSummaryOut,
    RepaymentIn,
    ReviewIn,
    RunOut,
    SchedulePreviewIn,
    SchedulePreviewOut,
    WriteOffIn,
)

router = Router()
LIST_LIMIT = 500


def _rate(value: Decimal | None) -> str | None:
    return f"{value:f}" if value is not None else None


# --- schedule preview ----------------------------------------------------------------------------


@router.post(
    "/schedules/preview",
    response=SchedulePreviewOut,
    auth=ApiAuth(optional=True),
    throttle=ANON_CALCULATOR_THROTTLE,
)
def schedule_preview(request: HttpRequest, payload: SchedulePreviewIn) -> dict[str, Any]:
    """The instalments of a loan (annuity 等额本息, equal_principal 等额本金, interest_only
    先息后本) under 30/360, actual/360 or actual/365, each to the fen, the last absorbing the
    rounding; nothing is saved. Anonymous callers: at most IPFIN_ANON_CALCULATOR_RATE requests
    per address (429 `rate_limited` with Retry-After), shared with POST /valuations/preview."""
    schedule = services.schedule_preview(data=payload.dict())
    return {
        "installments": [
            {
                "n": row.n,
                "due_date": row.due_date,
                "principal": money_str(row.principal),
                "interest": money_str(row.interest),
                "payment": money_str(row.payment),
                "balance": money_str(row.balance),
            }
            for row in schedule.installments
        ],
        "total_interest": money_str(schedule.total_interest),
        "total_payment": money_str(schedule.total_payment),
    }


# --- loans ---------------------------------------------------------------------------------------


def _summary(loan: Loan) -> dict[str, Any]:
    return {
        "id": loan.pk,
        "state": loan.state,
        "state_label": str(loan.get_state_display()),
        "bank": {"id": loan.bank.pk, "name": loan.bank.name},
        "enterprise": {"id": loan.enterprise.pk, "name": loan.enterprise.name},
        "requested_amount": money_str(loan.requested_amount),
        "principal": money_str_or_none(loan.principal),
        "annual_rate": _rate(loan.annual_rate),
        "months": loan.months,
        "method": loan.method,
        "day_count": loan.day_count,
        "disbursed_on": loan.disbursed_on,
        "maturity_date": loan.maturity_date,
        "outstanding_principal": money_str(loan.outstanding_principal),
        "days_past_due": loan.days_past_due,
        "classification": loan.classification,
        "classification_label": str(loan.get_classification_display()),
    }


def loan_detail(loan: Loan) -> dict[str, Any]:
    position = selectors.loan_position(loan, timezone.localdate())
    installments = selectors.instalments_with_payable_days(loan)
    return {
        **_summary(loan),
        "product_version_id": loan.product_version_id,
        "demand_id": loan.demand_id,
        "purpose": loan.purpose,
        "requested_months": loan.requested_months,
        "lpr_rate": _rate(loan.lpr_rate),
        "rate_spread_bp": loan.rate_spread_bp,
        "penalty_surcharge": _rate(loan.penalty_surcharge),
        "pledge": (
            {
                "id": loan.pledge.pk,
                "registration_no": loan.pledge.registration_no,
                "state": loan.pledge.state,
            }
            if loan.pledge is not None
            else None
        ),
        "valuation_id": loan.valuation_id,
        "valuation_value": money_str_or_none(loan.valuation_value),
        "pledge_rate": _rate(loan.pledge_rate),
        "securities": loan.securities,
        "approved_on": loan.approved_on,
        "closed_on": loan.closed_on,
        "decline_reason": loan.decline_reason,
        "assessed_classification": loan.assessed_classification,
        "assessed_reason": loan.assessed_reason,
        "assessed_on": loan.assessed_on,
        "written_off_on": loan.written_off_on,
        "write_off_reason": loan.write_off_reason,
        "security_waived_on": loan.security_waived_on,
        "security_waiver_reason": loan.security_waiver_reason,
        "rights": [r.number for r in loan.rights.all()],
        "installments": [
            {
                "n": i.n,
                "due_date": i.due_date,
                "payable_on": i.payable_on,
                "principal": money_str(i.principal),
                "interest": money_str(i.interest),
                "payment": money_str(i.principal + i.interest),
                "principal_paid": money_str(i.principal_paid),
                "interest_paid": money_str(i.interest_paid),
                "penalty": money_str(i.penalty),
                "penalty_paid": money_str(i.penalty_paid),
                "settled_on": i.settled_on,
            }
            for i in installments
        ],
        "repayments": [
            {
                "id": r.pk,
                "paid_on": r.paid_on,
                "amount": money_str(r.amount),
                "penalty": money_str(r.penalty_part),
                "interest": money_str(r.interest_part),
                "principal": money_str(r.principal_part),
                "prepaid_principal": money_str(r.prepaid_principal),
                "full_repayment": r.full_repayment,
                "lines": list(r.lines or []),
            }
            for r in loan.repayments.all()
        ],
        "position": (
            {
                "on": position.on,
                "outstanding_principal": money_str(position.outstanding_principal),
                "amount_due": money_str(position.amount_due),
                "amount_to_settle": money_str(position.amount_to_settle),
            }
            if position is not None
            else None
        ),
        "release_pledge": selectors.release_pledge_due(loan),
        "allowed_actions": sorted(a.value for a in allowed_actions(loan.state)),
    }


def _fresh(request: HttpRequest, loan_id: int) -> dict[str, Any]:
    return loan_detail(selectors.loan_get(actor=request.user, loan_id=loan_id))


@router.post("/loans", response={201: LoanOut})
def loan_apply(request: HttpRequest, payload: LoanIn) -> Status[dict[str, Any]]:
    """Apply for a loan: the enterprise (or its park) for itself, or the bank recording an
    application for its own product."""
    loan = services.loan_apply(actor=request.user, **payload.dict())
    return Status(201, _fresh(request, loan.pk))


@router.get("/loans", response=list[LoanSummaryOut])
def loan_list(
    request: HttpRequest, state: str | None = None, classification: str | None = None
) -> list[dict[str, Any]]:
    """The caller's loans (bank: granted; enterprise: its own); IP office and regulators: all."""
    loans = selectors.loan_list(actor=request.user, state=state, classification=classification)
    return [_summary(loan) for loan in loans[:LIST_LIMIT]]


@router.get("/loans/{int:loan_id}", response=LoanOut)
def loan_get(request: HttpRequest, loan_id: int) -> dict[str, Any]:
    return _fresh(request, loan_id)


@router.post("/loans/{int:loan_id}/approve", response=LoanOut)
def loan_approve(request: HttpRequest, loan_id: int, payload: ApproveIn) -> dict[str, Any]:
    """Credit approval: limit, rate, term, method and the pledge registration relied on."""
    loan = selectors.loan_get(actor=request.user, loan_id=loan_id)
    services.loan_approve(actor=request.user, loan=loan, **payload.dict())
    return _fresh(request, loan_id)


@router.post("/loans/{int:loan_id}/decline", response=LoanOut)
def loan_decline(request: HttpRequest, loan_id: int, payload: LoanDeclineIn) -> dict[str, Any]:
    loan = selectors.loan_get(actor=request.user, loan_id=loan_id)
    services.loan_decline(actor=request.user, loan=loan, reason=payload.reason)
    return _fresh(request, loan_id)


@router.post("/loans/{int:loan_id}/disburse", response=LoanOut)
def loan_disburse(
    request: HttpRequest, loan_id: int, payload: Body[DisburseIn | None] = None
) -> dict[str, Any]:
    """Disburse (default: today); the schedule is made from the approved terms."""
    loan = selectors.loan_get(actor=request.user, loan_id=loan_id)
    on = payload.disbursed_on if payload is not None else None
    services.loan_disburse(actor=request.user, loan=loan, disbursed_on=on)
    return _fresh(request, loan_id)


@router.post("/loans/{int:loan_id}/repayments", response={201: LoanOut})
def loan_repay(request: HttpRequest, loan_id: int, payload: RepaymentIn) -> Status[dict[str, Any]]:
    """Record a repayment (default paid today): allocated penalty → interest → principal, oldest
    instalment first, the rest repaid early. An amount above what settles the loan is a 422
    carrying `amount_to_settle`."""
    loan = selectors.loan_get(actor=request.user, loan_id=loan_id)
    services.loan_repay(
        actor=request.user, loan=loan, amount=payload.amount, paid_on=payload.paid_on
    )
    return Status(201, _fresh(request, loan_id))


@router.post("/loans/{int:loan_id}/close", response=LoanOut)
def loan_close(request: HttpRequest, loan_id: int) -> dict[str, Any]:
    """Close a loan repaid in full; `release_pledge` tells the bank to release the pledge."""
    loan = selectors.loan_get(actor=request.user, loan_id=loan_id)
    services.loan_close(actor=request.user, loan=loan)
    return _fresh(request, loan_id)


@router.post("/loans/{int:loan_id}/classification", response=LoanOut)
def loan_classify_manual(request: HttpRequest, loan_id: int, payload: ClassifyIn) -> dict[str, Any]:
    """The bank's own five-category classification, with its reason: never better than the
    floor from the days past due; the loan's classification is the worse of the two."""
    loan = selectors.loan_get(actor=request.user, loan_id=loan_id)
    services.loan_classify_manual(
        actor=request.user, loan=loan, category=payload.category, reason=payload.reason
    )
    return _fresh(request, loan_id)


@router.post("/loans/{int:loan_id}/write-off", response=LoanOut)
def loan_write_off(request: HttpRequest, loan_id: int, payload: WriteOffIn) -> dict[str, Any]:
    """核销 a loan classified 损失 (409 `write_off_not_loss` otherwise), with its reason."""
    loan = selectors.loan_get(actor=request.user, loan_id=loan_id)
    services.loan_write_off(actor=request.user, loan=loan, reason=payload.reason)
    return _fresh(request, loan_id)


# --- subsidies -----------------------------------------------------------------------------------


def _claim(claim: SubsidyClaim) -> dict[str, Any]:
    return {
        "id": claim.pk,
        "policy_id": claim.policy_id,
        "policy_title": claim.policy.title,
        "enterprise": {"id": claim.enterprise.pk, "name": claim.enterprise.name},
        "year": claim.year,
        "state": claim.state,
        "state_label": str(claim.get_state_display()),
        "basis": claim.basis,
        "interest_paid": money_str(claim.interest_paid),
        "fees_paid": money_str(claim.fees_paid),
        "fees": claim.fees,
        "loan_ids": sorted(loan.pk for loan in claim.loans.all()),
        "eligible": money_str_or_none(claim.eligible),
        "capped": money_str_or_none(claim.capped),
        "awarded": money_str_or_none(claim.awarded),
        "review_reason": claim.review_reason,
        "submitted_at": claim.submitted_at,
    }


@router.post("/subsidies/claims", response={201: ClaimOut})
def claim_submit(request: HttpRequest, payload: ClaimIn) -> Status[dict[str, Any]]:
    """Claim a policy's interest subsidy for a year (enterprise); the interest is computed from
    the repayments recorded on its eligible loans."""
    claim = services.subsidy_claim_submit(actor=request.user, **payload.dict())
    return Status(201, _claim(selectors.subsidy_claim_get(actor=request.user, claim_id=claim.pk)))


@router.get("/subsidies/claims", response=list[ClaimOut])
def claim_list(
    request: HttpRequest,
    policy_id: int | None = None,
    year: int | None = None,
    state: str | None = None,
) -> list[dict[str, Any]]:
    claims = selectors.subsidy_claim_list(
        actor=request.user, policy_id=policy_id, year=year, state=state
    ).prefetch_related("loans")
    return [_claim(c) for c in claims[:LIST_LIMIT]]


@router.post("/subsidies/claims/{int:claim_id}/review", response=ClaimOut)
def claim_review(request: HttpRequest, claim_id: int, payload: ReviewIn) -> dict[str, Any]:
    """Approve, or reject with a reason (IP office)."""
    claim = selectors.subsidy_claim_get(actor=request.user, claim_id=claim_id)
    services.subsidy_claim_review(actor=request.user, claim=claim, **payload.dict())
    return _claim(selectors.subsidy_claim_get(actor=request.user, claim_id=claim_id))


def _run(run: SubsidyAllocationRun) -> dict[str, Any]:
    claims = run.claims.select_related("policy", "enterprise").prefetch_related("loans")
    return {
        "id": run.pk,
        "policy_id": run.policy_id,
        "year": run.year,
        "budget": money_str(run.budget),
        "cap_per_enterprise": money_str_or_none(run.cap_per_enterprise),
        "share": _rate(run.share),
        "total_awarded": money_str(run.total_awarded),
        "scaled": run.scaled,
        "scale_factor": f"{run.scale_factor:f}",
        "proposed_by": run.run_by.get_username(),
        "confirmed_by": run.confirmed_by.get_username() if run.confirmed_by else None,
        "confirmed_at": run.confirmed_at,
        "claims": [_claim(c) for c in claims.order_by("pk")],
    }


@router.post("/subsidies/allocate", response={201: RunOut})
def allocate(request: HttpRequest, payload: AllocateIn) -> Status[dict[str, Any]]:
    """Propose the allocation of a policy's budget for a year among its approved claims (IP
    office), pro rata to the fen when over budget. Maker-checker: the claims are allocated only
    when a second office user confirms it (POST /subsidies/allocations/{run_id}/confirm)."""
    run = services.subsidy_allocate(actor=request.user, **payload.dict())
    return Status(201, _run(run))


@router.post("/subsidies/allocations/{int:run_id}/confirm", response=RunOut)
def allocation_confirm(request: HttpRequest, run_id: int) -> dict[str, Any]:
    """Confirm a proposed allocation (an office user other than its proposer: else 403
    `checker_is_maker`); the claims are allocated and the enterprises told."""
    return _run(services.subsidy_allocation_confirm(actor=request.user, run_id=run_id))


@router.post("/subsidies/allocations/{int:run_id}/discard", response={204: None})
def allocation_discard(request: HttpRequest, run_id: int) -> Status[None]:
    """Send a proposed allocation back (not its proposer): it is removed and can be proposed
    anew."""
    services.subsidy_allocation_discard(actor=request.user, run_id=run_id)
    return Status(204, None)


__all__ = ["loan_detail", "router"]
