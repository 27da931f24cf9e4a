"""Scenario 2: the register. The real patents of ../shared/data (one real applicant,
中科大数据研究院, given an account so that its real patents can be pledged), and generated
rights in every legal state the pre-checks must catch: in force, a pending application,
co-owned, in the annuity grace period, invalidation requested, under court preservation;
trademarks with a similar mark; a priced transfer and priced licences (the market approach's
comparables)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from ipfin.accounts.domain import make_uscc
from ipfin.accounts.models import EnterpriseSize, Organisation, OrganisationKind, User
from ipfin.accounts.services import organisation_create
from ipfin.demo.scenarios.parties import Cast
from ipfin.registry.domain import RightKind, add_months, add_years
from ipfin.registry.import_mapping import PROBLEM_LABELS
from ipfin.registry.importers import rights_import
from ipfin.registry.models import Right
from ipfin.registry.samples import application_no, pay_annuities
from ipfin.registry.services import owners_link, right_create, right_event_record

# The first holder of one of enterprise D's patents (no account on the platform).
OPTICS_INSTITUTE = "示范光电技术研究院"
REAL_APPLICANT = ("中科大数据研究院", "410100")

Owner = Organisation | list[tuple[Organisation, Decimal]] | str


@dataclass
class Registrar:
    """The examiner entering generated rights, numbered in sequence (serials from 5,000,001,
    trademark registrations from 60,000,001), all in force today unless told otherwise."""

    examiner: User
    today: date
    seq: int = 0

    def next_serial(self) -> int:
        self.seq += 1
        return self.seq

    def patent(
        self,
        owner: Owner,
        kind: RightKind,
        title: str,
        *,
        filed_years_ago: int,
        granted_years_ago: int | None,
        ipc: str,
        filing: date | None = None,
        grant: date | None = None,
        paid: bool = True,
    ) -> Right:
        if filing is None:  # spread over the year, so that annuities fall on different days
            filing = add_years(self.today, -filed_years_ago) - timedelta(
                days=37 * (self.seq % 5 + 1)
            )
        if grant is None and granted_years_ago is not None:
            grant = add_years(self.today, -granted_years_ago) - timedelta(days=11)
        if grant is not None and grant < filing:
            grant = filing + timedelta(days=300)
        if isinstance(owner, str):  # a holder with no account on the platform (no credit code)
            owners: list[dict[str, str]] = [{"name": owner}]
        elif isinstance(owner, list):
            owners = [{"name": o.name, "uscc": o.uscc or "", "share": str(s)} for o, s in owner]
        else:
            owners = [{"name": owner.name, "uscc": owner.uscc or ""}]
        right = right_create(
            actor=self.examiner,
            number=application_no(kind.value, filing.year, 5_000_000 + self.next_serial()),
            kind=kind.value,
            title=title,
            filing_date=filing,
            grant_date=grant,
            owners=owners,
            ipc_main=ipc,
            source="demo",
        )
        if paid:
            self.pay(right, until=self.today)
        return right

    def trademark(self, owner: Organisation, mark: str, cls: int, groups: list[str]) -> Right:
        registered = add_years(self.today, -4) - timedelta(days=90 + self.seq)
        return right_create(
            actor=self.examiner,
            number=str(60_000_000 + self.next_serial()),
            kind=RightKind.TRADEMARK.value,
            title=mark,
            filing_date=registered - timedelta(days=400),
            grant_date=registered,
            owners=[{"name": owner.name, "uscc": owner.uscc}],
            mark_text=mark,
            nice_classes=[cls],
            similar_groups=groups,
            source="demo",
        )

    def pay(self, right: Right, *, until: date) -> None:
        """The owner pays each annuity 20 days before it falls due."""
        pay_annuities(right, examiner=self.examiner, until=until, days_early=20)

    def event(self, right: Right, type: str, on: date, **payload: object) -> None:
        right_event_record(actor=self.examiner, right=right, type=type, date=on, payload=payload)


@dataclass
class Register:
    """The generated rights by role, and the registrar that entered them."""

    registrar: Registrar
    rights: dict[str, Right] = field(default_factory=dict)
    real_owner: Organisation | None = None

    def __getitem__(self, key: str) -> Right:
        return self.rights[key]


@dataclass(frozen=True)
class RealImport:
    """What the import of the shared real data did, for load_demo's summary."""

    created: int
    rows: int
    skipped: int
    bad: int
    bad_reasons: tuple[str, ...]
    found: bool = True


