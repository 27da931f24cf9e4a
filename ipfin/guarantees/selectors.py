"""Reads of guarantees limited to the actor: a bank its own loans' guarantees, a guarantor those
asked of it, the IP office and the regulators (`LOAN_VIEW_ALL`, a regulator while a supervision
case is open) every one; anyone else none."""

from __future__ import annotations

from django.db.models import QuerySet

from ipfin.accounts.permissions import Actor, Perm, require_login, tenant_scope
from ipfin.common.errors import NotFound
from ipfin.guarantees.models import Guarantee

__all__ = ["guarantee_get", "guarantee_list"]


def guarantee_list(*, actor: Actor, state: str | None = None) -> QuerySet[Guarantee]:
    require_login(actor)
    rows = Guarantee.objects.select_related("loan", "bank", "guarantor")
    scope = tenant_scope(actor, "bank_id", "guarantor_id", view_all=Perm.LOAN_VIEW_ALL)
    if scope is not None:
        rows = rows.filter(scope)
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-created_at", "-id")


def guarantee_get(*, actor: Actor, guarantee_id: int) -> Guarantee:
    found = guarantee_list(actor=actor).filter(pk=guarantee_id).first()
    if found is None:
        raise NotFound("未找到该担保。", "No such guarantee.", code="guarantee_not_found")
    return found
