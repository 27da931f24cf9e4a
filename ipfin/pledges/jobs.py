"""Lapsing the applications left unconfirmed, as a background job (one chunk)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from ipfin.jobs.registry import JobSpec, Params, day_param, register
from ipfin.pledges.services import pledge_changes_lapse_unconfirmed, pledges_lapse_unconfirmed


def _run(params: Params, lo: int, hi: int) -> dict[str, Any]:
    day = day_param(params, "today")
    return {
        "applications_lapsed": pledges_lapse_unconfirmed(on=day),
        "changes_lapsed": pledge_changes_lapse_unconfirmed(on=day),
    }


register(JobSpec(name="lapse_pledge_applications", label=_("逾期未确认申请失效处理"), run=_run))
