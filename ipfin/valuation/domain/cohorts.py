"""The cohort each right's indicators are ranked in, backed off until it is large enough.

A percentile means something only among enough peers: on a provincial or park register almost every
(filing year, IPC subclass) cell holds one to three rights, every percentile is ½ and the score says
nothing. So a right's cohort backs off, level by level, until it holds at least `min_size` rights
of the right's kind (`IPFIN_SCORE_MIN_COHORT`, default 30):

    subclass_year    the same kind, IPC subclass (4 characters, "G06F") and filing year
    subclass_years   the same kind and subclass, filing years within ±2 of the right's
    class_years      the same kind and IPC class (3 characters, "G06"), filing years within ±2
    section_years    the same kind and IPC section (1 character, "G"), filing years within ±2
    kind             every right of the kind (any field, any year): the last resort

A right without an IPC code (trademarks, copyright, IC layouts, unclassified patents) has one
technology field per kind at every level, so its cohort is the same kind and year, the same kind
within ±2 years, or the whole kind. This is the OECD indicators' normalisation (Squicciarini,
Dernis & Criscuolo 2013: compare a patent with those of the same field and cohort) with the field
and the years widened only as far as the register needs.

The windows of ±2 years are centred on each right's own filing year, so cohorts overlap: a 2014
right placed in "G06F, 2012–2016" is ranked among every G06F right filed 2012–2016, including those
placed in their own narrower cohorts. (`Cohorts.memberships` spells every (cohort, right) pair
out, for the plain reference implementation.)

Set-based: each level is one histogram of (group, year) cells (`np.bincount`), a sliding sum over
5 years and one gather. What the percentiles need is kept per level (`LevelPlan`): the rights
placed there and the rights of their groups; the engine ranks a windowed level with one
(group, value) × year histogram summed over the window (ipfin.valuation.domain.indicator), never
spelling the overlapping cohorts out. No loop over rights. `backoff_cohorts_reference` is the plain
per-right implementation (the tests' oracle).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ipfin.valuation.domain.errors import ValuationInputError

__all__ = [
    "COHORT_BASES",
    "DEFAULT_MIN_COHORT",
    "YEAR_WINDOW",
    "Cohorts",
    "LevelPlan",
    "backoff_cohorts",
    "backoff_cohorts_reference",
    "partition_cohorts",
    "window_sums",
    "window_sums_3d",
]

IntArray = NDArray[np.int64]

COHORT_BASES: tuple[str, ...] = (
    "subclass_year",
    "subclass_years",
    "class_years",
    "section_years",
    "kind",
)
DEFAULT_MIN_COHORT = 30
YEAR_WINDOW = 2
_KIND_LEVEL = len(COHORT_BASES) - 1


@dataclass(frozen=True)
class LevelPlan:
    """The rights placed at one backoff level and the rights they are ranked against.

    `rows`: the rights placed at this level (ascending). `members`: the rights ranked against
    (ascending; at the first level they are `rows` themselves), each with `member_group` (dense
    code 0..n_groups−1: the (kind, subclass, year) cell at the first level, the (kind, field)
    group at the windowed levels, the kind at the last) and, at the windowed levels,
    `member_year` (0-based filing year: a member counts for the windows of the placed rights of
    its group whose year is within ±YEAR_WINDOW of its own). `at`: each placed right's position
    in `members`."""

    level: int
    rows: IntArray
    members: IntArray
    member_group: IntArray
    member_year: IntArray | None
    n_groups: int
    at: IntArray

    @property
    def windowed(self) -> bool:
        return self.member_year is not None

    def window_memberships(self, n_years: int) -> tuple[IntArray, IntArray, int, IntArray]:
        """The windows of a windowed level spelled out: (member index into `members`, window
        code 0..W−1, W, each placed right's own membership) — a partition the plain percentile
        can rank, at the price of each member repeated once per window it falls in (≤ 5)."""
        assert self.member_year is not None
        centre_of_placed = self.member_group[self.at] * n_years + self.member_year[self.at]
        needed = np.zeros(self.n_groups * n_years, dtype=np.int64)
        needed[centre_of_placed] = 1
        window_code = np.cumsum(needed) - 1
        index: list[IntArray] = []
        codes: list[IntArray] = []
        own = np.zeros(self.at.shape[0], dtype=np.int64)
        everyone = np.arange(self.members.shape[0], dtype=np.int64)
        position = 0
        for shift in range(-YEAR_WINDOW, YEAR_WINDOW + 1):
            centre = self.member_year + shift
            inside = (centre >= 0) & (centre < n_years)
            key = self.member_group * n_years + centre
            inside[inside] = needed[key[inside]] > 0
            chosen = everyone[inside]
            index.append(chosen)
            codes.append(window_code[key[inside]])
            if shift == 0:
                own = position + np.searchsorted(chosen, self.at)
            position += int(chosen.shape[0])
        return (np.concatenate(index), np.concatenate(codes), int(needed.sum()), own)


@dataclass(frozen=True)
class Cohorts:
    """Each right's cohort (per right: `basis` — index into COHORT_BASES —, `year_from`,
    `year_to`, `size`, the right included) and, per level, what its percentiles need."""

    basis: NDArray[np.int8]
    year_from: IntArray
    year_to: IntArray
    size: IntArray
    n_years: int
    levels: tuple[LevelPlan, ...]

    def __len__(self) -> int:
        return int(self.basis.shape[0])

    def basis_labels(self) -> list[str]:
        return [COHORT_BASES[b] for b in self.basis.tolist()]

    def memberships(self) -> tuple[IntArray, IntArray, IntArray]:
        """(member_row, member_cohort, own): every (cohort, right) pair spelled out, cohorts
        numbered densely level after level, and each right's own pair — the plain form the
        reference ranks over."""
        rows: list[IntArray] = []
        cohorts: list[IntArray] = []
        own = np.zeros(len(self), dtype=np.int64)
        offset = 0  # cohorts numbered so far
        position = 0  # pairs listed so far
        for plan in self.levels:
            if plan.windowed:
                index, code, count, placed = plan.window_memberships(self.n_years)
                members = plan.members[index]
            else:
                members, code, count, placed = (
                    plan.members,
                    plan.member_group,
                    plan.n_groups,
                    plan.at,
                )
            rows.append(members)
            cohorts.append(offset + code)
            own[plan.rows] = position + placed
            offset += count
            position += int(members.shape[0])
        if not rows:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        return np.concatenate(rows), np.concatenate(cohorts), own


def _codes(name: str, values: IntArray | NDArray[np.integer], n: int) -> IntArray:
    codes = np.asarray(values)
    if codes.ndim != 1 or codes.shape[0] != n or not np.issubdtype(codes.dtype, np.integer):
        raise ValuationInputError(
            name,
            f"{name} 须为长度 {n} 的一维整数数组",
            f"{name} must be a one-dimensional integer array of length {n}",
        )
    codes = codes.astype(np.int64, copy=False)
    if n and int(codes.min()) < 0:
        raise ValuationInputError(name, f"{name} 不能为负", f"{name} cannot be negative")
    return codes


def _dense(codes: IntArray) -> tuple[IntArray, int]:
    """Codes renumbered 0..G−1 without gaps (order kept), and G."""
    if codes.size == 0:
        return codes, 0
    present = np.bincount(codes) > 0
    lookup = np.cumsum(present, dtype=np.int64) - 1
    return lookup[codes], int(lookup[-1]) + 1


def partition_cohorts(cohort: IntArray) -> Cohorts:
    """Cohorts given directly as one non-negative code per right (no backoff: basis
    subclass_year); `indicator.score_rights` checks and factorises a caller's codes first."""
    codes = _codes("cohort", cohort, int(np.asarray(cohort).shape[0]))
    n = codes.shape[0]
    dense, count = _dense(codes)
    sizes = np.bincount(dense, minlength=count)[dense] if n else dense
    everyone = np.arange(n, dtype=np.int64)
    plan = LevelPlan(0, everyone, everyone, dense, None, count, everyone)
    zeros = np.zeros(n, dtype=np.int64)
    return Cohorts(np.zeros(n, np.int8), zeros, zeros, sizes.astype(np.int64), 1, (plan,))


