"""`portfolio_score`: score every right of the register and store the scores, set-based.

Read (one query per range of rights, the ranges over as many connections at once on PostgreSQL:
ipfin.valuation.portfolio.read_portfolio, which also backs each right's cohort off to at least
`min_cohort` rights of its kind) → score (one call of the columnar engine,
ipfin.valuation.domain.indicator.score_rights, over every right at once: the percentiles are
cohort-relative, so the cohorts must be complete; the grade bounds are calibrated on this run's
scores: A the top 15%, B the next 25%, C the next 40%, D the rest by default) → write (one
transaction that replaces every RightScore: binary COPY on PostgreSQL, executemany on SQLite).
A `ScoreRun` row records when, how many, with which weights, cohort minimum, grade shares and
the grade bounds found, and how long each stage took; one audit record per run. Re-running gives
the same rows (idempotent: the scores depend on the register, the date and those settings).

As a background job (ipfin.valuation.jobs) the read is cut into chunks of right ids that the
workers read in parallel into a stage table; the run's last step scores and writes as above.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date
from typing import Protocol

from django.conf import settings
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.audit.services import audit_record
from ipfin.valuation.domain.indicator import ScoreWeights, score_rights, score_spread
from ipfin.valuation.domain.indicator import grade_shares as checked_grade_shares
from ipfin.valuation.models import ScoreRun
from ipfin.valuation.portfolio import clear_staged, read_portfolio, read_staged, write_scores

__all__ = ["ScoreProgress", "portfolio_score"]


class ScoreProgress(Protocol):
    """Progress of a run: `start(stage, total)` then `advance(n)` per rights done."""

    def start(self, label: str, total: int) -> None: ...

    def advance(self, n: int) -> None: ...

    def finish(self) -> None: ...


def portfolio_score(
    *,
    actor: User | None = None,
    on: date | None = None,
    weights: ScoreWeights | None = None,
    progress: ScoreProgress | None = None,
    min_cohort: int | None = None,
    grade_shares: Sequence[float] | None = None,
    staged_by: int | None = None,
) -> ScoreRun:
    """Score every right as of `on` (default today) and replace the stored scores.
    `min_cohort` and `grade_shares` default to the settings IPFIN_SCORE_MIN_COHORT and
    IPFIN_SCORE_GRADE_SHARES. `staged_by`: the rights' inputs were read by the chunks of that
    background run (ipfin.valuation.jobs): read them from the stage, and clear it with the
    write."""
    day = on or timezone.localdate()
    weights = weights or ScoreWeights.default()
    weights.validate()
    minimum = settings.IPFIN_SCORE_MIN_COHORT if min_cohort is None else min_cohort
    shares = checked_grade_shares(
        settings.IPFIN_SCORE_GRADE_SHARES if grade_shares is None else grade_shares
    )
    run = ScoreRun.objects.create(
        started_at=timezone.now(),
        weights={"dimensions": dict(weights.dimensions), "indicators": dict(weights.indicators)},
        min_cohort=minimum,
        grade_shares=list(shares),
    )
    seconds: dict[str, float] = {}

    start = time.perf_counter()
    if progress is not None:
        progress.start("读取", 1)
    if staged_by is None:
        portfolio = read_portfolio(on=day, min_cohort=minimum)
    else:
        portfolio = read_staged(job=staged_by, on=day, min_cohort=minimum)
    n = len(portfolio)
    seconds["read"] = time.perf_counter() - start
    if progress is not None:
        progress.advance(1)
        progress.start("评分", n)

    start = time.perf_counter()
    batch = score_rights(portfolio.columns, portfolio.cohorts, weights, shares)
    seconds["score"] = time.perf_counter() - start
    if progress is not None:
        progress.advance(n)
        progress.start("写入", n)

    seconds["write"] = write_scores(
        portfolio,
        batch,
        run_id=run.pk,
        advance=progress.advance if progress is not None else (lambda k: None),
    )
    if progress is not None:
        progress.finish()
    if staged_by is not None:
        clear_staged()

    run.finished_at = timezone.now()
    run.rights_scored = n
    run.seconds = {k: round(v, 3) for k, v in seconds.items()}
    run.grade_thresholds = list(batch.scale.thresholds)
    run.spread = score_spread(batch.score, batch.grade, portfolio.cohorts.basis) or {}
    run.save(
        update_fields=["finished_at", "rights_scored", "seconds", "grade_thresholds", "spread"]
    )
    audit_record(
        actor=actor,
        action="valuation.score_portfolio",
        obj=run,
        after={
            "rights_scored": n,
            "on": day.isoformat(),
            "seconds": run.seconds,
            "min_cohort": minimum,
            "grade_shares": list(shares),
            "grade_thresholds": run.grade_thresholds,
            "spread": run.spread,
        },
    )
    return run
