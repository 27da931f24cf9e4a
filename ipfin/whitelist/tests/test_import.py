"""Importing lists: CSV and .xlsx built in the test, each row validated and matched, unmatched rows
reported with their spreadsheet row numbers, re-imports versioned, uploads checked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ipfin.accounts.domain import make_uscc
from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import PermissionDenied, ValidationFailed
from ipfin.whitelist import selectors, services
from ipfin.whitelist.models import ImportedList, ImportedListEntry
from ipfin.whitelist.tests.conftest import csv_file, xlsx_file

UNREGISTERED = make_uscc(seq=99_999_001)


def _bad_check(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


@pytest.fixture
def firms(make_enterprise: Callable[..., Organisation]) -> dict[str, Organisation]:
    return {
        "a": make_enterprise("甲科技（北京）有限公司"),
        "b": make_enterprise("乙制造有限公司"),
    }


def _sheet(firms: dict[str, Organisation]) -> list[list[Any]]:
    a, b = firms["a"], firms["b"]
    return [
        ["2024年度高新技术企业名单"],  # row 1: a title
        ["序号", "企业名称", "统一社会信用代码"],  # row 2: the header
        [1, "甲科技", a.uscc],  # row 3: matched by code
        [2, "坏代码公司", _bad_check(b.uscc or "")],  # row 4: bad check character
        [3, "未注册公司", UNREGISTERED],  # row 5: valid code, no enterprise
        [4, "乙制造 有限公司", ""],  # row 6: matched by normalised name
        [5, "丙公司", None],  # row 7: no such name
        [None, None, None],  # row 8: blank, skipped
        [6, "", a.uscc],  # row 9: enterprise a again
    ]


def _report(imported: ImportedList) -> dict[int, ImportedListEntry]:
    return {e.row_no: e for e in imported.entries.all()}


def _assert_sheet_imported(imported: ImportedList, firms: dict[str, Organisation]) -> None:
    assert (imported.rows_total, imported.rows_matched) == (6, 2)
    rows = _report(imported)
    assert sorted(rows) == [3, 4, 5, 6, 7, 9]  # row 8 (blank) is not a row of the list
    assert (rows[3].organisation, rows[3].matched_by) == (firms["a"], "uscc")
    assert (rows[6].organisation, rows[6].matched_by) == (firms["b"], "name")
    assert rows[6].uscc == firms["b"].uscc
    assert {n: rows[n].reason for n in (4, 5, 7, 9)} == {
        4: "uscc_invalid",
        5: "uscc_not_found",
        7: "name_not_found",
        9: "duplicate",
    }
    assert "校验位" in rows[4].detail_zh
    assert "第 3 行" in rows[9].detail_zh


def test_csv_import_matches_good_rows_and_reports_the_others(
    office_user: User, firms: dict[str, Organisation]
) -> None:
    imported = services.list_import(
        actor=office_user, uploaded_file=csv_file(_sheet(firms)), kind="high_tech"
    )
    _assert_sheet_imported(imported, firms)
    assert (imported.name, imported.version, imported.is_current) == ("高新技术企业", 1, True)
    audit = AuditRecord.objects.get(action="whitelist.list_import")
    assert audit.after["rows_matched"] == 2


def test_xlsx_import_gives_the_same_report(
    office_user: User, firms: dict[str, Organisation]
) -> None:
    imported = services.list_import(
        actor=office_user,
        uploaded_file=xlsx_file(_sheet(firms)),
        kind="high_tech",
        name="2024 高企名单",
    )
    _assert_sheet_imported(imported, firms)
    assert imported.filename == "list.xlsx"
    assert imported.name == "2024 高企名单"


def test_gbk_csv_is_read(office_user: User, firms: dict[str, Organisation]) -> None:
    # Excel in a Chinese locale saves CSV as GBK.
    upload = csv_file([["单位名称"], ["乙制造有限公司"]], encoding="gbk")
    imported = services.list_import(actor=office_user, uploaded_file=upload, kind="other")
    assert imported.rows_matched == 1


def test_reimport_versions_the_kind_and_screening_reads_the_current_one(
    office_user: User, make_enterprise: Callable[..., Organisation]
) -> None:
    a = make_enterprise("甲", {})
    b = make_enterprise("乙", {})
    first = services.list_import(
        actor=office_user,
        uploaded_file=csv_file([["统一社会信用代码"], [a.uscc]]),
        kind="specialised_sme",
    )
    second = services.list_import(
        actor=office_user,
        uploaded_file=csv_file([["统一社会信用代码"], [b.uscc]]),
        kind="specialised_sme",
    )
    first.refresh_from_db()
    assert (first.version, first.is_current) == (1, False)
    assert (second.version, second.is_current) == (2, True)
    assert first.entries.count() == 1  # the old report stays
    rule = services.rule_create(
        actor=office_user, name="专精特新", required_list_kinds=["specialised_sme"]
    )
    selected = selectors.screening_selected(
        selectors.criteria_of(rule), on=first.imported_at.date()
    )
    assert [s.organisation for s in selected] == [b]


@pytest.mark.parametrize(
    ("upload", "code", "status"),
    [
        (SimpleUploadedFile("list.txt", b"a,b"), "file_type", 422),
        (SimpleUploadedFile("list.csv", b""), "file_empty", 422),
        (SimpleUploadedFile("list.xlsx", b"not a zip file"), "file_unreadable", 422),
        (SimpleUploadedFile("list.xlsx", b"PK\x03\x04garbage"), "file_unreadable", 422),
        (SimpleUploadedFile("list.csv", "甲,乙\n1,2".encode()), "header_not_found", 422),
        (SimpleUploadedFile("list.csv", "企业名称\n".encode()), "list_empty", 422),
        (SimpleUploadedFile("list.csv", b"x" * (5 * 1024 * 1024 + 1)), "file_too_large", 413),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(
    office_user: User, upload: SimpleUploadedFile, code: str, status: int
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.list_import(actor=office_user, uploaded_file=upload, kind="high_tech")
    assert (caught.value.code, caught.value.status) == (code, status)
    assert not ImportedList.objects.exists()


def test_unknown_kind_is_refused(office_user: User) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.list_import(
            actor=office_user, uploaded_file=csv_file([["企业名称"], ["甲"]]), kind="vip"
        )
    assert caught.value.code == "list_kind_invalid"


def test_a_bank_cannot_import(bank_a_user: User) -> None:
    with pytest.raises(PermissionDenied):
        services.list_import(
            actor=bank_a_user, uploaded_file=csv_file([["企业名称"], ["甲"]]), kind="other"
        )
    assert not ImportedList.objects.exists()


def test_a_code_held_by_a_bank_is_not_matched(
    office_user: User, make_org: Callable[..., Organisation]
) -> None:
    bank = make_org(OrganisationKind.BANK, "丁银行")
    imported = services.list_import(
        actor=office_user, uploaded_file=csv_file([["信用代码"], [bank.uscc]]), kind="other"
    )
    assert imported.entries.get().reason == "not_enterprise"


@pytest.mark.parametrize(
    ("stored", "listed"),
    [
        ("ABC智能科技有限公司", "abc智能科技有限公司"),  # another case
        ("ＡＢＣ智能科技有限公司", "ABC智能科技有限公司"),  # full-width letters stored
        ("甲乙 科技有限公司", "甲乙科技有限公司"),  # an inner space stored
        ("丙科技（北京）有限公司", "丙科技(北京)有限公司"),  # full-width brackets stored
    ],
)
def test_a_name_matches_whatever_its_width_case_or_spaces(
    office_user: User, make_enterprise: Callable[..., Organisation], stored: str, listed: str
) -> None:
    """A row names an enterprise by its normalised name (NFKC, no whitespace, case folded), as
    the matching rule says: an enterprise stored in another spelling is found, not reported
    name_not_found (only the stored spellings equal to three of the row's were looked up)."""
    firm = make_enterprise(stored)
    imported = services.list_import(
        actor=office_user,
        uploaded_file=csv_file([["企业名称", "统一社会信用代码"], [listed, ""]]),
        kind="high_tech",
    )
    (entry,) = imported.entries.all()
    assert (entry.organisation_id, entry.matched) == (firm.pk, True), entry.reason


def test_two_enterprises_one_name_apart_only_in_case_are_ambiguous(
    office_user: User, make_enterprise: Callable[..., Organisation]
) -> None:
    make_enterprise("ABC智能科技有限公司")
    make_enterprise("abc智能科技有限公司")
    imported = services.list_import(
        actor=office_user,
        uploaded_file=csv_file([["企业名称", "统一社会信用代码"], ["ABC智能科技有限公司", ""]]),
        kind="high_tech",
    )
    (entry,) = imported.entries.all()
    assert (entry.matched, entry.reason) == (False, "name_ambiguous")
