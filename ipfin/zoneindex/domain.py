"""示范区指数: a composite index that scores and ranks demonstration zones on their indicators.

Pure: no Django, no clock; NumPy over one (zones × indicators) matrix.

Sources. DOMAIN.md's glossary names the thing ("demonstration zone | 示范区 | area whose IP-finance
ecosystem is scored by an index"); the policy document behind it (seed 003) is not kept in
../shared (no seeds folder beside DOMAIN.md), so nothing here quotes it. The method is issue 15's,
"the demonstration-zone index calculator", as it states it:

Normalisation (`normalise`), one column j per indicator, x_ij the value of zone i:

    minmax   positive  x'_ij = (x_ij − min_j) / (max_j − min_j)
             negative  x'_ij = (max_j − x_ij) / (max_j − min_j)
    zscore   positive  x'_ij = (x_ij − mean_j) / sd_j          (sd: the population's, ÷ n)
             negative  x'_ij = −(x_ij − mean_j) / sd_j

An indicator whose values are all equal normalises to 0 for every zone, under both methods (so one
zone alone scores 0 on everything).

Weights (`fixed_weights`, `entropy_weights`), w_j ≥ 0 with Σ w_j = 1:

- fixed: the weights given, each > 0, divided by their sum;
- entropy (熵权法; minmax only, since it needs x' ≥ 0; at least 2 zones, since it divides by ln n):

      p_ij = x'_ij / Σ_i x'_ij
      e_j  = −(1 / ln n) · Σ_i p_ij · ln p_ij      (0 · ln 0 = 0; x'_·j all 0: e_j = 1)
      d_j  = 1 − e_j
      w_j  = d_j / Σ_j d_j                         (every d_j = 0: w_j = 1 / k, equal weights)

  An indicator that separates the zones more (lower entropy) weighs more. Under minmax a column
  that is not constant has a zone at 0, so its entropy is at most ln(n − 1) / ln n < 1 and
  d_j ≥ 1 − ln(n − 1) / ln n (6.6e-5 at 2,000 zones): the "every d_j = 0" case is exactly the
  case of every column constant, never an artefact of rounding.

Score and rank (`zone_index`): contribution_ij = 100 · w_j · x'_ij; score_i = Σ_j contribution_ij
(minmax: 0 to 100); zones ranked by score, highest first, in competition ranking (1, 2, 2, 4):
in descending order, a score within TIE_TOLERANCE (1e-9) of the one before it shares its rank.
`ZoneIndex.order` lists the zones by rank, ties in the order they were given.

Bounds (a calculator anyone may call: its work is bounded): at most MAX_INDICATORS indicators and
MAX_ZONES zones, codes of at most MAX_CODE_LENGTH characters, zone names of at most
MAX_ZONE_NAME_LENGTH. Every value and weight is a finite number; any finite number is accepted:
each column is scaled by a power of two into (−1, 1) first (`_scaled`), which leaves every result
as it would be unscaled (a power of two commutes with rounding) but keeps differences, sums and
squares from overflowing for values near the largest double.

Refusals, each a 422 naming the input (`field`), with a stable code (ipfin.common.errors.invalid):
`method_invalid`, `weighting_invalid`, `entropy_needs_minmax` (weighting), `indicators_empty`,
`indicators_too_many`, `code_empty`, `code_too_long`, `code_duplicate`, `direction_invalid`,
`weight_missing`, `weight_not_positive` (fixed weights only: with entropy a given weight is
ignored), `number_not_finite` (a weight or a value), `zones_empty`, `zones_too_many`,
`zone_name_empty`, `zone_name_too_long`, `zone_duplicate`, `value_unknown_code`, `value_missing`,
`entropy_needs_two_zones`. Fields are written `indicators[2].code`, `zones[5].values.gdp`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from operator import itemgetter
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from ipfin.common.errors import ValidationFailed, invalid

__all__ = [
    "MAX_CODE_LENGTH",
    "MAX_INDICATORS",
    "MAX_ZONES",
    "MAX_ZONE_NAME_LENGTH",
    "TIE_TOLERANCE",
    "IndexMethod",
    "IndexWeighting",
    "IndicatorDirection",
    "IndicatorSpec",
    "ZoneIndex",
    "competition_ranks",
    "entropy_weights",
    "fixed_weights",
    "index_options",
    "normalise",
    "stored_index",
    "zone_index",
]

MAX_INDICATORS = 200
MAX_ZONES = 2_000
MAX_CODE_LENGTH = 50
MAX_ZONE_NAME_LENGTH = 100
# Scores closer than this (in descending order) share a rank: what is left of "equal" after the
# rounding of a weighted sum of up to 200 terms on a 0-100 scale.
TIE_TOLERANCE = 1e-9

Floats = NDArray[np.float64]
_E = TypeVar("_E", bound=StrEnum)


class IndexMethod(StrEnum):
    MINMAX = "minmax"  # 极差标准化
    ZSCORE = "zscore"  # Z-score 标准化


class IndexWeighting(StrEnum):
    FIXED = "fixed"  # 给定权重
    ENTROPY = "entropy"  # 熵权法


class IndicatorDirection(StrEnum):
    POSITIVE = "positive"  # 正向指标: more is better
    NEGATIVE = "negative"  # 逆向指标: less is better


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    direction: str
    weight: float | None = None


@dataclass(frozen=True)
class ZoneIndex:
    """The index of the zones, in the order they were given (`order`: by rank)."""

    codes: tuple[str, ...]
    zones: tuple[str, ...]
    weights: Floats  # (k,), Σ = 1
    normalised: Floats  # (n, k), x'
    contributions: Floats  # (n, k), 100 · w_j · x'_ij
    scores: Floats  # (n,), Σ_j contributions
    ranks: NDArray[np.int64]  # (n,), 1 = the highest score
    order: NDArray[np.int64]  # (n,), the zones' indices by rank, ties in the order given

    def ranked(self) -> dict[str, Any]:
        """The index as plain data (JSON-ready floats and ints): `weights` by code in the order
        given, `zones` by rank, each with its `zone`, `score`, `rank` and `contributions` by
        code."""
        codes = self.codes
        scores = self.scores.tolist()
        ranks = self.ranks.tolist()
        contributions = self.contributions.tolist()
        return {
            "weights": dict(zip(codes, self.weights.tolist(), strict=True)),
            "zones": [
                {
                    "zone": self.zones[i],
                    "score": scores[i],
                    "rank": ranks[i],
                    "contributions": dict(zip(codes, contributions[i], strict=True)),
                }
                for i in self.order.tolist()
            ],
        }


# --- the rules on columns -------------------------------------------------------------------------


def _scaled(columns: Floats) -> Floats:
    """Each column divided by the power of two just above its largest |value|: in (−1, 1), and
    every difference, sum and square of the normalisation finite (module docstring, Bounds)."""
    _, exponent = np.frexp(np.max(np.abs(columns), axis=0))
    return np.asarray(np.ldexp(columns, -exponent), dtype=np.float64)


def normalise(values: Floats, negative: NDArray[np.bool_], method: IndexMethod) -> Floats:
    """x' of every value (module docstring): `values` (n, k), `negative` (k,) True for an
    indicator where less is better. A column whose values are all equal is 0."""
    x = _scaled(values)
    low, high = x.min(axis=0), x.max(axis=0)
    constant = low == high
    if method is IndexMethod.MINMAX:
        span = np.where(constant, 1.0, high - low)
        result = np.where(negative, high - x, x - low) / span
    else:
        sd = np.where(constant, 1.0, x.std(axis=0))  # ddof=0: the population's
        deviation = (x - x.mean(axis=0)) / sd
        result = np.where(negative, -deviation, deviation)
    result[:, constant] = 0.0
    # + 0.0: −0.0 (a negative indicator at its mean) is written 0.
    return np.asarray(result + 0.0, dtype=np.float64)


def fixed_weights(weights: Floats) -> Floats:
    """The weights given (each > 0, finite), divided by their sum."""
    w = _scaled(weights)
    return np.asarray(w / w.sum(), dtype=np.float64)


def entropy_weights(normalised: Floats) -> Floats:
    """熵权法 over x' ≥ 0 of at least 2 zones (module docstring)."""
    n, k = normalised.shape
    totals = normalised.sum(axis=0)
    empty = totals == 0  # every x' of the indicator is 0: e = 1 by definition
    p = normalised / np.where(empty, 1.0, totals)
    # 0 · ln 0 = 0: where p is 0 the logarithm is taken of 1 instead.
    p_ln_p = p * np.log(np.where(p > 0, p, 1.0))
    entropy = np.where(empty, 1.0, -p_ln_p.sum(axis=0) / math.log(n))
    # d ≥ 0 exactly; rounding may leave e a hair above 1 for a column of equal non-zero x'.
    divergence = np.maximum(1.0 - entropy, 0.0)
    total = divergence.sum()
    if total == 0:
        return np.full(k, 1.0 / k)
    return np.asarray(divergence / total, dtype=np.float64)


