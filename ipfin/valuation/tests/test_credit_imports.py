"""Credit data files imported by the IP office (纳税信用等级, 信用中国, 裁判文书): every row
checked, nothing stored from a file with a problem, the tax grade fed into the IP + credit
scorecard with its source shown, the other records shown beside it."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st

from ipfin.accounts.domain import make_uscc
from ipfin.accounts.models import Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.valuation.domain.credit_files import CreditFileKind, parse_credit_file
from ipfin.valuation.models import CreditDataImport, CreditRecord, EnterpriseCreditProfile

pytestmark = pytest.mark.django_db
API = "/api/v1/credit-imports"


def _csv(rows: list[list[str]], name: str = "credit.csv") -> SimpleUploadedFile:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


def _post(client: Any, rows: list[list[str]], kind: str = "tax_grade", **extra: str) -> Any:
    data = {
        "file": _csv(rows),
        "kind": kind,
        "source": extra.get("source", "国家税务总局某省税务局 纳税信用等级公告"),
        "as_of": extra.get("as_of", "2026-04-30"),
    }
    return client.post(API, data)


TAX_HEADER = ["统一社会信用代码", "纳税人名称", "评价年度", "信用等级"]


def test_a_tax_grade_file_feeds_the_scorecard_with_its_source(
    api_client: Callable[..., Any],
    office_user: User,
    enterprise_a: Organisation,
    enterprise_a_user: User,
    enterprise_b: Organisation,
) -> None:
    office = api_client(office_user)
    stranger = make_uscc(seq=987654)
    answer = _post(
        office,
        [
            TAX_HEADER,
            [enterprise_a.uscc, enterprise_a.name, "2025", "A"],
            [enterprise_b.uscc, enterprise_b.name, "2025", "m"],
            [stranger, "不在平台的企业", "2025", "B"],
        ],
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["rows_total"], body["rows_applied"]) == (3, 2)
    assert body["skipped"] == [{"row": 4, "uscc": stranger, "name": "不在平台的企业"}]
    # The list counts the skipped rows (a provincial list may skip 50,000); the import's own
    # address has them.
    (listed,) = office.get(API).json()
    assert (listed["id"], listed["rows_skipped"], "skipped" in listed) == (body["id"], 1, False)
    detail = office.get(f"{API}/{body['id']}").json()
    assert detail["skipped"] == body["skipped"] and detail["rows_skipped"] == 1
    assert office.get(f"{API}/999999").status_code == 404

    score = api_client(enterprise_a_user).get(
        f"/api/v1/enterprises/{enterprise_a.uscc}/credit-score"
    )
    profile = score.json()["profile"]
    assert profile["tax_credit_grade"] == "A"
    assert profile["tax_credit_grade_source"]["import_id"] == body["id"]
    assert profile["tax_credit_grade_source"]["source"].startswith("国家税务总局")
    factor = next(f for f in score.json()["factors"] if f["factor"] == "tax_credit_grade")
    assert factor["points"] == 8  # A → 8 of 8
    assert EnterpriseCreditProfile.objects.get(organisation=enterprise_b).tax_credit_grade == "M"
    record = AuditRecord.objects.get(action="valuation.credit_import")
    assert record.after["stored"] == 2 and record.after["grades_applied"] == 2

    # An older year's grade does not replace a newer one; a newer one does.
    _post(office, [TAX_HEADER, [enterprise_a.uscc, "", "2024", "D"]], as_of="2025-04-30")
    assert EnterpriseCreditProfile.objects.get(organisation=enterprise_a).tax_credit_grade == "A"
    # The same file again is refused, nothing stored twice.
    again = _post(
        office,
        [
            TAX_HEADER,
            [enterprise_a.uscc, enterprise_a.name, "2025", "A"],
            [enterprise_b.uscc, enterprise_b.name, "2025", "m"],
            [stranger, "不在平台的企业", "2025", "B"],
        ],
    )
    assert (again.status_code, again.json()["code"]) == (409, "credit_file_duplicate")


def test_a_file_with_any_bad_row_is_refused_with_every_problem_and_stores_nothing(
    api_client: Callable[..., Any], office_user: User, enterprise_a: Organisation
) -> None:
    bad_code = enterprise_a.uscc[:-1] + ("0" if enterprise_a.uscc[-1] != "0" else "1")  # type: ignore[index]
    answer = _post(
        api_client(office_user),
        [
            TAX_HEADER,
            [enterprise_a.uscc, "", "2025", "A"],  # fine
            [bad_code, "", "2025", "A"],  # checksum
            [enterprise_a.uscc, "", "2030", "E"],  # year and grade
        ],
    )
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "credit_file_invalid" and body["problems_total"] == 3
    assert [(p["row"], p["column"]) for p in body["problems"]] == [
        (3, "统一社会信用代码"),
        (4, "信用等级"),
        (4, "评价年度"),
    ]
    assert CreditDataImport.objects.count() == 0 and CreditRecord.objects.count() == 0
    assert not EnterpriseCreditProfile.objects.filter(organisation=enterprise_a).exists()


def test_public_credit_and_court_records_are_shown_beside_the_scorecard(
    api_client: Callable[..., Any],
    office_user: User,
    enterprise_a: Organisation,
    enterprise_a_user: User,
    today: Any,
) -> None:
    office = api_client(office_user)
    day = today.isoformat()
    public = _post(
        office,
        [
            ["统一社会信用代码", "企业名称", "记录类别", "决定日期", "文书号", "内容"],
            [
                enterprise_a.uscc,
                enterprise_a.name,
                "行政处罚",
                day,
                "某市监罚〔2026〕1号",
                "=cmd|' /C calc'!A0",
            ],
        ],
        kind="public_credit",
        source="信用中国",
        as_of=day,  # the list of today holds today's record
    )
    assert public.status_code == 201, public.content
    court = _post(
        office,
        [
            ["统一社会信用代码", "当事人名称", "案号", "裁判日期", "诉讼地位", "案由"],
            [
                enterprise_a.uscc,
                enterprise_a.name,
                "（2026）粤01民初1号",
                day,
                "被告",
                "买卖合同纠纷",
            ],
        ],
        kind="court_judgment",
        source="中国裁判文书网",
        as_of=day,
    )
    assert court.status_code == 201
    records = (
        api_client(enterprise_a_user)
        .get(f"/api/v1/enterprises/{enterprise_a.uscc}/credit-score")
        .json()["credit_records"]
    )
    assert {(r["kind"], r["value"], r["source"]["source"]) for r in records} == {
        ("public_credit", "行政处罚", "信用中国"),
        ("court_judgment", "被告", "中国裁判文书网"),
    }
    missing_case = _post(
        office,
        [
            ["统一社会信用代码", "当事人名称", "案号", "裁判日期", "诉讼地位"],
            [enterprise_a.uscc, "", "", day, "原告"],
        ],
        kind="court_judgment",
        as_of=day,
    )
    assert missing_case.json()["problems"][0]["code"] == "reference_required"


def test_only_the_office_imports(
    bank_a_api: Any, enterprise_a: Organisation, api_client: Callable[..., Any]
) -> None:
    assert _post(bank_a_api, [TAX_HEADER, [enterprise_a.uscc, "", "2025", "A"]]).status_code == 403
    assert bank_a_api.get(API).status_code == 403
    assert api_client(None).get(API).status_code == 401
    assert CreditDataImport.objects.count() == 0


def test_the_form_fields_are_checked(api_client: Callable[..., Any], office_user: User) -> None:
    office = api_client(office_user)
    rows = [TAX_HEADER, [make_uscc(seq=5), "", "2025", "A"]]
    assert _post(office, rows, as_of="2999-01-01").json()["code"] == "credit_as_of_invalid"
    assert _post(office, rows, source="").status_code == 422
    assert _post(office, rows, kind="gossip").status_code == 422
    no_column = _post(office, [["统一社会信用代码", "评价年度"], [make_uscc(seq=5), "2025"]])
    assert no_column.json()["problems"][0]["code"] == "column_missing"


@given(
    grade=st.sampled_from(["A", "B", "M", "C", "D", "E", "", "AA"]),
    year=st.integers(2000, 2100),
)
def test_a_row_passes_exactly_when_its_grade_and_year_are_valid(grade: str, year: int) -> None:
    from datetime import date

    today = date(2026, 12, 4)
    parsed = parse_credit_file(
        CreditFileKind.TAX_GRADE,
        [TAX_HEADER, [make_uscc(seq=77), "x", str(year), grade]],
        today=today,
    )
    valid = grade in ("A", "B", "M", "C", "D") and 2014 <= year <= 2025
    assert (len(parsed.rows) == 1) is valid
    assert (not parsed.problems) is valid


def test_a_hand_edit_takes_the_grade_off_the_file_and_a_later_file_corrects_it(
    api_client: Callable[..., Any],
    office_user: User,
    enterprise_a: Organisation,
    enterprise_a_user: User,
) -> None:
    office = api_client(office_user)
    _post(office, [TAX_HEADER, [enterprise_a.uscc, "", "2024", "A"]], as_of="2025-04-30")
    path = f"/api/v1/enterprises/{enterprise_a.uscc}/credit-score"
    firm = api_client(enterprise_a_user)
    read = firm.get(path)
    edited = firm.put(
        path,
        {"tax_credit_grade": "D"},
        content_type="application/json",
        HTTP_IF_MATCH=read["ETag"],
    )
    assert edited.status_code == 200, edited.content
    profile = edited.json()["profile"]
    assert (profile["tax_credit_grade"], profile["tax_credit_grade_source"]) == ("D", None)
    # A file of the same year imported later is the correction: it applies, with its source.
    later = _post(office, [TAX_HEADER, [enterprise_a.uscc, "", "2024", "B"]], as_of="2025-06-30")
    profile = firm.get(path).json()["profile"]
    assert profile["tax_credit_grade"] == "B"
    assert profile["tax_credit_grade_source"]["import_id"] == later.json()["id"]
    # A second correction of the same year, imported after it, wins again.
    third = _post(office, [TAX_HEADER, [enterprise_a.uscc, "x", "2024", "M"]], as_of="2025-07-31")
    assert third.status_code == 201
    assert firm.get(path).json()["profile"]["tax_credit_grade"] == "M"


def test_within_a_year_the_list_with_the_later_data_date_wins_and_a_correction_back_applies(
    api_client: Callable[..., Any],
    office_user: User,
    enterprise_a: Organisation,
    enterprise_a_user: User,
) -> None:
    """The September correction list (B) stands when the April original (A) is loaded after it
    as a backfill; a third list re-correcting to A applies, though its row equals the first's,
    and the scorecard names that third file."""
    office = api_client(office_user)
    path = f"/api/v1/enterprises/{enterprise_a.uscc}/credit-score"
    firm = api_client(enterprise_a_user)
    correction = _post(
        office, [TAX_HEADER, [enterprise_a.uscc, "", "2024", "B"]], as_of="2025-09-01"
    )
    original = _post(
        office, [TAX_HEADER, [enterprise_a.uscc, "甲", "2024", "A"]], as_of="2025-04-30"
    )
    assert (correction.status_code, original.status_code) == (201, 201)
    profile = firm.get(path).json()["profile"]
    assert profile["tax_credit_grade"] == "B"
    assert profile["tax_credit_grade_source"]["import_id"] == correction.json()["id"]
    back = _post(office, [TAX_HEADER, [enterprise_a.uscc, "乙", "2024", "A"]], as_of="2025-10-15")
    assert (back.status_code, back.json()["rows_applied"]) == (201, 1)
    profile = firm.get(path).json()["profile"]
    assert profile["tax_credit_grade"] == "A"
    assert profile["tax_credit_grade_source"]["import_id"] == back.json()["id"]


def test_each_enterprise_takes_its_latest_year_in_the_file_once(
    api_client: Callable[..., Any],
    office_user: User,
    enterprise_a: Organisation,
    enterprise_b: Organisation,
) -> None:
    """The file is applied by one UPDATE: an enterprise with two years in it takes the later
    year's grade, one change from its grade before (not one per row); an enterprise whose grade
    is of a later year than the file's keeps it, and its version does not move."""
    office = api_client(office_user)
    _post(office, [TAX_HEADER, [enterprise_b.uscc, "", "2025", "A"]], as_of="2026-04-30")
    _post(office, [TAX_HEADER, [enterprise_a.uscc, "", "2023", "C"]], as_of="2024-04-30")
    a_before = EnterpriseCreditProfile.objects.get(organisation=enterprise_a)
    b_before = EnterpriseCreditProfile.objects.get(organisation=enterprise_b)
    answer = _post(
        office,
        [
            TAX_HEADER,
            [enterprise_a.uscc, "", "2025", "B"],
            [enterprise_a.uscc, "", "2024", "D"],
            [enterprise_b.uscc, "", "2024", "D"],
        ],
        as_of="2026-05-31",
    )
    assert answer.status_code == 201, answer.content
    a_after = EnterpriseCreditProfile.objects.get(organisation=enterprise_a)
    b_after = EnterpriseCreditProfile.objects.get(organisation=enterprise_b)
    assert a_after.tax_credit_grade == "B"
    assert a_after.tax_credit_grade_record is not None
    assert a_after.tax_credit_grade_record.on.year == 2025
    assert a_after.version == a_before.version + 1
    assert (b_after.tax_credit_grade, b_after.version) == ("A", b_before.version)
    record = AuditRecord.objects.filter(action="valuation.credit_import").latest("pk")
    assert record.after["grades"] == [{"organisation": enterprise_a.pk, "from": "C", "to": "B"}]
    assert (record.after["stored"], record.after["grades_applied"]) == (3, 1)


