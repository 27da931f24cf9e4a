"""Anomaly signals (虚构合同、数据异常): the statistics, pure (no Django; NumPy columns in, arrays
and frozen dataclasses out; no clock, no randomness).

Source: issue 12, "Fabricated data and anomalies (虚构合同、数据异常, seed 001)" — the seed's text
is not on disk; the issue states what it asks: "Signals for the office and the regulator, each
listing its evidence and none blocking by itself: the same contract number or the same contract
document (SHA-256) on pledges of different parties; one right pledged and released three or more
times within a year with rising debt amounts; valuations far from their cohort (robust z-score
over median and MAD > 3.5); loan amounts bunching just below an approval threshold; a bank's
reported figures failing Benford's first-digit test (chi-square, p < 0.01, at least 300
figures)". DOMAIN.md's Roles give the regulator "anomaly signals" to read. A signal is a reason
to look, never a verdict: nothing here refuses or blocks anything.

1. Shared contracts (`shared_groups`, `contract_key`): pledges carrying the same contract number
   (compared after NFKC, without whitespace, in upper case: "ZY-0001", "zy 0001" and
   "ＺＹ－０００１" are one number) or the same uploaded contract file (its SHA-256) whose
   parties differ — two (pledgee, pledgor) pairs or more. The same parties filing again under one
   contract (an application refiled after a rejection, a change) is no signal.
2. Repeated pledges (`repeated_pledges`): a right's registered-and-released pledges in the order
   they took effect; three consecutive ones with strictly rising debt amounts, the third released
   within a year of the first taking effect (a year as the calendar counts it, 届满 inclusive,
   民法典 art. 1259: on or before the same day a year later), make a run; overlapping runs of a
   right join into one signal.
3. Valuations far from their cohort (`robust_z`, `cohort_robust_z`, `valuation_cohorts`): the
   modified z-score of Iglewicz and Hoaglin, 0.6745·(x − median)/MAD, over the cohort, flagged
   when |z| > 3.5. `x` is the natural logarithm of the value per right of the report (its value ÷
   the rights it covers): values of IP are spread over orders of magnitude, so distance is
   measured in ratios — ten times the cohort's median is as far as a tenth of it, and the score
   is the same in yuan or in ten-thousands of yuan. Where more than half the cohort has one value
   (MAD 0) the mean absolute deviation stands in, (x − median)/(1.253314·MeanAD) (IBM's
   definition; 1.253314 = √(π/2) makes both scales estimate σ for normal data); both 0: z is 0.
   A cohort is the right kind (invention, utility model, design, trademark, copyright, IC layout);
   a report whose rights share an IPC subclass (the first four characters of the main
   classification, e.g. G06F) is compared within (kind, subclass) when that cohort has at least
   `SUBCLASS_COHORT_MIN` members, else within its kind. A cohort of fewer than `COHORT_MIN`
   members judges nothing (z NaN). A report over rights of several kinds has no cohort.
4. Bunching below approval thresholds (`bunching_bands`, `bunching`): thresholds are the round
   figures `ROUND_THRESHOLDS` (1, 3, 5, 10 million yuan; 10,000,000 is also the line of internal
   valuation, valuation/domain/bank.py) and the loan's product's maximum amount; "just below" is
   the band [0.98·T, T), T itself excluded (a loan of exactly the figure is within the line as
   民法典 art. 1259 reads 以下, and round sums are simply common). Where the product's band overlaps
   a round one they are one band (their union). The expected share comes from the bank's own
   distribution: the logarithms of its loans outside every band (the counterfactual, as bunching
   estimators fit the distribution away from the threshold) are fitted by a normal law with the
   median as centre and 1.4826·MAD (else 1.253314·MeanAD) as spread; each loan's chance of falling
   in its bands under that law, summed, is the expected count. A bank of at least `BUNCHING_MIN_
   LOANS` loans with at least `BUNCHING_MIN_IN_BANDS` in the bands is flagged when that count is
   more than `BUNCHING_FACTOR` (3) times the expected one — or when the law cannot be fitted
   because fewer than `BUNCHING_MIN_FIT` of its loans lie outside the bands or they do not vary:
   then most of its loans sit just below a threshold, which is the signal itself.
5. Benford's law (`first_digits`, `benford`): the first significant digits of a bank's figures
   (amounts in integer fen, so that no binary fraction blurs a digit) against P(d) = log10(1 +
   1/d), by Pearson's chi-square with 8 degrees of freedom; the p-value is the chi-square
   survival function, the regularized upper incomplete gamma Q(k/2, x/2) (`chi2_sf`,
   `regularized_gamma_q`: SciPy is not installed; the series and Lentz's continued fraction of
   Numerical Recipes §6.2, tested against the closed forms and tabled critical values). Failed
   when p < `BENFORD_ALPHA` (0.01), judged only with at least `BENFORD_MIN_FIGURES` (300)
   figures.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ipfin.risk.domain.annuity_watch import add_years_columns

__all__ = [
    "BENFORD_ALPHA",
    "BENFORD_MIN_FIGURES",
    "BENFORD_P",
    "BUNCHING_BAND",
    "BUNCHING_FACTOR",
    "BUNCHING_MIN_FIT",
    "BUNCHING_MIN_IN_BANDS",
    "BUNCHING_MIN_LOANS",
    "COHORT_MIN",
    "MAD_FACTOR",
    "MEAN_AD_FACTOR",
    "REPEAT_MIN",
    "ROBUST_Z_LIMIT",
    "ROUND_THRESHOLDS",
    "ROUND_THRESHOLDS_YUAN",
    "SUBCLASS_COHORT_MIN",
    "Benford",
    "Bunching",
    "CohortScores",
    "benford",
    "bunching",
    "bunching_bands",
    "chi2_sf",
    "cohort_robust_z",
    "contract_key",
    "first_digits",
    "regularized_gamma_q",
    "repeated_pledges",
    "robust_z",
    "shared_groups",
    "valuation_cohorts",
]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Days = npt.NDArray[np.datetime64]

ROBUST_Z_LIMIT = 3.5
MAD_FACTOR = 0.6745  # Φ⁻¹(0.75): MAD/0.6745 estimates σ for normal data
MEAN_AD_FACTOR = 1.253314  # √(π/2): 1.253314·MeanAD estimates σ for normal data
COHORT_MIN = 10
SUBCLASS_COHORT_MIN = 30
REPEAT_MIN = 3
ROUND_THRESHOLDS_YUAN = (1_000_000, 3_000_000, 5_000_000, 10_000_000)
ROUND_THRESHOLDS = tuple(t * 100 for t in ROUND_THRESHOLDS_YUAN)  # in fen
BUNCHING_BAND = 0.02  # "just below": within 2 % below the threshold
BUNCHING_FACTOR = 3.0
BUNCHING_MIN_LOANS = 20
BUNCHING_MIN_IN_BANDS = 5
BUNCHING_MIN_FIT = 10
BENFORD_MIN_FIGURES = 300
BENFORD_ALPHA = 0.01
BENFORD_P: Floats = np.log10(1 + 1 / np.arange(1, 10, dtype=np.float64))


# --- 1. the same contract on pledges of different parties ----------------------------------------


def contract_key(number: str) -> str:
    """A contract number as it is compared: NFKC (full-width folded), no whitespace, upper case."""
    return "".join(unicodedata.normalize("NFKC", number).split()).upper()


def shared_groups(keys: Sequence[str], parties: Sequence[tuple[int, int]]) -> list[list[int]]:
    """The groups of positions sharing a key (empty keys are none) whose (pledgee, pledgor)
    pairs are not all the same, each in the order given; the groups in the order of their first
    position."""
    positions: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key:
            positions.setdefault(key, []).append(i)
    groups = [group for group in positions.values() if len({parties[i] for i in group}) > 1]
    return sorted(groups, key=lambda group: group[0])


# --- 2. one right pledged and released again and again -------------------------------------------


def repeated_pledges(right: Ints, effective: Days, released: Days, debt: Ints) -> list[list[int]]:
    """The runs of `REPEAT_MIN` or more consecutive pledges of one right with strictly rising debt
    amounts, each three in a row taking effect and released within a year (module docstring, 2),
    as lists of positions in the order the pledges took effect. Only pledges registered and
    released are given (NaT in neither column); ties in the effective date keep the given
    order."""
    n = len(right)
    if n < REPEAT_MIN:
        return []
    order = np.lexsort((np.arange(n), effective, right))
    r, eff, rel, amount = right[order], effective[order], released[order], debt[order]
    k = REPEAT_MIN - 1
    same = r[:-k] == r[k:]
    rising = np.ones(n - k, dtype=np.bool_)
    for step in range(k):
        rising &= amount[step : n - k + step] < amount[step + 1 : n - k + step + 1]
    within_year = rel[k:] <= add_years_columns(eff[:-k], 1)
    starts = np.flatnonzero(same & rising & within_year)
    runs: list[list[int]] = []
    for start in starts.tolist():
        members = list(range(start, start + REPEAT_MIN))
        if runs and runs[-1][-1] >= start and r[runs[-1][0]] == r[start]:
            runs[-1].extend(m for m in members if m > runs[-1][-1])
        else:
            runs.append(members)
    return [[int(order[i]) for i in run] for run in runs]


# --- 3. robust z-scores over cohorts -------------------------------------------------------------


def _group_index(codes: Ints) -> tuple[Ints, Ints]:
    """(group number of each row, size of each group), groups numbered by their code's order."""
    _, inverse, sizes = np.unique(codes, return_inverse=True, return_counts=True)
    return inverse.astype(np.int64).reshape(-1), sizes.astype(np.int64)


