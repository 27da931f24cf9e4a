"""Reads of valuations, indicator scores, banks' models and enterprises' credit scores.

- `valuation_list` / `valuation_get`: a valuation is visible to the organisation that made it and
  to its client bank; the IP office and regulators see all (`Perm.VALUATION_VIEW_ALL`). Another
  tenant's valuation is a 404, never a 403.
- `right_score_get`: the public indicator score of a right with each indicator's contribution:
  the stored `RightScore` (from `ipfin score_portfolio`), or, when none is stored yet (or other
  weights are asked for), computed on the fly over the right's cohort (one set-based read of the
  cohort's rows, `ipfin.valuation.portfolio.read_portfolio`).
- `credit_score_get`: the "IP + credit" scorecard of an enterprise, for the enterprise itself,
  banks and the valuation supervisors (IP office, regulators).
- `bank_model_of`: a bank's internal model as the engine takes it (the default when it has none).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import Avg, QuerySet
from django.utils import timezone

from ipfin.accounts.models import Organisation, OrganisationKind
from ipfin.accounts.permissions import Perm, has_perm, require_login, tenant_scope
from ipfin.accounts.services import clean_uscc
from ipfin.common.errors import NotFound, ValidationFailed
from ipfin.registry.domain import Status
from ipfin.registry.models import Right
from ipfin.registry.selectors import owner_rights, right_get, rights_status_bulk
from ipfin.valuation.engine.bank import BankModel
from ipfin.valuation.engine.credit import CreditScore, EnterpriseProfile, credit_score
from ipfin.valuation.engine.indicator import (
    DIMENSIONS,
    INDICATORS,
    ScoreWeights,
    explain,
    score_rights,
)
from ipfin.valuation.models import (
    BankValuationModel,
    EnterpriseCreditProfile,
    RightScore,
    ScoreRun,
    Valuation,
    ValuationState,
)
from ipfin.valuation.portfolio import cohort_filter, read_portfolio, tech_field

__all__ = [
    "bank_model_of",
    "credit_profile_of",
    "credit_score_get",
    "right_score_get",
    "valuation_get",
    "valuation_list",
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


def valuation_list(*, actor: Any, state: str | None = None) -> QuerySet[Valuation]:
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


def valuation_get(*, actor: Any, pk: int) -> Valuation:
    """One valuation `actor` may see, with its rights in order; NotFound otherwise."""
    valuation = valuation_list(actor=actor).prefetch_related("items__right").filter(pk=pk).first()
    if valuation is None:
        raise NotFound("未找到该评估报告。", "No such valuation.", code="valuation_not_found")
    return valuation


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


def right_score_get(
    *,
    number: str,
    dimensions: Mapping[str, Any] | None = None,
    on: date | None = None,
) -> dict[str, Any]:
    """The indicator score of the right `number` (404 if unknown) with each indicator's raw value,
    cohort percentile and points (the points sum to the score). `dimensions` (legal, technical,
    economic weights summing to 1; a 422 otherwise) recomputes with those weights."""
    right = right_get(number=number)
    day = on or timezone.localdate()
    weights = _weights(dimensions)
    field = tech_field(right.ipc_main, right.kind)
    cohort = {"filing_year": right.filing_date.year, "tech_field": field}
    stored = RightScore.objects.filter(right_id=right.pk).first() if weights is None else None
    if stored is not None:
        raw = _raw_values(right, day)
        run = ScoreRun.objects.filter(pk=stored.run_id).first()
        run_weights = run.weights if run is not None else {}
        points_per_unit = ScoreWeights(
            dimensions=run_weights.get("dimensions") or ScoreWeights.default().dimensions,
            indicators=run_weights.get("indicators") or ScoreWeights.default().indicators,
        ).points_per_unit()
        contributions = []
        for spec in INDICATORS:
            points = getattr(stored, f"c_{spec.name}")
            unit = points_per_unit[spec.name]
            # points = 100·α_d·w_i·p, so p is points over the unit (none for a weight of 0).
            percentile = min(max(points / unit, 0.0), 1.0) if unit > 0 else None
            contributions.append(
                _contribution_dict(spec.name, raw.get(spec.name), percentile, points)
            )
        return {
            "number": right.number,
            "score": stored.score,
            "grade": stored.grade,
            "dimensions": {d: getattr(stored, d) for d in DIMENSIONS},
            "contributions": contributions,
            "cohort": {**cohort, "size": stored.cohort_size},
            "stored": True,
            "run_id": stored.run_id,
            "scored_at": stored.scored_at,
        }
    portfolio = read_portfolio(
        on=day, where=cohort_filter(), params=[right.filing_date.year, field]
    )
    index = int(np.flatnonzero(portfolio.right_id == right.pk)[0])
    batch = score_rights(
        portfolio.columns, np.zeros(len(portfolio), dtype=np.int64), weights=weights
    )
    result = explain(batch, portfolio.columns, index)
    return {
        "number": right.number,
        "score": result.score,
        "grade": result.grade,
        "dimensions": dict(result.dimensions),
        "contributions": [
            _contribution_dict(c.name, c.raw, c.percentile, c.points) for c in result.contributions
        ],
        "cohort": {**cohort, "size": len(portfolio)},
        "stored": False,
        "run_id": None,
        "scored_at": None,
    }


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


# --- "IP + credit" -------------------------------------------------------------------------------


def _enterprise(uscc: str) -> Organisation:
    code = clean_uscc(uscc)
    org = Organisation.objects.filter(uscc=code, kind=OrganisationKind.ENTERPRISE).first()
    if org is None:
        raise NotFound(
            f"未找到统一社会信用代码为 {code} 的企业。",
            f"No enterprise with credit code {code}.",
            code="enterprise_not_found",
        )
    return org


def may_see_credit(actor: Any, org: Organisation) -> bool:
    """The enterprise itself, any bank (its lenders-to-be) and the supervisors."""
    if getattr(actor, "organisation_id", None) == org.pk:
        return True
    if has_perm(actor, Perm.VALUATION_VIEW_ALL):
        return True
    own = getattr(actor, "organisation", None)
    return own is not None and own.kind == OrganisationKind.BANK


def credit_profile_of(*, actor: Any, uscc: str) -> tuple[Organisation, EnterpriseCreditProfile]:
    """The enterprise and its stored profile (an unsaved empty one if none); 404 for an actor
    who may not see it."""
    require_login(actor)
    org = _enterprise(uscc)
    if not may_see_credit(actor, org):
        raise NotFound(
            f"未找到统一社会信用代码为 {org.uscc} 的企业。",
            f"No enterprise with credit code {org.uscc}.",
            code="enterprise_not_found",
        )
    profile = EnterpriseCreditProfile.objects.filter(organisation=org).first()
    return org, profile or EnterpriseCreditProfile(organisation=org)


def _years_between(start: date | None, end: date) -> Decimal:
    if start is None or start > end:
        return Decimal(0)
    return (Decimal((end - start).days) / Decimal("365.25")).quantize(Decimal("0.1"))


def credit_score_get(*, actor: Any, uscc: str, on: date | None = None) -> dict[str, Any]:
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
    enterprise_profile = EnterpriseProfile(
        valid_invention_count=sum(1 for r in valid if r.kind == "invention"),
        valid_right_count=len(valid),
        avg_right_score=(
            Decimal(repr(float(average))).quantize(Decimal("0.01")) if average is not None else None
        ),
        rd_expense_ratio=profile.rd_expense_ratio,
        high_tech=profile.high_tech,
        specialised_sme=profile.specialised_sme,
        years_in_business=_years_between(profile.established_on, day),
        credit_rating=profile.credit_rating or None,
        overdue_count_24m=profile.overdue_count_24m,
        revenue=profile.revenue,
        revenue_growth=profile.revenue_growth,
        debt_ratio=profile.debt_ratio,
        tax_credit_grade=profile.tax_credit_grade or None,
    )
    result: CreditScore = credit_score(enterprise_profile)
    return {
        "uscc": org.uscc,
        "name": org.name,
        "total": result.total,
        "grade": result.grade,
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
            "updated_at": profile.updated_at,
        },
        "on": day,
    }
