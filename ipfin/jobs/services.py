"""Running background jobs: launch a run (in-process without a broker, on Celery workers with
one), plan its chunks, do each chunk once, finish the run; wait for a run from the command line.

Every step is idempotent, so that the broker may deliver a task twice (late acknowledgement: a
task whose worker died is given to another) and a retry may repeat one: planning a planned run
plans nothing more, a done chunk is skipped, a finished run is not finished again."""

from __future__ import annotations

import hashlib
import time
import traceback
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from celery.exceptions import Retry
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from ipfin.accounts.models import User
from ipfin.accounts.permissions import Perm, require
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, DomainError, invalid
from ipfin.common.exchange import exchange_period
from ipfin.jobs.domain import WHOLE, combine
from ipfin.jobs.models import LIVE_STATES, JobChunk, JobFile, JobFileRole, JobRun, JobState
from ipfin.jobs.registry import QUEUED_ON_KEY, RUN_KEY, ExportFile, JobSpec, job_spec, refusal
from ipfin.jobs.selectors import live_run_of


def broker_configured() -> bool:
    return bool(settings.CELERY_BROKER_URL)


# A chunk tried this many times without finishing (its worker killed each time: out of memory,
# a segfault, a hard time limit) fails its run instead of going round for ever.
MAX_CHUNK_ATTEMPTS = 5
# A run queued or running this long without finishing is failed by the sweep (`runs_sweep`): a
# message the broker lost, a worker gone with its chunk unacknowledged past every redelivery.
STALE_AFTER = timedelta(hours=6)


def job_launch(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    requested_by_id: int | None = None,
    scope: str = "",
    send: bool = True,
) -> JobRun:
    """Queue a run of the job `name` (KeyError if unknown) and send it: to the workers when a
    broker is configured, else run it here and now (Celery's eager mode: the same tasks, in this
    process). `send=False`: queued only (the caller sends it once its own writes are done).

    One live run of a job at a time (409 `job_running`): two classifications of the same day at
    once would each write the same changes (the database holds the rule: a unique index on the
    name of the queued and running runs). A job run on request is one at a time per `scope`
    (the organisation whose request it is)."""
    spec = job_spec(name)
    if not broker_configured():
        # No beat sends the sweep here: a run left live by a process killed in the middle of it
        # (its in-process run cannot be redelivered) would hold the job's slot for good.
        runs_sweep()
        _refuse_while_read_job_runs(spec)
    try:
        with transaction.atomic():
            run = JobRun.objects.create(
                name=name,
                params=dict(params or {}),
                scope=scope,
                on_workers=broker_configured(),
                requested_by_id=requested_by_id,
            )
    except IntegrityError:
        live = JobRun.objects.filter(name=name, scope=scope, state__in=LIVE_STATES).first()
        raise Conflict(
            f"该任务正在运行（#{live.pk if live else '?'}），请等它结束后再运行。",
            f"This job is running already (#{live.pk if live else '?'}): wait for it to end.",
            code="job_running",
        ) from None
    if send:
        _send(run)
    return run


def _refuse_while_read_job_runs(spec: JobSpec) -> None:
    """In-process, a run cannot wait for the job whose output it reads (JobSpec.after) as a
    worker's run does: refused (409 `job_running`) while a run of that job is live in another
    process (a classification sent by cron, or from the jobs page in a server's worker), whose
    chunks commit one by one: the scan would read a day half classified."""
    live = live_run_of(spec.after)
    if live is not None:
        label = job_spec(live.name).label
        with translation.override("zh-hans"):
            label_zh = str(label)
        with translation.override("en"):
            label_en = str(label)
        raise Conflict(
            f"“{label_zh}”正在运行（#{live.pk}），本任务读取其结果，请等它结束后再运行。",
            f"“{label_en}” is running (#{live.pk}) and this job reads what it makes: run this "
            "once it has ended.",
            code="job_running",
        )


