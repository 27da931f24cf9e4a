"""The demonstration-zone index (示范区指数, ipfin.zoneindex.domain), pure: no database.

Test names carry their source: `issue15` (issue 15, "the demonstration-zone index calculator":
the normalisations, the weightings, contribution, score and rank as it states them; seed 003 is
not on disk, DOMAIN.md's glossary names the index). Properties with Hypothesis: the weights sum
to 1, the contributions sum to the score, the ranks are a competition ranking of the scores, a
positive indicator's x' rises with x, reversing an indicator maps x' to 1 − x' under minmax. The
worked examples by hand are the endpoint's (test_api.py)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ipfin.common.errors import ValidationFailed
from ipfin.zoneindex.domain import (
    MAX_CODE_LENGTH,
    MAX_INDICATORS,
    MAX_ZONE_NAME_LENGTH,
    MAX_ZONES,
    TIE_TOLERANCE,
    IndexMethod,
    IndicatorSpec,
    ZoneIndex,
    competition_ranks,
    entropy_weights,
    normalise,
    zone_index,
)


def run(
    values: Sequence[Sequence[float]],
    *,
    method: str = "minmax",
    weighting: str = "fixed",
    directions: Sequence[str] | None = None,
    weights: Sequence[float | None] | None = None,
) -> ZoneIndex:
    """The index of zones z0, z1, ... over indicators i0, i1, ... (one row of `values` a zone)."""
    k = len(values[0])
    codes = [f"i{j}" for j in range(k)]
    return zone_index(
        method=method,
        weighting=weighting,
        indicators=[
            IndicatorSpec(
                code,
                (directions or ["positive"] * k)[j],
                (weights or [1.0] * k)[j],
            )
            for j, code in enumerate(codes)
        ],
        zone_names=[f"z{i}" for i in range(len(values))],
        zone_values=[dict(zip(codes, row, strict=True)) for row in values],
    )


def refusal(**kw: Any) -> tuple[str, Any]:
    """(code, field) of the 422 that `zone_index` with `kw` over a valid base answers."""
    base: dict[str, Any] = {
        "method": "minmax",
        "weighting": "fixed",
        "indicators": [IndicatorSpec("gdp", "positive", 2.0), IndicatorSpec("npl", "negative", 1)],
        "zone_names": ["甲区", "乙区"],
        "zone_values": [{"gdp": 1.0, "npl": 0.02}, {"gdp": 2.0, "npl": 0.01}],
    }
    with pytest.raises(ValidationFailed) as caught:
        zone_index(**{**base, **kw})
    error = caught.value
    assert error.status == 422
    assert error.detail_zh != error.detail_en  # a Chinese and an English message
    return error.code, error.extra.get("field")


# --- the rules, by example -----------------------------------------------------------------------


def test_minmax_by_example_issue15() -> None:
    # i0 positive 10, 20, 40: (x − 10)/30; i1 negative 3, 1, 2: (3 − x)/2.
    result = run([[10, 3], [20, 1], [40, 2]], directions=["positive", "negative"])
    assert result.normalised.tolist() == [[0.0, 0.0], [1 / 3, 1.0], [1.0, 0.5]]


def test_a_column_of_equal_values_is_zero_under_both_methods_issue15() -> None:
    for method in ("minmax", "zscore"):
        for direction in ("positive", "negative"):
            result = run([[7.5, 1], [7.5, 2]], method=method, directions=[direction, "positive"])
            assert result.normalised[:, 0].tolist() == [0.0, 0.0], (method, direction)


def test_one_zone_alone_scores_zero_and_ranks_first_issue15() -> None:
    result = run([[3.0, 4.0]], weights=[1, 1])
    assert (result.scores.tolist(), result.ranks.tolist()) == ([0.0], [1])


def test_zscore_uses_the_population_sd_and_flips_a_negative_indicator_issue15() -> None:
    # 1, 3: mean 2, population sd 1 → −1, 1 (the sample's sd would be √2).
    result = run([[1, 1], [3, 3]], method="zscore", directions=["positive", "negative"])
    assert result.normalised.tolist() == [[-1.0, 1.0], [1.0, -1.0]]


def test_no_negative_zero_comes_out() -> None:
    result = run([[1], [2], [3]], method="zscore", directions=["negative"])
    assert [math.copysign(1, v) for v in result.normalised[:, 0]] == [1.0, 1.0, -1.0]
    assert math.copysign(1, result.contributions[1, 0]) == 1.0


def test_fixed_weights_are_divided_by_their_sum_issue15() -> None:
    assert run([[1, 2], [2, 1]], weights=[1, 3]).weights.tolist() == [0.25, 0.75]


def test_entropy_of_columns_all_constant_gives_equal_weights_issue15() -> None:
    result = run([[1, 5, 9], [1, 5, 9]], weighting="entropy", weights=[None, None, None])
    assert result.weights.tolist() == [1 / 3, 1 / 3, 1 / 3]
    assert result.scores.tolist() == [0.0, 0.0]


def test_entropy_gives_a_constant_indicator_no_weight_issue15() -> None:
    # i1 is constant: x' all 0, e = 1, d = 0; i0 takes all the weight.
    result = run([[1, 4], [2, 4], [5, 4]], weighting="entropy")
    assert result.weights.tolist() == [1.0, 0.0]


def test_entropy_ignores_the_weights_given_issue15() -> None:
    values = [[1, 4], [2, 3], [5, 9]]
    with_weights = run(values, weighting="entropy", weights=[-1.0, 1e300])
    without = run(values, weighting="entropy", weights=[None, None])
    assert with_weights.weights.tolist() == without.weights.tolist()


def test_competition_ranking_one_two_two_four_issue15() -> None:
    result = run([[4], [2], [2], [1]])  # x' = 1, 1/3, 1/3, 0
    assert result.ranks.tolist() == [1, 2, 2, 4]
    assert result.order.tolist() == [0, 1, 2, 3]


def test_scores_within_the_tolerance_share_a_rank_in_the_order_given() -> None:
    scores = np.array([50.0, 80.0, 80.0 + TIE_TOLERANCE / 2, 80.0 - TIE_TOLERANCE / 2, 10.0])
    ranks, order = competition_ranks(scores)
    assert ranks.tolist() == [4, 1, 1, 1, 5]
    assert order.tolist() == [2, 1, 3, 0, 4]
    apart, _ = competition_ranks(np.array([80.0, 80.0 - 3 * TIE_TOLERANCE]))
    assert apart.tolist() == [1, 2]


def test_the_largest_finite_values_give_finite_answers() -> None:
    # (max − min) and Σx² overflow a double here: each column is scaled by a power of two first.
    big = 1.7e308
    for method in ("minmax", "zscore"):
        result = run([[big, -big], [-big, big], [0.0, 0.0]], method=method)
        assert np.isfinite(result.normalised).all() and np.isfinite(result.scores).all()
    assert run([[big], [-big], [0.0]]).normalised[:, 0].tolist() == [1.0, 0.0, 0.5]
    assert run([[1e308], [1e308]], weights=[1e308]).weights.tolist() == [1.0]


def test_scaling_changes_nothing_a_plain_computation_gets_right() -> None:
    values = np.array([[3.7, -2.0], [1.1, 8.25], [9.0, 0.5], [4.4, 4.4]])
    plain = (values - values.min(axis=0)) / (values.max(axis=0) - values.min(axis=0))
    scaled = normalise(values, np.array([False, False]), IndexMethod.MINMAX)
    assert scaled.tolist() == plain.tolist()  # bit for bit
    z = (values - values.mean(axis=0)) / values.std(axis=0)
    assert normalise(values, np.array([False, False]), IndexMethod.ZSCORE).tolist() == z.tolist()


# --- refusals: each a 422 naming its field --------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"method": "rank"}, "method_invalid", "method"),
        ({"weighting": "ahp"}, "weighting_invalid", "weighting"),
        ({"method": "zscore", "weighting": "entropy"}, "entropy_needs_minmax", "weighting"),
        ({"indicators": []}, "indicators_empty", "indicators"),
        (
            {"indicators": [IndicatorSpec(f"c{j}", "positive", 1) for j in range(201)]},
            "indicators_too_many",
            "indicators",
        ),
        ({"indicators": [IndicatorSpec("", "positive", 1)]}, "code_empty", "indicators[0].code"),
        ({"indicators": [IndicatorSpec("  ", "positive", 1)]}, "code_empty", "indicators[0].code"),
        (
            {"indicators": [IndicatorSpec("c" * 51, "positive", 1)]},
            "code_too_long",
            "indicators[0].code",
        ),
        (
            {"indicators": [IndicatorSpec("gdp", "up", 1)]},
            "direction_invalid",
            "indicators[0].direction",
        ),
        (
            {"indicators": [IndicatorSpec("gdp", "positive", 1), IndicatorSpec("npl", "negative")]},
            "weight_missing",
            "indicators[1].weight",
        ),
        (
            {"indicators": [IndicatorSpec("gdp", "positive", 0.0)]},
            "weight_not_positive",
            "indicators[0].weight",
        ),
        (
            {"indicators": [IndicatorSpec("gdp", "positive", -2)]},
            "weight_not_positive",
            "indicators[0].weight",
        ),
        (
            {"indicators": [IndicatorSpec("gdp", "positive", math.inf)]},
            "number_not_finite",
            "indicators[0].weight",
        ),
        (
            {"indicators": [IndicatorSpec("gdp", "positive", math.nan)]},
            "number_not_finite",
            "indicators[0].weight",
        ),
        (
            {
                "indicators": [
                    IndicatorSpec("gdp", "positive", 1),
                    IndicatorSpec("npl", "positive", 1),
                    IndicatorSpec("gdp", "negative", 1),
                ]
            },
            "code_duplicate",
            "indicators[2].code",
        ),
        ({"zone_names": [], "zone_values": []}, "zones_empty", "zones"),
        (
            {"zone_names": [f"z{i}" for i in range(2001)], "zone_values": [{}] * 2001},
            "zones_too_many",
            "zones",
        ),
        ({"zone_names": ["甲区", ""]}, "zone_name_empty", "zones[1].zone"),
        ({"zone_names": ["甲区", "\u3000"]}, "zone_name_empty", "zones[1].zone"),
        ({"zone_names": ["区" * 101, "乙区"]}, "zone_name_too_long", "zones[0].zone"),
        ({"zone_names": ["甲区", "甲区"]}, "zone_duplicate", "zones[1].zone"),
        (
            {"zone_values": [{"gdp": 1.0, "npl": 0.02}, {"gdp": 2.0, "npl": 0.01, "rd": 3.0}]},
            "value_unknown_code",
            "zones[1].values.rd",
        ),
        (
            {"zone_values": [{"gdp": 1.0, "npl": 0.02, "x" * 51: 1.0}, {"gdp": 2.0, "npl": 0}]},
            "value_unknown_code",
            "zones[0].values",  # a key longer than any code is not echoed
        ),
        (
            {"zone_values": [{"gdp": 1.0, "npl": 0.02}, {"gdp": 2.0}]},
            "value_missing",
            "zones[1].values.npl",
        ),
        (
            {"zone_values": [{"gdp": 1.0, "npl": math.nan}, {"gdp": 2.0, "npl": 0.01}]},
            "number_not_finite",
            "zones[0].values.npl",
        ),
        (
            {"zone_values": [{"gdp": 1.0, "npl": 0.02}, {"gdp": -math.inf, "npl": 0.01}]},
            "number_not_finite",
            "zones[1].values.gdp",
        ),
        (
            {"weighting": "entropy", "zone_names": ["甲区"], "zone_values": [{"gdp": 1, "npl": 2}]},
            "entropy_needs_two_zones",
            "zones",
        ),
    ],
)
def test_each_refusal_names_its_field_issue15(
    change: dict[str, Any], code: str, field: str
) -> None:
    assert refusal(**change) == (code, field)


def test_the_bounds_are_the_issues_and_are_answered_at_the_bounds_issue15() -> None:
    assert (MAX_INDICATORS, MAX_ZONES, MAX_CODE_LENGTH, MAX_ZONE_NAME_LENGTH) == (
        200,
        2000,
        50,
        100,
    )
    rng = np.random.default_rng(15)
    values = rng.normal(size=(MAX_ZONES, MAX_INDICATORS))
    codes = [f"{j:0{MAX_CODE_LENGTH}d}" for j in range(MAX_INDICATORS)]
    result = zone_index(
        method="minmax",
        weighting="entropy",
        indicators=[IndicatorSpec(code, "positive") for code in codes],
        zone_names=[f"{i:0{MAX_ZONE_NAME_LENGTH}d}" for i in range(MAX_ZONES)],
        zone_values=[dict(zip(codes, row, strict=True)) for row in values.tolist()],
    )
    assert result.contributions.shape == (MAX_ZONES, MAX_INDICATORS)
    assert abs(result.weights.sum() - 1) < 1e-12


# --- properties ---------------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
moderate = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@st.composite
def tables(draw: Any, values: st.SearchStrategy[float] = finite) -> dict[str, Any]:
    n = draw(st.integers(1, 7))
    k = draw(st.integers(1, 4))
    return {
        "values": draw(st.lists(st.lists(values, min_size=k, max_size=k), min_size=n, max_size=n)),
        "method": draw(st.sampled_from(["minmax", "zscore"])),
        "directions": draw(
            st.lists(st.sampled_from(["positive", "negative"]), min_size=k, max_size=k)
        ),
        "weights": draw(st.lists(st.floats(1e-3, 1e3), min_size=k, max_size=k)),
    }


def _index(table: Mapping[str, Any], weighting: str) -> ZoneIndex:
    method = "minmax" if weighting == "entropy" else table["method"]
    return run(
        table["values"],
        method=method,
        weighting=weighting,
        directions=table["directions"],
        weights=table["weights"],
    )


@settings(max_examples=300, deadline=None)
@given(tables(), st.sampled_from(["fixed", "entropy"]))
def test_weights_sum_to_one_and_contributions_to_the_score(
    table: dict[str, Any], weighting: str
) -> None:
    if weighting == "entropy":
        assume(len(table["values"]) >= 2)
    result = _index(table, weighting)
    assert (result.weights >= 0).all()
    assert math.isclose(math.fsum(result.weights.tolist()), 1.0, abs_tol=1e-12)
    for contributions, score in zip(result.contributions.tolist(), result.scores, strict=True):
        scale = 1 + math.fsum(abs(c) for c in contributions)
        assert abs(math.fsum(contributions) - score) <= 1e-12 * scale
    assert np.isfinite(result.scores).all()


@settings(max_examples=300, deadline=None)
@given(tables(values=st.integers(-5, 5).map(float)), st.sampled_from(["fixed", "entropy"]))
def test_ranks_are_a_competition_ranking_of_the_scores(
    table: dict[str, Any], weighting: str
) -> None:
    """Small integers: many exact ties."""
    if weighting == "entropy":
        assume(len(table["values"]) >= 2)
    result = _index(table, weighting)
    scores = result.scores.tolist()
    ranked = [scores[i] for i in result.order]
    assert ranked == sorted(scores, reverse=True)
    for position, i in enumerate(result.order.tolist()):
        # A competition rank: 1 + the zones ahead, the ties ahead of it in the order excepted.
        higher = sum(s > scores[i] + TIE_TOLERANCE for s in scores)
        tied_before = any(
            abs(scores[j] - scores[i]) <= TIE_TOLERANCE for j in result.order[:position].tolist()
        )
        if tied_before:
            assert result.ranks[i] == result.ranks[result.order[position - 1]]
        else:
            assert result.ranks[i] == position + 1 == higher + 1


@given(st.lists(st.integers(-1000, 1000).map(float), min_size=1, max_size=30))
def test_competition_ranks_count_the_scores_above(scores: list[float]) -> None:
    ranks, order = competition_ranks(np.array(scores))
    assert ranks.tolist() == [1 + sum(t > s for t in scores) for s in scores]
    assert sorted(order.tolist()) == list(range(len(scores)))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(finite, min_size=2, max_size=12),
    st.sampled_from(list(IndexMethod)),
    st.data(),
)
def test_a_positive_indicators_value_rises_with_x_a_negative_ones_falls(
    column: list[float], method: IndexMethod, data: Any
) -> None:
    a, b = data.draw(st.lists(st.integers(0, len(column) - 1), min_size=2, max_size=2))
    assume(column[a] < column[b])
    values = np.array(column).reshape(-1, 1)
    up = normalise(values, np.array([False]), method)[:, 0]
    down = normalise(values, np.array([True]), method)[:, 0]
    # Not strictly: x' of two values a hair apart on a column spanning 1e300 rounds to one.
    assert up[a] <= up[b] and down[a] >= down[b]


@settings(max_examples=300, deadline=None)
@given(st.lists(finite, min_size=2, max_size=12))
def test_reversing_direction_maps_x_prime_to_one_minus_x_prime_under_minmax(
    column: list[float],
) -> None:
    assume(min(column) != max(column))  # a constant column is 0 both ways
    values = np.array(column).reshape(-1, 1)
    up = normalise(values, np.array([False]), IndexMethod.MINMAX)[:, 0]
    down = normalise(values, np.array([True]), IndexMethod.MINMAX)[:, 0]
    assert np.allclose(down, 1 - up, rtol=0, atol=1e-12)
    assert up.min() == 0 and up.max() == 1


@settings(max_examples=200, deadline=None)
@given(tables(values=moderate))
def test_entropy_weights_are_those_of_the_formula_term_by_term(table: dict[str, Any]) -> None:
    """The columnar weights against the formula written with one loop per sum."""
    assume(len(table["values"]) >= 2)
    x = normalise(
        np.array(table["values"]),
        np.array([d == "negative" for d in table["directions"]]),
        IndexMethod.MINMAX,
    )
    n, k = x.shape
    d = []
    for j in range(k):
        total = math.fsum(x[:, j])
        if total == 0:
            d.append(0.0)
            continue
        p = [v / total for v in x[:, j]]
        e = -math.fsum(pi * math.log(pi) for pi in p if pi > 0) / math.log(n)
        d.append(max(1 - e, 0.0))
    expected = [dj / math.fsum(d) for dj in d] if math.fsum(d) else [1 / k] * k
    assert np.allclose(entropy_weights(x), expected, rtol=0, atol=1e-12)
