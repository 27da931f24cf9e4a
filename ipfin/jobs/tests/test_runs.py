"""A run never waits for ever and never runs twice at once (found by review): a chunk whose
worker keeps dying fails its run; a job that fails in-process, or cannot be sent, fails its run
with the reason; one live run of a job at a time; stuck runs are swept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.common.errors import Conflict
from ipfin.jobs import registry, services
from ipfin.jobs.models import JobChunk, JobFile, JobFileRole, JobRun, JobState
from ipfin.jobs.registry import JobSpec

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing_job(monkeypatch: pytest.MonkeyPatch) -> str:
    def boom(params: Any, lo: int, hi: int) -> dict[str, Any]:
        raise ValueError("the source table is gone")

    registry.job_spec("audit_verify")  # discovery first, then ours beside the others
    monkeypatch.setitem(registry._JOBS, "test_failing", JobSpec("test_failing", "失败的任务", boom))
    return "test_failing"


def test_a_job_failing_in_process_fails_its_run_with_the_reason(failing_job: str) -> None:
    run = services.job_launch(failing_job)
    run.refresh_from_db()
    assert run.state == JobState.FAILED
    assert "ValueError: the source table is gone" in run.error
    with pytest.raises(CommandError, match="failed"):
        from ipfin.jobs.commands import launched_from_command

        launched_from_command(
            type("C", (), {"stdout": StringIO()})(),  # a command's stdout is all it needs
            failing_job,
            {},
            {"send_async": True, "wait": 5},
        )


def test_the_page_shows_a_failed_run_not_an_error_page(
    client_for: Callable[[User], Client], office_admin: User, failing_job: str
) -> None:
    answer = client_for(office_admin).post("/jobs/", {"name": failing_job})
    assert answer.status_code == 302
    html = client_for(office_admin).get("/jobs/").content.decode()
    assert "失败" in html and "the source table is gone" in html
    assert 'hx-trigger="every 3s"' not in html  # nothing left live


def test_a_job_that_cannot_be_sent_fails_its_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from ipfin.jobs import tasks

    def unreachable(*args: Any) -> None:
        raise ConnectionRefusedError("broker unreachable")

    monkeypatch.setattr(tasks.job_plan, "delay", unreachable)
    run = services.job_launch("audit_verify")
    run.refresh_from_db()
    assert run.state == JobState.FAILED and "broker unreachable" in run.error


def test_one_live_run_of_a_job_at_a_time(
    client_for: Callable[[User], Client], office_admin: User
) -> None:
    live = JobRun.objects.create(name="classify_loans", state=JobState.RUNNING)
    with pytest.raises(Conflict) as refused:
        services.job_launch("classify_loans")
    assert refused.value.code == "job_running"
    answer = client_for(office_admin).post("/jobs/", {"name": "classify_loans"})
    assert answer.status_code == 409
    assert f"#{live.pk}" in answer.content.decode()
    other = services.job_launch("audit_verify")  # another job may run meanwhile
    assert JobRun.objects.get(pk=other.pk).state == JobState.DONE
    JobRun.objects.filter(pk=live.pk).update(state=JobState.DONE)
    assert services.job_launch("classify_loans").pk != live.pk


def test_in_process_a_job_is_refused_while_the_job_it_reads_runs_elsewhere(
    client_for: Callable[[User], Client], office_admin: User
) -> None:
    """Without a broker a run cannot wait as a worker's does (JobSpec.after): the risk scan is
    refused while a classification runs in another process (cron's, or one sent from the jobs
    page by another server worker), rather than reading a day half classified."""
    live = JobRun.objects.create(name="classify_loans", state=JobState.RUNNING)
    with pytest.raises(Conflict) as refused:
        services.job_launch("risk_scan")
    assert refused.value.code == "job_running"
    assert f"#{live.pk}" in refused.value.detail_zh and "贷款" in refused.value.detail_zh
    assert not JobRun.objects.filter(name="risk_scan").exists()
    with pytest.raises(CommandError, match=f"#{live.pk}"):
        call_command("risk_scan", "--async", "--wait", "5", stdout=StringIO())
    answer = client_for(office_admin).post("/jobs/", {"name": "risk_scan"})
    assert answer.status_code == 409
    JobRun.objects.filter(pk=live.pk).update(state=JobState.DONE)
    scan = services.job_launch("risk_scan")
    assert JobRun.objects.get(pk=scan.pk).state == JobState.DONE


def test_a_chunk_whose_worker_keeps_dying_fails_its_run() -> None:
    run = JobRun.objects.create(name="audit_verify", state=JobState.RUNNING, chunks_total=1)
    JobChunk.objects.create(run=run, index=0, lo=0, hi=0, attempts=services.MAX_CHUNK_ATTEMPTS)
    assert services.chunk_execute(run.pk, 0) is False  # the attempt after the last allowed
    run.refresh_from_db()
    assert run.state == JobState.FAILED and "without finishing" in run.error


def test_stuck_runs_are_swept() -> None:
    long_ago = timezone.now() - services.STALE_AFTER - timedelta(minutes=1)
    old = JobRun.objects.create(name="risk_scan", queued_at=long_ago)
    fresh = JobRun.objects.create(name="score_portfolio")
    # Long, but a chunk committed a minute ago: still at work, left to finish.
    long_run = JobRun.objects.create(
        name="classify_loans",
        state=JobState.RUNNING,
        queued_at=long_ago - timedelta(hours=3),
        progressed_at=timezone.now() - timedelta(minutes=1),
    )
    # Long, and its last chunk committed more than STALE_AFTER ago: lost.
    idle = JobRun.objects.create(
        name="remind_ledger", state=JobState.RUNNING, queued_at=long_ago, progressed_at=long_ago
    )
    assert services.runs_sweep() == 2
    for run in (old, fresh, long_run, idle):
        run.refresh_from_db()
    assert (old.state, fresh.state) == (JobState.FAILED, JobState.QUEUED)
    assert (long_run.state, idle.state) == (JobState.RUNNING, JobState.FAILED)
    assert idle.error.startswith("no progress for")


def _register(monkeypatch: pytest.MonkeyPatch, name: str, run: Any) -> str:
    registry.job_spec("audit_verify")  # discovery first, then ours beside the others
    monkeypatch.setitem(registry._JOBS, name, JobSpec(name, name, run))
    return name


def test_an_in_process_run_interrupted_fails_and_frees_its_job(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a broker a run is this process's: a server's worker timeout (SystemExit) in the
    middle of it left it running for good, and every later launch was a 409 job_running."""
    calls: list[int] = []

    def interrupted(params: Any, lo: int, hi: int) -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 1:
            raise SystemExit(1)
        return {"done": 1}

    name = _register(monkeypatch, "test_interrupted", interrupted)
    with pytest.raises(SystemExit):
        services.job_launch(name)
    first = JobRun.objects.get(name=name)
    assert first.state == JobState.FAILED and "SystemExit" in first.error
    again = services.job_launch(name)
    assert JobRun.objects.get(pk=again.pk).state == JobState.DONE


