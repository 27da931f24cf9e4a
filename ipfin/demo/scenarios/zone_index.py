"""Scenario `zone_index`: the demonstration-zone index (示范区指数, issue 15) as the office
publishes it. One indicator system, active: four dimensions, six indicators — two computed by the
platform from the loans of each park's members in the year (the amount lent, the borrowers), four
uploaded by the office — over the demo's park and two more registered here (the demo has one);
the office's workbook of values uploaded, the index of the year of bank A's loan computed and
published. Everything through `ipfin.zoneindex.services`, by the office's examiner (the IP office
holds `Perm.ZONE_INDEX_MANAGE` whatever the role).

The parks' names and credit codes are fictitious (演示用虚构), the values invented."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from ipfin.accounts.domain import make_uscc
from ipfin.accounts.models import Organisation, OrganisationKind
from ipfin.accounts.services import organisation_create
from ipfin.common.excel import append_row
from ipfin.demo.scenarios.base import History
from ipfin.demo.scenarios.parties import Cast
from ipfin.zoneindex import services as zone_index
from ipfin.zoneindex.models import IndexRun

SYSTEM_NAME = "示范区知识产权金融生态指数"
# The parks registered here when the demo has only its own: (name, division, credit-code seq).
MORE_PARKS = [
    ("苏州工业园区知识产权金融示范区", "320571", 610),
    ("杭州高新区知识产权金融示范区", "330106", 611),
]
# (code, 中文名, English name, dimension, source, platform metric, direction, weight)
INDICATORS = [
    ("hightech_firms", "高新技术企业数", "High-tech enterprises", "industry_base", "uploaded",
     "", "positive", "0.15"),
    ("invention_density", "每万人发明专利拥有量", "Invention patents per 10,000 people", "ip",
     "uploaded", "", "positive", "0.20"),
    ("pledge_amount", "知识产权质押贷款放款金额", "IP-pledge loans disbursed", "finance",
     "platform", "loan_amount", "positive", "0.25"),
    ("borrowers", "获得知识产权质押贷款的企业数", "Enterprises with IP-pledge loans", "finance",
     "platform", "borrowers", "positive", "0.15"),
    ("risk_fund", "风险补偿资金规模（万元）", "Risk compensation fund (10,000 yuan)", "finance",
     "uploaded", "", "positive", "0.10"),
    ("service_days", "质押登记平均办理时长（工作日）", "Average pledge registration time "
     "(working days)", "environment", "uploaded", "", "negative", "0.15"),
]  # fmt: skip
# The office's figures for each park, in the order of the parks: the demo's park first.
UPLOADED: dict[str, list[int | float]] = {
    "hightech_firms": [860, 1240, 710],
    "invention_density": [152.3, 98.6, 76.4],
    "risk_fund": [5000, 8000, 3000],
    "service_days": [3, 5, 4],
}


def _parks() -> list[Organisation]:
    """The demo's parks in the order registered, two more registered if it has only one."""
    parks = list(Organisation.objects.filter(kind=OrganisationKind.PARK).order_by("pk"))
    if len(parks) == 1:
        parks += [
            organisation_create(
                actor=None,
                kind=OrganisationKind.PARK,
                name=name,
                uscc=make_uscc(division=division, seq=seq),
                region=division,
            )
            for name, division, seq in MORE_PARKS
        ]
    return parks[:3]


def _workbook(parks: list[Organisation]) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    append_row(sheet, ["示范区", "指标代码", "数值"])
    for code, values in UPLOADED.items():
        for park, value in zip(parks, values, strict=False):
            append_row(sheet, [park.uscc or park.name, code, value])
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(
        "示范区指标数值.xlsx",
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def publish_zone_index(cast: Cast, history: History) -> IndexRun:
    """The office's indicator system, values and published index (the module's docstring), for
    the year bank A's loan to the park's member enterprise A was disbursed in."""
    office = cast.examiner
    parks = _parks()
    system = zone_index.system_create(
        actor=office, name=SYSTEM_NAME, method="minmax", weighting="fixed"
    )
    for code, name_zh, name_en, dimension, source, metric, direction, weight in INDICATORS:
        zone_index.indicator_add(
            actor=office,
            system=system,
            code=code,
            name_zh=name_zh,
            name_en=name_en,
            dimension=dimension,
            source=source,
            platform_metric=metric,
            direction=direction,
            weight=weight,
        )
    zone_index.system_activate(actor=office, system=system)
    year = history.loan_a_disbursed.year
    zone_index.zone_values_upload(
        actor=office, system=system, year=year, uploaded_file=_workbook(parks)
    )
    run = zone_index.index_compute(actor=office, system=system, year=year)
    return zone_index.index_publish(actor=office, run=run)
