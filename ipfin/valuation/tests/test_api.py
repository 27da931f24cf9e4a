"""The valuation API over the real HTTP stack: the preview's hand-computed values, its 422s, the
agency and bank flows (create → issue → recheck), tenancy, the public score and the credit score."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.registry.models import Right
from ipfin.valuation.models import Valuation
from ipfin.valuation.tests.conftest import APPRAISERS, INCOME_VALUE

# The two appraisers who sign an agency's report when it is issued (资产评估法 art. 26).
SIGNED = {"appraisers": APPRAISERS}

PREVIEW = "/api/v1/valuations/preview"
MILLION = "1000000"


def _income(**kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "method": "income",
        "revenues": [MILLION] * 5,
        "share_rate": "0.25",
        "share_decay": "0",
        "tax_rate": "0.25",
        "discount_rate": "0.10",
        "life_years": "5",
        "mid_year": False,
    }
    body.update(kw)
    return body


def _comparable(**kw: Any) -> dict[str, Any]:
    item = {
        "price": "900000",
        "technical": "1",
        "economic": "1",
        "remaining_life_ratio": "1",
        "time": "1",
        "weight": "1",
    }
    item.update(kw)
    return item


# --- preview: values -----------------------------------------------------------------------------


def test_preview_income_whole_years(public: Any) -> None:
    response = public.post_json(PREVIEW, _income())
    assert response.status_code == 200, response.json()
    data = response.json()
    # Each year: 1,000,000 × 0.25 × (1 − 0.25) = 187,500.
    # Σ 1/1.1^t (t = 1..5) = 3.790786769...; 187,500 × 3.790786769 = 710,772.519 → 710,772.52.
    assert data["method"] == "income"
    assert data["value"] == INCOME_VALUE == "710772.52"
    assert [y["t"] for y in data["years"]] == [1, 2, 3, 4, 5]
    assert data["years"][0]["income_after_tax"] == "187500.00"
    # 187,500 / 1.1 = 170,454.545... → 170,454.55
    assert data["years"][0]["present_value"] == "170454.55"
    assert data["monte_carlo"] is None


def test_preview_income_fractional_life_end_of_year(public: Any) -> None:
    response = public.post_json(PREVIEW, _income(life_years="4.5"))
    assert response.status_code == 200, response.json()
    data = response.json()
    # Years 1-4: 187,500 each; year 5 counts half: 93,750, discounted at t = 5.
    # 187,500 × (0.909090909 + 0.826446281 + 0.751314801 + 0.683013455) = 594,356.93...
    # + 93,750 × 0.620921323 = 58,211.37...  →  652,561.1452 → 652,561.15
    assert data["value"] == "652561.15"
    fifth = data["years"][4]
    assert fifth["fraction"] == "0.5000"
    assert fifth["discount_time"] == "5.0"
    assert fifth["income_after_tax"] == "93750.00"


def test_preview_income_fractional_life_mid_year(public: Any) -> None:
    response = public.post_json(PREVIEW, _income(life_years="4.5", mid_year=True))
    assert response.status_code == 200, response.json()
    data = response.json()
    # Mid-year: every year at t − ½, i.e. each factor × √1.1 = 1.048808848.
    # 652,561.1452 × 1.048808848 = 684,411.903 → 684,411.90 (the fifth year at t = 4.5).
    assert data["value"] == "684411.90"
    assert [y["discount_time"] for y in data["years"]] == ["0.5", "1.5", "2.5", "3.5", "4.5"]


def test_preview_income_share_decay(public: Any) -> None:
    response = public.post_json(
        PREVIEW, _income(revenues=[MILLION] * 3, life_years="3", share_decay="0.1")
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    # K_t = 0.25 × 0.9^(t−1): 0.25, 0.225, 0.2025; × 1,000,000 × 0.75:
    # 187,500/1.1 + 168,750/1.21 + 151,875/1.331 = 170,454.545 + 139,462.810 + 114,105.935
    # = 424,023.29
    assert data["value"] == "424023.29"
    assert [y["share_rate"] for y in data["years"]] == ["0.250000", "0.225000", "0.202500"]


def test_preview_income_discount_rate_built_up(public: Any) -> None:
    body = _income(discount_rate=None)
    body["discount_rate_parts"] = {
        "risk_free": "0.03",
        "technology": "0.03",
        "market": "0.02",
        "management": "0.01",
        "legal": "0.01",
    }
    response = public.post_json(PREVIEW, body)
    assert response.status_code == 200, response.json()
    data = response.json()
    # r = 0.03 + 0.03 + 0.02 + 0.01 + 0.01 = 0.10: the same value as r given directly.
    assert data["value"] == INCOME_VALUE
    assert data["discount_rate"] == "0.100000"
    assert [p["name"] for p in data["discount_rate_parts"]] == [
        "risk_free", "technology", "market", "management", "legal"
    ]  # fmt: skip


def test_preview_income_monte_carlo_is_seeded_and_ordered(public: Any) -> None:
    body = _income()
    body["monte_carlo"] = {
        "share_rate": {"low": "0.20", "high": "0.30"},
        "discount_rate": {"low": "0.08", "high": "0.12"},
        "growth": {"low": "-0.05", "high": "0.05"},
        "draws": 2000,
        "seed": 7,
    }
    first = public.post_json(PREVIEW, body).json()
    again = public.post_json(PREVIEW, body).json()
    mc = first["monte_carlo"]
    assert mc == again["monte_carlo"]
    assert mc["draws"] == 2000 and mc["seed"] == 7
    assert Decimal(mc["p10"]) < Decimal(mc["p50"]) < Decimal(mc["p90"])
    # The point estimate lies inside the P10-P90 range of ranges centred on it.
    assert Decimal(mc["p10"]) < Decimal(first["value"]) < Decimal(mc["p90"])


def test_preview_cost(public: Any) -> None:
    body = {
        "method": "cost",
        "cost": "2000000",
        "profit_rate": "0.15",
        "used_years": "4",
        "remaining_years": "6",
        "obsolescence": "0.10",
    }
    response = public.post_json(PREVIEW, body)
    assert response.status_code == 200, response.json()
    data = response.json()
    # 2,000,000 × 1.15 × 6/(4 + 6) × (1 − 0.10) = 2,300,000 × 0.6 × 0.9 = 1,242,000.00
    assert data["value"] == "1242000.00"
    assert data["replacement_cost"] == "2300000.00"
    assert data["newness_rate"] == "0.600000"


def test_preview_market(public: Any) -> None:
    body = {
        "method": "market",
        "comparables": [
            _comparable(
                price="1200000",
                technical="1.10",
                economic="0.95",
                remaining_life_ratio="0.8",
                time="1.05",
                weight="3",
            ),
            _comparable(price="900000", weight="1"),
        ],
    }
    response = public.post_json(PREVIEW, body)
    assert response.status_code == 200, response.json()
    data = response.json()
    # P'_1 = 1,200,000 × 1.10 × 0.95 × 0.8 × 1.05 = 1,053,360; P'_2 = 900,000.
    # V = (3 × 1,053,360 + 1 × 900,000) / (3 + 1) = 4,060,080 / 4 = 1,015,020.00
    assert data["value"] == "1015020.00"
    assert [c["adjusted_price"] for c in data["comparables"]] == ["1053360.00", "900000.00"]
    assert [c["normalised_weight"] for c in data["comparables"]] == ["0.750000", "0.250000"]


def test_preview_accepts_json_numbers(public: Any) -> None:
    body = _income(revenues=[1000000] * 5, share_rate=0.25, tax_rate=0.25, discount_rate=0.1)
    response = public.post_json(PREVIEW, body)
    assert response.status_code == 200, response.json()
    assert response.json()["value"] == INCOME_VALUE


# --- preview: refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_income(life_years="-1", revenues=[]), "life_years"),
        (_income(life_years="0", revenues=[]), "life_years"),
        (_income(discount_rate="-1"), "discount_rate"),
        (_income(discount_rate="-1.5"), "discount_rate"),
        (_income(share_rate="1.2"), "share_rate"),
        (_income(revenues=[MILLION] * 4), "revenues"),
        (_income(revenues=[MILLION] * 4 + ["-1"]), "revenues[4]"),
        (_income(share_rate="abc"), "share_rate"),
        (_income(share_rate="1e5"), "share_rate"),
        (_income(share_rate="NaN"), "share_rate"),
        (_income(share_rate=[1]), "share_rate"),
        (_income(share_rate=None), "share_rate"),
        (_income(life_years="1" + "0" * 20), "life_years"),
        (
            {
                "method": "cost",
                "cost": "1",
                "profit_rate": "0.1",
                "used_years": "-1",
                "remaining_years": "5",
            },
            "used_years",
        ),
        (
            {"method": "market", "comparables": [_comparable(), _comparable(weight="0")]},
            "comparables[1].weight",
        ),
        ({"method": "market", "comparables": [_comparable(weight="-2")]}, "comparables[0].weight"),
        ({"method": "market", "comparables": []}, "comparables"),
        ({"method": "market", "comparables": "x"}, "comparables"),
        ({"method": "appraisal"}, "method"),
        ({"method": 5}, "method"),
    ],
)
def test_preview_impossible_inputs_are_422_naming_the_field(
    public: Any, body: dict[str, Any], field: str
) -> None:
    response = public.post_json(PREVIEW, body)
    assert response.status_code == 422, response.json()
    data = response.json()
    assert data["code"] == "valuation_input"
    assert data["field"] == field
    assert isinstance(data["detail"], str) and data["detail"]


def test_preview_error_in_english(public: Any) -> None:
    response = public.post_json(PREVIEW, _income(life_years="-1"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert "life" in response.json()["detail"]


def test_preview_discount_rate_disagreeing_with_its_parts(public: Any) -> None:
    body = _income(discount_rate="0.12")
    body["discount_rate_parts"] = {"risk_free": "0.03", "technology": "0.07"}
    response = public.post_json(PREVIEW, body)
    assert response.status_code == 422
    assert response.json()["field"] == "discount_rate"


def test_preview_result_beyond_any_amount_is_422_not_500(public: Any) -> None:
    # 50 years of 10^14 yuan, all of it the right's, untaxed, undiscounted: 5 × 10^15 yuan.
    body = _income(
        revenues=[str(10**14)] * 50,
        life_years="50",
        discount_rate="0",
        share_rate="1",
        tax_rate="0",
    )
    response = public.post_json(PREVIEW, body)
    assert response.status_code == 422, response.json()
    assert response.json()["code"] == "valuation_input"


# --- valuations: the agency and bank flows -------------------------------------------------------


def _create(client: Any, right: Right, **kw: Any) -> Any:
    body: dict[str, Any] = {
        "rights": [right.number],
        "method": "income",
        "inputs": {k: v for k, v in _income().items() if k != "method"},
    }
    body.update(kw)
    return client.post_json("/api/v1/valuations", body)


def test_agency_flow_create_issue_and_bank_recheck_flags(
    agency_api: Any,
    bank_a_api: Any,
    bank_a: Organisation,
    make_right: Callable[..., Right],
) -> None:
    right = make_right()
    created = _create(agency_api, right, client_bank_uscc=bank_a.uscc)
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["state"] == "draft"
    assert data["value"] == INCOME_VALUE
    assert data["client_bank"]["id"] == bank_a.pk
    assert [r["number"] for r in data["rights"]] == [right.number]
    assert data["inputs"]["share_rate"] == "0.25"
    assert len(data["result"]["years"]) == 5
    valuation_id = data["id"]

    # The client bank sees the draft (it was named), but cannot issue it.
    assert bank_a_api.get(f"/api/v1/valuations/{valuation_id}").status_code == 200
    assert bank_a_api.post_json(f"/api/v1/valuations/{valuation_id}/issue").status_code == 404
    # Recheck needs an issued report.
    assert bank_a_api.post_json(f"/api/v1/valuations/{valuation_id}/recheck").status_code == 409

    issued = agency_api.post_json(f"/api/v1/valuations/{valuation_id}/issue", SIGNED)
    assert issued.status_code == 200, issued.json()
    assert issued.json()["state"] == "issued" and issued.json()["issued_at"]
    # The maker cannot recheck its own report.
    assert agency_api.post_json(f"/api/v1/valuations/{valuation_id}/recheck").status_code == 403

    # The bank has no value of its own for the right (no figure given, no bank_internal
    # valuation of it): a 422 naming the right; nothing changes.
    url = f"/api/v1/valuations/{valuation_id}/recheck"
    for refused in (
        bank_a_api.generic("POST", url),  # no body at all
        bank_a_api.post_json(url, {"reference_values": None}),
    ):
        assert refused.status_code == 422, refused.json()
        assert refused.json()["code"] == "recheck_needs_bank_value"
        assert refused.json()["field"] == "reference_values"
        assert refused.json()["right"] == right.number
    unchanged = bank_a_api.get(f"/api/v1/valuations/{valuation_id}").json()
    assert unchanged["state"] == "issued" and unchanged["internal_value"] is None
    assert not AuditRecord.objects.filter(action="valuation.recheck").exists()

    # The bank's own value of the right: 300,000 (as its internal model takes it).
    rechecked = bank_a_api.post_json(url, {"reference_values": {right.number: "300000"}})
    assert rechecked.status_code == 200, rechecked.json()
    data = rechecked.json()
    # Deviation |710,772.52 − 300,000| / 300,000 = 410,772.52 / 300,000 = 1.3692417 > 0.30:
    # the report is far above the bank's own value → flagged.
    assert data["state"] == "rechecked"
    assert data["internal_value"] == "300000.00"
    assert Decimal(data["deviation"]) == Decimal("1.369242")
    assert data["threshold"] == "0.300000"
    assert data["flagged"] is True
    assert data["rights"][0]["reference_value"] == "300000.00"
    # Collateral (information): default model, unscored: 300,000 × (1 − 0.20) × 0.5 = 120,000.00.
    assert data["rights"][0]["internal_value"] == "120000.00"
    assert data["recheck"]["basis"] == "given"
    assert data["recheck"]["collateral_value"] == "120000.00"
    assert data["recheck"]["max_loan_amount"] == "60000.00"  # 120,000 × 0.50
    # Done once: a second recheck is a conflict.
    assert bank_a_api.post_json(url).status_code == 409
    assert AuditRecord.objects.filter(action="valuation.recheck").count() == 1


def test_recheck_of_a_fair_report_with_the_figure_as_a_json_number(
    agency_api: Any, bank_a_api: Any, bank_a: Organisation, make_right: Callable[..., Right]
) -> None:
    right = make_right()
    created = _create(agency_api, right, client_bank_uscc=bank_a.uscc).json()
    agency_api.post_json(f"/api/v1/valuations/{created['id']}/issue", SIGNED)
    response = bank_a_api.post_json(
        f"/api/v1/valuations/{created['id']}/recheck",
        {"reference_values": {right.number: 700000}},
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    # |710,772.52 − 700,000| / 700,000 = 10,772.52 / 700,000 = 0.0153893 ≤ 0.30: not flagged.
    assert data["internal_value"] == "700000.00"
    assert data["deviation"] == "0.015389"
    assert data["flagged"] is False


def test_recheck_refuses_a_figure_that_is_not_an_amount(
    agency_api: Any, bank_a_api: Any, bank_a: Organisation, make_right: Callable[..., Right]
) -> None:
    right = make_right()
    created = _create(agency_api, right, client_bank_uscc=bank_a.uscc).json()
    agency_api.post_json(f"/api/v1/valuations/{created['id']}/issue", SIGNED)
    url = f"/api/v1/valuations/{created['id']}/recheck"
    bad = bank_a_api.post_json(url, {"reference_values": {right.number: "lots"}})
    assert bad.status_code == 422
    assert bad.json()["field"] == f"reference_values.{right.number}"
    zero = bank_a_api.post_json(url, {"reference_values": {right.number: "0"}})
    assert zero.status_code == 422 and zero.json()["code"] == "recheck_bank_value_zero"
    assert Valuation.objects.get(pk=created["id"]).state == "issued"


def test_bank_flow_own_model_internal_valuation_and_recheck_within_threshold(
    agency_api: Any,
    bank_a_api: Any,
    bank_a: Organisation,
    make_right: Callable[..., Right],
) -> None:
    right = make_right()
    # The bank sets its model: no haircut on inventions, no score cut, threshold 15%.
    model = bank_a_api.put(
        "/api/v1/valuations/bank-model",
        {"haircuts": {"invention": "0"}, "score_floor": "1", "recheck_threshold": "0.15"},
        content_type="application/json",
        HTTP_IF_MATCH='"0"',
    )
    assert model.status_code == 200, model.json()
    assert model.json()["haircuts"]["invention"] == "0"

    # Its own internal valuation for a small loan.
    internal = bank_a_api.post_json(
        "/api/v1/valuations",
        {
            "rights": [right.number],
            "method": "bank_internal",
            "inputs": {"reference_values": {right.number: "800000"}, "loan_amount": "300000"},
        },
    )
    assert internal.status_code == 201, internal.json()
    # 800,000 × (1 − 0) × max(1, ·) = 800,000; max loan at the first product's rate 0.50.
    assert internal.json()["value"] == "800000.00"
    assert internal.json()["result"]["max_loan_amount"] == "400000.00"
    # A loan above 10 million yuan needs an external report. (This once refused 10,000,000 itself;
    # seed 000's 1000万元以下 includes the figure, 民法典 art. 1259: one fen more is refused.)
    refused = bank_a_api.post_json(
        "/api/v1/valuations",
        {
            "rights": [right.number],
            "method": "bank_internal",
            "inputs": {
                "reference_values": {right.number: "800000"},
                "loan_amount": "10000000.01",
            },
        },
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "internal_valuation_not_allowed"

    # An agency's report for the bank, rechecked with no body: the bank's own figure comes from
    # its internal valuation above (800,000). |710,772.52 − 800,000| / 800,000 = 89,227.48 /
    # 800,000 = 0.1115344 ≤ 0.15: not flagged.
    created = _create(agency_api, right, client_bank_uscc=bank_a.uscc).json()
    agency_api.post_json(f"/api/v1/valuations/{created['id']}/issue", SIGNED)
    rechecked = bank_a_api.generic("POST", f"/api/v1/valuations/{created['id']}/recheck")
    assert rechecked.status_code == 200, rechecked.json()
    data = rechecked.json()
    assert data["internal_value"] == "800000.00"
    assert data["deviation"] == "0.111534"
    assert data["threshold"] == "0.150000"
    assert data["flagged"] is False
    assert data["recheck"]["basis"] == f"bank_internal #{internal.json()['id']}"
    # Collateral with this model: 800,000 × 1 × 1 = 800,000; max loan 400,000 as above.
    assert data["recheck"]["collateral_value"] == "800000.00"
    assert data["recheck"]["max_loan_amount"] == "400000.00"


def test_bank_values_and_issues_its_own_report(
    bank_a_api: Any, make_right: Callable[..., Right]
) -> None:
    right = make_right()
    created = _create(bank_a_api, right)
    assert created.status_code == 201
    issued = bank_a_api.post_json(f"/api/v1/valuations/{created.json()['id']}/issue")
    assert issued.status_code == 200 and issued.json()["state"] == "issued"


def test_create_needs_login_and_the_permission(
    public: Any,
    api_client: Callable[..., Any],
    enterprise_a_user: User,
    make_right: Callable[..., Right],
) -> None:
    right = make_right()
    assert _create(public, right).status_code == 401
    denied = _create(api_client(enterprise_a_user), right)
    assert denied.status_code == 403
    assert Valuation.objects.count() == 0


def test_create_life_beyond_the_legal_term_is_422(
    agency_api: Any, make_right: Callable[..., Right]
) -> None:
    # An invention filed three years ago has about 17 years left: 18 years of income is too long.
    right = make_right()
    inputs = {k: v for k, v in _income(revenues=[MILLION] * 18, life_years="18").items()}
    inputs.pop("method")
    response = _create(agency_api, right, inputs=inputs)
    assert response.status_code == 422, response.json()
    assert response.json()["field"] == "life_years"
    assert Valuation.objects.count() == 0


def test_create_unknown_right_and_unknown_client_bank(
    agency_api: Any, make_right: Callable[..., Right]
) -> None:
    right = make_right()
    unknown = agency_api.post_json(
        "/api/v1/valuations",
        {"rights": ["2099100000001.9"], "method": "cost", "inputs": {}},
    )
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "right_not_found"
    bad_bank = _create(agency_api, right, client_bank_uscc="91110000000000000X")
    assert bad_bank.status_code == 422
    assert Valuation.objects.count() == 0


# --- tenancy -------------------------------------------------------------------------------------


def test_tenancy_other_bank_gets_404_the_office_sees_all_the_regulator_through_a_case(
    bank_a_api: Any,
    bank_b_api: Any,
    api_client: Callable[..., Any],
    examiner: User,
    regulator_user: User,
    bank_a: Organisation,
    open_case: Callable[[Organisation], Any],
    make_right: Callable[..., Right],
) -> None:
    right = make_right()
    valuation_id = _create(bank_a_api, right).json()["id"]
    assert bank_b_api.get(f"/api/v1/valuations/{valuation_id}").status_code == 404
    assert bank_b_api.post_json(f"/api/v1/valuations/{valuation_id}/issue").status_code == 404
    assert bank_b_api.post_json(f"/api/v1/valuations/{valuation_id}/recheck").status_code == 404
    assert (
        bank_b_api.post_json(
            f"/api/v1/valuations/{valuation_id}/recheck",
            {"reference_values": {right.number: "1"}},
        ).status_code
        == 404
    )
    assert bank_b_api.get("/api/v1/valuations").json() == []
    assert [v["id"] for v in bank_a_api.get("/api/v1/valuations").json()] == [valuation_id]
    regulator = api_client(regulator_user)
    assert regulator.get(f"/api/v1/valuations/{valuation_id}").status_code == 404
    assert regulator.get("/api/v1/valuations").json() == []
    open_case(bank_a)
    for supervisor in (examiner, regulator_user):
        client = api_client(supervisor)
        assert client.get(f"/api/v1/valuations/{valuation_id}").status_code == 200
        assert [v["id"] for v in client.get("/api/v1/valuations").json()] == [valuation_id]
    assert bank_a_api.get("/api/v1/valuations/999999").status_code == 404


def test_list_filters_by_state_and_refuses_unknown_states(
    bank_a_api: Any, make_right: Callable[..., Right]
) -> None:
    right = make_right()
    _create(bank_a_api, right)
    assert len(bank_a_api.get("/api/v1/valuations?state=draft").json()) == 1
    assert bank_a_api.get("/api/v1/valuations?state=issued").json() == []
    assert bank_a_api.get("/api/v1/valuations?state=nope").status_code == 422


# --- the public score ----------------------------------------------------------------------------


def test_score_contributions_sum_to_the_score(
    public: Any, make_right: Callable[..., Right], settings: Any
) -> None:
    settings.IPFIN_SCORE_MIN_COHORT = 2
    right = make_right(ipc_main="G06F16/33", ipc_codes="G06F16/33;H04L9/00")
    make_right(ipc_main="G06F17/00")  # a peer in the same cohort
    response = public.get(f"/api/v1/rights/{right.number}/score")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["number"] == right.number
    assert data["stored"] is False
    assert data["cohort"]["tech_field"] == "G06F" and data["cohort"]["size"] == 2
    assert data["cohort"]["basis"] == "subclass_year" and data["cohort"]["kind"] == "invention"
    year = right.filing_date.year
    assert data["cohort"]["filing_years"] == [year, year]
    assert data["grade_scale"]["calibrated"] is False  # no run yet: the fixed bounds
    assert data["share_below"] is None  # no run yet: no register to stand against
    assert len(data["contributions"]) == 20
    assert sum(c["points"] for c in data["contributions"]) == pytest.approx(data["score"])
    assert 0 <= data["score"] <= 100 and data["grade"] in {"A", "B", "C", "D"}
    breadth = next(c for c in data["contributions"] if c["name"] == "ipc_subclass_count")
    assert breadth["raw"] == 2.0  # G06F and H04L


def test_score_unknown_right_is_404(public: Any, db: Any) -> None:
    response = public.get("/api/v1/rights/2099100000001.9/score")
    assert response.status_code == 404
    assert response.json()["code"] == "right_not_found"


def test_score_weights_must_sum_to_one(public: Any, make_right: Callable[..., Right]) -> None:
    right = make_right()
    url = f"/api/v1/rights/{right.number}/score"
    refused = public.get(url + "?legal=0.5&technical=0.3&economic=0.3")
    assert refused.status_code == 422
    assert refused.json()["code"] == "valuation_input"
    assert refused.json()["field"] == "weights"
    assert public.get(url + "?legal=abc&technical=0.5&economic=0.5").status_code == 422
    accepted = public.get(url + "?legal=0.5&technical=0.25&economic=0.25")
    assert accepted.status_code == 200
    data = accepted.json()
    assert sum(c["points"] for c in data["contributions"]) == pytest.approx(data["score"])


def test_registry_right_routes_still_answer(public: Any, make_right: Callable[..., Right]) -> None:
    right = make_right()
    assert public.get(f"/api/v1/rights/{right.number}").status_code == 200
    assert public.get(f"/api/v1/rights/{right.number}/status").status_code == 200


# --- the credit score ----------------------------------------------------------------------------


def test_credit_score_enterprise_bank_and_others(
    api_client: Callable[..., Any],
    enterprise_a: Organisation,
    enterprise_a_user: User,
    bank_a_user: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    make_right: Callable[..., Right],
    submit: Callable[..., Any],
    bank_b_user: User,
    public: Any,
) -> None:
    right = make_right()  # an invention in force owned by enterprise_a
    submit([right])  # filed by bank_a for enterprise_a: bank_a's customer
    url = f"/api/v1/enterprises/{enterprise_a.uscc}/credit-score"
    own = api_client(enterprise_a_user)
    response = own.get(url)
    assert response.status_code == 200, response.json()
    data = response.json()
    ip = {f["factor"]: f for f in data["factors"] if f["group"] == "ip"}
    assert ip["valid_invention_count"]["value"] == "1"
    assert ip["valid_right_count"]["value"] == "1"
    assert data["total"] == sum(data["groups"].values())

    bank = api_client(bank_a_user)
    put = bank.put(
        url,
        {"credit_rating": "AA", "overdue_count_24m": 0, "revenue": "50000000.00"},
        content_type="application/json",
        HTTP_IF_MATCH='"0"',
    )
    assert put.status_code == 200, put.json()
    assert put.json()["profile"]["credit_rating"] == "AA"
    assert put.json()["profile"]["revenue"] == "50000000.00"
    assert put.json()["total"] > data["total"]
    assert AuditRecord.objects.filter(action="valuation.credit_profile_update").count() == 1

    # A bank the enterprise has no dealings with neither reads the score nor sets its facts: a
    # 404, as for another tenant's row (ipfin.accounts.permissions.customer_scope).
    stranger = api_client(bank_b_user)
    assert stranger.get(url).status_code == 404
    refused = stranger.put(
        url, {"credit_rating": "C"}, content_type="application/json", HTTP_IF_MATCH='"1"'
    )
    assert refused.status_code == 404
    assert AuditRecord.objects.filter(action="valuation.credit_profile_update").count() == 1

    bad = own.put(url, {"debt_ratio": "9"}, content_type="application/json", HTTP_IF_MATCH='"1"')
    assert bad.status_code == 422 and bad.json()["field"] == "debt_ratio"

    other = api_client(make_user("ent_b", make_org("enterprise", "乙公司")))
    assert other.get(url).status_code == 404
    assert (
        other.put(
            url, {"high_tech": True}, content_type="application/json", HTTP_IF_MATCH='"1"'
        ).status_code
        == 404
    )
    assert public.get(url).status_code == 401
    assert own.get("/api/v1/enterprises/91110000000000000X/credit-score").status_code in (404, 422)


def test_openapi_document_lists_the_valuation_endpoints(public: Any) -> None:
    response = public.get("/api/schema")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/valuations/preview",
        "/api/v1/valuations",
        "/api/v1/valuations/{valuation_id}/recheck",
        "/api/v1/rights/{number}/score",
        "/api/v1/enterprises/{uscc}/credit-score",
    ):
        assert path in paths, path
