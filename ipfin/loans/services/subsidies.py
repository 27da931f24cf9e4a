"""Writes of subsidies (贴息 and 贴费): claims, their review and the allocation of the budget.

A fee subsidy (贴费, a policy of kind `fee_subsidy`, issue 16) runs the same way: its claim's base
is the guarantee fees, insurance premiums and evaluation fees the enterprise paid in the year (the
kinds the policy's `conditions.fees` names, default all), as the guarantees, the policies
(ipfin.loans.signals.subsidy_fees) and the valuation reports record them, never entered; the
same review, the same allocation (`allocate_subsidy`: share, cap per enterprise, pro rata to the
fen) and the same maker-checker.

- `subsidy_claim_submit` (the enterprise, `Perm.SUBSIDY_APPLY`): a claim under a subsidy policy
  for a year. The interest claimed is computed here, never entered: the interest parts of the
  repayments recorded in that year on the enterprise's eligible loans (`eligible_interest`).
  Eligible loans are IP-pledge loans (a pledge registration recorded at approval), unless the
  policy's conditions say `"ip_pledge_loan": false`; the enterprise's size and region must be
  among the policy's `sizes` and `regions` when these are given (a region matches by prefix:
  "江苏省" admits "江苏省南京市").
- `subsidy_claim_review` (the IP office, `Perm.SUBSIDY_REVIEW`): approve, or reject with a reason.
- `subsidy_allocate` (the IP office): once every claim of the policy and year is reviewed, the
  approved claims share the policy's budget by `ipfin.loans.domain.subsidy.allocate_subsidy`
  (share of the interest, cap per enterprise, pro rata to the fen when over budget, remainder by
  largest remainder with ties to the older claim). One run per policy and year: it is final.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from ipfin.accounts.models import Organisation, User
from ipfin.accounts.permissions import Perm, acting_organisation, require
from ipfin.accounts.selectors import ip_office_ids
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, NotFound, PermissionDenied, invalid
from ipfin.common.inputs import int_in
from ipfin.common.money import money_str
from ipfin.financing.models import Policy, PolicyKind
from ipfin.financing.services import SUBSIDISED_FEES
from ipfin.loans.domain.status import LoanState
from ipfin.loans.domain.subsidy import SubsidyClaim as ClaimIn
from ipfin.loans.domain.subsidy import SubsidyPolicy, allocate_subsidy
from ipfin.loans.models import (
    ClaimState,
    Loan,
    Repayment,
    SubsidyAllocationRun,
    SubsidyBasis,
    SubsidyClaim,
)
from ipfin.loans.services._common import today_or
from ipfin.loans.signals import FeePaid, fees_paid
from ipfin.valuation.models import Valuation

__all__ = [
    "eligible_interest",
    "enterprise_eligibility",
    "subsidy_allocate",
    "subsidy_claim_review",
    "subsidy_claim_submit",
    "subsidy_policy",
]

_DISBURSED = (LoanState.DISBURSED, LoanState.REPAYING, LoanState.CLOSED, LoanState.WRITTEN_OFF)
_ZERO = Decimal("0.00")


def subsidy_policy(policy_id: Any) -> Policy:
    """An active subsidy policy (贴息 or 贴费) with its share and budget set (a 422 naming the
    field otherwise: the id comes in the request's body)."""
    pk = int_in(policy_id, "policy_id")
    policy = Policy.objects.select_related("issuer").filter(pk=pk).first()
    kinds = (PolicyKind.SUBSIDY, PolicyKind.FEE_SUBSIDY)
    if policy is None or policy.kind not in kinds or not policy.is_active:
        raise invalid(
            "policy_id",
            "policy_not_found",
            "未找到有效的贴息政策。",
            "No such active interest-subsidy policy.",
        )
    if policy.subsidy_share is None or policy.annual_budget is None:
        raise invalid(
            "policy_id",
            "policy_incomplete",
            "该贴息政策未设定贴息比例或年度预算。",
            "The policy has no subsidy share or annual budget.",
        )
    return policy


def _conditions(policy: Policy) -> dict[str, Any]:
    return policy.conditions if isinstance(policy.conditions, dict) else {}


def enterprise_eligibility(policy: Policy, enterprise: Organisation) -> list[tuple[str, str, str]]:
    """The policy's conditions the enterprise does not meet: (code, zh, en) each; empty if none."""
    conditions = _conditions(policy)
    failures = []
    sizes = [str(s) for s in conditions.get("sizes") or []]
    if sizes and enterprise.size not in sizes:
        failures.append(
            (
                "policy_size",
                f"企业规模（{enterprise.get_size_display() or '未填写'}）不在政策适用范围内。",
                f"The enterprise's size ({enterprise.size or 'not given'}) is not covered.",
            )
        )
    regions = [str(r) for r in conditions.get("regions") or [] if r]
    if regions and not any(enterprise.region.startswith(r) for r in regions):
        failures.append(
            (
                "policy_region",
                f"企业所在地区（{enterprise.region or '未填写'}）不在政策适用范围内。",
                f"The enterprise's region ({enterprise.region or 'not given'}) is not covered.",
            )
        )
    return failures


def eligible_interest(
    *, policy: Policy, enterprise: Organisation, year: int
) -> tuple[Decimal, list[int]]:
    """The interest paid in `year` on the enterprise's eligible loans (see the module doc), from
    the recorded repayments, and those loans' ids (one query)."""
    loans = Loan.objects.filter(enterprise=enterprise, state__in=_DISBURSED)
    if _conditions(policy).get("ip_pledge_loan", True) is not False:
        loans = loans.filter(pledge__isnull=False)
    rows = (
        Repayment.objects.filter(
            loan__in=loans, paid_on__gte=date(year, 1, 1), paid_on__lte=date(year, 12, 31)
        )
        .order_by()
        .values("loan_id")
        .annotate(interest=Sum("interest_part"))
        .order_by("loan_id")
    )
    total = _ZERO
    ids = []
    for row in rows:
        interest = Decimal(row["interest"] or 0)
        if interest > 0:
            total += interest
            ids.append(row["loan_id"])
    # SQLite sums DECIMAL columns as REAL: back to the fen exactly.
    return total.quantize(Decimal("0.01")), ids


def _fee_lines(policy: Policy, enterprise: Organisation, year: int) -> list[FeePaid]:
    """The fees of the kinds the policy pays part of (`conditions.fees`, default all) that the
    enterprise paid in `year`, as the guarantees and the policies record them; guarantee fees on
    IP-pledge loans only unless the policy says `"ip_pledge_loan": false`, as for 贴息."""
    kinds = tuple(_conditions(policy).get("fees") or SUBSIDISED_FEES)
    ip_pledge_only = _conditions(policy).get("ip_pledge_loan", True) is not False
    lines = fees_paid(enterprise, year, kinds, ip_pledge_only=ip_pledge_only)
    if "evaluation_fee" in kinds:
        # The evaluation fees stated on the reports issued in the year, the enterprise their payer.
        rows = Valuation.objects.filter(
            fee_payer=enterprise, fee__gt=0, issued_at__year=year
        ).values_list("pk", "fee", "issued_at")
        lines += [
            FeePaid("evaluation_fee", f"valuation:{pk}", Decimal(fee), timezone.localdate(at))
            for pk, fee, at in rows
            if fee is not None
        ]
    return sorted(lines, key=lambda line: (line.on, line.kind, line.ref))


def subsidy_claim_submit(
    *, actor: User, policy_id: int | str, year: int | str, today: date | None = None
) -> SubsidyClaim:
    """The enterprise claims the subsidy of `policy_id` for the interest it paid in `year`."""
    require(actor, Perm.SUBSIDY_APPLY)
    enterprise: Organisation = acting_organisation(actor)
    policy = subsidy_policy(policy_id)
    claim_year = int_in(year, "year")
    day = today_or(today)
    if not 2000 <= claim_year <= day.year:
        raise invalid(
            "year",
            "year_invalid",
            f"年度应在2000年至{day.year}年之间。",
            f"year must be between 2000 and {day.year}.",
        )
    if policy.year is not None and policy.year != claim_year:
        raise invalid(
            "year",
            "policy_year",
            f"该政策适用于 {policy.year} 年度。",
            f"The policy applies to the year {policy.year}.",
        )
    _check_claim_window(policy, day)
    failures = enterprise_eligibility(policy, enterprise)
    if failures:
        raise invalid(
            "policy_id",
            failures[0][0],
            "；".join(f[1] for f in failures),
            " ".join(f[2] for f in failures),
        )
    if SubsidyAllocationRun.objects.filter(policy=policy, year=claim_year).exists():
        raise _allocation_done(claim_year)
    if (
        SubsidyClaim.objects.filter(policy=policy, enterprise=enterprise, year=claim_year)
        .exclude(state=ClaimState.REJECTED)
        .exists()
    ):
        raise _claim_exists(claim_year)
    if policy.kind == PolicyKind.FEE_SUBSIDY:
        interest, loan_ids = _ZERO, list[int]()
        fee_lines = _fee_lines(policy, enterprise, claim_year)
        fees = sum((line.amount for line in fee_lines), _ZERO)
        if fees <= 0:
            raise invalid(
                "year",
                "no_eligible_fees",
                f"{claim_year} 年度没有符合条件的担保费或保险费支付记录。",
                f"No guarantee fee or premium covered by the policy was paid in {claim_year}.",
            )
        basis, what_zh, what_en = SubsidyBasis.FEES, "贴费", "fee subsidy"
        base_zh, base_en = (
            f"实付担保费、保险费 {money_str(fees)} 元",
            f"{money_str(fees)} yuan of fees",
        )
    else:
        interest, loan_ids = eligible_interest(
            policy=policy, enterprise=enterprise, year=claim_year
        )
        if interest <= 0:
            raise invalid(
                "year",
                "no_eligible_interest",
                f"{claim_year} 年度没有符合条件的贷款利息支付记录。",
                f"No interest was paid in {claim_year} on an eligible loan.",
            )
        fee_lines, fees = [], _ZERO
        basis, what_zh, what_en = SubsidyBasis.INTEREST, "贴息", "subsidy"
        base_zh = f"实付利息 {money_str(interest)} 元"
        base_en = f"{money_str(interest)} yuan of interest paid"
    lines = [
        {"kind": f.kind, "ref": f.ref, "amount": money_str(f.amount), "on": f.on.isoformat()}
        for f in fee_lines
    ]
    try:
        with transaction.atomic():
            # Under the policy's lock, as the allocation takes it, the year looked at again: a
            # claim checked while an allocation was committing was stored for a year already
            # allocated, then never paid (the allocation's confirmation takes its run's claims).
            locked = Policy.objects.select_for_update().filter(pk=policy.pk).first()
            if locked is not None:  # its window as it stands now, not as first read
                _check_claim_window(locked, day)
            if SubsidyAllocationRun.objects.filter(policy=policy, year=claim_year).exists():
                raise _allocation_done(claim_year)
            claim = SubsidyClaim.objects.create(
                policy=policy,
                enterprise=enterprise,
                year=claim_year,
                basis=basis,
                interest_paid=interest,
                fees_paid=fees,
                fees=lines,
                submitted_by=actor,
            )
            claim.loans.set(loan_ids)
            audit_record(
                actor=actor,
                action="subsidy.claim_submit",
                obj=claim,
                before=None,
                after={
                    "policy_id": policy.pk,
                    "year": claim_year,
                    "basis": basis.value,
                    "interest_paid": money_str(interest),
                    "fees_paid": money_str(fees),
                    "fees": lines,
                    "loan_ids": loan_ids,
                },
            )
            notify_orgs(
                [*ip_office_ids(), policy.issuer_id],
                claim,
                "subsidy.claim_submit",
                f"{enterprise.name} 申请 {claim_year} 年度{what_zh}（{policy.title}），{base_zh}。",
                f"{enterprise.name} claims the {claim_year} {what_en} ({policy.title}) on "
                f"{base_en}.",
            )
    except IntegrityError:  # a concurrent claim won the race: the partial unique index
        raise _claim_exists(claim_year) from None
    return claim


def _check_claim_window(policy: Policy, day: date) -> None:
    """A policy takes claims from its valid_from to its valid_to, both days included (民法典
    art. 1259: 以上、以下、以内、届满 include the day named), where set: a claim on `day` outside
    them is a 409 (`policy_not_open`, `policy_closed`), as the claim form proposes no policy out
    of its window (selectors.subsidy_open_policy)."""
    if policy.valid_from is not None and day < policy.valid_from:
        raise Conflict(
            f"该政策自 {policy.valid_from.isoformat()} 起受理申请。",
            f"The policy takes claims from {policy.valid_from.isoformat()}.",
            code="policy_not_open",
        )
    if policy.valid_to is not None and day > policy.valid_to:
        raise Conflict(
            f"该政策已于 {policy.valid_to.isoformat()} 截止受理申请。",
            f"The policy stopped taking claims on {policy.valid_to.isoformat()}.",
            code="policy_closed",
        )


def _allocation_done(year: int) -> Conflict:
    return Conflict(
        f"{year} 年度的贴息已核定，不再受理申请。",
        f"The {year} subsidy has been allocated: no more claims.",
        code="allocation_done",
    )


def _claim_exists(year: int) -> Conflict:
    return Conflict(
        f"已提交过 {year} 年度该政策的贴息申请。",
        f"A claim under this policy for {year} exists already.",
        code="claim_exists",
    )


def _claim_not_found() -> NotFound:
    return NotFound("未找到该贴息申请。", "No such subsidy claim.", code="claim_not_found")


def subsidy_claim_review(
    *, actor: User, claim: SubsidyClaim, decision: str, reason: str = ""
) -> SubsidyClaim:
    """The office approves a submitted claim, or rejects it with a reason."""
    require(actor, Perm.SUBSIDY_REVIEW)
    if decision not in ("approve", "reject"):
        raise invalid(
            "decision",
            "decision_invalid",
            "审核决定应为 approve（通过）或 reject（不通过）。",
            "decision must be approve or reject.",
        )
    text = (reason or "").strip()
    with transaction.atomic():
        locked = SubsidyClaim.objects.select_for_update().filter(pk=claim.pk).first()
        if locked is None:
            raise _claim_not_found()
        if locked.state != ClaimState.SUBMITTED:
            raise Conflict(
                "该申请已审核。", "The claim has been reviewed already.", code="claim_reviewed"
            )
        if decision == "reject" and not text:
            raise invalid(
                "reason", "reason_required", "不通过时须说明理由。", "A reason is required."
            )
        before = {"state": locked.state}
        locked.state = ClaimState.APPROVED if decision == "approve" else ClaimState.REJECTED
        locked.review_reason = text[:2000]
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action=f"subsidy.claim_{decision}",
            obj=locked,
            before=before,
            after={"state": locked.state, "reason": locked.review_reason},
        )
        what = "贴费" if locked.basis == SubsidyBasis.FEES else "贴息"
        if decision == "approve":
            zh = f"您的 {locked.year} 年度{what}申请 #{locked.pk} 已审核通过，待核定金额。"
            en = f"Your {locked.year} subsidy claim #{locked.pk} was approved; amount to follow."
        else:
            zh = f"您的 {locked.year} 年度{what}申请 #{locked.pk} 未通过：{locked.review_reason}"
            en = (
                f"Your {locked.year} subsidy claim #{locked.pk} was rejected: "
                f"{locked.review_reason}"
            )
        notify_orgs([locked.enterprise_id], locked, f"subsidy.claim_{decision}", zh, en)
    return locked


