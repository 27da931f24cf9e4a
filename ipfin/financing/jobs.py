"""The feedback ledger's reminders as a background job (one chunk)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from ipfin.financing.services import ledger_remind
from ipfin.jobs.registry import JobSpec, Params, register


def _run(params: Params, lo: int, hi: int) -> dict[str, Any]:
    raw = params.get("today")
    return {"reminders_sent": ledger_remind(today=date.fromisoformat(raw) if raw else None)}


register(JobSpec(name="remind_ledger", label=_("需求反馈台账催办"), run=_run))
