"""Pages of the financing catalogue, the demand library and the feedback ledger. Thin: parse the
request, call one selector or service of ipfin.financing, render. Buttons are shown by
`has_perm`; the services enforce. A DomainError becomes a page with its status; a refused or
invalid form action shows its page again with the error in place (the UI kernel's
`run_action`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ipfin.accounts.models import Organisation, OrganisationKind
from ipfin.accounts.permissions import Perm, has_perm, require
from ipfin.common.errors import ValidationFailed
from ipfin.financing import presentation, selectors, services
from ipfin.financing.forms import (
    DemandForm,
    PolicyForm,
    ProductFilterForm,
    ProductForm,
    RespondForm,
)
from ipfin.financing.models import DemandState, PolicyKind, ResponseKind
from ipfin.pledges.selectors import right_held
from ipfin.registry.selectors import owner_rights
from ipfin.web.views import domain_errors, run_action

LIST_LIMIT = 200


# --- catalogue -----------------------------------------------------------------------------------


@domain_errors
def product_list(request: HttpRequest) -> HttpResponse:
    form = ProductFilterForm(request.GET)
    valid = form.is_valid()
    filters = form.filters() if valid else {}
    mine = request.GET.get("mine") == "1" and has_perm(request.user, Perm.PRODUCT_PUBLISH)
    products = selectors.product_list(actor=request.user, include_withdrawn=mine, **filters)
    if mine:
        products = [p for p in products if p.provider_id == request.user.organisation_id]
    today = timezone.localdate()
    shown = products[:LIST_LIMIT]
    rates = selectors.annual_rates([selectors.current_terms(p) for p in shown], on=today)
    rows = [(p, rates[selectors.current_terms(p).pk]) for p in shown]
    context = {
        "form": form,
        "rows": rows,
        "mine": mine,
        "can_publish": has_perm(request.user, Perm.PRODUCT_PUBLISH),
        "lpr_1y": _lpr(today, "1y"),
        "lpr_5y": _lpr(today, "5y"),
        "today": today,
    }
    return render(request, "financing/product_list.html", context, status=200 if valid else 400)


def _lpr(day: Any, tenor: str) -> Any:
    try:
        return selectors.lpr_rate(tenor=tenor, on=day)
    except ValidationFailed:
        return None


@domain_errors
def product_compare(request: HttpRequest) -> HttpResponse:
    ids: list[int] = []
    for raw in request.GET.getlist("ids"):
        for part in raw.split(","):
            if part.strip().isdigit():
                ids.append(int(part))
    products = selectors.product_compare(ids=ids)
    rows = presentation.compare_rows(products, on=timezone.localdate())
    return render(request, "financing/product_compare.html", {"products": products, "rows": rows})


@domain_errors
def product_detail(request: HttpRequest, product_id: int) -> HttpResponse:
    return _product_page(request, product_id)


def _product_page(
    request: HttpRequest, product_id: int, *, status: int = 200, error: str = ""
) -> HttpResponse:
    product = selectors.product_get(pk=product_id)
    current = selectors.current_terms(product)
    today = timezone.localdate()
    own = (
        has_perm(request.user, Perm.PRODUCT_PUBLISH)
        and product.provider_id == request.user.organisation_id
    )
    context = {
        "product": product,
        "current": current,
        "history": selectors.product_history(product),
        "rate": selectors.product_annual_rate(current, on=today),
        "own": own,
        "repayment_labels": presentation.REPAYMENT_LABELS,
        "today": today,
        "action_error": error,
    }
    return render(request, "financing/product_detail.html", context, status=status)


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def product_new(request: HttpRequest) -> HttpResponse:
    require(request.user, Perm.PRODUCT_PUBLISH)
    if request.method != "POST":
        initial: dict[str, Any] = {"package_allowed": True}
        source = request.GET.get("from")
        if source and source.isdigit():
            product = selectors.product_get(pk=int(source))
            if product.provider_id == request.user.organisation_id:
                initial = ProductForm.initial_from(selectors.current_terms(product))
        return _form_page(request, "financing/product_form.html", ProductForm(initial=initial))
    form = ProductForm(request.POST)
    made: dict[str, Any] = {}

    def act() -> str:
        version = made["version"] = services.product_publish(
            actor=request.user, **form.publish_kwargs()
        )
        return _("产品已发布（第 %(n)s 版）。") % {"n": version.version}

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect(
            "financing:product_detail", product_id=made["version"].product_id
        ),
        on_failure=lambda status, error: _form_page(
            request, "financing/product_form.html", form, status=status, error=error
        ),
    )


def _form_page(
    request: HttpRequest,
    template: str,
    form: Any,
    *,
    status: int = 200,
    error: str = "",
    **extra: Any,
) -> HttpResponse:
    context = {"form": form, "action_error": error, **extra}
    return render(request, template, context, status=status)


@login_required
@domain_errors
@require_POST
def product_withdraw(request: HttpRequest, product_id: int) -> HttpResponse:
    product = selectors.product_get(pk=product_id)

    def act() -> str:
        services.product_withdraw(actor=request.user, product=product)
        return _("产品已下架。")

    return run_action(
        request,
        act,
        on_success=lambda: redirect("financing:product_detail", product_id=product_id),
        on_failure=lambda status, error: _product_page(
            request, product_id, status=status, error=error
        ),
    )


# --- policies ------------------------------------------------------------------------------------


@domain_errors
def policy_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind") or None
    if kind not in PolicyKind.values:
        kind = None
    context = {
        "policies": list(selectors.policy_list(kind=kind)[:LIST_LIMIT]),
        "kind": kind,
        "kinds": PolicyKind.choices,
        "can_publish": has_perm(request.user, Perm.POLICY_PUBLISH),
    }
    return render(request, "financing/policy_list.html", context)


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def policy_new(request: HttpRequest) -> HttpResponse:
    require(request.user, Perm.POLICY_PUBLISH)
    if request.method != "POST":
        return _form_page(request, "financing/policy_form.html", PolicyForm())
    form = PolicyForm(request.POST)

    def act() -> str:
        services.policy_publish(actor=request.user, **form.publish_kwargs())
        return _("政策已发布。")

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("financing:policy_list"),
        on_failure=lambda status, error: _form_page(
            request, "financing/policy_form.html", form, status=status, error=error
        ),
    )


# --- demands -------------------------------------------------------------------------------------


@login_required
@domain_errors
def demand_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state") or None
    if state not in DemandState.values:
        state = None
    demands = selectors.demand_list(actor=request.user, state=state)
    context = {
        "demands": list(demands[:LIST_LIMIT]),
        "state": state,
        "states": DemandState.choices,
        "can_file": has_perm(request.user, Perm.DEMAND_FILE),
    }
    return render(request, "financing/demand_list.html", context)


def _enterprises_for(user: Any) -> list[Organisation]:
    """Whom the user may file for: its own enterprise, or its park's members."""
    org = user.organisation
    if org is None:
        return []
    if org.kind == OrganisationKind.PARK:
        return list(
            Organisation.objects.filter(park=org, kind=OrganisationKind.ENTERPRISE).order_by("name")
        )
    return [org] if org.kind == OrganisationKind.ENTERPRISE else []


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def demand_new(request: HttpRequest) -> HttpResponse:
    require(request.user, Perm.DEMAND_FILE)
    enterprises = _enterprises_for(request.user)
    own_rights: list[Any] = []
    org = request.user.organisation
    if org is not None and org.kind == OrganisationKind.ENTERPRISE and org.uscc:
        # Only the rights free to pledge are offered (a right held by a pledge or a pending
        # application, a co-owner's too, is left out: `right_held`).
        own_rights = list(
            owner_rights(uscc=org.uscc, on=timezone.localdate()).filter(~right_held())[:50]
        )
    template = "financing/demand_form.html"
    if request.method != "POST":
        form = DemandForm(enterprises=enterprises)
        return _form_page(request, template, form, own_rights=own_rights)
    form = DemandForm(request.POST, enterprises=enterprises)
    made: dict[str, Any] = {}

    def act() -> str:
        demand = made["demand"] = services.demand_file(actor=request.user, **form.file_kwargs())
        return _("融资需求已提交，编号 #%(id)s。") % {"id": demand.pk}

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("financing:demand_detail", demand_id=made["demand"].pk),
        on_failure=lambda status, error: _form_page(
            request, template, form, status=status, error=error, own_rights=own_rights
        ),
    )


