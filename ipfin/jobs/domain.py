"""How a background job is cut into chunks and how its chunks' counts add up (pure: no Django).

A chunk is a closed range of ids [lo, hi] of the rows the job works on: the ids themselves are
read once, sorted, and cut every `size` ids, so that chunks hold about the same number of rows
whatever the gaps between ids."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# One chunk for a job whose rule spans the whole set (the scoring's cohort percentiles, the
# scan's closing of alerts no longer found): it runs on a worker, but not in pieces.
WHOLE = (0, 0)


def id_ranges(ids: Sequence[int], size: int) -> list[tuple[int, int]]:
    """The sorted `ids` cut into closed ranges of at most `size` ids each."""
    if size < 1:
        raise ValueError("size must be at least 1")
    ordered = sorted(ids)
    return [
        (ordered[start], ordered[min(start + size, len(ordered)) - 1])
        for start in range(0, len(ordered), size)
    ]


def span_ranges(low: int, high: int, count: int, size: int) -> list[tuple[int, int]]:
    """The ids from `low` to `high` (`count` of them) cut by value into ceil(count / size) closed
    ranges of equal width: `id_ranges` without reading the ids, for a table whose ids are dense
    (an imported register); one empty range (0, 0) when there are none."""
    if size < 1:
        raise ValueError("size must be at least 1")
    if count < 1:
        return [(0, 0)]
    pieces = -(-count // size)
    width = -(-(high - low + 1) // pieces)
    return [(start, min(start + width - 1, high)) for start in range(low, high + 1, width)]


def combine(results: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The run's result from its chunks': numbers summed by key, lists joined in chunk order,
    anything else taken from the last chunk that has it (a whole-set job has one chunk: its
    result as it is)."""
    out: dict[str, Any] = {}
    for result in results:
        for key, value in result.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                previous = out.get(key, 0)
                out[key] = (previous if isinstance(previous, int | float) else 0) + value
            elif isinstance(value, list):
                previous = out.get(key)
                out[key] = (previous if isinstance(previous, list) else []) + value
            else:
                out[key] = value
    return out
