"""POST /api/v1/abs/waterfall/preview over the real HTTP stack (issue 16, "the sequential-pay
waterfall, also a calculator"): the worked example of test_waterfall.py as money strings, the
refusals naming their field, open to anyone, documented with its bounds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ipfin.accounts.models import User
from ipfin.securitisation.services import MAX_PERIODS, MAX_TRANCHES

pytestmark = pytest.mark.django_db
PREVIEW = "/api/v1/abs/waterfall/preview"
BODY = {
    "collections": ["300.00", "15.00", "5.00", "1300.00"],
    "senior_fees": "10.00",
    "tranches": [
        {"name": "优先A", "balance": "1000.00", "rate": "0.01"},
        {"name": "次级B", "balance": "500.00", "rate": "0.02"},
    ],
}


def post(data: Any, client: Client | None = None, **extra: Any) -> Any:
    return (client or Client()).post(PREVIEW, data, content_type="application/json", **extra)


def test_the_worked_example_as_money_strings_issue16() -> None:
    response = post(BODY)
    assert response.status_code == 200, response.content
    got = response.json()
    assert got["periods"][1] == {
        "n": 2,
        "collection": "15.00",
        "fees": "10.00",
        "interest": {"优先A": "5.00", "次级B": "0.00"},
        "principal": {"优先A": "0.00", "次级B": "0.00"},
        "shortfall": {"优先A": "2.30", "次级B": "10.00"},
        "residual": "0.00",
    }
    assert got["periods"][3] == {
        "n": 4,
        "collection": "1300.00",
        "fees": "15.00",
        "interest": {"优先A": "16.90", "次级B": "30.00"},
        "principal": {"优先A": "730.00", "次级B": "500.00"},
        "shortfall": {"优先A": "0.00", "次级B": "0.00"},
        "residual": "8.10",
    }
    assert got["final"] == {
        "优先A": {"balance": "0.00", "interest_shortfall": "0.00"},
        "次级B": {"balance": "0.00", "interest_shortfall": "0.00"},
    }
    assert got["fees_unpaid"] == "0.00"


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"tranches": [{"name": "A", "balance": "1.00", "rate": "1.5"}]}, None, "rate"),
        ({"tranches": [{"name": "A", "balance": "1.00", "rate": "-0.1"}]}, None, "rate"),
        ({"tranches": [{"name": "A", "balance": "1.005", "rate": "0.1"}]}, None, "balance"),
        ({"collections": ["1.00", "abc"]}, None, "collections"),
        ({"collections": []}, None, "collections"),
        ({"senior_fees": "1,000.00"}, None, "senior_fees"),
        (
            {"tranches": [{"name": "A", "balance": "1", "rate": "0"}] * 2},
            "tranche_name_repeated",
            "tranches[1].name",
        ),
        (
            {"tranches": [{"name": "  ", "balance": "1", "rate": "0"}]},
            "tranche_name_invalid",
            "tranches[0].name",
        ),
        (
            {"collections": ["99999999999999.99"]},  # 14 digits: refused by the schema
            None,
            "collections",
        ),
    ],
)
def test_a_bad_field_is_a_422_naming_it(
    change: dict[str, Any], code: str | None, field: str
) -> None:
    response = post({**BODY, **change})
    assert response.status_code == 422, response.content
    got = response.json()
    if code is None:
        assert got["code"] == "invalid_input"
        assert field in str(got["detail"]) or field in str(got.get("field"))
    else:
        assert (got["code"], got["field"]) == (code, field)


def test_the_bounds_are_answered_at_the_bounds() -> None:
    tranches = [{"name": f"T{i}", "balance": "100.00", "rate": "0.0000000001"} for i in range(20)]
    data = {
        "collections": ["9999999999999.99"] * MAX_PERIODS,
        "senior_fees": "0",
        "tranches": tranches,
    }
    got = post(data).json()
    assert len(got["periods"]) == MAX_PERIODS and len(got["final"]) == MAX_TRANCHES
    assert post({**data, "collections": ["1.00"] * (MAX_PERIODS + 1)}).status_code == 422
    assert post({**data, "tranches": [*tranches, {**tranches[0], "name": "X"}]}).status_code == 422


def test_anyone_may_call_it_and_it_is_documented_public(
    api_client: Callable[..., Any], bank_a_user: User
) -> None:
    assert api_client(bank_a_user).post_json(PREVIEW, BODY).status_code == 200
    refused = post(BODY, HTTP_AUTHORIZATION="Bearer not-a-token")
    assert refused.status_code == 401
    document = api_client().get("/api/schema").json()
    operation = document["paths"][PREVIEW]["post"]
    assert "security" not in operation
    assert set(operation["responses"]) == {"200", "401", "403", "413", "422", "429"}
    request = document["components"]["schemas"]["WaterfallPreviewIn"]["properties"]
    assert (request["collections"]["minItems"], request["collections"]["maxItems"]) == (
        1,
        MAX_PERIODS,
    )
    assert (request["tranches"]["minItems"], request["tranches"]["maxItems"]) == (1, MAX_TRANCHES)
    assert "pattern" in request["collections"]["items"]