def competition_ranks(scores: Floats) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(rank of each score, the indices by rank): highest first, 1, 2, 2, 4; in descending
    order a score within TIE_TOLERANCE of the one before it shares its rank; ties keep the order
    given."""
    n = scores.shape[0]
    order = np.argsort(-scores, kind="stable").astype(np.int64)
    ranked = scores[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = ranked[:-1] - ranked[1:] > TIE_TOLERANCE
    # Each position takes the position of the start of its run of ties, + 1.
    positions = np.arange(n, dtype=np.int64)
    by_position = np.maximum.accumulate(np.where(starts, positions, 0)) + 1
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = by_position
    return ranks, order


# --- the request ----------------------------------------------------------------------------------


def zone_index(
    *,
    method: str,
    weighting: str,
    indicators: Sequence[IndicatorSpec],
    zone_names: Sequence[str],
    zone_values: Sequence[Mapping[str, float]],
) -> ZoneIndex:
    """The index of the zones (`zone_names[i]` with `zone_values[i]`, a value per indicator code),
    or a 422 naming the first input that is refused (module docstring)."""
    how, weigh = index_options(method, weighting)
    codes, negative, given = _indicators_in(indicators, weigh)
    names = _zones_in(zone_names, zone_values)
    if weigh is IndexWeighting.ENTROPY and len(names) < 2:
        raise invalid(
            "zones",
            "entropy_needs_two_zones",
            "熵权法至少需要 2 个示范区。",
            "Entropy weighting needs at least 2 zones.",
            min_items=2,
        )
    values = _values_in(codes, zone_values)
    normalised = normalise(values, negative, how)
    weights = fixed_weights(given) if given is not None else entropy_weights(normalised)
    contributions = 100.0 * weights * normalised
    scores = contributions.sum(axis=1)
    ranks, order = competition_ranks(scores)
    return ZoneIndex(
        codes=codes,
        zones=names,
        weights=weights,
        normalised=normalised,
        contributions=contributions,
        scores=scores,
        ranks=ranks,
        order=order,
    )


def index_options(method: str, weighting: str) -> tuple[IndexMethod, IndexWeighting]:
    """The method and the weighting, or a 422: `method_invalid`, `weighting_invalid`,
    `entropy_needs_minmax` (weighting). The one check of the pair, for the calculator and for an
    indicator system that is configured before any zone has a value."""
    how = _choice(IndexMethod, method, "method", "method_invalid", "标准化方法")
    weigh = _choice(IndexWeighting, weighting, "weighting", "weighting_invalid", "赋权方法")
    if weigh is IndexWeighting.ENTROPY and how is not IndexMethod.MINMAX:
        raise invalid(
            "weighting",
            "entropy_needs_minmax",
            "熵权法只能与极差标准化（method 为 minmax）同用：Z-score 标准化的值可能为负。",
            "Entropy weighting needs method minmax: z-scores can be negative.",
        )
    return how, weigh


def _choice(kind: type[_E], value: str, field: str, code: str, label_zh: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(kind)
        raise invalid(
            field,
            code,
            f"{label_zh}须为 {allowed} 之一。",
            f"{field} must be one of {allowed}.",
            allowed=list(kind),
        ) from None


def _too_many(field: str, code: str, limit: int, zh: str, en: str) -> ValidationFailed:
    return invalid(field, code, f"{zh}最多 {limit} 个。", f"At most {limit} {en}.", max_items=limit)


def _text_in(text: str, field: str, limit: int, code: str, label_zh: str) -> None:
    if not text.strip():
        raise invalid(field, f"{code}_empty", f"{label_zh}不能为空。", f"{field} is empty.")
    if len(text) > limit:
        raise invalid(
            field,
            f"{code}_too_long",
            f"{label_zh}最长 {limit} 个字符（本次 {len(text)} 个）。",
            f"{field} is {len(text)} characters long: at most {limit}.",
            max_length=limit,
        )


def _first_repeat(items: Sequence[str]) -> tuple[int, int] | None:
    """(i, j): items[i] is the first item equal to an earlier one, items[j] (j < i); None if all
    differ. Without a Python loop over the items."""
    if len(set(items)) == len(items):
        return None
    n = len(items)
    # Built from the end, each item's smallest index wins.
    first = dict(zip(reversed(items), range(n - 1, -1, -1), strict=True))
    firsts = np.fromiter(map(first.__getitem__, items), dtype=np.int64, count=n)
    i = int(np.flatnonzero(firsts != np.arange(n))[0])
    return i, int(firsts[i])


def _finite(value: float, field: str) -> None:
    if not math.isfinite(value):
        raise invalid(
            field,
            "number_not_finite",
            f"“{field}”须为有限的数（不能是 NaN 或无穷大）。",
            f"{field} must be a finite number (not NaN or an infinity).",
        )


def _indicators_in(
    indicators: Sequence[IndicatorSpec], weighting: IndexWeighting
) -> tuple[tuple[str, ...], NDArray[np.bool_], Floats | None]:
    """(codes, negative, the fixed weights or None for entropy)."""
    if not indicators:
        raise invalid("indicators", "indicators_empty", "至少需要一个指标。", "No indicators.")
    if len(indicators) > MAX_INDICATORS:
        raise _too_many("indicators", "indicators_too_many", MAX_INDICATORS, "指标", "indicators")
    negative = np.zeros(len(indicators), dtype=bool)
    weights = np.zeros(len(indicators))
    for j, spec in enumerate(indicators):  # at most MAX_INDICATORS
        at = f"indicators[{j}]"
        _text_in(spec.code, f"{at}.code", MAX_CODE_LENGTH, "code", "指标代码")
        direction = _choice(
            IndicatorDirection, spec.direction, f"{at}.direction", "direction_invalid", "指标方向"
        )
        negative[j] = direction is IndicatorDirection.NEGATIVE
        if weighting is IndexWeighting.ENTROPY:
            continue  # a weight given is ignored
        if spec.weight is None:
            raise invalid(
                f"{at}.weight",
                "weight_missing",
                f"给定权重（weighting 为 fixed）时，指标“{spec.code}”须有权重。",
                f"With fixed weighting, indicator {spec.code!r} needs a weight.",
            )
        _finite(spec.weight, f"{at}.weight")
        if spec.weight <= 0:
            raise invalid(
                f"{at}.weight",
                "weight_not_positive",
                f"指标“{spec.code}”的权重须大于 0（本次 {spec.weight}）。",
                f"The weight of indicator {spec.code!r} must be above 0 (not {spec.weight}).",
            )
        weights[j] = spec.weight
    codes = tuple(spec.code for spec in indicators)
    repeat = _first_repeat(codes)
    if repeat is not None:
        i, j = repeat
        raise invalid(
            f"indicators[{i}].code",
            "code_duplicate",
            f"指标代码“{codes[i]}”重复（与第 {j + 1} 个指标相同）。",
            f"Indicator code {codes[i]!r} is given twice (also indicators[{j}]).",
            duplicate_of=f"indicators[{j}].code",
        )
    return codes, negative, None if weighting is IndexWeighting.ENTROPY else weights


def _zones_in(names: Sequence[str], values: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    n = len(names)
    if n == 0:
        raise invalid("zones", "zones_empty", "至少需要一个示范区。", "No zones.")
    if n > MAX_ZONES:
        raise _too_many("zones", "zones_too_many", MAX_ZONES, "示范区", "zones")
    if len(values) != n:
        raise ValueError("one values mapping per zone name")  # the caller's mistake, not input
    lengths = np.fromiter(map(len, names), dtype=np.int64, count=n)
    blank = np.fromiter(map(len, map(str.strip, names)), dtype=np.int64, count=n) == 0
    wrong = np.flatnonzero(blank | (lengths > MAX_ZONE_NAME_LENGTH))
    if wrong.size:
        i = int(wrong[0])
        _text_in(names[i], f"zones[{i}].zone", MAX_ZONE_NAME_LENGTH, "zone_name", "示范区名称")
    repeat = _first_repeat(names)
    if repeat is not None:
        i, j = repeat
        raise invalid(
            f"zones[{i}].zone",
            "zone_duplicate",
            f"示范区“{names[i]}”重复（与第 {j + 1} 个示范区同名）。",
            f"Zone {names[i]!r} is given twice (also zones[{j}]).",
            duplicate_of=f"zones[{j}].zone",
        )
    return tuple(names)


def _values_in(codes: tuple[str, ...], zone_values: Sequence[Mapping[str, float]]) -> Floats:
    """The (zones × indicators) matrix: each zone has a finite value for every code, and none for
    another."""
    n, k = len(zone_values), len(codes)
    unknown = set().union(*zone_values).difference(codes)
    if unknown:
        i = int(np.flatnonzero(~np.fromiter(map(unknown.isdisjoint, zone_values), bool, n))[0])
        key = next(key for key in zone_values[i] if key in unknown)
        # A key longer than any code is named by its zone (the field echoes no unbounded text).
        field = f"zones[{i}].values" + (f".{key}" if len(key) <= MAX_CODE_LENGTH else "")
        raise invalid(
            field,
            "value_unknown_code",
            f"第 {i + 1} 个示范区给出了未列出的指标“{key[:MAX_CODE_LENGTH]}”的值。",
            f"zones[{i}] gives a value for {key[:MAX_CODE_LENGTH]!r}, which is not an indicator.",
        )
    # Every key is a code now: a zone with fewer keys than codes lacks one.
    short = np.flatnonzero(np.fromiter(map(len, zone_values), np.int64, n) < k)
    if short.size:
        i = int(short[0])
        code = next(code for code in codes if code not in zone_values[i])
        raise invalid(
            f"zones[{i}].values.{code}",
            "value_missing",
            f"第 {i + 1} 个示范区缺少指标“{code}”的值。",
            f"zones[{i}] has no value for indicator {code!r}.",
        )
    rows = list(map(itemgetter(*codes), zone_values))
    values = np.array(rows, dtype=np.float64).reshape(n, k)
    bad = np.argwhere(~np.isfinite(values))
    if bad.size:
        i, j = (int(v) for v in bad[0])
        _finite(float(values[i, j]), f"zones[{i}].values.{codes[j]}")
    return values


# --- a stored run ---------------------------------------------------------------------------------


def stored_index(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The results of a stored run (ipfin.zoneindex.models.IndexRun) from its `inputs`, exactly
    what the rule gives for them, so that a run is reproduced from what it stored:

        {"method", "weighting",
         "indicators": [{"code", "direction", "weight": a float, None under entropy, ...}],
         "zones": [{"zone_id": int, "name": str, "values": {code: float}}]}

    Each zone is given to the rule under its id (names need not be unique); the results are
    `ZoneIndex.ranked()` with each zone's `zone_id` and `name` in place of that key. Any other
    key of an indicator (its names, its dimension, its source) describes it and is not read."""
    zones = inputs["zones"]
    names = {str(zone["zone_id"]): zone for zone in zones}
    result = zone_index(
        method=inputs["method"],
        weighting=inputs["weighting"],
        indicators=[
            IndicatorSpec(spec["code"], spec["direction"], spec.get("weight"))
            for spec in inputs["indicators"]
        ],
        zone_names=[str(zone["zone_id"]) for zone in zones],
        zone_values=[zone["values"] for zone in zones],
    ).ranked()
    return {
        "weights": result["weights"],
        "zones": [
            {
                "zone_id": names[row["zone"]]["zone_id"],
                "name": names[row["zone"]]["name"],
                "score": row["score"],
                "rank": row["rank"],
                "contributions": row["contributions"],
            }
            for row in result["zones"]
        ],
    }
