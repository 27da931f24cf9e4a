"""价值度: the explainable indicator score of a patent (legal, technical, economic value degrees).

The structure follows the patent value analysis index system of CNIPA and the China Technology
Exchange (《专利价值分析指标体系操作手册》): a patent's value degree (专利价值度, PVD) combines a
legal value degree (法律价值度, LVD), a technical value degree (技术价值度, TVD) and an
economic value degree (经济价值度, EVD) with weights α, β, γ:

    PVD = α·LVD + β·TVD + γ·EVD,    α + β + γ = 1,
    LVD = 100·Σ_{i ∈ legal} w_i·p_i  (likewise TVD, EVD; the w_i of each dimension sum to 1),

where p_i ∈ [0, 1] is indicator i normalised. The indicators that can be computed from the
register are computed; those the manual leaves to an expert's judgement are inputs (0–100).

Normalisation (the OECD patent-quality indicators' approach, Squicciarini, Dernis & Criscuolo 2013,
"Measuring Patent Quality", OECD STI Working Paper 2013/03): a raw count means little across
fields and vintages (a 2008 patent has had more time to be cited than a 2022 one; claims are
drafted differently in G06F and in A01K), so each data indicator is turned into its percentile
rank within its cohort — the rights of the same kind, filing year and technology field (IPC
subclass), backed off to wider years and fields until the cohort is large enough
(ipfin.valuation.domain.cohorts) — with the mid-rank for ties:

    p = (count_less + ½·count_equal) / cohort_size         (higher is better)
    p = 1 − (count_less + ½·count_equal) / cohort_size     (lower is better)
      = (count_greater + ½·count_equal) / cohort_size

counted among the cohort's rights whose value is known. An unknown value (NaN) is neutral,
p = ½, and is marked missing (`raw` None in `explain`). A cohort where everyone is equal gives
everyone ½. Expert inputs are already on the manual's absolute 0–100 scale and are not ranked:
p = score / 100 (½ if absent).

Every right's score is the sum of its indicators' points, contribution_i = 100·α_d·w_i·p_i, so a
bank can see exactly which indicator added what (Σ contributions == score).

Indicators (name — dimension, direction, source — why it signals value):

legal (法律价值度)
- remaining_life_years — ↑, data — 有效期: the remaining legal term bounds how long the right
  can earn (the income approach's n ≤ remaining legal term); OECD "patent age" effects.
- granted (0/1) — ↑, data — 法律状态: a granted right can be enforced and pledged; a pending
  application cannot be enforced and may never be granted.
- invalidation_count — ↓, data — 稳定性: invalidation requests (无效宣告请求) on record are
  challenges to validity; for a right used as collateral every open challenge is a risk that
  the pledged value disappears. (The literature also reads challenges as a sign that a patent is
  worth fighting over — Harhoff, Scherer & Vopel 2003 — but the legal dimension scores stability.)
- litigation_count — ↓, data — 依赖性/侵权纠纷: disputes and preservations (财产保全) on record;
  a preserved right cannot be freely pledged, transferred or disposed of.
- invalidations_survived — ↑, data — 稳定性: invalidation requests dismissed, or ending in a
  partial invalidation, that the right came through (维持有效): its validity has been tested and
  held (Harhoff, Scherer & Vopel 2003: opposed-and-upheld patents are the valuable ones).
- co_owner_count — ↓, data — 权属: co-owned rights need all co-owners' consent to be pledged,
  transferred or exclusively licensed (专利法 2020 art. 14). (The count of owners beyond the
  first or the count of all owners rank identically: percentiles are shift-invariant.)
- expert_legal — ↑, expert — the manual's expert items (不可规避性, 侵权可判定性, ...), 0–100.

technical (技术价值度)
- claims_count — ↑, data — 保护范围: more claims, broader and more robust protection (OECD
  "number of claims"; Tong & Frame 1994).
- cited_by_count — ↑, data — 技术先进性: forward citations measure the technological
  importance of the invention for later inventions (OECD "forward citations"; Trajtenberg 1990).
- backward_citations — ↑, data — 技术基础: the references the patent lists (CNIPR 参考文献,
  incoPat 引证数); OECD "backward citations": an invention building on a documented body of prior
  art, and a patent whose scope the examiner has delimited against it (Harhoff et al. 2003).
- ipc_subclass_count — ↑, data — 技术应用范围: the number of distinct IPC subclasses the patent
  is classified in measures its technological breadth (OECD "patent scope"; Lerner 1994).
- grant_lag_days — ↓, data — 审查周期: days from filing to grant, patents only (OECD "grant lag";
  Harhoff & Wagner 2009: applicants speed up their valuable applications, contested and weaker
  ones take longer). Ranked within the kind, so a utility model is never compared with an
  examined invention. A pending application, a trademark, a copyright: unknown.
- applicant_count — ↑, data — 合作研发: the applicants named at filing; a joint application
  pools the applicants' research (产学研合作). Ranked in the technical dimension; the legal one
  counts the current co-owners against the right (above), so the same facts can weigh both ways
  and the explanation shows each.
- expert_technical — ↑, expert — 成熟度, 可替代性, 先进性 judged by an expert, 0–100.

economic (经济价值度)
- family_size — ↑, data — 多国申请: protection sought in several jurisdictions costs money,
  so applicants do it for valuable inventions (OECD "family size"; Harhoff et al. 2003).
- licence_count — ↑, data — 市场应用: recorded licences are market evidence that someone pays to
  use the right.
- transfer_count — ↑, data — 市场交易: recorded assignments are market evidence of a buyer
  (OECD / Serrano 2010: traded patents are more valuable).
- pledge_count — ↑, data — 融资记录: pledges registered on the platform on or before the day: a
  lender accepted the right as collateral after its own valuation.
- applicant_type — ↑, data — 实施能力: the first-named applicant's type as an ordinal,
  university 1 < research institute 2 < enterprise 3 (APPLICANT_TYPE_CODES): CNIPA's annual
  中国专利调查报告 finds enterprises' patents put to use (产业化) far more often than research
  institutes', and those more often than universities'. Individuals and public bodies are not
  placed on that scale (the survey gives no such order for them): unknown, neutral.
- expert_economic — ↑, expert — 市场规模, 市场占有率, 竞争情况 judged by an expert, 0–100.

Default weights (`ScoreWeights.default()`; any other set may be passed, validated to sum to 1):
α legal 0.40 (a bank lends against an enforceable, unencumbered right first), β technical 0.30,
γ economic 0.30; inside each dimension the weights in `DEFAULT_INDICATOR_WEIGHTS`.

Grades are calibrated on the scores of the run (`calibrate_grades`): A the top 15% of the rights,
B the next 25%, C the next 40%, D the rest by default (`DEFAULT_GRADE_SHARES`; the setting
IPFIN_SCORE_GRADE_SHARES), by each score's mid-rank so that equal scores share a grade. The bounds
found are stored with the run and reused for every score computed later until the next run.
Because the score is built from percentiles, a right at the middle of its cohort on every
indicator scores 50 and averaging twenty percentiles pulls scores towards 50 (count data is tied
at zero for most rights; absent expert inputs sit at ½): fixed bounds (`FIXED_GRADE_SCALE`:
A ≥ 65, B ≥ 55, C ≥ 45 — used only before any run) put almost every right in C, calibrated ones
spread them as the register does. Grades say how a right stands against its peers, not an amount
of money.

Performance: `score_rights` is columnar (no Python loop over rights). Each indicator's values get
an order-preserving integer code — counts are their own codes; a remaining term computed from
whole days (days/365.25) or months is recognised as fixed-point and coded exactly, verified by
the round trip — and are ranked with one histogram over (cohort, code) cells (`np.bincount`, a
cumulative sum along each cohort's row, one gather) while the table is small, else with two
stable radix sorts (code, then cohort) and one pass over the runs of equal (cohort, code). Values
with no such code take a comparison argsort instead of the first radix sort. The percentiles are
exactly those of the definition either way. A cohort backed off to a window of filing years
(`LevelPlan.windowed`) overlaps its neighbours; it is ranked with one (group, year, value)
histogram summed over the window while that table is small, else a (group, value) × year table,
else — values nearly all distinct, a term in days — with the windows spelled out once per level
(each member once per window it falls in) and ranked as a partition. `score_rights_reference` is
the plain per-row Python implementation of the same score, over `Cohorts.memberships` (the
benchmark's baseline and the tests' oracle).
"""

