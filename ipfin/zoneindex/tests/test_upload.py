"""The office's workbook of zone values: every row checked first, a wrong row listed with its
row number and nothing stored; a good workbook stored in one go, replacing earlier values.

Test names carry their source: `issue15` ("indicators with source … uploaded per zone")."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, PermissionDenied, ValidationFailed
from ipfin.zoneindex import services
from ipfin.zoneindex.models import IndicatorSystem, ZoneValue
from ipfin.zoneindex.tests.conftest import UPLOADED, Parks, make_workbook

pytestmark = pytest.mark.django_db


def _stored(system: IndicatorSystem) -> list[tuple[str, str, Decimal]]:
    rows = ZoneValue.objects.filter(system=system).order_by("zone_id", "code")
    return [(v.zone.name, v.code, v.value) for v in rows.select_related("zone")]


def _upload(system: IndicatorSystem, actor: User, rows: Any, year: Any = 2025) -> Any:
    return services.zone_values_upload(
        actor=actor, system=system, year=year, uploaded_file=make_workbook(rows)
    )


def test_a_good_workbook_is_stored_whole_issue15(
    three_indicator_system: IndicatorSystem, parks: Parks, examiner: User
) -> None:
    upload = _upload(three_indicator_system, examiner, UPLOADED)
    assert (upload.year, upload.rows, upload.created, upload.updated) == (2025, 6, 6, 0)
    assert _stored(three_indicator_system) == [
        ("甲园区", "npl", Decimal("1")), ("甲园区", "rd", Decimal("2")),
        ("乙园区", "npl", Decimal("3")), ("乙园区", "rd", Decimal("4")),
        ("丙园区", "npl", Decimal("2")), ("丙园区", "rd", Decimal("3")),
    ]  # fmt: skip
    (audit,) = AuditRecord.objects.filter(action="index.values_upload")
    assert audit.after["rows"] == 6 and len(audit.after["sha256"]) == 64


def test_one_wrong_row_stores_nothing_and_is_listed_with_its_row_number_issue15(
    three_indicator_system: IndicatorSystem, parks: Parks, examiner: User
) -> None:
    _upload(three_indicator_system, examiner, [("甲园区", "rd", 7)])
    before = _stored(three_indicator_system)
    audits = AuditRecord.objects.count()
    rows = [*UPLOADED[:3], ("乙园区", "npl", "三"), *UPLOADED[4:]]  # the header is row 1
    with pytest.raises(ValidationFailed) as refused:
        _upload(three_indicator_system, examiner, rows)
    assert refused.value.code == "values_rows_invalid"
    assert refused.value.extra["problems"] == [
        {
            "row": 5,
            "field": "file",
            "code": "value_invalid",
            "message_zh": "第 5 行：数值“三”不是数字。",
            "message_en": "Row 5: the value '三' is no number.",
        }
    ]
    assert _stored(three_indicator_system) == before  # 甲园区's rd still 7, nothing added
    assert AuditRecord.objects.count() == audits


def test_every_kind_of_wrong_row_is_named(
    three_indicator_system: IndicatorSystem,
    parks: Parks,
    examiner: User,
    make_org: Callable[..., Organisation],
) -> None:
    make_org(OrganisationKind.PARK, "同名园区")
    make_org(OrganisationKind.PARK, "同名园区")
    rows = [
        ("", "rd", 1),  # 2
        ("不存在的园区", "rd", 1),  # 3
        ("同名园区", "rd", 1),  # 4
        ("甲园区", "", 1),  # 5
        ("甲园区", "gdp", 1),  # 6
        ("甲园区", "loans", 1),  # 7: computed by the platform
        ("甲园区", "rd", None),  # 8
        ("甲园区", "rd", "1.1234567"),  # 9
        ("甲园区", "rd", 10**18),  # 10
        ("乙园区", "rd", 1),  # 11
        (None, None, None),  # 12: blank, skipped
        ("乙园区", "rd", 2),  # 13: as row 11
    ]
    with pytest.raises(ValidationFailed) as refused:
        _upload(three_indicator_system, examiner, rows)
    assert [(p["row"], p["code"]) for p in refused.value.extra["problems"]] == [
        (2, "zone_missing"),
        (3, "zone_unknown"),
        (4, "zone_ambiguous"),
        (5, "code_missing"),
        (6, "code_unknown"),
        (7, "code_platform"),
        (8, "value_missing"),
        (9, "value_too_precise"),
        (10, "value_too_large"),
        (13, "row_duplicate"),
    ]
    assert refused.value.extra["rows_invalid"] == 10
    assert not ZoneValue.objects.exists()


def test_zones_by_credit_code_no_header_and_a_second_upload_replaces_values(
    three_indicator_system: IndicatorSystem, parks: Parks, examiner: User
) -> None:
    assert parks.b.uscc
    rows = [(parks.b.uscc, "rd", 4.5), ("甲园区", "rd", "2.25")]
    first = services.zone_values_upload(
        actor=examiner,
        system=three_indicator_system,
        year="2025",
        uploaded_file=make_workbook(rows, header=False),
    )
    assert (first.rows, first.created) == (2, 2)
    second = _upload(three_indicator_system, examiner, [("乙园区", "rd", 0.1)])
    assert (second.created, second.updated) == (0, 1)
    assert _stored(three_indicator_system) == [
        ("甲园区", "rd", Decimal("2.25")),
        ("乙园区", "rd", Decimal("0.1")),  # a float by its shortest text, not 0.1000000000000000055
    ]


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (SimpleUploadedFile("values.xlsx", b"not a workbook"), "file_unreadable"),
        (SimpleUploadedFile("values.pdf", b"%PDF-1.4"), "file_type"),
        (SimpleUploadedFile("values.xlsx", b""), "file_empty"),
        (make_workbook([]), "values_empty"),
    ],
)
def test_a_file_that_is_no_workbook_of_values_is_refused(
    three_indicator_system: IndicatorSystem, examiner: User, upload: Any, code: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.zone_values_upload(
            actor=examiner, system=three_indicator_system, year=2025, uploaded_file=upload
        )
    assert refused.value.code == code
    assert not ZoneValue.objects.exists()


def test_a_retired_version_takes_no_values_and_a_bank_uploads_none(
    three_indicator_system: IndicatorSystem, parks: Parks, examiner: User, bank_a_user: User
) -> None:
    with pytest.raises(PermissionDenied):
        _upload(three_indicator_system, bank_a_user, UPLOADED)
    v2 = services.system_new_version(actor=examiner, system=three_indicator_system)
    services.system_activate(actor=examiner, system=v2)
    with pytest.raises(Conflict) as refused:
        _upload(three_indicator_system, examiner, UPLOADED)
    assert refused.value.code == "system_retired"
    assert not ZoneValue.objects.exists()