def _send(run: JobRun) -> None:
    """Send the run to be planned. A failure to send it (the broker unreachable) or, in-process,
    of the run itself fails the run with the reason, so that no run waits for ever."""
    from ipfin.jobs.tasks import job_plan  # the tasks call these services: imported when sent

    def send() -> None:
        try:
            job_plan.delay(run.pk)
        except Exception as exc:  # the run says why, the caller reads it there
            # In-process, a database error's retry is Celery's Retry: the error is its cause.
            cause = exc.exc if isinstance(exc, Retry) and isinstance(exc.exc, Exception) else exc
            run_fail(run.pk, cause)

    if run.on_workers:
        # A worker must find the run: sent once the caller's transaction commits.
        transaction.on_commit(send)
    else:
        # Eager: runs here, inside the caller's transaction; Celery re-raises a task's error
        # before its failure handler would run, so the run is failed here. An interruption
        # (Ctrl-C, a server's worker timeout: SystemExit) fails it too, then goes on: no other
        # process will ever finish an in-process run.
        try:
            send()
        except BaseException as exc:
            run_fail(run.pk, exc)
            raise


def runs_sweep(*, now: datetime | None = None) -> int:
    """Fail the runs that have made no progress for STALE_AFTER: queued that long ago with no
    chunk done since (beat sends it every ten minutes): how many. A long run whose chunks keep
    committing is left to finish."""
    moment = now or timezone.now()
    idle_since = moment - STALE_AFTER
    return JobRun.objects.filter(
        Q(progressed_at__isnull=True) | Q(progressed_at__lt=idle_since),
        state__in=LIVE_STATES,
        queued_at__lt=idle_since,
    ).update(
        state=JobState.FAILED,
        error=f"no progress for {STALE_AFTER}: lost by the broker or its workers",
        finished_at=moment,
    )


# The file a run on request was sent with is kept this long after the run ends (to look into a
# run that failed), then deleted: what the import keeps of it is its name and SHA-256.
FILES_KEPT_FOR = timedelta(days=7)


def run_files_purge(*, now: datetime | None = None) -> int:
    """Delete the files of the runs that ended more than FILES_KEPT_FOR ago (beat sends it with
    the sweep): how many."""
    moment = now or timezone.now()
    ended = JobRun.objects.filter(
        state__in=[JobState.DONE, JobState.FAILED], finished_at__lt=moment - FILES_KEPT_FOR
    )
    deleted, _ = JobFile.objects.filter(run__in=ended).delete()
    return deleted


def job_request(*, actor: User, name: str) -> JobRun:
    """The IP office's administrator starts a run of a daily job now (as of today), audited."""
    require(actor, Perm.JOBS_MANAGE)
    try:
        if job_spec(name).on_request:
            raise KeyError(name)  # run with its file by the page that takes it
    except KeyError:
        raise invalid(
            "name", "job_unknown", "没有这个后台任务。", "There is no such background job."
        ) from None
    with transaction.atomic():
        run = job_launch(name, {}, requested_by_id=actor.pk, send=False)
        audit_record(actor=actor, action="jobs.launch", obj=run, after={"name": name})
    _send(run)
    return JobRun.objects.get(pk=run.pk)