def subsidy_allocate(*, actor: User, policy_id: int | str, year: int | str) -> SubsidyAllocationRun:
    """Propose the allocation of the policy's budget for `year` among its approved claims (see the
    module doc): the run and each claim's figures are stored, the claims stay approved until a
    second office user confirms it (`subsidy_allocation_confirm`; maker-checker) or it is
    discarded (`subsidy_allocation_discard`)."""
    require(actor, Perm.SUBSIDY_REVIEW)
    policy = subsidy_policy(policy_id)
    claim_year = int_in(year, "year")
    with transaction.atomic():
        Policy.objects.select_for_update().filter(pk=policy.pk).first()  # one run at a time
        existing = SubsidyAllocationRun.objects.filter(policy=policy, year=claim_year).first()
        if existing is not None:
            _refuse_existing_run(existing, claim_year)
        pending = SubsidyClaim.objects.filter(
            policy=policy, year=claim_year, state=ClaimState.SUBMITTED
        ).count()
        if pending:
            raise Conflict(
                f"还有 {pending} 件申请未审核，请先审核。",
                f"{pending} claims still wait for review.",
                code="claims_pending_review",
                extra={"pending": pending},
            )
        claims = list(
            SubsidyClaim.objects.select_for_update()
            .filter(policy=policy, year=claim_year, state=ClaimState.APPROVED)
            .order_by("pk")
        )
        if not claims:
            raise invalid(
                "policy_id",
                "no_approved_claims",
                f"{claim_year} 年度没有已通过的申请。",
                f"No approved claims for {claim_year}.",
            )
        assert policy.subsidy_share is not None and policy.annual_budget is not None
        budget = Decimal(policy.annual_budget)
        cap = Decimal(policy.cap_per_enterprise) if policy.cap_per_enterprise is not None else None
        share = Decimal(policy.subsidy_share)
        # Zero-padded ids: the allocation's ties go to the smaller key, i.e. the older claim.
        allocation = allocate_subsidy(
            [
                ClaimIn(
                    claim_id=f"{c.pk:012d}",
                    enterprise_id=str(c.enterprise_id),
                    paid=Decimal(c.base_paid).quantize(Decimal("0.01")),
                )
                for c in claims
            ],
            SubsidyPolicy(share=share, cap_per_enterprise=cap, budget=budget),
        )
        run = SubsidyAllocationRun.objects.create(
            policy=policy,
            year=claim_year,
            budget=budget,
            cap_per_enterprise=cap,
            share=share,
            total_awarded=allocation.total_awarded,
            scaled=allocation.scaled,
            scale_factor=allocation.scale_factor,
            claims_count=len(claims),
            run_by=actor,
        )
        for claim, line in zip(claims, allocation.lines, strict=True):
            claim.eligible = line.eligible
            claim.capped = line.capped
            claim.awarded = line.awarded
            claim.allocation_run = run
        SubsidyClaim.objects.bulk_update(
            claims, ["eligible", "capped", "awarded", "allocation_run"]
        )
        audit_record(
            actor=actor,
            action="subsidy.allocate_proposed",
            obj=run,
            before=None,
            after={
                "policy_id": policy.pk,
                "year": claim_year,
                "budget": money_str(budget),
                "total_awarded": money_str(allocation.total_awarded),
                "scaled": allocation.scaled,
                "scale_factor": f"{allocation.scale_factor:f}",
                "awards": {str(c.pk): money_str(c.awarded or _ZERO) for c in claims},
            },
        )
        notify_orgs(
            ip_office_ids(),
            run,
            "subsidy.allocate_proposed",
            f"{claim_year} 年度贴息核定方案已由 {actor.get_username()} 提出，待另一人复核确认。",
            f"The {claim_year} subsidy allocation was proposed by {actor.get_username()}; a "
            "second person must confirm it.",
        )
    return run


