"""Reads of the background jobs: the runs and their progress, for the IP office's
administrators (`Perm.JOBS_MANAGE`)."""

from __future__ import annotations

from ipfin.accounts.permissions import Actor, Perm, require
from ipfin.jobs.models import JobRun

RECENT = 50


def job_runs_recent(*, actor: Actor, limit: int = RECENT) -> list[JobRun]:
    """The latest runs, newest first."""
    require(actor, Perm.JOBS_MANAGE)
    return list(JobRun.objects.select_related("requested_by").order_by("-pk")[:limit])