def job_request_run(
    *,
    actor: User,
    name: str,
    scope: str,
    params: Mapping[str, Any],
    uploaded_file: UploadedFile[bytes] | None = None,
) -> JobRun:
    """Queue a run of the request job `name` (JobSpec.on_request): an import with the file the
    actor sent, stored with the run (JobFile) so that whichever worker runs it reads it; or an
    export, whose file the run stores for the actor to download. Audited, then sent
    (in-process without a broker: the run is over when this returns). The caller has checked
    the request's own fields and the file's size: what the job finds in the file is the run's
    result. 409 `job_running` while a run of the same job and scope is live."""
    spec = job_spec(name)
    if not spec.on_request:
        raise ValueError(f"{name} is not run on request")
    run_files_purge()  # also where no beat runs the sweep (the demo, no broker)
    sent: dict[str, Any] = {}
    with transaction.atomic():
        run = job_launch(name, params, requested_by_id=actor.pk, scope=scope, send=False)
        if uploaded_file is not None:
            uploaded_file.seek(0)
            data = uploaded_file.read()
            uploaded_file.seek(0)
            stored = _store_file(
                run.pk,
                JobFileRole.INPUT,
                name=uploaded_file.name or "upload",
                content_type=uploaded_file.content_type or "application/octet-stream",
                data=data,
            )
            sent = {"file": uploaded_file.name, "sha256": stored.sha256, "bytes": stored.size}
        audit_record(
            actor=actor, action="jobs.request", obj=run, after={"name": name, **params, **sent}
        )
    _send(run)
    return JobRun.objects.get(pk=run.pk)


def job_request_export(*, actor: User, name: str, start: date, end: date) -> JobRun:
    """Queue the export run `name` of the file of a period (checked now: at most 366 days,
    else 422 `period_invalid`, nothing queued): one export of the organisation's at a time
    (409 `job_running`). Its file is downloaded from the run once it is done."""
    first, last = exchange_period(start, end)
    return job_request_run(
        actor=actor,
        name=name,
        scope=f"org:{actor.organisation_id}",
        params={"start": first.isoformat(), "end": last.isoformat()},
    )


def period_export(
    make: Callable[..., ExportFile],
) -> Callable[[Mapping[str, Any], int, int], dict[str, Any]]:
    """The chunk (JobSpec.run) of an export queued by job_request_export: `make(actor=, start=,
    end=)` builds the file of the run's period (run_export)."""

    def run(params: Mapping[str, Any], lo: int, hi: int) -> dict[str, Any]:
        start, end = date.fromisoformat(params["start"]), date.fromisoformat(params["end"])
        return run_export(params, lambda actor: make(actor=actor, start=start, end=end))

    return run


def run_output_store(run_id: int, *, name: str, content_type: str, data: bytes) -> None:
    """The file a run on request made (an export), kept with the run for its requester to
    download; inside the chunk's transaction, so that it exists exactly when the chunk is done."""
    _store_file(run_id, JobFileRole.OUTPUT, name=name, content_type=content_type, data=data)


def _store_file(run_id: int, role: str, *, name: str, content_type: str, data: bytes) -> JobFile:
    """A run's file (what it was sent, or what it made), with its size and SHA-256."""
    return JobFile.objects.create(
        run_id=run_id,
        role=role,
        name=name[:200],
        content_type=content_type[:100],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )


def _requested(params: Mapping[str, Any]) -> tuple[JobRun, User]:
    run = JobRun.objects.select_related("requested_by").get(pk=int(params[RUN_KEY]))
    if run.requested_by is None:
        raise RuntimeError(f"run #{run.pk} on request has no requester")
    return run, run.requested_by


def run_on_request(
    params: Mapping[str, Any],
    work: Callable[[User, SimpleUploadedFile], Mapping[str, Any]],
) -> dict[str, Any]:
    """The chunk of an import run on request (JobSpec.run): `work` done as the user who sent
    it (whose permission its service checks again) on the file sent with it. A refusal (a file
    with problems, a file imported before) is the run's result (registry.refusal), not an error
    to retry: the same file would be refused again."""
    run, actor = _requested(params)
    try:
        return dict(work(actor, run_input_file(run.pk)))
    except DomainError as refused:
        return refusal(refused)


