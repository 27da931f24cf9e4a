"""The loans UI: loan list and page (approve with a registered pledge, disburse, record
repayments, close → release prompt), the application form, the schedule calculator (public) and
the subsidy pages (enterprise claims; office review and allocation). Views stay thin: parse,
call one selector or service, render; the services enforce every rule and permission."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ipfin.accounts.permissions import Perm, has_perm, require
from ipfin.common.errors import DomainError, ValidationFailed
from ipfin.financing import selectors as financing_selectors
from ipfin.financing.models import ProductKind, ProductVersion, ResponseKind
from ipfin.financing.views import demand_page
from ipfin.loans import selectors, services
from ipfin.loans.forms import (
    AllocateForm,
    ApproveForm,
    ClaimForm,
    ClassifyForm,
    DeclineForm,
    DisburseForm,
    LoanApplyForm,
    RepaymentForm,
    ReviewForm,
    ScheduleForm,
    WriteOffForm,
)
from ipfin.loans.models import Loan, LoanStateChoices, RiskCategoryChoices
from ipfin.web.templatetags.ipfin_web import yuan_exact
from ipfin.web.views import action_refusal, domain_errors, run_action

LIST_LIMIT = 100


# --- calculator ----------------------------------------------------------------------------------


@domain_errors
def schedule_calculator(request: HttpRequest) -> HttpResponse:
    """Public: the schedule of a loan from its terms (GET form; nothing saved)."""
    schedule = None
    error = ""
    status = 200
    if request.GET:
        form = ScheduleForm(request.GET)
        if form.is_valid():
            try:
                schedule = services.schedule_preview(data=form.cleaned_data)
            except DomainError as exc:
                status, error = action_refusal(exc)
        else:
            status = 400
    else:
        form = ScheduleForm(
            initial={
                "start_date": timezone.localdate(),
                "method": "annuity",
                "day_count": "30/360",
                "months": 12,
            }
        )
    context = {"form": form, "schedule": schedule, "error": error}
    return render(request, "loans/calculator.html", context, status=status)


# --- loans ---------------------------------------------------------------------------------------


@login_required
@domain_errors
def loan_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state") or None
    if state not in LoanStateChoices.values:
        state = None
    category = request.GET.get("classification") or None
    if category not in RiskCategoryChoices.values:
        category = None
    loans = selectors.loan_list(actor=request.user, state=state, classification=category)
    context = {
        "loans": list(loans[:LIST_LIMIT]),
        "state": state,
        "classification": category,
        "states": LoanStateChoices.choices,
        "categories": RiskCategoryChoices.choices,
        "can_apply": has_perm(request.user, Perm.LOAN_MANAGE)
        or has_perm(request.user, Perm.DEMAND_FILE),
    }
    return render(request, "loans/loan_list.html", context)


def _product_choices() -> list[tuple[int, str]]:
    """The current version of every loan product on sale."""
    versions = (
        ProductVersion.objects.filter(product__kind=ProductKind.LOAN, product__is_active=True)
        .select_related("product__provider")
        .order_by("product__provider__name", "product__code", "-version")
    )
    seen: set[int] = set()
    choices = []
    for v in versions:
        if v.product_id in seen:
            continue
        seen.add(v.product_id)
        choices.append((v.pk, f"{v.product.provider.name} · {v.product.name} (v{v.version})"))
    return choices


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def loan_new(request: HttpRequest) -> HttpResponse:
    if not has_perm(request.user, Perm.LOAN_MANAGE):
        require(request.user, Perm.DEMAND_FILE)
    products = _product_choices()
    if request.method == "POST":
        form = LoanApplyForm(request.POST, products=products)
    else:
        org = request.user.organisation  # type: ignore[union-attr]
        initial: dict[str, Any] = {"method": "annuity", "day_count": "30/360", "months": 12}
        if org is not None and org.kind == "enterprise":
            initial["enterprise_uscc"] = org.uscc
        form = LoanApplyForm(initial=initial, products=products)

    def page(status: int = 200, error: str = "") -> HttpResponse:
        context = {"form": form, "action_error": error}
        return render(request, "loans/loan_form.html", context, status=status)

    if request.method != "POST":
        return page()
    made: dict[str, Any] = {}

    def act() -> str:
        loan = made["loan"] = services.loan_apply(actor=request.user, **form.cleaned_data)
        return _("贷款申请已提交。编号 #%(id)s") % {"id": loan.pk}

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("loans:loan_detail", loan_id=made["loan"].pk),
        on_failure=page,
    )


def _pledge_label(pledge: Any) -> str:
    rights = "、".join(item.right.number for item in pledge.items.all())
    return f"{pledge.registration_no} · {yuan_exact(pledge.debt_amount)} · {rights}"


def _loan_context(request: HttpRequest, loan: Loan, **forms: Any) -> dict[str, Any]:
    user = request.user
    today = timezone.localdate()
    can_manage = has_perm(user, Perm.LOAN_MANAGE) and loan.bank_id == user.organisation_id  # type: ignore[union-attr]
    installments = selectors.instalments_with_payable_days(loan)
    context: dict[str, Any] = {
        "loan": loan,
        "installments": installments,
        "repayments": list(loan.repayments.all()),
        "position": selectors.loan_position(loan, today),
        "today": today,
        "can_manage": can_manage,
        "release_pledge": can_manage and selectors.release_pledge_due(loan),
    }
    if not can_manage:
        return context
    if loan.state == LoanStateChoices.APPLIED:
        pledges = list(selectors.bank_pledges_for(actor=user, enterprise_id=loan.enterprise_id))
        valuations: dict[int, str] = {}
        for pledge in pledges:
            for v in selectors.pledge_valuations(actor=user, pledge=pledge):
                valuations[v.pk] = (
                    f"#{v.pk} · {yuan_exact(v.value)} · {v.valuation_date} · {v.organisation.name}"
                )
        context["approve_form"] = forms.get("approve_form") or ApproveForm(
            initial={
                "principal": loan.requested_amount,
                "months": loan.requested_months,
                "method": loan.method,
                "day_count": loan.day_count,
            },
            pledges=[(p.pk, _pledge_label(p)) for p in pledges],
            valuations=list(valuations.items()),
        )
        context["decline_form"] = forms.get("decline_form") or DeclineForm()
    elif loan.state == LoanStateChoices.APPROVED:
        context["disburse_form"] = forms.get("disburse_form") or DisburseForm(
            initial={"disbursed_on": today}
        )
    elif loan.state in (LoanStateChoices.DISBURSED, LoanStateChoices.REPAYING):
        context["repayment_form"] = forms.get("repayment_form") or RepaymentForm(
            initial={"paid_on": today}
        )
        context["can_close"] = loan.state == LoanStateChoices.REPAYING and all(
            i.settled_on is not None for i in installments
        )
        context["classify_form"] = forms.get("classify_form") or ClassifyForm(
            initial={"category": loan.assessed_classification or loan.classification}
        )
        # 核销 only for a loan classified 损失 (the service checks it again as of today).
        if loan.classification == RiskCategoryChoices.LOSS:
            context["write_off_form"] = forms.get("write_off_form") or WriteOffForm()
    return context


@login_required
@domain_errors
def loan_detail(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = selectors.loan_get(actor=request.user, loan_id=loan_id)
    return render(request, "loans/loan_detail.html", _loan_context(request, loan))


def _loan_action(
    request: HttpRequest,
    loan_id: int,
    act: Callable[[Loan], str],
    *,
    form_name: str | None = None,
    form: Any = None,
) -> HttpResponse:
    """Run one service on the loan (`run_action`): redirect with its message, or show the loan
    page again with the form and the error at the error's status."""
    loan = selectors.loan_get(actor=request.user, loan_id=loan_id)

    def shown_again(status: int, error: str) -> HttpResponse:
        fresh = selectors.loan_get(actor=request.user, loan_id=loan_id)
        extra = {form_name: form} if form_name and form is not None else {}
        context = _loan_context(request, fresh, **extra)
        context["action_error"] = error
        return render(request, "loans/loan_detail.html", context, status=status)

    return run_action(
        request,
        lambda: act(loan),
        form=form,
        on_success=lambda: redirect("loans:loan_detail", loan_id=loan.pk),
        on_failure=shown_again,
    )


