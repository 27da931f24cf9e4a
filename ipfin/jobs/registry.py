"""The jobs the platform runs in the background, each registered by its own app (its `jobs`
module, found at first use): a name, the function that does one chunk's work, and, for a job cut
into chunks, the function that plans them. Below every app that registers one: the apps call
down into it, it never imports them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.module_loading import autodiscover_modules

from ipfin.accounts.permissions import Perm
from ipfin.common.errors import DomainError

Params = Mapping[str, Any]


# Keys the jobs' functions find in `params` besides what the command sent: the run's id, and the
# day (local) it was queued on, one day for all its chunks even when they run past midnight.
RUN_KEY = "job_run"
QUEUED_ON_KEY = "job_queued_on"


def day_param(params: Params, name: str) -> date | None:
    """The day a run is for, as its command sent it (ISO text: ipfin.common.commands.iso_or_none);
    None: today, as the job's service takes it."""
    raw = params.get(name)
    return date.fromisoformat(raw) if raw else None


def run_day(params: Params, name: str) -> date:
    """The day a chunked run is for: as its command sent it, else the day it was queued on."""
    return day_param(params, name) or date.fromisoformat(params[QUEUED_ON_KEY])


@dataclass(frozen=True)
class JobSpec:
    name: str
    label: Any  # what the job does, in words (a lazy translation): the page shows no name
    # One chunk's work over the ids [lo, hi] (WHOLE for an unchunked job): its counts (JSON).
    # Runs inside the chunk's transaction: it must not commit on its own.
    run: Callable[[Params, int, int], Mapping[str, Any]]
    # The chunks' id ranges (ipfin.jobs.domain.id_ranges); None: one chunk, the whole set.
    plan: Callable[[Params], list[tuple[int, int]]] | None = None
    # Why a finished run counts as failed (e.g. the audit chain found broken), or None.
    failure: Callable[[Mapping[str, Any]], str | None] | None = None
    # The run's last step once every chunk is done (the scoring of what the chunks read): given
    # the params and the chunks' combined counts, answers counts to add. Runs in the finishing
    # transaction; an error leaves the run to be finished again on the task's retry.
    finish: Callable[[Params, Mapping[str, Any]], Mapping[str, Any]] | None = None
    # A long request run in the background (a credit data import): launched with its file by
    # ipfin.jobs.services.job_request_run, never from the daily jobs' page or schedule.
    on_request: bool = False
    # For a job run on request: the page it is requested on (a URL name), linked from its run's,
    # and the page of what a finished run made: (URL name, the result's key of its argument).
    page: str | None = None
    result_page: tuple[str, str] | None = None
    # For a job run on request: the permission its request needs (any of several). The
    # requester's colleagues who hold it read the run too (one run per organisation at a time:
    # the one that keeps them waiting is theirs to follow), unless `colleagues` is False (a
    # report whose scope is the requester's own permissions).
    permission: Perm | tuple[Perm, ...] | None = None
    colleagues: bool = True
    # A further test of who may read a run (a report: the reader's scope still the one it was
    # built over), after the permission's; None: none.
    may_read: Callable[[Any, Any], bool] | None = None
    # The daily jobs whose output this one reads (the risk scan reads the day's classification):
    # on the workers a run of it is not begun while a run of one of them is live; it stays queued
    # and looks again every IPFIN_JOBS_AFTER_WAIT seconds (ipfin.jobs.tasks.job_plan). Beat's
    # clock alone does not order them: a classification of the whole country can outrun the hour
    # between the two.
    after: tuple[str, ...] = ()


_JOBS: dict[str, JobSpec] = {}
_discovered = False


def register(spec: JobSpec) -> JobSpec:
    _JOBS[spec.name] = spec
    return spec


def _discover() -> None:
    global _discovered
    if not _discovered:
        autodiscover_modules("jobs")
        _discovered = True


def job_spec(name: str) -> JobSpec:
    """The job registered under `name`; KeyError for an unknown one."""
    _discover()
    return _JOBS[name]


def job_names() -> list[str]:
    """The daily jobs (those run on request with a file are not among them)."""
    _discover()
    return sorted(name for name, spec in _JOBS.items() if not spec.on_request)


@dataclass(frozen=True)
class ExportFile:
    """What an export run on request makes (ipfin.jobs.services.run_export)."""

    name: str  # the file's name when downloaded
    content_type: str
    data: bytes
    rows: int | None  # the rows it holds; None for a report


def refusal(exc: DomainError) -> dict[str, Any]:
    """A run on request refused for what its file holds (its problems, a file imported before):
    the run's result, with what the direct request would have answered; the same file would be
    refused again, so this is the outcome, not an error to retry."""
    return {
        "refused": {
            "code": exc.code,
            "message_zh": exc.detail_zh,
            "message_en": exc.detail_en,
            **exc.extra,
        }
    }


def refused_reason(result: Mapping[str, Any]) -> str | None:
    """JobSpec.failure of a job run on request: a refused run is failed, with the refusal."""
    refused = result.get("refused")
    return str(refused.get("message_en")) if isinstance(refused, dict) else None
