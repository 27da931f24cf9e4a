"""`portfolio_score`: score every right of the register and store the scores, set-based.

Read (one query, ipfin.valuation.portfolio.read_portfolio) → score (one call of the columnar
engine, ipfin.valuation.domain.indicator.score_rights, over every right at once: the percentiles
are cohort-relative, so the cohorts must be complete) → write (one transaction that replaces
every RightScore: binary COPY on PostgreSQL, executemany on SQLite). A `ScoreRun` row records
when, how many, with which weights and how long each stage took; one audit record per run.
Re-running gives the same rows (idempotent: the scores depend on the register and the date).
"""

from __future__ import annotations

import time
from datetime import date
from typing import Protocol

from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.audit.services import audit_record
from ipfin.valuation.domain.indicator import ScoreWeights, score_rights
from ipfin.valuation.models import ScoreRun
from ipfin.valuation.portfolio import read_portfolio, write_scores

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
) -> ScoreRun:
    """Score every right as of `on` (default today) and replace the stored scores."""
    day = on or timezone.localdate()
    weights = weights or ScoreWeights.default()
    weights.validate()
    run = ScoreRun.objects.create(
        started_at=timezone.now(),
        weights={"dimensions": dict(weights.dimensions), "indicators": dict(weights.indicators)},
    )
    seconds: dict[str, float] = {}

    start = time.perf_counter()
    if progress is not None:
        progress.start("读取", 1)
    portfolio = read_portfolio(on=day)
    n = len(portfolio)
    seconds["read"] = time.perf_counter() - start
    if progress is not None:
        progress.advance(1)
        progress.start("评分", n)

    start = time.perf_counter()
    batch = score_rights(portfolio.columns, portfolio.cohort, weights)
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

    run.finished_at = timezone.now()
    run.rights_scored = n
    run.seconds = {k: round(v, 3) for k, v in seconds.items()}
    run.save(update_fields=["finished_at", "rights_scored", "seconds"])
    audit_record(
        actor=actor,
        action="valuation.score_portfolio",
        obj=run,
        after={"rights_scored": n, "on": day.isoformat(), "seconds": run.seconds},
    )
    return run
