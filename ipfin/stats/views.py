"""The monitoring dashboards (统计监测看板): the regulator's and the IP office's (every loan), a
bank's (its own), a park's (its members'). One page over `ipfin.stats.reports.monitoring_report`,
the same data and charts as the quarterly report it links to (PDF and Excel)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ipfin.accounts.permissions import stats_scope
from ipfin.risk.domain.npl import Quarter, ratio_6
from ipfin.stats import charts, reports
from ipfin.stats.domain import DEFINITIONS, Figures, Period, PeriodError, parse_period
from ipfin.stats.selectors import member_demands
from ipfin.web.language import is_english
from ipfin.web.views import domain_errors

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
