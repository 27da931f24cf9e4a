"""The guarantee pages (融资担保): the list, where a bank asks a guarantor to guarantee one of its
loans, and a guarantee's page with what its party may do next: the guarantor issues, declines or
pays; the bank calls it on default. Thin: one selector or service per page or action; every action
runs through `run_action`, so a refusal answers its own status with the message in place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ipfin.accounts.models import Organisation, OrganisationKind
from ipfin.accounts.permissions import Perm, has_perm, require_login
from ipfin.guarantees import selectors, services
from ipfin.guarantees.forms import (
    DeclineForm,
    GeneralCallForm,
    GuaranteeRequestForm,
    RefundReceivedForm,
)
from ipfin.guarantees.models import Guarantee, LiabilityChoices
from ipfin.loans.selectors import loan_list
from ipfin.web.templatetags.ipfin_web import yuan
from ipfin.web.views import domain_errors, run_action

_OPEN_LOAN_STATES = ("applied", "approved", "disbursed", "repaying")
MAX_ROWS = 200


def _request_form(request: HttpRequest) -> GuaranteeRequestForm:
    loans = loan_list(actor=request.user).filter(
        bank_id=getattr(request.user, "organisation_id", None), state__in=_OPEN_LOAN_STATES
    )
    guarantors = Organisation.objects.filter(kind=OrganisationKind.GUARANTOR).order_by("name")
    form = GuaranteeRequestForm(request.POST if request.method == "POST" else None)
    choose = [("", _("请选择"))]
    form.fields["loan_id"].choices = [  # type: ignore[attr-defined]
        *choose,
        *(
            (loan.pk, f"#{loan.pk} · {loan.enterprise.name} · {yuan(loan.principal)}")
            for loan in loans[:MAX_ROWS]
        ),
    ]
    form.fields["guarantor_id"].choices = [  # type: ignore[attr-defined]
        *choose,
        *((org.pk, org.name) for org in guarantors),
    ]
    return form


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def guarantee_list(request: HttpRequest) -> HttpResponse:
    """The guarantees the user may see; a bank asks for one on its loan here."""
    can_request = has_perm(request.user, Perm.LOAN_MANAGE)
    form = _request_form(request) if can_request else None

    def page(status: int = 200, error: str = "") -> HttpResponse:
        context = {
            "guarantees": list(selectors.guarantee_list(actor=request.user)[:MAX_ROWS]),
            "form": form,
            "action_error": error,
        }
        return render(request, "guarantees/list.html", context, status=status)

    if request.method != "POST" or form is None:
        return page()
    made: dict[str, Guarantee] = {}

    def act() -> str:
        made["g"] = services.guarantee_request(
            actor=require_login(request.user), **form.cleaned_data
        )
        return _("已向担保机构提交担保申请，待其出具。")

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("guarantees:guarantee_detail", made["g"].pk),
        on_failure=page,
    )


def _detail(
    request: HttpRequest, guarantee_id: int, status: int = 200, **given: Any
) -> HttpResponse:
    g = selectors.guarantee_get(actor=request.user, guarantee_id=guarantee_id)
    org_id = getattr(request.user, "organisation_id", None)
    issuer = org_id == g.guarantor_id and has_perm(request.user, Perm.GUARANTEE_ISSUE)
    lender = org_id == g.bank_id and has_perm(request.user, Perm.LOAN_MANAGE)
    refund_left = services.refund_outstanding(g)
    context = {
        "g": g,
        "can_decide": issuer and g.state == "requested",
        "can_pay": issuer and g.state == "called",
        "to_pay": services.still_to_pay(g) if g.state == "called" else None,
        "can_call": lender and g.state == "issued",
        "period_end": services.period_end(g, g.loan),
        "decline_form": given.get("decline_form") or DeclineForm(),
        "call_form": given.get("call_form") or GeneralCallForm(),
        "refund_outstanding": refund_left,
        "can_record_refund": issuer and refund_left > 0,
        "refund_form": (
            given.get("refund_form") or RefundReceivedForm(initial={"amount": refund_left})
        ),
        "action_error": given.get("error", ""),
    }
    return render(request, "guarantees/detail.html", context, status=status)


@login_required
@domain_errors
@require_http_methods(["GET"])
def guarantee_detail(request: HttpRequest, guarantee_id: int) -> HttpResponse:
    return _detail(request, guarantee_id)


def _action(
    request: HttpRequest,
    guarantee_id: int,
    run: Callable[[], str],
    form: Any = None,
    key: str = "decline_form",
) -> HttpResponse:
    selectors.guarantee_get(actor=request.user, guarantee_id=guarantee_id)  # 404 for strangers

    def refused(status: int, error: str) -> HttpResponse:
        return _detail(request, guarantee_id, status, **{key: form, "error": error})

    return run_action(
        request,
        run,
        form=form,
        on_success=lambda: redirect("guarantees:guarantee_detail", guarantee_id),
        on_failure=refused,
    )


@login_required
@domain_errors
@require_POST
def guarantee_issue(request: HttpRequest, guarantee_id: int) -> HttpResponse:
    def run() -> str:
        g = services.guarantee_decide(
            actor=require_login(request.user), guarantee=guarantee_id, decision="issue"
        )
        if g.fee is None:
            return _("已出具担保；担保费于放款时收取。")
        return _("已出具担保；担保费 %(fee)s。") % {"fee": yuan(g.fee)}

    return _action(request, guarantee_id, run)


@login_required
@domain_errors
@require_POST
def guarantee_decline(request: HttpRequest, guarantee_id: int) -> HttpResponse:
    form = DeclineForm(request.POST)

    def run() -> str:
        services.guarantee_decide(
            actor=require_login(request.user),
            guarantee=guarantee_id,
            decision="decline",
            reason=form.cleaned_data["reason"],
        )
        return _("已拒绝出具担保。")

    return _action(request, guarantee_id, run, form)


@login_required
@domain_errors
@require_POST
def guarantee_call(request: HttpRequest, guarantee_id: int) -> HttpResponse:
    g = selectors.guarantee_get(actor=request.user, guarantee_id=guarantee_id)
    # A general guarantee's call states the borrower's suit and its enforcement; a joint one's
    # takes nothing (the service refuses either the other way).
    form = GeneralCallForm(request.POST) if g.liability == LiabilityChoices.GENERAL else None

    def run() -> str:
        grounds = form.cleaned_data if form is not None else {}
        called = services.guarantee_call(
            actor=require_login(request.user), guarantee=guarantee_id, **grounds
        )
        return _("已向担保机构索赔：应代偿 %(due)s。") % {"due": yuan(called.due)}

    return _action(request, guarantee_id, run, form, key="call_form")


@login_required
@domain_errors
@require_POST
def guarantee_pay(request: HttpRequest, guarantee_id: int) -> HttpResponse:
    def run() -> str:
        g = services.guarantee_pay(actor=require_login(request.user), guarantee=guarantee_id)
        return _("已代偿，累计代偿 %(paid)s。") % {"paid": yuan(g.paid)}

    return _action(request, guarantee_id, run)


@login_required
@domain_errors
@require_POST
def guarantee_refund_receive(request: HttpRequest, guarantee_id: int) -> HttpResponse:
    form = RefundReceivedForm(request.POST)

    def run() -> str:
        g = services.guarantee_refund_receive(
            actor=require_login(request.user), guarantee=guarantee_id, **form.cleaned_data
        )
        return _("已记录收到返还款；尚待返还 %(left)s。") % {
            "left": yuan(services.refund_outstanding(g))
        }

    return _action(request, guarantee_id, run, form, key="refund_form")
