"""The feedback ledger's reminders as a background job, cut into chunks of ledger row ids (each
chunk idempotent: a row already reminded that day is not reminded again). Every chunk reminds
as of the same day: the one the command gave, else the day the run was queued on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ipfin.accounts.permissions import Perm
from ipfin.financing.exchange import DEMANDS_EXPORT_JOB, demands_interchange_file
from ipfin.financing.services import ledger_remind, ledger_rows_due
from ipfin.jobs.domain import id_ranges
from ipfin.jobs.registry import JobSpec, Params, refused_reason, register, run_day
from ipfin.jobs.services import period_export


def _plan(params: Params) -> list[tuple[int, int]]:
    rows = ledger_rows_due(today=run_day(params, "today")).order_by("pk")
    return id_ranges(list(rows.values_list("pk", flat=True)), settings.IPFIN_JOBS_CHUNK_SIZE)


def _run(params: Params, lo: int, hi: int) -> dict[str, Any]:
    return {"reminders_sent": ledger_remind(today=run_day(params, "today"), ids=(lo, hi))}


def _finish(params: Params, counts: Mapping[str, Any]) -> dict[str, Any]:
    # A day with nothing due plans no chunk: the run still says how many were sent.
    return {"reminders_sent": int(counts.get("reminders_sent", 0))}


register(
    JobSpec(name="remind_ledger", label=_("需求反馈台账催办"), run=_run, plan=_plan, finish=_finish)
)


register(
    JobSpec(
        name=DEMANDS_EXPORT_JOB,
        label=_("融资需求数据导出（信易贷交换格式）"),
        run=period_export(demands_interchange_file),
        failure=refused_reason,
        on_request=True,
        permission=Perm.DATA_EXCHANGE,
        page="portal:exchange",
    )
)
