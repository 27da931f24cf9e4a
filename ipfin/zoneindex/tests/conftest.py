"""The index tests' zones, systems and workbooks, built through the real services.

- three parks, in this order: 甲园区 (A), 乙园区 (B), 丙园区 (C);
- `three_indicator_system`: active, minmax, fixed weights — `loans` (platform: loan_amount,
  positive, weight 2), `rd` (uploaded, positive, weight 1), `npl` (uploaded, negative, weight 1);
- `park_loans`: an enterprise of A borrows 400,000.00 and one of B 100,000.00, disbursed today
  (through the loans services), C's members none;
- `workbook(rows)`: an .xlsx upload with the header 示范区 / 指标代码 / 数值 and `rows`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.common.excel import append_row
from ipfin.loans.tests.factories import pledge_with_loan
from ipfin.registry.models import Right
from ipfin.zoneindex import services
from ipfin.zoneindex.models import IndicatorSystem

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ("示范区", "指标代码", "数值")


@dataclass(frozen=True)
class Parks:
    a: Organisation
    b: Organisation
    c: Organisation


@pytest.fixture
def parks(make_org: Callable[..., Organisation]) -> Parks:
    return Parks(
        make_org(OrganisationKind.PARK, "甲园区"),
        make_org(OrganisationKind.PARK, "乙园区"),
        make_org(OrganisationKind.PARK, "丙园区"),
    )


def make_workbook(rows: Sequence[Sequence[Any]], *, header: bool = True) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if header:
        append_row(sheet, HEADER)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("values.xlsx", out.getvalue(), content_type=XLSX)


@pytest.fixture
def workbook() -> Callable[..., SimpleUploadedFile]:
    return make_workbook


def add_three_indicators(office: User, system: IndicatorSystem) -> None:
    common = {"actor": office, "system": system}
    services.indicator_add(
        **common, code="loans", name_zh="质押贷款放款额", name_en="Pledge loans disbursed",
        dimension="finance", source="platform", platform_metric="loan_amount",
        direction="positive", weight="2",
    )  # fmt: skip
    services.indicator_add(
        **common, code="rd", name_zh="研发投入强度", name_en="R&D intensity",
        dimension="industry_base", source="uploaded", direction="positive", weight="1",
    )  # fmt: skip
    services.indicator_add(
        **common, code="npl", name_zh="不良率", name_en="NPL ratio",
        dimension="environment", source="uploaded", direction="negative", weight="1",
    )  # fmt: skip


@pytest.fixture
def draft_system(examiner: User) -> IndicatorSystem:
    system = services.system_create(
        actor=examiner, name="示范区指数", method="minmax", weighting="fixed"
    )
    add_three_indicators(examiner, system)
    return system


@pytest.fixture
def three_indicator_system(examiner: User, draft_system: IndicatorSystem) -> IndicatorSystem:
    return services.system_activate(actor=examiner, system=draft_system)


# The uploaded values of the hand-computed run: rd A 2, B 4, C 3; npl A 1, B 3, C 2.
UPLOADED = [
    ("甲园区", "rd", 2), ("乙园区", "rd", 4), ("丙园区", "rd", 3),
    ("甲园区", "npl", 1), ("乙园区", "npl", 3), ("丙园区", "npl", 2),
]  # fmt: skip


@pytest.fixture
def park_loans(
    parks: Parks,
    examiner: User,
    bank_a_user: User,
    make_org: Callable[..., Organisation],
    make_right: Callable[..., Right],
) -> None:
    for park, principal in ((parks.a, "400000.00"), (parks.b, "100000.00")):
        member = make_org(name=f"{park.name}成员企业", park=park)
        pledge_with_loan(
            examiner=examiner,
            bank_user=bank_a_user,
            enterprise=member,
            right=make_right(owners=[member]),
            principal=principal,
        )