def _group_medians(group: Ints, sizes: Ints, values: Floats) -> Floats:
    """The median of each group (the mean of the two middle values of an even group)."""
    order = np.lexsort((values, group))
    ordered = values[order]
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    low = ordered[starts + (sizes - 1) // 2]
    high = ordered[starts + sizes // 2]
    return np.asarray((low + high) / 2, dtype=np.float64)


@dataclass(frozen=True)
class CohortScores:
    """Per row: its cohort's size, median and the scale the score divides by (MAD/0.6745, else
    1.253314·MeanAD, else 0), and the robust z-score (NaN in a cohort below COHORT_MIN)."""

    size: Ints
    median: Floats
    scale: Floats
    z: Floats


def cohort_robust_z(codes: Ints, values: Floats, *, min_size: int = COHORT_MIN) -> CohortScores:
    """The robust z-score of each value within the rows of its code (module docstring, 3), all
    cohorts at once: two sorts, no loop over cohorts."""
    n = len(values)
    if n == 0:
        empty = np.zeros(0, dtype=np.float64)
        return CohortScores(np.zeros(0, dtype=np.int64), empty, empty, empty)
    group, sizes = _group_index(codes)
    median = _group_medians(group, sizes, values)[group]
    deviation = np.abs(values - median)
    mad = _group_medians(group, sizes, deviation)[group]
    mean_ad = (np.bincount(group, weights=deviation) / sizes)[group]
    scale = np.where(mad > 0, mad / MAD_FACTOR, MEAN_AD_FACTOR * mean_ad)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(scale > 0, (values - median) / scale, 0.0)
    size = sizes[group]
    z = np.where(size >= min_size, z, np.nan)
    return CohortScores(size, median, scale, np.asarray(z, dtype=np.float64))


def robust_z(values: Floats) -> Floats:
    """The robust z-score of each value within all of them (one cohort, no minimum size)."""
    codes = np.zeros(len(values), dtype=np.int64)
    return cohort_robust_z(codes, np.asarray(values, dtype=np.float64), min_size=1).z


def valuation_cohorts(
    kind: Ints,
    subclass: Ints,
    values: Floats,
    *,
    min_subclass: int = SUBCLASS_COHORT_MIN,
    min_size: int = COHORT_MIN,
) -> tuple[CohortScores, Bools]:
    """Each report's robust z-score within its cohort, and whether that cohort is its (kind,
    subclass) (module docstring, 3): its kind and IPC subclass (≥ 0) when at least
    `min_subclass` reports share them, else every report of its kind. A kind < 0 (rights of
    several kinds) has no cohort: z NaN."""
    width = int(subclass.max()) + 2 if len(subclass) else 1
    pair = kind * width + subclass + 1
    by_kind = cohort_robust_z(kind, values, min_size=min_size)
    by_pair = cohort_robust_z(pair, values, min_size=min_size)
    use_pair = (kind >= 0) & (subclass >= 0) & (by_pair.size >= min_subclass)

    def pick(of_pair: npt.NDArray[np.generic], of_kind: npt.NDArray[np.generic]) -> Floats:
        return np.asarray(np.where(use_pair, of_pair, of_kind), dtype=np.float64)

    scores = CohortScores(
        size=np.where(use_pair, by_pair.size, by_kind.size).astype(np.int64),
        median=pick(by_pair.median, by_kind.median),
        scale=pick(by_pair.scale, by_kind.scale),
        z=np.where(kind >= 0, pick(by_pair.z, by_kind.z), np.nan),
    )
    return scores, use_pair


# --- 4. loan amounts bunching just below an approval threshold -----------------------------------


def bunching_bands(product_max: Ints) -> tuple[Ints, Ints]:
    """Each loan's bands just below a threshold, as (low, high) columns of shape (loans, 5), in
    fen: [⌈0.98·T⌉, T) for the four round figures and the product's maximum (0: none); a product
    band overlapping a round one is merged into it (their union) and its own column emptied."""
    n = len(product_max)
    share = round((1 - BUNCHING_BAND) * 100)

    def low_of(high: Ints) -> Ints:
        return np.asarray(-((-high * share) // 100), dtype=np.int64)  # ⌈0.98·T⌉ in integers

    high = np.empty((n, len(ROUND_THRESHOLDS) + 1), dtype=np.int64)
    high[:, :-1] = np.array(ROUND_THRESHOLDS, dtype=np.int64)
    high[:, -1] = product_max
    low = low_of(high)
    own_high, own_low = high[:, -1].copy(), low[:, -1].copy()
    has_own = own_high > 0
    for k in range(len(ROUND_THRESHOLDS)):
        overlap = has_own & (own_low < high[:, k]) & (low[:, k] < own_high)
        low[:, k] = np.where(overlap, np.minimum(low[:, k], own_low), low[:, k])
        high[:, k] = np.where(overlap, np.maximum(high[:, k], own_high), high[:, k])
        has_own &= ~overlap
    low[:, -1] = np.where(has_own, own_low, 0)
    high[:, -1] = np.where(has_own, own_high, 0)
    return low, high


@dataclass(frozen=True)
class Bunching:
    """One bank's loans against its bands: how many, how many in the bands (their positions),
    the count expected there from its own distribution (None: it cannot be fitted), the fitted
    law (centre, spread: of ln yuan), and whether that is a signal."""

    loans: int
    in_bands: int
    expected: float | None
    centre: float | None
    spread: float | None
    flagged: bool
    positions: list[int]


_ERFC = np.frompyfunc(math.erfc, 1, 1)


def _normal_cdf(z: Floats) -> Floats:
    return np.asarray(0.5 * _ERFC(-z / math.sqrt(2)), dtype=np.float64)


def bunching(amount: Ints, product_max: Ints) -> Bunching:
    """One bank's loans (amounts and their products' maxima, in fen) against the bunching test
    (module docstring, 4)."""
    n = len(amount)
    low, high = bunching_bands(product_max)
    in_band = ((low <= amount[:, None]) & (amount[:, None] < high)).any(axis=1)
    positions = np.flatnonzero(in_band).astype(np.int64).tolist()
    outside = np.log(amount[~in_band].astype(np.float64))
    centre = spread = expected = None
    if len(outside) >= BUNCHING_MIN_FIT:
        scores = cohort_robust_z(np.zeros(len(outside), dtype=np.int64), outside, min_size=1)
        if scores.scale[0] > 0:
            centre, spread = float(scores.median[0]), float(scores.scale[0])
            with np.errstate(divide="ignore"):
                upper = _normal_cdf((np.log(high.astype(np.float64)) - centre) / spread)
                lower = _normal_cdf((np.log(low.astype(np.float64)) - centre) / spread)
            expected = float(np.where(high > 0, upper - lower, 0.0).sum())
    count = len(positions)
    flagged = (
        n >= BUNCHING_MIN_LOANS
        and count >= BUNCHING_MIN_IN_BANDS
        and (expected is None or count > BUNCHING_FACTOR * expected)
    )
    return Bunching(n, count, expected, centre, spread, flagged, positions)


# --- 5. Benford's first-digit law ----------------------------------------------------------------


def first_digits(fen: Ints) -> Ints:
    """The first significant digit (1-9) of each positive integer, exactly (a float logarithm
    alone is off by one just below a power of ten: 999999999999999 has log10 15.0 in binary)."""
    values = np.asarray(fen, dtype=np.int64)
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    if (values <= 0).any():
        raise ValueError("first digits are of positive figures")
    exponent = np.floor(np.log10(values.astype(np.float64))).astype(np.int64)
    power = np.power(np.int64(10), exponent)
    power = np.where(power > values, power // 10, power)
    power = np.where(power * 10 <= values, power * 10, power)
    return np.asarray(values // power, dtype=np.int64)


@dataclass(frozen=True)
class Benford:
    """Pearson's chi-square of the first digits against Benford's law: the figures, the count of
    each digit 1-9, the counts expected, the statistic, its p-value (8 degrees of freedom) and
    whether the figures fail (p < BENFORD_ALPHA); `judged` False below BENFORD_MIN_FIGURES, and
    then `fails` is False."""

    figures: int
    counts: tuple[int, ...]
    expected: tuple[float, ...]
    chi2: float
    p_value: float
    judged: bool
    fails: bool


def benford(digits: Ints, *, min_figures: int = BENFORD_MIN_FIGURES) -> Benford:
    """Benford's first-digit test of `digits` (each 1-9; module docstring, 5)."""
    counts = np.bincount(np.asarray(digits, dtype=np.int64), minlength=10)[1:10]
    n = int(counts.sum())
    expected = n * BENFORD_P
    chi2 = float(((counts - expected) ** 2 / expected).sum()) if n else 0.0
    p_value = chi2_sf(chi2, 8) if n else 1.0
    judged = n >= min_figures
    return Benford(
        figures=n,
        counts=tuple(int(c) for c in counts),
        expected=tuple(float(e) for e in expected),
        chi2=chi2,
        p_value=p_value,
        judged=judged,
        fails=judged and p_value < BENFORD_ALPHA,
    )


_EPSILON = 1e-15
_TINY = 1e-300
_MAX_ITERATIONS = 10_000


def regularized_gamma_q(a: float, x: float) -> float:
    """Q(a, x) = Γ(a, x)/Γ(a), the regularized upper incomplete gamma function, for a > 0, x ≥ 0:
    1 − P(a, x) by its series where x < a + 1, else by its continued fraction (modified Lentz),
    as Numerical Recipes (3rd ed.) §6.2 computes them; accurate to about 1e-14."""
    if a <= 0 or x < 0 or math.isnan(x):
        raise ValueError(f"Q(a, x) needs a > 0 and x ≥ 0, got a={a}, x={x}")
    if x == 0:
        return 1.0
    log_prefactor = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        denominator = a
        for _ in range(_MAX_ITERATIONS):
            denominator += 1
            term *= x / denominator
            total += term
            if abs(term) < abs(total) * _EPSILON:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefactor))
    b = x + 1 - a
    c = 1 / _TINY
    d = 1 / b
    h = d
    for i in range(1, _MAX_ITERATIONS):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < _EPSILON:
            break
    return min(1.0, math.exp(log_prefactor) * h)


def chi2_sf(x: float, df: int) -> float:
    """P(χ²_df ≥ x), the chi-square survival function: Q(df/2, x/2)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be at least 1, got {df}")
    return 1.0 if x <= 0 else regularized_gamma_q(df / 2, x / 2)
