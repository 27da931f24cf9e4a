"""The demo data set: the real patents of ../shared/data and the scenarios of `ipfin.demo.scenarios`
(parties, register, pledges, valuations, catalogue, lending, white list), in that order, each
written through the services the UI and the API use."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command, get_commands
from django.db import models, transaction
from django.utils import timezone

from ipfin.accounts.models import Organisation, User
from ipfin.demo.scenarios.base import History
from ipfin.demo.scenarios.catalogue import publish_catalogue, record_profiles
from ipfin.demo.scenarios.lending import lend
from ipfin.demo.scenarios.outreach import stock_library
from ipfin.demo.scenarios.parties import ENTERPRISES, cast_parties
from ipfin.demo.scenarios.pledges import file_pledges
from ipfin.demo.scenarios.register import RealImport, enter_rights, import_real_patents
from ipfin.demo.scenarios.risk import watch_risks
from ipfin.demo.scenarios.trading import open_trading_board
from ipfin.demo.scenarios.valuations import value_rights
from ipfin.demo.scenarios.whitelist import draw_up_whitelist
from ipfin.demo.scenarios.zone_index import publish_zone_index
from ipfin.financing.models import Demand, DemandResponse, Policy, ProductVersion
from ipfin.loans.models import Loan, LoanStateChoices, SubsidyClaim
from ipfin.pledges.models import Pledge
from ipfin.portal.demo_accounts import DEMO_PASSWORD
from ipfin.registry.models import Right
from ipfin.risk.models import AlertKindChoices
from ipfin.stats.services import positions_snapshots_refresh
from ipfin.valuation.models import ScoreRun, Valuation
from ipfin.whitelist.models import WhitelistBatch

__all__ = ["DEMO_PASSWORD", "ENTERPRISES", "load_demo"]


def load_demo(*, data_dir: str | None = None) -> list[str]:
    """Load the demo once; the summary lines load_demo prints (Chinese / English), every figure
    a number. Nothing is printed while loading."""
    if User.objects.filter(username="examiner").exists():
        return ["已加载过演示数据，未重复加载 / demo data already loaded, nothing added"]
    real_dir = Path(data_dir) if data_dir else Path(settings.IPFIN_SHARED_DATA_DIR)
    imported = import_real_patents(real_dir)
    history = History.ending(timezone.localdate())
    with transaction.atomic():
        cast = cast_parties()
        register = enter_rights(cast, history.today)
        file_pledges(cast, register, history)
    # Scores first: a bank's recheck weighs the rights of a package by their stored scores.
    scored = _score_portfolio()
    with transaction.atomic():
        value_rights(cast)
    with transaction.atomic():
        record_profiles(cast, history.today)
        lend(cast, publish_catalogue(cast, history), history)
        draw_up_whitelist(cast)
        stock_library(cast, history)
        open_trading_board(cast, history)
    with transaction.atomic():
        scan = watch_risks(cast, history)
        publish_zone_index(cast, history)
    # The daily job: each quarter end's positions, which the monitoring figures read.
    snapshots = positions_snapshots_refresh(today=history.today)
    kind_labels = dict(AlertKindChoices.choices)
    kinds = "，".join(f"{kind_labels.get(kind, kind)} {n}" for kind, n in scan.by_kind.items())
    return [
        *_import_lines(imported, real_dir),
        *_summary(scored),
        f"风险预警 / risk alerts: {scan.created}" + (f"（{kinds}）" if kinds else ""),
        f"季末时点快照 / quarter-end position snapshots: {len(snapshots)}",
    ]


def _import_lines(imported: RealImport, real_dir: Path) -> list[str]:
    if not imported.found:
        return [f"真实专利数据 / real data: 未找到 {real_dir}，已跳过 / not found, skipped"]
    lines = [
        f"导入真实专利 / real rights imported: {imported.created:,}"
        f"（读取 {imported.rows:,} 行，其中 {imported.skipped:,} 行非中国专利或无申请号，"
        "按规则跳过）"
    ]
    if imported.bad:
        lines.append(
            f"源数据有误、未导入 / rows with errors in the shipped data, not loaded: {imported.bad}"
            f"（{'，'.join(imported.bad_reasons)}；明细见 ipfin import_patents --report）"
        )
    return lines


def _score_portfolio() -> int:
    """`ipfin score_portfolio` over the demo register, when the command is installed: the
    number of rights scored (0 without the command)."""
    if "score_portfolio" not in get_commands():
        return 0
    call_command("score_portfolio", stdout=StringIO())
    run = ScoreRun.objects.order_by("-pk").first()
    return run.rights_scored if run is not None else 0


def _summary(scored: int) -> list[str]:
    states = dict(Loan.objects.order_by().values_list("state").annotate(n=models.Count("id")))
    loan_states = dict(LoanStateChoices.choices)
    lines = [
        f"机构 / organisations: {Organisation.objects.count()}",
        f"知识产权 / rights: {Right.objects.count()}",
        f"质押 / pledges: {Pledge.objects.count()}",
        f"价值评估 / valuations: {Valuation.objects.count()}",
        f"金融产品 / products: {ProductVersion.objects.values('product').distinct().count()} "
        f"（{ProductVersion.objects.count()} 个版本 / versions）",
        f"政策 / policies: {Policy.objects.count()}",
        f"融资需求 / demands: {Demand.objects.count()}，"
        f"对接台账 / ledger rows: {DemandResponse.objects.count()}",
        "贷款 / loans: "
        + "，".join(f"{loan_states.get(k, k)} {v}" for k, v in sorted(states.items())),
        f"贴息申请 / subsidy claims: {SubsidyClaim.objects.count()}",
        f"白名单批次 / white-list batches: {WhitelistBatch.objects.count()}",
        f"价值度评分 / rights scored: {scored}",
    ]
    return lines