@login_required
@domain_errors
def demand_detail(request: HttpRequest, demand_id: int) -> HttpResponse:
    return demand_page(request, demand_id)


def _with_answers(rows: list[Any], respond: tuple[int, RespondForm] | None) -> list[Any]:
    """Each ledger row with what its answer form shows (`row.answer`): the bank's recorded
    answer, or nothing chosen when it has none; for the row just sent with errors, what was sent
    and the errors, next to their inputs."""
    for row in rows:
        row.answer = {"response": row.response, "reason": row.reason}
        if respond is not None and respond[0] == row.pk:
            form = respond[1]
            row.answer = {
                "response": form.data.get("response", ""),
                "reason": form.data.get("reason", ""),
                "response_errors": form.errors.get("response", []),
                "reason_errors": form.errors.get("reason", []),
            }
    return rows


def demand_page(
    request: HttpRequest,
    demand_id: int,
    *,
    status: int = 200,
    error: str = "",
    respond: tuple[int, RespondForm] | None = None,
) -> HttpResponse:
    """The demand's page; after a refused action, again with the refusal at its status."""
    user = request.user
    demand = selectors.demand_get(actor=user, pk=demand_id)
    today = timezone.localdate()
    report = selectors.demand_matches(actor=user, demand=demand, on=today)
    org_id = user.organisation_id
    may_act = has_perm(user, Perm.DEMAND_FILE) and org_id in (
        demand.enterprise_id,
        demand.filed_by_org_id,
        demand.enterprise.park_id,
    )
    ledger = _with_answers(
        list(selectors.ledger_list(actor=user, today=today).filter(demand=demand)), respond
    )
    context = {
        "demand": demand,
        "rights": list(demand.rights.annotate(held=right_held())),
        "report": report,
        "products": report.products,
        "ledger": ledger,
        "can_push": may_act and demand.state == DemandState.OPEN,
        "can_withdraw": may_act and demand.state == DemandState.OPEN,
        "can_respond": has_perm(user, Perm.DEMAND_RESPOND),
        "can_apply": may_act and demand.state == DemandState.OPEN,
        "respond_form": RespondForm(),
        "today": today,
        "action_error": error,
    }
    return render(request, "financing/demand_detail.html", context, status=status)


