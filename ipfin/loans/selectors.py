"""Reads of loans and subsidy claims, each limited to what the actor may see.

- `loan_list` / `loan_get`: a bank sees the loans it granted, an enterprise its own, a park its
  members', the IP office and regulators all (`Perm.LOAN_VIEW_ALL`). Another tenant's loan is a
  404, never a 403, so that its existence is not revealed.
- `loan_position`: what is due and what would settle the loan on a day (penalties brought up to
  that day), from the pure `ipfin.loans.domain`.
- `bank_pledges_for`: the registered pledges a bank holds over an enterprise (the approval form).
- `bank_customers`: the enterprises that applied to a bank for a loan, themselves or through
  their park (this app's part of `ipfin.accounts.customers`).
- `secured_loans`: the loans of a pledge's pledgee that the pledge still secures (what its
  release asks about, through `ipfin.pledges.securing`).
- `pledge_valuations` / `pledge_valuation`: the valuations of a pledge's rights an approval may
  name (the valuation app's `loan_backing_refusal` decides which may back it).
- `subsidy_claim_list` / `subsidy_claim_get`: an enterprise sees its own claims, the IP office and
  regulators all. `subsidy_policies`, `subsidy_runs`: the subsidy policies and allocation runs;
  `subsidy_open_policy`: the policy open for claims on a day (what the claim form proposes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum

from ipfin.accounts.permissions import (
    Actor,
    Perm,
    acting_organisation,
    has_perm,
    require,
    require_login,
    tenant_scope,
)
from ipfin.common.errors import NotFound, ValidationFailed
from ipfin.common.workdays import WorkingCalendar
from ipfin.financing.models import Policy, PolicyKind
from ipfin.holidays.selectors import working_calendar
from ipfin.loans.domain import InstalmentState, LoanTerms, amount_due, amount_to_settle
from ipfin.loans.domain.status import (
    ACTIVE_STATES,
    SECURED_STATES,
    LoanState,
    payable_on,
    release_due,
)
from ipfin.loans.models import (
    ClaimState,
    Installment,
    Loan,
    LoanClassification,
    LoanStateChoices,
    Repayment,
    RiskCategoryChoices,
    SubsidyAllocationRun,
    SubsidyClaim,
)
from ipfin.pledges.models import Pledge, PledgeItem, PledgeStateChoices
from ipfin.pledges.securing import SecuredLoan
from ipfin.valuation.models import Valuation, ValuationState
from ipfin.valuation.selectors import (
    loan_backing_refusal,
    reliable_valuations_of,
    valuation_list,
)

__all__ = [
    "Headline",
    "LoanPosition",
    "bank_customers",
    "bank_pledges_for",
    "loan_get",
    "loan_list",
    "loan_position",
    "pledge_valuation",
    "pledge_valuations",
    "public_headline",
    "secured_loans",
    "subsidy_claim_get",
    "subsidy_claim_list",
    "subsidy_open_policy",
    "subsidy_policies",
    "subsidy_runs",
]


def _choice(value: str, allowed: list[str], field: str) -> str:
    if value not in allowed:
        raise ValidationFailed(
            f"“{field}”的取值“{value}”无效。",
            f"Invalid value {value!r} for {field!r}.",
            code="filter_invalid",
            extra={"field": field, "allowed": allowed},
        )
    return value


def loan_list(
    *, actor: Actor, state: str | None = None, classification: str | None = None
) -> QuerySet[Loan]:
    """The loans `actor` may see, newest first; optionally in one state or category."""
    require_login(actor)
    loans = Loan.objects.select_related("bank", "enterprise", "pledge", "product_version__product")
    scope = tenant_scope(
        actor, "bank_id", "enterprise_id", "enterprise__park_id", view_all=Perm.LOAN_VIEW_ALL
    )
    if scope is not None:
        loans = loans.filter(scope)
    if state:
        loans = loans.filter(state=_choice(state, list(LoanStateChoices.values), "state"))
    if classification:
        loans = loans.filter(
            classification=_choice(
                classification, list(RiskCategoryChoices.values), "classification"
            )
        )
    return loans.order_by("-created_at", "-id")


def loan_get(*, actor: Actor, loan_id: int) -> Loan:
    """One loan `actor` may see, with its schedule and repayments; NotFound otherwise."""
    loan = (
        loan_list(actor=actor)
        .select_related("valuation", "demand")
        .prefetch_related(
            Prefetch("installments", queryset=Installment.objects.order_by("n")),
            Prefetch(
                "repayments",
                queryset=Repayment.objects.select_related("recorded_by").order_by("paid_on", "id"),
            ),
            "rights",
        )
        .filter(pk=loan_id)
        .first()
    )
    if loan is None:
        raise NotFound("未找到该贷款。", "No such loan.", code="loan_not_found")
    return loan


@dataclass(frozen=True)
class LoanPosition:
    on: date
    outstanding_principal: Decimal
    amount_due: Decimal  # penalties to `on` and the instalments due on or before it
    amount_to_settle: Decimal  # what repays the loan in full on `on`


def loan_position(loan: Loan, on: date) -> LoanPosition | None:
    """The loan's position on `on` (None before disbursement or after closure)."""
    if loan.state not in (LoanStateChoices.DISBURSED, LoanStateChoices.REPAYING):
        return None
    if loan.disbursed_on is None or on < loan.disbursed_on:
        return None
    states = instalment_states(list(loan.installments.all()), working_calendar())
    terms = loan_terms(loan)
    return LoanPosition(
        on=on,
        outstanding_principal=Decimal(loan.outstanding_principal),
        amount_due=amount_due(states, terms, on),
        amount_to_settle=amount_to_settle(states, terms, on),
    )