def _refuse_existing_run(run: SubsidyAllocationRun, year: int) -> None:
    if run.confirmed_by_id is None:
        raise Conflict(
            f"{year} 年度已有待复核的核定方案，请先确认或退回。",
            f"A proposed {year} allocation waits for confirmation; confirm or discard it first.",
            code="allocation_proposed",
            extra={"run_id": run.pk},
        )
    raise Conflict(
        f"{year} 年度的贴息已核定。",
        f"The {year} subsidy has been allocated already.",
        code="allocation_done",
    )


def _locked_proposal(actor: User, run_id: int | str) -> SubsidyAllocationRun:
    """The proposed run, locked, for the checker: never its maker (403), never a confirmed one."""
    require(actor, Perm.SUBSIDY_REVIEW)
    run = (
        SubsidyAllocationRun.objects.select_for_update().filter(pk=int_in(run_id, "run_id")).first()
    )
    if run is None:
        raise NotFound("没有该核定方案。", "No such allocation.", code="allocation_not_found")
    if run.confirmed_by_id is not None:
        _refuse_existing_run(run, run.year)  # allocation_done
    if run.run_by_id == actor.pk:
        raise PermissionDenied(
            "核定方案须由提出人以外的另一人复核。",
            "The allocation must be confirmed by someone other than its proposer.",
            code="checker_is_maker",
        )
    return run