from __future__ import annotations

import math
import os
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ipfin.valuation.domain.cohorts import (
    COHORT_BASES,
    Cohorts,
    LevelPlan,
    partition_cohorts,
    window_sums_3d,
)
from ipfin.valuation.domain.cohorts import window_sums as _window_sums
from ipfin.valuation.domain.errors import ValuationInputError

__all__ = [
    "DEFAULT_DIMENSION_WEIGHTS",
    "DEFAULT_INDICATOR_WEIGHTS",
    "DIMENSIONS",
    "GRADES",
    "GRADE_THRESHOLDS",
    "INDICATORS",
    "INDICATOR_NAMES",
    "INDICATOR_REASONS",
    "IndicatorContribution",
    "IndicatorSpec",
    "RightScore",
    "ScoreBatch",
    "ScoreWeights",
    "cohort_codes",
    "explain",
    "score_rights",
    "score_rights_reference",
    "score_spread",
    "scoring_threads",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Dimension = Literal["legal", "technical", "economic"]
Source = Literal["data", "expert"]


@dataclass(frozen=True)
class IndicatorSpec:
    name: str
    dimension: Dimension
    label_zh: str
    label_en: str
    source: Source
    higher_is_better: bool


DIMENSIONS: tuple[Dimension, ...] = ("legal", "technical", "economic")
DIMENSION_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "legal": ("法律价值度", "legal value"),
        "technical": ("技术价值度", "technical value"),
        "economic": ("经济价值度", "economic value"),
    }
)

_S = IndicatorSpec
INDICATORS: tuple[IndicatorSpec, ...] = (
    _S("remaining_life_years", "legal", "剩余保护期", "remaining legal term", "data", True),
    _S("granted", "legal", "授权状态", "granted", "data", True),
    _S("invalidation_count", "legal", "无效宣告请求次数", "invalidation requests", "data", False),
    _S("invalidations_survived", "legal", "经无效宣告仍维持有效次数", "invalidations survived",
       "data", True),
    _S("litigation_count", "legal", "纠纷与保全次数", "disputes and preservations", "data", False),
    _S("co_owner_count", "legal", "共有人数", "co-owners", "data", False),
    _S("expert_legal", "legal", "法律专家评分", "expert legal assessment", "expert", True),
    _S("claims_count", "technical", "权利要求数", "claims", "data", True),
    _S("cited_by_count", "technical", "被引用次数", "forward citations", "data", True),
    _S("backward_citations", "technical", "引证文献数", "backward citations", "data", True),
    _S("ipc_subclass_count", "technical", "IPC小类数（技术覆盖面）",
       "IPC subclasses (technology breadth)", "data", True),
    _S("grant_lag_days", "technical", "授权周期（天）", "grant lag (days)", "data", False),
    _S("applicant_count", "technical", "共同申请人数", "co-applicants", "data", True),
    _S("expert_technical", "technical", "技术专家评分", "expert technical assessment", "expert",
       True),
    _S("family_size", "economic", "同族专利数", "patent family size", "data", True),
    _S("licence_count", "economic", "许可次数", "licences", "data", True),
    _S("transfer_count", "economic", "转让次数", "transfers", "data", True),
    _S("pledge_count", "economic", "质押登记次数", "pledges registered", "data", True),
    _S("applicant_type", "economic", "申请人类型", "applicant type", "data", True),
    _S("expert_economic", "economic", "经济专家评分", "expert economic assessment", "expert", True),
)  # fmt: skip
del _S
INDICATOR_NAMES: tuple[str, ...] = tuple(spec.name for spec in INDICATORS)
# Why each indicator signals value, and which way (the module docstring gives the sources).
INDICATOR_REASONS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "remaining_life_years": ("剩余保护期越长，权利可获益、可担保的期限越长（越高越好）",
                             "a longer remaining term earns and secures longer (higher is better)"),
    "granted": ("已授权的权利才能行使和出质（越高越好）",
                "only a granted right can be enforced and pledged (higher is better)"),
    "invalidation_count": ("无效宣告请求是对有效性的挑战，出质价值可能落空（越少越好）",
                           "invalidation requests challenge validity (fewer is better)"),
    "invalidations_survived": ("经无效宣告程序仍维持有效，稳定性经过检验（越多越好）",
                               "validity tested and upheld in invalidation (more is better)"),
    "litigation_count": ("权属纠纷与财产保全限制处分（越少越好）",
                         "disputes and preservations restrict dealings (fewer is better)"),
    "co_owner_count": ("共有权利出质、转让须经全体共有人同意（专利法第十四条）（越少越好）",
                       "co-owned rights need every co-owner's consent (fewer is better)"),
    "expert_legal": ("专家对法律价值的评分（0–100）", "an expert's legal assessment (0–100)"),
    "claims_count": ("权利要求越多，保护范围越宽、越稳固（越多越好）",
                     "more claims, broader and sturdier protection (more is better)"),
    "cited_by_count": ("被后续专利引用，说明技术重要（越多越好）",
                       "cited by later patents: technologically important (more is better)"),
    "backward_citations": ("列出的引证文献，技术基础扎实、保护范围经审查界定（越多越好）",
                           "references listed: documented prior art (more is better)"),
    "ipc_subclass_count": ("分类号涉及的IPC小类越多，技术覆盖面越广（越多越好）",
                           "more IPC subclasses, broader technology (more is better)"),
    "grant_lag_days": ("申请到授权的天数；有价值的申请往往审查更快（越短越好）",
                       "days from filing to grant; valuable applications go faster (shorter is "
                       "better)"),
    "applicant_count": ("共同申请人越多，研发投入越多（越多越好）",
                        "more applicants pooled their research (more is better)"),
    "expert_technical": ("专家对技术价值的评分（0–100）",
                         "an expert's technical assessment (0–100)"),
    "family_size": ("在多个国家或地区寻求保护，申请人看重其价值（越多越好）",
                    "protection sought abroad costs money: valued (more is better)"),
    "licence_count": ("许可备案说明有人付费使用（越多越好）",
                      "recorded licences: someone pays to use it (more is better)"),
    "transfer_count": ("转让说明有买方（越多越好）",
                       "recorded transfers: a buyer was found (more is better)"),
    "pledge_count": ("曾被银行接受为质押物（越多越好）",
                     "a lender accepted it as collateral before (more is better)"),
    "applicant_type": ("企业专利的实施率高于科研单位、科研单位高于高校（企业最高）",
                       "enterprises put patents to use more than institutes, institutes more than "
                       "universities (enterprise highest)"),
    "expert_economic": ("专家对经济价值的评分（0–100）",
                        "an expert's economic assessment (0–100)"),
})  # fmt: skip
_SPEC_BY_NAME: Mapping[str, IndicatorSpec] = MappingProxyType({s.name: s for s in INDICATORS})
# Counts: non-negative integers. Everything else is checked by its own rule in `_checked_columns`.
_COUNT_INDICATORS = frozenset(
    {"invalidation_count", "invalidations_survived", "litigation_count", "co_owner_count",
     "claims_count", "cited_by_count", "backward_citations", "ipc_subclass_count",
     "grant_lag_days", "applicant_count", "family_size", "licence_count", "transfer_count",
     "pledge_count"}
)  # fmt: skip
# Applicant type as an ordinal code (see the module docstring); other types are unknown (NaN).
APPLICANT_TYPE_CODES: Mapping[str, float] = MappingProxyType(
    {"university": 1.0, "institute": 2.0, "enterprise": 3.0}
)

