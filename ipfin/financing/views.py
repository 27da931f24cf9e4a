"""Pages of the financing catalogue, the demand library and the feedback ledger. Thin: parse the
request, call one selector or service of ipfin.financing, render. Buttons are shown by
`has_perm`; the services enforce. A DomainError becomes a page or a message with its status."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ipfin.accounts.models import Organisation, OrganisationKind
from ipfin.accounts.permissions import Perm, has_perm, require
from ipfin.common.errors import DomainError, ValidationFailed
from ipfin.financing import selectors, services
from ipfin.financing.forms import (
    DemandForm,
    PolicyForm,
    ProductFilterForm,
    ProductForm,
    RespondForm,
)
from ipfin.financing.models import DemandState, PolicyKind, ResponseKind
from ipfin.registry.selectors import owner_rights
from ipfin.web.views import action_refusal, domain_errors

LIST_LIMIT = 200


def _detail(exc: DomainError) -> str:
    return exc.detail(get_language())


def _fail(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, action_refusal(exc)[1])


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
    rows = [(p, selectors.product_annual_rate(p.current, on=today)) for p in products[:LIST_LIMIT]]
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
    rows = selectors.compare_rows(products, on=timezone.localdate())
    return render(request, "financing/product_compare.html", {"products": products, "rows": rows})


@domain_errors
def product_detail(request: HttpRequest, product_id: int) -> HttpResponse:
    product = selectors.product_get(pk=product_id)
    today = timezone.localdate()
    own = (
        has_perm(request.user, Perm.PRODUCT_PUBLISH)
        and product.provider_id == request.user.organisation_id
    )
    context = {
        "product": product,
        "current": product.current,  # type: ignore[attr-defined]
        "history": product.history,  # type: ignore[attr-defined]
        "rate": selectors.product_annual_rate(product.current, on=today),  # type: ignore[attr-defined]
        "own": own,
        "repayment_labels": selectors.REPAYMENT_LABELS,
        "today": today,
    }
    return render(request, "financing/product_detail.html", context)


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def product_new(request: HttpRequest) -> HttpResponse:
    require(request.user, Perm.PRODUCT_PUBLISH)
    status = 200
    if request.method == "POST":
        form = ProductForm(request.POST)
        if form.is_valid():
            try:
                version = services.product_publish(actor=request.user, **form.publish_kwargs())
            except DomainError as exc:
                _fail(request, exc)
                status = exc.status
            else:
                messages.success(
                    request,
                    _("产品已发布（第 %(n)s 版）。") % {"n": version.version},
                )
                return redirect("financing:product_detail", product_id=version.product_id)
        else:
            status = 400
    else:
        initial: dict[str, Any] = {"package_allowed": True}
        source = request.GET.get("from")
        if source and source.isdigit():
            product = selectors.product_get(pk=int(source))
            if product.provider_id == request.user.organisation_id:
                initial = ProductForm.initial_from(product.current)  # type: ignore[attr-defined]
        form = ProductForm(initial=initial)
    return render(request, "financing/product_form.html", {"form": form}, status=status)


@login_required
@domain_errors
@require_POST
def product_withdraw(request: HttpRequest, product_id: int) -> HttpResponse:
    product = selectors.product_get(pk=product_id)
    try:
        services.product_withdraw(actor=request.user, product=product)
    except DomainError as exc:
        if exc.status == 404:
            raise
        _fail(request, exc)
    else:
        messages.success(request, _("产品已下架。"))
    return redirect("financing:product_detail", product_id=product_id)


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
    status = 200
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                services.policy_publish(actor=request.user, **form.publish_kwargs())
            except DomainError as exc:
                _fail(request, exc)
                status = exc.status
            else:
                messages.success(request, _("政策已发布。"))
                return redirect("financing:policy_list")
        else:
            status = 400
    else:
        form = PolicyForm()
    return render(request, "financing/policy_form.html", {"form": form}, status=status)


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
    status = 200
    if request.method == "POST":
        form = DemandForm(request.POST, enterprises=enterprises)
        if form.is_valid():
            try:
                demand = services.demand_file(actor=request.user, **form.file_kwargs())
            except DomainError as exc:
                _fail(request, exc)
                status = exc.status
            else:
                messages.success(request, _("融资需求已提交，编号 #%(id)s。") % {"id": demand.pk})
                return redirect("financing:demand_detail", demand_id=demand.pk)
        else:
            status = 400
    else:
        form = DemandForm(enterprises=enterprises)
    own_rights: list[Any] = []
    org = request.user.organisation
    if org is not None and org.kind == OrganisationKind.ENTERPRISE and org.uscc:
        own_rights = list(owner_rights(uscc=org.uscc, on=timezone.localdate())[:50])
    context = {"form": form, "own_rights": own_rights}
    return render(request, "financing/demand_form.html", context, status=status)


@login_required
@domain_errors
def demand_detail(request: HttpRequest, demand_id: int) -> HttpResponse:
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
    ledger = list(selectors.ledger_list(actor=user, today=today).filter(demand=demand))
    context = {
        "demand": demand,
        "rights": list(demand.rights.all()),
        "report": report,
        "products": report.products,
        "ledger": ledger,
        "can_push": may_act and demand.state == DemandState.OPEN,
        "can_withdraw": may_act and demand.state == DemandState.OPEN,
        "can_respond": has_perm(user, Perm.DEMAND_RESPOND),
        "can_apply": may_act and demand.state == DemandState.OPEN,
        "respond_form": RespondForm(),
        "today": today,
    }
    return render(request, "financing/demand_detail.html", context)


@login_required
@domain_errors
@require_POST
def demand_push(request: HttpRequest, demand_id: int) -> HttpResponse:
    demand = selectors.demand_get(actor=request.user, pk=demand_id)
    try:
        created = services.demand_push(actor=request.user, demand=demand)
    except DomainError as exc:
        if exc.status == 404:
            raise
        _fail(request, exc)
    else:
        if created:
            messages.success(request, _("已推送至 %(n)s 家银行，等待反馈。") % {"n": len(created)})
        else:
            messages.info(request, _("符合条件的银行均已推送过，未新增推送。"))
    return redirect("financing:demand_detail", demand_id=demand_id)


@login_required
@domain_errors
@require_POST
def demand_apply(request: HttpRequest, demand_id: int) -> HttpResponse:
    """Apply for a loan from the demand with the product of a bank that answered "interested":
    ipfin.loans' `loan_apply`, which checks who may apply and the product's terms."""
    from ipfin.loans.services import loan_apply  # the UI joins the two apps; the models do not

    demand = selectors.demand_get(actor=request.user, pk=demand_id)
    row = next(
        (
            r
            for r in selectors.ledger_list(actor=request.user).filter(demand=demand)
            if str(r.pk) == request.POST.get("row", "")
        ),
        None,
    )
    if row is None or row.response != ResponseKind.INTERESTED or row.product_version is None:
        messages.error(request, _("只能以已表示有意向的银行产品申请贷款。"))
        return redirect("financing:demand_detail", demand_id=demand_id)
    methods = list(row.product_version.repayment_methods) or ["annuity"]
    try:
        loan = loan_apply(
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
    except DomainError as exc:
        if exc.status == 404:
            raise
        _fail(request, exc)
        return redirect("financing:demand_detail", demand_id=demand_id)
    messages.success(request, _("贷款申请已提交。编号 #%(id)s") % {"id": loan.pk})
    return redirect("loans:loan_detail", loan_id=loan.pk)


@login_required
@domain_errors
@require_POST
def demand_withdraw(request: HttpRequest, demand_id: int) -> HttpResponse:
    demand = selectors.demand_get(actor=request.user, pk=demand_id)
    try:
        services.demand_withdraw(actor=request.user, demand=demand)
    except DomainError as exc:
        if exc.status == 404:
            raise
        _fail(request, exc)
    else:
        messages.success(request, _("融资需求已撤回。"))
    return redirect("financing:demand_detail", demand_id=demand_id)


# --- the feedback ledger -------------------------------------------------------------------------


@login_required
@domain_errors
def ledger(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    overdue_only = request.GET.get("overdue") == "1"
    rows = list(
        selectors.ledger_list(actor=request.user, today=today, overdue_only=overdue_only)[
            :LIST_LIMIT
        ]
    )
    context = {
        "rows": rows,
        "overdue_only": overdue_only,
        "overdue_count": sum(1 for r in rows if r.overdue),
        "can_respond": has_perm(request.user, Perm.DEMAND_RESPOND),
        "respond_form": RespondForm(),
        "responses": ResponseKind.choices,
        "today": today,
    }
    return render(request, "financing/ledger.html", context)


@login_required
@domain_errors
@require_POST
def ledger_respond(request: HttpRequest, row_id: int) -> HttpResponse:
    form = RespondForm(request.POST)
    next_url = request.POST.get("next") or ""
    if form.is_valid():
        try:
            services.demand_respond(
                actor=request.user,
                response_id=row_id,
                response=form.cleaned_data["response"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            if exc.status == 404:
                raise
            _fail(request, exc)
        else:
            messages.success(request, _("反馈已记录。"))
    else:
        messages.error(request, _("请选择反馈，说明不超过 2000 字。"))
    if next_url.startswith("/financing/") and "\x00" not in next_url:
        return redirect(next_url)
    return redirect("financing:ledger")
