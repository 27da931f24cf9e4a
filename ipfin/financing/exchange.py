"""Enterprise financing demands in an interchange file for the credit-information platforms
(信易贷-style: the demands an enterprise filed for credit, with what backs them and where they
stand), for the IP office to send on. Set-based: one query for the demands, one for their
rights."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.utils import timezone

from ipfin.accounts.permissions import Actor, Perm, require
from ipfin.common.money import money_str
from ipfin.financing.models import Demand, DemandState

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
    labels = dict(DemandState.choices)
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
                "state_label": str(labels.get(r["state"], r["state"])),
                "filed_on": timezone.localtime(r["created_at"], zone).date(),
                "financed": r["financed_loan_id"] is not None,
            }
            for r in rows
        ],
    }