DEFAULT_DIMENSION_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"legal": 0.40, "technical": 0.30, "economic": 0.30}
)
DEFAULT_INDICATOR_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        # legal: 0.25 + 0.20 + 0.10 + 0.05 + 0.10 + 0.10 + 0.20 = 1
        "remaining_life_years": 0.25,
        "granted": 0.20,
        "invalidation_count": 0.10,
        "invalidations_survived": 0.05,
        "litigation_count": 0.10,
        "co_owner_count": 0.10,
        "expert_legal": 0.20,
        # technical: 0.15 + 0.20 + 0.10 + 0.15 + 0.10 + 0.05 + 0.25 = 1
        "claims_count": 0.15,
        "cited_by_count": 0.20,
        "backward_citations": 0.10,
        "ipc_subclass_count": 0.15,
        "grant_lag_days": 0.10,
        "applicant_count": 0.05,
        "expert_technical": 0.25,
        # economic: 0.25 + 0.15 + 0.15 + 0.10 + 0.10 + 0.25 = 1
        "family_size": 0.25,
        "licence_count": 0.15,
        "transfer_count": 0.15,
        "pledge_count": 0.10,
        "applicant_type": 0.10,
        "expert_economic": 0.25,
    }
)

GRADES: tuple[str, ...] = ("A", "B", "C", "D")
# Lower bounds of A, B, C (D is everything below the last).
GRADE_THRESHOLDS: tuple[float, ...] = (65.0, 55.0, 45.0)
# Shares of the register in grades A, B, C, D when the bounds are calibrated (calibrate_grades).
DEFAULT_GRADE_SHARES: tuple[float, float, float, float] = (0.15, 0.25, 0.40, 0.20)
_GRADE_EPS = 1e-9
_RANK_DECIMALS = 9
# Below this dimension weight a value degree is summed from percentiles, not divided out of points.
_DIMENSION_DIVISOR_MIN = 1e-6
_WEIGHT_TOLERANCE = 1e-9
# Histogram ranking while the (cohort × distinct value) table stays this small relative to n.
_HIST_CELLS_MIN = 1 << 16
_HIST_CELLS_PER_ROW = 2
_WINDOW_CELLS_PER_ROW = 8
_WINDOW_PAIRS_MAX_DISTINCT = 1024
# Integer codes up to this are handled with bincount lookups (larger ones: a comparison sort).
_INT_LOOKUP_MAX = 1 << 22
# The indicators are ranked in threads from this many rights on, by at most this many threads
# (`scoring_threads`).
_THREADS_FROM = 200_000
_MAX_THREADS = 4
# Fixed-point scales tried for fractional values: years counted in days (/365.25, /365, /366) or
# in months (/12); see `_integer_codes`.
_FIXED_POINT_DENOMINATORS = (365.25, 365.0, 366.0, 12.0)


@dataclass(frozen=True)
class ScoreWeights:
    """α, β, γ per dimension (sum 1) and w_i per indicator (each dimension's sum 1).

    An indicator left out of `indicators` weighs 0; an unknown name, a negative or non-finite
    weight, or a set not summing to 1 (tolerance 1e-9) is refused by `validate()`.
    """

    dimensions: Mapping[str, float]
    indicators: Mapping[str, float]

    @classmethod
    def default(cls) -> ScoreWeights:
        return cls(dict(DEFAULT_DIMENSION_WEIGHTS), dict(DEFAULT_INDICATOR_WEIGHTS))

    def validate(self) -> None:
        def refuse(zh: str, en: str) -> ValuationInputError:
            return ValuationInputError("weights", zh, en)

        for kind, weights, known in (
            ("dimension", self.dimensions, DIMENSIONS),
            ("indicator", self.indicators, INDICATOR_NAMES),
        ):
            for name, weight in weights.items():
                if name not in known:
                    raise refuse(f"未知的权重项：{name}", f"unknown {kind} weight: {name}")
                is_number = isinstance(weight, int | float) and not isinstance(weight, bool)
                if not is_number or not math.isfinite(weight) or weight < 0:
                    raise refuse(
                        f"权重必须是非负有限数：{name}={weight!r}",
                        f"a weight must be a non-negative finite number: {name}={weight!r}",
                    )
        total = math.fsum(self.dimensions.values())
        if abs(total - 1.0) > _WEIGHT_TOLERANCE:
            raise refuse(
                f"法律、技术、经济价值度的权重之和须为 1，实为 {total:.12g}",
                f"the legal, technical and economic weights must sum to 1, got {total:.12g}",
            )
        for dimension in DIMENSIONS:
            names = [s.name for s in INDICATORS if s.dimension == dimension]
            subtotal = math.fsum(self.indicators.get(name, 0.0) for name in names)
            if abs(subtotal - 1.0) > _WEIGHT_TOLERANCE:
                label_zh = DIMENSION_LABELS[dimension][0]
                raise refuse(
                    f"{label_zh}内各指标权重之和须为 1，实为 {subtotal:.12g}",
                    f"the {dimension} indicator weights must sum to 1, got {subtotal:.12g}",
                )

    def points_per_unit(self) -> dict[str, float]:
        """100·α_d·w_i for each indicator: the points a percentile of 1 is worth."""
        return {
            s.name: 100.0 * float(self.dimensions.get(s.dimension, 0.0))
            * float(self.indicators.get(s.name, 0.0))
            for s in INDICATORS
        }  # fmt: skip


@dataclass(frozen=True)
class GradeScale:
    """The lower bounds of grades A, B and C on the 0–100 score (D is everything below C's),
    and the shares of the register they were calibrated to (None: the fixed bounds)."""

    thresholds: tuple[float, float, float]
    shares: tuple[float, float, float, float] | None = None

    def grade(self, score: FloatArray) -> NDArray[np.int8]:
        grade = np.zeros(score.shape[0], dtype=np.int8)
        for threshold in self.thresholds:
            grade += score < threshold - _GRADE_EPS
        return grade

    def grade_one(self, score: float) -> int:
        return sum(1 for threshold in self.thresholds if score < threshold - _GRADE_EPS)

    def label(self, score: float) -> str:
        return GRADES[self.grade_one(score)]


FIXED_GRADE_SCALE = GradeScale((GRADE_THRESHOLDS[0], GRADE_THRESHOLDS[1], GRADE_THRESHOLDS[2]))


@dataclass(frozen=True)
class ScoreBatch:
    """Scores of n rights. `contributions[name][k]` are the points indicator `name` adds to right
    k's score (Σ over indicators == score[k]); `dimensions` are LVD, TVD, EVD on 0–100."""

    score: FloatArray
    grade: NDArray[np.int8]
    dimensions: dict[str, FloatArray]
    percentiles: dict[str, FloatArray]
    contributions: dict[str, FloatArray]
    scale: GradeScale = field(default_factory=lambda: FIXED_GRADE_SCALE)

    def __len__(self) -> int:
        return int(self.score.shape[0])

    def grade_labels(self) -> list[str]:
        return [GRADES[g] for g in self.grade.tolist()]


