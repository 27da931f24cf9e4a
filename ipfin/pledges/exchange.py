"""The pledge registrations in the fields of the national IP pledge information platform
(全国知识产权质押信息平台), for the IP office to send on: one row per pledged right of each
registration that took effect or was released in the period (set-based: one query)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q

from ipfin.accounts.models import User
from ipfin.accounts.permissions import Actor, Perm, require
from ipfin.common.exchange import CSV_CONTENT_TYPE, csv_bytes, exchange_period
from ipfin.common.money import money_str
from ipfin.jobs.models import JobRun
from ipfin.jobs.registry import ExportFile
from ipfin.jobs.services import job_request_export
from ipfin.pledges.models import PledgeItem, PledgeStateChoices, ReleaseBasisChoices
from ipfin.registry.domain import KIND_ZH

# The platform's column names, in its order.
NATIONAL_PLEDGE_FIELDS = (
    "质押登记号",
    "登记生效日",
    "登记状态",
    "出质人名称",
    "出质人统一社会信用代码",
    "质权人名称",
    "质权人统一社会信用代码",
    "知识产权类型",
    "专利号/注册号",
    "知识产权名称",
    "担保债权数额（元）",
    "债务履行期限起",
    "债务履行期限止",
    "注销日期",
    "注销原因",
)


def pledge_registrations(*, actor: Actor, start: date, end: date) -> list[list[Any]]:
    """The rows of the registrations effective or released from `start` to `end` (inclusive),
    by registration number then right number."""
    require(actor, Perm.DATA_EXCHANGE)
    states = dict(PledgeStateChoices.choices)
    bases = dict(ReleaseBasisChoices.choices)
    rows = (
        PledgeItem.objects.filter(
            pledge__registration_no__isnull=False,
            pledge__state__in=[PledgeStateChoices.REGISTERED, PledgeStateChoices.RELEASED],
        )
        .filter(
            Q(pledge__effective_date__range=(start, end))
            | Q(pledge__released_on__range=(start, end))
        )
        .order_by("pledge__registration_no", "right__number")
        .values_list(
            "pledge__registration_no",
            "pledge__effective_date",
            "pledge__state",
            "pledge__pledgor__name",
            "pledge__pledgor__uscc",
            "pledge__pledgee__name",
            "pledge__pledgee__uscc",
            "right__kind",
            "right__number",
            "right__title",
            "pledge__debt_amount",
            "pledge__term_start",
            "pledge__term_end",
            "pledge__released_on",
            "pledge__release_basis",
        )
    )
    return [
        [
            reg_no,
            effective,
            str(states.get(state, state)),
            pledgor,
            pledgor_uscc,
            pledgee,
            pledgee_uscc,
            KIND_ZH.get(kind, kind),
            number,
            title,
            money_str(debt),
            term_start,
            term_end,
            released,
            str(bases.get(basis, "")) if basis else "",
        ]
        for (
            reg_no,
            effective,
            state,
            pledgor,
            pledgor_uscc,
            pledgee,
            pledgee_uscc,
            kind,
            number,
            title,
            debt,
            term_start,
            term_end,
            released,
            basis,
        ) in rows
    ]


# The background job that builds the file (ipfin.pledges.jobs), for a period too long to wait for.
PLEDGE_EXPORT_JOB = "pledge_registrations_export"


def pledge_registrations_file(*, actor: Actor, start: date, end: date) -> ExportFile:
    """The registrations of the period (at most 366 days: else 422 `period_invalid`) as the
    platform's CSV (UTF-8 with BOM, every text cell inert in a spreadsheet)."""
    first, last = exchange_period(start, end)
    rows = pledge_registrations(actor=actor, start=first, end=last)
    return ExportFile(
        name=f"ipfin-pledge-registrations-{first}-{last}.csv",
        content_type=CSV_CONTENT_TYPE,
        data=csv_bytes(NATIONAL_PLEDGE_FIELDS, rows),
        rows=len(rows),
    )


def pledge_registrations_export_request(*, actor: User, start: date, end: date) -> JobRun:
    """pledge_registrations_file as a background run (the period checked now: 422, nothing
    queued); its file is downloaded from the run once it is done. One export of the
    organisation's at a time (409 `job_running`)."""
    require(actor, Perm.DATA_EXCHANGE)
    return job_request_export(actor=actor, name=PLEDGE_EXPORT_JOB, start=start, end=end)