def import_real_patents(data_dir: Path) -> RealImport:
    """The import of `ipfin import_patents` over the shared real data, quietly: the rows the
    shipped data gets wrong (a grant date before the filing date in a few Lens rows) are counted
    and named in one line of the summary, not listed one by one (`ipfin import_patents` lists
    them, with `--report` for a CSV)."""
    if not data_dir.exists():
        return RealImport(0, 0, 0, 0, (), found=False)
    summary = rights_import(actor=None, paths=[data_dir])
    counted = Counter(problem.code for _, problem in summary.bad_rows())
    reasons = tuple(f"{PROBLEM_LABELS[code][0]} {n}" for code, n in sorted(counted.items()))
    return RealImport(
        created=summary.created,
        rows=summary.rows,
        skipped=sum(summary.skipped.values()),
        bad=summary.bad,
        bad_reasons=reasons,
    )


def enter_rights(cast: Cast, today: date) -> Register:
    register = Register(Registrar(cast.examiner, today))
    _enterprise_a_rights(register, cast)
    _other_rights(register, cast)
    _recorded_dealings(register, cast, today)
    register.real_owner = _adopt_real_applicant(register.registrar)
    return register


def _enterprise_a_rights(register: Register, cast: Cast) -> None:
    """Enterprise A: a healthy portfolio and the troubled cases the pre-checks must catch."""
    r, a, b = register.registrar, cast.firms[0], cast.firms[1]
    inv, um = RightKind.INVENTION, RightKind.UTILITY_MODEL
    register.rights |= {
        "chip": r.patent(
            a, inv, "一种低功耗存算一体芯片及其制备方法",
            filed_years_ago=5, granted_years_ago=2, ipc="H01L27/06", paid=False,
        ),
        "bus": r.patent(
            a, inv, "片上网络路由仲裁方法",
            filed_years_ago=6, granted_years_ago=3, ipc="G06F15/78", paid=False,
        ),
        "package": r.patent(
            a, um, "一种芯片封装散热结构",
            filed_years_ago=3, granted_years_ago=2, ipc="H01L23/367", paid=False,
        ),
        "invalidation": r.patent(
            a, inv, "时钟数据恢复电路",
            filed_years_ago=7, granted_years_ago=4, ipc="H03L7/08", paid=False,
        ),
        # still an application: pre-check right_granted refuses it
        "application": r.patent(
            a, inv, "基于忆阻器的神经网络加速器",
            filed_years_ago=1, granted_years_ago=None, ipc="G06N3/063", paid=False,
        ),
        "shared": r.patent(
            [(a, Decimal("0.6")), (b, Decimal("0.4"))], inv, "一种半导体纳米涂层材料",
            filed_years_ago=4, granted_years_ago=2, ipc="C09D5/00", paid=False,
        ),
        # free of any pledge: what enterprise A's financing demand offers (scenario lending)
        "compiler": r.patent(
            a, inv, "存算一体芯片的编译优化方法",
            filed_years_ago=4, granted_years_ago=1, ipc="G06F8/41", paid=False,
        ),
    }  # fmt: skip
    for key in ("chip", "bus", "package", "invalidation", "shared", "compiler"):
        r.pay(register[key], until=r.today)
    # The annuity due about two months ago (the filing anniversary) is unpaid: grace period.
    grace_due = add_months(r.today, -2)
    grace = r.patent(
        a, um, "晶圆测试探针卡", filed_years_ago=3, granted_years_ago=2, ipc="G01R1/073",
        filing=add_years(grace_due, -3), grant=add_years(grace_due, -2) - timedelta(days=60),
        paid=False,
    )  # fmt: skip
    r.pay(grace, until=add_months(r.today, -3))
    register.rights["grace"] = grace
    r.event(
        register["invalidation"], "invalidation_requested", r.today - timedelta(days=30),
        requester="某竞争对手",
    )  # fmt: skip
    # Trademarks: "智芯" and its similar mark "智芯科技" on the same similar group go together.
    register.rights["mark"] = r.trademark(a, "智芯", 9, ["0901", "0907"])
    register.rights["similar_mark"] = r.trademark(a, "智芯科技", 9, ["0907"])
    register.rights["other_mark"] = r.trademark(a, "芯途", 42, ["4220"])


