"""The PDF valuation report: made from a valuation saved through the real services, opened with
pypdf, its text read back. Every font is embedded (ipfin.common.pdf), so the report shows every
Chinese character and symbol in any viewer; its fonts are read back with pypdf."""

from __future__ import annotations

import io
from decimal import Decimal

import pypdf
import pytest

from ipfin.accounts.models import OrganisationKind
from ipfin.common.tests.pdf_fonts import assert_fonts_embedded
from ipfin.registry.tests.factories import make_patent
from ipfin.valuation import presentation, report
from ipfin.valuation.charts import contribution_bars, range_bar, svg_bar_rows
from ipfin.valuation.services import valuation_create, valuation_issue, valuation_recheck
from ipfin.valuation.tests.conftest import APPRAISERS

pytestmark = pytest.mark.django_db

# Hand-checked income approach: R = 1,000,000 a year for 2 years, K = 25 %, T = 25 %, r = 10 %.
#   year 1: 1,000,000 × 0.25 × 0.75 = 187,500 ÷ 1.1  = 170,454.5454…
#   year 2: 187,500                     ÷ 1.21 = 154,958.6776…
#   V = 325,413.2231… → 325,413.22 元 = 32.54 万元
INCOME = {
    "revenues": ["1000000", "1000000"],
    "share_rate": "0.25",
    "tax_rate": "0.25",
    "discount_rate": "0.10",
    "life_years": "2",
}


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def agency_user(make_org, make_user):
    return make_user("agency", make_org(OrganisationKind.VALUATION_AGENCY, "示范资产评估有限公司"))


@pytest.fixture
def right(examiner, enterprise_a):
    return make_patent(examiner=examiner, owner=enterprise_a, title="一种低功耗存算一体芯片")


def test_income_report_is_a_pdf_with_the_value_and_the_method(agency_user, right):
    valuation = valuation_create(
        actor=agency_user, rights=[right.number], method="income", inputs=INCOME
    )
    pdf = report.valuation_report_pdf(valuation)
    assert pdf.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 1
    text = _text(pdf)
    assert "325,413.22 元（32.54 万元）" in text
    assert "收益分成法" in text
    assert "GB/T 42748-2023" in text
    assert right.number in text
    assert "一种低功耗存算一体芯片" in text
    assert "甲科技有限公司" in text  # the owner, from the register
    assert "有效" in text  # legal status on the valuation date
    assert "示范资产评估有限公司" in text
    assert presentation.report_number(valuation) in text
    # the per-year table: year 2's present value 187,500 ÷ 1.21 = 154,958.68
    assert "154,958.68" in text
    assert "170,454.55" in text
    # a draft says so
    assert "草稿" in text
    # every font embedded, none named only (no STSong-Light, no Helvetica)
    assert_fonts_embedded(pdf)
    assert b"STSong-Light" not in pdf


def test_report_in_english(agency_user, right):
    valuation = valuation_create(
        actor=agency_user, rights=[right.number], method="income", inputs=INCOME
    )
    text = _text(report.valuation_report_pdf(valuation, language="en"))
    assert "IP valuation report" in text
    assert "Income approach (profit split)" in text
    assert "CNY 325,413.22" in text
    assert "收益分成法" not in text


def test_cost_report_has_the_breakdown(agency_user, right):
    # C = 1,000,000, p = 20 %: 1,200,000; newness 8 ÷ (2 + 8) = 80 %: 960,000; f = 10 %: 864,000
    valuation = valuation_create(
        actor=agency_user,
        rights=[right.number],
        method="cost",
        inputs={
            "cost": "1000000",
            "profit_rate": "0.2",
            "used_years": "2",
            "remaining_years": "8",
            "obsolescence": "0.1",
        },
    )
    assert valuation.value == Decimal("864000.00")
    text = _text(report.valuation_report_pdf(valuation))
    assert "成本法" in text
    assert "1,200,000.00" in text
    assert "80.00%" in text
    assert "864,000.00 元（86.40 万元）" in text