@dataclass(frozen=True)
class IndicatorContribution:
    name: str
    dimension: str
    label_zh: str
    label_en: str
    raw: float | None
    percentile: float
    points: float


@dataclass(frozen=True)
class RightScore:
    score: float
    grade: str
    dimensions: dict[str, float]
    contributions: tuple[IndicatorContribution, ...]


# ---------------------------------------------------------------------------------------------
# Cohorts


def _ipc_subclass(value: object) -> str:
    """The IPC subclass (4 characters, e.g. "G06F") of an IPC code or subclass; "" if unknown."""
    if value is None:
        return ""
    text = str(value).strip().upper().replace(" ", "")
    return text[:4]


def cohort_codes(
    filing_year: NDArray[np.int64] | Iterable[int],
    tech_field: Iterable[object] | NDArray[np.object_],
) -> IntArray:
    """Cohort code 0..C−1 of each right: its (filing year, IPC subclass), factorised.

    `tech_field` may hold IPC subclasses ("G06F") or full IPC codes ("G06F16/33"): the first four
    characters are the subclass. An unknown field (None, "") forms its own cohort per year. Codes
    are numbered in (year, subclass) order, so they do not depend on the order of the rows.
    """
    years = np.asarray(filing_year, dtype=np.int64).ravel()
    fields = [_ipc_subclass(f) for f in tech_field]
    if len(fields) != years.shape[0]:
        raise ValuationInputError(
            "tech_field",
            f"申请年份（{years.shape[0]} 个）与技术领域（{len(fields)} 个）数量不一致",
            f"{years.shape[0]} filing years but {len(fields)} technology fields",
        )
    if years.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    distinct = sorted(set(fields))
    index = {field: code for code, field in enumerate(distinct)}
    field_code = np.fromiter((index[f] for f in fields), dtype=np.int64, count=len(fields))
    key = (years - years.min()) * len(distinct) + field_code
    _, inverse = np.unique(key, return_inverse=True)
    return inverse.astype(np.int64).ravel()


# ---------------------------------------------------------------------------------------------
# Input checks (shared by the batch and the reference implementation)


def _refuse_column(name: str, zh: str, en: str) -> ValuationInputError:
    return ValuationInputError(name, zh, en)


def _checked_columns(
    columns: Mapping[str, NDArray[np.float64]], n: int
) -> dict[str, FloatArray | None]:
    """Every indicator's column as 1-D float64 of length n (None if not given), checked."""
    unknown = sorted(set(columns) - set(INDICATOR_NAMES))
    if unknown:
        raise ValuationInputError(
            "columns",
            f"未知的指标列：{', '.join(unknown)}",
            f"unknown indicator column(s): {', '.join(unknown)}",
        )
    checked: dict[str, FloatArray | None] = {}
    for spec in INDICATORS:
        raw = columns.get(spec.name)
        if raw is None:
            checked[spec.name] = None
            continue
        name = spec.name
        values = np.asarray(raw, dtype=np.float64)
        if values.ndim != 1 or values.shape[0] != n:
            raise _refuse_column(
                name,
                f"指标列 {name} 的长度须为 {n}",
                f"indicator column {name} must be one-dimensional of length {n}",
            )
        if n == 0 or np.isnan(values).all():
            checked[name] = values
            continue
        # fmin / fmax skip NaN (unknown values) but not ±inf; no temporary arrays.
        low, high = float(np.fmin.reduce(values)), float(np.fmax.reduce(values))
        if math.isinf(low) or math.isinf(high):
            raise _refuse_column(name, f"{name} 含有无穷大", f"{name} contains infinity")
        if name in _COUNT_INDICATORS:
            # floor(v) < v is False for NaN, so unknown values pass.
            if low < 0 or (np.floor(values) < values).any():
                raise _refuse_column(
                    name, f"{name} 须为非负整数", f"{name} must be a non-negative whole number"
                )
        elif name == "applicant_type":
            if low < 1 or high > 3 or (np.floor(values) < values).any():
                raise _refuse_column(
                    name, "applicant_type 只能为 1、2 或 3", "applicant_type must be 1, 2 or 3"
                )
        elif name == "granted":
            if low < 0 or high > 1 or ((values > 0) & (values < 1)).any():
                raise _refuse_column(name, "granted 只能为 0 或 1", "granted must be 0 or 1")
        elif name == "remaining_life_years":
            if low < 0:
                raise _refuse_column(
                    name, "剩余保护期不能为负", "the remaining legal term cannot be negative"
                )
        elif spec.source == "expert" and (low < 0 or high > 100):
            raise _refuse_column(
                name, f"{name} 须在 0 至 100 之间", f"{name} must lie between 0 and 100"
            )
        checked[name] = values
    return checked


def _checked_cohort(cohort: NDArray[np.int64]) -> tuple[IntArray, int]:
    """(cohort codes 0..C−1, C); sparse or non-contiguous codes are factorised again."""
    codes = np.asarray(cohort)
    if codes.ndim != 1 or (codes.size and not np.issubdtype(codes.dtype, np.integer)):
        raise ValuationInputError(
            "cohort", "队列编码须为一维整数数组", "cohort must be a one-dimensional integer array"
        )
    codes = codes.astype(np.int64, copy=False)
    n = codes.shape[0]
    if n == 0:
        return codes, 0
    low, high = int(codes.min()), int(codes.max())
    if low < 0 or high >= 2 * n + _HIST_CELLS_MIN:
        _, inverse = np.unique(codes, return_inverse=True)
        codes = inverse.astype(np.int64).ravel()
        high = int(codes.max())
    return codes, high + 1


# ---------------------------------------------------------------------------------------------
# The columnar core


def _integer_codes(
    values: FloatArray, valid: NDArray[np.bool_], whole: bool
) -> tuple[IntArray, int] | None:
    """(codes, V): an order-preserving, one-to-one integer code of every known value in 0..V−1
    (V − 1 the largest code), unknown values coded V; None if no such code is cheap to find.

    Whole numbers ≥ 0 (every count) are their own codes. Other values are tried as fixed-point
    numbers: a remaining term computed from whole days as days/365.25 (or /365, /366) or from
    whole months as months/12 is coded rint(value·d), kept only if code/d gives back every value
    exactly — then equal codes mean equal values and the order is the values' order.
    """
    top = float(np.fmax.reduce(values))  # fmax and fmin skip NaN
    if float(np.fmin.reduce(values)) < 0:
        return None
    if not whole and (np.floor(values) < values).any():  # False for NaN
        known = values[valid]
        for denominator in _FIXED_POINT_DENOMINATORS:
            if top * denominator > _INT_LOOKUP_MAX:
                continue
            scaled = np.rint(known * denominator)
            if np.array_equal(scaled / denominator, known):
                codes = np.full(values.shape[0], int(scaled.max()) + 1, dtype=np.int64)
                codes[valid] = scaled
                return codes, int(scaled.max()) + 1
        return None
    if top > _INT_LOOKUP_MAX:
        return None
    # Unknown values go to the code after the largest value: they sort last and are left out.
    codes = np.where(valid, values, top + 1).astype(np.int64)
    return codes, int(top) + 1


def _dense(codes: IntArray, distinct: int) -> tuple[IntArray, int]:
    """The same codes renumbered without gaps (citations 0..900 of which 150 occur: 0..149)."""
    present = np.bincount(codes, minlength=distinct + 1)[:distinct] > 0
    lookup = np.cumsum(present, dtype=np.int64) - 1
    dense = int(lookup[-1]) + 1
    return np.append(lookup, dense)[codes], dense