@login_required
@domain_errors
@require_POST
def loan_approve(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = selectors.loan_get(actor=request.user, loan_id=loan_id)
    ctx = _loan_context(request, loan)
    base = ctx.get("approve_form")
    form = ApproveForm(
        request.POST,
        pledges=list(base.fields["pledge_id"].choices) if base else [],
        valuations=[c for c in base.fields["valuation_id"].choices if c[0] != ""] if base else [],
    )

    def act(target: Loan) -> str:
        services.loan_approve(actor=request.user, loan=target, **form.cleaned_data)
        return _("授信审批已通过。")

    return _loan_action(request, loan_id, act, form_name="approve_form", form=form)


@login_required
@domain_errors
@require_POST
def loan_decline(request: HttpRequest, loan_id: int) -> HttpResponse:
    form = DeclineForm(request.POST)

    def act(loan: Loan) -> str:
        services.loan_decline(actor=request.user, loan=loan, reason=form.cleaned_data["reason"])
        return _("已拒绝该贷款申请。")

    return _loan_action(request, loan_id, act, form_name="decline_form", form=form)


@login_required
@domain_errors
@require_POST
def loan_disburse(request: HttpRequest, loan_id: int) -> HttpResponse:
    form = DisburseForm(request.POST)

    def act(loan: Loan) -> str:
        services.loan_disburse(
            actor=request.user, loan=loan, disbursed_on=form.cleaned_data["disbursed_on"]
        )
        return _("已放款，还款计划已生成。")

    return _loan_action(request, loan_id, act, form_name="disburse_form", form=form)


@login_required
@domain_errors
@require_POST
def loan_repay(request: HttpRequest, loan_id: int) -> HttpResponse:
    form = RepaymentForm(request.POST)

    def act(loan: Loan) -> str:
        repayment = services.loan_repay(
            actor=request.user,
            loan=loan,
            amount=form.cleaned_data["amount"],
            paid_on=form.cleaned_data["paid_on"],
        )
        return _(
            "已登记还款 %(amount)s：罚息 %(penalty)s，利息 %(interest)s，本金 %(principal)s。"
        ) % {
            "amount": yuan_exact(repayment.amount),
            "penalty": yuan_exact(repayment.penalty_part),
            "interest": yuan_exact(repayment.interest_part),
            "principal": yuan_exact(repayment.principal_part),
        }

    return _loan_action(request, loan_id, act, form_name="repayment_form", form=form)


@login_required
@domain_errors
@require_POST
def loan_close(request: HttpRequest, loan_id: int) -> HttpResponse:
    def act(loan: Loan) -> str:
        services.loan_close(actor=request.user, loan=loan)
        return _("贷款已结清。")

    return _loan_action(request, loan_id, act)


@login_required
@domain_errors
@require_POST
def loan_classify_manual(request: HttpRequest, loan_id: int) -> HttpResponse:
    form = ClassifyForm(request.POST)

    def act(loan: Loan) -> str:
        done = services.loan_classify_manual(
            actor=request.user,
            loan=loan,
            category=form.cleaned_data["category"],
            reason=form.cleaned_data["reason"],
        )
        return _("五级分类已认定为：%(category)s。") % {
            "category": done.get_classification_display()
        }

    return _loan_action(request, loan_id, act, form_name="classify_form", form=form)


@login_required
@domain_errors
@require_POST
def loan_write_off(request: HttpRequest, loan_id: int) -> HttpResponse:
    form = WriteOffForm(request.POST)

    def act(loan: Loan) -> str:
        services.loan_write_off(actor=request.user, loan=loan, reason=form.cleaned_data["reason"])
        return _("贷款已核销。")

    return _loan_action(request, loan_id, act, form_name="write_off_form", form=form)


# --- subsidies -----------------------------------------------------------------------------------


def _policy_choices() -> list[tuple[int, str]]:
    return [(p.pk, f"{p.title} · {p.issuer.name}") for p in selectors.subsidy_policies()]


def _subsidy_context(request: HttpRequest, **forms: Any) -> dict[str, Any]:
    user = request.user
    policies = _policy_choices()
    # The year proposed is the one an open policy takes (none open: no year proposed, rather
    # than a calendar year no policy would accept), with that policy chosen.
    open_policy = selectors.subsidy_open_policy(on=timezone.localdate())
    initial = (
        {"policy_id": open_policy.pk, "year": open_policy.year} if open_policy is not None else {}
    )
    can_apply = has_perm(user, Perm.SUBSIDY_APPLY)
    can_review = has_perm(user, Perm.SUBSIDY_REVIEW)
    context: dict[str, Any] = {
        "claims": list(selectors.subsidy_claim_list(actor=user).prefetch_related("loans")[:200]),
        "runs": list(selectors.subsidy_runs(actor=user)[:50]),
        "can_apply": can_apply,
        "can_review": can_review,
        "review_form": ReviewForm(),
    }
    if can_apply:
        context["claim_form"] = forms.get("claim_form") or ClaimForm(
            initial=initial, policies=policies
        )
    if can_review:
        context["allocate_form"] = forms.get("allocate_form") or AllocateForm(
            initial=initial, policies=policies
        )
    return context


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def subsidy_claims(request: HttpRequest) -> HttpResponse:
    """The enterprise's claims and its claim form; the office's review and allocation page."""
    if request.method == "GET":
        return render(request, "loans/subsidies.html", _subsidy_context(request))
    form = ClaimForm(request.POST, policies=_policy_choices())

    def submit() -> str:
        claim = services.subsidy_claim_submit(actor=request.user, **form.cleaned_data)
        if claim.basis == "fees":
            return _("贴费申请已提交：实付担保费、保险费、评估费 %(fees)s。") % {
                "fees": yuan_exact(claim.fees_paid)
            }
        return _("贴息申请已提交：实付利息 %(interest)s。") % {
            "interest": yuan_exact(claim.interest_paid)
        }

    return run_action(
        request,
        submit,
        form=form,
        on_success=lambda: redirect("loans:subsidy_claims"),
        on_failure=_subsidy_page_again(request, claim_form=form),
    )


@login_required
@domain_errors
@require_POST
def subsidy_review(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = selectors.subsidy_claim_get(actor=request.user, claim_id=claim_id)
    form = ReviewForm(request.POST)

    def review() -> str:
        services.subsidy_claim_review(actor=request.user, claim=claim, **form.cleaned_data)
        return _("审核决定已保存。")

    return run_action(
        request,
        review,
        form=form,
        on_success=lambda: redirect("loans:subsidy_claims"),
        on_failure=_subsidy_page_again(request),
    )


@login_required
@domain_errors
@require_POST
def subsidy_allocate(request: HttpRequest) -> HttpResponse:
    form = AllocateForm(request.POST, policies=_policy_choices())

    def allocate() -> str:
        run = services.subsidy_allocate(actor=request.user, **form.cleaned_data)
        return _("核定方案已提出：共 %(total)s，待另一人复核确认后生效。") % {
            "total": yuan_exact(run.total_awarded)
        }

    return run_action(
        request,
        allocate,
        form=form,
        on_success=lambda: redirect("loans:subsidy_claims"),
        on_failure=_subsidy_page_again(request, allocate_form=form),
    )


@login_required
@domain_errors
@require_POST
def subsidy_allocation_confirm(request: HttpRequest, run_id: int) -> HttpResponse:
    def confirm() -> str:
        run = services.subsidy_allocation_confirm(actor=request.user, run_id=run_id)
        return _("贴息已核定：共 %(total)s，已通知各企业。") % {
            "total": yuan_exact(run.total_awarded)
        }

    return run_action(
        request,
        confirm,
        on_success=lambda: redirect("loans:subsidy_claims"),
        on_failure=_subsidy_page_again(request),
    )


@login_required
@domain_errors
@require_POST
def subsidy_allocation_discard(request: HttpRequest, run_id: int) -> HttpResponse:
    def discard() -> str:
        services.subsidy_allocation_discard(actor=request.user, run_id=run_id)
        return _("核定方案已退回，可重新核定。")

    return run_action(
        request,
        discard,
        on_success=lambda: redirect("loans:subsidy_claims"),
        on_failure=_subsidy_page_again(request),
    )


def _subsidy_page_again(request: HttpRequest, **forms: Any) -> Callable[[int, str], HttpResponse]:
    """The subsidies page shown again after a refused or invalid post, with its form and error."""

    def render_again(status: int, error: str) -> HttpResponse:
        context = _subsidy_context(request, **forms)
        context["action_error"] = error
        return render(request, "loans/subsidies.html", context, status=status)

    return render_again


# --- from a financing demand ---------------------------------------------------------------------


@login_required
@domain_errors
@require_POST
def loan_apply_from_demand(request: HttpRequest, demand_id: int) -> HttpResponse:
    """Apply for a loan from a financing demand with the product of a bank that answered
    "interested" (`loan_apply`, which checks who may apply and the product's terms); a refusal
    shows the demand's page again with it."""
    demand = financing_selectors.demand_get(actor=request.user, pk=demand_id)
    made: dict[str, Any] = {}

    def act() -> str:
        row = next(
            (
                r
                for r in financing_selectors.ledger_list(actor=request.user).filter(demand=demand)
                if str(r.pk) == request.POST.get("row", "")
            ),
            None,
        )
        if row is None or row.response != ResponseKind.INTERESTED or row.product_version is None:
            raise ValidationFailed(
                "只能以已表示有意向的银行产品申请贷款。",
                "A loan can only be applied for with the product of a bank that answered "
                "'interested'.",
                code="demand_apply_not_interested",
            )
        methods = list(row.product_version.repayment_methods) or ["annuity"]
        loan = made["loan"] = services.loan_apply(
            actor=request.user,
            enterprise_uscc=demand.enterprise.uscc or "",
            product_version_id=row.product_version_id,
            amount=demand.amount,
            months=demand.term_months,
            method=methods[0],
            day_count="30/360",
            demand_id=demand.pk,
            rights=[r.number for r in demand.rights.all()],
        )
        return _("贷款申请已提交。编号 #%(id)s") % {"id": loan.pk}

    return run_action(
        request,
        act,
        on_success=lambda: redirect("loans:loan_detail", loan_id=made["loan"].pk),
        on_failure=lambda status, error: demand_page(
            request, demand_id, status=status, error=error
        ),
    )
