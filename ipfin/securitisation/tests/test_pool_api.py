"""POST /api/v1/abs/pools/preview over the real HTTP stack and the real loan services (issue 16:
the pool builder over a bank's IP-pledge loans — eligibility, concentration per obligor, the
projected cash flows from the loans' schedules, the tranches' expected loss under stress)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from ipfin.accounts.models import User
from ipfin.loans.models import Loan
from ipfin.securitisation import services
from ipfin.stats.tests.conftest import _lend, _pledge

pytestmark = pytest.mark.django_db
URL = "/api/v1/abs/pools/preview"


@pytest.fixture
def book(
    make_org: Callable[..., Any],
    bank_a_user: User,
    bank_b_user: User,
    examiner: User,
    make_right: Callable[..., Any],
    upload_contract: Callable[..., Any],
    today: Any,
) -> dict[str, Loan]:
    """Bank A lends 400,000 and 300,000 to 甲 (12 months) and 200,000 to 乙 (24 months); bank B
    lends 乙 100,000. All disbursed ten days ago, nothing due yet."""
    first = make_org(name="甲科技有限公司", industry="软件")
    second = make_org(name="乙科技有限公司", industry="医药")
    kw = {"examiner": examiner, "make_right": make_right, "upload_contract": upload_contract}
    start = today - timedelta(days=10)
    loans = {}
    for key, bank, borrower, principal, months in (
        ("a1", bank_a_user, first, "400000.00", 12),
        ("a2", bank_a_user, first, "300000.00", 12),
        ("a3", bank_a_user, second, "200000.00", 24),
        ("b1", bank_b_user, second, "100000.00", 12),
    ):
        pledge, right = _pledge(bank_user=bank, enterprise=borrower, today=today, **kw)
        loans[key] = _lend(
            bank, borrower, pledge, right, principal=principal, rate="0.06", months=months,
            start=start,
        )  # fmt: skip
    return loans


def body(**change: Any) -> dict[str, Any]:
    return {
        "rules": {"max_obligor_share": "0.6", "max_industry_share": "1"},
        "tranches": [
            {"name": "优先级", "share": "0.8", "rate": "0.004"},
            {"name": "次级", "share": "0.2", "rate": "0.008"},
        ],
        "monthly_pd": "0.002",
        "scenarios": 500,
        "seed": 7,
        "stresses": [{"name": "全部违约", "pd_multiplier": "500", "recovery_haircut": "0.2"}],
        **change,
    }


def test_the_bank_pools_its_own_loans_within_the_obligor_limit_issue16(
    book: dict[str, Loan], bank_a_user: User, api_client: Callable[..., Any]
) -> None:
    response = api_client(bank_a_user).post_json(URL, body())
    assert response.status_code == 200, response.content
    got = response.json()
    # 甲 holds 700,000 of 900,000 (77.8 %) against 60 %: its 400,000 leaves; then 300,000 of
    # 500,000 is 60 %, within. Bank B's loan is nowhere.
    assert got["loans"] == [book["a2"].pk, book["a3"].pk]
    assert got["excluded"] == [{"loan_id": book["a1"].pk, "reason": "obligor_limit"}]
    assert got["balance"] == "500000.00"
    assert sum(Decimal(row["principal"]) for row in got["cash_flows"]) == Decimal("500000.00")
    assert len(got["cash_flows"]) == 24  # the 24-month loan's last instalment
    assert Decimal(got["cash_flows"][0]["interest"]) > 0
    assert [(t["name"], t["balance"]) for t in got["tranches"]] == [
        ("优先级", "400000.00"),
        ("次级", "100000.00"),
    ]
    assert got["senior_fees"] == "100.00"  # 500,000 × 0.0002 a month
    # Every loan defaults in the first month under the stress (p = 1), recovering 20 %: both
    # tranches lose in every scenario; in the base case the junior loses at least as often.
    assert got["mean_defaults"]["全部违约"] == 2.0
    senior, junior = ({r["stress"]: r for r in t["results"]} for t in got["tranches"])
    assert senior["全部违约"]["loss_probability"] == 1.0 == junior["全部违约"]["loss_probability"]
    assert junior["全部违约"]["expected_loss"] > senior["全部违约"]["expected_loss"] > 0
    assert junior["base"]["loss_probability"] >= senior["base"]["loss_probability"]


def test_the_same_seed_answers_the_same(
    book: dict[str, Loan], bank_a_user: User, api_client: Callable[..., Any]
) -> None:
    client = api_client(bank_a_user)
    first = client.post_json(URL, body()).json()
    assert client.post_json(URL, body()).json() == first


def test_a_performing_rule_and_a_bad_request_both_ways(
    book: dict[str, Loan], bank_a_user: User, api_client: Callable[..., Any], monkeypatch: Any
) -> None:
    client = api_client(bank_a_user)
    Loan.objects.filter(pk=book["a3"].pk).update(days_past_due=3, classification="special_mention")
    loose = {"max_obligor_share": "1", "max_industry_share": "1"}
    got = client.post_json(URL, body(rules=loose)).json()
    assert got["loans"] == [book["a1"].pk, book["a2"].pk]
    assert got["excluded"] == [{"loan_id": book["a3"].pk, "reason": "not_performing"}]
    # Under the default 60 % per borrower, 甲's two loans are 100 % of what is left: no pool.
    empty = client.post_json(URL, body()).json()
    assert (empty["loans"], empty["balance"], empty["cash_flows"]) == ([], "0.00", [])
    relaxed = body(rules={**loose, "performing_only": False})
    assert client.post_json(URL, relaxed).json()["excluded"] == []
    shares = body(tranches=[{"name": "A", "share": "0.7", "rate": "0.004"}])
    refused = client.post_json(URL, shares)
    assert (refused.status_code, refused.json()["code"]) == (422, "tranche_shares_invalid")
    monkeypatch.setattr(services, "MAX_SIMULATED_CELLS", 999)
    refused = client.post_json(URL, body(rules=loose))  # 2 loans × 500 scenarios
    assert (refused.status_code, refused.json()["code"]) == (422, "pool_too_large")
    monkeypatch.undo()
    # The loans × months × scenarios × runs bound: the months and the stresses count too.
    accepted = client.post_json(URL, body(rules=loose))
    assert accepted.status_code == 200
    months = len(accepted.json()["cash_flows"])
    runs = 1 + len(body(rules=loose).get("stresses", []))
    monkeypatch.setattr(services, "MAX_SIMULATED_LOAN_MONTHS", 2 * 500 * months * runs - 1)
    refused = client.post_json(URL, body(rules=loose))
    assert (refused.status_code, refused.json()["code"]) == (422, "pool_too_large")
    assert refused.json()["max_cells"] == 2 * 500 * months * runs - 1
    too_many = client.post_json(URL, body(scenarios=10_001))
    assert (too_many.status_code, too_many.json()["code"]) == (422, "invalid_input")


def test_only_a_banks_staff_may_build_a_pool(
    book: dict[str, Loan],
    regulator_user: User,
    enterprise_a_user: User,
    api_client: Callable[..., Any],
) -> None:
    assert api_client().post_json(URL, body()).status_code == 401
    assert api_client(regulator_user).post_json(URL, body()).status_code == 403
    assert api_client(enterprise_a_user).post_json(URL, body()).status_code == 403
    document = api_client().get("/api/schema").json()
    operation = document["paths"][URL]["post"]
    assert operation.get("security") and {"200", "401", "403", "422"} <= set(operation["responses"])


def test_the_investor_report_opens_as_pdf_and_workbook_issue16(
    book: dict[str, Loan], bank_a_user: User, api_client: Callable[..., Any]
) -> None:
    import io

    from openpyxl import load_workbook
    from pypdf import PdfReader

    client = api_client(bank_a_user)
    stressed = body(
        tranches=[
            {"name": "=HYPERLINK(1)", "share": "0.8", "rate": "0.004"},
            {"name": "次级", "share": "0.2", "rate": "0.008"},
        ]
    )
    pdf = client.post_json("/api/v1/abs/pools/report.pdf", stressed)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for words in (
        "资产池测算报告",
        "乙科技有限公司",
        "超过单一借款人集中度上限",
        "全部违约",
        "50.00",
    ):
        assert words in text, words
    workbook = client.post_json("/api/v1/abs/pools/report.xlsx", stressed)
    assert workbook.status_code == 200
    sheets = load_workbook(io.BytesIO(workbook.content))
    assert sheets.sheetnames == [
        "资产池概况",
        "分层与压力测试",
        "现金流预测",
        "集中度",
        "剔除明细",
        "附注",
    ]
    summary = {
        row[0]: row[1] for row in sheets["资产池概况"].iter_rows(min_row=2, values_only=True)
    }
    assert summary["资产池余额（万元）"] == 50  # 500,000 yuan, a number
    tranche_rows = list(sheets["分层与压力测试"].iter_rows(min_row=2, values_only=True))
    assert tranche_rows[0][0] == "'=HYPERLINK(1)"  # inert text, never a formula
    assert {row[3] for row in tranche_rows} == {"base", "全部违约"}
    flows = list(sheets["现金流预测"].iter_rows(min_row=2, values_only=True))
    # Each month rounded to 0.01 万元 on its own: the sum is within half a unit a row of 50.
    assert abs(sum(Decimal(str(row[1])) for row in flows) - 50) <= Decimal("0.005") * len(flows)
    refused = api_client(bank_a_user).post_json(
        "/api/v1/abs/pools/report.pdf", body(tranches=[{"name": "A", "share": "0.5", "rate": "0"}])
    )
    assert refused.status_code == 422


def test_a_name_with_a_control_character_still_exports(
    book: dict[str, Loan], bank_a_user: User, api_client: Callable[..., Any]
) -> None:
    """Found by the API fuzzing: a tranche named "â\\x14" made the workbook's export a 500."""
    named = body(tranches=[{"name": "â\x14", "share": "1", "rate": "0"}], stresses=[])
    for suffix in ("pdf", "xlsx"):
        response = api_client(bank_a_user).post_json(f"/api/v1/abs/pools/report.{suffix}", named)
        assert response.status_code == 200, (suffix, response.content[:200])


