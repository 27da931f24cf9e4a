"""The banks' quarterly returns (银行季度报送) by form and by file: checked whole, stored whole or
not at all, and reconciled with the platform's own figures."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from ipfin.accounts.models import User
from ipfin.audit.models import AuditRecord
from ipfin.risk.models import BankNplReport
from ipfin.stats.models import BankReturn
from ipfin.stats.tests.conftest import Book

pytestmark = pytest.mark.django_db
URL = "/api/v1/stats/bank-returns"
HEADER = ["报告期", "全行不良贷款率", "全行各项贷款余额", "知识产权质押贷款余额",
          "本季新增知识产权质押贷款笔数", "本季新增知识产权质押贷款金额"]  # fmt: skip
Q1 = {
    "period": "2025Q1",
    "npl_ratio": "0.0162",
    "total_loan_balance": "8000000000.00",
    "ip_loan_balance": "270000.00",
    "ip_new_loans": 2,
    "ip_new_amount": "600000.00",
}


def _xlsx(rows: list[list[Any]]) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in [HEADER, *rows]:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile("returns.xlsx", buffer.getvalue())


def test_a_form_return_is_stored_and_set_beside_the_platforms_figures(
    book: Book, bank_a_user: User, bank_a: Any, api_client: Callable[..., Any]
) -> None:
    response = api_client(bank_a_user).post_json(URL, Q1)
    assert response.status_code == 201, response.content
    body = response.json()
    # The platform: at 31 March bank_a's IP-pledge balance is 266,666.67, L1 and L2 new (600,000).
    assert (body["platform_balance"], body["platform_new_loans"], body["platform_new_amount"]) == (
        "266666.67", 2, "600000.00",
    )  # fmt: skip
    assert body["balance_difference"] == "3333.33"  # 270,000.00 − 266,666.67
    assert body["amount_difference"] == "0.00"
    assert body["npl_ratio"] == "0.016200"
    assert BankNplReport.objects.get(bank=bank_a, period="2025Q1").ratio == Decimal("0.0162")
    assert AuditRecord.objects.filter(action="stats.bank_return").count() == 1
    again = api_client(bank_a_user).post_json(URL, {**Q1, "ip_loan_balance": "266666.67"})
    assert again.json()["revision"] == 2 and again.json()["balance_difference"] == "0.00"


def test_a_file_with_one_bad_row_stores_nothing_and_names_every_bad_row(
    bank_a_user: User, api_client: Callable[..., Any]
) -> None:
    upload = _xlsx(
        [
            ["2025Q1", 0.0162, 8000000000, 270000, 2, 600000],
            ["2025Q2", "1.5%", 8100000000, 9000000000, 1, 100000],  # IP over the whole book
            ["2025Q5", 0.02, 1, 0, 0, 0],  # no such quarter
            ["2025Q1", 0.02, 1, 0, 0, 0],  # the same quarter twice
        ]
    )
    response = api_client(bank_a_user).post(f"{URL}/upload", {"file": upload})
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "rows_invalid"
    assert [(e["row"], e["field"]) for e in body["errors"]] == [
        (3, "ip_loan_balance"),
        (4, "period"),
        (5, "period"),
    ]
    assert BankReturn.objects.count() == 0
    assert BankNplReport.objects.count() == 0


def test_a_good_file_stores_every_row(bank_a_user: User, api_client: Callable[..., Any]) -> None:
    upload = _xlsx(
        [
            ["2025Q1", 0.0162, 8000000000, 270000, 2, 600000],
            ["2025Q2", "1.50%", "8,100,000,000.00", 0, 0, 0],
        ]
    )
    response = api_client(bank_a_user).post(f"{URL}/upload", {"file": upload})
    assert response.status_code == 201, response.content
    assert response.json()["stored"] == 2
    assert sorted(BankReturn.objects.values_list("period", flat=True)) == ["2025Q1", "2025Q2"]
    ratio = BankNplReport.objects.get(period="2025Q2").ratio
    assert str(ratio).rstrip("0") == "0.015"


def test_missing_columns_and_a_quarter_not_ended_are_refused(
    bank_a_user: User, api_client: Callable[..., Any]
) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["报告期", "全行不良贷款率"])
    buffer = io.BytesIO()
    wb.save(buffer)
    response = api_client(bank_a_user).post(
        f"{URL}/upload", {"file": SimpleUploadedFile("r.xlsx", buffer.getvalue())}
    )
    assert response.status_code == 422 and response.json()["code"] == "columns_missing"
    response = api_client(bank_a_user).post_json(URL, {**Q1, "period": "2999Q1"})
    assert response.status_code == 422 and response.json()["code"] == "period_not_ended"


def test_who_reads_which_returns(
    book: Book,
    bank_a_user: User,
    bank_b_user: User,
    regulator_user: User,
    enterprise_a_user: User,
    api_client: Callable[..., Any],
) -> None:
    api_client(bank_a_user).post_json(URL, Q1)
    api_client(bank_b_user).post_json(URL, {**Q1, "ip_loan_balance": "300000.00",
                                             "ip_new_loans": 0, "ip_new_amount": "0"})  # fmt: skip
    everyone = api_client(regulator_user).get(URL, {"period": "2025Q1"}).json()
    assert len(everyone) == 2
    own = api_client(bank_a_user).get(URL, {"period": "2025Q1"}).json()
    assert [row["ip_loan_balance"] for row in own] == ["270000.00"]
    assert api_client(enterprise_a_user).post_json(URL, Q1).status_code == 403
    assert api_client(regulator_user).post_json(URL, Q1).status_code == 403
