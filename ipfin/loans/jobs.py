"""The daily classification as a background job, cut into chunks of loan ids (each chunk
idempotent: a loan already classified for the day is left as it is)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ipfin.jobs.domain import id_ranges
from ipfin.jobs.registry import JobSpec, Params, day_param, register
from ipfin.loans.services.servicing import loan_classify, loans_to_classify


def _plan(params: Params) -> list[tuple[int, int]]:
    ids = list(loans_to_classify().order_by("pk").values_list("pk", flat=True))
    return id_ranges(ids, settings.IPFIN_JOBS_CHUNK_SIZE)


def _run(params: Params, lo: int, hi: int) -> dict[str, Any]:
    return loan_classify(today=day_param(params, "today"), ids=(lo, hi))


register(JobSpec(name="classify_loans", label=_("贷款五级分类"), run=_run, plan=_plan))
