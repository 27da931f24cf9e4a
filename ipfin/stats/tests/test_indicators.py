"""GET /api/v1/stats/indicators against the hand-computed loan book of conftest.py (seed 001:
新增贷款金额、贷款余额、客户数量、质押率、不良率; seed 002: 按季度监测)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from ipfin.accounts.models import OrganisationKind, User
from ipfin.stats.domain import ADDITIVE_ALWAYS
from ipfin.stats.tests.conftest import Book

pytestmark = pytest.mark.django_db
URL = "/api/v1/stats/indicators"
Q1 = {"from": "2025-01-01", "to": "2025-03-31"}
ZERO_TOTAL = {
    "new_loans": 0,
    "new_loan_amount": "0.00",
    "balance": "0.00",
    "customers": 0,
    "first_time_borrowers": 0,
    "sole_ip_collateral": 0,
    "avg_pledge_rate": "0.000000",
    "avg_rate": "0.000000",
    "npl_balance": "0.00",
    "npl_ratio": "0.000000",
    "subsidies_paid": "0.00",
    "compensation_paid": "0.00",
}


def _get(client: Any, **params: str) -> dict[str, Any]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def _rows(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in body["rows"]}


def _assert_additive(body: dict[str, Any], fields: tuple[str, ...]) -> None:
    for field in fields:
        values = [row[field] for row in body["rows"]]
        if isinstance(body["total"][field], int):
            assert sum(values) == body["total"][field], field
        else:
            assert sum(Decimal(v) for v in values) == Decimal(body["total"][field]), field


def test_quarter_by_bank_matches_the_hand_computed_book(
    book: Book, regulator_user: User, api_client: Callable[..., Any], bank_a: Any, bank_b: Any
) -> None:
    body = _get(api_client(regulator_user), **Q1, by="bank")
    rows = _rows(body)
    assert list(rows) == [str(bank_b.pk), str(bank_a.pk)]  # by balance, largest first
    # bank_a: L1 and L2 are new (600,000.00); at 31 March L1 owes 400,000 − 133,333.33 and L2,
    # disbursed and repaid inside the quarter, nothing: one customer (E_a), and E_b borrowed for
    # the first time. Pledge rate (400,000 × 0.454545 + 200,000 × 0.227273) ÷ 600,000 =
    # 227,272.6 ÷ 600,000 = 0.3787876…; rate (400,000 × 0.12 + 200,000 × 0.06) ÷ 600,000 = 0.1.
    assert rows[str(bank_a.pk)] == {
        "key": str(bank_a.pk),
        "label": bank_a.name,
        "new_loans": 2,
        "new_loan_amount": "600000.00",
        "balance": "266666.67",
        "customers": 1,
        "first_time_borrowers": 1,
        "sole_ip_collateral": 2,
        "avg_pledge_rate": "0.378788",
        "avg_rate": "0.100000",
        "npl_balance": "0.00",
        "npl_ratio": "0.000000",
        "subsidies_paid": "0.00",
        "compensation_paid": "0.00",
    }
    # bank_b: L3 (2024) owes 300,000.00, classified 次级 on 1 February: all of it is NPL.
    assert rows[str(bank_b.pk)] == {
        **ZERO_TOTAL,
        "key": str(bank_b.pk),
        "label": bank_b.name,
        "balance": "300000.00",
        "customers": 1,
        "npl_balance": "300000.00",
        "npl_ratio": "1.000000",
    }
    # The total counts E_a once (it owes both banks); NPL 300,000 ÷ 566,666.67 = 0.5294117…
    assert body["total"] == {
        "new_loans": 2,
        "new_loan_amount": "600000.00",
        "balance": "566666.67",
        "customers": 1,
        "first_time_borrowers": 1,
        "sole_ip_collateral": 2,
        "avg_pledge_rate": "0.378788",
        "avg_rate": "0.100000",
        "npl_balance": "300000.00",
        "npl_ratio": "0.529412",
        "subsidies_paid": "0.00",
        "compensation_paid": "0.00",
    }
    _assert_additive(body, (*ADDITIVE_ALWAYS, "balance", "npl_balance"))
    assert (body["start"], body["end"], body["by"]) == ("2025-01-01", "2025-03-31", "bank")


def test_the_balances_and_the_npl_are_taken_as_of_the_periods_end(
    book: Book, regulator_user: User, api_client: Callable[..., Any]
) -> None:
    # On 31 January L3 was still 正常 (classified 次级 on 1 February) and L1 unpaid.
    body = _get(api_client(regulator_user), **{"from": "2025-01-01", "to": "2025-01-31"})
    assert body["total"]["balance"] == "700000.00"
    assert body["total"]["npl_balance"] == "0.00"
    assert body["total"]["customers"] == 1
    assert body["total"]["new_loans"] == 1


def test_an_empty_period_answers_no_rows_and_a_zero_total(
    book: Book, regulator_user: User, api_client: Callable[..., Any]
) -> None:
    for by in ("bank", "park", "region", "right_kind", "product", "size", "quarter"):
        body = _get(api_client(regulator_user), **{"from": "2023-01-01", "to": "2023-12-31"}, by=by)
        assert body["rows"] == []
        assert body["total"] == ZERO_TOTAL


def test_by_park_region_and_size_borrowers_add_up(
    book: Book, regulator_user: User, api_client: Callable[..., Any]
) -> None:
    client = api_client(regulator_user)
    park = _get(client, **Q1, by="park")
    assert [(row["key"], row["label"]) for row in park["rows"]] == [
        (str(book.park.pk), "示范园区P"),
        ("none", "未入园企业"),
    ]
    inside = park["rows"][0]
    assert (inside["balance"], inside["customers"], inside["npl_balance"]) == (
        "566666.67", 1, "300000.00",
    )  # fmt: skip
    for by in ("park", "region", "size"):
        body = _get(client, **Q1, by=by)
        _assert_additive(
            body, (*ADDITIVE_ALWAYS, "balance", "npl_balance", "customers", "first_time_borrowers")
        )
    size = _rows(_get(client, **Q1, by="size"))
    assert (size["small"]["label"], size["medium"]["first_time_borrowers"]) == ("小型", 1)
    region = _rows(_get(client, **Q1, by="region"))
    assert set(region) == {"110108", "320571"}
    assert region["110108"]["label"] == "北京市 110108"


def test_by_right_kind_and_product(
    book: Book, regulator_user: User, api_client: Callable[..., Any]
) -> None:
    client = api_client(regulator_user)
    kinds = _get(client, **Q1, by="right_kind")
    assert [(row["key"], row["label"]) for row in kinds["rows"]] == [("invention", "发明专利")]
    assert kinds["rows"][0]["new_loan_amount"] == "600000.00"
    products = _get(client, **Q1, by="product")
    assert [(row["key"], row["label"]) for row in products["rows"]] == [("none", "未关联产品")]


def test_by_quarter_flows_add_up_and_each_quarter_holds_its_own_end_balance(
    book: Book, regulator_user: User, api_client: Callable[..., Any]
) -> None:
    body = _get(
        api_client(regulator_user), **{"from": "2024-10-01", "to": "2025-03-31"}, by="quarter"
    )
    rows = _rows(body)
    assert list(rows) == ["2024Q4", "2025Q1"]
    assert (rows["2024Q4"]["new_loan_amount"], rows["2024Q4"]["balance"]) == (
        "300000.00", "300000.00",
    )  # fmt: skip
    assert rows["2024Q4"]["first_time_borrowers"] == 1  # E_a's first loan is L3
    assert rows["2025Q1"]["first_time_borrowers"] == 1  # E_b
    assert body["total"]["new_loan_amount"] == "900000.00"
    assert body["total"]["balance"] == rows["2025Q1"]["balance"] == "566666.67"
    _assert_additive(body, (*ADDITIVE_ALWAYS, "first_time_borrowers"))


def test_a_bank_sees_only_its_own_loans_whatever_the_cut(
    book: Book, bank_a_user: User, bank_a: Any, api_client: Callable[..., Any]
) -> None:
    client = api_client(bank_a_user)
    by_bank = _get(client, **Q1, by="bank")
    assert [row["key"] for row in by_bank["rows"]] == [str(bank_a.pk)]
    assert by_bank["total"]["balance"] == "266666.67"
    by_park = _get(client, **Q1, by="park")
    assert sum(Decimal(r["balance"]) for r in by_park["rows"]) == Decimal("266666.67")
    assert by_park["total"]["npl_balance"] == "0.00"  # L3 is bank_b's


def test_a_bank_with_no_loans_sees_zero(
    book: Book,
    make_org: Callable[..., Any],
    make_user: Callable[..., User],
    api_client: Callable[..., Any],
) -> None:
    bank_c = make_user("bank-c", make_org(OrganisationKind.BANK, "丙银行"))
    body = _get(api_client(bank_c), **Q1, by="region")
    assert body["rows"] == []
    assert body["total"] == ZERO_TOTAL


def test_a_park_sees_only_its_member_enterprises(
    book: Book, make_user: Callable[..., User], api_client: Callable[..., Any]
) -> None:
    park_user = make_user("park-p", book.park)
    body = _get(api_client(park_user), **Q1, by="bank")
    assert body["total"]["balance"] == "566666.67"  # L1 and L3: E_a's
    assert body["total"]["new_loan_amount"] == "400000.00"  # L1 only: L2 is E_b's


def test_others_may_not_read_and_anonymous_callers_must_log_in(
    book: Book, enterprise_a_user: User, api_client: Callable[..., Any]
) -> None:
    assert api_client(enterprise_a_user).get(URL, Q1).status_code == 403
    assert api_client(None).get(URL, Q1).status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2025-03-31", "to": "2025-01-01"}, "to"),
        ({"from": "2000-01-01", "to": "2025-01-01"}, "to"),
        ({"from": "2025-13-01", "to": "2025-03-31"}, "from"),
        ({**Q1, "by": "planet"}, "by"),
        ({"to": "2025-03-31"}, "from"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    regulator_user: User, api_client: Callable[..., Any], params: dict[str, str], field: str
) -> None:
    response = api_client(regulator_user).get(URL, params)
    assert response.status_code == 422, response.content
    assert field in response.content.decode()


def test_the_document_declares_the_statuses(api_client: Callable[..., Any]) -> None:
    document = api_client(None).get("/api/schema").json()
    operation = document["paths"][URL]["get"]
    assert {"200", "401", "403", "422"} <= set(operation["responses"])
    assert operation.get("security")
    names = {p["name"] for p in operation["parameters"]}
    assert {"from", "to", "by"} <= names


def test_a_loan_more_than_90_days_past_due_is_npl_even_unclassified_measures_art_10(
    book: Book, regulator_user: User, api_client: Callable[..., Any], bank_a: Any
) -> None:
    # L1's second instalment fell due on 15 March 2025 and was never paid: on 30 June it is 107
    # days past due, 次级 at least (《商业银行金融资产风险分类办法》 art. 10), though no daily
    # classification ran to record it.
    body = _get(api_client(regulator_user), **{"from": "2025-04-01", "to": "2025-06-30"})
    rows = _rows(_get(api_client(regulator_user), **{"from": "2025-04-01", "to": "2025-06-30"}))
    assert rows[str(bank_a.pk)]["npl_balance"] == "266666.67"
    assert body["total"]["npl_balance"] == "566666.67"  # and L3, 次级 since 1 February
    # On 13 June the instalment was 90 days late: 关注, not yet non-performing.
    early = _rows(_get(api_client(regulator_user), **{"from": "2025-04-01", "to": "2025-06-13"}))
    assert early[str(bank_a.pk)]["npl_balance"] == "0.00"
