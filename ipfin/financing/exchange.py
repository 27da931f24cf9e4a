"""Enterprise financing demands in an interchange file for the credit-information platforms
(信易贷-style: the demands an enterprise filed for credit, with what backs them and where they
stand), for the IP office to send on. Set-based: one query for the demands, one for their
rights."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.conf import settings
from django.utils import timezone, translation

from ipfin.accounts.models import User
from ipfin.accounts.permissions import Actor, Perm, require
from ipfin.common.exchange import exchange_period
from ipfin.common.money import money_str
from ipfin.financing.models import Demand, DemandState
from ipfin.jobs.models import JobRun
from ipfin.jobs.registry import ExportFile
from ipfin.jobs.services import job_request_export

INTERCHANGE_FORMAT = "ipfin-financing-demands"
INTERCHANGE_VERSION = 1


def demands_interchange(*, actor: Actor, start: date, end: date) -> dict[str, Any]:
    """The demands filed from `start` to `end` (inclusive, the platform's time zone)."""
    require(actor, Perm.DATA_EXCHANGE)
    zone = timezone.get_default_timezone()
    rows = list(
        Demand.objects.filter(created_at__date__gte=start, created_at__date__lte=end)
        .order_by("pk")
        .values(
            "pk",
            "enterprise__name",
            "enterprise__uscc",
            "amount",
            "term_months",
            "purpose",
            "state",
            "created_at",
            "financed_loan_id",
        )
    )
    rights: dict[int, list[str]] = defaultdict(list)
    for demand_id, number in (
        Demand.rights.through.objects.filter(demand_id__in=[r["pk"] for r in rows])
        .order_by("demand_id", "right__number")
        .values_list("demand_id", "right__number")
    ):
        rights[demand_id].append(number)
    # The interchange file is in Chinese whoever asks for it (labels are translated per request).
    with translation.override(settings.LANGUAGE_CODE):
        labels = {value: str(label) for value, label in DemandState.choices}
    return {
        "format": INTERCHANGE_FORMAT,
        "version": INTERCHANGE_VERSION,
        "generated_at": timezone.now(),
        "period": {"start": start, "end": end},
        "items": [
            {
                "demand_id": r["pk"],
                "enterprise_name": r["enterprise__name"],
                "uscc": r["enterprise__uscc"],
                "amount": money_str(r["amount"]),
                "currency": "CNY",
                "term_months": r["term_months"],
                "purpose": r["purpose"],
                "collateral": "知识产权质押",
                "rights": rights.get(r["pk"], []),
                "state": r["state"],
                "state_label": labels.get(r["state"], r["state"]),
                "filed_on": timezone.localtime(r["created_at"], zone).date(),
                "financed": r["financed_loan_id"] is not None,
            }
            for r in rows
        ],
    }


# The background job that builds the file (ipfin.financing.jobs), for a period too long to wait
# for.
DEMANDS_EXPORT_JOB = "demands_interchange_export"
JSON_CONTENT_TYPE = "application/json"


def demands_interchange_file(*, actor: Actor, start: date, end: date) -> ExportFile:
    """The interchange file of the period (at most 366 days: else 422 `period_invalid`) as the
    JSON GET /exports/demands.json answers (the same schema)."""
    from ipfin.financing.schemas import DemandInterchangeOut  # the API's own serialisation

    first, last = exchange_period(start, end)
    content = demands_interchange(actor=actor, start=first, end=last)
    return ExportFile(
        name=f"ipfin-financing-demands-{first}-{last}.json",
        content_type=JSON_CONTENT_TYPE,
        data=DemandInterchangeOut.model_validate(content).model_dump_json().encode(),
        rows=len(content["items"]),
    )


def demands_interchange_export_request(*, actor: User, start: date, end: date) -> JobRun:
    """demands_interchange_file as a background run (the period checked now: 422, nothing
    queued); its file is downloaded from the run once it is done. One export of the
    organisation's at a time (409 `job_running`)."""
    require(actor, Perm.DATA_EXCHANGE)
    return job_request_export(actor=actor, name=DEMANDS_EXPORT_JOB, start=start, end=end)