def _histogram_percentile(
    codes: IntArray, distinct: int, cohort: IntArray, n_cohorts: int, higher_is_better: bool
) -> FloatArray:
    """Percentiles from one (cohort × code) histogram: in each cohort's row, count_less is the
    cumulative count before the cell and count_equal the cell; the unknown cell is left out."""
    width = distinct + 1
    key = cohort * width + codes
    hist = np.bincount(key, minlength=n_cohorts * width).reshape(n_cohorts, width)
    hist[:, distinct] = 0
    cumulative = np.cumsum(hist, axis=1)
    size = np.maximum(cumulative[:, -1], 1)
    table = ((cumulative - hist) + 0.5 * hist) / size[:, None]
    if not higher_is_better:
        table = 1.0 - table
    table[:, distinct] = 0.5
    result: FloatArray = table.ravel()[key]
    return result


def _sorted_percentile(
    keys: FloatArray | IntArray,
    valid: NDArray[np.bool_],
    cohort: IntArray,
    n_cohorts: int,
    higher_is_better: bool,
) -> FloatArray:
    """Percentiles by sorting rows by (cohort, key): by key first, then stably by cohort, so
    that each run of equal (cohort, key) is one tie group, unknown values last in each cohort.

    `keys` are the values themselves (NaN unknown) or their integer codes (unknown = the
    largest code). Keys and cohort codes that fit 16 bits are sorted by NumPy's stable radix
    sort, O(n); float keys by a comparison argsort.
    """
    n = keys.shape[0]
    radix = np.iinfo(np.uint16).max
    if keys.dtype == np.int64 and int(keys.max()) <= radix:
        order = np.argsort(keys.astype(np.uint16), kind="stable")
    else:
        order = np.argsort(keys)  # NaN last
    if n_cohorts <= radix:
        small_cohort = cohort.astype(np.uint16)
        order = order[np.argsort(small_cohort[order], kind="stable")]
    else:
        order = order[np.argsort(cohort[order], kind="stable")]
    sorted_keys = keys[order]
    sorted_cohort = cohort[order]
    change = np.empty(n, dtype=np.bool_)
    change[0] = True
    # NaN != NaN: each unknown float value is a run of its own (they all get ½ below).
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=change[1:])
    change[1:] |= sorted_cohort[1:] != sorted_cohort[:-1]
    starts = np.flatnonzero(change)
    lengths = np.diff(np.append(starts, n))
    run_cohort = sorted_cohort[starts]
    per_cohort = np.bincount(cohort, minlength=n_cohorts)
    cohort_start = np.cumsum(per_cohort) - per_cohort
    known_size = np.bincount(cohort[valid], minlength=n_cohorts)
    less = starts - cohort_start[run_cohort]
    run_pct = (less + 0.5 * lengths) / np.maximum(known_size, 1)[run_cohort]
    if not higher_is_better:
        run_pct = 1.0 - run_pct
    run_pct[~valid[order[starts]]] = 0.5
    result = np.empty(n, dtype=np.float64)
    result[order] = np.repeat(run_pct, lengths)
    return result