def category_on(on: date) -> Subquery:
    """The effective five-category classification on `on` of a Loan queryset's row
    (OuterRef("pk")): the latest change in its history (`LoanClassification`) dated on or before
    that day — the category a bank reports for a quarter end is the one last made by then
    (《商业银行金融资产风险分类办法》); NULL where none was made yet (正常, as at disbursement).
    The statistics' SQL (ipfin.stats.selectors `_LIVE_STOCK_SQL`, `latest`) reads the same row."""
    latest = LoanClassification.objects.filter(loan=OuterRef("pk"), effective_on__lte=on)
    return Subquery(latest.order_by("-effective_on", "-id").values("category")[:1])


def bank_customers(bank_id: int) -> Q:
    """The enterprises (a Q over Organisation) that applied, in any state, for a loan from the
    bank `bank_id`, themselves or through their park: `ipfin.accounts.customers`' loans part.

    Not an application the bank recorded alone: any bank could record one for any credit code,
    and so read that enterprise's credit profile without its consent. (A bank-recorded loan
    still relates them through what the enterprise did: a demand pushed to the bank, a pledge
    it filed or confirmed.)"""
    applied = Q(created_by__organisation_id=F("enterprise_id")) | Q(
        created_by__organisation_id=F("enterprise__park_id")
    )
    return Q(pk__in=Loan.objects.filter(applied, bank_id=bank_id).values("enterprise_id"))


def bank_pledges_for(*, actor: Actor, enterprise_id: int) -> QuerySet[Pledge]:
    """The registered pledges the actor's bank holds over the enterprise, newest first."""
    bank = acting_organisation(require(actor, Perm.LOAN_MANAGE))
    return (
        Pledge.objects.filter(
            pledgee_id=bank.pk,
            pledgor_id=enterprise_id,
            state=PledgeStateChoices.REGISTERED,
        )
        .prefetch_related(
            Prefetch(
                "items",
                queryset=PledgeItem.objects.filter(active=True).select_related("right"),
            )
        )
        .order_by("-effective_date", "-id")
    )


# --- subsidies -----------------------------------------------------------------------------------


def _claim_scope(actor: Actor) -> Q | None:
    """The office's reviewers see every claim; the supervisors as tenant_scope lets them (a
    regulator: the enterprises its open cases name); an enterprise its own."""
    if has_perm(actor, Perm.SUBSIDY_REVIEW):
        return None
    return tenant_scope(actor, "enterprise_id", view_all=Perm.LOAN_VIEW_ALL)


def subsidy_claim_list(
    *,
    actor: Actor,
    policy_id: int | None = None,
    year: int | None = None,
    state: str | None = None,
) -> QuerySet[SubsidyClaim]:
    """The claims `actor` may see (enterprise: its own; IP office: all; a regulator: those of
    the enterprises its open supervision cases name)."""
    require_login(actor)
    claims = SubsidyClaim.objects.select_related("policy", "enterprise", "allocation_run")
    scope = _claim_scope(actor)
    if scope is not None:
        claims = claims.filter(scope)
    if policy_id is not None:
        claims = claims.filter(policy_id=policy_id)
    if year is not None:
        claims = claims.filter(year=year)
    if state:
        claims = claims.filter(state=_choice(state, list(ClaimState.values), "state"))
    return claims.order_by("-year", "-submitted_at", "-id")


def subsidy_claim_get(*, actor: Actor, claim_id: int) -> SubsidyClaim:
    claim = subsidy_claim_list(actor=actor).prefetch_related("loans").filter(pk=claim_id).first()
    if claim is None:
        raise NotFound("未找到该贴息申请。", "No such subsidy claim.", code="claim_not_found")
    return claim


