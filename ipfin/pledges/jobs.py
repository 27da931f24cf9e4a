"""Lapsing the applications left unconfirmed, as a background job (one chunk); the national
platform's export of the registrations, as a run on request."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from ipfin.accounts.permissions import Perm
from ipfin.jobs.registry import JobSpec, Params, refused_reason, register, run_day
from ipfin.jobs.services import period_export
from ipfin.pledges.exchange import PLEDGE_EXPORT_JOB, pledge_registrations_file
from ipfin.pledges.services import pledge_changes_lapse_unconfirmed, pledges_lapse_unconfirmed


def _run(params: Params, lo: int, hi: int) -> dict[str, Any]:
    day = run_day(params, "today")  # the day queued for, not the day a worker reaches it
    return {
        "applications_lapsed": pledges_lapse_unconfirmed(on=day),
        "changes_lapsed": pledge_changes_lapse_unconfirmed(on=day),
    }


register(JobSpec(name="lapse_pledge_applications", label=_("逾期未确认申请失效处理"), run=_run))


register(
    JobSpec(
        name=PLEDGE_EXPORT_JOB,
        label=_("质押登记数据导出（全国知识产权质押信息平台格式）"),
        run=period_export(pledge_registrations_file),
        failure=refused_reason,
        on_request=True,
        permission=Perm.DATA_EXCHANGE,
        page="portal:exchange",
    )
)
