"""Reads of the background jobs: the runs and their progress, for the IP office's
administrators (`Perm.JOBS_MANAGE`)."""

from __future__ import annotations

from collections.abc import Sequence

from ipfin.accounts.models import User
from ipfin.accounts.permissions import Actor, Perm, has_perm, require, require_login
from ipfin.common.errors import NotFound
from ipfin.jobs.models import LIVE_STATES, JobFile, JobFileRole, JobRun, JobState
from ipfin.jobs.registry import job_spec

RECENT = 50


def job_runs_recent(*, actor: Actor, limit: int = RECENT) -> list[JobRun]:
    """The latest runs, newest first."""
    require(actor, Perm.JOBS_MANAGE)
    return list(JobRun.objects.select_related("requested_by").order_by("-pk")[:limit])


def _may_read(user: User, run: JobRun) -> bool:
    if has_perm(user, Perm.JOBS_MANAGE):
        return True
    try:
        spec = job_spec(run.name)
    except KeyError:  # a job no longer registered: its administrators only
        return False
    needed = spec.permission
    allowed = () if needed is None else needed if isinstance(needed, tuple) else (needed,)
    if allowed and not any(has_perm(user, p) for p in allowed):
        return False  # the requester too, once they may no longer make the request
    if spec.may_read is not None and not spec.may_read(user, run):
        return False
    if run.requested_by_id == user.pk:
        return True
    # The organisation the run was made for (its scope), whatever the requester's is now.
    return needed is not None and spec.colleagues and run.scope == f"org:{user.organisation_id}"


def job_run_get(*, actor: Actor, run_id: int) -> JobRun:
    """One run, for the user who requested it and their colleagues, as long as they may make
    the same request (JobSpec.permission), and for the jobs' administrators; anyone else, like
    an unknown id, gets 404 (whether another organisation's run exists is not told)."""
    user = require_login(actor)
    run = JobRun.objects.select_related("requested_by").filter(pk=run_id).first()
    if run is None or not _may_read(user, run):
        raise NotFound("没有这个后台任务。", "No such background job run.")
    return run


def job_run_output(*, actor: Actor, run_id: int) -> JobFile:
    """The file a run on request made (an export), for whoever may read the run; 404 while
    there is none (the run not done, or its file deleted a week after it ended)."""
    run = job_run_get(actor=actor, run_id=run_id)
    output = JobFile.objects.filter(run=run, role=JobFileRole.OUTPUT).first()
    if output is None or run.state != JobState.DONE:  # a run failed late may have made one
        raise NotFound(
            "该任务没有可下载的文件（未完成，或已超过保留期限）。",
            "This run has no file to download (not done, or past the days it is kept).",
        )
    return output


def job_runs_requested(*, actor: Actor, names: list[str], limit: int = 20) -> list[JobRun]:
    """The actor's own latest runs of the jobs `names` (the runs they asked for on a page),
    newest first."""
    user = require_login(actor)
    return list(JobRun.objects.filter(requested_by=user, name__in=names).order_by("-pk")[:limit])


def run_waits_for(run: JobRun) -> str | None:
    """The name of the job a run queued on the workers waits for (JobSpec.after: a live run of
    it), or None: the run may begin. A run in process never waits (nothing else runs it
    meanwhile), nor one already begun (a redelivered plan)."""
    try:
        after = job_spec(run.name).after
    except KeyError:  # a job no longer registered waits for nothing
        return None
    if not after or not run.on_workers or run.state != JobState.QUEUED:
        return None
    live = live_run_of(after)
    return live.name if live is not None else None


def live_run_of(names: Sequence[str]) -> JobRun | None:
    """The earliest queued live run of any of the jobs `names` (a job's JobSpec.after), or None:
    what a run reading their output waits for on the workers, and is refused for in-process."""
    if not names:
        return None
    return (
        JobRun.objects.filter(name__in=names, state__in=LIVE_STATES).order_by("queued_at").first()
    )
