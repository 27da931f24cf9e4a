"""The risk calculators over the real HTTP stack: POST /risk/compensation/preview and POST
/risk/npl-tolerance/preview answer anyone (200), refuse what the schema or the rule refuses
(422), a bad token (401) and the anonymous caller past the calculators' rate (429); the document
states them public, with every status and the same bounds the server holds them to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ipfin.accounts import ratelimit
from ipfin.accounts.models import User
from ipfin.risk.domain.ratios import RATIO_PATTERN
from ipfin.risk.schemas import MONEY_PATTERN

pytestmark = pytest.mark.django_db

COMPENSATION = "/api/v1/risk/compensation/preview"
NPL = "/api/v1/risk/npl-tolerance/preview"
CASE: dict[str, Any] = {
    "mode": "front_loaded",
    "principal": "1000000.00",
    "interest": "50000.00",
    "shares": {"fund": "0.4", "bank": "0.3", "guarantor": "0.2", "insurer": "0.1"},
    "fund_cap_per_loan": "300000.00",
    "fund_balance": "5000000.00",
    "proceeds": "600000.00",
    "disposal_costs": "30000.00",
}
BANK: dict[str, Any] = {
    "ip_npl_balance": "5000000.00",
    "ip_balance": "100000000.00",
    "bank_npl_ratio": "0.02",
}


def post(path: str, body: Any, client: Client | None = None, **extra: Any) -> Any:
    return (client or Client()).post(path, body, content_type="application/json", **extra)


# --- compensation -------------------------------------------------------------------------------


def test_compensation_preview_worked_example_seed000_minfadian_art561() -> None:
    # ipfin/risk/tests/test_compensation.py, the same case by hand: advance 300,000.00 (the cap),
    # proceeds 30,000 / 50,000 / 520,000 / 0, loss 480,000.00 split 0.4 / 0.3 / 0.2 / 0.1,
    # settlement 192,000.00 − 300,000.00.
    response = post(COMPENSATION, CASE)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "advance": "300000.00",
        "proceeds": {
            "costs": "30000.00",
            "interest": "50000.00",
            "principal": "520000.00",
            "pledgor": "0.00",
        },
        "loss": "480000.00",
        "shares": {
            "fund": "192000.00",
            "bank": "144000.00",
            "guarantor": "96000.00",
            "insurer": "48000.00",
        },
        "settlement": "-108000.00",
    }


def test_before_disposal_the_preview_gives_the_advance_only_seed000() -> None:
    body = {k: v for k, v in CASE.items() if k not in ("proceeds", "disposal_costs")}
    response = post(COMPENSATION, {**body, "fund_cap_per_loan": None})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "advance": "400000.00",
        "proceeds": None,
        "loss": None,
        "shares": None,
        "settlement": None,
    }
    after = post(COMPENSATION, {**body, "mode": "after_disposal"})
    assert after.json()["advance"] == "0.00"


def test_shares_not_summing_to_one_are_a_422_naming_shares_seed000() -> None:
    shares = {**CASE["shares"], "insurer": "0.09"}
    response = post(COMPENSATION, {**CASE, "shares": shares})
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"], body["total"]) == ("shares_sum_invalid", "shares", "0.99")
    assert "0.99" in body["detail"]
    english = post(COMPENSATION, {**CASE, "shares": shares}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["detail"].startswith("The shares must sum to exactly 1")


def test_disposal_costs_without_proceeds_are_a_422_naming_them() -> None:
    body = {k: v for k, v in CASE.items() if k != "proceeds"}
    response = post(COMPENSATION, body)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (
        "proceeds_required",
        "disposal_costs",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("principal", "1000000.001"),  # three decimals
        ("principal", 1000000),  # a JSON number, not a string
        ("principal", "-1.00"),
        ("principal", " 1.00"),
        ("fund_balance", "10000000000000.00"),  # above MAX_AMOUNT
        ("fund_balance", "1,000.00"),
        ("mode", "upfront"),
        ("interest", None),  # required
        ("shares", {"fund": "0.4", "bank": "0.6", "guarantor": "0"}),  # insurer missing
        ("shares", {"fund": "1.5", "bank": "0", "guarantor": "0", "insurer": "0"}),
        ("shares", {"fund": 0.4, "bank": "0.6", "guarantor": "0", "insurer": "0"}),
        ("shares", {"fund": "0.00000000001", "bank": "1", "guarantor": "0", "insurer": "0"}),
    ],
)
def test_what_the_schema_refuses_is_a_422_invalid_input(field: str, value: Any) -> None:
    response = post(COMPENSATION, {**CASE, field: value})
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_input"
    assert field in str(response.json()["detail"])


def test_ten_decimals_and_the_largest_amount_are_accepted() -> None:
    shares = {"fund": "0.0000000001", "bank": "0.9999999999", "guarantor": "0", "insurer": "1.0"}
    refused = post(COMPENSATION, {**CASE, "shares": shares})  # sums to 2
    assert (refused.status_code, refused.json()["code"]) == (422, "shares_sum_invalid")
    shares["insurer"] = "0.0000000000"
    response = post(
        COMPENSATION,
        {**CASE, "shares": shares, "principal": "9999999999999.99", "fund_cap_per_loan": None},
    )
    assert response.status_code == 200, response.content
    assert response.json()["advance"] == "1000.00"  # 1e-10 × 9,999,999,999,999.99 = 999.99…


# --- NPL tolerance ------------------------------------------------------------------------------


def test_npl_tolerance_at_the_limit_is_tolerated_seed000_minfadian_art1259() -> None:
    response = post(NPL, BANK)
    assert response.status_code == 200, response.content
    assert response.json() == {"ip_npl_ratio": "0.050000", "limit": "0.050000", "tolerated": True}


def test_npl_tolerance_a_hair_above_the_limit_is_not_tolerated_seed000() -> None:
    # 15,000,000.01 ÷ 300,000,000.00 shows as 0.050000 and is above 0.05.
    response = post(NPL, {**BANK, "ip_npl_balance": "15000000.01", "ip_balance": "300000000.00"})
    assert response.json() == {"ip_npl_ratio": "0.050000", "limit": "0.050000", "tolerated": False}


def test_npl_tolerance_without_ip_pledge_loans_is_a_ratio_of_zero() -> None:
    response = post(NPL, {"ip_npl_balance": "0", "ip_balance": "0", "bank_npl_ratio": "0.0162"})
    assert response.json() == {"ip_npl_ratio": "0.000000", "limit": "0.046200", "tolerated": True}


def test_npl_above_the_balance_is_a_422_naming_ip_npl_balance() -> None:
    response = post(NPL, {**BANK, "ip_npl_balance": "100000000.01"})
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (
        "npl_above_balance",
        "ip_npl_balance",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bank_npl_ratio", "1.01"),
        ("bank_npl_ratio", "-0.01"),
        ("bank_npl_ratio", 0.02),
        ("bank_npl_ratio", "0.01234567891"),
        ("bank_npl_ratio", "2%"),
        ("ip_balance", "1e9"),
        ("ip_npl_balance", ""),
    ],
)
def test_npl_inputs_the_schema_refuses_are_a_422(field: str, value: Any) -> None:
    response = post(NPL, {**BANK, field: value})
    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")
    assert field in str(response.json()["detail"])


# --- public, rate-limited, documented -------------------------------------------------------------


def test_a_bad_token_is_a_401_even_on_the_calculators() -> None:
    for path, body in ((COMPENSATION, CASE), (NPL, BANK)):
        response = post(path, body, HTTP_AUTHORIZATION="Bearer not-a-token")
        assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_anonymous_callers_share_the_calculators_rate_limit(
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    api_client: Callable[..., Any],
    bank_a_user: User,
) -> None:
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_000_020.0)  # the start of a minute
    settings.IPFIN_ANON_CALCULATOR_RATE = "2/m"
    anonymous = Client(REMOTE_ADDR="192.0.2.20")
    assert post(COMPENSATION, CASE, anonymous).status_code == 200
    assert post(NPL, BANK, anonymous).status_code == 200
    refused = post(COMPENSATION, CASE, anonymous)
    assert (refused.status_code, refused.json()["code"], refused["Retry-After"]) == (
        429,
        "rate_limited",
        "60",
    )
    assert post(NPL, BANK, anonymous).status_code == 429
    assert post("/api/v1/schedules/preview", {}, anonymous).status_code == 429  # one count
    # A caller with a token is not counted.
    bank = api_client(bank_a_user)
    for _ in range(3):
        assert bank.post_json(NPL, BANK).status_code == 200


def test_the_document_declares_them_public_with_every_status_and_the_bounds(
    api_client: Callable[..., Any],
) -> None:
    document = api_client().get("/api/schema").json()
    for path in (COMPENSATION, NPL):
        operation = document["paths"][path]["post"]
        assert "security" not in operation, path
        assert set(operation["responses"]) == {"200", "401", "403", "413", "422", "429"}, path
        assert "Retry-After" in operation["responses"]["429"]["headers"]
    schemas = document["components"]["schemas"]
    money = schemas["CompensationPreviewIn"]["properties"]["principal"]
    assert (money["type"], money["pattern"], money["maxLength"]) == ("string", MONEY_PATTERN, 16)
    share = schemas["CompensationSharesIn"]["properties"]["fund"]
    assert (share["pattern"], share["maxLength"]) == (RATIO_PATTERN, 12)
    ratio = schemas["NplTolerancePreviewIn"]["properties"]["bank_npl_ratio"]
    assert (ratio["pattern"], ratio["maxLength"]) == (RATIO_PATTERN, 12)
    assert schemas["CompensationMode"]["enum"] == ["after_disposal", "front_loaded"]
