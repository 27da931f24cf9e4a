"""The demo data set: the real patents of ../shared/data and the scenarios of `ipfin.demo.scenarios`
(parties, register, pledges, valuations, catalogue, lending, white list), in that order, each
written through the services the UI and the API use."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.core.management import call_command, get_commands
from django.db import models, transaction
from django.utils import timezone

from ipfin.accounts.models import Organisation, User
from ipfin.demo.scenarios.base import DEMO_PASSWORD, History
from ipfin.demo.scenarios.catalogue import publish_catalogue, record_profiles
from ipfin.demo.scenarios.lending import lend
from ipfin.demo.scenarios.parties import AGENCY, ENTERPRISES, PARK, cast_parties
from ipfin.demo.scenarios.pledges import file_pledges
from ipfin.demo.scenarios.register import enter_rights, import_real_patents
from ipfin.demo.scenarios.risk import watch_risks
from ipfin.demo.scenarios.valuations import value_rights
from ipfin.demo.scenarios.whitelist import draw_up_whitelist
from ipfin.financing.models import Demand, DemandResponse, Policy, ProductVersion
from ipfin.loans.models import Loan, SubsidyClaim
from ipfin.pledges.models import Pledge
from ipfin.registry.models import Right
from ipfin.valuation.models import Valuation
from ipfin.whitelist.models import WhitelistBatch

__all__ = ["DEMO_PASSWORD", "ENTERPRISES", "load_demo"]


def load_demo(*, data_dir: str | None = None, stdout: TextIO | None = None) -> list[str]:
    if User.objects.filter(username="examiner").exists():
        return ["已加载过演示数据，未重复加载 / demo data already loaded, nothing added"]
    real_dir = Path(data_dir) if data_dir else Path(settings.IPFIN_SHARED_DATA_DIR)
    imported = import_real_patents(real_dir, stdout)
    history = History.ending(timezone.localdate())
    with transaction.atomic():
        cast = cast_parties()
        register = enter_rights(cast, history.today)
        file_pledges(cast, register, history)
    # Scores first: a bank's recheck weighs the rights of a package by their stored scores.
    scored = _score_portfolio(stdout)
    with transaction.atomic():
        value_rights(cast)
    with transaction.atomic():
        record_profiles(cast, history.today)
        lend(cast, publish_catalogue(cast, history), history)
        draw_up_whitelist(cast)
    with transaction.atomic():
        scan = watch_risks(cast, history)
    return [
        f"导入真实专利 / real rights imported: {imported}",
        *_summary(scored),
        f"风险预警 / risk alerts: {scan.created} "
        f"({', '.join(f'{kind} {n}' for kind, n in scan.by_kind.items())})",
    ]


def _score_portfolio(stdout: TextIO | None) -> bool:
    """`ipfin score_portfolio` over the demo register, when the command is installed."""
    if "score_portfolio" not in get_commands():
        return False
    call_command("score_portfolio", stdout=stdout or StringIO())
    return True


def _summary(scored: bool) -> list[str]:
    states = dict(Loan.objects.order_by().values_list("state").annotate(n=models.Count("id")))
    lines = [
        f"机构 / organisations: {Organisation.objects.count()}",
        f"知识产权 / rights: {Right.objects.count()}",
        f"质押 / pledges: {Pledge.objects.count()}",
        f"价值评估 / valuations: {Valuation.objects.count()}",
        f"评估机构登录 / valuation agency login: {AGENCY[0]} (password {DEMO_PASSWORD})",
        f"金融产品 / products: {ProductVersion.objects.values('product').distinct().count()} "
        f"({ProductVersion.objects.count()} versions)",
        f"政策 / policies: {Policy.objects.count()}",
        "银行自评（贷款审批依据）/ the banks' own valuations the loans rely on: 2",
        f"融资需求 / demands: {Demand.objects.count()}, "
        f"对接台账 / ledger rows: {DemandResponse.objects.count()}",
        "贷款 / loans: " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())),
        f"贴息申请 / subsidy claims: {SubsidyClaim.objects.count()}",
        f"白名单批次 / white-list batches: {WhitelistBatch.objects.count()}",
        f"园区登录 / park login: {PARK[0]} (password {DEMO_PASSWORD})",
    ]
    if scored:
        lines.append("价值度评分 / rights scored: ipfin score_portfolio")
    return lines