def _demand_action(request: HttpRequest, demand_id: int, act: Callable[[], str]) -> HttpResponse:
    """A button on the demand's page: back to the page, with the refusal in place if refused."""
    return run_action(
        request,
        act,
        on_success=lambda: redirect("financing:demand_detail", demand_id=demand_id),
        on_failure=lambda status, error: demand_page(
            request, demand_id, status=status, error=error
        ),
    )


@login_required
@domain_errors
@require_POST
def demand_push(request: HttpRequest, demand_id: int) -> HttpResponse:
    demand = selectors.demand_get(actor=request.user, pk=demand_id)

    def act() -> str:
        created = services.demand_push(actor=request.user, demand=demand)
        if created:
            return _("已推送至 %(n)s 家银行，等待反馈。") % {"n": len(created)}
        return _("符合条件的银行均已推送过，未新增推送。")

    return _demand_action(request, demand_id, act)


@login_required
@domain_errors
@require_POST
def demand_withdraw(request: HttpRequest, demand_id: int) -> HttpResponse:
    demand = selectors.demand_get(actor=request.user, pk=demand_id)

    def act() -> str:
        services.demand_withdraw(actor=request.user, demand=demand)
        return _("融资需求已撤回。")

    return _demand_action(request, demand_id, act)


# --- the feedback ledger -------------------------------------------------------------------------


@login_required
@domain_errors
def ledger(request: HttpRequest) -> HttpResponse:
    return _ledger_page(request)


def _ledger_page(
    request: HttpRequest,
    *,
    status: int = 200,
    error: str = "",
    respond: tuple[int, RespondForm] | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    overdue_only = request.GET.get("overdue") == "1"
    rows = _with_answers(
        list(
            selectors.ledger_list(actor=request.user, today=today, overdue_only=overdue_only)[
                :LIST_LIMIT
            ]
        ),
        respond,
    )
    context = {
        "rows": rows,
        "overdue_only": overdue_only,
        "overdue_count": sum(1 for r in rows if r.overdue),
        "can_respond": has_perm(request.user, Perm.DEMAND_RESPOND),
        "respond_form": RespondForm(),
        "responses": ResponseKind.choices,
        "today": today,
        "action_error": error,
    }
    return render(request, "financing/ledger.html", context, status=status)


def _demand_of(next_url: str) -> int | None:
    """The demand whose page `next` names, if it names one."""
    try:
        match = resolve(next_url)
    except Resolver404:
        return None
    if match.view_name == "financing:demand_detail":
        return int(match.kwargs["demand_id"])
    return None


@login_required
@domain_errors
@require_POST
def ledger_respond(request: HttpRequest, row_id: int) -> HttpResponse:
    """A bank's answer, from the ledger or from the demand's page (`next`): back to that page,
    with the refusal in place if refused."""
    form = RespondForm(request.POST)
    next_url = request.POST.get("next") or ""
    demand_id = _demand_of(next_url) if next_url.startswith("/financing/") else None

    def act() -> str:
        services.demand_respond(
            actor=request.user,
            response_id=row_id,
            response=form.cleaned_data["response"],
            reason=form.cleaned_data["reason"],
        )
        return _("反馈已记录。")

    def back() -> HttpResponse:
        if demand_id is not None:
            return redirect("financing:demand_detail", demand_id=demand_id)
        return redirect("financing:ledger")

    def again(status: int, error: str) -> HttpResponse:
        # The errors sit next to the row's inputs (the form's, or a refusal naming one); the
        # message above the table says to check them.
        sent = (row_id, form)
        if demand_id is not None:
            return demand_page(request, demand_id, status=status, error=error, respond=sent)
        return _ledger_page(request, status=status, error=error, respond=sent)

    return run_action(request, act, form=form, on_success=back, on_failure=again)
