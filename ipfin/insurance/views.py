"""The insurance pages (知识产权保险): the policies a user is a party to, the insurer's policy form,
and a policy's page with its co-insurance pool and claims: the policyholder or the insured bank
gives notice, the lead insurer assesses (or rejects) and pays. Thin: one selector or service per
page or action; every action runs through `run_action`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ipfin.accounts.models import Organisation, OrganisationKind
from ipfin.accounts.permissions import Perm, has_perm, require, require_login
from ipfin.insurance import selectors, services
from ipfin.insurance.forms import (
    AssessForm,
    ClaimNoticeForm,
    PolicyIssueForm,
    RefundReceivedForm,
    RejectForm,
)
from ipfin.insurance.models import InsuranceClaim, Policy
from ipfin.web.templatetags.ipfin_web import yuan
from ipfin.web.views import domain_errors, run_action

MAX_ROWS = 200


@login_required
@domain_errors
@require_http_methods(["GET"])
def policy_list(request: HttpRequest) -> HttpResponse:
    context = {
        "policies": list(selectors.policy_list(actor=request.user)[:MAX_ROWS]),
        "can_issue": has_perm(request.user, Perm.INSURANCE_ISSUE),
    }
    return render(request, "insurance/list.html", context)


def _choices(kinds: tuple[str, ...], *, exclude: int | None = None) -> list[tuple[Any, str]]:
    orgs = Organisation.objects.filter(kind__in=kinds).exclude(pk=exclude).order_by("kind", "name")
    return [("", _("请选择")), *((org.pk, org.name) for org in orgs)]


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def policy_new(request: HttpRequest) -> HttpResponse:
    """The lead insurer issues a policy (`?kind=` chooses the kind)."""
    user = require(request.user, Perm.INSURANCE_ISSUE)
    if request.method == "POST":
        form = PolicyIssueForm(request.POST)
    else:
        form = PolicyIssueForm(initial={"kind": request.GET.get("kind", "pledge_guarantee")})
    fields: Any = form.fields
    fields["policyholder_id"].choices = _choices(
        (OrganisationKind.ENTERPRISE, OrganisationKind.PARK)
    )
    fields["beneficiary_id"].choices = _choices((OrganisationKind.BANK,))
    fields["co_insurer_id"].choices = _choices(
        (OrganisationKind.INSURER,), exclude=user.organisation_id
    )

    def page(status: int = 200, error: str = "") -> HttpResponse:
        return render(
            request, "insurance/new.html", {"form": form, "action_error": error}, status=status
        )

    if request.method != "POST":
        return page()
    made: dict[str, Policy] = {}

    def act() -> str:
        made["p"] = services.policy_issue(actor=user, data=form.service_data())
        return _("已出具保单，保险费 %(premium)s。") % {"premium": yuan(made["p"].premium)}

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("insurance:policy_detail", made["p"].pk),
        on_failure=page,
    )


def _detail(request: HttpRequest, policy_id: int, status: int = 200, **given: Any) -> HttpResponse:
    policy = selectors.policy_get(actor=request.user, policy_id=policy_id)
    org_id = getattr(request.user, "organisation_id", None)
    lead = org_id == policy.insurer_id and has_perm(request.user, Perm.INSURANCE_ISSUE)
    claims = list(selectors.claim_list(actor=request.user, policy=policy))
    names = {m.insurer_id: m.insurer.name for m in policy.members.all()}
    context = {
        "policy": policy,
        "members": list(policy.members.order_by("position")),
        "claims": [
            {"claim": c, "parts": [(names.get(int(k), k), v) for k, v in c.parts.items()]}
            for c in claims
        ],
        "lead": lead,
        "can_notify": org_id in (policy.policyholder_id, policy.beneficiary_id)
        and not policy.awaiting_acceptance,
        "can_accept": policy.awaiting_acceptance
        and org_id == policy.beneficiary_id
        and has_perm(request.user, Perm.LOAN_MANAGE),
        "left": policy.sum_insured - policy.paid_out,
        "can_record_refund": lead
        and policy.refund_due is not None
        and policy.refund_due > 0
        and policy.refund_received_on is None,
        "refund_form": given.get("refund_form") or RefundReceivedForm(),
        "notice_form": given.get("notice_form") or ClaimNoticeForm(),
        "assess_form": given.get("assess_form") or AssessForm(),
        "reject_form": given.get("reject_form") or RejectForm(),
        "action_error": given.get("error", ""),
    }
    return render(request, "insurance/detail.html", context, status=status)


@login_required
@domain_errors
@require_http_methods(["GET"])
def policy_detail(request: HttpRequest, policy_id: int) -> HttpResponse:
    return _detail(request, policy_id)


def _act(
    request: HttpRequest, policy_id: int, run: Callable[[], str], key: str, form: Any = None
) -> HttpResponse:
    def refused(status: int, error: str) -> HttpResponse:
        return _detail(request, policy_id, status, **{key: form, "error": error})

    return run_action(
        request,
        run,
        form=form,
        on_success=lambda: redirect("insurance:policy_detail", policy_id),
        on_failure=refused,
    )


@login_required
@domain_errors
@require_POST
def claim_notify(request: HttpRequest, policy_id: int) -> HttpResponse:
    selectors.policy_get(actor=request.user, policy_id=policy_id)  # 404 for strangers
    form = ClaimNoticeForm(request.POST)

    def run() -> str:
        services.claim_notify(
            actor=require_login(request.user), policy_id=policy_id, **form.cleaned_data
        )
        return _("已报案，等待保险机构定损。")

    return _act(request, policy_id, run, "notice_form", form)


@login_required
@domain_errors
@require_POST
def policy_accept(request: HttpRequest, policy_id: int) -> HttpResponse:
    selectors.policy_get(actor=request.user, policy_id=policy_id)  # 404 for strangers

    def run() -> str:
        services.policy_accept(actor=require_login(request.user), policy_id=policy_id)
        return _("已确认保单，该保单自即日起参与本笔贷款的风险分担。")

    return _act(request, policy_id, run, "notice_form")


@login_required
@domain_errors
@require_POST
def policy_refund_receive(request: HttpRequest, policy_id: int) -> HttpResponse:
    selectors.policy_get(actor=request.user, policy_id=policy_id)  # 404 for strangers
    form = RefundReceivedForm(request.POST)

    def run() -> str:
        services.policy_refund_receive(
            actor=require_login(request.user), policy_id=policy_id, **form.cleaned_data
        )
        return _("已记录收到银行的返还款。")

    return _act(request, policy_id, run, "refund_form", form)


def _claim_policy(request: HttpRequest, claim_id: int) -> int:
    """The policy of a claim the user may see (404 otherwise)."""
    policy_id = (
        InsuranceClaim.objects.filter(pk=claim_id).values_list("policy_id", flat=True).first()
    )
    policy = selectors.policy_get(actor=request.user, policy_id=policy_id or 0)
    return policy.pk


@login_required
@domain_errors
@require_POST
def claim_assess(request: HttpRequest, claim_id: int) -> HttpResponse:
    policy_id = _claim_policy(request, claim_id)
    form = AssessForm(request.POST)

    def run() -> str:
        claim = services.claim_assess(
            actor=require_login(request.user),
            claim_id=claim_id,
            decision="pay",
            loss=form.cleaned_data["loss"],
        )
        return _("已定损：赔付 %(payout)s。") % {"payout": yuan(claim.payout)}

    return _act(request, policy_id, run, "assess_form", form)


@login_required
@domain_errors
@require_POST
def claim_reject(request: HttpRequest, claim_id: int) -> HttpResponse:
    policy_id = _claim_policy(request, claim_id)
    form = RejectForm(request.POST)

    def run() -> str:
        services.claim_assess(
            actor=require_login(request.user),
            claim_id=claim_id,
            decision="reject",
            reason=form.cleaned_data["reason"],
        )
        return _("已拒赔。")

    return _act(request, policy_id, run, "reject_form", form)


@login_required
@domain_errors
@require_POST
def claim_pay(request: HttpRequest, claim_id: int) -> HttpResponse:
    policy_id = _claim_policy(request, claim_id)

    def run() -> str:
        claim = services.claim_pay(actor=require_login(request.user), claim_id=claim_id)
        return _("已赔付 %(payout)s。") % {"payout": yuan(claim.payout)}

    return _act(request, policy_id, run, "assess_form")
