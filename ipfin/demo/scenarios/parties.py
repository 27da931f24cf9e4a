"""Scenario 1: the parties and their logins, registered through the accounts services.

The names are fictitious (名称为演示用虚构机构); the division codes are real administrative
divisions and every credit code carries valid check characters."""

from __future__ import annotations

from dataclasses import dataclass

from ipfin.accounts.domain import make_uscc
from ipfin.accounts.models import EnterpriseSize, Organisation, OrganisationKind, Role, User
from ipfin.accounts.services import organisation_create
from ipfin.demo.scenarios.base import login

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
# The park enterprise A is in (园区); its user files demands on behalf of its members.
PARK = ("park", "海淀示范科技园区管理委员会", "110108")
AGENCY = ("agency", "中评示范资产评估有限公司", "110105")
PROVIDERS = [
    ("insurer", OrganisationKind.INSURER, "人保示范财产保险股份有限公司北京分公司", "110102"),
    ("guarantor", OrganisationKind.GUARANTOR, "示范市科技融资担保有限公司", "110108"),
]


@dataclass(frozen=True)
class Cast:
    """Who acts in the later scenarios."""

    examiner: User
    regulator: User
    bank_a: User
    bank_b: User
    park: User
    enterprise_a: User
    agency: User
    insurer: User
    guarantor: User
    firms: list[Organisation]  # ENTERPRISES in order: A (in the park) … F


def register_organisation(
    kind: str,
    name: str,
    division: str,
    seq: int | None,
    *,
    region: str | None = None,
    industry: str = "",
    size: str = "",
    park: Organisation | None = None,
) -> Organisation:
    """An organisation registered by the platform's setup; credit code from `division` and `seq`
    (none when `seq` is None: the office and the regulator)."""
    return organisation_create(
        actor=None,
        kind=kind,
        name=name,
        uscc=make_uscc(division=division, seq=seq) if seq is not None else None,
        region=division if region is None else region,
        industry=industry,
        size=size,
        park=park,
    )


def cast_parties() -> Cast:
    office = register_organisation(
        OrganisationKind.IP_OFFICE, "示范市知识产权局", "", None, region="示范市"
    )
    examiner = login("examiner", office, role=Role.EXAMINER, first_name="审查员")
    # A second examiner: approvals above IPFIN_DUAL_CONTROL_ABOVE (the demo: 50,000,000 yuan) need
    # two (dual control).
    login("examiner_b", office, role=Role.EXAMINER, first_name="复核审查员")
    # The office's administrator keeps the working-day calendar (each year's holiday notice).
    login("office_admin", office, role=Role.ADMIN, first_name="管理员")
    regulator = login(
        "regulator",
        register_organisation(OrganisationKind.REGULATOR, "示范市金融监管局", "", None, region=""),
    )
    bank_a, bank_b = (
        login(username, register_organisation(OrganisationKind.BANK, name, division, 700 + i))
        for i, (username, name, division) in enumerate(BANKS)
    )
    park_user, park_name, park_division = PARK
    park = register_organisation(OrganisationKind.PARK, park_name, park_division, 600)
    firms = [
        register_organisation(
            OrganisationKind.ENTERPRISE,
            name,
            division,
            1000 + i,
            industry=industry,
            size=size,
            park=park if i == 0 else None,
        )
        for i, (name, division, industry, size) in enumerate(ENTERPRISES)
    ]
    agency_user, agency_name, agency_division = AGENCY
    insurer, guarantor = (
        login(username, register_organisation(kind, name, division, 650 + i))
        for i, (username, kind, name, division) in enumerate(PROVIDERS)
    )
    return Cast(
        examiner=examiner,
        regulator=regulator,
        bank_a=bank_a,
        bank_b=bank_b,
        park=login(park_user, park, first_name="园区"),
        enterprise_a=login("enterprise_a", firms[0]),
        agency=login(
            agency_user,
            register_organisation(
                OrganisationKind.VALUATION_AGENCY, agency_name, agency_division, 800
            ),
            first_name="评估师",
            # The agency's administrator too: it uploads the seal its reports carry.
            role=Role.ADMIN,
        ),
        insurer=insurer,
        guarantor=guarantor,
        firms=firms,
    )


def enterprise_login(org: Organisation) -> User:
    """The login that acts for enterprise `org` (signs its pledge applications, keeps its credit
    profile): its first user, else a new one — enterprise_<letter> for the demo's enterprises,
    signer_<id> for others."""
    existing = User.objects.filter(organisation=org).order_by("pk").first()
    if existing is not None:
        return existing
    names = [name for name, *_ in ENTERPRISES]
    username = (
        f"enterprise_{'abcdefghij'[names.index(org.name)]}"
        if org.name in names
        else f"signer_{org.pk}"
    )
    return login(username, org)
