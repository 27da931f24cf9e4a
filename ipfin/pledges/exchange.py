"""The pledge registrations in the fields of the national IP pledge information platform
(全国知识产权质押信息平台), for the IP office to send on: one row per pledged right of each
registration that took effect or was released in the period, and of each change registration
(变更登记: the secured debt, the term) that took effect in it (one query for the rows, one for
the changes).

A change overwrites the pledge's terms from its day, so each row's debt and term are those in
force at the row's event, rebuilt from the changes' own before and after: the registration's
row shows the terms registered (not those of a later change, even one after the period), a
change's row the terms it made, a release's row the terms released. A row shows the pledge as
it stood at its event: the registration's row of a pledge released after the period reads
已登记, without the release (the release's period has that row). The file is in Chinese
whatever language the request asks for."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import translation

from ipfin.accounts.models import User
from ipfin.accounts.permissions import Actor, Perm, require
from ipfin.common.exchange import CSV_CONTENT_TYPE, csv_bytes, exchange_period
from ipfin.common.money import money_str
from ipfin.jobs.models import JobRun
from ipfin.jobs.registry import ExportFile
from ipfin.jobs.services import job_request_export
from ipfin.pledges.domain import ChangeState
from ipfin.pledges.models import (
    PledgeChange,
    PledgeItem,
    PledgeStateChoices,
    ReleaseBasisChoices,
)
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
    "变更生效日",
)
CHANGE_STATUS = "变更登记"
_TERMS = ("debt_amount", "term_end")


def pledge_registrations(*, actor: Actor, start: date, end: date) -> list[list[Any]]:
    """The rows of the registrations effective or released from `start` to `end` (inclusive)
    and of the change registrations effective in it, by registration number, then the row's
    event (the registration or release first, then the changes by day), then right number."""
    require(actor, Perm.DATA_EXCHANGE)
    # The platform's file is in Chinese whoever asks for it (labels are translated per request).
    with translation.override(settings.LANGUAGE_CODE):
        states = {value: str(label) for value, label in PledgeStateChoices.choices}
        bases = {value: str(label) for value, label in ReleaseBasisChoices.choices}
    changed_in = PledgeChange.objects.filter(
        state=ChangeState.APPROVED, effective_date__range=(start, end)
    ).values("pledge_id")
    in_period = (
        Q(pledge__effective_date__range=(start, end))
        | Q(pledge__released_on__range=(start, end))
        | Q(pledge_id__in=changed_in)
    )
    # Every change of every pledge with a row, wherever the change falls: a registration of the
    # period changed after it shows the terms registered, which only the change's `before` has.
    changes = list(
        PledgeChange.objects.filter(
            state=ChangeState.APPROVED,
            pledge__in=PledgeItem.objects.filter(in_period).values("pledge_id"),
        )
        .order_by("pledge_id", "effective_date", "pk")
        .values_list("pledge_id", "effective_date", "before", "after")
    )
    items = (
        PledgeItem.objects.filter(
            pledge__registration_no__isnull=False,
            pledge__state__in=[PledgeStateChoices.REGISTERED, PledgeStateChoices.RELEASED],
        )
        .filter(in_period)
        .order_by("pledge__registration_no", "right__number")
        .values_list(
            "pledge_id",
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
    history: dict[int, list[tuple[date, dict[str, Any], dict[str, Any]]]] = {}
    for pledge_id, on, before, after in changes:
        history.setdefault(pledge_id, []).append((on, before, after))
    out: list[tuple[tuple[Any, ...], list[Any]]] = []
    for (
        pledge_id,
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
    ) in items:
        party = [pledgor, pledgor_uscc, pledgee, pledgee_uscc, KIND_ZH.get(kind, kind)]
        right = [number, title]
        steps = history.get(pledge_id, [])
        final = {"debt_amount": debt, "term_end": term_end}
        terms = _registered_terms(final, steps)
        released_in = released is not None and start <= released <= end
        if released_in:
            # The release's row (the registration's too, when both fall in the period).
            status, shown = states.get(state, state), final
            release = [released, bases.get(basis, "") if basis else ""]
        else:
            # The registration's row as it stood then: a release after the period is not yet.
            status, shown = states[PledgeStateChoices.REGISTERED], terms
            release = [None, ""]
        if released_in or start <= effective <= end:
            out.append(
                (
                    (reg_no, 0, effective, number),
                    [
                        reg_no, effective, status, *party, *right,
                        money_str(Decimal(str(shown["debt_amount"]))), term_start,
                        _day(shown["term_end"]), *release, None,
                    ],
                )
            )  # fmt: skip
        for on, _before, after in steps:
            terms = {**terms, **{k: after[k] for k in _TERMS if k in after}}
            if start <= on <= end:
                out.append(
                    (
                        (reg_no, 1, on, number),
                        [
                            reg_no, effective, CHANGE_STATUS, *party, *right,
                            money_str(Decimal(str(terms["debt_amount"]))), term_start,
                            _day(terms["term_end"]), None, "", on,
                        ],
                    )
                )  # fmt: skip
    out.sort(key=lambda row: row[0])
    return [row for _key, row in out]


def _registered_terms(
    current: dict[str, Any], steps: list[tuple[date, dict[str, Any], dict[str, Any]]]
) -> dict[str, Any]:
    """The debt and term end registered before any change: each one's value before the first
    change of it, else its value now."""
    terms = dict(current)
    for field in _TERMS:
        first = next((before for _on, before, after in steps if field in after), None)
        if first is not None and field in first:
            terms[field] = first[field]
    return terms


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


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
