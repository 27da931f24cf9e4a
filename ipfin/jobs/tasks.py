"""The Celery tasks behind every background job (ipfin.jobs.services does the work).

Late acknowledgement and `reject_on_worker_lost`: a task is acknowledged to the broker only
once it has run, so a worker killed in the middle of a chunk gives the chunk back to the broker,
which hands it to another worker. Database errors (a lost connection, a deadlock, a lock
timeout) are retried with exponential backoff; a chunk that still fails fails its run."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError

from ipfin.common.errors import Conflict
from ipfin.jobs import services
from ipfin.jobs.models import JobRun
from ipfin.jobs.selectors import run_waits_for

_RETRY: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 6,
}


class JobTimeLimit(Exception):
    """A task stopped at its time limit (IPFIN_JOBS_TIME_LIMIT), in words for the run's page."""


class JobTask(Task):  # type: ignore[misc]
    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        if isinstance(exc, SoftTimeLimitExceeded):
            limit = settings.IPFIN_JOBS_TIME_LIMIT
            exc = JobTimeLimit(
                f"任务运行超过 {limit:g} 秒时限，已停止，本段未保存（IPFIN_JOBS_TIME_LIMIT）。"
                f" / Stopped after the time limit of {limit:g} s, nothing of the step saved "
                "(IPFIN_JOBS_TIME_LIMIT)."
            )
        if args:
            services.run_fail(int(args[0]), exc)


@shared_task(name="ipfin.jobs.plan", base=JobTask, **_RETRY)
def job_plan(self: Task, run_id: int) -> None:
    if run_waits_for(JobRun.objects.get(pk=run_id)) is not None:
        # Sent again later as a new message (not a retry: waiting is no failure, and must not
        # use up the retries a database error has).
        services.run_still_waiting(run_id)
        job_plan.apply_async((run_id,), countdown=settings.IPFIN_JOBS_AFTER_WAIT)
        return
    indexes = services.run_plan(run_id)
    if not indexes:
        services.run_finish_if_complete(run_id, retries=self.request.retries or 0)
    for index in indexes:
        job_chunk.delay(run_id, index)


@shared_task(name="ipfin.jobs.chunk", base=JobTask, **_RETRY)
def job_chunk(self: Task, run_id: int, index: int) -> None:
    # A retry after a database error is not a lost worker: the attempts it makes are not
    # counted against MAX_CHUNK_ATTEMPTS (max_retries bounds them).
    retries = self.request.retries or 0
    services.chunk_execute(run_id, index, retries=retries)
    services.run_finish_if_complete(run_id, retries=retries)


# Beat's launch of a daily job: retried as the chunks are, so that a database that is briefly
# unreachable at the scheduled minute does not cost the day its run.
@shared_task(
    name="ipfin.jobs.launch",
    autoretry_for=(DatabaseError,),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=6,
)
def job_launch(name: str, params: dict[str, Any] | None = None) -> int | None:
    """What beat sends on each job's schedule: a new run of `name` (none while one runs: its
    run of the day is that one)."""
    try:
        return services.job_launch(name, params or {}).pk
    except Conflict:
        return None


@shared_task(name="ipfin.jobs.sweep", ignore_result=True)
def job_sweep() -> int:
    """Fail the runs stuck past their time, and delete the files of runs long ended (beat,
    every ten minutes)."""
    services.run_files_purge()
    return services.runs_sweep()
