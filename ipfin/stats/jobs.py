"""The quarter-end snapshots as a background job (one chunk); the monitoring report built as a
run on request."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from ipfin.accounts.permissions import Perm
from ipfin.jobs.registry import JobSpec, Params, day_param, refused_reason, register, run_day
from ipfin.jobs.services import run_export
from ipfin.stats.reports import REPORT_EXPORT_JOB, monitoring_report_file, report_run_readable
from ipfin.stats.services import positions_snapshot_take, positions_snapshots_refresh


def _run(params: Params, lo: int, hi: int) -> dict[str, Any]:
    as_of = day_param(params, "as_of")
    today = run_day(params, "today")  # the day queued for, not the day a worker reaches it
    taken = (
        [positions_snapshot_take(as_of=as_of, today=today)]
        if as_of is not None
        else positions_snapshots_refresh(today=today)
    )
    return {"snapshots_taken": len(taken), "as_of": [s.as_of.isoformat() for s in taken]}


register(
    JobSpec(
        name="snapshot_positions", label=_("季末贷款余额快照"), run=_run, after=("classify_loans",)
    )
)


def _report(params: Params, lo: int, hi: int) -> dict[str, Any]:
    return run_export(
        params,
        lambda actor: monitoring_report_file(
            actor=actor,
            period=str(params["period"]),
            fmt=str(params["format"]),
            requested_scope=str(params["stats_scope"]),
        ),
    )


register(
    JobSpec(
        name=REPORT_EXPORT_JOB,
        label=_("季度监测报告生成"),
        run=_report,
        failure=refused_reason,
        on_request=True,
        page="stats:dashboard",
        # Built over the requester's own scope: theirs alone to read.
        permission=(Perm.STATS_READ, Perm.STATS_OWN),
        colleagues=False,
        may_read=report_run_readable,
    )
)
