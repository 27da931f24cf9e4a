"""The loans API over the real HTTP stack: the schedule preview, the life cycle, tenancy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import numpy_financial as npf
import pytest

from ipfin.accounts.models import Organisation, User
from ipfin.financing.models import ProductVersion
from ipfin.loans.domain.schedules import repayment_schedule
from ipfin.loans.models import Loan
from ipfin.pledges.models import Pledge
from ipfin.valuation.models import Valuation

D = Decimal
PREVIEW = "/api/v1/schedules/preview"


@pytest.fixture
def public(api_client: Callable[..., Any]) -> Any:
    return api_client()


def preview(public: Any, **kw: Any) -> Any:
    body = {
        "principal": "12000",
        "annual_rate": "0.12",
        "months": 3,
        "method": "annuity",
        "start_date": "2025-01-31",
        "day_count": "30/360",
        **kw,
    }
    return public.post_json(PREVIEW, body)


# --- schedule preview ----------------------------------------------------------------------------


def test_preview_hand_checked_annuity(public: Any) -> None:
    # A = 12000 × 0.01 × 1.01³ / (1.01³ − 1) = 4080.2653… → 4080.27; the last absorbs the rest.
    # Due on the 31st, or the month's last day: 2025-02-28, 03-31, 04-30.
    resp = preview(public)
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["installments"] == [
        {
            "n": 1,
            "due_date": "2025-02-28",
            "principal": "3960.27",
            "interest": "120.00",
            "payment": "4080.27",
            "balance": "8039.73",
        },
        {
            "n": 2,
            "due_date": "2025-03-31",
            "principal": "3999.87",
            "interest": "80.40",
            "payment": "4080.27",
            "balance": "4039.86",
        },
        {
            "n": 3,
            "due_date": "2025-04-30",
            "principal": "4039.86",
            "interest": "40.40",
            "payment": "4080.26",
            "balance": "0.00",
        },
    ]
    assert body["total_interest"] == "240.80"


@pytest.mark.parametrize("method", ["annuity", "equal_principal", "interest_only"])
@pytest.mark.parametrize("day_count", ["30/360", "actual/360", "actual/365"])
def test_preview_is_the_pure_module_to_the_fen(public: Any, method: str, day_count: str) -> None:
    resp = preview(
        public,
        principal=1_000_000,
        annual_rate=0.0435,  # a JSON number: read by its shortest text, "0.0435"
        months=36,
        method=method,
        day_count=day_count,
        start_date="2024-01-31",
    )
    assert resp.status_code == 200, resp.content
    expected = repayment_schedule(
        principal=D("1000000"),
        annual_rate=D("0.0435"),
        months=36,
        method=method,
        start_date=date(2024, 1, 31),
        day_count=day_count,
    )
    rows = resp.json()["installments"]
    assert [(r["principal"], r["interest"], r["payment"], r["balance"]) for r in rows] == [
        (f"{i.principal:.2f}", f"{i.interest:.2f}", f"{i.payment:.2f}", f"{i.balance:.2f}")
        for i in expected.installments
    ]
    assert resp.json()["total_interest"] == f"{expected.total_interest:.2f}"


def test_preview_annuity_payment_is_numpy_financial_pmt(public: Any) -> None:
    # numpy-financial 1.0.0: npf.pmt(0.0435/12, 36, -1e6) = 29679.934… → 29679.93.
    body = preview(public, principal="1000000", annual_rate="0.0435", months=36).json()
    expected = D(str(round(npf.pmt(0.0435 / 12, 36, -1_000_000), 2)))
    assert {r["payment"] for r in body["installments"][:-1]} == {f"{expected:.2f}"}
    assert expected == D("29679.93")


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"principal": None}, "principal"),
        ({"principal": "0"}, "principal"),
        ({"principal": "12.345"}, "principal"),
        ({"annual_rate": "abc"}, "annual_rate"),
        ({"annual_rate": "4.35"}, "annual_rate"),  # a percentage, not a fraction
        ({"months": 0}, "months"),
        ({"months": "twelve"}, "months"),
        ({"months": 361}, "months"),
        ({"method": "balloon"}, "method"),
        ({"start_date": "2025-13-01"}, "start_date"),
        ({"day_count": "actual/actual"}, "day_count"),
    ],
)
def test_preview_bad_input_is_422_naming_the_field(
    public: Any, kw: dict[str, Any], field: str
) -> None:
    resp = preview(public, **kw)
    assert resp.status_code == 422, resp.content
    body = resp.json()
    assert body["field"] == field
    assert body["code"] and body["detail"]


# --- the life cycle ------------------------------------------------------------------------------


@pytest.fixture
def apis(api_client: Callable[..., Any], bank_a_user: User, enterprise_a_user: User) -> Any:
    class Apis:
        bank = api_client(bank_a_user)
        enterprise = api_client(enterprise_a_user)

    return Apis


def test_life_cycle_over_the_api(
    apis: Any,
    enterprise_a: Organisation,
    product: ProductVersion,
    pledged: tuple[Pledge, Valuation],
    today: date,
) -> None:
    resp = apis.enterprise.post_json(
        "/api/v1/loans",
        {
            "enterprise_uscc": enterprise_a.uscc,
            "product_version_id": product.pk,
            "amount": "300000",
            "months": 12,
            "method": "equal_principal",
            "day_count": "30/360",
        },
    )
    assert resp.status_code == 201, resp.content
    loan_id = resp.json()["id"]
    assert resp.json()["state"] == "applied"
    # Pledge rate cap: 50 % of 880,000.00.
    resp = apis.bank.post_json(
        f"/api/v1/loans/{loan_id}/approve",
        {"principal": "300000", "months": 12, "pledge_id": pledged[0].pk},
    )
    # The approval names the valuation it rests on (a required field): none is picked for it.
    assert resp.status_code == 422 and resp.json()["code"] == "invalid_input"
    assert [e["loc"][-1] for e in resp.json()["detail"]] == ["valuation_id"]
    resp = apis.bank.post_json(
        f"/api/v1/loans/{loan_id}/approve",
        {
            "principal": "440000.01",
            "months": 12,
            "pledge_id": pledged[0].pk,
            "valuation_id": pledged[1].pk,
        },
    )
    assert resp.status_code == 422 and resp.json()["code"] == "pledge_rate_exceeded"
    resp = apis.bank.post_json(
        f"/api/v1/loans/{loan_id}/approve",
        {
            "principal": "300000",
            "months": 12,
            "pledge_id": pledged[0].pk,
            "valuation_id": pledged[1].pk,
            "annual_rate": "0.036",
        },
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["state"], body["pledge_rate"], body["valuation_value"]) == (
        "approved",
        "0.340909",  # 300,000 / 880,000
        "880000.00",
    )
    resp = apis.bank.post_json(f"/api/v1/loans/{loan_id}/disburse")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert len(body["installments"]) == 12
    # 300,000 × 3.6 % / 12 = 900.00; 25,000.00 principal a month.
    first = body["installments"][0]
    assert (first["principal"], first["interest"], first["payment"]) == (
        "25000.00",
        "900.00",
        "25900.00",
    )
    assert body["position"]["amount_to_settle"] == "300000.00"  # disbursed today
    resp = apis.bank.post_json(f"/api/v1/loans/{loan_id}/repayments", {"amount": "300000.00"})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["repayments"][0]["full_repayment"] is True
    assert body["outstanding_principal"] == "0.00"
    assert "close" in body["allowed_actions"]
    resp = apis.bank.post_json(f"/api/v1/loans/{loan_id}/close")
    assert resp.status_code == 200, resp.content
    assert (resp.json()["state"], resp.json()["release_pledge"]) == ("closed", True)
    # The enterprise sees its loan and the schedule.
    resp = apis.enterprise.get(f"/api/v1/loans/{loan_id}")
    assert resp.status_code == 200 and len(resp.json()["installments"]) == 12


def test_overpayment_is_422_with_the_settlement_amount(
    apis: Any, lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation]
) -> None:
    loan = lend(pledged[0])
    resp = apis.bank.post_json(
        f"/api/v1/loans/{loan.pk}/repayments", {"amount": "999999", "paid_on": "2025-01-15"}
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "overpayment"
    assert resp.json()["amount_to_settle"] == "120000.00"


def test_tenancy_other_parties_get_404(
    api_client: Callable[..., Any],
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
    bank_b_user: User,
    enterprise_b_user: User,
    office_user: User,
    regulator_user: User,
    enterprise_a_user: User,
    open_case: Callable[[Organisation], Any],
) -> None:
    loan = lend(pledged[0], until="applied")
    for user in (bank_b_user, enterprise_b_user):
        client = api_client(user)
        assert client.get(f"/api/v1/loans/{loan.pk}").status_code == 404
        assert client.get("/api/v1/loans").json() == []
    resp = api_client(bank_b_user).post_json(f"/api/v1/loans/{loan.pk}/decline", {"reason": "no"})
    assert resp.status_code == 404
    assert api_client(regulator_user).get(f"/api/v1/loans/{loan.pk}").status_code == 404
    open_case(loan.bank)
    for user in (office_user, regulator_user, enterprise_a_user):
        client = api_client(user)
        assert client.get(f"/api/v1/loans/{loan.pk}").status_code == 200
        assert [row["id"] for row in client.get("/api/v1/loans").json()] == [loan.pk]
    # The enterprise sees its loan but may not act on it as the bank.
    resp = api_client(enterprise_a_user).post_json(
        f"/api/v1/loans/{loan.pk}/decline", {"reason": "x"}
    )
    assert resp.status_code == 403
    assert api_client().get("/api/v1/loans").status_code == 401


def test_preview_error_in_english(public: Any) -> None:
    resp = public.post_json(
        PREVIEW,
        {
            "principal": "1000",
            "annual_rate": "4.35",
            "months": 12,
            "method": "annuity",
            "start_date": "2025-01-01",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert resp.status_code == 422
    assert resp.json()["detail"].startswith("annual_rate is a fraction")


def test_loan_list_queries_do_not_grow_with_rows(
    apis: Any, lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation]
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lend(pledged[0])
    with CaptureQueriesContext(connection) as one:
        assert len(apis.bank.get("/api/v1/loans").json()) == 1
    lend(pledged[0])
    lend(pledged[0], until="applied")
    with CaptureQueriesContext(connection) as three:
        assert len(apis.bank.get("/api/v1/loans").json()) == 3
    assert len(three.captured_queries) == len(one.captured_queries)