def run_export(params: Mapping[str, Any], make: Callable[[User], ExportFile]) -> dict[str, Any]:
    """The chunk of an export run on request: the file `make` builds as the user who asked
    for it (whose permission it checks again), stored with the run for them to download
    (run_output_store); the result counts its rows and bytes. A refusal is the run's result."""
    run, actor = _requested(params)
    try:
        made = make(actor)
    except DomainError as refused:
        return refusal(refused)
    run_output_store(run.pk, name=made.name, content_type=made.content_type, data=made.data)
    counts = {"bytes": len(made.data)}
    if made.rows is not None:
        counts["rows_exported"] = made.rows
    return counts


def run_input_file(run_id: int) -> SimpleUploadedFile:
    """The file a run on request was sent with, as an upload (what the import reads)."""
    stored = JobFile.objects.get(run_id=run_id, role=JobFileRole.INPUT)
    return SimpleUploadedFile(stored.name, bytes(stored.data), content_type=stored.content_type)


def run_plan(run_id: int) -> list[int]:
    """Cut the run into chunks (once) and mark it running: the indexes of the chunks not done
    yet (all of them the first time; after a redelivery, those still to do)."""
    with transaction.atomic():
        run = JobRun.objects.select_for_update().get(pk=run_id)
        if run.state in (JobState.DONE, JobState.FAILED):
            return []
        if run.chunks_total == 0 and not run.chunks.exists():
            spec = job_spec(run.name)
            ranges = spec.plan(_params(run)) if spec.plan is not None else [WHOLE]
            JobChunk.objects.bulk_create(
                [JobChunk(run=run, index=i, lo=lo, hi=hi) for i, (lo, hi) in enumerate(ranges)]
            )
            run.chunks_total = len(ranges)
            run.state = JobState.RUNNING
            run.started_at = timezone.now()
            run.save(update_fields=["chunks_total", "state", "started_at"])
        return list(run.chunks.filter(done=False).values_list("index", flat=True))


def run_still_waiting(run_id: int) -> None:
    """A run waiting for the job it comes after (JobSpec.after) has just looked again: counted as
    progress, so that the sweep leaves it (a worker keeps looking) and fails it only once no
    worker has looked for STALE_AFTER."""
    JobRun.objects.filter(pk=run_id, state=JobState.QUEUED).update(progressed_at=timezone.now())


def _params(run: JobRun) -> dict[str, Any]:
    """What the job's functions are given: the params its command sent, the run's id and the
    day it was queued on (registry.RUN_KEY, registry.QUEUED_ON_KEY)."""
    return {
        **run.params,
        RUN_KEY: run.pk,
        QUEUED_ON_KEY: timezone.localdate(run.queued_at).isoformat(),
    }


def chunk_execute(run_id: int, index: int, *, retries: int = 0) -> bool:
    """Do one chunk, once: its work and its `done` mark commit together (a chunk interrupted
    leaves nothing, a chunk done is skipped). Answers whether it did the work now. `retries`:
    how many times the task was retried after a database error (Celery's own count): those
    attempts ended with an error, not with a lost worker, and are not counted as lost."""
    JobChunk.objects.filter(run_id=run_id, index=index, done=False).update(
        attempts=F("attempts") + 1
    )
    run = JobRun.objects.get(pk=run_id)
    if run.state == JobState.FAILED:
        return False
    chunk = JobChunk.objects.get(run_id=run_id, index=index)
    if not chunk.done and _lost_too_often(run_id, f"chunk {index}", chunk.attempts - retries):
        return False
    spec = job_spec(run.name)
    with transaction.atomic():
        # The lock keeps a second delivery of the same chunk waiting until this one commits; it
        # then finds the chunk done.
        chunk = JobChunk.objects.select_for_update().get(run_id=run_id, index=index)
        if chunk.done:
            return False
        result = dict(spec.run(_params(run), chunk.lo, chunk.hi))
        _pause_for_tests()
        chunk.done, chunk.result = True, result
        chunk.save(update_fields=["done", "result"])
        counted = JobRun.objects.filter(pk=run_id, state__in=LIVE_STATES).update(
            chunks_done=F("chunks_done") + 1, progressed_at=timezone.now()
        )
        if not counted:
            # The run was failed meanwhile (the sweep, another chunk): its page says nothing
            # was changed, and a new run of the job may already be at work. This chunk's
            # work goes back with it.
            transaction.set_rollback(True)
            return False
    return True


