"""The monitoring dashboard page, for each role that has figures, in Chinese and English."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ipfin.accounts.models import User
from ipfin.stats.tests.conftest import Book

pytestmark = pytest.mark.django_db
URL = "/stats/"


def test_the_regulator_sees_every_bank_with_charts_and_the_report_links(
    book: Book, regulator_user: User, client_for: Callable[[User], Any], bank_a: Any, bank_b: Any
) -> None:
    response = client_for(regulator_user).get(URL, {"period": "2025Q1"})
    assert response.status_code == 200
    page = response.content.decode()
    assert bank_a.name in page and bank_b.name in page
    assert page.count('<svg class="chart"') >= 3
    assert 'data-testid="card-balance">56.67 万元' in page
    assert 'data-testid="card-npl-ratio">52.94%' in page
    assert "/api/v1/stats/reports/2025Q1.pdf" in page
    assert "/api/v1/stats/reports/2025Q1.xlsx" in page
    assert "北京市 110108" in page
    # No code or field name on screen.
    for code in ("new_loan_amount", "npl_ratio", "right_kind", "first_time_borrowers"):
        assert code not in page.replace('data-testid="stats-by-right_kind"', "")


def test_a_bank_sees_its_own_book_only(
    book: Book, bank_a_user: User, client_for: Callable[[User], Any], bank_b: Any
) -> None:
    page = client_for(bank_a_user).get(URL, {"period": "2025Q1"}).content.decode()
    assert bank_b.name not in page
    assert 'data-testid="card-balance">26.67 万元' in page
    assert 'data-testid="stats-by-bank"' not in page


def test_a_park_sees_its_members_and_their_demands(
    book: Book, make_user: Callable[..., User], client_for: Callable[[User], Any]
) -> None:
    page = client_for(make_user("park-p", book.park)).get(URL, {"period": "2025Q1"}).content
    text = page.decode()
    assert 'data-testid="stats-demands"' in text
    assert 'data-testid="card-balance">56.67 万元' in text


def test_in_english_the_page_and_charts_speak_english(
    book: Book, regulator_user: User, client_for: Callable[[User], Any]
) -> None:
    client = client_for(regulator_user)
    client.post("/i18n/setlang/", {"language": "en", "next": URL})
    page = client.get(URL, {"period": "2025Q1"}).content.decode()
    assert "New loans and balance" in page
    assert "Beijing 110108" in page
    assert "CNY 566,666.67" in page


def test_a_bad_period_is_said_next_to_the_field_and_the_last_quarter_is_shown(
    book: Book, regulator_user: User, client_for: Callable[[User], Any]
) -> None:
    response = client_for(regulator_user).get(URL, {"period": "2025Q9"})
    assert response.status_code == 200
    assert 'id="period-error"' in response.content.decode()


def test_others_are_refused_and_anonymous_visitors_sent_to_log_in(
    enterprise_a_user: User, client_for: Callable[[User], Any], client: Any
) -> None:
    assert client_for(enterprise_a_user).get(URL).status_code == 403
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_bank_returns_a_quarter_by_form_and_sees_it_reconciled(
    book: Book, bank_a_user: User, client_for: Callable[[User], Any]
) -> None:
    from ipfin.stats.models import BankReturn

    client = client_for(bank_a_user)
    page = client.get("/stats/returns/").content.decode()
    assert 'data-testid="return-form"' in page and 'data-testid="return-upload"' in page
    bad = client.post(
        "/stats/returns/submit/",
        {"period": "2025Q1", "npl_ratio": "1.62", "total_loan_balance": "100",
         "ip_loan_balance": "200", "ip_new_loans": "2", "ip_new_amount": "600000"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert "知识产权质押贷款余额不能超过全行各项贷款余额" in bad.content.decode()
    assert not BankReturn.objects.exists()
    response = client.post(
        "/stats/returns/submit/",
        {"period": "2025Q1", "npl_ratio": "1.62", "total_loan_balance": "8000000000",
         "ip_loan_balance": "270000", "ip_new_loans": "2", "ip_new_amount": "600000"},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "3,333.33 元" in page  # 270,000.00 reported − 266,666.67 on the platform
    assert "1.62%" in page


def test_an_uploaded_file_with_an_error_lists_its_rows_on_the_page(
    bank_a_user: User, client_for: Callable[[User], Any]
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ipfin.stats.services import RETURN_COLUMNS

    header = ",".join(zh for _field, zh, _en in RETURN_COLUMNS)
    csv = f"{header}\n2025Q1,0.0162,100,50,1,50\n2025Q2,abc,100,50,1,50\n"
    upload = SimpleUploadedFile("r.csv", csv.encode("utf-8"))
    response = client_for(bank_a_user).post("/stats/returns/upload/", {"file": upload})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'data-testid="row-errors"' in page and "第 3 行" in page
