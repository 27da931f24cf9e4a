"""An expert's assessments in the indicator score (价值度): expert_legal, expert_technical and
expert_economic (0–100, p = value / 100, ½ when absent) change only their own indicators' points,
on the stored score and on the score computed over the cohort alike; the data indicators keep
their cohort percentiles and the contributions still sum to the score.

With the default weights (engine.indicator): a value v of an expert indicator changes the score
by 100·α_d·w_i·(v/100 − ½):
    expert_legal      α 0.40 × w 0.20 → 8.0 points per unit of p
    expert_technical  α 0.30 × w 0.25 → 7.5
    expert_economic   α 0.30 × w 0.25 → 7.5
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ipfin.registry.models import Right
from ipfin.valuation.domain.indicator import GRADES
from ipfin.valuation.selectors import right_score_get
from ipfin.valuation.services.scoring import portfolio_score

EXPERTS = ("expert_legal", "expert_technical", "expert_economic")


def _points(result: dict[str, Any]) -> dict[str, float]:
    return {c["name"]: c["points"] for c in result["contributions"]}


def _grade(result: dict[str, Any]) -> str:
    """The grade of the result's score on the bounds it reports (the run's, or the fixed ones)."""
    bounds = result["grade_scale"]["thresholds"]
    score = result["score"]
    return next((g for g in GRADES[:3] if score >= bounds[g] - 1e-9), "D")


@pytest.fixture
def scored(make_right: Callable[..., Right]) -> Right:
    right = make_right(ipc_main="G06F16/33", ipc_codes="G06F16/33;H04L9/00")
    make_right(ipc_main="G06F17/00", ipc_codes="G06F17/00")  # a peer in the same cohort
    return right


@pytest.mark.parametrize("stored", [False, True], ids=["on_the_fly", "stored"])
def test_expert_technical_100_adds_exactly_its_points(scored: Right, stored: bool) -> None:
    if stored:
        portfolio_score()
    before = right_score_get(number=scored.number)
    after = right_score_get(number=scored.number, experts={"expert_technical": "100"})
    assert before["stored"] is after["stored"] is stored
    assert before["experts"] == {} and after["experts"] == {"expert_technical": "100"}
    # w_technical 0.30 × w_expert_technical 0.25 × (1.0 − 0.5) × 100 = 3.75 points
    assert after["score"] - before["score"] == pytest.approx(3.75, abs=1e-9)
    # The technical value degree: 100 × 0.25 × (1.0 − 0.5) = 12.5; the others unchanged.
    assert after["dimensions"]["technical"] - before["dimensions"]["technical"] == pytest.approx(
        12.5, abs=1e-9
    )
    assert after["dimensions"]["legal"] == pytest.approx(before["dimensions"]["legal"])
    # Only that indicator changed: every data indicator keeps its cohort percentile and points.
    old, new = _points(before), _points(after)
    assert {k for k in old if old[k] != pytest.approx(new[k], abs=1e-12)} == {"expert_technical"}
    assert new["expert_technical"] == pytest.approx(7.5)  # 100 × 0.30 × 0.25 × 1.0
    tech = next(c for c in after["contributions"] if c["name"] == "expert_technical")
    assert (tech["raw"], tech["percentile"]) == (100.0, 1.0)
    assert sum(new.values()) == pytest.approx(after["score"], abs=1e-9)
    assert after["grade"] == _grade(after)


@pytest.mark.parametrize("stored", [False, True], ids=["on_the_fly", "stored"])
def test_all_three_expert_values(scored: Right, stored: bool) -> None:
    if stored:
        portfolio_score()
    before = right_score_get(number=scored.number)
    after = right_score_get(
        number=scored.number,
        experts={"expert_legal": "0", "expert_technical": "100", "expert_economic": "80.5"},
    )
    # legal:     0.40 × 0.20 × (0.0   − 0.5) × 100 = −4.0
    # technical: 0.30 × 0.25 × (1.0   − 0.5) × 100 = +3.75
    # economic:  0.30 × 0.25 × (0.805 − 0.5) × 100 = +2.2875
    # total: −4.0 + 3.75 + 2.2875 = +2.0375
    assert after["score"] - before["score"] == pytest.approx(2.0375, abs=1e-9)
    assert after["experts"] == {
        "expert_legal": "0",
        "expert_technical": "100",
        "expert_economic": "80.5",
    }
    assert sum(_points(after).values()) == pytest.approx(after["score"], abs=1e-9)


def test_expert_values_with_dimension_weights(scored: Right) -> None:
    # α = (0.2, 0.6, 0.2): expert_technical 100 adds 0.6 × 0.25 × 0.5 × 100 = 7.5 points.
    weights = {"legal": "0.2", "technical": "0.6", "economic": "0.2"}
    before = right_score_get(number=scored.number, dimensions=weights)
    after = right_score_get(
        number=scored.number, dimensions=weights, experts={"expert_technical": "100"}
    )
    assert after["score"] - before["score"] == pytest.approx(7.5, abs=1e-9)


# --- the API -------------------------------------------------------------------------------------


def test_api_score_with_an_expert_value(public: Any, scored: Right) -> None:
    url = f"/api/v1/rights/{scored.number}/score"
    before = public.get(url).json()
    response = public.get(url + "?expert_technical=100&expert_legal=")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["experts"] == {"expert_technical": "100"}  # an empty value is not given
    assert data["score"] - before["score"] == pytest.approx(3.75, abs=1e-9)
    assert sum(c["points"] for c in data["contributions"]) == pytest.approx(data["score"])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("expert_legal=101", "expert_legal"),
        ("expert_technical=-1", "expert_technical"),
        ("expert_economic=abc", "expert_economic"),
        ("expert_economic=NaN", "expert_economic"),
        ("expert_legal=1e2", "expert_legal"),
        ("expert_technical=100.0001", "expert_technical"),
    ],
)
def test_api_refuses_an_expert_value_out_of_range(
    public: Any, scored: Right, query: str, field: str
) -> None:
    response = public.get(f"/api/v1/rights/{scored.number}/score?{query}")
    assert response.status_code == 422, response.json()
    body = response.json()
    assert body["code"] == "valuation_input"
    assert body["field"] == field
    assert body["detail"]