def test_market_report_lists_the_adjusted_comparables(agency_user, right):
    # #1: 800,000 × 1.1 × 0.95 × 0.8 × 1.03 = 688,864, weight 2; #2: 1,000,000, weight 1
    # V = (2 × 688,864 + 1,000,000) ÷ 3 = 792,576.00
    valuation = valuation_create(
        actor=agency_user,
        rights=[right.number],
        method="market",
        inputs={
            "comparables": [
                {
                    "price": "800000",
                    "technical": "1.1",
                    "economic": "0.95",
                    "remaining_life_ratio": "0.8",
                    "time": "1.03",
                    "weight": "2",
                    "label": "某许可备案",
                },
                {
                    "price": "1000000",
                    "technical": "1",
                    "economic": "1",
                    "remaining_life_ratio": "1",
                    "time": "1",
                    "weight": "1",
                },
            ]
        },
    )
    assert valuation.value == Decimal("792576.00")
    text = _text(report.valuation_report_pdf(valuation))
    assert "市场法" in text
    assert "688,864.00" in text
    assert "某许可备案" in text
    assert "792,576.00 元（79.26 万元）" in text


def test_monte_carlo_score_and_recheck_sections(agency_user, bank_a, bank_a_user, right):
    inputs = {
        **INCOME,
        "monte_carlo": {
            "growth": {"low": "0", "high": "0.1"},
            "share_rate": {"low": "0.2", "high": "0.3"},
            "draws": 2000,
            "seed": 7,
        },
    }
    valuation = valuation_create(
        actor=agency_user,
        rights=[right.number],
        method="income",
        inputs=inputs,
        client_bank_uscc=bank_a.uscc,
    )
    valuation = valuation_issue(actor=agency_user, valuation=valuation, appraisers=APPRAISERS)
    # The bank's own value of the right: 300,000. Deviation |325,413.22 − 300,000| / 300,000 =
    # 25,413.22 / 300,000 = 0.0847107 → 8.4711% ≤ 30%. Collateral (information): 300,000 × 0.80
    # × 0.5 = 120,000.00; loan at 50%: 60,000.00.
    valuation = valuation_recheck(
        actor=bank_a_user, valuation=valuation, reference_values={right.number: "300000"}
    )
    mc = valuation.result["monte_carlo"]
    score = {
        "score": 71.25,
        "grade": "B",
        "dimensions": {"legal": 80.0, "technical": 60.0, "economic": 70.0},
        "contributions": [
            {
                "name": "remaining_life_years",
                "dimension": "legal",
                "label_zh": "剩余保护期",
                "label_en": "Remaining term",
                "raw": 17.0,
                "percentile": 0.9,
                "points": 12.5,
            },
            {
                "name": "claims_count",
                "dimension": "technical",
                "label_zh": "权利要求项数",
                "label_en": "Claims",
                "raw": None,
                "percentile": 0.5,
                "points": 4.0,
            },
        ],
    }
    text = _text(report.valuation_report_pdf(valuation, score=score))
    for key in ("p10", "p50", "p90"):
        assert presentation.yuan_text(mc[key]) in text
    assert "价值度评分" in text
    assert "71.3" in text or "71.2" in text  # 71.25 to one decimal
    assert "剩余保护期" in text
    assert "权利要求项数（无数据）" in text
    assert "估值复核" in text
    flat = text.replace("\n", "")
    assert (
        "银行内部评估值 300,000.00 元，外部评估值 325,413.22 元，偏离度 8.47%（阈值 30.00%）"
        "：偏离在阈值以内。"
    ) in flat
    assert "本行评估值来源：复核时填写。" in flat
    assert "120,000.00" in flat and "60,000.00" in flat  # collateral and loan, for information
    assert "复核明细" in flat
    english = _text(report.valuation_report_pdf(valuation, score=score, language="en"))
    assert (
        "Bank's internal value CNY 300,000.00, external value CNY 325,413.22, deviation 8.47%"
        in english.replace("\n", " ")
    )
    assert "甲银行" in text  # the client bank
    assert "草稿 DRAFT" not in text  # issued: no draft marker in the header


def test_contribution_bars_scale_to_the_longest_and_keep_dimension_order():
    bars = contribution_bars(
        [
            {"name": "family_size", "dimension": "economic", "points": 5},
            {"name": "granted", "dimension": "legal", "points": 10},
            {"name": "claims_count", "dimension": "technical", "points": 2.5, "raw": 12},
        ]
    )
    assert [b.name for b in bars] == ["granted", "claims_count", "family_size"]
    assert [b.fraction for b in bars] == [1.0, 0.25, 0.5]
    assert bars[0].missing and not bars[1].missing
    rows, height = svg_bar_rows(bars, language="zh", width=600, label_width=200, value_width=0)
    assert height == 3 * 26
    assert [r.width for r in rows] == [400.0, 100.0, 200.0]