def subsidy_allocation_confirm(*, actor: User, run_id: int | str) -> SubsidyAllocationRun:
    """The checker confirms a proposed allocation: its claims are allocated with the proposed
    figures and the enterprises are told."""
    with transaction.atomic():
        run = _locked_proposal(actor, run_id)
        claims = list(
            SubsidyClaim.objects.select_for_update()
            .filter(allocation_run=run, state=ClaimState.APPROVED)
            .order_by("pk")
        )
        for claim in claims:
            claim.state = ClaimState.ALLOCATED
        SubsidyClaim.objects.bulk_update(claims, ["state"])
        run.confirmed_by = actor
        run.confirmed_at = timezone.now()
        run.save(update_fields=["confirmed_by", "confirmed_at"])
        audit_record(
            actor=actor,
            action="subsidy.allocate",
            obj=run,
            after={
                "policy_id": run.policy_id,
                "year": run.year,
                "proposed_by": run.run_by_id,
                "total_awarded": money_str(run.total_awarded),
                "awards": {str(c.pk): money_str(c.awarded or _ZERO) for c in claims},
            },
        )
        for claim in claims:
            notify_orgs(
                [claim.enterprise_id],
                claim,
                "subsidy.allocate",
                f"您的 {run.year} 年度贴息已核定：{money_str(claim.awarded or _ZERO)} 元。",
                f"Your {run.year} interest subsidy: {money_str(claim.awarded or _ZERO)} yuan.",
            )
    return run


def subsidy_allocation_discard(*, actor: User, run_id: int | str) -> None:
    """The checker sends a proposed allocation back: the run is removed and its claims are
    approved again without figures, so that the allocation can be proposed anew."""
    with transaction.atomic():
        run = _locked_proposal(actor, run_id)
        claims = SubsidyClaim.objects.select_for_update().filter(allocation_run=run)
        claims.update(allocation_run=None, eligible=None, capped=None, awarded=None)
        audit_record(
            actor=actor,
            action="subsidy.allocate_discarded",
            obj=run,
            before={"year": run.year, "total_awarded": money_str(run.total_awarded)},
        )
        run.delete()