def _other_rights(register: Register, cast: Cast) -> None:
    r = register.registrar
    _a, b, c, d, e, f = cast.firms
    inv, um = RightKind.INVENTION, RightKind.UTILITY_MODEL
    register.rights |= {
        "graphene": r.patent(
            b, inv, "高导热石墨烯复合膜及其制备方法",
            filed_years_ago=6, granted_years_ago=3, ipc="C01B32/194", paid=False,
        ),
        "dispersion": r.patent(
            b, um, "一种纳米粉体分散装置",
            filed_years_ago=3, granted_years_ago=2, ipc="B01F27/00", paid=False,
        ),
        "maps": r.patent(
            c, inv, "分布式地图切片渲染方法",
            filed_years_ago=5, granted_years_ago=2, ipc="G06T17/05", paid=False,
        ),
        # Filed by a research institute and bought by enterprise D three years ago (a priced
        # transfer: a comparable of the market approach, like the priced licences).
        "projector": r.patent(
            OPTICS_INSTITUTE, inv, "一种激光投影匀光装置",
            filed_years_ago=8, granted_years_ago=5, ipc="G03B21/20", paid=False,
        ),
    }  # fmt: skip
    r.event(
        register["projector"], "transfer", add_years(r.today, -3),
        owners=[{"name": d.name, "uscc": d.uscc}], price="2800000.00",
    )  # fmt: skip
    register.rights |= {
        "frozen": r.patent(
            d, um, "一种可调焦背光模组",
            filed_years_ago=4, granted_years_ago=3, ipc="G02F1/13357", paid=False,
        ),
        "antibody": r.patent(
            e, inv, "一种抗体偶联药物的制备方法",
            filed_years_ago=6, granted_years_ago=2, ipc="A61K47/68", paid=False,
        ),
        "drone": r.patent(
            f, inv, "多旋翼无人机抗风姿态控制方法",
            filed_years_ago=4, granted_years_ago=1, ipc="G05D1/08", paid=False,
        ),
    }  # fmt: skip
    for key in ("graphene", "dispersion", "maps", "projector", "frozen", "antibody", "drone"):
        r.pay(register[key], until=r.today)
    r.event(
        register["frozen"], "preservation", r.today - timedelta(days=15),
        court="深圳市南山区人民法院",
    )  # fmt: skip


def _recorded_dealings(register: Register, cast: Cast, today: date) -> None:
    """Licences recorded with their fees (许可使用费): the market approach's comparables in the
    calculator ("从登记簿载入可比交易")."""
    r = register.registrar
    for key, on, licence_type, licensee, price in [
        ("maps", today - timedelta(days=200), "ordinary", "示范地图服务有限公司", "450000.00"),
        ("drone", today - timedelta(days=150), "exclusive", "示范低空物流有限公司", "1500000.00"),
        ("invalidation", add_years(today, -2), "ordinary", "示范通信设备有限公司", "700000.00"),
    ]:
        r.event(
            register[key], "licence", on,
            licence_type=licence_type, licensee=licensee, price=price,
        )  # fmt: skip


def _adopt_real_applicant(registrar: Registrar) -> Organisation | None:
    """Give a real applicant from the imported data an account, so its real patents can be
    pledged. The sources carry no credit codes: the code is generated (valid check characters);
    the office links the applicant's owner rows to it (`owners_link`)."""
    name, division = REAL_APPLICANT
    if not Right.objects.filter(owners__name=name, owners__valid_to__isnull=True).exists():
        return None
    org = organisation_create(
        actor=registrar.examiner,
        kind=OrganisationKind.ENTERPRISE,
        name=name,
        uscc=make_uscc(division=division, seq=900_000 + registrar.next_serial()),
        region="河南省郑州市",
        industry="科学研究和技术服务",
        size=EnterpriseSize.MEDIUM,
    )
    owners_link(actor=registrar.examiner, organisation=org, name=name)
    for right in Right.objects.filter(
        owners__organisation=org, grant_date__isnull=False
    ).distinct():
        registrar.pay(right, until=registrar.today)
    return org
