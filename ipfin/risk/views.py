"""The risk pages: the bank's risk dashboard (风险看板), its alerts with their handling, the
office's scan. Thin: one selector or service per panel or action (ipfin.risk.dashboard,
selectors, services)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ipfin.accounts.permissions import Perm, has_perm, require_login
from ipfin.risk import dashboard, selectors, services
from ipfin.risk.domain.claims import allowed_actions
from ipfin.risk.forms import (
    AlertAcknowledgeForm,
    AlertFilterForm,
    AlertResolveForm,
    ClaimFileForm,
    ClaimRejectForm,
    ClaimSettleForm,
    FundBudgetForm,
    RiskScanForm,
)
from ipfin.risk.models import AlertKindChoices, AlertStatusChoices
from ipfin.risk.presentation import claim_cover_lines
from ipfin.web.views import domain_errors, run_action

ALERTS_PER_PAGE = 30
# Coverage bars: a ratio of 3 (value three times the debt) fills the bar.
COVERAGE_FULL = 3


@login_required
@domain_errors
@require_http_methods(["GET"])
def risk_dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "risk/dashboard.html", dashboard_context(request))


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    """The dashboard's panels (also shown on a bank's home page)."""
    user = request.user
    coverage = dashboard.collateral_coverage(actor=user)
    return {
        "summary": selectors.alert_summary(actor=user),
        "timeline": dashboard.annuity_timeline(actor=user),
        "coverage": coverage,
        "coverage_bars": [
            {"row": c, "width": min(c.ratio, COVERAGE_FULL) / COVERAGE_FULL * 100} for c in coverage
        ],
        "exposure": dashboard.exposure(actor=user, unknown=_("未填写")),
        "can_scan": has_perm(user, Perm.RISK_SCAN),
        "scan_form": RiskScanForm(initial={"on": timezone.localdate()}),
        "kinds": dict(AlertKindChoices.choices),
        "funds": dashboard.fund_list(actor=user) if has_perm(user, Perm.RISK_VIEW_ALL) else [],
    }


@login_required
@domain_errors
@require_http_methods(["GET"])
def alert_list(request: HttpRequest) -> HttpResponse:
    form = AlertFilterForm(request.GET or None)
    form.fields["status"].choices = [("", _("全部")), *AlertStatusChoices.choices]
    form.fields["kind"].choices = [("", _("全部")), *AlertKindChoices.choices]
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    rows = selectors.alert_list(
        actor=request.user, status=filters.get("status") or None, kind=filters.get("kind") or None
    )
    page = Paginator(rows, ALERTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "alerts": list(page.object_list),
        "sees_all": has_perm(request.user, Perm.RISK_ALERTS_ALL),
        "acknowledge_form": AlertAcknowledgeForm(),
        "resolve_form": AlertResolveForm(),
        "query": request.GET.urlencode(),
    }
    return render(request, "risk/alert_list.html", context)


@login_required
@domain_errors
@require_POST
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = selectors.alert_get(actor=request.user, alert_id=alert_id)
    form = AlertAcknowledgeForm(request.POST)

    def act() -> str:
        services.alert_acknowledge(
            actor=require_login(request.user), alert=alert, note=form.cleaned_data["note"]
        )
        return _("已确认知悉该预警。")

    def refused(status: int, error: str) -> HttpResponse:
        messages.error(request, error)
        return redirect("risk:alert_list")

    return run_action(
        request, act, form=form, on_success=lambda: redirect("risk:alert_list"), on_failure=refused
    )


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def alert_resolve(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Resolve an alert: a page with the alert and the note (required), so that the note's error
    shows next to it."""
    alert = selectors.alert_get(actor=request.user, alert_id=alert_id)
    form = AlertResolveForm(request.POST if request.method == "POST" else None)

    def page(status: int = 200, error: str = "") -> HttpResponse:
        context = {"alert": alert, "form": form, "action_error": error}
        return render(request, "risk/alert_resolve.html", context, status=status)

    if request.method != "POST":
        return page()

    def act() -> str:
        services.alert_resolve(
            actor=require_login(request.user), alert=alert, note=form.cleaned_data["note"]
        )
        return _("预警已解除。")

    return run_action(
        request, act, form=form, on_success=lambda: redirect("risk:alert_list"), on_failure=page
    )


