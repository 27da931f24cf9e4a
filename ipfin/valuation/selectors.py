"""Reads of valuations, indicator scores, banks' models and enterprises' credit scores.

- `valuation_list` / `valuation_get`: a valuation is visible to the organisation that made it and
  to its client bank; the IP office and regulators see all (`Perm.VALUATION_VIEW_ALL`). Another
  tenant's valuation is a 404, never a 403.
- `loan_backing_refusal`: whether a valuation may back a bank's loan approval (the rule, once):
  the bank's own issued valuation, or a valuation agency's report for it that the bank rechecked
  and that the recheck did not flag.
- `right_score_get`: the public indicator score of a right with each indicator's contribution:
  the stored `RightScore` (from `ipfin score_portfolio`), or, when none is stored yet (or other
  weights are asked for), computed on the fly over the right's cohort (one set-based read of the
  cohort's rows, `ipfin.valuation.portfolio.read_portfolio`). An expert's assessments (the
  expert_legal / expert_technical / expert_economic indicators, 0–100) may be given: they replace
  the neutral ½ of those indicators only; the data indicators keep their cohort percentiles.
- `market_comparables`: the register's priced transfers and licences of other rights of the same
  kind, most similar first, with suggested adjustment factors for the market approach.
- `credit_score_get`: the "IP + credit" scorecard of an enterprise, for the enterprise itself,
  a bank it deals with (`may_see_credit`) and the valuation supervisors (IP office, regulators).
- `bank_model_of`: a bank's internal model as the engine takes it (the default when it has none).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Avg, Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Replace, Upper
from django.utils import timezone

from ipfin.accounts.inputs import clean_uscc
from ipfin.accounts.models import Organisation, OrganisationKind
from ipfin.accounts.permissions import (
    Actor,
    Perm,
    acting_organisation,
    customer_scope,
    require,
    require_login,
    tenant_scope,
)
from ipfin.common.errors import NotFound, ValidationFailed, invalid
from ipfin.common.versioning import UNSAVED
from ipfin.holidays.selectors import working_calendar
from ipfin.registry.domain import (
    EventType,
    Status,
    StatusResult,
    TermUnknown,
    legal_status,
    remaining_term_years,
)
from ipfin.registry.models import Right, RightEvent, RightOwner
from ipfin.registry.selectors import (
    owned_on,
    owner_rights,
    right_facts,
    right_get,
    right_status,
    rights_status_bulk,
)
from ipfin.valuation.domain.bank import BankModel
from ipfin.valuation.domain.cohorts import COHORT_BASES
from ipfin.valuation.domain.credit import CreditScore, EnterpriseProfile, credit_score
from ipfin.valuation.domain.errors import ValuationInputError
from ipfin.valuation.domain.indicator import (
    DIMENSIONS,
    FIXED_GRADE_SCALE,
    GRADES,
    INDICATOR_REASONS,
    INDICATORS,
    GradeScale,
    ScoreWeights,
    explain,
    score_rights,
)
from ipfin.valuation.domain.warnings import ValuationWarning, right_warnings
from ipfin.valuation.models import (
    AgencySeal,
    BankValuationModel,
    CreditDataImport,
    CreditFileKindChoices,
    CreditRecord,
    EnterpriseCreditProfile,
    RightScore,
    ScoreRun,
    Valuation,
    ValuationState,
)
from ipfin.valuation.portfolio import read_portfolio, right_cohort, tech_field

__all__ = [
    "EXPERT_INDICATORS",
    "MAX_COMPARABLES",
    "bank_model_of",
    "bank_model_version",
    "credit_import_get",
    "credit_imports",
    "credit_profile_of",
    "credit_score_get",
    "credit_scores_bulk",
    "dishonesty_on",
    "loan_backing_refusal",
    "market_comparables",
    "may_see_credit",
    "reliable_valuations_of",
    "right_score_get",
    "rights_warnings",
    "statuses_warnings",
    "valuation_get",
    "valuation_list",
    "valuation_not_usable",
    "valuation_warnings",
]

_IN_FORCE = frozenset({Status.IN_FORCE, Status.GRACE_PERIOD})


# --- valuations ----------------------------------------------------------------------------------


def _valid_state(state: str) -> str:
    if state not in ValuationState.values:
        raise ValidationFailed(
            f"未知的评估状态“{state}”。",
            f"Unknown valuation state {state!r}.",
            code="state_invalid",
            extra={"allowed": list(ValuationState.values)},
        )
    return state


def valuation_list(*, actor: Actor, state: str | None = None) -> QuerySet[Valuation]:
    """The valuations `actor` may see, newest first; optionally in one state."""
    require_login(actor)
    valuations = Valuation.objects.select_related("organisation", "client_bank")
    scope = tenant_scope(
        actor, "organisation_id", "client_bank_id", view_all=Perm.VALUATION_VIEW_ALL
    )
    if scope is not None:
        valuations = valuations.filter(scope)
    if state:
        valuations = valuations.filter(state=_valid_state(state))
    return valuations.order_by("-created_at", "-id")


def reliable_valuations_of(
    right_ids: set[int], *, within: QuerySet[Valuation] | None = None
) -> list[tuple[Valuation, frozenset[int]]]:
    """The valuations a loan approval or a demand's valuation coverage may rest on — issued (or
    rechecked) and not flagged by a bank's recheck (no figure disputed beyond a threshold) — whose
    rights are all among `right_ids`, newest first, each with its rights. `within` narrows the
    candidates (e.g. to what an actor may see); all valuations otherwise."""
    candidates = (
        (Valuation.objects.all() if within is None else within)
        .filter(
            state__in=[ValuationState.ISSUED, ValuationState.RECHECKED],
            items__right_id__in=right_ids,
        )
        .exclude(flagged=True)
        .distinct()
        .prefetch_related("items")
        .order_by("-valuation_date", "-issued_at", "-id")
    )
    found = []
    for valuation in candidates:
        rights = frozenset(item.right_id for item in valuation.items.all())
        if rights <= right_ids:
            found.append((valuation, rights))
    return found


def loan_backing_refusal(valuation: Valuation, *, bank_id: int) -> ValidationFailed | None:
    """Why `valuation` may not back a loan approval of the bank `bank_id` (a 422 on
    `valuation_id`), or None when it may. The rule, in one place:

    - the bank's own valuation (it made it: `organisation` is the bank, whatever the method; it
      may name itself as client bank), once issued: it needs no recheck, it is the bank's own
      figure (above 10,000,000.00 yuan a `bank_internal` one backs nothing: the approval's
      internal-valuation line);
    - an external report, made by a valuation agency for this bank as its client bank, only once
      the bank has rechecked it (评估复核) — `valuation_not_rechecked` while it is merely issued —
      and only when the recheck did not flag it (`valuation_flagged`: it deviates from the bank's
      own value beyond the bank's threshold). There is no action to accept a flagged report: the
      bank values the rights itself or commissions a new report (a flagged valuation, whoever
      made it, backs nothing);
    - nothing else: a valuation another bank made (`valuation_other_bank`) backs no loan of this
      bank even when it names this bank as client bank (only an agency may name another
      organisation's bank, `valuation_create`; a row from before that rule is still refused), and
      a draft or another client's report is `valuation_not_usable`.
    """
    if valuation.state not in (ValuationState.ISSUED, ValuationState.RECHECKED):
        return valuation_not_usable()
    if valuation.flagged:
        return invalid(
            "valuation_id",
            "valuation_flagged",
            "该评估报告经复核，偏离度超过阈值，已被标记，不能作为授信依据。",
            "The bank's recheck flagged the report (its deviation exceeds the threshold): it "
            "cannot back a loan.",
            deviation=str(valuation.deviation),
            threshold=str(valuation.threshold),
        )
    if valuation.organisation_id == bank_id:
        return None
    if valuation.client_bank_id != bank_id:
        return valuation_not_usable()
    if valuation.organisation.kind != OrganisationKind.VALUATION_AGENCY:
        return invalid(
            "valuation_id",
            "valuation_other_bank",
            "该评估报告由其他银行作出，不能作为本行授信的依据：只接受本行自己的评估或评估机构出具、"
            "经本行复核的评估报告。",
            "The valuation was made by another bank: a loan of this bank rests only on its own "
            "valuation or on a valuation agency's report it has rechecked.",
        )
    if valuation.state != ValuationState.RECHECKED:
        return invalid(
            "valuation_id",
            "valuation_not_rechecked",
            "评估机构出具的外部评估报告须经本行复核后才能作为授信依据，请先复核。",
            "An external valuation report backs a loan only once the bank has rechecked it: "
            "recheck it first.",
            state=str(valuation.state),
        )
    return None


def valuation_not_usable() -> ValidationFailed:
    """The 422 `valuation_not_usable` on `valuation_id`: a draft, or a valuation the bank does not
    see or that values rights outside the pledge."""
    return invalid(
        "valuation_id",
        "valuation_not_usable",
        "该评估报告不可用：须为已出具的、评估质押登记中的知识产权的报告（本行自己的评估，或评估机构"
        "为本行出具并经本行复核的报告）。",
        "The valuation cannot be used: it must be issued and value rights of the pledge (the "
        "bank's own valuation, or a valuation agency's report for the bank that it rechecked).",
    )


def valuation_get(*, actor: Actor, pk: int) -> Valuation:
    """One valuation `actor` may see, with its rights in order; NotFound otherwise."""
    valuation = valuation_list(actor=actor).prefetch_related("items__right").filter(pk=pk).first()
    if valuation is None:
        raise NotFound("未找到该评估报告。", "No such valuation.", code="valuation_not_found")
    return valuation


def statuses_warnings(
    rights: Sequence[Right], statuses: Mapping[int, StatusResult]
) -> list[ValuationWarning]:
    """The warnings of `rights` (in their order) from their legal statuses on one day
    (`valuation.domain.warnings.right_warnings`)."""
    return [w for r in rights for w in right_warnings(r.number, r.kind, statuses[r.pk])]


def rights_warnings(rights: Sequence[Right], *, on: date) -> list[ValuationWarning]:
    """The warnings of `rights` as the register stood on `on` (one query for their events)."""
    return statuses_warnings(rights, rights_status_bulk(rights, on=on))


def valuation_warnings(valuation: Valuation, *, on: date | None = None) -> list[ValuationWarning]:
    """What the reader of `valuation` must be warned of about its rights (issue 13): a pending
    invalidation, an annuity (or a trademark's renewal) in its grace period, as the register
    stood on the valuation date (评估基准日; `on` for another day). The same rule the preview and
    the save apply (`services.assessment.assess`); its page, its API and its report show them.
    Each is a `ValuationWarning`: code, the right's number, message_zh / message_en
    (`.message(english)`, `.as_dict(english)`). The rights of `valuation_get` are prefetched:
    then one query."""
    rights = [item.right for item in valuation.items.all()]
    return rights_warnings(rights, on=on or valuation.valuation_date)


# --- indicator scores ----------------------------------------------------------------------------


def _weights(dimensions: Mapping[str, Any] | None) -> ScoreWeights | None:
    """Default indicator weights with the given dimension weights (α, β, γ), validated."""
    if not dimensions:
        return None
    parsed: dict[str, float] = {}
    for name, raw in dimensions.items():
        try:
            parsed[name] = float(Decimal(str(raw)))
        except (ArithmeticError, ValueError):
            parsed[name] = float("nan")
    weights = ScoreWeights(dimensions=parsed, indicators=ScoreWeights.default().indicators)
    weights.validate()
    return weights


def _contribution_dict(
    name: str, raw: float | None, percentile: float | None, points: float
) -> dict[str, Any]:
    spec = next(s for s in INDICATORS if s.name == name)
    return {
        "name": name,
        "dimension": spec.dimension,
        "label_zh": spec.label_zh,
        "label_en": spec.label_en,
        "source": spec.source,
        "higher_is_better": spec.higher_is_better,
        "reason_zh": INDICATOR_REASONS[name][0],
        "reason_en": INDICATOR_REASONS[name][1],
        "raw": raw,
        "percentile": percentile,
        "points": points,
    }


def _raw_values(right: Right, on: date) -> dict[str, float | None]:
    portfolio = read_portfolio(on=on, where="r.id = %s", params=[right.pk])
    raw: dict[str, float | None] = {}
    for name, column in portfolio.columns.items():
        value = float(column[0]) if len(portfolio) else float("nan")
        raw[name] = None if np.isnan(value) else value
    return raw


# The indicators an expert assesses (《专利价值分析指标体系操作手册》's expert items), on the
# manual's absolute 0–100 scale: p = score / 100, ½ when not given (engine.indicator).
EXPERT_INDICATORS: tuple[str, ...] = tuple(s.name for s in INDICATORS if s.source == "expert")
_EXPERT_TEXT = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _experts(given: Mapping[str, Any] | None) -> dict[str, Decimal]:
    """The expert assessments given ({indicator: 0–100}); None or "" is not given. Anything else
    that is not a plain decimal from 0 to 100 is a 422 `valuation_input` naming the field."""
    parsed: dict[str, Decimal] = {}
    for name, raw in (given or {}).items():
        if name not in EXPERT_INDICATORS:
            raise ValuationInputError(
                name, f"未知的专家评分项：{name}", f"unknown expert assessment: {name}"
            )
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        text = str(raw).strip() if isinstance(raw, str | int | Decimal) else ""
        if isinstance(raw, bool) or not _EXPERT_TEXT.fullmatch(text) or Decimal(text) > 100:
            raise ValuationInputError(
                name,
                f"专家评分 {name} 应为 0 至 100 之间的数值，收到“{str(raw)[:20]}”。",
                f"the expert assessment {name} must be a number from 0 to 100, got "
                f"{str(raw)[:20]!r}.",
            )
        parsed[name] = Decimal(text)
    return parsed


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _run_scale(run: ScoreRun | None) -> GradeScale:
    """The grade bounds a run found (FIXED_GRADE_SCALE before any calibrated run)."""
    bounds = list(run.grade_thresholds or []) if run is not None else []
    if len(bounds) != len(GRADES) - 1:
        return FIXED_GRADE_SCALE
    shares = tuple(float(v) for v in (run.grade_shares or [])) if run is not None else ()
    return GradeScale(
        (float(bounds[0]), float(bounds[1]), float(bounds[2])),
        (shares[0], shares[1], shares[2], shares[3]) if len(shares) == len(GRADES) else None,
    )


def _scale_dict(scale: GradeScale) -> dict[str, Any]:
    return {
        "calibrated": scale.shares is not None,
        "shares": dict(zip(GRADES, scale.shares, strict=True)) if scale.shares else None,
        "thresholds": dict(zip(GRADES, scale.thresholds, strict=False)),
    }


# The technology field a cohort level names: the subclass levels the whole field (at most four
# characters, or "~kind" without IPC), the class and section levels its first 3 and 1.
_LEVEL_FIELD_WIDTH = {"class_years": 3, "section_years": 1}


def _cohort_dict(
    right: Right, basis: str, year_from: int | None, year_to: int | None, size: int
) -> dict[str, Any]:
    """The cohort a right was ranked in: its basis (COHORT_BASES), the technology field at that
    level (IPC subclass, class or section; "~kind" without IPC; "" for the whole kind), the
    filing years and size."""
    field = tech_field(right.ipc_main, right.kind)
    if basis == "kind":
        field = ""
    elif not field.startswith("~"):
        field = field[: _LEVEL_FIELD_WIDTH.get(basis, len(field))]
    year = right.filing_date.year
    return {
        "filing_year": year,
        "basis": basis,
        "kind": right.kind,
        "tech_field": field,
        "filing_years": [year if year_from is None else year_from,
                         year if year_to is None else year_to],
        "size": size,
    }  # fmt: skip


def _stored_score(
    right: Right,
    stored: RightScore,
    day: date,
    experts: Mapping[str, Decimal],
) -> dict[str, Any]:
    """The stored score, with the expert indicators given replaced: each changes the score by
    100·α_d·w_i·(p_new − p_old) and its value degree by 100·w_i·(p_new − p_old); every data
    indicator keeps the points (the cohort percentile) of the stored run."""
    raw = _raw_values(right, day)
    run = ScoreRun.objects.filter(pk=stored.run_id).first()
    run_weights = run.weights if run is not None else {}
    weights = ScoreWeights(
        dimensions=run_weights.get("dimensions") or ScoreWeights.default().dimensions,
        indicators=run_weights.get("indicators") or ScoreWeights.default().indicators,
    )
    scale = _run_scale(run)
    points_per_unit = weights.points_per_unit()
    score = float(stored.score)
    dimensions = {d: float(getattr(stored, d)) for d in DIMENSIONS}
    contributions = []
    for spec in INDICATORS:
        points = float(getattr(stored, f"c_{spec.name}"))
        unit = points_per_unit[spec.name]
        # points = 100·α_d·w_i·p, so p is points over the unit (none for a weight of 0).
        percentile = min(max(points / unit, 0.0), 1.0) if unit > 0 else None
        value = raw.get(spec.name)
        if spec.name in experts:
            value = float(experts[spec.name])
            new = value / 100.0
            # A stored run has no expert input (read_portfolio has no expert columns): ½.
            old = percentile if percentile is not None else 0.5
            new_points = unit * new
            score += new_points - points
            weight = float(weights.indicators.get(spec.name, 0.0))
            dimensions[spec.dimension] += 100.0 * weight * (new - old)
            points, percentile = new_points, (new if unit > 0 else None)
        contributions.append(_contribution_dict(spec.name, value, percentile, points))
    score = min(max(score, 0.0), 100.0)
    basis_index = int(stored.cohort_basis or 0)
    basis = COHORT_BASES[basis_index] if 0 <= basis_index < len(COHORT_BASES) else COHORT_BASES[0]
    share = _share_below_stored(score) if experts else stored.share_below
    return {
        "number": right.number,
        "score": score,
        "grade": stored.grade if not experts else scale.label(score),
        "share_below": share,
        "grade_scale": _scale_dict(scale),
        "dimensions": dimensions,
        "contributions": contributions,
        "cohort": _cohort_dict(
            right, basis, stored.cohort_from, stored.cohort_to, stored.cohort_size
        ),
        "stored": True,
        "run_id": stored.run_id,
        "scored_at": stored.scored_at,
    }


def right_score_get(
    *,
    number: str,
    dimensions: Mapping[str, Any] | None = None,
    on: date | None = None,
    experts: Mapping[str, Any] | None = None,
    before_computing: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """The indicator score of the right `number` (404 if unknown) with each indicator's raw value,
    cohort percentile and points (the points sum to the score). `dimensions` (legal, technical,
    economic weights summing to 1; a 422 otherwise) recomputes with those weights. `experts`
    ({expert_legal, expert_technical, expert_economic: 0–100}; a 422 otherwise) are an expert's
    assessments of this right: only those indicators change; `experts` in the result echoes
    the ones used (decimal strings).

    Computed now (no stored score, or other weights): the right's cohort is found by counting
    (`portfolio.right_cohort`, the same backoff as the portfolio run) and only its rights are
    read and ranked; graded on the last run's bounds. `before_computing` is called then, before
    the cohort is read (the API counts an anonymous caller's computation there)."""
    right = right_get(number=number)
    day = on or timezone.localdate()
    weights = _weights(dimensions)
    given = _experts(experts)
    echo = {name: _plain(value) for name, value in given.items()}
    stored = RightScore.objects.filter(right_id=right.pk).first() if weights is None else None
    if stored is not None:
        return {**_stored_score(right, stored, day, given), "experts": echo}
    if before_computing is not None:
        before_computing()
    cohort = right_cohort(
        kind=right.kind,
        year=right.filing_date.year,
        field=tech_field(right.ipc_main, right.kind),
        min_size=settings.IPFIN_SCORE_MIN_COHORT,
    )
    portfolio = read_portfolio(on=day, where=cohort.where, params=cohort.params)
    index = int(np.flatnonzero(portfolio.right_id == right.pk)[0])
    columns = dict(portfolio.columns)
    for name, value in given.items():
        # Only this right's assessment is known; the expert indicators are not cohort-ranked,
        # so the other rows (unknown, ½) change nothing for it.
        column = np.full(len(portfolio), np.nan)
        column[index] = float(value)
        columns[name] = column
    scale = _run_scale(ScoreRun.objects.exclude(finished_at=None).order_by("-pk").first())
    # The rights read are exactly this right's cohort: one cohort for all of them.
    batch = score_rights(
        columns, np.zeros(len(portfolio), dtype=np.int64), weights=weights, grading=scale
    )
    result = explain(batch, columns, index)
    return {
        "number": right.number,
        "score": result.score,
        "grade": result.grade,
        "share_below": _share_below_stored(result.score),
        "grade_scale": _scale_dict(scale),
        "dimensions": dict(result.dimensions),
        "contributions": [
            _contribution_dict(c.name, c.raw, c.percentile, c.points) for c in result.contributions
        ],
        "cohort": _cohort_dict(
            right, cohort.basis, cohort.year_from, cohort.year_to, len(portfolio)
        ),
        "stored": False,
        "run_id": None,
        "scored_at": None,
        "experts": echo,
    }


def _share_below_stored(score: float) -> float | None:
    """The share of the last run's stored scores below `score` (None before any run)."""
    counts = RightScore.objects.aggregate(
        total=Count("pk"), below=Count("pk", filter=Q(score__lt=score))
    )
    return counts["below"] / counts["total"] if counts["total"] else None


# --- market comparables --------------------------------------------------------------------------

MAX_COMPARABLES = 50
# Candidates read per comparable asked for: room for those skipped (no remaining term then).
_CANDIDATES_PER_COMPARABLE = 5
_RATIO = Decimal("0.0001")
# Similarity of a comparable's IPC main classification to the right's, strongest first: the
# level's name, the prefix length compared (after removing blanks, upper case) and the weight it
# suggests. A right without an IPC code (trademarks, copyright, unclassified patents) is compared
# by kind alone, with the weakest weight.
_SIMILARITY: tuple[tuple[str, int, str], ...] = (
    ("subclass", 4, "1"),  # same IPC subclass, e.g. G06F
    ("class", 3, "0.6"),  # same IPC class, e.g. G06
    ("section", 1, "0.3"),  # same IPC section, e.g. G
)
_KIND_ONLY = ("kind", 0, "0.3")
_PRICED_TYPES = (EventType.TRANSFER.value, EventType.LICENCE.value)
_LICENCE_ZH = {"exclusive": "独占许可", "sole": "排他许可", "ordinary": "普通许可"}
_NOTE_FACTORS = {
    "code": "factors_are_the_valuers",
    "zh": "技术、经济系数默认为 1，由评估师判断；时间系数默认为 1：交易日至评估基准日的价格指数"
    "由评估师输入（平台未收录可引用的技术交易价格指数）。",
    "en": "The technical and economic factors default to 1: the valuer's judgement. The time "
    "factor defaults to 1: the price index from the transaction date to the valuation date is "
    "the valuer's input (the platform holds no citable index of technology transaction prices).",
}
_NOTE_LICENCE = {
    "code": "licence_fee",
    "zh": "许可使用费不是权利本身的交易价格：独占许可最接近转让，普通许可通常远低于转让价；"
    "是否采用、如何修正由评估师决定。",
    "en": "A licence fee is not a price of the right itself: an exclusive licence comes closest "
    "to an assignment, an ordinary one is usually far below it. Whether and how to use it is the "
    "valuer's decision.",
}


def _ipc_key(ipc_main: str) -> str:
    return "".join(ipc_main.split()).upper()


def _priced_candidates(right: Right, on: date, limit: int) -> QuerySet[RightEvent]:
    """One query: the priced transfers and licences (dated on or before `on`, price above 0) of
    other rights of the same kind, in the same IPC section when the right has an IPC code, with
    their similarity level (3 subclass, 2 class, 1 section; 0 kind only), most similar first,
    then the most recent. The rights come with them (select_related) and their events in one
    more query (prefetch), for their legal status on each transaction's date."""
    events = (
        RightEvent.objects.filter(
            type__in=_PRICED_TYPES,
            date__lte=on,
            right__kind=right.kind,
            payload__has_key="price",
        )
        .exclude(right_id=right.pk)
        .exclude(payload__price="0.00")
    )
    key = _ipc_key(right.ipc_main)
    if key:
        events = events.annotate(
            ipc=Upper(Replace(F("right__ipc_main"), Value(" "), Value("")))
        ).filter(ipc__startswith=key[:1])
        whens = [
            When(ipc__startswith=key[:length], then=Value(len(_SIMILARITY) - rank))
            for rank, (_name, length, _weight) in enumerate(_SIMILARITY)
            if len(key) >= length
        ]
        similarity: Case | Value = Case(*whens, default=Value(1), output_field=IntegerField())
    else:
        similarity = Value(0, output_field=IntegerField())
    return (
        events.annotate(similarity=similarity)
        .select_related("right")
        .prefetch_related("right__events")
        .order_by("-similarity", "-date", "-id")[: limit * _CANDIDATES_PER_COMPARABLE]
    )


def market_comparables(*, right: Right, on: date, limit: int = 10) -> list[dict[str, Any]]:
    """Comparables for the market approach (市场法, GB/T 42748-2023): the register's transfers
    (转让) and licences (许可) recorded with a price, of other rights of the same kind, most similar
    first (same IPC main subclass, then class, then section; ties: the most recent). At most
    `limit` (1–MAX_COMPARABLES); three queries whatever the number (the right's events, the
    candidates, their rights' events).

    Each comes with the preview's comparable (`comparable`: price, technical, economic,
    remaining_life_ratio, time, weight; decimals as strings) as a suggestion for the valuer:
    - remaining_life_ratio c_i = n_rem / n_rem,i: the right's remaining legal years on `on` over
      the comparable's on its transaction date (0.01 years, rounded down, as
      `remaining_legal_years`; the ratio to 4 decimals, half up). A comparable with no remaining
      term on its date is skipped;
    - weight: the similarity (1 subclass, 0.6 class, 0.3 section or kind only);
    - technical = economic = time = 1: the valuer's judgement and price index (see the notes);
    and its source (the event's id, type, date, price, licence type). A licence's price is its
    fee, not the right's price: `is_licence` marks it, the valuer decides.

    A right with no remaining legal term on `on` has no market value to compare: a 422
    `right_not_in_force` (the ratio would be 0, which the approach refuses).
    """
    if not 1 <= limit <= MAX_COMPARABLES:
        raise ValidationFailed(
            f"可比交易数量应为 1 至 {MAX_COMPARABLES}。",
            f"limit must be from 1 to {MAX_COMPARABLES}.",
            code="limit_invalid",
            extra={"field": "limit"},
        )
    try:
        subject_years = remaining_term_years(right_status(right, on=on), on)
    except TermUnknown:
        raise ValidationFailed(
            f"{right.number} 的保护期无法根据登记簿计算，无法按可比交易修正。",
            f"{right.number}'s term cannot be computed from the register: there is nothing to "
            "compare.",
            code="term_unknown",
            extra={"field": "on"},
        ) from None
    if subject_years <= 0:
        raise ValidationFailed(
            f"{right.number} 在 {on} 已无剩余法定保护期，无法按可比交易修正。",
            f"{right.number} has no remaining legal term on {on}: there is nothing to compare.",
            code="right_not_in_force",
            extra={"field": "on"},
        )
    levels = {len(_SIMILARITY) - rank: level for rank, level in enumerate(_SIMILARITY)}
    levels[0] = _KIND_ONLY
    found: list[dict[str, Any]] = []
    calendar = working_calendar()
    for event in _priced_candidates(right, on, limit):
        other = event.right
        try:
            years = remaining_term_years(
                legal_status(right_facts(other, on=event.date), event.date, calendar), event.date
            )
        except TermUnknown:
            continue  # no life ratio without the comparable's term
        if years <= 0:
            continue
        level, _length, weight = levels[event.similarity]  # type: ignore[attr-defined]
        payload = event.payload if isinstance(event.payload, dict) else {}
        is_licence = event.type == EventType.LICENCE.value
        licence_type = payload.get("licence_type") if is_licence else None
        ratio = (subject_years / years).quantize(_RATIO, rounding=ROUND_HALF_UP)
        price = str(payload["price"])
        kind_zh = _LICENCE_ZH.get(str(licence_type), "许可") if is_licence else "转让"
        found.append(
            {
                "number": other.number,
                "title": other.title,
                "kind": other.kind,
                "ipc_main": other.ipc_main,
                "similarity": level,
                "event": {
                    "id": event.pk,
                    "type": event.type,
                    "date": event.date,
                    "price": price,
                    "licence_type": licence_type,
                },
                "is_licence": is_licence,
                "label": f"{kind_zh} {event.date.isoformat()} {other.number}",
                "subject_remaining_years": str(subject_years),
                "comparable_remaining_years": str(years),
                "comparable": {
                    "price": price,
                    "technical": "1",
                    "economic": "1",
                    "remaining_life_ratio": _plain(ratio),
                    "time": "1",
                    "weight": weight,
                },
                "notes": [_NOTE_FACTORS, *([_NOTE_LICENCE] if is_licence else [])],
            }
        )
        if len(found) == limit:
            break
    return found


# --- banks' models -------------------------------------------------------------------------------


def bank_model_of(bank_id: int | None) -> BankModel:
    """The bank's internal model, or `BankModel.default()` when it has set none."""
    row = BankValuationModel.objects.filter(bank_id=bank_id).first() if bank_id else None
    if row is None:
        return BankModel.default()
    default = BankModel.default()
    return BankModel(
        haircuts={k: Decimal(str(v)) for k, v in (row.haircuts or default.haircuts).items()},
        max_pledge_rates={
            k: Decimal(str(v))
            for k, v in (row.max_pledge_rates or default.max_pledge_rates).items()
        },
        recheck_threshold=row.recheck_threshold,
        score_floor=row.score_floor,
    )


def bank_model_version(bank_id: int | None) -> int:
    """The version of the bank's stored model (ipfin.common.versioning); 0 while it has set
    none."""
    rows = BankValuationModel.objects.filter(bank_id=bank_id) if bank_id else None
    version = rows.values_list("version", flat=True).first() if rows is not None else None
    return UNSAVED if version is None else version


# --- "IP + credit" -------------------------------------------------------------------------------


def _no_enterprise(code: str) -> NotFound:
    return NotFound(
        f"未找到统一社会信用代码为 {code} 的企业。",
        f"No enterprise with credit code {code}.",
        code="enterprise_not_found",
    )


def _credit_readers(actor: Actor) -> Q | None:
    """Who reads an enterprise's credit profile and score: `customer_scope` with the valuation
    supervisors' `Perm.VALUATION_VIEW_ALL` — the enterprise itself; a bank, only an enterprise
    it deals with (a pledge or pledge application naming it as pledgee that the enterprise filed
    or confirmed, a loan application the enterprise made to it, a demand pushed to it, an entry
    of a published white-list batch pushed to it); the IP
    office and regulators, every one (None). The rule is `customer_scope`'s, stated there once."""
    return customer_scope(actor, view_all=Perm.VALUATION_VIEW_ALL)


def may_see_credit(actor: Actor, org: Organisation) -> bool:
    """Whether `actor` may read the credit profile of the enterprise `org` (`_credit_readers`)."""
    scope = _credit_readers(actor)
    return scope is None or Organisation.objects.filter(scope, pk=org.pk).exists()


def credit_profile_of(*, actor: Actor, uscc: str) -> tuple[Organisation, EnterpriseCreditProfile]:
    """The enterprise and its stored profile (an unsaved empty one if none); a 404
    `enterprise_not_found` for an unknown credit code and, alike, for one the actor may not read
    (`_credit_readers`: another bank's customer is not revealed)."""
    require_login(actor)
    code = clean_uscc(uscc)
    orgs = Organisation.objects.filter(uscc=code, kind=OrganisationKind.ENTERPRISE)
    scope = _credit_readers(actor)
    org = (orgs if scope is None else orgs.filter(scope)).first()
    if org is None:
        raise _no_enterprise(code)
    profile = EnterpriseCreditProfile.objects.filter(organisation=org).first()
    return org, profile or EnterpriseCreditProfile(organisation=org)


def _years_between(start: date | None, end: date) -> Decimal:
    if start is None or start > end:
        return Decimal(0)
    # Cut down to 0.1, as the score's average above: 350 days rounded to 1.0 year had scored
    # in the bin from 1 year.
    years = Decimal((end - start).days) / Decimal("365.25")
    return years.quantize(Decimal("0.1"), rounding=ROUND_DOWN)


# The 信用中国 records that grade an enterprise D (ipfin.valuation.domain.credit, 一票否决), and
# how far back a record counts: two years, the window of the records shown beside the scorecard.
DISHONESTY_RECORDS = ("失信被执行人", "严重失信主体")


def dishonesty_on(organisation_ids: Iterable[int], on: date) -> dict[int, date]:
    """Per enterprise, the day of its latest 失信被执行人 / 严重失信主体 record dated in the two
    years up to `on` (those without one are absent). One query."""
    rows = (
        CreditRecord.objects.filter(
            organisation_id__in=list(organisation_ids),
            kind=CreditFileKindChoices.PUBLIC_CREDIT,
            value__in=DISHONESTY_RECORDS,
            on__lte=on,
            on__gt=on - timedelta(days=CREDIT_RECORD_DAYS),
        )
        .values("organisation_id")
        .annotate(latest=Max("on"))
        .values_list("organisation_id", "latest")
    )
    return dict(rows)


def _engine_profile(
    profile: EnterpriseCreditProfile,
    valid: Sequence[Right],
    average: float | None,
    on: date,
    dishonest: date | None = None,
) -> EnterpriseProfile:
    """The scorecard's inputs: the enterprise's valid rights on `on` (and the average stored
    score of those scored) from the register, the rest from its stored profile. The one mapping
    for `credit_score_get` and `credit_scores_bulk`."""
    return EnterpriseProfile(
        valid_invention_count=sum(1 for r in valid if r.kind == "invention"),
        valid_right_count=len(valid),
        # Shown to 0.01, cut down, not rounded: the scorecard's bins are half-open at whole
        # numbers, and 44.996 rounded to 45.00 scored in the bin from 45 (5 points, not 2).
        avg_right_score=(
            Decimal(repr(float(average))).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            if average is not None
            else None
        ),
        rd_expense_ratio=profile.rd_expense_ratio,
        high_tech=profile.high_tech,
        specialised_sme=profile.specialised_sme,
        years_in_business=_years_between(profile.established_on, on),
        credit_rating=profile.credit_rating or None,
        overdue_count_24m=profile.overdue_count_24m,
        revenue=profile.revenue,
        revenue_growth=profile.revenue_growth,
        debt_ratio=profile.debt_ratio,
        tax_credit_grade=profile.tax_credit_grade or None,
        dishonesty_on=dishonest,
    )


def credit_scores_bulk(
    orgs: Sequence[Organisation], *, on: date
) -> dict[int, CreditScore | ValuationInputError]:
    """The scorecard of every enterprise in `orgs` that has a credit profile, keyed by its id
    (those without one are absent), for white-list screening and matching: no actor, the same
    score whoever looks. Six queries whatever the number: profiles, owned rights, the rights,
    their events (legal status), their stored scores, the 失信 records (`dishonesty_on`). A
    profile the engine refuses (impossible stored values) gives its `ValuationInputError`
    instead of a score."""
    ids = [org.pk for org in orgs]
    profiles = {
        p.organisation_id: p
        for p in EnterpriseCreditProfile.objects.filter(organisation_id__in=ids)
    }
    code_of = {org.pk: org.uscc for org in orgs if org.pk in profiles and org.uscc}
    owned: dict[str, set[int]] = defaultdict(set)
    for uscc, right_id in RightOwner.objects.filter(
        owned_on(on), uscc__in=set(code_of.values())
    ).values_list("uscc", "right_id"):
        owned[uscc].add(right_id)
    all_ids = set().union(*owned.values()) if owned else set()
    rights = {r.pk: r for r in Right.objects.filter(pk__in=all_ids)}
    statuses = rights_status_bulk(list(rights.values()), on=on)
    valid_ids = {pk for pk, st in statuses.items() if st.status in _IN_FORCE}
    scores = dict(
        RightScore.objects.filter(right_id__in=valid_ids).values_list("right_id", "score")
    )
    dishonest = dishonesty_on(profiles, on)
    result: dict[int, CreditScore | ValuationInputError] = {}
    for org_id, profile in profiles.items():
        valid = [rights[pk] for pk in owned.get(code_of.get(org_id, ""), ()) if pk in valid_ids]
        right_scores = [scores[r.pk] for r in valid if r.pk in scores]
        average = math.fsum(right_scores) / len(right_scores) if right_scores else None
        try:
            result[org_id] = credit_score(
                _engine_profile(profile, valid, average, on, dishonest.get(org_id))
            )
        except ValuationInputError as exc:
            result[org_id] = exc
    return result


def credit_score_get(*, actor: Actor, uscc: str, on: date | None = None) -> dict[str, Any]:
    """The scorecard of the enterprise `uscc`: its IP from the register (valid rights it owns on
    `on`, valid inventions, their average stored score) and its stored profile."""
    org, profile = credit_profile_of(actor=actor, uscc=uscc)
    day = on or timezone.localdate()
    rights = list(owner_rights(uscc=org.uscc or "", on=day))
    statuses = rights_status_bulk(rights, on=day)
    valid = [r for r in rights if statuses[r.pk].status in _IN_FORCE]
    average = RightScore.objects.filter(right_id__in=[r.pk for r in valid]).aggregate(
        avg=Avg("score")
    )["avg"]
    dishonest = dishonesty_on([org.pk], day).get(org.pk)
    enterprise_profile = _engine_profile(profile, valid, average, day, dishonest)
    result: CreditScore = credit_score(enterprise_profile)
    return {
        "uscc": org.uscc,
        "name": org.name,
        "total": result.total,
        "grade": result.grade,
        "dishonesty_on": result.dishonesty_on,
        "groups": dict(result.groups),
        "factors": [
            {
                "factor": f.factor,
                "group": f.group,
                "label_zh": f.label_zh,
                "label_en": f.label_en,
                "value": f.value,
                "points": f.points,
                "max_points": f.max_points,
            }
            for f in result.factors
        ],
        "profile": {
            "rd_expense_ratio": profile.rd_expense_ratio,
            "high_tech": profile.high_tech,
            "specialised_sme": profile.specialised_sme,
            "established_on": profile.established_on,
            "credit_rating": profile.credit_rating or None,
            "overdue_count_24m": profile.overdue_count_24m,
            "revenue": profile.revenue,
            "revenue_growth": profile.revenue_growth,
            "debt_ratio": profile.debt_ratio,
            "tax_credit_grade": profile.tax_credit_grade or None,
            "tax_credit_grade_source": _provenance(profile.tax_credit_grade_record),
            "updated_at": profile.updated_at,
        },
        "credit_records": [
            {
                "kind": r.kind,
                "kind_label": str(r.get_kind_display()),
                "value": r.value,
                "on": r.on,
                "reference": r.reference,
                "detail": r.detail,
                "source": _provenance(r),
            }
            for r in CreditRecord.objects.filter(
                organisation=org, on__gte=day - timedelta(days=CREDIT_RECORD_DAYS)
            ).select_related("data_import")[:CREDIT_RECORD_LIMIT]
        ],
        "on": day,
        "version": UNSAVED if profile._state.adding else profile.version,
    }


# The records shown beside the scorecard: those of the last two years (the scorecard's own
# window for overdue payments), the latest first.
CREDIT_RECORD_DAYS = 730
CREDIT_RECORD_LIMIT = 100


def _provenance(record: CreditRecord | None) -> dict[str, Any] | None:
    """Where an imported record comes from: its file's source, date and import."""
    if record is None:
        return None
    data_import = record.data_import
    return {
        "import_id": data_import.pk,
        "source": data_import.source,
        "as_of": data_import.as_of,
        "filename": data_import.filename,
    }


def credit_imports(*, actor: Actor) -> QuerySet[CreditDataImport]:
    """The credit data files imported, newest first (the IP office), without their lists of
    skipped rows (up to 50,000 each: `rows_skipped` counts them; `credit_import_get` has one)."""
    require(actor, Perm.CREDIT_IMPORT)
    return CreditDataImport.objects.defer("skipped").order_by("-pk")


def credit_import_get(*, actor: Actor, import_id: int) -> CreditDataImport:
    """One imported credit data file with its skipped rows (the IP office; 404 if none)."""
    require(actor, Perm.CREDIT_IMPORT)
    found = CreditDataImport.objects.filter(pk=import_id).first()
    if found is None:
        raise NotFound("没有这个信用数据导入。", "No such credit data import.")
    return found


def agency_seal_of(*, actor: Actor) -> AgencySeal | None:
    """The seal image of the actor's own valuation agency, for its administrators
    (`Perm.VALUATION_SEAL_MANAGE`; anyone else 401/403); None before one is uploaded."""
    organisation = acting_organisation(require(actor, Perm.VALUATION_SEAL_MANAGE))
    return AgencySeal.objects.filter(organisation=organisation).first()
