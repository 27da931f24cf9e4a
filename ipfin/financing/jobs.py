"""The feedback ledger's reminders as a background job (one chunk)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from ipfin.financing.services import ledger_remind
from ipfin.jobs.registry import JobSpec, Params, day_param, register


def _run(params: Params, lo: int, hi: int) -> dict[str, Any]:
    return {"reminders_sent": ledger_remind(today=day_param(params, "today"))}


register(JobSpec(name="remind_ledger", label=_("需求反馈台账催办"), run=_run))
