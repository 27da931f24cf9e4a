"""价值度 indicator score: hand-computed cohort, properties, and the batch against the per-row
reference implementation. Pure: no database."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from ipfin.valuation.domain import indicator as ind
from ipfin.valuation.domain.cohorts import COHORT_BASES
from ipfin.valuation.domain.errors import ValuationInputError
from ipfin.valuation.domain.indicator import (
    DIMENSIONS,
    GRADES,
    INDICATOR_NAMES,
    INDICATORS,
    ScoreBatch,
    ScoreWeights,
    cohort_codes,
    explain,
    score_rights,
    score_rights_reference,
)

NAN = math.nan
Columns = dict[str, NDArray[np.float64]]


def arr(*values: float) -> NDArray[np.float64]:
    return np.array(values, dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# The hand-computed cohort: four rights filed the same year in the same IPC subclass (cohort 0),
# and two rights of another cohort (cohort 1) that must not affect them.
#
# Columns given (every other indicator unknown → percentile ½):
#   right                 r0     r1     r2    r3   |  r4    r5  (cohort 1)
#   remaining_life_years  5.5    10.25  1.0   10.25|  3.0   3.0
#   claims_count          10     20     20    NaN  |  1     100
#   co_owner_count (↓)    0      0      1     2    |  0     5
#   expert_technical      80     NaN    40    NaN  |  NaN   NaN
#
# Percentiles in cohort 0, p = (count_less + ½·count_equal) / size (size counts known values):
#   remaining life: r0 (1 + ½·1)/4 = 0.375, r1 (2 + ½·2)/4 = 0.75, r2 (0 + ½)/4 = 0.125, r3 0.75
#   claims (3 known): r0 (0 + ½)/3 = 1/6, r1 (1 + ½·2)/3 = 2/3, r2 2/3, r3 unknown → ½
#   co-owners, lower is better, p = 1 − (less + ½·equal)/4:
#     r0 1 − (0 + ½·2)/4 = 0.75, r1 0.75, r2 1 − (2 + ½)/4 = 0.375, r3 1 − (3 + ½)/4 = 0.125
#   expert technical (absolute, /100): r0 0.8, r1 ½, r2 0.4, r3 ½
#
# Default weights, points per unit percentile = 100·α_d·w_i:
#   legal α 0.4: remaining 0.25 → 10, granted 0.2 → 8, invalidation requests 0.1 → 4,
#                invalidations survived 0.05 → 2, litigation → 4, co-owners → 4,
#                expert_legal 0.2 → 8                                               (Σ 40)
#   technical β 0.3: claims 0.15 → 4.5, cited_by 0.2 → 6, backward citations 0.1 → 3,
#                ipc 0.15 → 4.5, grant lag 0.1 → 3, co-applicants 0.05 → 1.5,
#                expert 0.25 → 7.5                                                  (Σ 30)
#   economic γ 0.3: family 0.25 → 7.5, licences 0.15 → 4.5, transfers → 4.5, pledges 0.1 → 3,
#                applicant type → 3, expert → 7.5                                   (Σ 30)
# An unknown indicator adds half its points: technical 6 + 3 + 4.5 + 3 + 1.5 = 18 at ½ → 9.
#
# r0: legal 10·0.375 + 8·½ + 4·½ + 2·½ + 4·½ + 4·0.75 + 8·½ = 3.75 + 4 + 2 + 1 + 2 + 3 + 4 = 19.75
#     technical 4.5·(1/6) + 9 + 7.5·0.8 = 0.75 + 9 + 6 = 15.75
#     economic all ½: 15                                                          score 50.5
# r1: legal 7.5 + 4 + 2 + 1 + 2 + 3 + 4 = 23.5; technical 3 + 9 + 3.75 = 15.75  score 54.25
# r2: legal 1.25 + 4 + 2 + 1 + 2 + 1.5 + 4 = 15.75; technical 3 + 9 + 3 = 15     score 45.75
# r3: legal 7.5 + 4 + 2 + 1 + 2 + 0.5 + 4 = 21; technical 2.25 + 9 + 3.75 = 15  score 51.0
# Cohort 1: remaining life tied (½ each); claims r4 0.25, r5 0.75; co-owners (↓) r4 0.75, r5 0.25
# r4: legal 5 + 4 + 2 + 1 + 2 + 3 + 4 = 21; technical 1.125 + 9 + 3.75 = 13.875   score 49.875
# r5: legal 5 + 4 + 2 + 1 + 2 + 1 + 4 = 19; technical 3.375 + 9 + 3.75 = 16.125  score 50.125
# Value degrees of r0 (0–100): legal 19.75/0.4 = 49.375, technical 15.75/0.3 = 52.5, economic 50.
#
# Fixed bounds (A ≥ 65, B ≥ 55, C ≥ 45): all six are C.
# Calibrated (A 15%, B 25%, C 40%, D 20% of 6 rights; cuts on the mid-rank 0.85, 0.60, 0.20):
#   sorted 45.75 r2, 49.875 r4, 50.125 r5, 50.5 r0, 51.0 r3, 54.25 r1 → mid-ranks 1/12, 3/12, …
#   A: the lowest score with mid-rank ≥ 0.85 is 54.25 (11/12); B ≥ 0.60: 50.5 (7/12 < 0.6 → no,
#   51.0 is 9/12) → 51.0; C ≥ 0.20: 49.875 (3/12) → r1 A; r3 B; r0, r5, r4 C; r2 D.


def tiny_cohort() -> tuple[Columns, NDArray[np.int64]]:
    columns = {
        "remaining_life_years": arr(5.5, 10.25, 1.0, 10.25, 3.0, 3.0),
        "claims_count": arr(10, 20, 20, NAN, 1, 100),
        "co_owner_count": arr(0, 0, 1, 2, 0, 5),
        "expert_technical": arr(80, NAN, 40, NAN, NAN, NAN),
    }
    return columns, np.array([0, 0, 0, 0, 1, 1], dtype=np.int64)


def test_hand_computed_cohort_percentiles():
    columns, cohort = tiny_cohort()
    batch = score_rights(columns, cohort)
    pct = batch.percentiles
    assert pct["remaining_life_years"][:4].tolist() == [0.375, 0.75, 0.125, 0.75]
    assert pct["claims_count"][:4] == pytest.approx([1 / 6, 2 / 3, 2 / 3, 0.5], abs=1e-12)
    assert pct["co_owner_count"][:4].tolist() == [0.75, 0.75, 0.375, 0.125]
    assert pct["expert_technical"][:4] == pytest.approx([0.8, 0.5, 0.4, 0.5], abs=1e-12)
    assert pct["family_size"].tolist() == [0.5] * 6  # not given: unknown for everyone
    # Cohort 1 on its own: claims 1 → (0 + ½)/2 = 0.25, 100 → (1 + ½)/2 = 0.75.
    assert pct["claims_count"][4:].tolist() == [0.25, 0.75]
    assert pct["remaining_life_years"][4:].tolist() == [0.5, 0.5]  # all equal: ½ each


def test_hand_computed_cohort_scores_grades_and_contributions():
    columns, cohort = tiny_cohort()
    batch = score_rights(columns, cohort, grading=ind.FIXED_GRADE_SCALE)
    assert batch.score == pytest.approx([50.5, 54.25, 45.75, 51.0, 49.875, 50.125], abs=1e-9)
    assert batch.grade_labels() == ["C"] * 6
    assert batch.contributions["remaining_life_years"][0] == pytest.approx(3.75, abs=1e-12)
    assert batch.contributions["claims_count"][0] == pytest.approx(0.75, abs=1e-12)
    assert batch.contributions["expert_technical"][0] == pytest.approx(6.0, abs=1e-12)
    assert batch.dimensions["legal"][0] == pytest.approx(49.375, abs=1e-9)
    assert batch.dimensions["technical"][0] == pytest.approx(52.5, abs=1e-9)
    assert batch.dimensions["economic"][0] == pytest.approx(50.0, abs=1e-9)


def test_hand_computed_calibrated_grades_follow_the_register_distribution():
    columns, cohort = tiny_cohort()
    batch = score_rights(columns, cohort)  # default: calibrated 15/25/40/20
    assert batch.scale.thresholds == pytest.approx((54.25, 51.0, 49.875), abs=1e-9)
    assert batch.scale.shares == ind.DEFAULT_GRADE_SHARES
    assert batch.grade_labels() == ["C", "A", "D", "B", "C", "C"]
    reference = score_rights_reference(columns, cohort)
    assert reference.grade_labels() == batch.grade_labels()
    # Other shares: half A, half D.
    halves = score_rights(columns, cohort, grading=(0.5, 0.0, 0.0, 0.5))
    assert halves.grade_labels() == ["A", "A", "D", "A", "D", "D"]


def test_tied_scores_share_the_grade_their_middle_falls_in():
    # Everyone equal: mid-rank ½ for all, which is C's band (0.20 to 0.60): all C, never all A.
    scale = ind.calibrate_grades(np.full(10, 50.0))
    assert scale.label(50.0) == "C"
    assert scale.thresholds[:2] == (101.0, 101.0)
    # 7 of 10 tied at the top: their mid-rank (3 + 3.5)/10 = 0.65 is B's; the 3 below are D.
    scale = ind.calibrate_grades(arr(*([80.0] * 7 + [10.0, 20.0, 30.0])))
    assert [scale.label(v) for v in (80.0, 30.0, 20.0, 10.0)] == ["B", "C", "D", "D"]


@given(st.lists(st.integers(0, 20).map(lambda v: v / 2), max_size=40), st.data())
def test_calibration_agrees_with_the_plain_reference(scores, draw):
    cut = sorted(draw.draw(st.lists(st.integers(0, 20), min_size=3, max_size=3)))
    shares = (cut[0] / 20, (cut[1] - cut[0]) / 20, (cut[2] - cut[1]) / 20, (20 - cut[2]) / 20)
    ours = ind.calibrate_grades(np.array(scores, dtype=np.float64), shares)
    theirs = ind.calibrate_grades_reference(scores, shares)
    assert ours.thresholds == theirs.thresholds


@given(
    st.lists(
        st.tuples(
            st.floats(0, 100, allow_nan=False),
            st.integers(0, len(ind.GRADES) - 1),
            st.integers(0, len(COHORT_BASES) - 1),
        ),
        max_size=60,
    )
)
def test_score_spread_agrees_with_the_plain_count_and_quantiles(rows):
    scores = [s for s, _g, _b in rows]
    spread = ind.score_spread(
        np.array(scores, dtype=np.float64),
        np.array([g for _s, g, _b in rows], dtype=np.int8),
        np.array([b for _s, _g, b in rows], dtype=np.int64),
    )
    if not rows:
        assert spread is None
        return
    assert spread is not None
    quartiles = (
        statistics.quantiles(scores, n=4, method="inclusive") if len(scores) > 1 else scores * 3
    )
    assert [spread["q1"], spread["q2"], spread["q3"]] == pytest.approx(quartiles, abs=1e-9)
    assert spread["iqr"] == pytest.approx(quartiles[2] - quartiles[0], abs=1e-9)
    assert (spread["low"], spread["high"]) == (min(scores), max(scores))
    assert spread["rights"] == len(rows)
    assert spread["grades"] == {
        grade: sum(1 for _s, g, _b in rows if ind.GRADES[g] == grade) for grade in ind.GRADES
    }
    used = sorted({b for _s, _g, b in rows})
    assert spread["basis"] == {
        COHORT_BASES[b]: sum(1 for _s, _g, other in rows if other == b) for b in used
    }
    assert list(spread["basis"]) == [COHORT_BASES[b] for b in used]  # in COHORT_BASES's order


def test_grade_shares_are_validated():
    for bad in ((0.5, 0.5), (0.5, 0.5, 0.5, -0.5), (0.2, 0.2, 0.2, 0.2), (math.nan, 0, 0, 1)):
        with pytest.raises(ValuationInputError) as error:
            ind.grade_shares(bad)
        assert error.value.field == "grade_shares"


def test_other_cohorts_do_not_move_a_cohorts_scores():
    columns, cohort = tiny_cohort()
    alone = score_rights({k: v[:4] for k, v in columns.items()}, cohort[:4])
    together = score_rights(columns, cohort)
    assert together.score[:4].tolist() == alone.score.tolist()


def test_explain_returns_raw_values_percentiles_and_points():
    columns, cohort = tiny_cohort()
    batch = score_rights(columns, cohort)
    result = explain(batch, columns, 3)
    assert result.score == pytest.approx(51.0, abs=1e-9)
    assert result.grade == "B"  # calibrated on the six: see the table above
    by_name = {c.name: c for c in result.contributions}
    assert [c.name for c in result.contributions] == list(INDICATOR_NAMES)
    assert by_name["claims_count"].raw is None  # NaN: unknown
    assert by_name["claims_count"].percentile == 0.5
    assert by_name["co_owner_count"].raw == 2.0
    assert by_name["co_owner_count"].percentile == 0.125
    assert by_name["co_owner_count"].points == pytest.approx(0.5, abs=1e-12)  # 4 · 0.125
    assert by_name["granted"].raw is None  # column not given
    assert by_name["co_owner_count"].label_zh == "共有人数"
    assert by_name["co_owner_count"].dimension == "legal"
    assert math.fsum(c.points for c in result.contributions) == pytest.approx(result.score)
    assert result.dimensions["legal"] == pytest.approx(21 / 0.4, abs=1e-9)
    with pytest.raises(IndexError):
        explain(batch, columns, 6)


def test_everything_unknown_scores_fifty():
    batch = score_rights({}, np.zeros(3, dtype=np.int64))
    assert batch.score.tolist() == pytest.approx([50.0] * 3, abs=1e-9)
    assert batch.grade_labels() == ["C"] * 3


CLAIMS_ONLY = ScoreWeights(
    {"legal": 0.0, "technical": 1.0, "economic": 0.0},
    {**ind.DEFAULT_INDICATOR_WEIGHTS, "claims_count": 1.0, "cited_by_count": 0.0,
     "backward_citations": 0.0, "ipc_subclass_count": 0.0, "grant_lag_days": 0.0,
     "applicant_count": 0.0, "expert_technical": 0.0},
)  # fmt: skip


@pytest.mark.parametrize(
    ("below", "grade"),
    [
        # 20 rights in one cohort: `below` at 0, two at 1, the rest at 2. With all weight on
        # claims, score = 100·p, and the two tied rights get p = (below + ½·2)/20:
        (12, "A"),  # (12 + 1)/20 = 0.65 → 65 → A (65 is A's lower bound)
        (10, "B"),  # (10 + 1)/20 = 0.55 → 55 → B
        (8, "C"),  # (8 + 1)/20 = 0.45 → 45 → C
        (7, "D"),  # (7 + 1)/20 = 0.40 → 40 → D
    ],
)
def test_grade_thresholds_are_inclusive_lower_bounds(below, grade):
    claims = arr(*([0.0] * below + [1.0] * 2 + [2.0] * (18 - below)))
    batch = score_rights(
        {"claims_count": claims}, np.zeros(20, dtype=np.int64), CLAIMS_ONLY, ind.FIXED_GRADE_SCALE
    )
    assert batch.score[below] == pytest.approx(100 * (below + 1) / 20, abs=1e-9)
    assert batch.grade_labels()[below] == grade


def test_grading_tolerates_round_off_but_not_more():
    grades = ind.FIXED_GRADE_SCALE.grade(
        arr(64.99, 65 - 1e-10, 65.0, 55 - 1e-6, 44.999999, 100.0, 0.0)
    )
    assert [GRADES[g] for g in grades] == ["B", "A", "A", "C", "D", "A", "D"]


def test_custom_weights_change_points():
    # Everything on the technical dimension, all of it on claims: score = 100 · p(claims).
    columns, cohort = tiny_cohort()
    batch = score_rights(columns, cohort, CLAIMS_ONLY)
    assert batch.score[:4] == pytest.approx([100 / 6, 200 / 3, 200 / 3, 50.0], abs=1e-9)
    assert batch.contributions["remaining_life_years"].tolist() == [0.0] * 6
    # A dimension weighted 0 still shows its value degree: r0's legal degree is 49.375 as above
    # (same legal indicator weights); its technical degree is now all claims: 100 · 1/6.
    assert batch.dimensions["legal"][0] == pytest.approx(49.375, abs=1e-9)
    assert batch.dimensions["technical"][0] == pytest.approx(100 / 6, abs=1e-9)


def test_cohort_codes_factorise_year_and_ipc_subclass():
    codes = cohort_codes(
        np.array([2020, 2020, 2019, 2020, 2020], dtype=np.int64),
        ["G06F16/33", "g06f", "G06F", "H01M10/42", None],
    )
    # Numbered in (year, subclass) order:
    # (2019, G06F) 0; (2020, "") 1; (2020, G06F) 2; (2020, H01M) 3.
    assert codes.tolist() == [2, 2, 0, 3, 1]
    with pytest.raises(ValuationInputError) as error:
        cohort_codes(np.array([2020], dtype=np.int64), ["G06F", "H01M"])
    assert error.value.field == "tech_field"


def test_sparse_cohort_codes_score_like_dense_ones():
    columns, cohort = tiny_cohort()
    sparse = np.where(cohort == 0, 10**12, -7).astype(np.int64)
    assert (
        score_rights(columns, sparse).score.tolist() == score_rights(columns, cohort).score.tolist()
    )


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("claims_count", arr(1, -1)),
        ("claims_count", arr(1, 2.5)),
        ("cited_by_count", arr(1, math.inf)),
        ("granted", arr(1, 2)),
        ("remaining_life_years", arr(3, -0.5)),
        ("expert_legal", arr(50, 100.5)),
        ("expert_economic", arr(-1, 50)),
    ],
)
def test_impossible_values_are_refused_naming_the_column(name, values):
    with pytest.raises(ValuationInputError) as error:
        score_rights({name: values}, np.zeros(2, dtype=np.int64))
    assert error.value.field == name
    assert error.value.status == 422


def test_unknown_and_misshapen_columns_are_refused():
    with pytest.raises(ValuationInputError) as error:
        score_rights({"claims": arr(1, 2)}, np.zeros(2, dtype=np.int64))
    assert error.value.field == "columns"
    with pytest.raises(ValuationInputError) as error:
        score_rights({"claims_count": arr(1, 2, 3)}, np.zeros(2, dtype=np.int64))
    assert error.value.field == "claims_count"


@pytest.mark.parametrize(
    ("dimensions", "indicators", "fragment"),
    [
        ({"legal": 0.5, "technical": 0.3, "economic": 0.3}, None, "sum to 1"),
        ({"legal": 1.2, "technical": -0.2, "economic": 0.0}, None, "non-negative"),
        ({"legal": 0.4, "technical": 0.3, "economic": 0.3, "social": 0.0}, None, "unknown"),
        ({"legal": math.nan, "technical": 0.5, "economic": 0.5}, None, "non-negative finite"),
        ({"legal": True, "technical": 0.0, "economic": 0.0}, None, "non-negative finite"),
        (None, {"claims_count": 0.5}, "technical indicator weights must sum to 1"),
        (None, {"patents": 0.0}, "unknown indicator"),
    ],
)
def test_weights_are_validated(dimensions, indicators, fragment):
    default = ScoreWeights.default()
    weights = ScoreWeights(
        dimensions if dimensions is not None else dict(default.dimensions),
        {**default.indicators, **indicators}
        if indicators is not None
        else dict(default.indicators),
    )
    with pytest.raises(ValuationInputError) as error:
        weights.validate()
    assert error.value.field == "weights"
    assert fragment in error.value.detail_en
    with pytest.raises(ValuationInputError):
        score_rights({}, np.zeros(1, dtype=np.int64), weights)


def test_default_weights_are_valid_and_points_sum_to_100():
    weights = ScoreWeights.default()
    weights.validate()
    assert math.fsum(weights.points_per_unit().values()) == pytest.approx(100.0, abs=1e-12)
    assert {s.dimension for s in INDICATORS} == set(DIMENSIONS)


# ---------------------------------------------------------------------------------------------
# Properties


@st.composite
def right_batches(draw: st.DrawFn, min_size: int = 1) -> tuple[Columns, NDArray[np.int64]]:
    """Random rights in a few cohorts: small counts with ties, NaNs, fractional life."""
    n = draw(st.integers(min_size, 40))
    n_cohorts = draw(st.integers(1, 4))
    cohort = np.array(draw(st.lists(st.integers(0, n_cohorts - 1), min_size=n, max_size=n)))
    columns: Columns = {}
    for spec in INDICATORS:
        if not draw(st.booleans()) and spec.name != "claims_count":
            continue  # leave some columns out entirely
        if spec.source == "expert":
            element = st.one_of(st.just(NAN), st.floats(0, 100))
        elif spec.name == "granted":
            element = st.sampled_from([0.0, 1.0, NAN])
        elif spec.name == "applicant_type":
            element = st.sampled_from([1.0, 2.0, 3.0, NAN])
        elif spec.name == "remaining_life_years":
            element = st.one_of(st.just(NAN), st.sampled_from([0.0, 1.5, 7.25]), st.floats(0, 20))
        else:
            element = st.one_of(st.just(NAN), st.integers(0, 6).map(float))
        columns[spec.name] = np.array(draw(st.lists(element, min_size=n, max_size=n)))
    return columns, cohort.astype(np.int64)


def assert_batches_agree(ours: ScoreBatch, theirs: ScoreBatch) -> None:
    np.testing.assert_allclose(ours.score, theirs.score, rtol=0, atol=1e-9)
    assert ours.grade.tolist() == theirs.grade.tolist()
    for name in INDICATOR_NAMES:
        np.testing.assert_allclose(ours.percentiles[name], theirs.percentiles[name], atol=1e-12)
        np.testing.assert_allclose(ours.contributions[name], theirs.contributions[name], atol=1e-9)
    for dimension in DIMENSIONS:
        np.testing.assert_allclose(
            ours.dimensions[dimension], theirs.dimensions[dimension], atol=1e-9
        )


@given(right_batches())
def test_batch_agrees_with_the_per_row_reference(data):
    columns, cohort = data
    assert_batches_agree(score_rights(columns, cohort), score_rights_reference(columns, cohort))


@given(right_batches())
def test_scores_lie_in_0_100_and_contributions_sum_to_the_score(data):
    columns, cohort = data
    batch = score_rights(columns, cohort)
    assert ((batch.score >= 0) & (batch.score <= 100)).all()
    total = np.sum([batch.contributions[name] for name in INDICATOR_NAMES], axis=0)
    np.testing.assert_allclose(total, batch.score, rtol=0, atol=1e-9)
    for name in INDICATOR_NAMES:
        assert ((batch.percentiles[name] >= 0) & (batch.percentiles[name] <= 1)).all()


@given(right_batches(), st.randoms(use_true_random=False))
def test_scores_do_not_depend_on_row_order(data, rnd):
    columns, cohort = data
    order = np.array(rnd.sample(range(cohort.shape[0]), cohort.shape[0]))
    batch = score_rights(columns, cohort)
    shuffled = score_rights({k: v[order] for k, v in columns.items()}, cohort[order])
    np.testing.assert_allclose(shuffled.score, batch.score[order], rtol=0, atol=1e-12)
    assert shuffled.grade.tolist() == batch.grade[order].tolist()


@given(right_batches(), st.data())
def test_unknown_values_are_neutral(data, draw):
    columns, cohort = data
    name = draw.draw(st.sampled_from(sorted(columns)))
    row = draw.draw(st.integers(0, cohort.shape[0] - 1))
    columns[name][row] = NAN
    batch = score_rights(columns, cohort)
    assert batch.percentiles[name][row] == 0.5


@given(
    right_batches(),
    st.data(),
    st.sampled_from(
        [
            s.name
            for s in INDICATORS
            if s.source == "data" and s.name not in ("granted", "applicant_type")
        ]
    ),
)
def test_better_in_one_indicator_and_equal_elsewhere_never_scores_lower(data, draw, name):
    """Append a twin of right `a` in a's cohort, better on `name` only: it never scores lower."""
    columns, cohort = data
    a = draw.draw(st.integers(0, cohort.shape[0] - 1))
    spec = ind._SPEC_BY_NAME[name]
    base = columns.get(name, np.full(cohort.shape[0], NAN))
    if math.isnan(base[a]):
        base = base.copy()
        base[a] = 1.0
    step = draw.draw(st.integers(1, 3)) * (1.0 if spec.higher_is_better else -1.0)
    better = base[a] + step
    if better < 0:  # lower-is-better already at 0: make `a` worse instead
        base = base.copy()
        base[a] = -step
        better = 0.0
    twin: Columns = {}
    for key in set(columns) | {name}:
        column = base if key == name else columns[key]
        twin_value = better if key == name else column[a]
        twin[key] = np.append(column, twin_value)
    twin_cohort = np.append(cohort, cohort[a])
    batch = score_rights(twin, twin_cohort)
    assert batch.percentiles[name][-1] > batch.percentiles[name][a]
    assert batch.score[-1] >= batch.score[a] - 1e-12


