"""Chunks of ids and the sum of their counts."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.jobs.domain import combine, id_ranges, span_ranges


@given(ids=st.sets(st.integers(1, 10**9), max_size=300), size=st.integers(1, 50))
def test_the_ranges_cover_every_id_once_with_at_most_size_ids_each(
    ids: set[int], size: int
) -> None:
    ranges = id_ranges(list(ids), size)
    ordered = sorted(ids)
    covered = [[i for i in ordered if lo <= i <= hi] for lo, hi in ranges]
    assert [i for chunk in covered for i in chunk] == ordered  # each once, in order
    assert all(0 < len(chunk) <= size for chunk in covered)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(ranges))  # disjoint


def test_no_ids_no_chunks() -> None:
    assert id_ranges([], 10) == []


@given(
    low=st.integers(1, 10**6),
    span=st.integers(0, 5000),
    size=st.integers(1, 600),
)
def test_span_ranges_cut_dense_ids_into_equal_pieces_of_about_size(
    low: int, span: int, size: int
) -> None:
    high, count = low + span, span + 1  # dense: every id from low to high
    ranges = span_ranges(low, high, count, size)
    assert ranges[0][0] == low and ranges[-1][1] == high
    assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(ranges))  # contiguous, disjoint
    assert len(ranges) == -(-count // size)
    assert all(hi - lo + 1 <= size for lo, hi in ranges)


def test_span_ranges_of_no_ids_is_one_empty_range() -> None:
    assert span_ranges(0, 0, 0, 10) == [(0, 0)]
    with pytest.raises(ValueError):
        span_ranges(1, 5, 5, 0)


def test_counts_add_up_and_other_values_come_from_the_last_chunk() -> None:
    assert combine([{"checked": 2, "changed": 1, "on": "a"}, {"checked": 3, "on": "b"}]) == {
        "checked": 5,
        "changed": 1,
        "on": "b",
    }
    assert combine([]) == {}
    # Lists are joined in chunk order (each chunk's findings, e.g. the audit chain's breaks).
    assert combine([{"breaks": [[4, "a"]]}, {"breaks": []}, {"breaks": [[9, "b"]]}]) == {
        "breaks": [[4, "a"], [9, "b"]]
    }
    assert combine([{"intact": True}]) == {"intact": True}  # a bool is no count