@login_required
@domain_errors
@require_POST
def risk_scan(request: HttpRequest) -> HttpResponse:
    form = RiskScanForm(request.POST)

    def act() -> str:
        on = form.cleaned_data["on"] or timezone.localdate()
        summary = services.risk_scan(on=on, actor=require_login(request.user))
        return _(
            "已完成 %(on)s 的风险扫描：发现 %(found)s 项，新增预警 %(created)s 条，"
            "解除 %(resolved)s 条。"
        ) % {
            "on": on.isoformat(),
            "found": summary.found,
            "created": summary.created,
            "resolved": summary.resolved,
        }

    def refused(status: int, error: str) -> HttpResponse:
        messages.error(request, error)
        return redirect("risk:dashboard")

    return run_action(
        request, act, form=form, on_success=lambda: redirect("risk:dashboard"), on_failure=refused
    )


# --- compensation claims and the funds' ledgers (风险补偿) ----------------------------------------


def _claim_choices(request: HttpRequest, form: ClaimFileForm) -> None:
    loans = dashboard.claimable_loans(actor=request.user)
    form.fields["loan_id"].choices = [
        (loan.pk, f"#{loan.pk} {loan.enterprise.name} · {loan.get_classification_display()}")
        for loan in loans
    ]
    form.fields["scheme_id"].choices = [
        (scheme.pk, f"{scheme.name}（{scheme.fund.name}）") for scheme in selectors.scheme_list()
    ]


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def claim_list(request: HttpRequest) -> HttpResponse:
    """The claims the user may see; a bank files one on its non-performing loan here."""
    can_file = has_perm(request.user, Perm.RISK_CLAIM_FILE)
    form = ClaimFileForm(request.POST if request.method == "POST" else None)
    if can_file:
        _claim_choices(request, form)

    def page(status: int = 200, error: str = "") -> HttpResponse:
        context = {
            "claims": list(selectors.claim_list(actor=request.user)[:200]),
            "form": form if can_file else None,
            "action_error": error,
        }
        return render(request, "risk/claim_list.html", context, status=status)

    if request.method != "POST":
        return page()
    created: dict[str, int] = {}

    def act() -> str:
        claim = services.claim_file(
            actor=require_login(request.user),
            loan_id=form.cleaned_data["loan_id"],
            scheme_id=form.cleaned_data["scheme_id"],
        )
        created["id"] = claim.pk
        return _("已提交风险补偿申请，等待知识产权局审核。")

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("risk:claim_detail", created["id"]),
        on_failure=page,
    )


def _claim_page(
    request: HttpRequest, claim_id: int, status: int = 200, **forms: Any
) -> HttpResponse:
    claim = selectors.claim_get(actor=request.user, claim_id=claim_id)
    lapsed = selectors.advance_lapsed(claim)  # read once: the actions and the page's note
    actions = {action.value for action in allowed_actions(claim.state, advance_lapsed=lapsed)}
    reviewer = has_perm(request.user, Perm.RISK_CLAIM_REVIEW)
    context = {
        "claim": claim,
        "cover": claim_cover_lines(claim),
        "can": {
            name: reviewer and name in actions
            for name in ("approve", "reject", "pay", "settle", "receive")
        },
        "refundable": claim.refund_due,
        "advance_lapsed": reviewer and lapsed,
        "reject_form": forms.get("reject_form") or ClaimRejectForm(),
        "settle_form": forms.get("settle_form") or ClaimSettleForm(),
        "action_error": forms.get("error", ""),
    }
    return render(request, "risk/claim_detail.html", context, status=status)