def test_odd_years_and_duplicate_rows_are_problems_not_errors(
    api_client: Callable[..., Any], office_user: User, enterprise_a: Organisation
) -> None:
    office = api_client(office_user)
    for year in ("①", "2024²", "9" * 5000, "２０２４"):
        answer = _post(office, [TAX_HEADER, [enterprise_a.uscc, "", year, "A"]])
        assert answer.status_code == 422, year[:10]
        assert answer.json()["problems"][0]["code"] == "tax_year_invalid"
    twice = _post(
        office,
        [
            TAX_HEADER,
            [enterprise_a.uscc, "", "2024", "A"],
            [enterprise_a.uscc, "", "2024", "D"],
        ],
    )
    assert twice.status_code == 422
    assert [(p["row"], p["code"]) for p in twice.json()["problems"]] == [(3, "duplicate_row")]
    assert CreditDataImport.objects.count() == 0


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("2024-01-15", "2024-01-15"),
        ("2024-01-15 00:00:00", "2024-01-15"),  # an Excel date cell
        ("2024-01-015", None),  # a typo, not 1 January cut short
        ("2024-01-01 garbage", None),
        ("20240101", None),
        ("2024-W01-1", None),
        ("2024-02-30", None),
    ],
)
def test_a_record_date_is_read_whole_or_is_a_problem(written: str, read: str | None) -> None:
    from datetime import date

    parsed = parse_credit_file(
        CreditFileKind.PUBLIC_CREDIT,
        [
            ["统一社会信用代码", "企业名称", "记录类别", "决定日期", "文书号", "内容"],
            [make_uscc(seq=78), "x", "行政处罚", written, "某罚〔2024〕1号", "罚款"],
        ],
        today=date(2026, 12, 4),
    )
    assert [r.on.isoformat() for r in parsed.rows] == ([read] if read else [])
    assert bool(parsed.problems) is (read is None)


