"""Reads of the background jobs: the runs and their progress, for the IP office's
administrators (`Perm.JOBS_MANAGE`)."""

from __future__ import annotations

from ipfin.accounts.permissions import Actor, Perm, has_perm, require, require_login
from ipfin.common.errors import NotFound
from ipfin.jobs.models import JobRun

RECENT = 50


def job_runs_recent(*, actor: Actor, limit: int = RECENT) -> list[JobRun]:
    """The latest runs, newest first."""
    require(actor, Perm.JOBS_MANAGE)
    return list(JobRun.objects.select_related("requested_by").order_by("-pk")[:limit])


def job_run_get(*, actor: Actor, run_id: int) -> JobRun:
    """One run, for the user who requested it or an administrator of the jobs; anyone else,
    like an unknown id, gets 404 (whether another organisation's run exists is not told)."""
    user = require_login(actor)
    run = JobRun.objects.select_related("requested_by").filter(pk=run_id).first()
    if run is None or (run.requested_by_id != user.pk and not has_perm(user, Perm.JOBS_MANAGE)):
        raise NotFound("没有这个后台任务。", "No such background job run.")
    return run
