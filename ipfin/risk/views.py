"""The risk pages: the bank's risk dashboard (风险看板), its alerts with their handling, the
office's scan. Thin: one selector or service per panel or action (ipfin.risk.dashboard,
selectors, services)."""

from __future__ import annotations

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
from ipfin.risk.forms import AlertAcknowledgeForm, AlertFilterForm, AlertResolveForm, RiskScanForm
from ipfin.risk.models import AlertKindChoices, AlertStatusChoices
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
