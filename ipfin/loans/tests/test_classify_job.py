"""The daily classification as a background job: in-process without a broker (`--async`), and
on real Celery workers over RabbitMQ, where a worker killed in the middle of a chunk leaves the
same result as an uninterrupted run."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from ipfin.accounts.models import User
from ipfin.audit.models import AuditRecord
from ipfin.feed.models import Event
from ipfin.jobs.models import JobChunk, JobRun, JobState
from ipfin.loans import services as loan_services
from ipfin.loans.models import Loan, LoanClassification
from ipfin.loans.selectors import loan_position
from ipfin.pledges.models import Pledge
from ipfin.valuation.models import Valuation

# 91 days past the first instalment, due on Saturday 2025-02-15 and payable on Monday the 17th
# (民法典 art. 203): 次级.
DAY_91 = date(2025, 5, 19)
_ASYNC_91 = ("classify_loans", "--today", DAY_91.isoformat(), "--async", "--wait", "30")


def _three_loans(lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation]) -> list[Loan]:
    return [lend(pledged[0], principal="100000.00") for _ in range(3)]


def _outcome(loans: list[Loan]) -> dict[str, Any]:
    """What the classification left: each loan's category, and how many history rows, audit
    records and feed events each got (one each for a change, however the job ran)."""
    ids = [loan.pk for loan in loans]
    return {
        "categories": sorted(Loan.objects.filter(pk__in=ids).values_list("pk", "classification")),
        "history": sorted(
            LoanClassification.objects.filter(loan_id__in=ids, effective_on=DAY_91).values_list(
                "loan_id", flat=True
            )
        ),
        "audits": sorted(
            AuditRecord.objects.filter(action="loan.classify").values_list("object_id", flat=True)
        ),
        "events": sorted(e.data["loan_id"] for e in Event.objects.filter(type="loan.classified")),
    }


@pytest.mark.django_db
def test_a_run_with_no_loan_to_classify_reports_zero_counts() -> None:
    call_command(*_ASYNC_91, stdout=StringIO())
    run = JobRun.objects.get()
    assert (run.state, run.chunks_total) == (JobState.DONE, 0)
    assert run.result == {"checked": 0, "changed": 0, "non_performing": 0}


@pytest.mark.django_db
def test_async_without_a_broker_runs_the_chunks_in_process(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], settings: Any
) -> None:
    settings.IPFIN_JOBS_CHUNK_SIZE = 1
    loans = _three_loans(lend, pledged)
    out = StringIO()
    call_command(
        "classify_loans", "--today", DAY_91.isoformat(), "--async", "--wait", "30", stdout=out
    )
    run = JobRun.objects.get()
    assert (run.name, run.state, run.on_workers) == ("classify_loans", JobState.DONE, False)
    assert (run.chunks_total, run.chunks_done) == (3, 3)
    assert run.result == {"checked": 3, "changed": 3, "non_performing": 3}
    assert '"state": "done"' in out.getvalue()
    outcome = _outcome(loans)
    assert [c for _, c in outcome["categories"]] == ["substandard"] * 3
    ids = sorted(loan.pk for loan in loans)
    assert outcome["history"] == ids and outcome["events"] == ids
    assert outcome["audits"] == sorted(str(i) for i in ids)

    # Idempotent: the same day again changes nothing.
    call_command(
        "classify_loans", "--today", DAY_91.isoformat(), "--async", "--wait", "30", stdout=out
    )
    assert JobRun.objects.order_by("-pk").first().result["changed"] == 0  # type: ignore[union-attr]
    assert _outcome(loans) == outcome


@pytest.mark.django_db
def test_wait_needs_async_and_a_failed_job_exits_non_zero(settings: Any) -> None:
    with pytest.raises(CommandError, match="--wait goes with --async"):
        call_command("classify_loans", "--wait", "5", stdout=StringIO())
    from ipfin.jobs import services

    run = services.job_launch("audit_verify")
    assert JobRun.objects.get(pk=run.pk).state == JobState.DONE  # an intact (empty) chain
    with pytest.raises(KeyError):
        services.job_launch("no_such_job")


def _wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _wait_until_ended(run: JobRun, seconds: float, what: str) -> None:
    """Wait for the run to be done or failed, then read it again."""
    _wait_for(
        lambda: JobRun.objects.get(pk=run.pk).state in (JobState.DONE, JobState.FAILED),
        seconds,
        what,
    )
    run.refresh_from_db()


@pytest.mark.django_db(transaction=True)
def test_on_workers_a_chunk_killed_midway_is_done_once_by_another_worker(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], celery_workers: Any
) -> None:
    loans = _three_loans(lend, pledged)
    # Worker A pauses 20 s inside each chunk, before the chunk commits: it is killed there.
    # Planned by the worker that takes the run: one loan a chunk, three chunks.
    worker_a = celery_workers.start(IPFIN_JOBS_CHUNK_PAUSE="20", IPFIN_JOBS_CHUNK_SIZE="1")
    sender = celery_workers.send(
        "classify_loans", "--today", DAY_91.isoformat(), "--async", timeout=120
    )
    assert sender.returncode == 0, sender.stderr.decode()
    run = JobRun.objects.get()
    assert run.on_workers is True
    _wait_for(
        lambda: JobChunk.objects.filter(run=run, attempts__gte=1, done=False).exists(),
        90,
        "worker A to start a chunk",
    )
    os.killpg(worker_a.pid, signal.SIGKILL)  # the whole worker, mid-chunk
    worker_a.wait(timeout=30)
    assert not JobChunk.objects.filter(run=run, done=True).exists()  # nothing of it committed

    # Worker B, no pause: the broker gives it the chunk again.
    celery_workers.start(IPFIN_JOBS_CHUNK_SIZE="1")
    _wait_until_ended(run, 120, "the run to finish on worker B")
    assert run.state == JobState.DONE, (run.error, celery_workers.log(1))
    assert (run.chunks_total, run.chunks_done) == (3, 3)
    assert run.result == {"checked": 3, "changed": 3, "non_performing": 3}
    killed = JobChunk.objects.filter(run=run, attempts__gte=2)
    assert killed.count() == 1  # the chunk worker A was killed in ran again, once, on B

    # The same as an uninterrupted run: each loan classified once, one history row, one audit
    # record and one feed event each.
    outcome = _outcome(loans)
    ids = sorted(loan.pk for loan in loans)
    assert [c for _, c in outcome["categories"]] == ["substandard"] * 3
    assert outcome["history"] == ids and outcome["events"] == ids
    assert outcome["audits"] == sorted(str(i) for i in ids)


@pytest.mark.parametrize("celery_broker", ["rabbitmq", "redis"], indirect=True)
@pytest.mark.django_db(transaction=True)
def test_on_workers_the_command_waits_and_reports_the_result(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], celery_workers: Any
) -> None:
    import os
    import signal

    _three_loans(lend, pledged)
    worker = celery_workers.start()
    done = celery_workers.send(
        "classify_loans", "--today", DAY_91.isoformat(), "--async", "--wait", "90", timeout=150
    )
    assert done.returncode == 0, done.stderr.decode() + celery_workers.log(0)
    assert '"state": "done"' in done.stdout.decode()
    assert '"on_workers": true' in done.stdout.decode()
    # --wait too short for the run: non-zero, and the reason. No worker is left to take it: an
    # idle worker had sometimes verified the short audit chain before the command's one look
    # (the pause the command's environment asked for is read by the workers, not by it).
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    short = celery_workers.send("audit_verify", "--async", "--wait", "0", timeout=60)
    assert short.returncode != 0
    assert "not done within" in short.stderr.decode()
    assert "goes on in the background" in short.stderr.decode()  # where to follow it


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_repayment_committing_during_the_daily_job_is_not_overwritten(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_user: User
) -> None:
    """The daily job reads a 次级 loan while a repayment that settles it is still open; once the
    repayment commits, the job must not write back the category it read before (the loan stays
    正常, and no change back to 次级 is told). The job locks its loans before reading them, so it
    waits for the repayment and reads the loan as repaid."""
    assert connection.vendor == "postgresql"
    loan = lend(pledged[0])
    loan_services.loan_classify(today=DAY_91)  # 91 days past due: 次级
    loan.refresh_from_db()
    assert loan.classification == "substandard"
    position = loan_position(loan, date(2025, 5, 20))
    assert position is not None
    owed = position.amount_to_settle  # the whole loan with its penalty: repaid in full
    repaying, go = threading.Event(), threading.Event()

    def repay() -> None:
        try:
            actor = User.objects.select_related("organisation").get(pk=bank_a_user.pk)
            with transaction.atomic():
                loan_services.loan_repay(
                    actor=actor, loan=Loan.objects.get(pk=loan.pk), amount=owed,
                    paid_on=date(2025, 5, 20), today=date(2025, 5, 20),
                )  # fmt: skip
                repaying.set()
                go.wait(10)  # hold the repayment open while the job starts
        finally:
            connection.close()

    def classify() -> None:
        try:
            loan_services.loan_classify(today=date(2025, 5, 20))
        finally:
            connection.close()

    repayer = threading.Thread(target=repay)
    repayer.start()
    assert repaying.wait(10)
    job = threading.Thread(target=classify)
    job.start()
    job.join(1.0)  # the job now waits on the repayment's lock (old code: read the loan as 次级)
    go.set()
    repayer.join(10)
    job.join(10)
    loan.refresh_from_db()
    assert loan.classification == "normal" and loan.days_past_due == 0
    told = [e.data["classification"] for e in Event.objects.filter(type="loan.classified")]
    assert told == ["substandard", "normal"]


@pytest.mark.django_db
def test_a_scan_on_the_workers_waits_for_a_live_classification_not_in_process() -> None:
    """The risk scan and the quarter-end snapshots read the day's classification
    (JobSpec.after): sent to the workers while it still runs, they are not begun. In process
    nothing else runs meanwhile, and a run already begun never waits."""
    from ipfin.jobs.selectors import run_waits_for

    def run_waits_for_id(pk: int) -> str | None:
        return run_waits_for(JobRun.objects.get(pk=pk))

    classify = JobRun.objects.create(name="classify_loans", state=JobState.RUNNING, on_workers=True)
    scan = JobRun.objects.create(name="risk_scan", on_workers=True)
    snapshot = JobRun.objects.create(name="snapshot_positions", on_workers=True)
    ledger = JobRun.objects.create(name="remind_ledger", on_workers=True)
    assert run_waits_for_id(scan.pk) == run_waits_for_id(snapshot.pk) == "classify_loans"
    assert run_waits_for_id(ledger.pk) is None  # reads no classification
    in_process = JobRun.objects.create(name="risk_scan", scope="x", on_workers=False)
    assert run_waits_for_id(in_process.pk) is None
    JobRun.objects.filter(pk=scan.pk).update(state=JobState.RUNNING)
    assert run_waits_for_id(scan.pk) is None
    JobRun.objects.filter(pk=classify.pk).update(state=JobState.DONE)
    assert run_waits_for_id(snapshot.pk) is None


@pytest.mark.django_db(transaction=True)
def test_on_workers_the_risk_scan_begins_once_the_classification_is_done(
    celery_workers: Any,
) -> None:
    """Beat sends the scan an hour after the classification; a classification still running
    then (the whole country's loans) is waited for, not read half done."""
    from django.utils import timezone

    classify = JobRun.objects.create(
        name="classify_loans", state=JobState.RUNNING, on_workers=True,
        started_at=timezone.now(), progressed_at=timezone.now(),
    )  # fmt: skip
    celery_workers.start(IPFIN_JOBS_AFTER_WAIT="0.5")
    sent = celery_workers.send("risk_scan", "--async", "--wait", "4", timeout=90)
    assert sent.returncode != 0, sent.stdout.decode()  # not done: it waits
    scan = JobRun.objects.get(name="risk_scan")
    assert (scan.state, scan.started_at) == (JobState.QUEUED, None), celery_workers.log(0)

    finished = timezone.now()
    JobRun.objects.filter(pk=classify.pk).update(state=JobState.DONE, finished_at=finished)
    _wait_until_ended(scan, 90, "the scan to run once the classification is done")
    assert scan.state == JobState.DONE, (scan.error, celery_workers.log(0))
    assert scan.started_at is not None and scan.started_at >= finished


@pytest.mark.django_db(transaction=True)
def test_on_workers_a_chunk_past_the_time_limit_is_stopped_and_fails_its_run(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], celery_workers: Any
) -> None:
    """A chunk that hangs (here: paused 30 s before it commits) is stopped at the time limit:
    the worker is free again, nothing of the chunk is saved, and the run says why."""
    loans = _three_loans(lend, pledged)
    worker = celery_workers.start(IPFIN_JOBS_CHUNK_PAUSE="30", IPFIN_JOBS_TIME_LIMIT="2")
    began = time.monotonic()
    sent = celery_workers.send(*_ASYNC_91, timeout=120)
    assert sent.returncode != 0
    assert time.monotonic() - began < 25  # not the 30 s pause: stopped at the limit
    run = JobRun.objects.get()
    assert run.state == JobState.FAILED, celery_workers.log(0)
    assert "time limit of 2 s" in run.error and "IPFIN_JOBS_TIME_LIMIT" in run.error
    assert not JobChunk.objects.filter(run=run, done=True).exists()
    assert [c for _, c in _outcome(loans)["categories"]] == ["normal"] * 3
    assert worker.poll() is None  # the worker lives on


@pytest.mark.django_db
def test_a_run_waiting_for_the_classification_is_not_swept_while_workers_look() -> None:
    """Each look of a waiting run counts as progress: six hours behind a long classification
    (still committing chunks), the sweep leaves it. Once no worker has looked for six hours, it
    is swept as any run no worker moves."""
    from datetime import timedelta

    from django.utils import timezone

    from ipfin.jobs.services import STALE_AFTER, run_still_waiting, runs_sweep

    long_ago = timezone.now() - STALE_AFTER - timedelta(minutes=1)
    JobRun.objects.create(
        name="classify_loans", state=JobState.RUNNING, on_workers=True,
        queued_at=long_ago, progressed_at=timezone.now(),
    )  # fmt: skip
    scan = JobRun.objects.create(name="risk_scan", on_workers=True, queued_at=long_ago)
    run_still_waiting(scan.pk)
    assert runs_sweep() == 0
    scan.refresh_from_db()
    assert scan.state == JobState.QUEUED
    later = timezone.now() + STALE_AFTER + timedelta(minutes=1)
    assert runs_sweep(now=later) == 2  # no look, no chunk for six hours: both swept