def test_a_cell_too_long_for_the_reader_is_a_422_naming_the_line(
    api_client: Callable[..., Any], office_user: User, enterprise_a: Organisation
) -> None:
    """A 200,000-character cell (within the 5 MB upload) was an unhandled csv.Error: a 500.
    The csv module's limit is the process's: held at its default (128 KiB) here, as the
    registry's import raises it for itself."""
    limit = csv.field_size_limit(131_072)
    try:
        answer = _post(
            api_client(office_user),
            [TAX_HEADER, [enterprise_a.uscc, "", "2024", "A"], [enterprise_a.uscc, "x" * 200_000]],
        )
    finally:
        csv.field_size_limit(limit)
    assert answer.status_code == 422, answer.content
    assert (answer.json()["code"], answer.json()["line"]) == ("file_unreadable", 3)
    assert not CreditDataImport.objects.exists()


def test_a_dishonesty_record_of_the_last_two_years_grades_the_enterprise_d_yipiao_foujue(
    api_client: Callable[..., Any],
    office_user: User,
    enterprise_a: Organisation,
    enterprise_b: Organisation,
    enterprise_a_user: User,
    enterprise_b_user: User,
    today: Any,
) -> None:
    """A 失信被执行人 record feeds the scorecard, not only the list beside it: grade D with the
    record's day, on the page's API and in the white list's bulk read; a 行政处罚, or a 失信 record
    older than two years, changes nothing."""
    from datetime import timedelta

    from ipfin.valuation.selectors import credit_scores_bulk

    office = api_client(office_user)
    grades = [TAX_HEADER] + [[e.uscc, "", "2025", "A"] for e in (enterprise_a, enterprise_b)]
    assert _post(office, grades).status_code == 201  # both have a profile, graded on points
    strong = {
        "credit_rating": "AAA", "high_tech": True, "specialised_sme": True,
        "rd_expense_ratio": "0.10", "established_on": "2010-01-01", "revenue": "300000000.00",
        "revenue_growth": "0.30", "debt_ratio": "0.30",
    }  # fmt: skip
    for user in (enterprise_a_user, enterprise_b_user):
        firm = api_client(user)
        path = f"/api/v1/enterprises/{user.organisation.uscc}/credit-score"
        edited = firm.put(
            path, strong, content_type="application/json", HTTP_IF_MATCH=firm.get(path)["ETag"]
        )
        assert edited.status_code == 200, edited.content
        assert edited.json()["grade"] in ("A", "B")  # on its points
    header = ["统一社会信用代码", "企业名称", "记录类别", "决定日期", "文书号", "内容"]
    recent, old = today - timedelta(days=10), today - timedelta(days=3 * 365)
    listed = _post(
        office,
        [
            header,
            [enterprise_a.uscc, "", "失信被执行人", recent.isoformat(), "（2026）粤01执1号", ""],
            [enterprise_b.uscc, "", "失信被执行人", old.isoformat(), "（2023）粤01执2号", ""],
            [enterprise_b.uscc, "", "行政处罚", recent.isoformat(), "某罚〔2026〕3号", ""],
        ],
        kind="public_credit",
        source="信用中国",
        as_of=today.isoformat(),
    )
    assert listed.status_code == 201, listed.content
    card = api_client(enterprise_a_user).get(
        f"/api/v1/enterprises/{enterprise_a.uscc}/credit-score"
    )
    assert (card.json()["grade"], card.json()["dishonesty_on"]) == ("D", recent.isoformat())
    bulk = credit_scores_bulk([enterprise_a, enterprise_b], on=today)
    a, b = bulk[enterprise_a.pk], bulk[enterprise_b.pk]
    assert not isinstance(a, Exception) and not isinstance(b, Exception)
    assert a.total >= 65 and (a.grade, a.dishonesty_on) == ("D", recent)
    assert b.total == a.total and (b.grade, b.dishonesty_on) == (edited.json()["grade"], None)
    # The white list's screening leaves the listed enterprise out, whatever the criteria.
    from ipfin.whitelist.domain import Criteria
    from ipfin.whitelist.selectors import _scored

    verdicts = {
        s.organisation.pk: s.verdict
        for s in _scored([enterprise_a, enterprise_b], Criteria(), today)
    }
    assert [r.code for r in verdicts[enterprise_a.pk].failed] == ["dishonesty_record"]
    assert verdicts[enterprise_b.pk].included


