"""A stored run's rule (ipfin.zoneindex.domain.stored_index), pure: no database. A run stores its
inputs and results as JSON; given its inputs back as JSON gives, it gives its results back as
JSON gives them, exactly (the property a run's reproduction rests on), and it is the calculator's
answer for the same figures, with each zone named by its id.

Test names carry their source: `issue15` ("a computed index stores its inputs and weights,
reproduces exactly from them")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipfin.common.errors import ValidationFailed
from ipfin.zoneindex.domain import IndicatorSpec, stored_index, zone_index

finite = st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def stored_inputs(draw: Any) -> dict[str, Any]:
    n = draw(st.integers(2, 6))
    k = draw(st.integers(1, 4))
    method = draw(st.sampled_from(["minmax", "zscore"]))
    weighting = draw(st.sampled_from(["fixed", "entropy"] if method == "minmax" else ["fixed"]))
    codes = [f"c{j}" for j in range(k)]
    ids = draw(st.lists(st.integers(1, 10**9), min_size=n, max_size=n, unique=True))
    return {
        "method": method,
        "weighting": weighting,
        "indicators": [
            {
                "code": code,
                "direction": draw(st.sampled_from(["positive", "negative"])),
                "weight": None if weighting == "entropy" else draw(st.floats(1e-3, 1e3)),
                "name_zh": "指标",
            }
            for code in codes
        ],
        "zones": [
            {"zone_id": i, "name": "同名园区", "values": {c: draw(finite) for c in codes}}
            for i in ids
        ],
    }


def _as_stored(value: Any) -> Any:
    return json.loads(json.dumps(value))


@settings(max_examples=300, deadline=None)
@given(stored_inputs())
def test_the_stored_inputs_give_the_stored_results_exactly_issue15(inputs: dict[str, Any]) -> None:
    stored_results = _as_stored(stored_index(inputs))
    assert stored_index(_as_stored(inputs)) == stored_results
    assert _as_stored(stored_index(_as_stored(inputs))) == stored_results


@settings(max_examples=100, deadline=None)
@given(stored_inputs())
def test_it_is_the_calculators_answer_with_each_zone_named_by_its_id(
    inputs: dict[str, Any],
) -> None:
    zones = inputs["zones"]
    answer = zone_index(
        method=inputs["method"],
        weighting=inputs["weighting"],
        indicators=[
            IndicatorSpec(i["code"], i["direction"], i["weight"]) for i in inputs["indicators"]
        ],
        zone_names=[str(z["zone_id"]) for z in zones],
        zone_values=[z["values"] for z in zones],
    ).ranked()
    results = stored_index(inputs)
    assert results["weights"] == answer["weights"]
    assert [
        (z["zone_id"], z["score"], z["rank"], z["contributions"]) for z in results["zones"]
    ] == [(int(z["zone"]), z["score"], z["rank"], z["contributions"]) for z in answer["zones"]]
    assert {z["name"] for z in results["zones"]} == {"同名园区"}  # names need not differ


def test_a_zone_given_twice_is_refused_like_any_repeated_zone() -> None:
    zone = {"zone_id": 7, "name": "甲", "values": {"x": 1.0}}
    inputs = {
        "method": "minmax",
        "weighting": "fixed",
        "indicators": [{"code": "x", "direction": "positive", "weight": 1.0}],
        "zones": [zone, zone],
    }
    with pytest.raises(ValidationFailed) as refused:
        stored_index(inputs)
    assert refused.value.code == "zone_duplicate"
