"""The quarter-end snapshots as a background job (one chunk)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from ipfin.jobs.registry import JobSpec, Params, day_param, register
from ipfin.stats.services import positions_snapshots_refresh


def _run(params: Params, lo: int, hi: int) -> dict[str, Any]:
    taken = positions_snapshots_refresh(today=day_param(params, "today"))
    return {"snapshots_taken": len(taken), "as_of": [s.as_of.isoformat() for s in taken]}


register(JobSpec(name="snapshot_positions", label=_("季末贷款余额快照"), run=_run))