@given(st.lists(st.floats(0, 10, allow_nan=False), min_size=3, max_size=3))
def test_any_valid_weights_keep_the_score_in_range(raw):
    total = sum(raw)
    if total == 0:
        raw, total = [1.0, 1.0, 1.0], 3.0
    dims = {d: r / total for d, r in zip(DIMENSIONS, raw, strict=True)}
    # Normalised floats may miss 1 by an ulp: within the 1e-9 tolerance.
    weights = ScoreWeights(dims, dict(ind.DEFAULT_INDICATOR_WEIGHTS))
    columns, cohort = tiny_cohort()
    batch = score_rights(columns, cohort, weights)
    assert ((batch.score >= 0) & (batch.score <= 100)).all()


@settings(max_examples=60)
@given(
    st.lists(st.one_of(st.just(NAN), st.integers(0, 9).map(float)), min_size=1, max_size=60),
    st.integers(1, 5),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_histogram_radix_packed_and_comparison_sort_paths_agree(
    values, n_cohorts, higher_is_better, rnd
):
    column = np.array(values)
    cohort = np.array([rnd.randrange(n_cohorts) for _ in values], dtype=np.int64)
    valid = ~np.isnan(column)
    if not valid.any():
        return
    coded = ind._integer_codes(column, valid, whole=False)
    assert coded is not None
    codes, distinct = coded
    by_histogram = ind._histogram_percentile(codes, distinct, cohort, n_cohorts, higher_is_better)
    by_radix = ind._sorted_percentile(codes, valid, cohort, n_cohorts, higher_is_better)
    by_value = ind._sorted_percentile(column, valid, cohort, n_cohorts, higher_is_better)
    by_words = ind._packed_percentile(codes, distinct, cohort, n_cohorts, higher_is_better)
    assert by_words is not None
    np.testing.assert_allclose(by_histogram, by_radix, rtol=0, atol=1e-15)
    np.testing.assert_allclose(by_histogram, by_words, rtol=0, atol=1e-15)
    np.testing.assert_allclose(by_histogram, by_value, rtol=0, atol=1e-15)


def test_packed_words_step_aside_when_cohort_code_and_row_do_not_fit_63_bits():
    codes = np.array([0, 2, 1, 2], dtype=np.int64)
    cohort = np.array([0, 0, 0, 1], dtype=np.int64)
    assert ind._packed_percentile(codes, 2, cohort, 1 << 61, True) is None
    # The sorted path then answers, with the same percentiles as the words would.
    by_words = ind._packed_percentile(codes, 2, cohort, 2, True)
    by_sort = ind._sorted_percentile(codes, codes != 2, cohort, 2, True)
    assert by_words is not None
    assert by_words.tolist() == by_sort.tolist() == [0.25, 0.5, 0.75, 0.5]


def test_fixed_point_terms_are_coded_exactly_and_other_floats_are_not():
    days = np.array([0, 1, 365, 366, 3652, 7305, 7305, 2], dtype=np.float64)
    column = np.append(days / 365.25, NAN)
    valid = ~np.isnan(column)
    coded = ind._integer_codes(column, valid, whole=False)
    assert coded is not None
    codes, distinct = coded
    # Whole days back (the unknown value coded one past the largest):
    assert codes.tolist() == [0, 1, 365, 366, 3652, 7305, 7305, 2, 7306]
    assert distinct == 7306
    months = np.array([1, 6, 13, 240], dtype=np.float64) / 12
    assert ind._integer_codes(months, ~np.isnan(months), whole=False) is not None
    # 1/3 of a day is not on any grid: no code, the comparison sort ranks it.
    odd = np.array([0.1, 1 / 3, 2.0])
    assert ind._integer_codes(odd, ~np.isnan(odd), whole=False) is None


@given(
    st.lists(st.one_of(st.just(NAN), st.integers(0, 7305)), min_size=1, max_size=50),
    st.sampled_from([365.25, 12.0]),
    st.integers(1, 4),
    st.randoms(use_true_random=False),
)
def test_fixed_point_terms_rank_like_the_reference(units, denominator, n_cohorts, rnd):
    life = np.array([u / denominator for u in units])
    cohort = np.array([rnd.randrange(n_cohorts) for _ in units], dtype=np.int64)
    columns = {"remaining_life_years": life}
    assert_batches_agree(score_rights(columns, cohort), score_rights_reference(columns, cohort))


def test_sparse_and_huge_counts_take_the_other_paths_and_still_agree():
    rng = np.random.default_rng(7)
    n = 3000
    cohort = rng.integers(0, 40, n).astype(np.int64)
    columns = {
        # values up to 100,000 with few distinct ones: dense recoding before the histogram
        "cited_by_count": rng.choice([0.0, 3.0, 250.0, 99_999.0, NAN], n),
        # values above the lookup bound: sorted path
        "family_size": rng.choice([1.0, 2.0, 5e7, 1e9, NAN], n),
        "remaining_life_years": np.round(rng.uniform(0, 20, n), 3),
    }
    assert_batches_agree(score_rights(columns, cohort), score_rights_reference(columns, cohort))


def test_large_batch_agrees_with_the_reference_on_many_cohorts():
    rng = np.random.default_rng(11)
    n = 20_000
    cohort = rng.integers(0, 1500, n).astype(np.int64)
    columns = {
        "remaining_life_years": np.floor(rng.uniform(0, 20, n) * 365.25) / 365.25,
        "granted": rng.integers(0, 2, n).astype(np.float64),
        "claims_count": (1 + rng.negative_binomial(3, 0.27, n)).astype(np.float64),
        "cited_by_count": rng.negative_binomial(0.6, 0.1, n).astype(np.float64),
        "licence_count": rng.poisson(0.1, n).astype(np.float64),
        "expert_legal": np.where(rng.random(n) < 0.1, rng.uniform(0, 100, n), NAN),
    }
    for values in columns.values():
        values[rng.random(n) < 0.02] = NAN
    assert_batches_agree(score_rights(columns, cohort), score_rights_reference(columns, cohort))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from([0.0, 12.5, 49.999999999, 50.0, 50.0, 71.25, 100.0])
        | st.floats(0, 100, allow_nan=False),
        max_size=60,
    )
)
def test_share_below_among_the_scores_themselves_counts_those_strictly_lower(
    scores: list[float],
) -> None:
    """The run's share_below, by one sort with ties carried over, is for each score the share of
    the scores strictly lower (ties count neither way), as the plain count says."""
    values = np.array(scores, dtype=np.float64)
    got = ind.share_below(values)
    expected = [sum(other < s for other in scores) / len(scores) for s in scores]
    assert got.tolist() == expected
    assert ind.share_below(values, values).tolist() == expected  # the look-up of another set


def test_share_below_with_unknown_scores_looks_each_one_up() -> None:
    """Unknown scores sort last and share one place, as NumPy's sorted look-up puts them (one
    sort's tie groups would part them: NaN equals nothing)."""
    values = arr(30.0, NAN, 10.0, NAN)
    assert ind.share_below(values).tolist() == [0.25, 0.5, 0.0, 0.5]