def _packed_percentile(
    codes: IntArray, distinct: int, cohort: IntArray, n_cohorts: int, higher_is_better: bool
) -> FloatArray | None:
    """`_sorted_percentile` of integer codes by one sort of 64-bit words: (cohort, code) in the
    high bits, the row in the low bits — every word distinct, so a plain (SIMD) sort orders the
    rows by (cohort, code, row) with no index array to carry, and each run of equal high bits is
    one tie group. None when the three do not fit 63 bits."""
    n = codes.shape[0]
    width = distinct + 1
    row_bits = max(n - 1, 1).bit_length()
    if row_bits + max(n_cohorts * width - 1, 1).bit_length() > 63:
        return None
    words = cohort * width
    words += codes
    words <<= row_bits
    words |= np.arange(n, dtype=np.int64)
    words.sort()
    order = words & ((1 << row_bits) - 1)
    words >>= row_bits  # now each row's (cohort, code), in sorted order
    change = np.empty(n, dtype=np.bool_)
    change[0] = True
    np.not_equal(words[1:], words[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    lengths = np.diff(np.append(starts, n))
    run_key = words[starts]
    run_cohort = run_key // width
    unknown = run_key - run_cohort * width == distinct  # the last run of its cohort
    # A cohort's runs are adjacent: its rows run from its first run's start to its last's end.
    first = np.flatnonzero(np.diff(run_cohort, prepend=-1))
    last = np.append(first[1:], starts.shape[0]) - 1
    cohort_start = np.zeros(n_cohorts, dtype=np.int64)
    cohort_start[run_cohort[first]] = starts[first]
    known = np.zeros(n_cohorts, dtype=np.int64)
    known[run_cohort[first]] = starts[last] + lengths[last] - starts[first]
    known[run_cohort[unknown]] -= lengths[unknown]
    less = starts - cohort_start[run_cohort]
    run_pct = (less + 0.5 * lengths) / np.maximum(known, 1)[run_cohort]
    if not higher_is_better:
        run_pct = 1.0 - run_pct
    run_pct[unknown] = 0.5
    result = np.empty(n, dtype=np.float64)
    result[order] = np.repeat(run_pct, lengths)
    return result


def _percentile_of_codes(
    codes: IntArray, distinct: int, cohort: IntArray, n_cohorts: int, higher_is_better: bool
) -> FloatArray:
    """Percentiles of integer codes 0..distinct−1 (unknown: `distinct`) within their cohorts:
    by one (cohort × code) histogram while it is small, else by sorting."""
    n = codes.shape[0]
    limit = max(_HIST_CELLS_MIN, _HIST_CELLS_PER_ROW * n)
    if n_cohorts * (distinct + 1) > limit:
        codes, distinct = _dense(codes, distinct)
    if n_cohorts * (distinct + 1) <= limit:
        return _histogram_percentile(codes, distinct, cohort, n_cohorts, higher_is_better)
    packed = _packed_percentile(codes, distinct, cohort, n_cohorts, higher_is_better)
    if packed is not None:
        return packed
    return _sorted_percentile(codes, codes != distinct, cohort, n_cohorts, higher_is_better)


def _cohort_percentile(
    values: FloatArray,
    cohort: IntArray,
    n_cohorts: int,
    higher_is_better: bool,
    whole: bool = False,
) -> FloatArray:
    """Mid-rank percentile of each value within its cohort (see the module docstring).

    `whole`: the values are already known to be whole numbers ≥ 0 (checked counts)."""
    n = values.shape[0]
    valid = ~np.isnan(values)
    if not valid.any():
        return np.full(n, 0.5)
    coded = _integer_codes(values, valid, whole)
    if coded is None:
        return _sorted_percentile(values, valid, cohort, n_cohorts, higher_is_better)
    codes, distinct = coded
    return _percentile_of_codes(codes, distinct, cohort, n_cohorts, higher_is_better)


def _expert_percentile(values: FloatArray) -> FloatArray:
    """Expert scores are absolute (0–100): p = score/100, unknown → ½."""
    result = values / 100.0
    result[np.isnan(values)] = 0.5
    return result


def grade_shares(shares: Iterable[object]) -> tuple[float, float, float, float]:
    """The shares of A, B, C, D checked: four finite numbers in [0, 1] summing to 1 (1e-9)."""
    values = list(shares)
    ok = len(values) == len(GRADES) and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and 0 <= v <= 1
        for v in values
    )
    if not ok or abs(math.fsum(float(v) for v in values) - 1.0) > _WEIGHT_TOLERANCE:  # type: ignore[arg-type]
        raise ValuationInputError(
            "grade_shares",
            "A、B、C、D 四档的占比须为 0 至 1 之间的四个数，合计为 1",
            "the shares of grades A, B, C, D must be four numbers from 0 to 1 summing to 1",
        )
    a, b, c, d = (float(v) for v in values)  # type: ignore[arg-type]
    return a, b, c, d


def calibrate_grades(
    score: FloatArray, shares: Iterable[object] = DEFAULT_GRADE_SHARES
) -> GradeScale:
    """Grade bounds set from the scores' own distribution: A the top `shares[0]` of the rights,
    B the next `shares[1]`, C the next `shares[2]`, D the rest (by default 15/25/40/20%).

    A right's standing is its mid-rank, m = (count below + ½·count equal) / n; the lower bound of
    a grade is the lowest score whose m reaches the grade's cut (1 − s_A for A, 1 − s_A − s_B for
    B, s_D for C). So rights with equal scores always share a grade — the grade their middle
    falls in (a register where every score is 50 is all C, not all A) — and a grade's share is
    its target up to the ties at its bounds. A bound no score reaches is 101 (an empty grade);
    no scores: the fixed bounds. O(n): the r-th highest score by partition (r = ⌈s·n⌉ for the
    cumulative share s), then its tie group's mid-rank decides between it and the next score
    above — no lower score can reach the cut, and the next one above always does."""
    checked = grade_shares(shares)
    n = int(score.shape[0])
    if n == 0:
        return GradeScale(FIXED_GRADE_SCALE.thresholds, checked)
    # Ranked to 1e-9: two sums of the same points in another order are the same score.
    score = np.round(score, _RANK_DECIMALS)
    bounds: list[float] = []
    cumulative = 0.0
    for share in checked[:3]:
        cumulative += share
        top = math.ceil(cumulative * n - 1e-9)  # the r-th highest score, 1-based
        cut = 1.0 - cumulative
        if top < 1:
            bounds.append(101.0)
            continue
        value = float(np.partition(score, n - top)[n - top])
        less = int(np.count_nonzero(score < value))
        equal = int(np.count_nonzero(score == value))
        if (less + 0.5 * equal) / n >= cut - 1e-12:
            bounds.append(value)
        else:
            above = score[score > value]
            bounds.append(float(above.min()) if above.size else 101.0)
    return GradeScale((bounds[0], bounds[1], bounds[2]), checked)


def calibrate_grades_reference(
    scores: list[float], shares: Iterable[object] = DEFAULT_GRADE_SHARES
) -> GradeScale:
    """The same bounds the plain way: every distinct score's mid-rank, the lowest reaching each
    grade's cut (the tests' oracle)."""
    checked = grade_shares(shares)
    n = len(scores)
    if n == 0:
        return GradeScale(FIXED_GRADE_SCALE.thresholds, checked)
    ordered = sorted(round(s, _RANK_DECIMALS) for s in scores)
    bounds: list[float] = []
    cumulative = 0.0
    for share in checked[:3]:
        cumulative += share
        cut = 1.0 - cumulative
        found = 101.0
        if math.ceil(cumulative * n - 1e-9) >= 1:
            for value in sorted(set(ordered)):
                less = bisect_left(ordered, value)
                equal = bisect_right(ordered, value) - less
                if (less + 0.5 * equal) / n >= cut - 1e-12:
                    found = value
                    break
        bounds.append(found)
    return GradeScale((bounds[0], bounds[1], bounds[2]), checked)


def share_below(score: FloatArray, among: FloatArray | None = None) -> FloatArray:
    """For each score, the share of `among` (default: the scores themselves) strictly below it.

    Among the scores themselves (the register's run: no NaN) by one sort: in sorted order, the
    count below a score is the position of the first score equal to it, carried over each tie
    group (a million scores: 0.1 s, where looking each one up in the sorted scores took 0.3 s,
    measured)."""
    n = score.shape[0]
    if among is None and n and not np.isnan(score).any():
        order = np.argsort(score)
        ordered = score[order]
        starts = np.empty(n, dtype=np.bool_)
        starts[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
        first = np.where(starts, np.arange(n), 0)
        np.maximum.accumulate(first, out=first)
        below = np.empty(n)
        below[order] = first / n
        return below
    reference = np.sort(score if among is None else among)
    if reference.shape[0] == 0:
        return np.zeros(n)
    looked_up: FloatArray = np.searchsorted(reference, score, side="left") / reference.shape[0]
    return looked_up


def score_spread(
    score: FloatArray, grade: NDArray[np.integer], basis: NDArray[np.integer]
) -> dict[str, object] | None:
    """The spread of a run's scores, as JSON (None for no scores): rights per grade (`grade`
    indexes GRADES), the quartiles (NumPy's default linear interpolation between order
    statistics, `statistics.quantiles(method="inclusive")`), the interquartile range, the lowest
    and highest, and rights per cohort basis (`basis` indexes COHORT_BASES; the bases some right
    was ranked on, in that order).

    Taken from the run's own arrays: the same numbers as reading the rows just written back, which
    cost `ipfin score_portfolio` 0.7 s of about 8 on a million rights (measured)."""
    n = int(score.shape[0])
    if n == 0:
        return None
    q1, q2, q3 = (float(q) for q in np.percentile(score, [25, 50, 75]))
    per_grade = np.bincount(grade.astype(np.int64), minlength=len(GRADES))
    per_basis = np.bincount(basis.astype(np.int64), minlength=len(COHORT_BASES))
    return {
        "rights": n,
        "grades": {g: int(per_grade[k]) for k, g in enumerate(GRADES)},
        "q1": q1,
        "q2": q2,
        "q3": q3,
        "iqr": q3 - q1,
        "low": float(score.min()),
        "high": float(score.max()),
        "basis": {b: int(per_basis[k]) for k, b in enumerate(COHORT_BASES) if per_basis[k]},
    }


def _cohort_arrays(cohort: NDArray[np.int64] | Cohorts) -> Cohorts:
    """`cohort` as Cohorts: given so, or as one code per right (a partition)."""
    if isinstance(cohort, Cohorts):
        return cohort
    codes, _ = _checked_cohort(cohort)
    return partition_cohorts(codes)


class _SharedWindows:
    """Each windowed level's memberships (`LevelPlan.window_memberships`), spelled out once per
    batch on first use and shared by every indicator that ranks its members outright, whichever
    thread asks first (the others wait for it rather than spell them out again)."""

    def __init__(self, cohorts: Cohorts) -> None:
        self._n_years = cohorts.n_years
        self._found: dict[int, tuple[IntArray, IntArray, int, IntArray]] = {}
        self._lock = threading.Lock()

    def of(self, plan: LevelPlan) -> tuple[IntArray, IntArray, int, IntArray]:
        with self._lock:
            found = self._found.get(plan.level)
            if found is None:
                found = self._found[plan.level] = plan.window_memberships(self._n_years)
            return found


def scoring_threads(n: int) -> int:
    """Threads for ranking n rights' indicators: one per core the process may use (at most
    `_MAX_THREADS`) from `_THREADS_FROM` rights on; below that, one (a thread's start costs more
    than it saves on a small batch, such as a bank's portfolio or one right's score)."""
    if n < _THREADS_FROM:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, _MAX_THREADS))


