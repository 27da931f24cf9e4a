"""The early-warning scan as a background job: one chunk, since the scan closes the alerts it
no longer finds anywhere (a chunk of rights could not tell a cause gone from one elsewhere)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext_lazy as _

from ipfin.jobs.registry import JobSpec, Params, register, run_day
from ipfin.risk.services import risk_scan


def _run(params: Params, lo: int, hi: int) -> dict[str, Any]:
    # The day it was queued for, not the day a worker reaches it (a backlog, a retry past
    # midnight): as every daily job.
    summary = risk_scan(on=run_day(params, "on"))
    result: dict[str, Any] = json.loads(
        json.dumps(dataclasses.asdict(summary), cls=DjangoJSONEncoder)
    )
    return result


register(JobSpec(name="risk_scan", label=_("风险预警扫描"), run=_run, after=("classify_loans",)))
