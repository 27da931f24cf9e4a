"""Helpers shared by the loan and subsidy services: input parsing, transitions, notifications."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import models
from django.utils import timezone

from ipfin.accounts.models import Organisation, OrganisationKind
from ipfin.accounts.services import notify
from ipfin.common.errors import Conflict
from ipfin.loans.domain.status import IllegalTransition, LoanAction, LoanState, next_state


def today_or(today: date | None) -> date:
    return today if today is not None else timezone.localdate()


def transition(state: str | None, action: LoanAction) -> LoanState:
    try:
        return next_state(state, action)
    except IllegalTransition as exc:
        raise Conflict(
            exc.message_zh,
            exc.message_en,
            code=exc.code.value,
            extra={"state": state, "action": action.value},
        ) from exc


def office_ids() -> list[int]:
    return list(
        Organisation.objects.filter(kind=OrganisationKind.IP_OFFICE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def notify_orgs(
    org_ids: Iterable[int | None], obj: models.Model, verb: str, zh: str, en: str
) -> None:
    for org_id in dict.fromkeys(org_ids):
        if org_id is not None:
            notify(organisation_id=org_id, verb=verb, message_zh=zh, message_en=en, obj=obj)