def subsidy_policies() -> QuerySet[Policy]:
    """Active subsidy policies (贴息, 贴费) with a share and a budget, newest first (public)."""
    return (
        Policy.objects.filter(
            kind__in=(PolicyKind.SUBSIDY, PolicyKind.FEE_SUBSIDY),
            is_active=True,
            subsidy_share__isnull=False,
            annual_budget__isnull=False,
        )
        .select_related("issuer")
        .order_by("-created_at", "-id")
    )


def subsidy_open_policy(*, on: date) -> Policy | None:
    """The interest-subsidy policy open for claims on `on`, newest first: active, with a share
    and a budget (`subsidy_policies`), for a year it names, in force on `on` (valid_from and
    valid_to, where set, both included: 民法典 art. 1259) and not yet allocated for that year (an
    allocated year takes no more claims). None when no policy is open: the claim form then
    proposes no year rather than one no policy would take. One query."""
    allocated = SubsidyAllocationRun.objects.filter(policy_id=OuterRef("pk"), year=OuterRef("year"))
    return (
        subsidy_policies()
        .filter(year__isnull=False)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .exclude(Exists(allocated))
        .first()
    )


def subsidy_runs(*, actor: Actor) -> QuerySet[SubsidyAllocationRun]:
    """Allocation runs: the IP office and regulators see them (the figures are public policy
    outcomes, but the enterprises see their own awards on their claims)."""
    require_login(actor)
    runs = SubsidyAllocationRun.objects.select_related("policy", "run_by", "confirmed_by").order_by(
        "-year", "-id"
    )
    if not (has_perm(actor, Perm.SUBSIDY_REVIEW) or has_perm(actor, Perm.LOAN_VIEW_ALL)):
        return runs.filter(Q(pk__in=[]))
    return runs


# --- rows as the pure rules take them; what a closed loan asks of its pledge --------------------


def loan_terms(loan: Loan) -> LoanTerms:
    assert loan.annual_rate is not None and loan.disbursed_on is not None
    return LoanTerms(
        annual_rate=Decimal(loan.annual_rate),
        day_count=loan.day_count,
        disbursed_on=loan.disbursed_on,
        penalty_surcharge=Decimal(loan.penalty_surcharge),
    )


def instalments_with_payable_days(loan: Loan) -> list[Installment]:
    """The loan's instalments in order (as prefetched), each with `payable_on` set: the last day
    it may be paid without being late, its due date moved past weekends and holidays (民法典
    art. 203; `ipfin.loans.domain.status.payable_on`). The pages and the API show it beside the
    contract's due date."""
    calendar = working_calendar()
    rows = list(loan.installments.all())
    for row in rows:
        row.payable_on = payable_on(row.due_date, calendar)
    return rows


def instalment_states(
    rows: Sequence[Installment], calendar: WorkingCalendar
) -> list[InstalmentState]:
    """The instalments as the repayment rules take them, each with its payable day on
    `calendar` (`payable_on`: the due date moved past weekends and holidays, 民法典 art. 203)."""
    return [
        InstalmentState(
            n=r.n,
            due_date=r.due_date,
            principal=Decimal(r.principal),
            interest=Decimal(r.interest),
            principal_paid=Decimal(r.principal_paid),
            interest_paid=Decimal(r.interest_paid),
            penalty=Decimal(r.penalty),
            penalty_paid=Decimal(r.penalty_paid),
            penalty_through=r.penalty_through,
            settled_on=r.settled_on,
            payable_on=payable_on(r.due_date, calendar),
        )
        for r in rows
    ]