def window_sums(hist: IntArray) -> IntArray:
    """hist[g, y] summed over y−W..y+W (rows are groups, columns years 0..Y−1)."""
    result: IntArray = window_sums_3d(hist[:, :, None])[:, :, 0]
    return result


def window_sums_3d(hist: IntArray) -> IntArray:
    """hist[g, y, v] summed over y−W..y+W (axis 1 is the years): a cumulative sum along the
    years, padded so that each window is the difference of two of its entries."""
    groups, years, width = hist.shape
    padded = np.zeros((groups, years + 2 * YEAR_WINDOW + 1, width), dtype=hist.dtype)
    np.cumsum(hist, axis=1, out=padded[:, YEAR_WINDOW + 1 : YEAR_WINDOW + 1 + years])
    padded[:, YEAR_WINDOW + 1 + years :] = padded[:, YEAR_WINDOW + years : YEAR_WINDOW + 1 + years]
    result: IntArray = padded[:, 2 * YEAR_WINDOW + 1 :] - padded[:, :years]
    return result


def backoff_cohorts(
    *,
    kind: IntArray | NDArray[np.integer],
    year: IntArray | NDArray[np.integer],
    subclass: IntArray | NDArray[np.integer],
    ipc_class: IntArray | NDArray[np.integer],
    section: IntArray | NDArray[np.integer],
    min_size: int = DEFAULT_MIN_COHORT,
) -> Cohorts:
    """Each right's cohort after backing off (see the module docstring).

    `kind`, `subclass`, `ipc_class`, `section`: non-negative integer codes (equal codes, equal
    field; a right without IPC carries one code per kind at every level); `year`: filing years."""
    year_raw = np.asarray(year)
    n = int(year_raw.shape[0]) if year_raw.ndim == 1 else -1
    if n < 0:
        raise ValuationInputError("year", "申请年份须为一维数组", "year must be one-dimensional")
    if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 1:
        raise ValuationInputError(
            "min_size",
            "最小队列规模须为正整数",
            "the minimum cohort size must be a positive integer",
        )
    years_in = _codes("year", year_raw, n)
    kinds, n_kinds = _dense(_codes("kind", kind, n))
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Cohorts(np.zeros(0, np.int8), empty, empty, empty, 0, ())
    first_year = int(years_in.min())
    y = years_in - first_year
    n_years = int(y.max()) + 1
    groups: list[IntArray] = []
    counts: list[int] = []
    for name, codes in (("subclass", subclass), ("ipc_class", ipc_class), ("section", section)):
        dense, count = _dense(_codes(name, codes, n))
        # (kind, field) pairs numbered densely: the histograms hold the pairs that occur, never
        # every kind × every field.
        pair, pairs = _dense(kinds * count + dense)
        groups.append(pair)
        counts.append(pairs)

    basis = np.full(n, _KIND_LEVEL, dtype=np.int8)
    unplaced = np.ones(n, dtype=np.bool_)
    size = np.zeros(n, dtype=np.int64)
    # Level 0: (group, year) cells; levels 1-3: windows of ±W years over the cells (level 1 over
    # level 0's cells). A level only runs while some right is still unplaced.
    hist = np.zeros((0, n_years), dtype=np.int64)
    for level in range(4):
        if not unplaced.any():
            break
        group = groups[max(level - 1, 0)]
        cell = group * n_years + y
        if level != 1:
            hist = np.bincount(cell, minlength=counts[max(level - 1, 0)] * n_years)
            hist = hist.reshape(-1, n_years)
        level_size = (hist if level == 0 else window_sums(hist)).ravel()[cell]
        placed = unplaced & (level_size >= min_size)
        basis[placed] = level
        size[placed] = level_size[placed]
        unplaced &= ~placed
    kind_size = np.bincount(kinds, minlength=n_kinds)
    size[unplaced] = kind_size[kinds[unplaced]]

    year_from = years_in.copy()
    year_to = years_in.copy()
    windowed = (basis >= 1) & (basis <= 3)
    year_from[windowed] -= YEAR_WINDOW
    year_to[windowed] += YEAR_WINDOW
    if unplaced.any():
        kind_years_min = np.full(n_kinds, np.iinfo(np.int64).max)
        kind_years_max = np.full(n_kinds, np.iinfo(np.int64).min)
        np.minimum.at(kind_years_min, kinds, years_in)
        np.maximum.at(kind_years_max, kinds, years_in)
        year_from[unplaced] = kind_years_min[kinds[unplaced]]
        year_to[unplaced] = kind_years_max[kinds[unplaced]]

    everyone = np.arange(n, dtype=np.int64)
    plans: list[LevelPlan] = []
    for level in range(len(COHORT_BASES)):
        rows = everyone[basis == level]
        if rows.size == 0:
            continue
        if level == 0:
            cells, n_cells = _dense(groups[0][rows] * n_years + y[rows])
            plans.append(LevelPlan(0, rows, rows, cells, None, n_cells,
                                   np.arange(rows.size, dtype=np.int64)))  # fmt: skip
            continue
        # The members: every right of the kinds of the placed rights (the last level), or of
        # their groups filed within ±W years of one of them (a windowed level).
        if level == _KIND_LEVEL:
            group = kinds
            needed_kind = np.zeros(n_kinds, dtype=np.bool_)
            needed_kind[kinds[rows]] = True
            members = everyone[needed_kind[kinds]]
        else:
            group = groups[level - 1]
            centres = np.zeros((counts[level - 1], n_years), dtype=np.int64)
            centres[group[rows], y[rows]] = 1
            near = window_sums(centres).ravel() > 0
            members = everyone[near[group * n_years + y]]
        member_group, n_groups = _dense(group[members])
        plans.append(
            LevelPlan(
                level,
                rows,
                members,
                member_group,
                None if level == _KIND_LEVEL else y[members],
                n_groups,
                np.searchsorted(members, rows),
            )
        )
    return Cohorts(basis, year_from, year_to, size, n_years, tuple(plans))


def backoff_cohorts_reference(
    *,
    kind: list[int],
    year: list[int],
    subclass: list[int],
    ipc_class: list[int],
    section: list[int],
    min_size: int = DEFAULT_MIN_COHORT,
) -> list[tuple[str, int, int, list[int]]]:
    """The same backoff, right by right: (basis, year_from, year_to, member rows) per right."""
    n = len(year)
    result: list[tuple[str, int, int, list[int]]] = []
    levels = ((subclass, 0), (subclass, YEAR_WINDOW), (ipc_class, YEAR_WINDOW),
              (section, YEAR_WINDOW))  # fmt: skip
    for i in range(n):
        for level, (field, window) in enumerate(levels):
            members = [
                j for j in range(n)
                if kind[j] == kind[i] and field[j] == field[i] and abs(year[j] - year[i]) <= window
            ]  # fmt: skip
            if len(members) >= min_size:
                result.append((COHORT_BASES[level], year[i] - window, year[i] + window, members))
                break
        else:
            members = [j for j in range(n) if kind[j] == kind[i]]
            years = [year[j] for j in members]
            result.append(("kind", min(years), max(years), members))
    return result