def _window_percentile(
    values: FloatArray,
    plan: LevelPlan,
    n_years: int,
    higher_is_better: bool,
    whole: bool,
    windows: _SharedWindows | None = None,
) -> FloatArray:
    """Percentiles of the rights placed at a windowed level, each within the members of its
    group filed within ±YEAR_WINDOW years of its own year (`values`: the members' values).

    One histogram over (group, value) pairs × years: the pairs are numbered in (group, value)
    order, the counts summed over each window of years (`_window_sums`), then accumulated down
    the pairs; for a right with pair p in group g at year y, count_less is the accumulation
    before p within g and count_equal the window count of p, both at column y. Exactly the
    definition's percentiles, without listing the overlapping cohorts."""
    result = np.full(plan.at.shape[0], 0.5)
    valid = ~np.isnan(values)
    if not valid.any():
        return result
    coded = _integer_codes(values, valid, whole)
    if coded is None:
        distinct_values, inverse = np.unique(values[valid], return_inverse=True)
        distinct = int(distinct_values.shape[0])
        # Unknown values coded `distinct`, as `_integer_codes` codes them: the histogram leaves
        # that code out (coded 0 they counted as the smallest value).
        codes = np.full(values.shape[0], distinct, dtype=np.int64)
        codes[valid] = inverse.ravel()
    else:
        codes, distinct = coded
    assert plan.member_year is not None
    members = values.shape[0]
    # A window's table is summed once per cell: it pays up to a few cells per member.
    limit = max(_HIST_CELLS_MIN, _WINDOW_CELLS_PER_ROW * members)
    cells = plan.n_groups * n_years
    if cells * (distinct + 1) > limit and coded is not None:
        codes, distinct = _dense(codes, distinct)
    if cells * (distinct + 1) <= limit:
        return _window_histogram(codes, distinct, plan, n_years, higher_is_better)
    if distinct > _WINDOW_PAIRS_MAX_DISTINCT:
        # Nearly every value distinct (a term in days): the (pair × year) table would hold about
        # members × years cells; ranking each window's members outright is cheaper.
        # Spelled out once per level and shared by every such indicator of the batch.
        if windows is None:
            index, window, n_windows, own = plan.window_memberships(n_years)
        else:
            index, window, n_windows, own = windows.of(plan)
        ranked = _percentile_of_codes(codes[index], distinct, window, n_windows, higher_is_better)
        out: FloatArray = ranked[own]
        return out
    known = np.flatnonzero(valid)
    key = plan.member_group[known] * (distinct + 1) + codes[known]
    if plan.n_groups * (distinct + 1) <= max(_HIST_CELLS_MIN, _HIST_CELLS_PER_ROW * known.size):
        present = np.zeros(plan.n_groups * (distinct + 1), dtype=np.bool_)
        present[key] = True
        pair_keys = np.flatnonzero(present)
        lookup = np.cumsum(present, dtype=np.int64) - 1
        pair = lookup[key]
    else:
        pair_keys, inverse = np.unique(key, return_inverse=True)
        pair = inverse.astype(np.int64).ravel()
    pairs = int(pair_keys.shape[0])
    table = np.bincount(pair * n_years + plan.member_year[known], minlength=pairs * n_years)
    window = _window_sums(table.reshape(pairs, n_years))
    before = np.cumsum(window, axis=0)
    before -= window  # the counts of the pairs before each pair, over every group so far
    pair_group = pair_keys // (distinct + 1)
    group_first = np.searchsorted(pair_group, np.arange(plan.n_groups))
    group_end = np.searchsorted(pair_group, np.arange(plan.n_groups), side="right")
    padded = np.vstack([before, before[-1:] + window[-1:]])  # row `pairs`: everything
    start_counts = padded[np.minimum(group_first, pairs)]
    sizes = padded[group_end] - start_counts
    member_pair = np.full(values.shape[0], -1, dtype=np.int64)
    member_pair[known] = pair
    at_pair = member_pair[plan.at]
    asked = at_pair >= 0
    p = at_pair[asked]
    g = plan.member_group[plan.at][asked]
    y = plan.member_year[plan.at][asked]
    less = before[p, y] - start_counts[g, y]
    pct = (less + 0.5 * window[p, y]) / np.maximum(sizes[g, y], 1)
    result[asked] = pct if higher_is_better else 1.0 - pct
    return result


def _window_histogram(
    codes: IntArray, distinct: int, plan: LevelPlan, n_years: int, higher_is_better: bool
) -> FloatArray:
    """`_window_percentile` with one dense (group, year, value) histogram, while it is small:
    summed over each window of years, accumulated along the values; unknown values (code
    `distinct`) are left out and score ½."""
    assert plan.member_year is not None
    width = distinct + 1
    key = (plan.member_group * n_years + plan.member_year) * width + codes
    hist = np.bincount(key, minlength=plan.n_groups * n_years * width)
    hist = hist.reshape(plan.n_groups, n_years, width)
    hist[:, :, distinct] = 0
    window = window_sums_3d(hist)
    cumulative = np.cumsum(window, axis=2)
    size = np.maximum(cumulative[:, :, -1], 1)
    asked = key[plan.at]
    flat_window = window.ravel()
    less_equal = cumulative.ravel()[asked]
    equal = flat_window[asked]
    cell = asked // width
    pct: FloatArray = (less_equal - 0.5 * equal) / size.ravel()[cell]
    if not higher_is_better:
        pct = 1.0 - pct
    pct[codes[plan.at] == distinct] = 0.5
    return pct


def _level_percentile(
    values: FloatArray,
    cohorts: Cohorts,
    higher_is_better: bool,
    whole: bool,
    windows: _SharedWindows | None = None,
) -> FloatArray:
    """Each right's percentile within its own cohort, level by level."""
    plans = cohorts.levels
    if len(plans) == 1 and not plans[0].windowed and plans[0].members.shape[0] == len(cohorts):
        plan = plans[0]  # one partition of every right: no gathering
        return _cohort_percentile(values, plan.member_group, plan.n_groups, higher_is_better, whole)
    pct = np.full(len(cohorts), 0.5)
    for plan in plans:
        member_values = values[plan.members]
        if plan.windowed:
            pct[plan.rows] = _window_percentile(
                member_values, plan, cohorts.n_years, higher_is_better, whole, windows
            )
        else:
            pct[plan.rows] = _cohort_percentile(
                member_values, plan.member_group, plan.n_groups, higher_is_better, whole
            )[plan.at]
    return pct


