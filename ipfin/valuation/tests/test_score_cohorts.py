"""The score's cohorts backed off to a minimum size (issue 14), against the plain per-right
reference; the engine's windowed percentiles against the per-row reference. Pure: no database."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipfin.valuation.domain.cohorts import (
    COHORT_BASES,
    backoff_cohorts,
    backoff_cohorts_reference,
)
from ipfin.valuation.domain.errors import ValuationInputError
from ipfin.valuation.domain.indicator import (
    INDICATOR_NAMES,
    score_rights,
    score_rights_reference,
)


def codes(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def register(rows: list[tuple[int, int, int, int, int]]) -> dict[str, np.ndarray]:
    """(kind, year, subclass, class, section) per right → backoff_cohorts' arguments."""
    kind, year, subclass, ipc_class, section = (
        codes(*column) for column in zip(*rows, strict=True)
    )
    return {"kind": kind, "year": year, "subclass": subclass, "ipc_class": ipc_class,
            "section": section}  # fmt: skip


def test_a_large_cohort_does_not_back_off():
    # 30 rights of one kind, subclass and year: the minimum is met at the first level.
    rows = [(0, 2015, 7, 3, 1)] * 30 + [(0, 2015, 8, 3, 1)] * 2
    cohorts = backoff_cohorts(**register(rows), min_size=30)
    assert cohorts.basis_labels()[:30] == ["subclass_year"] * 30
    assert cohorts.size[:30].tolist() == [30] * 30
    assert cohorts.year_from[0] == cohorts.year_to[0] == 2015


def test_each_level_is_reached_in_order():
    m = 4
    rows = (
        [(0, 2010, 1, 1, 1)] * 4  # its own cell holds 4: subclass_year
        + [(0, 2020, 2, 2, 1)] + [(0, 2022, 2, 2, 1)] * 3  # subclass within ±2 years: 4
        + [(0, 2030, 3, 3, 2)] + [(0, 2031, 4, 3, 2)] * 3  # the class within ±2 years: 4
        + [(0, 2040, 5, 4, 3)] + [(0, 2042, 6, 5, 3)] * 3  # the section within ±2 years: 4
        + [(0, 2050, 7, 6, 4)]  # alone in its section: the whole kind
        + [(1, 2050, 7, 6, 4)] * 10  # another kind never counts
    )  # fmt: skip
    cohorts = backoff_cohorts(**register(rows), min_size=m)
    labels = cohorts.basis_labels()
    assert labels[0] == "subclass_year"
    assert labels[4] == "subclass_years"
    assert labels[8] == "class_years"
    assert labels[12] == "section_years"
    assert labels[16] == "kind"
    assert (cohorts.year_from[4], cohorts.year_to[4]) == (2018, 2022)
    assert (cohorts.year_from[16], cohorts.year_to[16]) == (2010, 2050)  # the kind's years
    assert cohorts.size[16] == 17  # every right of kind 0
    assert labels[17:] == ["subclass_year"] * 10


def test_every_right_cohort_holds_the_minimum_or_its_whole_kind():
    rng = np.random.default_rng(14)
    n = 2_000
    subclass = rng.integers(0, 300, n)
    args = {
        "kind": rng.integers(0, 3, n),
        "year": rng.integers(2000, 2024, n),
        "subclass": subclass,
        "ipc_class": subclass // 6,
        "section": subclass // 60,
    }
    cohorts = backoff_cohorts(**args, min_size=30)
    kind_sizes = np.bincount(args["kind"])[args["kind"]]
    whole_kind = cohorts.basis == COHORT_BASES.index("kind")
    assert (cohorts.size[~whole_kind] >= 30).all()
    assert (cohorts.size[whole_kind] == kind_sizes[whole_kind]).all()


def test_min_size_is_validated():
    args = register([(0, 2020, 1, 1, 1)])
    for bad in (0, -3, True, 2.5):
        with pytest.raises(ValuationInputError) as error:
            backoff_cohorts(**args, min_size=bad)  # type: ignore[arg-type]
        assert error.value.field == "min_size"
    with pytest.raises(ValuationInputError):
        backoff_cohorts(**{**args, "year": codes(2020, 2021)}, min_size=1)


def test_an_empty_register_has_no_cohorts():
    empty = codes()
    cohorts = backoff_cohorts(kind=empty, year=empty, subclass=empty, ipc_class=empty,
                              section=empty)  # fmt: skip
    assert len(cohorts) == 0
    assert len(score_rights({}, cohorts)) == 0


@st.composite
def registers(draw: st.DrawFn) -> tuple[dict[str, np.ndarray], int]:
    n = draw(st.integers(1, 70))
    subclass = codes(*draw(st.lists(st.integers(0, 7), min_size=n, max_size=n)))
    args = {
        "kind": codes(*draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))),
        "year": codes(*draw(st.lists(st.integers(2000, 2012), min_size=n, max_size=n))),
        "subclass": subclass,
        "ipc_class": subclass // 2,
        "section": subclass // 4,
    }
    return args, draw(st.integers(1, 15))