def test_the_reports_notes_state_the_eligibility_rules_the_pool_was_taken_by(
    book: dict[str, Loan], bank_a_user: User, api_client: Callable[..., Any]
) -> None:
    """A pool taken with overdue loans and no minimum term says so in the report's notes, in the
    workbook and the PDF alike; they had stated the default rules (正常类、无逾期、剩余期限不少于
    1 个月) whatever the request asked."""
    import io

    from openpyxl import load_workbook
    from pypdf import PdfReader

    Loan.objects.filter(pk=book["a3"].pk).update(days_past_due=40, classification="substandard")
    loose = {"max_obligor_share": "1", "max_industry_share": "1"}
    client = api_client(bank_a_user)
    asked = {
        "正常类、无逾期、剩余期限不少于 1 个月": body(rules=loose),
        "不限五级分类，含逾期贷款、不限剩余期限": body(
            rules={**loose, "performing_only": False, "min_months_left": 0}
        ),
        "正常类、无逾期、剩余期限不少于 6 个月": body(rules={**loose, "min_months_left": 6}),
    }
    for stated, request in asked.items():
        workbook = client.post_json("/api/v1/abs/pools/report.xlsx", request)
        notes = [
            row[0]
            for row in load_workbook(io.BytesIO(workbook.content))["附注"].iter_rows(
                min_row=2, values_only=True
            )
        ]
        assert f"入池条件：{stated}；" in notes[0]
        pdf = client.post_json("/api/v1/abs/pools/report.pdf", request)
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
        assert stated.replace(" ", "") in text.replace(" ", "").replace("\n", "")
    preview = client.post_json(URL, asked["不限五级分类，含逾期贷款、不限剩余期限"]).json()
    assert book["a3"].pk in preview["loans"]  # the overdue loan is in that pool


def test_a_haircut_finer_than_a_basis_point_is_refused_not_cut(
    book: dict[str, Loan], bank_a_user: User, api_client: Callable[..., Any]
) -> None:
    """The simulation counts the haircut in whole basis points: "0.00009" ran as no haircut at
    all, "0.39999999" as 0.3999. A 422 naming the field now, as for the recovery rate; the
    document says it."""
    client = api_client(bank_a_user)
    for haircut in ("0.00009", "0.39999999"):
        stress = {"name": "压力", "pd_multiplier": "2", "recovery_haircut": haircut}
        refused = client.post_json(URL, body(stresses=[stress]))
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_input")
        assert "recovery_haircut" in str(refused.json()["detail"])
    stress = {"name": "压力", "pd_multiplier": "2", "recovery_haircut": "0.0001"}
    assert client.post_json(URL, body(stresses=[stress])).status_code == 200
    schema = api_client().get("/api/schema").json()["components"]["schemas"]["PoolStressIn"]
    assert schema["properties"]["recovery_haircut"]["pattern"].count("{1,4}") == 2
