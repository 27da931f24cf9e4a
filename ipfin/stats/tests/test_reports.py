"""The quarterly monitoring report as PDF and Excel: they open (pypdf, openpyxl read them back) and
carry the hand-computed figures of the loan book in 万元."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from ipfin.accounts.models import User
from ipfin.stats.tests.conftest import Book

pytestmark = pytest.mark.django_db


def test_the_quarterly_workbook_opens_and_holds_the_figures_in_wan_yuan(
    book: Book, regulator_user: User, api_client: Callable[..., Any], bank_a: Any, bank_b: Any
) -> None:
    response = api_client(regulator_user).get("/api/v1/stats/reports/2025Q1.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "ipfin-monitoring-2025Q1.xlsx" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames[:5] == ["总体情况", "分银行", "分地区", "分权利类型", "分园区"]
    assert {"季度趋势", "园区增长", "不良容忍度", "附注"} <= set(wb.sheetnames)
    overview = {row[0]: row[1] for row in wb["总体情况"].iter_rows(values_only=True)}
    assert overview["报告"] == "知识产权质押融资季度监测报告（2025年第1季度）"
    # 600,000.00 yuan = 60.00 万元; the balance 566,666.67 yuan = 56.67 万元 (half up).
    assert Decimal(str(overview["新增贷款金额（万元）"])) == Decimal("60.00")
    assert Decimal(str(overview["贷款余额（万元）"])) == Decimal("56.67")
    assert Decimal(str(overview["不良率"])) == Decimal("0.529412")
    banks = list(wb["分银行"].iter_rows(values_only=True))
    assert banks[0][0] == "名称" and banks[-1][0] == "合计"
    assert [row[0] for row in banks[1:-1]] == [bank_b.name, bank_a.name]
    assert Decimal(str(banks[-1][3])) == Decimal("56.67")  # 贷款余额 column
    notes = [row[0] for row in wb["附注"].iter_rows(values_only=True)]
    assert "新增贷款笔数" in notes and "不良率" in notes
    assert wb["分银行"]["C2"].number_format == "#,##0.00"


def test_the_quarterly_pdf_opens_with_its_title_tables_and_notes(
    book: Book, regulator_user: User, api_client: Callable[..., Any]
) -> None:
    response = api_client(regulator_user).get("/api/v1/stats/reports/2025Q1.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    compact = text.replace(" ", "").replace("\n", "")
    assert "知识产权质押融资季度监测报告（2025年第1季度）" in compact
    assert "56.67" in compact and "60.00" in compact  # 万元
    assert "附注" in compact and "不良率" in compact
    assert "52.94%" in compact


def test_the_annual_summary_and_a_bad_period(
    book: Book, regulator_user: User, api_client: Callable[..., Any]
) -> None:
    client = api_client(regulator_user)
    response = client.get("/api/v1/stats/reports/2025.xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    trend = [row[0] for row in wb["季度趋势"].iter_rows(values_only=True)]
    assert trend[1:-1] == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]  # balances carry on
    for bad in ("2025Q5", "Q3", "20251"):
        response = client.get(f"/api/v1/stats/reports/{bad}.pdf")
        assert response.status_code == 422, bad
        assert response.json()["code"] == "period_invalid"


def test_a_banks_report_holds_only_its_own_loans(
    book: Book, bank_a_user: User, api_client: Callable[..., Any], bank_b: Any
) -> None:
    response = api_client(bank_a_user).get("/api/v1/stats/reports/2025Q1.xlsx")
    wb = load_workbook(io.BytesIO(response.content))
    names = [row[0] for row in wb["分银行"].iter_rows(values_only=True)]
    assert bank_b.name not in names
    overview = {row[0]: row[1] for row in wb["总体情况"].iter_rows(values_only=True)}
    assert Decimal(str(overview["贷款余额（万元）"])) == Decimal("26.67")


def test_the_report_needs_a_login_and_a_role(
    book: Book, enterprise_a_user: User, api_client: Callable[..., Any]
) -> None:
    assert api_client(None).get("/api/v1/stats/reports/2025Q1.pdf").status_code == 401
    assert api_client(enterprise_a_user).get("/api/v1/stats/reports/2025Q1.xlsx").status_code == 403