@settings(max_examples=150)
@given(registers())
def test_backoff_agrees_with_the_per_right_reference(data):
    args, m = data
    cohorts = backoff_cohorts(**args, min_size=m)
    reference = backoff_cohorts_reference(**{k: v.tolist() for k, v in args.items()}, min_size=m)
    member_row, member_cohort, own = cohorts.memberships()
    for i, (basis, year_from, year_to, members) in enumerate(reference):
        assert COHORT_BASES[cohorts.basis[i]] == basis
        assert (cohorts.year_from[i], cohorts.year_to[i]) == (year_from, year_to)
        assert cohorts.size[i] == len(members)
        assert member_row[own[i]] == i
        mine = member_row[member_cohort == member_cohort[own[i]]]
        assert sorted(mine.tolist()) == sorted(members)


# Terms on no fixed-point grid (neither days nor months of a year), ties and unknowns likely.
odd_terms = st.one_of(st.just(math.nan), st.sampled_from([0.1, 1.05, 2.718, 7.77]),
                      st.floats(0, 30, allow_subnormal=False))  # fmt: skip


@settings(max_examples=120)
@given(registers(), st.data())
def test_windowed_percentiles_agree_with_the_per_row_reference(data, draw):
    args, m = data
    n = args["year"].shape[0]
    cohorts = backoff_cohorts(**args, min_size=m)
    counts = st.one_of(st.just(math.nan), st.integers(0, 5).map(float))
    days = st.one_of(st.just(math.nan), st.integers(0, 7000).map(lambda d: d / 365.25))
    columns = {
        "claims_count": np.array(draw.draw(st.lists(counts, min_size=n, max_size=n))),
        "grant_lag_days": np.array(draw.draw(st.lists(counts, min_size=n, max_size=n))),
        "remaining_life_years": np.array(draw.draw(st.lists(days, min_size=n, max_size=n))),
        "family_size": np.array(
            draw.draw(st.lists(st.floats(0, 50).map(math.floor), min_size=n, max_size=n))
        ),
    }
    ours = score_rights(columns, cohorts)
    theirs = score_rights_reference(columns, cohorts)
    for name in INDICATOR_NAMES:
        np.testing.assert_allclose(ours.percentiles[name], theirs.percentiles[name], atol=1e-12)
    np.testing.assert_allclose(ours.score, theirs.score, atol=1e-9)
    assert ours.grade.tolist() == theirs.grade.tolist()
    # Terms on no fixed-point grid, some unknown: ranked by value, the unknown ones left out of
    # every window (they were once counted as the smallest term).
    terms = {"remaining_life_years": np.array(draw.draw(st.lists(odd_terms, min_size=n,
                                                                  max_size=n)))}  # fmt: skip
    np.testing.assert_allclose(
        score_rights(terms, cohorts).percentiles["remaining_life_years"],
        score_rights_reference(terms, cohorts).percentiles["remaining_life_years"],
        atol=1e-12,
    )


def test_a_missing_value_is_neutral_in_a_backed_off_cohort():
    rows = [(0, 2010 + k % 3, 1, 1, 1) for k in range(12)]  # 4 a year: ±2 years hold 12
    cohorts = backoff_cohorts(**register(rows), min_size=10)
    assert set(cohorts.basis_labels()) == {"subclass_years"}
    claims = np.arange(12, dtype=np.float64)
    claims[3] = math.nan
    batch = score_rights({"claims_count": claims}, cohorts)
    assert batch.percentiles["claims_count"][3] == 0.5
    assert batch.percentiles["claims_count"][11] > batch.percentiles["claims_count"][0]


def test_backing_off_makes_a_small_register_discriminate():
    """One to three rights per (subclass, year): without backoff nearly every percentile is ½
    or a coin toss among two; backed off, the claims order shows through."""
    rng = np.random.default_rng(7)
    n = 300
    subclass = rng.integers(0, 150, n)
    args = {
        "kind": np.zeros(n, dtype=np.int64),
        "year": rng.integers(2010, 2020, n),
        "subclass": subclass,
        "ipc_class": subclass // 10,
        "section": subclass // 50,
    }
    claims = rng.integers(1, 30, n).astype(np.float64)
    narrow = score_rights({"claims_count": claims}, backoff_cohorts(**args, min_size=1))
    wide = score_rights({"claims_count": claims}, backoff_cohorts(**args, min_size=30))
    correlation_narrow = np.corrcoef(claims, narrow.percentiles["claims_count"])[0, 1]
    correlation_wide = np.corrcoef(claims, wide.percentiles["claims_count"])[0, 1]
    assert correlation_wide > 0.9
    assert correlation_wide > correlation_narrow + 0.1