@login_required
@domain_errors
@require_http_methods(["GET"])
def claim_detail(request: HttpRequest, claim_id: int) -> HttpResponse:
    return _claim_page(request, claim_id)


def _claim_action(
    request: HttpRequest, claim_id: int, run: Callable[[Any], str], form: Any = None
) -> HttpResponse:
    claim = selectors.claim_get(actor=request.user, claim_id=claim_id)
    key = "settle_form" if isinstance(form, ClaimSettleForm) else "reject_form"

    def refused(status: int, error: str) -> HttpResponse:
        return _claim_page(request, claim_id, status, **{key: form, "error": error})

    return run_action(
        request,
        lambda: run(claim),
        form=form,
        on_success=lambda: redirect("risk:claim_detail", claim_id),
        on_failure=refused,
    )


@login_required
@domain_errors
@require_POST
def claim_approve(request: HttpRequest, claim_id: int) -> HttpResponse:
    def run(claim: Any) -> str:
        services.claim_approve(actor=require_login(request.user), claim=claim)
        return _("已批准。代偿款须由另一名工作人员复核拨付。")

    return _claim_action(request, claim_id, run)


@login_required
@domain_errors
@require_POST
def claim_reject(request: HttpRequest, claim_id: int) -> HttpResponse:
    form = ClaimRejectForm(request.POST)

    def run(claim: Any) -> str:
        services.claim_reject(
            actor=require_login(request.user), claim=claim, reason=form.cleaned_data["reason"]
        )
        return _("已不予补偿，并通知银行。")

    return _claim_action(request, claim_id, run, form)


@login_required
@domain_errors
@require_POST
def claim_pay(request: HttpRequest, claim_id: int) -> HttpResponse:
    def run(claim: Any) -> str:
        services.claim_pay(actor=require_login(request.user), claim=claim)
        return _("已复核拨付。")

    return _claim_action(request, claim_id, run)


@login_required
@domain_errors
@require_POST
def claim_refund_receive(request: HttpRequest, claim_id: int) -> HttpResponse:
    def run(claim: Any) -> str:
        services.claim_refund_receive(actor=require_login(request.user), claim=claim)
        return _("已确认收到银行退还的代偿款，申请已结清。")

    return _claim_action(request, claim_id, run)


@login_required
@domain_errors
@require_POST
def claim_settle(request: HttpRequest, claim_id: int) -> HttpResponse:
    form = ClaimSettleForm(request.POST)

    def run(claim: Any) -> str:
        services.claim_settle(
            actor=require_login(request.user),
            claim=claim,
            proceeds=form.cleaned_data["proceeds"],
            disposal_costs=form.cleaned_data["disposal_costs"],
        )
        return _("已按处置所得结算。")

    return _claim_action(request, claim_id, run, form)


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def fund_ledger(request: HttpRequest, fund_id: int) -> HttpResponse:
    """A fund's ledger: postings with their lines and the running balance (office, regulator);
    the office feeds it with budget entries."""
    fund = selectors.fund_get(actor=request.user, fund_id=fund_id)
    can_budget = has_perm(request.user, Perm.RISK_SCHEME_MANAGE)
    form = FundBudgetForm(request.POST if request.method == "POST" else None)

    def page(status: int = 200, error: str = "") -> HttpResponse:
        context = {
            "fund": fund,
            "entries": list(selectors.fund_ledger(fund)[:200]),
            "balance": selectors.fund_balance(fund.pk),
            "form": form if can_budget else None,
            "action_error": error,
        }
        return render(request, "risk/fund_ledger.html", context, status=status)

    if request.method != "POST":
        return page()

    def act() -> str:
        services.fund_budget(
            actor=require_login(request.user),
            fund_id=fund.pk,
            amount=form.cleaned_data["amount"],
            memo=form.cleaned_data["memo"],
        )
        return _("已记入预算注资。")

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("risk:fund_ledger", fund.pk),
        on_failure=page,
    )
