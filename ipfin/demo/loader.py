"""The demo data set: real patents from ../shared/data plus generated parties, rights, pledges.

Everything is written through the same services the UI and the API use, so the demo also has its
audit trail and notifications. Dates are relative to today, so that the states stay true whenever it
is run: rights in force, one in its annuity grace period, one with an invalidation pending, one
under court preservation, a co-owned one, trademarks with a similar mark, transfers and licences
recorded with their price (the market approach's comparables), pledges in every state;
then valuations, and the financing side: a park, an insurer and a guarantor, the catalogue and the
policies, credit profiles, demands with their feedback ledger, a loan in each stage (approved;
disbursed with a late instalment, 关注; closed, its pledge waiting for release) and a subsidy claim.
The two registrations the loans rely on were filed half a year ago (`_History`), so that the loans'
approval, disbursement and repayments come after them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any, TextIO

from django.conf import settings
from django.core.management import call_command
from django.db import models, transaction
from django.utils import timezone

from ipfin.accounts.domain import make_uscc
from ipfin.accounts.models import EnterpriseSize, Organisation, OrganisationKind, Role, User
from ipfin.accounts.services import user_create
from ipfin.pledges.models import Pledge, PledgeDocument
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
# (name, division, industry, size per 工信部联企业[2011]300号)
ENTERPRISES = [
    ("北京智芯微电子科技有限公司", "110108", "集成电路", EnterpriseSize.SMALL),
    ("苏州纳米新材料股份有限公司", "320571", "新材料", EnterpriseSize.MEDIUM),
    ("杭州云图软件有限公司", "330106", "软件和信息技术服务", EnterpriseSize.SMALL),
    ("深圳创维光电技术有限公司", "440305", "光电设备", EnterpriseSize.MEDIUM),
    ("武汉华中生物医药有限公司", "420111", "生物医药", EnterpriseSize.MICRO),
    ("成都天府无人机科技有限公司", "510107", "航空装备", EnterpriseSize.SMALL),
]
# The first holder of one of enterprise D's patents (no account on the platform).
OPTICS_INSTITUTE = "示范光电技术研究院"
# The park enterprise A is in (园区); its user files demands on behalf of its members.
PARK = ("park", "海淀示范科技园区管理委员会", "110108")


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
    owner: Organisation | list[tuple[Organisation, Decimal]] | str,
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
    if isinstance(owner, str):  # a holder with no account on the platform (no credit code)
        owners: list[dict[str, str]] = [{"name": owner}]
    elif isinstance(owner, list):
        owners = [{"name": o.name, "uscc": o.uscc or "", "share": str(s)} for o, s in owner]
    else:
        owners = [{"name": owner.name, "uscc": owner.uscc or ""}]
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
        size=EnterpriseSize.MEDIUM,
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
        summary = [f"导入真实专利 / real rights imported: {imported}", *_load_parties(real_dir)]
    # Scores first: a bank's recheck weighs the rights of a package by their stored scores.
    scored = _score_portfolio(stdout)
    with transaction.atomic():
        summary += _load_valuations()
    with transaction.atomic():
        summary += _load_financing()
    if scored:
        summary.append("价值度评分 / rights scored: ipfin score_portfolio")
    return summary


def _score_portfolio(stdout: TextIO | None) -> bool:
    """`ipfin score_portfolio` over the demo register, when the command is installed."""
    from django.core.management import get_commands

    if "score_portfolio" not in get_commands():
        return False
    call_command("score_portfolio", stdout=stdout or StringIO())
    return True


# A valuation agency (fictitious) and what it and the banks valued: GB/T 42748-2023's three
# approaches, an issued report waiting for the client bank's recheck, and a recheck that flags a
# report whose value is far above the bank's internal valuation.
AGENCY = ("agency", "中评示范资产评估有限公司", "110105")


def _demo_right(title: str) -> Right:
    return Right.objects.get(source="demo", title=title)


def _load_valuations() -> list[str]:
    from ipfin.valuation import services as valuations
    from ipfin.valuation.models import Valuation

    username, name, division = AGENCY
    agency_org = Organisation.objects.create(
        kind=OrganisationKind.VALUATION_AGENCY,
        name=name,
        uscc=make_uscc(division=division, seq=800),
        region=division,
    )
    agency = user_create(
        username=username, password=DEMO_PASSWORD, organisation=agency_org, first_name="评估师"
    )
    bank_a = User.objects.get(username="bank_a")
    bank_b = User.objects.get(username="bank_b")
    bank_a_uscc = bank_a.organisation.uscc

    # 1. 收益分成法 for bank A's pledged chip patent, with the discount rate built up and a Monte
    #    Carlo range; issued, waiting for bank A's recheck. Life 4.5 years: 5 revenues, the fifth
    #    counting one half.
    chip = valuations.valuation_create(
        actor=agency,
        rights=[_demo_right("一种低功耗存算一体芯片及其制备方法").number],
        method="income",
        inputs={
            "revenues": ["3000000", "3400000", "3800000", "4100000", "4300000"],
            "share_rate": "0.12",
            "share_decay": "0.05",
            "tax_rate": "0.15",
            "discount_rate_parts": {
                "risk_free": "0.025",
                "technology": "0.04",
                "market": "0.03",
                "management": "0.015",
                "legal": "0.01",
            },
            "life_years": "4.5",
            "mid_year": True,
            "monte_carlo": {
                "growth": {"low": "0.03", "high": "0.12"},
                "share_rate": {"low": "0.10", "high": "0.14"},
                "discount_rate": {"low": "0.10", "high": "0.14"},
                "life_years": {"low": "4", "high": "6"},
                "draws": 10000,
                "seed": 2026,
            },
        },
        client_bank_uscc=bank_a_uscc,
    )
    valuations.valuation_issue(actor=agency, valuation=chip)

    # 2. A report far above what the revenues support (a 30 % share of 20 million a year):
    #    bank A's recheck flags it.
    inflated = valuations.valuation_create(
        actor=agency,
        rights=[_demo_right("片上网络路由仲裁方法").number],
        method="income",
        inputs={
            "revenues": ["20000000", "22000000", "24000000"],
            "share_rate": "0.30",
            "tax_rate": "0.15",
            "discount_rate": "0.08",
            "life_years": "3",
        },
        client_bank_uscc=bank_a_uscc,
    )
    inflated = valuations.valuation_issue(actor=agency, valuation=inflated)
    # Bank A's own figure for the right (its reference value, what its internal model takes).
    valuations.valuation_recheck(
        actor=bank_a,
        valuation=inflated,
        reference_values={_demo_right("片上网络路由仲裁方法").number: "3000000"},
    )

    # 3. 成本法 of a utility model (a draft of the agency's).
    valuations.valuation_create(
        actor=agency,
        rights=[_demo_right("一种芯片封装散热结构").number],
        method="cost",
        inputs={
            "cost": "600000",
            "price_index": "1.05",
            "profit_rate": "0.15",
            "used_years": "2",
            "remaining_years": "6",
            "obsolescence": "0.10",
        },
    )

    # 4. 市场法 by bank B itself, from two comparable transactions, issued.
    market = valuations.valuation_create(
        actor=bank_b,
        rights=[_demo_right("高导热石墨烯复合膜及其制备方法").number],
        method="market",
        inputs={
            "comparables": [
                {
                    "price": "1200000",
                    "technical": "1.05",
                    "economic": "0.9",
                    "remaining_life_ratio": "0.85",
                    "time": "1.02",
                    "weight": "2",
                    "label": "同领域导热膜专利转让",
                },
                {
                    "price": "900000",
                    "technical": "1.1",
                    "economic": "1.0",
                    "remaining_life_ratio": "0.9",
                    "time": "1.0",
                    "weight": "1",
                    "label": "同类专利普通许可",
                },
            ]
        },
    )
    valuations.valuation_issue(actor=bank_b, valuation=market)
    return [
        f"价值评估 / valuations: {Valuation.objects.count()}",
        f"评估机构登录 / valuation agency login: {username} (password {DEMO_PASSWORD})",
    ]


@dataclass(frozen=True)
class _History:
    """The demo's past, relative to today: two pledges registered half a year ago, the loans
    granted on them since (bank A's disbursed four and a bit months ago, bank B's three)."""

    today: date
    pledges_filed: date
    pledges_registered: date
    valued: date
    loan_a_disbursed: date
    loan_b_disbursed: date

    @classmethod
    def ending(cls, today: date) -> _History:
        filed = add_months(today, -6)
        return cls(
            today=today,
            pledges_filed=filed,
            pledges_registered=filed + timedelta(days=3),
            valued=filed + timedelta(days=7),
            loan_a_disbursed=add_months(today, -4) - timedelta(days=20),
            loan_b_disbursed=add_months(today, -3) - timedelta(days=5),
        )


def _register_in_the_past(examiner: User, pledge: Pledge, history: _History) -> None:
    """Register `pledge` as the examiner did on `history.pledges_registered`. pledge_submit stamps
    the filing with the clock and pledge_decide refuses an effective date before the filing: the
    demo sets the filing time (and the contract's upload time) back to the day it was filed
    (`pledge_submit(today=...)`), the one write outside the services, then decides through the
    service on the registration day."""
    from ipfin.pledges import services as pledges

    filed_at = timezone.make_aware(datetime.combine(history.pledges_filed, time(10, 0)))
    Pledge.objects.filter(pk=pledge.pk).update(submitted_at=filed_at)
    PledgeDocument.objects.filter(pledge=pledge).update(uploaded_at=filed_at)
    pledge.refresh_from_db()
    pledges.pledge_decide(
        actor=examiner,
        pledge=pledge,
        decision="approve",
        reason="材料齐全",
        today=history.pledges_registered,
    )


def _load_parties(real_dir: Path) -> list[str]:
    from ipfin.pledges import services as pledges
    from ipfin.pledges.samples import contract_file, other_party_confirms
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
    # The office's administrator keeps the working-day calendar (each year's holiday notice).
    user_create(
        username="office_admin",
        password=DEMO_PASSWORD,
        organisation=office,
        role=Role.ADMIN,
        first_name="管理员",
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

    park_user, park_name, park_division = PARK
    park = Organisation.objects.create(
        kind=OrganisationKind.PARK,
        name=park_name,
        region=park_division,
        uscc=make_uscc(division=park_division, seq=600),
    )
    user_create(username=park_user, password=DEMO_PASSWORD, organisation=park, first_name="园区")
    firms = [
        Organisation.objects.create(
            kind=OrganisationKind.ENTERPRISE,
            name=name,
            industry=industry,
            region=division,
            size=size,
            park=park if i == 0 else None,
            uscc=make_uscc(division=division, seq=1000 + i),
        )
        for i, (name, division, industry, size) in enumerate(ENTERPRISES)
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
    # Filed by a research institute and bought by enterprise D three years ago (a priced
    # transfer: a comparable of the market approach, like the priced licences below).
    d_opt = _patent(
        ctx,
        OPTICS_INSTITUTE,
        inv,
        "一种激光投影匀光装置",
        filed_years_ago=8,
        granted_years_ago=5,
        ipc="G03B21/20",
    )
    right_event_record(
        actor=examiner,
        right=d_opt,
        type="transfer",
        date=add_years(today, -3),
        payload={"owners": [{"name": d.name, "uscc": d.uscc}], "price": "2800000.00"},
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
    # Licences recorded with their fees (许可使用费): the market approach's comparables in the
    # calculator ("从登记簿载入可比交易").
    right_event_record(
        actor=examiner,
        right=c_sw,
        type="licence",
        date=today - timedelta(days=200),
        payload={
            "licence_type": "ordinary",
            "licensee": "示范地图服务有限公司",
            "price": "450000.00",
        },
    )
    right_event_record(
        actor=examiner,
        right=f_uav,
        type="licence",
        date=today - timedelta(days=150),
        payload={
            "licence_type": "exclusive",
            "licensee": "示范低空物流有限公司",
            "price": "1500000.00",
        },
    )
    right_event_record(
        actor=examiner,
        right=a_inval,
        type="licence",
        date=add_years(today, -2),
        payload={
            "licence_type": "ordinary",
            "licensee": "示范通信设备有限公司",
            "price": "700000.00",
        },
    )

    real_org = _adopt_real_owner(ctx, "中科大数据研究院", "410100")

    # Pledges in every state.
    ba, bb = bank_users["bank_a"], bank_users["bank_b"]
    term_start = today - timedelta(days=10)
    # The registrations bank A's and bank B's loans rely on were filed half a year ago.
    history = _History.ending(today)

    def submit(bank: User, pledgor: Organisation, rights: list[Right], amount: str, **kw: Any):
        """File the application; unless `confirm=False` the pledgor's user confirms it (a joint
        application, 办法 arts. 3, 7); unless `contract=False` upload its signed contract (a
        generated PDF) as the bank does: the examiner approves only once it is stored."""
        start = kw.get("today") or term_start
        with_contract = kw.pop("contract", True)
        confirm = kw.pop("confirm", True)
        pledge, _checks = pledges.pledge_submit(
            actor=bank,
            pledgor_uscc=pledgor.uscc,
            rights=[r.number for r in rights],
            debt_amount=Decimal(amount),
            term_start=start,
            term_end=kw.pop("term_end", add_years(start, 2)),
            contract_no=f"ZY-{today.year}-{pledgor.pk:03d}{len(rights)}{amount[:2]}",
            scope="主债权本金、利息、违约金及实现质权的费用",
            co_owner_consent=kw.pop("consent", False),
            **kw,
        )
        if confirm:
            pledge = other_party_confirms(pledge, user=_signer(pledgor), today=kw.get("today"))
        if with_contract:
            pledges.pledge_document_upload(
                actor=bank, pledge=pledge, uploaded_file=contract_file(pledge.contract_no)
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
        today=history.pledges_filed,
    )
    _register_in_the_past(examiner, registered, history)
    # Bank A asks to extend the registered pledge's term: a change registration (变更登记) that
    # waits for enterprise A's confirmation; the registered terms stand until it is approved.
    pledges.pledge_change(
        actor=ba,
        pledge=registered,
        term_end=add_months(registered.term_end, 3),
        reason="借款展期三个月",
    )
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
    b_registered = submit(
        bb, b, [b_mat, a_shared], "6000000.00", consent=True, today=history.pledges_filed
    )
    _register_in_the_past(examiner, b_registered, history)
    # Filed, its contract not uploaded yet: the examiner may only ask for it (approval disabled).
    submit(bb, f, [f_uav], "1500000.00", contract=False)
    # Filed by bank B for enterprise A, waiting for the enterprise's confirmation (enterprise_a
    # sees the pre-check and the confirm / decline buttons).
    a_memory = _patent(
        ctx, a, inv, "一种片上存储控制器", filed_years_ago=4, granted_years_ago=2, ipc="G06F12/08"
    )
    _pay_annuities(ctx, a_memory, until=today)
    submit(bb, a, [a_memory], "900000.00", confirm=False)
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
        f"质押 / pledges: {Pledge.objects.count()}",
    ]


# --- financing -----------------------------------------------------------------------------------
# An insurer and a guarantor (fictitious) with a product each, the banks' loan products (LPR +
# spread; bank A's published twice), the IP office's interest subsidy and risk-compensation
# policies and a park policy, credit profiles, two demands (one answered by both banks, one
# overdue), a loan in each stage and a subsidy claim.
PROVIDERS = [
    ("insurer", OrganisationKind.INSURER, "人保示范财产保险股份有限公司北京分公司", "110102"),
    ("guarantor", OrganisationKind.GUARANTOR, "示范市科技融资担保有限公司", "110108"),
]
BANK_A_LOAN = {
    "description": "以发明专利、实用新型和注册商标质押，可组合质押；按1年期LPR加点定价。",
    "amount_min": "100000",
    "amount_max": "5000000",
    "term_min_months": 3,
    "term_max_months": 36,
    "lpr_tenor": "1y",
    "rate_spread_bp": 50,
    "accepted_right_kinds": ["invention", "utility_model", "trademark"],
    "package_allowed": True,
    "max_pledge_rate": "0.5",
    "repayment_methods": ["annuity", "equal_principal", "interest_only"],
}
# Version 2: a lower spread and a higher pledge rate; 先息后本 no longer offered.
BANK_A_LOAN_V2 = {
    **BANK_A_LOAN,
    "rate_spread_bp": 45,
    "max_pledge_rate": "0.6",
    "repayment_methods": ["annuity", "equal_principal"],
}
BANK_B_LOAN = {
    "description": "面向科技型中小企业，仅接受专利质押；按5年期以上LPR加点定价。",
    "amount_min": "100000",
    "amount_max": "3000000",
    "term_min_months": 6,
    "term_max_months": 60,
    "lpr_tenor": "5y",
    "rate_spread_bp": 30,
    "accepted_right_kinds": ["invention", "utility_model"],
    "package_allowed": True,
    "max_pledge_rate": "0.4",
    "repayment_methods": ["equal_principal", "annuity"],
}
ENTERPRISE_PROFILES: dict[str, dict[str, Any]] = {
    "北京智芯微电子科技有限公司": {
        "rd_expense_ratio": "0.18",
        "high_tech": True,
        "specialised_sme": True,
        "established_on": "2016-03-18",
        "credit_rating": "A",
        "revenue": "42000000",
        "revenue_growth": "0.22",
        "debt_ratio": "0.46",
        "tax_credit_grade": "A",
    },
    "苏州纳米新材料股份有限公司": {
        "rd_expense_ratio": "0.09",
        "high_tech": True,
        "established_on": "2012-07-02",
        "credit_rating": "AA",
        "revenue": "186000000",
        "revenue_growth": "0.08",
        "debt_ratio": "0.52",
        "tax_credit_grade": "A",
    },
    "杭州云图软件有限公司": {
        "rd_expense_ratio": "0.25",
        "high_tech": True,
        "established_on": "2019-11-11",
        "credit_rating": "BBB",
        "revenue": "15000000",
        "revenue_growth": "0.35",
        "debt_ratio": "0.38",
        "tax_credit_grade": "B",
    },
    "深圳创维光电技术有限公司": {
        "rd_expense_ratio": "0.06",
        "established_on": "2010-05-20",
        "credit_rating": "BB",
        "overdue_count_24m": 2,
        "revenue": "98000000",
        "revenue_growth": "-0.05",
        "debt_ratio": "0.71",
        "tax_credit_grade": "M",
    },
    "武汉华中生物医药有限公司": {
        "rd_expense_ratio": "0.40",
        "specialised_sme": True,
        "established_on": "2021-04-08",
        "revenue": "3000000",
        "revenue_growth": "0.60",
        "debt_ratio": "0.30",
    },
    "成都天府无人机科技有限公司": {
        "rd_expense_ratio": "0.15",
        "high_tech": True,
        "established_on": "2018-09-01",
        "credit_rating": "A",
        "revenue": "27000000",
        "revenue_growth": "0.18",
        "debt_ratio": "0.44",
        "tax_credit_grade": "B",
    },
}


def _enterprise(name: str) -> Organisation:
    return Organisation.objects.get(kind=OrganisationKind.ENTERPRISE, name=name)


def _signer(org: Organisation) -> User:
    """Who signs a joint pledge application for enterprise `org` in the demo: its own login
    (enterprise_<letter> for the demo's enterprises, created here; signer_<id> for others)."""
    existing = User.objects.filter(organisation=org).order_by("pk").first()
    if existing is not None:
        return existing
    names = [name for name, *_ in ENTERPRISES]
    username = (
        f"enterprise_{'abcdefghij'[names.index(org.name)]}"
        if org.name in names
        else f"signer_{org.pk}"
    )
    return user_create(username=username, password=DEMO_PASSWORD, organisation=org)


def _profile_keeper(org: Organisation) -> User:
    """Who records `org`'s credit profile in the demo: a bank it has pledged rights to (only such
    a bank may), else the enterprise's own login (enterprise_<letter>, created here)."""
    bank_user = (
        User.objects.filter(organisation__pledges_as_pledgee__pledgor=org).order_by("pk").first()
    )
    if bank_user is not None:
        return bank_user
    letter = "abcdefghij"[[name for name, *_ in ENTERPRISES].index(org.name)]
    return User.objects.filter(username=f"enterprise_{letter}").first() or user_create(
        username=f"enterprise_{letter}", password=DEMO_PASSWORD, organisation=org
    )


def _pay_due(loan: Any, bank: User, on: date, today: date) -> None:
    """The bank records the enterprise paying what is due on `on` (penalties included)."""
    from ipfin.loans import selectors as loan_selectors
    from ipfin.loans import services as loans

    loan.refresh_from_db()
    position = loan_selectors.loan_position(loan, on)
    assert position is not None and position.amount_due > 0
    loans.loan_repay(actor=bank, loan=loan, amount=position.amount_due, paid_on=on, today=today)


def _load_financing() -> list[str]:
    from ipfin.financing import services as financing
    from ipfin.financing.models import Demand, DemandResponse, Policy, ProductVersion
    from ipfin.loans import selectors as loan_selectors
    from ipfin.loans import services as loans
    from ipfin.loans.models import Loan, SubsidyClaim
    from ipfin.valuation import services as valuations
    from ipfin.valuation.services.profiles import credit_profile_update

    today = timezone.localdate()
    history = _History.ending(today)
    examiner = User.objects.get(username="examiner")
    bank_a = User.objects.get(username="bank_a")
    bank_b = User.objects.get(username="bank_b")
    enterprise_a = User.objects.get(username="enterprise_a")
    park = User.objects.get(username=PARK[0])
    firm_a = enterprise_a.organisation
    assert firm_a is not None
    firm_b = _enterprise(ENTERPRISES[1][0])

    # Credit profiles: enterprise A keeps its own; for the others a bank they have pledged rights
    # to records them (only such a bank may), or, with no bank yet, the enterprise's own login.
    for name, facts in ENTERPRISE_PROFILES.items():
        org = _enterprise(name)
        actor = enterprise_a if org.pk == firm_a.pk else _profile_keeper(org)
        credit_profile_update(actor=actor, uscc=org.uscc or "", today=today, **facts)

    # The catalogue.
    provider_users = []
    for i, (username, kind, name, division) in enumerate(PROVIDERS):
        org = Organisation.objects.create(
            kind=kind, name=name, region=division, uscc=make_uscc(division=division, seq=650 + i)
        )
        provider_users.append(
            user_create(username=username, password=DEMO_PASSWORD, organisation=org)
        )
    insurer, guarantor = provider_users
    financing.product_publish(
        actor=insurer,
        code="IPI-01",
        kind="insurance",
        name="知识产权质押融资保证保险",
        terms={
            "description": "为知识产权质押贷款提供保证保险，保险公司承担约定比例的贷款损失。",
            "amount_max": "5000000",
            "term_max_months": 36,
            "premium_rate": "0.015",
            "coverage_ratio": "0.7",
            "coverage_max": "3500000",
        },
    )
    financing.product_publish(
        actor=guarantor,
        code="KJD-01",
        kind="guarantee",
        name="科技担保·知识产权反担保",
        terms={
            "description": "融资担保公司为企业贷款提供连带责任保证，企业以知识产权提供反担保。",
            "amount_max": "10000000",
            "term_max_months": 36,
            "premium_rate": "0.01",
            "coverage_ratio": "0.8",
            "coverage_max": "8000000",
        },
    )
    a_v1 = financing.product_publish(
        actor=bank_a, code="ZC-IPL", kind="loan", name="知识产权质押贷", terms=BANK_A_LOAN
    )
    b_loan = financing.product_publish(
        actor=bank_b, code="KC-IPL", kind="loan", name="科创知识产权贷", terms=BANK_B_LOAN
    )

    # Policies: the IP office's interest subsidy for the year the demo's interest was paid in (the
    # late third instalment of bank A's loan), its risk-compensation pool, and a park policy.
    loan_a_late = add_months(history.loan_a_disbursed, 3) + timedelta(days=9)
    subsidy_year = loan_a_late.year
    subsidy = financing.policy_publish(
        actor=examiner,
        kind="subsidy",
        title=f"示范市{subsidy_year}年度知识产权质押贷款贴息",
        summary="对以知识产权质押方式获得的贷款，按当年实际支付利息的50%给予贴息，"
        "每家企业每年最高10万元；预算用完时按比例核减。",
        conditions={"ip_pledge_loan": True, "sizes": ["micro", "small", "medium"]},
        subsidy_share="0.5",
        cap_per_enterprise="100000.00",
        annual_budget="3000000.00",
        year=subsidy_year,
    )
    financing.policy_publish(
        actor=examiner,
        kind="risk_compensation",
        title="示范市知识产权质押融资风险补偿资金池",
        summary="合作银行的知识产权质押贷款形成不良的，风险补偿资金池按本金损失的40%给予补偿，"
        "单笔最高200万元。",
        conditions={"ip_pledge_loan": True, "banks": "合作银行"},
    )
    financing.policy_publish(
        actor=park,
        kind="other",
        title="园区企业融资担保费补贴",
        summary="园区入驻企业通过合作担保机构获得贷款的，按担保费的50%给予补贴。",
        conditions={"park_members": True},
    )

    # Valuations the past loans relied on: each bank's own, on the day after registration.
    def cost_valuation(bank: User, rights: list[Right], cost: str) -> Any:
        valuation = valuations.valuation_create(
            actor=bank,
            rights=[r.number for r in rights],
            method="cost",
            inputs={"cost": cost, "profit_rate": "0.1", "used_years": "2", "remaining_years": "8"},
            valuation_date=history.valued,
        )
        return valuations.valuation_issue(actor=bank, valuation=valuation)

    registered = Pledge.objects.filter(state="registered")
    registered_a = registered.get(pledgee_id=bank_a.organisation_id, pledgor=firm_a)
    registered_b = registered.get(pledgee_id=bank_b.organisation_id, pledgor=firm_b)
    chip = _demo_right("一种低功耗存算一体芯片及其制备方法")
    bus = _demo_right("片上网络路由仲裁方法")
    # 3,500,000 × 1.1 × 8/10 = 3,080,000.00
    value_a = cost_valuation(bank_a, [chip, bus], "3500000")
    # 1,500,000 × 1.1 × 8/10 = 1,320,000.00
    value_b = cost_valuation(bank_b, [_demo_right("高导热石墨烯复合膜及其制备方法")], "1500000")

    # 1. Bank A's loan to enterprise A on version 1: disbursed four months ago, instalments 1 and
    #    2 paid on their days, 3 paid 9 days late (penalty interest), 4 unpaid → 关注.
    d0 = history.loan_a_disbursed
    loan_a = loans.loan_apply(
        actor=enterprise_a,
        enterprise_uscc=firm_a.uscc or "",
        product_version_id=a_v1.pk,
        amount="1000000",
        months=12,
        method="annuity",
        purpose="流片及量产备货",
    )
    loans.loan_approve(
        actor=bank_a,
        loan=loan_a,
        principal="1000000",
        months=12,
        pledge_id=registered_a.pk,
        valuation_id=value_a.pk,
        today=d0,
    )
    loans.loan_disburse(actor=bank_a, loan=loan_a, today=d0)
    for n in (1, 2):
        _pay_due(loan_a, bank_a, add_months(d0, n), today)
    _pay_due(loan_a, bank_a, loan_a_late, today)

    # Bank A lowers its spread: version 2. Loan 1 keeps the terms of version 1.
    a_v2 = financing.product_publish(
        actor=bank_a, code="ZC-IPL", kind="loan", name="知识产权质押贷", terms=BANK_A_LOAN_V2
    )

    # 2. Bank B's loan to enterprise B (recorded by the bank): two instalments paid, settled early
    #    last week, closed today; the registration is no longer needed: the release prompt.
    d0 = history.loan_b_disbursed
    loan_b = loans.loan_apply(
        actor=bank_b,
        enterprise_uscc=firm_b.uscc or "",
        product_version_id=b_loan.pk,
        amount="500000",
        months=6,
        method="equal_principal",
        purpose="石墨烯导热膜产线技改",
    )
    loans.loan_approve(
        actor=bank_b,
        loan=loan_b,
        principal="500000",
        months=6,
        pledge_id=registered_b.pk,
        valuation_id=value_b.pk,
        today=d0,
    )
    loans.loan_disburse(actor=bank_b, loan=loan_b, today=d0)
    for n in (1, 2):
        _pay_due(loan_b, bank_b, add_months(d0, n), today)
    settle_on = today - timedelta(days=6)
    loan_b.refresh_from_db()
    position = loan_selectors.loan_position(loan_b, settle_on)
    assert position is not None
    loans.loan_repay(
        actor=bank_b, loan=loan_b, amount=position.amount_to_settle, paid_on=settle_on, today=today
    )
    loans.loan_close(actor=bank_b, loan=loan_b, today=today)

    # 3. Demands. Enterprise A's for 1,200,000 over its two pledged chip patents, pushed to both
    #    banks (covered by bank A's own valuation of both, 3,080,000: × 0.6 for bank A, × 0.4 =
    #    1,232,000 for bank B): bank A is interested, bank B declines; the loan from it is approved.
    demand = financing.demand_file(
        actor=enterprise_a,
        enterprise_uscc=firm_a.uscc or "",
        amount="1200000",
        term_months=12,
        purpose="新一代存算一体芯片研发及设备采购",
        rights=[chip.number, bus.number],
        today=today,
    )
    rows = {
        row.bank_id: row
        for row in financing.demand_push(actor=enterprise_a, demand=demand, today=today)
    }
    financing.demand_respond(
        actor=bank_a,
        response_id=rows[bank_a.organisation_id].pk,
        response="interested",
        reason="可按最高额质押追加授信，请提交近两年财务报表。",
    )
    financing.demand_respond(
        actor=bank_b,
        response_id=rows[bank_b.organisation_id].pk,
        response="declined",
        reason="拟质押专利已在他行办理质押登记。",
    )
    loan_c = loans.loan_apply(
        actor=enterprise_a,
        enterprise_uscc=firm_a.uscc or "",
        product_version_id=a_v2.pk,
        amount="1200000",
        months=12,
        method="annuity",
        demand_id=demand.pk,
    )
    loans.loan_approve(
        actor=bank_a,
        loan=loan_c,
        principal="1200000",
        months=12,
        pledge_id=registered_a.pk,
        valuation_id=value_a.pk,
        today=today,
    )
    # The park's demand for enterprise A over its "芯途" trademark, pushed two weeks ago: bank A
    # (the only product taking trademarks) has not answered by the deadline; reminded today.
    overdue = financing.demand_file(
        actor=park,
        enterprise_uscc=firm_a.uscc or "",
        amount="800000",
        term_months=6,
        purpose="园区代报：补充流动资金",
        rights=[Right.objects.get(source="demo", mark_text="芯途").number],
        today=today,
    )
    financing.demand_push(actor=park, demand=overdue, today=today - timedelta(days=14))
    financing.ledger_remind(today=today)

    # 4. Enterprise A claims the interest subsidy on the interest it paid in that year.
    loans.subsidy_claim_submit(
        actor=enterprise_a, policy_id=subsidy.pk, year=subsidy_year, today=today
    )

    states = dict(Loan.objects.order_by().values_list("state").annotate(n=models.Count("id")))
    return [
        f"金融产品 / products: {ProductVersion.objects.values('product').distinct().count()} "
        f"({ProductVersion.objects.count()} versions)",
        f"政策 / policies: {Policy.objects.count()}",
        "银行自评（贷款审批依据）/ the banks' own valuations the loans rely on: 2",
        f"融资需求 / demands: {Demand.objects.count()}, "
        f"对接台账 / ledger rows: {DemandResponse.objects.count()}",
        "贷款 / loans: " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())),
        f"贴息申请 / subsidy claims: {SubsidyClaim.objects.count()}",
        f"园区登录 / park login: {PARK[0]} (password {DEMO_PASSWORD})",
    ]