@pytest.mark.parametrize("path", ["histogram", "pairs", "memberships"])
@settings(max_examples=40, deadline=None)
@given(registers(), st.data())
def test_every_window_ranking_path_agrees_with_the_reference(path, data, draw):
    """The windowed levels rank by a dense histogram while it is small, by (group, value) pairs ×
    years for moderately many values, and by spelled-out windows for values nearly all distinct;
    forced one by one here, each gives the definition's percentiles."""
    from ipfin.valuation.domain import indicator as ind

    args, m = data
    n = args["year"].shape[0]
    cohorts = backoff_cohorts(**args, min_size=m)
    values = st.one_of(st.just(math.nan), st.integers(0, 40).map(float))
    column = np.array(draw.draw(st.lists(values, min_size=n, max_size=n)))
    # The same paths for values with no integer code (ranked by value, unknowns coded apart).
    terms = np.array(draw.draw(st.lists(odd_terms, min_size=n, max_size=n)))
    limits = {
        "histogram": (1 << 30, 1 << 30, 1 << 30),
        "pairs": (0, 0, 1 << 30),
        "memberships": (0, 0, -1),
    }[path]
    saved = (ind._HIST_CELLS_MIN, ind._WINDOW_CELLS_PER_ROW, ind._WINDOW_PAIRS_MAX_DISTINCT)
    ind._HIST_CELLS_MIN, ind._WINDOW_CELLS_PER_ROW, ind._WINDOW_PAIRS_MAX_DISTINCT = limits
    try:
        columns = {"claims_count": column, "remaining_life_years": terms}
        ours = score_rights(columns, cohorts)
    finally:
        ind._HIST_CELLS_MIN, ind._WINDOW_CELLS_PER_ROW, ind._WINDOW_PAIRS_MAX_DISTINCT = saved
    theirs = score_rights_reference(columns, cohorts)
    for name in columns:
        np.testing.assert_allclose(ours.percentiles[name], theirs.percentiles[name], atol=1e-12)


def test_threads_rank_the_indicators_to_the_same_result_as_one():
    """The indicators ranked in threads (`score_rights(threads=...)`), two of them terms nearly
    all distinct that share each windowed level's spelled-out memberships: the same batch, to the
    bit, as one thread."""
    from ipfin.valuation.domain.indicator import INDICATORS, scoring_threads

    rng = np.random.default_rng(17)
    n = 40_000
    subclass = rng.choice(400, size=n, p=(w := 1.0 / np.arange(1, 401)) / w.sum())
    args = {
        "kind": rng.integers(0, 3, n),
        "year": rng.integers(2005, 2025, n),
        "subclass": subclass,
        "ipc_class": subclass // 8,
        "section": subclass // 60,
    }
    cohorts = backoff_cohorts(**args, min_size=30)
    assert any(plan.windowed for plan in cohorts.levels)
    columns = {
        spec.name: rng.poisson(1.5, n).astype(np.float64)
        for spec in INDICATORS
        if spec.source != "expert" and spec.name not in ("granted", "applicant_type")
    }
    columns["remaining_life_years"] = rng.integers(0, 7300, n) / 365.25
    columns["grant_lag_days"] = rng.integers(100, 3000, n).astype(np.float64)
    columns["granted"] = rng.integers(0, 2, n).astype(np.float64)
    columns["expert_legal"] = np.where(rng.random(n) < 0.1, rng.uniform(0, 100, n), math.nan)
    for values in columns.values():
        values[rng.random(n) < 0.02] = math.nan
    alone = score_rights(columns, cohorts, threads=1)
    for threads in (2, 4):
        shared = score_rights(columns, cohorts, threads=threads)
        assert shared.score.tobytes() == alone.score.tobytes()
        assert shared.grade.tolist() == alone.grade.tolist()
        for name in INDICATOR_NAMES:
            assert shared.percentiles[name].tobytes() == alone.percentiles[name].tobytes()
            assert shared.contributions[name].tobytes() == alone.contributions[name].tobytes()
    # A small batch is ranked in one thread; a register's, in one per core (up to four).
    assert scoring_threads(n) == 1
    assert 1 <= scoring_threads(1_000_000) <= 4


@settings(max_examples=60, deadline=None)
@given(registers(), st.data())
def test_threads_agree_with_one_thread_on_any_register(data, draw):
    args, m = data
    n = args["year"].shape[0]
    cohorts = backoff_cohorts(**args, min_size=m)
    days = st.one_of(st.just(math.nan), st.integers(0, 7000).map(lambda d: d / 365.25))
    counts = st.one_of(st.just(math.nan), st.integers(0, 5).map(float))
    columns = {
        "remaining_life_years": np.array(draw.draw(st.lists(days, min_size=n, max_size=n))),
        "claims_count": np.array(draw.draw(st.lists(counts, min_size=n, max_size=n))),
        "cited_by_count": np.array(draw.draw(st.lists(counts, min_size=n, max_size=n))),
    }
    alone = score_rights(columns, cohorts, threads=1)
    shared = score_rights(columns, cohorts, threads=3)
    assert shared.score.tobytes() == alone.score.tobytes()
    for name in INDICATOR_NAMES:
        assert shared.percentiles[name].tobytes() == alone.percentiles[name].tobytes()