def other_loans_on_pledge(loan: Loan) -> list[int]:
    """Other loans that still rely on the loan's pledge registration: any loan applied for,
    approved, disbursed or repaying (a loan is given its pledge on approval), and one written
    off that the pledge still secures (`secured_loans`: 账销案存, the bank keeps its claim and
    its security). Leaving those out, the closing of a sibling loan asked the bank to release a
    registration that still secured a written-off loan."""
    if loan.pledge_id is None:
        return []
    unsettled = Installment.objects.filter(loan_id=OuterRef("pk"), settled_on__isnull=True)
    written_off_owing = Q(state=LoanState.WRITTEN_OFF) & (
        Q(outstanding_principal__gt=0) | Exists(unsettled)
    )
    return list(
        Loan.objects.filter(pledge_id=loan.pledge_id)
        .filter(Q(state__in=ACTIVE_STATES) | written_off_owing)
        .exclude(pk=loan.pk)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def secured_loans(pledge: Pledge, lock: bool = False) -> list[SecuredLoan]:
    """The loans of `pledge`'s pledgee bank that the pledge still secures, by id: approved and
    not yet disbursed (owed: the principal approved), or disbursed, repaying or written off with
    principal outstanding or an instalment unsettled (owed: the principal outstanding). A loan
    closed or repaid in full is not among them, nor another bank's loan. One query; `lock=True`
    locks the rows (FOR UPDATE, in the caller's transaction: a repayment, closure or write-off
    then waits, and the rows are re-read as committed before they are returned)."""
    unsettled = Installment.objects.filter(loan_id=OuterRef("pk"), settled_on__isnull=True)
    loans = Loan.objects.filter(
        pledge_id=pledge.pk, bank_id=pledge.pledgee_id, state__in=SECURED_STATES
    ).filter(Q(state=LoanState.APPROVED) | Q(outstanding_principal__gt=0) | Exists(unsettled))
    if lock:
        loans = loans.select_for_update(of=("self",))
    rows = loans.order_by("pk").values_list("pk", "state", "principal", "outstanding_principal")
    return [
        SecuredLoan(
            loan_id=pk,
            state=state,
            disbursed=state != LoanState.APPROVED,
            owed=Decimal(outstanding if state != LoanState.APPROVED else principal or 0),
        )
        for pk, state, principal, outstanding in rows
    ]


def release_pledge_due(loan: Loan) -> bool:
    """Whether the bank should now release the loan's pledge (`release_due`)."""
    pledge_state = loan.pledge.state if loan.pledge is not None else None
    return release_due(loan.state, pledge_state, other_loans_on_pledge(loan))


def _pledged_right_ids(pledge: Pledge) -> set[int]:
    return set(
        PledgeItem.objects.filter(pledge=pledge, active=True).values_list("right_id", flat=True)
    )


def pledge_valuations(*, actor: Actor, pledge: Pledge) -> list[Valuation]:
    """The valuations an approval on `pledge` may name (the approval form's choices), the latest
    first: issued (or rechecked) valuations the bank may see whose rights are all pledged under
    `pledge` and that may back a loan of the pledgee bank (`loan_backing_refusal`: its own
    valuation, or an agency's report it rechecked and the recheck did not flag)."""
    found = reliable_valuations_of(_pledged_right_ids(pledge), within=valuation_list(actor=actor))
    return [
        valuation
        for valuation, _rights in found
        if loan_backing_refusal(valuation, bank_id=pledge.pledgee_id) is None
    ]


def pledge_valuation(*, actor: Actor, pledge: Pledge, valuation_id: int) -> Valuation | None:
    """The valuation `valuation_id` if the actor sees it, it is issued or rechecked and all its
    rights are pledged under `pledge` (flagged or not: the approval says why one may not back
    it); None otherwise."""
    valuation = (
        valuation_list(actor=actor)
        .filter(pk=valuation_id, state__in=[ValuationState.ISSUED, ValuationState.RECHECKED])
        .prefetch_related("items")
        .first()
    )
    if valuation is None:
        return None
    rights = {item.right_id for item in valuation.items.all()}
    return valuation if rights and rights <= _pledged_right_ids(pledge) else None


# --- the landing page's headline figures (public) -------------------------------------------------

LOANS_FINANCED_STATES = (
    LoanState.DISBURSED.value,
    LoanState.REPAYING.value,
    LoanState.CLOSED.value,
    LoanState.WRITTEN_OFF.value,
)


@dataclass(frozen=True)
class Headline:
    """What the platform has carried, as the landing page shows it to anyone: pledges in force on
    the register (count and the debt they secure) and the IP-pledge loans disbursed through the
    platform (count, principal, distinct borrowers). Aggregates only: no party is named."""

    registered_pledges: int
    registered_debt: Decimal
    loans: int
    financed: Decimal
    borrowers: int


def public_headline() -> Headline:
    """Three aggregate queries, whatever the size of the register (the landing page caches the
    result for a few minutes: an anonymous visitor costs no more than a cache read)."""
    pledges = Pledge.objects.filter(state=PledgeStateChoices.REGISTERED).aggregate(
        n=Count("id"), debt=Sum("debt_amount")
    )
    loans = Loan.objects.filter(state__in=LOANS_FINANCED_STATES).aggregate(
        n=Count("id"), principal=Sum("principal"), borrowers=Count("enterprise", distinct=True)
    )
    return Headline(
        registered_pledges=pledges["n"] or 0,
        registered_debt=pledges["debt"] or Decimal(0),
        loans=loans["n"] or 0,
        financed=loans["principal"] or Decimal(0),
        borrowers=loans["borrowers"] or 0,
    )