def score_rights(
    columns: Mapping[str, NDArray[np.float64]],
    cohort: NDArray[np.int64] | Cohorts,
    weights: ScoreWeights | None = None,
    grading: GradeScale | Iterable[float] | None = None,
    threads: int | None = None,
) -> ScoreBatch:
    """Score n rights at once: percentiles, contributions, LVD/TVD/EVD, score and grade.

    `columns` maps indicator names (`INDICATOR_NAMES`) to float64 arrays of length n, NaN for
    unknown; a column not given is unknown for every right. `cohort` holds each right's cohort
    code (`cohort_codes`) or is a `Cohorts` (backed off, `backoff_cohorts`): each right's
    percentiles are taken over its own cohort's memberships. `grading` is a `GradeScale` to grade
    on, or the shares of A, B, C, D to calibrate the bounds on these scores (default
    `DEFAULT_GRADE_SHARES`). Impossible values (negative counts, non-whole counts, granted not
    0/1, expert scores outside 0–100, infinities) raise `ValuationInputError` naming the column.
    `threads`: how many threads rank the indicators (None: `scoring_threads(n)`); the result is
    the same whatever the number.
    """
    weights = weights or ScoreWeights.default()
    weights.validate()
    cohorts = _cohort_arrays(cohort)
    n = len(cohorts)
    checked = _checked_columns(columns, n)
    points_per_unit = weights.points_per_unit()
    percentiles: dict[str, FloatArray] = {}
    contributions: dict[str, FloatArray] = {}
    # One block, a row per indicator (INDICATORS is ordered by dimension): each dimension's
    # points are then one reduction over its rows.
    block = np.empty((len(INDICATORS), n))
    windows = _SharedWindows(cohorts)

    def percentile_of(spec: IndicatorSpec) -> FloatArray:
        values = checked[spec.name]
        if values is None:
            return np.full(n, 0.5)
        if spec.source == "expert":
            return _expert_percentile(values)
        if n == 0 or np.fmin.reduce(values) == np.fmax.reduce(values) or np.isnan(values).all():
            # Every known value equal (or none known): the mid-rank is ½ in any cohort.
            return np.full(n, 0.5)
        whole = spec.name in _COUNT_INDICATORS or spec.name in ("granted", "applicant_type")
        return _level_percentile(values, cohorts, spec.higher_is_better, whole, windows)

    workers = scoring_threads(n) if threads is None else max(1, threads)
    if workers > 1:
        # Each indicator's percentiles are independent of the others' and NumPy's sorts, sums and
        # gathers release the GIL: the indicators are shared among threads, one core each
        # (measured on 1,000,000 rights, two cores: 0.82 s with one thread, 0.53 s with two).
        with ThreadPoolExecutor(workers, thread_name_prefix="score") as pool:
            ranked = list(pool.map(percentile_of, INDICATORS))
    else:
        ranked = [percentile_of(spec) for spec in INDICATORS]
    for row, (spec, pct) in enumerate(zip(INDICATORS, ranked, strict=True)):
        percentiles[spec.name] = pct
        contributions[spec.name] = np.multiply(pct, points_per_unit[spec.name], out=block[row])
    score = np.zeros(n)
    dimensions: dict[str, FloatArray] = {}
    for dimension in DIMENSIONS:
        rows = [k for k, other in enumerate(INDICATORS) if other.dimension == dimension]
        points = block[rows[0] : rows[-1] + 1].sum(axis=0)
        score += points
        alpha = float(weights.dimensions.get(dimension, 0.0))
        if alpha >= _DIMENSION_DIVISOR_MIN:
            dimensions[dimension] = points / alpha  # Σ 100·α·w_i·p_i / α
        else:  # a dimension weighted (almost) 0 still shows its value degree
            degree = np.zeros(n)
            for k in rows:
                name = INDICATORS[k].name
                degree += percentiles[name] * (100.0 * float(weights.indicators.get(name, 0.0)))
            dimensions[dimension] = degree
    np.clip(score, 0.0, 100.0, out=score)
    scale = _scale(score, grading)
    return ScoreBatch(score, scale.grade(score), dimensions, percentiles, contributions, scale)


def _scale(score: FloatArray, grading: GradeScale | Iterable[float] | None) -> GradeScale:
    if isinstance(grading, GradeScale):
        return grading
    return calibrate_grades(score, DEFAULT_GRADE_SHARES if grading is None else grading)


def score_rights_reference(
    columns: Mapping[str, NDArray[np.float64]],
    cohort: NDArray[np.int64] | Cohorts,
    weights: ScoreWeights | None = None,
    grading: GradeScale | Iterable[float] | None = None,
) -> ScoreBatch:
    """The same score as `score_rights`, computed the plain way: right by right, in Python.

    For each indicator the cohort's known values are put in a sorted list once; then each
    right's count_less and count_equal come from `bisect`. This is the oracle the tests compare
    `score_rights` against and the baseline of the `valuation_score_core` benchmark.
    """
    weights = weights or ScoreWeights.default()
    weights.validate()
    cohorts = _cohort_arrays(cohort)
    n = len(cohorts)
    checked = _checked_columns(columns, n)
    points_per_unit = weights.points_per_unit()
    rows, cohort_codes_, own = cohorts.memberships()
    member_row: list[int] = rows.tolist()
    member_cohort: list[int] = cohort_codes_.tolist()
    cohort_list = [member_cohort[m] for m in own.tolist()]
    pct_lists: dict[str, list[float]] = {}
    for spec in INDICATORS:
        column = checked[spec.name]
        values: list[float] = [math.nan] * n if column is None else column.tolist()
        pct_list: list[float] = []
        if spec.source == "expert":
            for value in values:
                pct_list.append(0.5 if math.isnan(value) else value / 100.0)
        else:
            known: dict[int, list[float]] = {}
            for code, row in zip(member_cohort, member_row, strict=True):
                if not math.isnan(values[row]):
                    known.setdefault(code, []).append(values[row])
            for peers in known.values():
                peers.sort()
            for code, value in zip(cohort_list, values, strict=True):
                if math.isnan(value):
                    pct_list.append(0.5)
                    continue
                peers = known[code]
                less = bisect_left(peers, value)
                equal = bisect_right(peers, value) - less
                pct = (less + 0.5 * equal) / len(peers)
                pct_list.append(pct if spec.higher_is_better else 1.0 - pct)
        pct_lists[spec.name] = pct_list
    scores: list[float] = []
    contribution_lists: dict[str, list[float]] = {name: [] for name in INDICATOR_NAMES}
    dimension_lists: dict[str, list[float]] = {d: [] for d in DIMENSIONS}
    for k in range(n):
        total = 0.0
        by_dimension = dict.fromkeys(DIMENSIONS, 0.0)
        for spec in INDICATORS:
            pct = pct_lists[spec.name][k]
            points = pct * points_per_unit[spec.name]
            contribution_lists[spec.name].append(points)
            total += points
            by_dimension[spec.dimension] += pct * (
                100.0 * float(weights.indicators.get(spec.name, 0.0))
            )
        total = min(max(total, 0.0), 100.0)
        scores.append(total)
        for dimension in DIMENSIONS:
            dimension_lists[dimension].append(by_dimension[dimension])
    if isinstance(grading, GradeScale):
        scale = grading
    else:
        scale = calibrate_grades_reference(
            scores, DEFAULT_GRADE_SHARES if grading is None else grading
        )
    grades = [scale.grade_one(total) for total in scores]
    return ScoreBatch(
        np.array(scores, dtype=np.float64),
        np.array(grades, dtype=np.int8),
        {d: np.array(v, dtype=np.float64) for d, v in dimension_lists.items()},
        {name: np.array(v, dtype=np.float64) for name, v in pct_lists.items()},
        {name: np.array(v, dtype=np.float64) for name, v in contribution_lists.items()},
        scale,
    )


def explain(batch: ScoreBatch, columns: Mapping[str, NDArray[np.float64]], i: int) -> RightScore:
    """Right i's explainable result: each indicator's raw value (None if unknown), percentile
    and points, the three value degrees, the score and the grade."""
    n = len(batch)
    if not -n <= i < n:
        raise IndexError(f"right {i} is not in a batch of {n}")
    contributions = []
    for spec in INDICATORS:
        column = columns.get(spec.name)
        raw: float | None = None
        if column is not None:
            value = float(column[i])
            raw = None if math.isnan(value) else value
        contributions.append(
            IndicatorContribution(
                name=spec.name,
                dimension=spec.dimension,
                label_zh=spec.label_zh,
                label_en=spec.label_en,
                raw=raw,
                percentile=float(batch.percentiles[spec.name][i]),
                points=float(batch.contributions[spec.name][i]),
            )
        )
    return RightScore(
        score=float(batch.score[i]),
        grade=GRADES[int(batch.grade[i])],
        dimensions={d: float(batch.dimensions[d][i]) for d in DIMENSIONS},
        contributions=tuple(contributions),
    )
