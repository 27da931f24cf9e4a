"""REST adapter of the background runs: GET /jobs/{job_id}, the run a long request queued
(202 from e.g. POST /credit-imports/jobs), polled until its state is done or failed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from ipfin.accounts.auth import ApiAuth
from ipfin.jobs import selectors
from ipfin.jobs.models import JobRun
from ipfin.jobs.registry import job_spec
from ipfin.jobs.schemas import JobRunOut

router = Router(auth=ApiAuth())


def job_run_out(run: JobRun) -> dict[str, Any]:
    try:
        label = str(job_spec(run.name).label)
    except KeyError:  # a job no longer registered: its name is all there is
        label = run.name
    return {
        "id": run.pk,
        "job": run.name,
        "label": label,
        "state": run.state,
        "chunks_total": run.chunks_total,
        "chunks_done": run.chunks_done,
        "queued_at": run.queued_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "result": run.result,
        "error": run.error,
    }


@router.get("/jobs/{job_id}", response=JobRunOut)
def job_run(request: HttpRequest, job_id: int) -> dict[str, Any]:
    """A background run the caller requested (an administrator of the jobs: any run)."""
    return job_run_out(selectors.job_run_get(actor=request.user, run_id=job_id))


__all__ = ["job_run_out", "router"]