def test_range_bar_places_the_interval_inside_the_axis():
    rb = range_bar("100", "150", "200", "160")
    # spread 100, padded 10 on each side: axis 90–210
    assert rb.axis_low == Decimal("90") and rb.axis_high == Decimal("210")
    assert rb.p10_at == pytest.approx(10 / 120, abs=1e-4)
    assert rb.p90_at == pytest.approx(110 / 120, abs=1e-4)
    assert rb.value_at == pytest.approx(70 / 120, abs=1e-4)
    assert 0 < rb.p10_at < rb.p50_at < rb.p90_at < 1


def test_percent_and_value_text():
    assert presentation.percent("0.0825") == "8.25%"
    assert presentation.percent(Decimal("0.25")) == "25.00%"
    # Below 1万 the exact figure is all there is to say; above it the figure by size follows.
    assert presentation.value_text(Decimal("9999.99")) == "9,999.99 元"
    assert presentation.value_text(Decimal("1234567.89")) == "1,234,567.89 元（123.46 万元）"
    assert presentation.value_text(Decimal("250000000")) == "250,000,000.00 元（2.50 亿元）"
    assert presentation.value_text(None) == "—"


def _score(total: float, grade: str, label_zh: str, points: float) -> dict:
    return {
        "score": total,
        "grade": grade,
        "dimensions": {"legal": total, "technical": total, "economic": total},
        "contributions": [
            {
                "name": "remaining_life_years",
                "dimension": "legal",
                "label_zh": label_zh,
                "label_en": label_zh,
                "raw": 10.0,
                "percentile": 0.5,
                "points": points,
            }
        ],
    }


def test_a_package_report_scores_every_right(agency_user, examiner, enterprise_a, right):
    second = make_patent(examiner=examiner, owner=enterprise_a, title="一种柔性显示基板")
    valuation = valuation_create(
        actor=agency_user, rights=[right.number, second.number], method="income", inputs=INCOME
    )
    scores = [
        (right, _score(71.5, "B", "剩余保护期", 12.5)),
        (second, _score(43.0, "D", "同族规模", 3.0)),
    ]
    flat = _text(report.valuation_report_pdf(valuation, scores=scores)).replace("\n", "")
    # Both rights, each with its own total (to one decimal) and grade.
    assert f"{right.number} 一种低功耗存算一体芯片：综合得分 71.5（等级 B）" in flat
    assert f"{second.number} 一种柔性显示基板：综合得分 43.0（等级 D）" in flat
    assert "剩余保护期" in flat and "同族规模" in flat  # each right's contribution chart
    assert flat.count("：综合得分") == 2
    assert "价值度评分仅列出前" not in flat  # two rights: no cap note


def test_the_pdf_view_scores_both_rights_of_a_package(
    agency_user, examiner, enterprise_a, right, client
):
    second = make_patent(examiner=examiner, owner=enterprise_a, title="一种柔性显示基板")
    valuation = valuation_create(
        actor=agency_user, rights=[right.number, second.number], method="income", inputs=INCOME
    )
    client.force_login(agency_user)
    response = client.get(f"/valuations/{valuation.pk}/report.pdf")
    assert response.status_code == 200
    flat = _text(response.content).replace("\n", "")
    assert f"{right.number} 一种低功耗存算一体芯片：综合得分" in flat
    assert f"{second.number} 一种柔性显示基板：综合得分" in flat


def test_the_report_scores_at_most_ten_rights_with_a_note(agency_user, right):
    valuation = valuation_create(
        actor=agency_user, rights=[right.number], method="income", inputs=INCOME
    )
    # 12 scored rights given; the report shows REPORT_SCORE_LIMIT = 10 and says how many exist.
    scores = [
        (
            {"number": f"CN-{i:02d}", "title": f"专利{i:02d}"},
            _score(50.0 + i, "C", "剩余保护期", 1.0),
        )
        for i in range(12)
    ]
    assert presentation.REPORT_SCORE_LIMIT == 10
    flat = _text(report.valuation_report_pdf(valuation, scores=scores)).replace("\n", "")
    assert flat.count("：综合得分") == 10
    assert "CN-09 专利09：综合得分 59.0" in flat
    assert "CN-10" not in flat and "CN-11" not in flat
    assert "本次评估共 12 项知识产权，价值度评分仅列出前 10 项。" in flat