def test_no_row_is_later_than_the_file_s_data_date_nashui_xinyong_guanli_banfa_art_23(
    api_client: Callable[..., Any], office_user: User, enterprise_a: Organisation
) -> None:
    """The file's data date is shown as the source of what it brings, and the later list of a
    year wins by it: a record dated after it, or a tax grade of a year not ended before it
    (纳税信用管理办法（试行） arts. 15 and 23: a year's grades are determined the April after), is
    refused with its row, and nothing is stored."""
    office = api_client(office_user)
    header = ["统一社会信用代码", "企业名称", "记录类别", "决定日期", "文书号", "内容"]
    record = [enterprise_a.uscc, "", "失信被执行人", "2025-05-20", "（2025）京01执1号", ""]
    late = _post(office, [header, record], kind="public_credit", as_of="2025-05-19")
    assert late.status_code == 422
    assert late.json()["detail"].startswith("文件有 1 处问题")
    english = office.post(
        API,
        {"file": _csv([header, record]), "kind": "public_credit", "source": "信用中国",
         "as_of": "2025-05-19"},
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert english.json()["detail"].startswith("The file has 1 problem: nothing")
    [problem] = late.json()["problems"]
    assert (problem["row"], problem["code"]) == (2, "date_invalid")
    assert "2025-05-19" in problem["message_zh"] and "data date" in problem["message_en"]
    assert (
        _post(office, [header, record], kind="public_credit", as_of="2025-05-20").status_code == 201
    )

    too_early = _post(
        office, [TAX_HEADER, [enterprise_a.uscc, "", "2025", "A"]], as_of="2025-12-31"
    )
    assert too_early.status_code == 422
    assert too_early.json()["problems"][0]["code"] == "tax_year_invalid"
    assert (
        _post(
            office, [TAX_HEADER, [enterprise_a.uscc, "", "2025", "A"]], as_of="2026-01-01"
        ).status_code
        == 201
    )
    assert CreditDataImport.objects.count() == 2


PUBLIC_HEADER = ["统一社会信用代码", "企业名称", "记录类别", "决定日期", "文书号", "内容"]
COURT_HEADER = ["统一社会信用代码", "当事人名称", "案号", "裁判日期", "诉讼地位", "案由"]


def _parsed(kind: CreditFileKind, rows: list[list[str]]) -> Any:
    from datetime import date

    return parse_credit_file(kind, rows, today=date(2026, 12, 4))


def test_a_record_twice_in_a_file_or_one_case_twice_is_a_problem_named_by_row() -> None:
    """The same 行政处罚 twice was taken (the repeat counted as "already known", as if from
    another file); one party's case number twice, once as 原告 and once as 被告, stored both."""
    uscc = make_uscc(seq=81)
    fine = [uscc, "甲", "行政处罚", "2024-01-15", "某罚〔2024〕1号", "罚款"]
    parsed = _parsed(CreditFileKind.PUBLIC_CREDIT, [PUBLIC_HEADER, fine, fine])
    assert [(p.row, p.code) for p in parsed.problems] == [(3, "duplicate_row")]
    other = [*fine[:4], "某罚〔2024〕2号", "罚款"]
    assert not _parsed(CreditFileKind.PUBLIC_CREDIT, [PUBLIC_HEADER, fine, other]).problems
    case = [uscc, "甲", "（2024）京0108民初1号", "2024-03-01", "原告", "合同纠纷"]
    turned = [uscc, "甲", "（2024）京0108民初1号", "2024-05-01", "被告", "合同纠纷"]
    parsed = _parsed(CreditFileKind.COURT_JUDGMENT, [COURT_HEADER, case, turned])
    assert [(p.row, p.code, p.column) for p in parsed.problems] == [(3, "conflicting_row", "案号")]
    parsed = _parsed(CreditFileKind.COURT_JUDGMENT, [COURT_HEADER, case, case])
    assert [(p.row, p.code) for p in parsed.problems] == [(3, "duplicate_row")]


def test_an_appeal_or_an_enforcement_is_a_court_record_like_any_other() -> None:
    """裁判文书网 names the parties of a second instance 上诉人 / 被上诉人 and of an enforcement
    申请执行人 / 被执行人: such a row was refused, and with it the whole file."""
    uscc = make_uscc(seq=82)
    rows = [
        [uscc, "甲", f"（2024）京民终{n}号", "2024-06-01", role, "合同纠纷"]
        for n, role in enumerate(("上诉人", "被上诉人", "申请执行人", "被执行人"), start=1)
    ]
    parsed = _parsed(CreditFileKind.COURT_JUDGMENT, [COURT_HEADER, *rows])
    assert parsed.problems == [] and [r.value for r in parsed.rows] == [
        "上诉人",
        "被上诉人",
        "申请执行人",
        "被执行人",
    ]


def test_a_nul_in_a_cell_is_a_problem_of_its_row_and_column() -> None:
    """SQLite stored it; PostgreSQL failed the import with no row named (a 500, or a failed job).
    Now the row's problem, naming the column."""
    uscc = make_uscc(seq=83)
    row = [uscc, "甲", "行政处罚", "2024-01-15", "某罚〔2024〕1号", "罚\x00款"]
    parsed = _parsed(CreditFileKind.PUBLIC_CREDIT, [PUBLIC_HEADER, row])
    assert [(p.row, p.code, p.column) for p in parsed.problems] == [(2, "bad_character", "内容")]
    assert parsed.rows == []
