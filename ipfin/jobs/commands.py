"""`--async` and `--wait SECONDS` for every daily job's command: send the job to the workers (or
run it as a background job in-process when no broker is configured) and, with `--wait`, block
until it is done, exiting non-zero when it failed or did not finish in time."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ipfin.common.errors import Conflict
from ipfin.jobs.models import JobRun, JobState
from ipfin.jobs.services import job_launch, job_wait


def add_job_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--async",
        dest="send_async",
        action="store_true",
        help="send it to the Celery workers as a background job (in-process without a broker)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=None,
        metavar="SECONDS",
        help="with --async: wait until it is done; exit non-zero if it failed or is not done "
        "within SECONDS",
    )


def _summary(run: JobRun) -> dict[str, Any]:
    return {
        "job": run.pk,
        "name": run.name,
        "state": run.state,
        "on_workers": run.on_workers,
        "chunks_done": run.chunks_done,
        "chunks_total": run.chunks_total,
        "result": run.result,
    }


def launched_from_command(
    command: BaseCommand, name: str, params: Mapping[str, Any], options: Mapping[str, Any]
) -> bool:
    """Handle `--async` / `--wait`: True when the job was sent (the command has nothing more to
    do), False when the command runs it itself as before."""
    wait = options.get("wait")
    if not options.get("send_async"):
        if wait is not None:
            raise CommandError("--wait goes with --async")
        return False
    if wait is not None and wait < 0:
        raise CommandError("--wait takes a number of seconds, 0 or more")
    try:
        run = job_launch(name, params)
    except Conflict as refused:  # a run of it live, or of the job it reads: exit non-zero
        raise CommandError(f"{refused.detail_zh} / {refused.detail_en}") from None
    if wait is None:
        command.stdout.write(json.dumps(_summary(JobRun.objects.get(pk=run.pk)), default=str))
        return True
    finished = job_wait(run.pk, wait)
    command.stdout.write(json.dumps(_summary(finished), default=str))
    if finished.state == JobState.FAILED:
        raise CommandError(f"job #{finished.pk} ({name}) failed: {finished.error}")
    if finished.state != JobState.DONE:
        raise CommandError(
            f"job #{finished.pk} ({name}) not done within {wait:g} s: {finished.chunks_done} of "
            f"{finished.chunks_total} chunks done; it goes on in the background (the page "
            f"/jobs/, or GET /api/v1/jobs/{finished.pk})"
        )
    return True
