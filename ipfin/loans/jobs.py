"""The daily classification as a background job, cut into chunks of loan ids (each chunk
idempotent: a loan already classified for the day is left as it is). Every chunk classifies as
of the same day: the one the command gave, else the day the run was queued on (a chunk run past
midnight still classifies for the run's day)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ipfin.jobs.domain import id_ranges
from ipfin.jobs.registry import JobSpec, Params, register, run_day
from ipfin.loans.services.servicing import loan_classify, loans_to_classify

_COUNTS = ("checked", "changed", "non_performing")


def _plan(params: Params) -> list[tuple[int, int]]:
    ids = list(loans_to_classify().order_by("pk").values_list("pk", flat=True))
    return id_ranges(ids, settings.IPFIN_JOBS_CHUNK_SIZE)


def _run(params: Params, lo: int, hi: int) -> dict[str, Any]:
    return loan_classify(today=run_day(params, "today"), ids=(lo, hi))


def _finish(params: Params, counts: Mapping[str, Any]) -> dict[str, Any]:
    # No loan to classify plans no chunk: the run still gives its counts, all zero.
    return {name: int(counts.get(name, 0)) for name in _COUNTS}


register(
    JobSpec(name="classify_loans", label=_("贷款五级分类"), run=_run, plan=_plan, finish=_finish)
)