def test_without_a_broker_a_stale_run_is_swept_by_the_next_launch() -> None:
    """A process killed outright (no exception to catch) leaves its in-process run live; no
    beat sweeps without a broker, so the next launch does, past STALE_AFTER."""
    stale = JobRun.objects.create(
        name="audit_verify",
        state=JobState.RUNNING,
        queued_at=timezone.now() - services.STALE_AFTER - timedelta(minutes=1),
    )
    run = services.job_launch("audit_verify")
    stale.refresh_from_db()
    assert stale.state == JobState.FAILED
    assert JobRun.objects.get(pk=run.pk).state == JobState.DONE


def test_database_error_retries_are_not_counted_as_lost_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A chunk retried after database errors (Celery's retries) is not failed as "its worker
    lost each time": only the attempts beyond its retries count."""
    name = _register(monkeypatch, "test_retried", lambda params, lo, hi: {"rows": 1})
    run = JobRun.objects.create(name=name, state=JobState.RUNNING, chunks_total=1)
    JobChunk.objects.create(run=run, index=0, lo=0, hi=0, attempts=services.MAX_CHUNK_ATTEMPTS)
    assert services.chunk_execute(run.pk, 0, retries=3) is True
    run.refresh_from_db()
    assert run.state == JobState.RUNNING and run.chunks_done == 1


def test_an_in_process_database_error_fails_the_run_with_that_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db import OperationalError

    def lost(params: Any, lo: int, hi: int) -> dict[str, Any]:
        raise OperationalError("server closed the connection unexpectedly")

    run = services.job_launch(_register(monkeypatch, "test_db_error", lost))
    run.refresh_from_db()
    assert run.state == JobState.FAILED
    assert run.error.startswith("django.db.utils.OperationalError: server closed"), run.error


def test_the_files_of_runs_ended_a_week_ago_are_deleted_the_others_kept() -> None:
    now = timezone.now()

    def run_with_file(state: str, ended_ago: timedelta | None, name: str) -> JobRun:
        run = JobRun.objects.create(
            name=name,
            scope=name,
            state=state,
            finished_at=None if ended_ago is None else now - ended_ago,
        )
        JobFile.objects.create(
            run=run,
            role=JobFileRole.INPUT,
            name="a.csv",
            content_type="text/csv",
            size=1,
            sha256="0" * 64,
            data=b"x",
        )
        return run

    week = services.FILES_KEPT_FOR
    old_done = run_with_file(JobState.DONE, week + timedelta(minutes=1), "a")
    old_failed = run_with_file(JobState.FAILED, week + timedelta(days=3), "b")
    recent = run_with_file(JobState.DONE, week - timedelta(minutes=1), "c")
    live = run_with_file(JobState.RUNNING, None, "d")
    assert services.run_files_purge(now=now) == 2
    kept = set(JobFile.objects.values_list("run_id", flat=True))
    assert kept == {recent.pk, live.pk}
    assert JobRun.objects.filter(pk__in=[old_done.pk, old_failed.pk]).count() == 2  # runs stay


@pytest.mark.django_db
def test_a_last_step_whose_worker_is_lost_each_time_fails_the_run_after_the_chunks_limit() -> None:
    from ipfin.jobs.services import MAX_CHUNK_ATTEMPTS, run_finish_if_complete

    run = JobRun.objects.create(
        name="score_portfolio",
        state=JobState.RUNNING,
        chunks_total=1,
        chunks_done=1,
        finish_attempts=MAX_CHUNK_ATTEMPTS,  # begun that many times, never finished
    )
    JobChunk.objects.create(run=run, index=0, lo=0, hi=0, done=True, result={"rights_read": 0})
    assert run_finish_if_complete(run.pk) is False
    run.refresh_from_db()
    assert run.state == JobState.FAILED
    assert f"tried {MAX_CHUNK_ATTEMPTS} times" in run.error


def test_the_risk_scan_job_runs_for_the_day_it_was_queued_not_the_day_a_worker_reaches_it() -> None:
    """Queued at 23:59 on 4 December and reached after midnight (a backlog, a retry): the scan is
    the 4th's, as classify_loans' always was (it read the worker's day)."""
    from ipfin.jobs.registry import QUEUED_ON_KEY, RUN_KEY

    result = registry.job_spec("risk_scan").run({QUEUED_ON_KEY: "2026-12-04", RUN_KEY: 0}, 0, 0)
    assert result["on"] == "2026-12-04"


def test_a_chunk_finishing_after_its_run_was_failed_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sweep fails a run whose chunk is still at work; when that chunk ends, its work is
    rolled back rather than committed under a run whose page says nothing changed."""
    from ipfin.audit.models import AuditRecord
    from ipfin.audit.services import audit_record

    def writes_then_run_is_failed(params: Any, lo: int, hi: int) -> dict[str, Any]:
        audit_record(actor=None, action="jobs.launch", object_type="test", object_id="late")
        JobRun.objects.filter(pk=params[registry.RUN_KEY]).update(state=JobState.FAILED)  # sweep
        return {"rows": 1}

    name = _register(monkeypatch, "test_late_chunk", writes_then_run_is_failed)
    run = JobRun.objects.create(name=name, state=JobState.RUNNING, chunks_total=1)
    JobChunk.objects.create(run=run, index=0, lo=0, hi=0)
    assert services.chunk_execute(run.pk, 0) is False
    assert not AuditRecord.objects.filter(object_id="late").exists()
    chunk = JobChunk.objects.get(run=run, index=0)
    run.refresh_from_db()
    # (The stand-in for the sweep wrote inside the chunk's transaction and went back with it.)
    assert (chunk.done, run.chunks_done) == (False, 0)
