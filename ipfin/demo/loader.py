"""The demo data set: real patents from ../shared/data plus generated parties, rights, pledges.

Everything is written through the same services the UI and the API use, so the demo also has its
audit trail and notifications. Dates are relative to today, so that the states stay true whenever it
is run: rights in force, one in its annuity grace period, one with an invalidation pending, one
under court preservation, a co-owned one, trademarks with a similar mark, pledges in every state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from ipfin.accounts.domain import make_uscc
from ipfin.accounts.models import Organisation, OrganisationKind, Role, User
from ipfin.accounts.services import user_create
from ipfin.registry.domain import (
    RightKind,
    add_months,
    add_years,
    annuity_schedule,
    cn_application_check_digit,
)
from ipfin.registry.models import Right, RightOwner

DEMO_PASSWORD = "ipfin-demo-2026"  # noqa: S105 - printed by load_demo, demo data only

# Fictitious parties (名称为演示用虚构机构). Division codes are real administrative divisions.
BANKS = [
    ("bank_a", "华夏示范银行北京中关村支行", "110108"),
    ("bank_b", "长江示范银行苏州工业园区支行", "320571"),
]
ENTERPRISES = [
    ("北京智芯微电子科技有限公司", "110108", "集成电路"),
    ("苏州纳米新材料股份有限公司", "320571", "新材料"),
    ("杭州云图软件有限公司", "330106", "软件和信息技术服务"),
    ("深圳创维光电技术有限公司", "440305", "光电设备"),
    ("武汉华中生物医药有限公司", "420111", "生物医药"),
    ("成都天府无人机科技有限公司", "510107", "航空装备"),
]


@dataclass
class _Ctx:
    today: date
    examiner: User
    seq: int = 0

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq


def _application_no(filing: date, type_digit: int, seq: int) -> str:
    body = f"{filing.year}{type_digit}{(5_000_000 + seq):07d}"
    return f"{body}.{cn_application_check_digit(body)}"


def _pay_annuities(ctx: _Ctx, right: Right, *, until: date, skip_year: int | None = None) -> None:
    from ipfin.registry.services import right_event_record

    assert right.grant_date is not None
    existing = set(right.events.filter(type="annuity_paid").values_list("payload__year", flat=True))
    for year, due in annuity_schedule(RightKind(right.kind), right.filing_date, right.grant_date):
        if due > until or year == skip_year or year in existing:
            continue
        right_event_record(
            actor=ctx.examiner,
            right=right,
            type="annuity_paid",
            date=due - timedelta(days=20) if due - timedelta(days=20) >= right.filing_date else due,
            payload={"year": year},
        )


def _patent(
    ctx: _Ctx,
    owner: Organisation | list[tuple[Organisation, Decimal]],
    kind: RightKind,
    title: str,
    *,
    filed_years_ago: int,
    granted_years_ago: int | None,
    ipc: str = "",
    filing: date | None = None,
    grant: date | None = None,
) -> Right:
    from ipfin.registry.services import right_create

    type_digit = {RightKind.INVENTION: 1, RightKind.UTILITY_MODEL: 2, RightKind.DESIGN: 3}[kind]
    if filing is None:
        filing = add_years(ctx.today, -filed_years_ago) - timedelta(days=37 * (ctx.seq % 5 + 1))
    if grant is None and granted_years_ago is not None:
        grant = add_years(ctx.today, -granted_years_ago) - timedelta(days=11)
    if grant is not None and grant < filing:
        grant = filing + timedelta(days=300)
    owners = (
        [{"name": o.name, "uscc": o.uscc, "share": str(s)} for o, s in owner]
        if isinstance(owner, list)
        else [{"name": owner.name, "uscc": owner.uscc}]
    )
    return right_create(
        actor=ctx.examiner,
        number=_application_no(filing, type_digit, ctx.next_seq()),
        kind=kind.value,
        title=title,
        filing_date=filing,
        grant_date=grant,
        owners=owners,
        ipc_main=ipc,
        source="demo",
    )


def _trademark(ctx: _Ctx, owner: Organisation, mark: str, cls: int, groups: list[str]) -> Right:
    from ipfin.registry.services import right_create

    reg = add_years(ctx.today, -4) - timedelta(days=90 + ctx.seq)
    return right_create(
        actor=ctx.examiner,
        number=str(60_000_000 + ctx.next_seq()),
        kind=RightKind.TRADEMARK.value,
        title=mark,
        filing_date=reg - timedelta(days=400),
        grant_date=reg,
        owners=[{"name": owner.name, "uscc": owner.uscc}],
        mark_text=mark,
        nice_classes=[cls],
        similar_groups=groups,
        source="demo",
    )


def _import_real_patents(data_dir: Path, stdout: TextIO | None) -> int:
    if not data_dir.exists():
        if stdout:
            stdout.write(f"(no real data at {data_dir}: skipping the import)\n")
        return 0
    before = Right.objects.count()
    call_command("import_patents", str(data_dir), stdout=stdout)
    return Right.objects.count() - before


def _adopt_real_owner(ctx: _Ctx, name: str, division: str) -> Organisation | None:
    """Give a real applicant from the imported data an account, so its real patents can be pledged.

    The sources carry no credit codes: the code is generated (valid check characters)."""
    owned = RightOwner.objects.filter(name=name, valid_to__isnull=True)
    if not owned.exists():
        return None
    org = Organisation.objects.create(
        kind=OrganisationKind.ENTERPRISE,
        name=name,
        uscc=make_uscc(division=division, seq=900_000 + ctx.next_seq()),
        region="河南省郑州市",
        industry="科学研究和技术服务",
    )
    owned.update(organisation=org, uscc=org.uscc)
    for right in Right.objects.filter(owners__in=owned, grant_date__isnull=False).distinct():
        _pay_annuities(ctx, right, until=ctx.today)
    return org


def load_demo(*, data_dir: str | None = None, stdout: TextIO | None = None) -> list[str]:
    if User.objects.filter(username="examiner").exists():
        return ["已加载过演示数据，未重复加载 / demo data already loaded, nothing added"]
    real_dir = Path(data_dir) if data_dir else Path(settings.IPFIN_SHARED_DATA_DIR)
    imported = _import_real_patents(real_dir, stdout)
    with transaction.atomic():
        return [f"导入真实专利 / real rights imported: {imported}", *_load_parties(real_dir)]


def _load_parties(real_dir: Path) -> list[str]:
    from ipfin.pledges import services as pledges
    from ipfin.registry.services import right_event_record

    today = timezone.localdate()
    office = Organisation.objects.create(
        kind=OrganisationKind.IP_OFFICE, name="示范市知识产权局", region="示范市"
    )
    examiner = user_create(
        username="examiner",
        password=DEMO_PASSWORD,
        organisation=office,
        role=Role.EXAMINER,
        first_name="审查员",
    )
    ctx = _Ctx(today=today, examiner=examiner)
    regulator_org = Organisation.objects.create(
        kind=OrganisationKind.REGULATOR, name="示范市金融监管局"
    )
    user_create(username="regulator", password=DEMO_PASSWORD, organisation=regulator_org)

    bank_users: dict[str, User] = {}
    for i, (username, name, division) in enumerate(BANKS):
        bank = Organisation.objects.create(
            kind=OrganisationKind.BANK,
            name=name,
            uscc=make_uscc(division=division, seq=700 + i),
            region=division,
        )
        bank_users[username] = user_create(
            username=username, password=DEMO_PASSWORD, organisation=bank
        )

    firms = [
        Organisation.objects.create(
            kind=OrganisationKind.ENTERPRISE,
            name=name,
            industry=industry,
            region=division,
            uscc=make_uscc(division=division, seq=1000 + i),
        )
        for i, (name, division, industry) in enumerate(ENTERPRISES)
    ]
    user_create(username="enterprise_a", password=DEMO_PASSWORD, organisation=firms[0])
    a, b, c, d, e, f = firms

    inv = RightKind.INVENTION
    um = RightKind.UTILITY_MODEL
    # Enterprise A: a healthy portfolio and the troubled cases the pre-checks must catch.
    a_chip = _patent(
        ctx,
        a,
        inv,
        "一种低功耗存算一体芯片及其制备方法",
        filed_years_ago=5,
        granted_years_ago=2,
        ipc="H01L27/06",
    )
    a_bus = _patent(
        ctx, a, inv, "片上网络路由仲裁方法", filed_years_ago=6, granted_years_ago=3, ipc="G06F15/78"
    )
    a_pkg = _patent(
        ctx, a, um, "一种芯片封装散热结构", filed_years_ago=3, granted_years_ago=2, ipc="H01L23/367"
    )
    a_inval = _patent(
        ctx, a, inv, "时钟数据恢复电路", filed_years_ago=7, granted_years_ago=4, ipc="H03L7/08"
    )
    _patent(  # still an application: pre-check right_granted refuses it
        ctx,
        a,
        inv,
        "基于忆阻器的神经网络加速器",
        filed_years_ago=1,
        granted_years_ago=None,
        ipc="G06N3/063",
    )
    a_shared = _patent(
        ctx,
        [(a, Decimal("0.6")), (b, Decimal("0.4"))],
        inv,
        "一种半导体纳米涂层材料",
        filed_years_ago=4,
        granted_years_ago=2,
        ipc="C09D5/00",
    )
    for right in (a_chip, a_bus, a_pkg, a_inval, a_shared):
        _pay_annuities(ctx, right, until=today)
    # The annuity due about two months ago (the filing anniversary) is unpaid: grace period.
    grace_due = add_months(today, -2)
    a_grace = _patent(
        ctx,
        a,
        um,
        "晶圆测试探针卡",
        filed_years_ago=3,
        granted_years_ago=2,
        ipc="G01R1/073",
        filing=add_years(grace_due, -3),
        grant=add_years(grace_due, -2) - timedelta(days=60),
    )
    _pay_annuities(ctx, a_grace, until=add_months(today, -3))
    right_event_record(
        actor=examiner,
        right=a_inval,
        type="invalidation_requested",
        date=today - timedelta(days=30),
        payload={"requester": "某竞争对手"},
    )

    # Trademarks: "智芯" and its similar mark "智芯科技" on the same similar group must go together.
    tm_main = _trademark(ctx, a, "智芯", 9, ["0901", "0907"])
    _trademark(ctx, a, "智芯科技", 9, ["0907"])
    _trademark(ctx, a, "芯途", 42, ["4220"])

    # Other enterprises.
    b_mat = _patent(
        ctx,
        b,
        inv,
        "高导热石墨烯复合膜及其制备方法",
        filed_years_ago=6,
        granted_years_ago=3,
        ipc="C01B32/194",
    )
    b_um = _patent(
        ctx, b, um, "一种纳米粉体分散装置", filed_years_ago=3, granted_years_ago=2, ipc="B01F27/00"
    )
    c_sw = _patent(
        ctx,
        c,
        inv,
        "分布式地图切片渲染方法",
        filed_years_ago=5,
        granted_years_ago=2,
        ipc="G06T17/05",
    )
    d_opt = _patent(
        ctx, d, inv, "一种激光投影匀光装置", filed_years_ago=8, granted_years_ago=5, ipc="G03B21/20"
    )
    d_frozen = _patent(
        ctx, d, um, "一种可调焦背光模组", filed_years_ago=4, granted_years_ago=3, ipc="G02F1/13357"
    )
    e_bio = _patent(
        ctx,
        e,
        inv,
        "一种抗体偶联药物的制备方法",
        filed_years_ago=6,
        granted_years_ago=2,
        ipc="A61K47/68",
    )
    f_uav = _patent(
        ctx,
        f,
        inv,
        "多旋翼无人机抗风姿态控制方法",
        filed_years_ago=4,
        granted_years_ago=1,
        ipc="G05D1/08",
    )
    for right in (b_mat, b_um, c_sw, d_opt, d_frozen, e_bio, f_uav):
        _pay_annuities(ctx, right, until=today)
    right_event_record(
        actor=examiner,
        right=d_frozen,
        type="preservation",
        date=today - timedelta(days=15),
        payload={"court": "深圳市南山区人民法院"},
    )
    right_event_record(
        actor=examiner,
        right=c_sw,
        type="licence",
        date=today - timedelta(days=200),
        payload={"licence_type": "ordinary", "licensee": "示范地图服务有限公司"},
    )

    real_org = _adopt_real_owner(ctx, "中科大数据研究院", "410100")

    # Pledges in every state.
    ba, bb = bank_users["bank_a"], bank_users["bank_b"]
    term_start = today - timedelta(days=10)

    def submit(bank: User, pledgor: Organisation, rights: list[Right], amount: str, **kw: Any):
        pledge, _checks = pledges.pledge_submit(
            actor=bank,
            pledgor_uscc=pledgor.uscc,
            rights=[r.number for r in rights],
            debt_amount=Decimal(amount),
            term_start=term_start,
            term_end=kw.pop("term_end", add_years(term_start, 2)),
            contract_no=f"ZY-{today.year}-{pledgor.pk:03d}{len(rights)}{amount[:2]}",
            scope="主债权本金、利息、违约金及实现质权的费用",
            co_owner_consent=kw.pop("consent", False),
            **kw,
        )
        return pledge

    registered = submit(
        ba,
        a,
        [
            a_chip,
            a_bus,
            tm_main,
            *list(
                Right.objects.filter(owners__organisation=a, kind="trademark", mark_text="智芯科技")
            ),
        ],
        "5000000.00",
    )
    pledges.pledge_decide(actor=examiner, pledge=registered, decision="approve", reason="材料齐全")
    released = submit(ba, b, [b_um], "800000.00")
    pledges.pledge_decide(actor=examiner, pledge=released, decision="approve", reason="材料齐全")
    pledges.pledge_release(actor=ba, pledge=released)
    submit(ba, a, [a_pkg], "1200000.00")  # waits in the examiner's queue
    correction = submit(ba, c, [c_sw], "3000000.00")
    pledges.pledge_decide(
        actor=examiner,
        pledge=correction,
        decision="correct",
        reason="质押合同未载明担保范围，请补正",
    )
    rejected = submit(bb, e, [e_bio], "2000000.00")
    pledges.pledge_decide(
        actor=examiner, pledge=rejected, decision="reject", reason="出质人与质权人签章不一致"
    )
    b_registered = submit(bb, b, [b_mat, a_shared], "6000000.00", consent=True)
    pledges.pledge_decide(actor=examiner, pledge=b_registered, decision="approve", reason="")
    submit(bb, f, [f_uav], "1500000.00")
    if real_org is not None:
        real_rights = list(
            Right.objects.filter(owners__organisation=real_org, grant_date__isnull=False)
            .distinct()
            .order_by("number")[:2]
        )
        if real_rights:
            real_pledge = submit(
                ba, real_org, real_rights, "1000000.00", term_end=add_years(term_start, 1)
            )
            pledges.pledge_decide(actor=examiner, pledge=real_pledge, decision="approve", reason="")
    return [
        f"机构 / organisations: {Organisation.objects.count()}",
        f"知识产权 / rights: {Right.objects.count()}",
        f"质押 / pledges: {registered._meta.model.objects.count()}",
    ]
