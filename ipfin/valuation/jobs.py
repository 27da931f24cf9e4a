"""The nightly scoring of the whole register as a background job. Each right is ranked within a
cohort drawn from the whole register, so no chunk can score its rights alone; what the chunks do
in parallel is the read, the costly part (the aggregation of every right's events, owners and
pledges): each chunk stages the raw inputs of its range of right ids (`stage_portfolio`), and the
run's last step scores the whole staged register at once and writes the scores (`portfolio_score`
with `staged_by`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from ipfin.accounts.models import User
from ipfin.accounts.permissions import Perm
from ipfin.jobs.registry import (
    RUN_KEY,
    JobSpec,
    Params,
    refused_reason,
    register,
    run_day,
)
from ipfin.jobs.services import run_on_request
from ipfin.valuation.portfolio import (
    clear_staged,
    portfolio_id_ranges,
    stage_portfolio,
    staged_count,
)
from ipfin.valuation.services.credit_imports import CREDIT_IMPORT_JOB, credit_file_import
from ipfin.valuation.services.scoring import portfolio_score


def _plan(params: Params) -> list[tuple[int, int]]:
    # What an earlier run left (a run that failed before its last step) goes now.
    clear_staged(keep=int(params[RUN_KEY]))
    return portfolio_id_ranges(settings.IPFIN_SCORE_CHUNK_SIZE)


def _stage(params: Params, lo: int, hi: int) -> dict[str, Any]:
    staged = stage_portfolio(job=int(params[RUN_KEY]), on=run_day(params, "on"), lo=lo, hi=hi)
    return {"rights_read": staged}


def _finish(params: Params, counts: Mapping[str, Any]) -> dict[str, Any]:
    # The stage must hold what the chunks read: an UNLOGGED table is emptied by a crash of the
    # database server, and scoring part of the register would replace every score with ranks
    # among the wrong peers. The run fails instead, the stored scores untouched.
    job = int(params[RUN_KEY])
    staged, read = staged_count(job=job), int(counts.get("rights_read", 0))
    if staged != read:
        raise RuntimeError(
            f"the stage holds {staged} rights where the chunks read {read} (emptied by a crash "
            "of the database server?): nothing scored; run the scoring again"
        )
    minimum = params.get("min_cohort")
    run = portfolio_score(
        on=run_day(params, "on"),
        min_cohort=int(minimum) if minimum is not None else None,
        staged_by=job,
    )
    return {"score_run": run.pk, "rights_scored": run.rights_scored}


register(
    JobSpec(
        name="score_portfolio",
        label=_("全量知识产权价值度评分"),
        run=_stage,
        plan=_plan,
        finish=_finish,
    )
)


def _import_credit_file(params: Params, lo: int, hi: int) -> dict[str, Any]:
    """A credit data file sent by credit_file_import_request, imported as of the day it was
    sent."""

    def work(actor: User, upload: UploadedFile[bytes]) -> dict[str, Any]:
        data_import = credit_file_import(
            actor=actor,
            uploaded_file=upload,
            kind=params["kind"],
            source=params["source"],
            as_of=params["as_of"],
            today=run_day(params, "today"),
        )
        return {
            "import_id": data_import.pk,
            "rows_total": data_import.rows_total,
            "rows_applied": data_import.rows_applied,
            "rows_skipped": data_import.rows_skipped,
        }

    return run_on_request(params, work)


register(
    JobSpec(
        name=CREDIT_IMPORT_JOB,
        label=_("信用数据文件导入"),
        run=_import_credit_file,
        failure=refused_reason,
        on_request=True,
        permission=Perm.CREDIT_IMPORT,
        page="valuation:credit_imports",
    )
)
