"""The monitoring dashboards (统计监测看板): the regulator's and the IP office's (every loan), a
bank's (its own), a park's (its members'). One page over `ipfin.stats.reports.monitoring_report`,
the same data and charts as the quarterly report it links to (PDF and Excel)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ipfin.accounts.models import User
from ipfin.accounts.permissions import Perm, has_perm, stats_scope
from ipfin.common.errors import DomainError
from ipfin.risk.domain.npl import Quarter, ratio_6
from ipfin.stats import charts, reports, services
from ipfin.stats.domain import DEFINITIONS, Figures, Period, PeriodError, parse_period
from ipfin.stats.forms import BankReturnForm, BankReturnUploadForm
from ipfin.stats.selectors import bank_return_list, member_demands
from ipfin.stats.services import RETURN_COLUMNS
from ipfin.web.language import is_english
from ipfin.web.views import domain_errors, queue_run_action, run_action

PERIOD_CHOICES = 12  # quarters offered in the period menu, the latest ended first


@dataclass(frozen=True)
class Card:
    label: str
    value: Any
    kind: str  # "money", "count" or "ratio": how the template formats it
    testid: str


def _cards(total: Figures) -> list[Card]:
    def yuan(fen: int) -> Decimal:
        return Decimal(fen).scaleb(-2)

    return [
        Card(_("新增贷款笔数"), total.new_loans, "count", "card-new-loans"),
        Card(_("新增贷款金额"), yuan(total.new_loan_fen), "money", "card-new-amount"),
        Card(_("期末贷款余额"), yuan(total.balance_fen), "money", "card-balance"),
        Card(_("客户数"), total.customers, "count", "card-customers"),
        Card(_("首贷户数"), total.first_time_borrowers, "count", "card-first-time"),
        Card(_("平均质押率"), total.avg_pledge_rate, "ratio", "card-pledge-rate"),
        Card(_("不良率"), total.npl_ratio, "ratio", "card-npl-ratio"),
        Card(_("贴息"), yuan(total.subsidies_fen), "money", "card-subsidies"),
        Card(_("风险补偿"), yuan(total.compensation_fen), "money", "card-compensation"),
    ]


def _choices(today: Any) -> list[tuple[str, str]]:
    quarter = Quarter.of(today)
    out = [(str(quarter), _("%(q)s（本季度，截至今日）") % {"q": quarter})]
    for _i in range(PERIOD_CHOICES):
        quarter = quarter.previous()
        out.append((str(quarter), str(quarter)))
    years = sorted({int(value[:4]) for value, _label in out}, reverse=True)
    return out + [(str(year), _("%(y)s 全年") % {"y": year}) for year in years]


@login_required
@domain_errors
@require_http_methods(["GET"])
def stats_dashboard(request: HttpRequest) -> HttpResponse:
    scope = stats_scope(request.user)  # 403 before any work for a role without figures
    today = timezone.localdate()
    choices = _choices(today)
    raw = request.GET.get("period") or choices[1][0]  # the last quarter ended
    error = ""
    try:
        period: Period = parse_period(raw)
    except PeriodError as exc:
        error = exc.message_en if is_english() else exc.message_zh
        period = parse_period(choices[1][0])
    report = reports.monitoring_report(actor=request.user, period=period, today=today)
    english = is_english()
    context: dict[str, Any] = {
        "report": report,
        "period_value": period.name,
        "choices": choices,
        "period_error": error,
        "cards": _cards(report.total),
        "scope": scope,
        "trend_svg": charts.svg(
            charts.trend_chart(report.trend, english=english),
            key="trend",
            title=_("按季度的新增贷款金额与期末余额"),
        ),
        "breakdowns": [
            (title, table, _breakdown_title(table.by))
            for title, table in report.breakdowns
            if not (scope.bank_id is not None and table.by == "bank")
        ],
        "bank_svg": charts.svg(
            charts.breakdown_chart(report.breakdowns[0][1], english=english),
            key="banks",
            title=_("各银行期末贷款余额"),
        ),
        "npl_svg": charts.svg(charts.npl_chart(report.npl, english=english), key="npl",
                              title=_("各银行不良率与容忍上限")) if report.npl_quarter else "",
        "growth_svg": charts.svg(
            charts.park_growth_chart(report.park_growth, english=english),
            key="growth",
            title=_("园区融资金额同比增长"),
        ),
        "npl_rows": [
            {
                "bank_name": bank.bank_name,
                "ip_balance": bank.ip_balance,
                "ip_npl_balance": bank.ip_npl_balance,
                "ip_npl_ratio": ratio_6(bank.ip_npl_ratio),
                "bank_npl_ratio": bank.bank_npl_ratio,
                "tolerated": bank.tolerated,
            }
            for bank in report.npl
        ],
        "definitions": [en if english else zh for _name, zh, en in DEFINITIONS],
        "demands": member_demands(actor=request.user, period=period)
        if scope.park_id is not None
        else None,
    }  # fmt: skip
    return render(request, "stats/dashboard.html", context)


def _breakdown_title(by: str) -> str:
    return {
        "bank": _("分银行"),
        "region": _("分地区"),
        "right_kind": _("分权利类型"),
        "park": _("分园区"),
    }[by]


# --- the banks' returns ------------------------------------------------------------------------


def _ended_quarters(today: Any) -> list[tuple[str, str]]:
    quarter = Quarter.of(today).previous()
    out = []
    for _i in range(PERIOD_CHOICES):
        out.append((str(quarter), str(quarter)))
        quarter = quarter.previous()
    return out


def _returns_page(
    request: HttpRequest,
    *,
    form: BankReturnForm | None = None,
    upload: BankReturnUploadForm | None = None,
    row_errors: list[dict[str, Any]] | None = None,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    scope = stats_scope(request.user)
    quarters = _ended_quarters(timezone.localdate())
    chosen = request.GET.get("period") or quarters[0][0]
    if chosen not in {value for value, _label in quarters}:
        chosen = quarters[0][0]
    can_submit = has_perm(request.user, Perm.RISK_NPL_REPORT)
    context = {
        "scope": scope,
        "can_submit": can_submit,
        "quarters": quarters,
        "period_value": chosen,
        "form": form or BankReturnForm(quarters=quarters, initial={"period": quarters[0][0]}),
        "upload": upload or BankReturnUploadForm(),
        "row_errors": row_errors or [],
        "error": error,
        "columns": [zh for _field, zh, _en in RETURN_COLUMNS],
        "returns": bank_return_list(actor=request.user, period=parse_period(chosen)),
    }
    return render(request, "stats/returns.html", context, status=status)


@login_required
@domain_errors
@require_http_methods(["GET"])
def bank_returns(request: HttpRequest) -> HttpResponse:
    return _returns_page(request)


@login_required
@domain_errors
@require_POST
def bank_return_submit(request: HttpRequest) -> HttpResponse:
    quarters = _ended_quarters(timezone.localdate())
    form = BankReturnForm(request.POST, quarters=quarters)

    def act() -> str:
        user = request.user
        assert isinstance(user, User)  # login_required
        return _submitted(services.bank_return_submit(actor=user, data=form.service_data()))

    def done() -> HttpResponse:
        return redirect(f"{reverse('stats:returns')}?period={form.cleaned_data['period']}")

    def failed(status: int, error: str) -> HttpResponse:
        return _returns_page(request, form=form, status=status, error=error)

    return run_action(request, act, form=form, on_success=done, on_failure=failed)


def _submitted(row: Any) -> str:
    return _("已报送 %(period)s 季度数据（第 %(n)s 次）。") % {
        "period": row.period,
        "n": row.revision,
    }


@login_required
@domain_errors
@require_POST
def bank_returns_upload(request: HttpRequest) -> HttpResponse:
    upload = BankReturnUploadForm(request.POST, request.FILES)
    row_errors: list[dict[str, Any]] = []

    def refused(exc: DomainError) -> None:
        row_errors.extend(exc.extra.get("errors", []))

    def act() -> str:
        user = request.user
        assert isinstance(user, User)  # login_required
        stored = services.bank_returns_upload(actor=user, uploaded_file=upload.cleaned_data["file"])
        return _("已从文件报送 %(n)s 个季度的数据。") % {"n": len(stored)}

    return run_action(
        request,
        act,
        form=upload,
        on_success=lambda: redirect("stats:returns"),
        on_failure=lambda status, error: _returns_page(
            request, upload=upload, row_errors=row_errors, status=status, error=error
        ),
        on_refusal=refused,
    )


@login_required
@domain_errors
@require_POST
def report_job(request: HttpRequest) -> HttpResponse:
    """The monitoring report of the period chosen on the dashboard, built in the background:
    the run's page follows it and offers the file (a large scope takes a while)."""
    period = str(request.POST.get("period", ""))

    def back(status: int, error: str) -> HttpResponse:
        messages.error(request, error)
        return redirect(f"{reverse('stats:dashboard')}?{urlencode({'period': period})}")

    return queue_run_action(
        request,
        lambda: reports.monitoring_report_request(
            actor=request.user, period=period, fmt=str(request.POST.get("format", ""))
        ),
        _("报告已提交生成（后台任务 #%(id)s）。"),
        on_failure=back,
    )
