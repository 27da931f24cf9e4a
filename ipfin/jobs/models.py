"""Background jobs (ipfin.jobs): one run of a daily job or a long request, its chunks and its
progress, whether it ran in-process (no broker: the demo, the default tests) or on Celery workers.

A chunk's work and its `done` mark commit in one transaction: a worker killed in the middle of a
chunk leaves nothing of it, the broker gives the chunk to another worker (late acknowledgement),
and the chunk is done once — the same result as an uninterrupted run."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("运行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


LIVE_STATES = (JobState.QUEUED, JobState.RUNNING)


class JobRun(models.Model):
    name = models.CharField(max_length=64)
    # Whose run it is, for a job run on request with its own file (registry.JobSpec.on_request:
    # a credit data import is its organisation's, "org:<id>"): one live run per job and scope.
    # Empty for the daily jobs: one live run of each.
    scope = models.CharField(max_length=64, blank=True, default="")
    params = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    on_workers = models.BooleanField(default=False)  # sent to a broker (else run in-process)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    # Times the run's last step (JobSpec.finish) was begun: a worker lost in it each time fails
    # the run after MAX_CHUNK_ATTEMPTS, as a chunk's does.
    finish_attempts = models.PositiveIntegerField(default=0)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    # When its last chunk committed (or, queued behind the job it comes after, when a worker
    # last looked: JobSpec.after): the sweep fails a run that has made no progress for
    # STALE_AFTER, not one that is merely long (the register's scoring at national scale) nor
    # one that waits its turn.
    progressed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["name", "-queued_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "scope"],
                condition=models.Q(state__in=["queued", "running"]),
                name="job_one_live_run_per_scope",
            )
        ]
        verbose_name = _("后台任务")


class JobChunk(models.Model):
    run = models.ForeignKey(JobRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    lo = models.BigIntegerField()
    hi = models.BigIntegerField()
    done = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    result = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="job_chunk_once")]


class JobFileRole(models.TextChoices):
    INPUT = "input", _("上传的文件")
    OUTPUT = "output", _("生成的文件")


class JobFile(models.Model):
    """The file a run on request works on (the upload) or makes (an export), kept in the
    database with its run: any worker reads it, the requester downloads it, whichever machine
    either is on; a file is at most a few megabytes (each import's own limit)."""

    run = models.ForeignKey(JobRun, on_delete=models.CASCADE, related_name="files")
    role = models.CharField(max_length=16, choices=JobFileRole.choices)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "role"], name="job_file_per_role")]