def _pause_for_tests() -> None:
    """A pause before a chunk commits, set only by the test that kills a worker in the middle of
    a chunk (IPFIN_JOBS_CHUNK_PAUSE seconds; 0 everywhere else)."""
    pause = float(getattr(settings, "IPFIN_JOBS_CHUNK_PAUSE", 0) or 0)
    if pause > 0:
        time.sleep(pause)


def run_finish_if_complete(run_id: int, *, retries: int = 0) -> bool:
    """Finish the run once every chunk is done: its result is its chunks' counts combined, in
    chunk order. Answers whether this call finished it (one caller does, whatever the race).
    `retries`: as for `chunk_execute`."""
    run = JobRun.objects.get(pk=run_id)
    spec = job_spec(run.name)
    if spec.finish is not None and not run.chunks.filter(done=False).exists():
        # Counted before the step, in its own commit: a worker lost in the middle of it (its
        # task redelivered each time) fails the run after MAX_CHUNK_ATTEMPTS.
        JobRun.objects.filter(pk=run_id, state__in=LIVE_STATES).update(
            finish_attempts=F("finish_attempts") + 1
        )
        run.refresh_from_db()
        if run.state in LIVE_STATES and _lost_too_often(
            run_id, "its last step", run.finish_attempts - retries
        ):
            return False
    with transaction.atomic():
        run = JobRun.objects.select_for_update().get(pk=run_id)
        if run.state not in (JobState.RUNNING, JobState.QUEUED):
            return False
        if run.chunks.filter(done=False).exists():
            return False
        result = combine(c.result or {} for c in run.chunks.order_by("index"))
        if spec.finish is not None:
            result.update(spec.finish(_params(run), result))
        why = spec.failure(result) if spec.failure is not None else None
        run.result = result
        run.state = JobState.FAILED if why else JobState.DONE
        run.error = why or ""
        run.finished_at = timezone.now()
        if run.started_at is None:
            run.started_at = run.finished_at
        run.save(update_fields=["result", "state", "error", "finished_at", "started_at"])
        if "refused" in result:
            # Refused for what its file holds: nothing of the file is kept (the result holds the
            # report), as nothing is from a file refused in the request itself. A run failed
            # otherwise keeps it for FILES_KEPT_FOR, to be looked into.
            JobFile.objects.filter(run=run, role=JobFileRole.INPUT).delete()
    return True


def _lost_too_often(run_id: int, what: str, attempts: int) -> bool:
    """After an attempt at `what` (a chunk, the last step) is counted: when it has been begun
    more than MAX_CHUNK_ATTEMPTS times, its worker lost each time, the run fails."""
    if attempts <= MAX_CHUNK_ATTEMPTS:
        return False
    run_fail(
        run_id,
        RuntimeError(
            f"{what} tried {attempts - 1} times without finishing (its worker lost each time)"
        ),
    )
    return True


def run_fail(run_id: int, exc: BaseException) -> None:
    """Mark a run failed (a chunk failed for good): the error kept for the log and the page."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
    JobRun.objects.filter(pk=run_id, state__in=[JobState.QUEUED, JobState.RUNNING]).update(
        state=JobState.FAILED, error=text, finished_at=timezone.now()
    )


def job_wait(run_id: int, seconds: float, *, poll: float = 0.5) -> JobRun:
    """The run once it has finished (done or failed), or as it stands after `seconds`."""
    deadline = time.monotonic() + max(0.0, seconds)
    while True:
        run = JobRun.objects.get(pk=run_id)
        if run.state in (JobState.DONE, JobState.FAILED) or time.monotonic() >= deadline:
            return run
        time.sleep(poll)
