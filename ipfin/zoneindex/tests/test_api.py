"""The demonstration-zone index (示范区指数) over the real HTTP stack: POST /index/preview answers
anyone (200) with the worked examples computed here by hand, refuses what the schema or the rule
refuses (422 naming the field), a bad token (401) and the anonymous caller past the calculators'
rate (429, one count with the other calculators); the document states it public, with every
status and the bounds the rule holds a request to.

Test names carry their source: `issue15` (issue 15, "the demonstration-zone index calculator";
seed 003 is not on disk, DOMAIN.md's glossary names the index)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ipfin.accounts import ratelimit
from ipfin.accounts.models import User
from ipfin.zoneindex.domain import (
    MAX_CODE_LENGTH,
    MAX_INDICATORS,
    MAX_ZONE_NAME_LENGTH,
    MAX_ZONES,
)

pytestmark = pytest.mark.django_db

PREVIEW = "/api/v1/index/preview"
NPL = "/api/v1/risk/npl-tolerance/preview"
BANK = {"ip_npl_balance": "5000000.00", "ip_balance": "100000000.00", "bank_npl_ratio": "0.02"}

# Three zones, two indicators: 专利质押融资额 (亿元, more is better) and 不良率 (%, less is better).
ZONES = [
    {"zone": "甲示范区", "values": {"pledge": 10, "npl": 3}},
    {"zone": "乙示范区", "values": {"pledge": 20, "npl": 1}},
    {"zone": "丙示范区", "values": {"pledge": 40, "npl": 2}},
]


def body(method: str = "minmax", weighting: str = "fixed", **kw: Any) -> dict[str, Any]:
    return {
        "method": method,
        "weighting": weighting,
        "indicators": [
            {"code": "pledge", "direction": "positive", "weight": 1},
            {"code": "npl", "direction": "negative", "weight": 3},
        ],
        "zones": ZONES,
        **kw,
    }


def post(data: Any, client: Client | None = None, **extra: Any) -> Any:
    payload = data if isinstance(data, str) else json.dumps(data)
    return (client or Client()).post(PREVIEW, payload, content_type="application/json", **extra)


def answer(data: dict[str, Any]) -> dict[str, Any]:
    response = post(data)
    assert response.status_code == 200, response.content
    result: dict[str, Any] = response.json()
    return result


def assert_index(
    got: dict[str, Any],
    weights: dict[str, float],
    expected: list[tuple[str, float, int, dict[str, float]]],
) -> None:
    """`got` equals (zone, score, rank, contributions) in this order, and the weights, to 1e-12."""
    assert list(got["weights"]) == list(weights)
    for code, w in weights.items():
        assert got["weights"][code] == pytest.approx(w, rel=0, abs=1e-12), code
    assert [(z["zone"], z["rank"]) for z in got["zones"]] == [(e[0], e[2]) for e in expected]
    for zone, (_, score, _, contributions) in zip(got["zones"], expected, strict=True):
        assert zone["score"] == pytest.approx(score, rel=0, abs=1e-12), zone["zone"]
        assert list(zone["contributions"]) == list(contributions)
        for code, c in contributions.items():
            assert zone["contributions"][code] == pytest.approx(c, rel=0, abs=1e-12), code


# --- the worked examples, by hand -----------------------------------------------------------------


def test_entropy_weights_match_a_worked_example_computed_by_hand_issue15() -> None:
    # minmax. pledge (positive) 10, 20, 40: min 10, max 40, span 30 → x' = 0, 10/30 = 1/3, 1.
    # npl (negative) 3, 1, 2: max 3, min 1, span 2 → x' = (3−3)/2 = 0, (3−1)/2 = 1, (3−2)/2 = 1/2.
    # p = x' / Σx': pledge Σ = 4/3 → p = 0, 1/4, 3/4; npl Σ = 3/2 → p = 0, 2/3, 1/3.
    # e = −(1/ln 3)·Σ p ln p, with 0·ln 0 = 0 for the first zone of each.
    e_pledge = -(1 / 4 * math.log(1 / 4) + 3 / 4 * math.log(3 / 4)) / math.log(3)
    e_npl = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)) / math.log(3)
    d_pledge, d_npl = 1 - e_pledge, 1 - e_npl  # ≈ 0.4881, ≈ 0.4206
    w_pledge = d_pledge / (d_pledge + d_npl)  # ≈ 0.5371
    w_npl = d_npl / (d_pledge + d_npl)  # ≈ 0.4629
    # contribution = 100·w·x'.
    jia = {"pledge": 0.0, "npl": 0.0}
    yi = {"pledge": 100 * w_pledge * (1 / 3), "npl": 100 * w_npl * 1}
    bing = {"pledge": 100 * w_pledge * 1, "npl": 100 * w_npl * (1 / 2)}
    # Scores ≈ 0, 64.19, 76.86: 丙 first, 乙 second, 甲 third. The weights given are ignored.
    assert_index(
        answer(body(weighting="entropy")),
        {"pledge": w_pledge, "npl": w_npl},
        [
            ("丙示范区", bing["pledge"] + bing["npl"], 1, bing),
            ("乙示范区", yi["pledge"] + yi["npl"], 2, yi),
            ("甲示范区", 0.0, 3, jia),
        ],
    )


def test_minmax_with_fixed_weights_matches_a_worked_example_computed_by_hand_issue15() -> None:
    # x' as above: pledge 0, 1/3, 1; npl 0, 1, 1/2. Weights 1 and 3 over their sum 4: 1/4, 3/4.
    # 甲: 0. 乙: 100·(1/4·1/3 + 3/4·1) = 100·(1/12 + 9/12) = 250/3 ≈ 83.33.
    # 丙: 100·(1/4·1 + 3/4·1/2) = 100·(2/8 + 3/8) = 62.5.
    assert_index(
        answer(body()),
        {"pledge": 1 / 4, "npl": 3 / 4},
        [
            ("乙示范区", 250 / 3, 1, {"pledge": 100 / 12, "npl": 75.0}),
            ("丙示范区", 62.5, 2, {"pledge": 25.0, "npl": 37.5}),
            ("甲示范区", 0.0, 3, {"pledge": 0.0, "npl": 0.0}),
        ],
    )


def test_zscore_matches_a_worked_example_computed_by_hand_issue15() -> None:
    # pledge 10, 20, 40: mean 70/3; deviations −40/3, −10/3, 50/3; population variance
    # (1600 + 100 + 2500)/9 / 3 = 1400/9, sd = 10·√14/3 → z = −4/√14, −1/√14, 5/√14.
    # npl 3, 1, 2: mean 2; deviations 1, −1, 0; variance 2/3, sd = √(2/3) → z = √(3/2), −√(3/2),
    # 0; negative, so flipped: −√(3/2), √(3/2), 0. Weights 1/4, 3/4 as above.
    r14, r32 = math.sqrt(14), math.sqrt(3 / 2)
    jia = {"pledge": 100 * (1 / 4) * (-4 / r14), "npl": 100 * (3 / 4) * -r32}
    yi = {"pledge": 100 * (1 / 4) * (-1 / r14), "npl": 100 * (3 / 4) * r32}
    bing = {"pledge": 100 * (1 / 4) * (5 / r14), "npl": 0.0}
    # Scores ≈ −118.58, 85.17, 33.41: 乙, 丙, 甲.
    assert_index(
        answer(body(method="zscore")),
        {"pledge": 1 / 4, "npl": 3 / 4},
        [
            ("乙示范区", yi["pledge"] + yi["npl"], 1, yi),
            ("丙示范区", bing["pledge"], 2, bing),
            ("甲示范区", jia["pledge"] + jia["npl"], 3, jia),
        ],
    )


def test_equal_scores_share_a_rank_one_two_two_four_issue15() -> None:
    zones = [{"zone": z, "values": {"v": v}} for z, v in (("A", 4), ("B", 2), ("C", 2), ("D", 1))]
    data = {
        "method": "minmax",
        "weighting": "fixed",
        "indicators": [{"code": "v", "direction": "positive", "weight": 0.5}],
        "zones": zones,
    }
    got = answer(data)
    assert [(z["zone"], z["rank"]) for z in got["zones"]] == [
        ("A", 1),
        ("B", 2),
        ("C", 2),
        ("D", 4),
    ]
    assert got["weights"] == {"v": 1.0}
    # 100 × w × x' with w = 1 and x' = (2 − 1)/(4 − 1) = 1/3: one and the same double for B and C.
    assert [z["score"] for z in got["zones"]] == [100.0, 100 * (1 / 3), 100 * (1 / 3), 0.0]


def test_one_zone_scores_zero_everywhere_issue15() -> None:
    got = answer(body(zones=ZONES[:1]))
    assert got["zones"] == [
        {"zone": "甲示范区", "score": 0.0, "rank": 1, "contributions": {"pledge": 0.0, "npl": 0.0}}
    ]


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"method": "zscore", "weighting": "entropy"}, "entropy_needs_minmax", "weighting"),
        ({"weighting": "entropy", "zones": ZONES[:1]}, "entropy_needs_two_zones", "zones"),
        ({"indicators": []}, "indicators_empty", "indicators"),
        ({"zones": []}, "zones_empty", "zones"),
        (
            {"indicators": [{"code": "pledge", "direction": "positive"}]},
            "weight_missing",
            "indicators[0].weight",
        ),
        (
            {"indicators": [{"code": "pledge", "direction": "positive", "weight": 0}]},
            "weight_not_positive",
            "indicators[0].weight",
        ),
        (
            {
                "indicators": [
                    {"code": "pledge", "direction": "positive", "weight": 1},
                    {"code": "pledge", "direction": "negative", "weight": 1},
                ]
            },
            "code_duplicate",
            "indicators[1].code",
        ),
        (
            {"indicators": [{"code": " ", "direction": "positive", "weight": 1}]},
            "code_empty",
            "indicators[0].code",
        ),
        (
            {"indicators": [{"code": "c" * 51, "direction": "positive", "weight": 1}]},
            "code_too_long",
            "indicators[0].code",
        ),
        ({"zones": [ZONES[0], ZONES[0]]}, "zone_duplicate", "zones[1].zone"),
        ({"zones": [{"zone": "", "values": {}}]}, "zone_name_empty", "zones[0].zone"),
        ({"zones": [{"zone": "区" * 101, "values": {}}]}, "zone_name_too_long", "zones[0].zone"),
        (
            {"zones": [*ZONES[:2], {"zone": "丁", "values": {"pledge": 1, "npl": 2, "rd": 3}}]},
            "value_unknown_code",
            "zones[2].values.rd",
        ),
        (
            {"zones": [*ZONES[:2], {"zone": "丁", "values": {"pledge": 1}}]},
            "value_missing",
            "zones[2].values.npl",
        ),
        (
            {"indicators": [{"code": f"c{j}", "direction": "positive"} for j in range(201)]},
            "indicators_too_many",
            "indicators",
        ),
        (
            {"zones": [{"zone": f"z{i}", "values": {}} for i in range(2001)]},
            "zones_too_many",
            "zones",
        ),
    ],
)
def test_a_rule_the_schema_cannot_state_is_a_422_naming_the_field_issue15(
    change: dict[str, Any], code: str, field: str
) -> None:
    response = post(body(**change))
    assert response.status_code == 422, response.content
    got = response.json()
    assert (got["code"], got["field"]) == (code, field)
    assert got["detail"]


def test_the_refusal_speaks_the_callers_language() -> None:
    data = body(zones=[ZONES[0], ZONES[0]])
    assert post(data).json()["detail"] == "示范区“甲示范区”重复（与第 1 个示范区同名）。"
    english = post(data, HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    assert english == "Zone '甲示范区' is given twice (also zones[0])."


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"pledge": NaN, "npl": 1}', "zones[0].values.pledge"),
        ('{"pledge": 1, "npl": Infinity}', "zones[0].values.npl"),
        ('{"pledge": 1e999, "npl": 1}', "zones[0].values.pledge"),  # read as an infinity
    ],
)
def test_a_number_that_is_not_finite_is_a_422_naming_it_issue15(text: str, field: str) -> None:
    data = json.dumps(body(zones=[{"zone": "甲", "values": {}}, *ZONES[1:]]))
    data = data.replace('"values": {}', f'"values": {text}')
    response = post(data)
    assert response.status_code == 422, response.content
    assert (response.json()["code"], response.json()["field"]) == ("number_not_finite", field)
    weight = json.dumps(body()).replace('"weight": 3', '"weight": NaN')
    refused = post(weight).json()
    assert (refused["code"], refused["field"]) == ("number_not_finite", "indicators[1].weight")


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"method": "rank"}, "method"),
        ({"weighting": "ahp"}, "weighting"),
        ({"indicators": [{"code": "pledge", "direction": "up", "weight": 1}]}, "direction"),
        ({"indicators": [{"code": "pledge", "direction": "positive", "weight": "1"}]}, "weight"),
        ({"zones": [{"zone": "甲", "values": {"pledge": "10", "npl": 1}}]}, "pledge"),
        ({"zones": [{"zone": "甲", "values": {"pledge": True, "npl": 1}}]}, "pledge"),
        ({"zones": [{"zone": "甲"}]}, "values"),
        ({"zones": None}, "zones"),
    ],
)
def test_what_the_schema_refuses_is_a_422_invalid_input(change: dict[str, Any], where: str) -> None:
    response = post(body(**change))
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_input"
    assert where in str(response.json()["detail"])


def test_the_bounds_are_answered_at_the_bounds_issue15() -> None:
    codes = [f"{j:0{MAX_CODE_LENGTH}d}" for j in range(MAX_INDICATORS)]
    wide = {
        "method": "zscore",
        "weighting": "fixed",
        "indicators": [{"code": c, "direction": "positive", "weight": 1} for c in codes],
        "zones": [{"zone": "区" * MAX_ZONE_NAME_LENGTH, "values": dict.fromkeys(codes, 1.5)}],
    }
    assert len(answer(wide)["weights"]) == MAX_INDICATORS
    long = {
        "method": "minmax",
        "weighting": "entropy",
        "indicators": [{"code": "v", "direction": "negative"}],
        "zones": [{"zone": f"z{i}", "values": {"v": i % 7}} for i in range(MAX_ZONES)],
    }
    got = answer(long)
    assert len(got["zones"]) == MAX_ZONES
    assert [z["rank"] for z in got["zones"][:2]] == [1, 1]  # every value 0 ranks first


# --- public, rate-limited, documented -------------------------------------------------------------


def test_anyone_may_call_it_and_a_bad_token_is_a_401(
    api_client: Callable[..., Any], bank_a_user: User
) -> None:
    assert post(body()).status_code == 200
    assert api_client(bank_a_user).post_json(PREVIEW, body()).status_code == 200
    refused = post(body(), HTTP_AUTHORIZATION="Bearer not-a-token")
    assert (refused.status_code, refused.json()["code"]) == (401, "not_authenticated")


def test_anonymous_callers_share_the_calculators_rate_limit(
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    api_client: Callable[..., Any],
    bank_a_user: User,
) -> None:
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_000_020.0)  # the start of a minute
    settings.IPFIN_ANON_CALCULATOR_RATE = "2/m"
    anonymous = Client(REMOTE_ADDR="192.0.2.30")
    assert post(body(), anonymous).status_code == 200
    assert anonymous.post(NPL, BANK, content_type="application/json").status_code == 200
    refused = post(body(), anonymous)
    assert (refused.status_code, refused.json()["code"], refused["Retry-After"]) == (
        429,
        "rate_limited",
        "60",
    )
    assert anonymous.post(NPL, BANK, content_type="application/json").status_code == 429
    # Refused before the body is read.
    assert post("{not json", anonymous).status_code == 429
    # Another address, and a caller with a token, are not counted with it.
    assert post(body(), Client(REMOTE_ADDR="192.0.2.31")).status_code == 200
    bank = api_client(bank_a_user)
    for _ in range(3):
        assert bank.post_json(PREVIEW, body()).status_code == 200


def test_the_document_declares_it_public_with_every_status_and_the_bounds_issue15(
    api_client: Callable[..., Any],
) -> None:
    document = api_client().get("/api/schema").json()
    operation = document["paths"][PREVIEW]["post"]
    assert "security" not in operation
    assert operation["tags"] == ["index"]
    assert set(operation["responses"]) == {"200", "401", "403", "413", "422", "429"}
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    assert "ignored" in operation["description"]
    schemas = document["components"]["schemas"]
    request = schemas["ZoneIndexPreviewIn"]["properties"]
    assert (request["indicators"]["minItems"], request["indicators"]["maxItems"]) == (
        1,
        MAX_INDICATORS,
    )
    assert (request["zones"]["minItems"], request["zones"]["maxItems"]) == (1, MAX_ZONES)
    code = schemas["ZoneIndexIndicatorIn"]["properties"]["code"]
    assert (code["minLength"], code["maxLength"]) == (1, MAX_CODE_LENGTH)
    zone = schemas["ZoneIndexZoneIn"]["properties"]["zone"]
    assert (zone["minLength"], zone["maxLength"]) == (1, MAX_ZONE_NAME_LENGTH)
    assert schemas["ZoneIndexZoneIn"]["properties"]["values"]["additionalProperties"] == {
        "type": "number"
    }
    weight = schemas["ZoneIndexIndicatorIn"]["properties"]["weight"]
    assert "ignored" in weight["description"]
    assert schemas["IndexMethod"]["enum"] == ["minmax", "zscore"]
    assert schemas["IndexWeighting"]["enum"] == ["fixed", "entropy"]
    assert schemas["IndicatorDirection"]["enum"] == ["positive", "negative"]
    out = schemas["ZoneIndexZoneOut"]["properties"]
    assert (out["score"]["type"], out["rank"]["type"]) == ("number", "integer")
