"""REST adapter of the background runs: GET /jobs/{job_id}, the run a long request queued
(202 from e.g. POST /credit-imports/jobs), polled until its state is done or failed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from ipfin.accounts.auth import ApiAuth
from ipfin.accounts.permissions import Perm, has_perm
from ipfin.common.downloads import attachment
from ipfin.jobs import selectors
from ipfin.jobs.models import JobRun
from ipfin.jobs.registry import job_spec
from ipfin.jobs.schemas import JobRunOut
from ipfin.openapi import NO_FORBIDDEN

router = Router(auth=ApiAuth())


def job_run_out(run: JobRun, actor: Any) -> dict[str, Any]:
    """The run as the API shows it to `actor`: why a run failed is its refusal (a file's
    problems) for anyone who may read it, but the text of an unexpected error (an exception,
    which may name the database's internals) for the jobs' administrators only."""
    error = run.error
    refused = isinstance(run.result, dict) and "refused" in run.result
    if error and not refused and not has_perm(actor, Perm.JOBS_MANAGE):
        error = (
            f"The run failed and changed nothing; the platform's administrators can see why "
            f"(run #{run.pk})."
        )
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
        "error": error,
    }


def accepted(request: HttpRequest, response: HttpResponse, run: JobRun) -> Status[dict[str, Any]]:
    """The answer to a request run in the background: 202 with the run, Location its address."""
    response["Location"] = f"/api/v1/jobs/{run.pk}"
    return Status(202, job_run_out(run, request.user))


# Neither read answers 403: another organisation's run is "no such run" (404), as the selector says.
@router.get("/jobs/{job_id}", response=JobRunOut, openapi_extra=NO_FORBIDDEN)
def job_run(request: HttpRequest, job_id: int) -> dict[str, Any]:
    """A background run the caller requested (an administrator of the jobs: any run)."""
    return job_run_out(selectors.job_run_get(actor=request.user, run_id=job_id), request.user)


@router.get(
    "/jobs/{job_id}/file",
    openapi_extra={
        **NO_FORBIDDEN,
        "responses": {
            "200": {
                "description": "the file the run made (an export), as an attachment: the "
                "pledge registrations' CSV, or the demands' interchange file (the JSON GET "
                "/exports/demands.json answers)",
                "headers": {
                    "Content-Disposition": {
                        "description": 'attachment; filename="…" (the file\'s name)',
                        "schema": {"type": "string"},
                    }
                },
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/json": {"schema": {}},
                },
            }
        },
    },
)
def job_run_file(request: HttpRequest, job_id: int) -> HttpResponse:
    """The file a finished export run made, for whoever may read the run (404 while there is
    none: the run not done, or its file deleted a week after the run ended)."""
    output = selectors.job_run_output(actor=request.user, run_id=job_id)
    return attachment(bytes(output.data), output.content_type, output.name)


__all__ = ["accepted", "job_run_out", "router"]
