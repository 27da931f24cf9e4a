"""The nightly scoring of the whole register as a background job: one chunk, since each right is
ranked within a cohort drawn from the whole register (a chunk of rights could not rank them)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from ipfin.jobs.registry import JobSpec, Params, day_param, register
from ipfin.valuation.services.scoring import portfolio_score


def _run(params: Params, lo: int, hi: int) -> dict[str, Any]:
    minimum = params.get("min_cohort")
    run = portfolio_score(
        on=day_param(params, "on"),
        min_cohort=int(minimum) if minimum is not None else None,
    )
    return {"score_run": run.pk, "rights_scored": run.rights_scored}


register(JobSpec(name="score_portfolio", label=_("全量知识产权价值度评分"), run=_run))
