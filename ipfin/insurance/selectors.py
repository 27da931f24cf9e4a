"""Reads of IP insurance limited to the actor: a policy's insurers (lead and co-insurers), its
policyholder and its insured bank see it and its claims; the IP office and the regulators
(`LOAN_VIEW_ALL`, a regulator while a supervision case is open) every one; anyone else none."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ipfin.accounts.permissions import Actor, Perm, require_login, tenant_scope
from ipfin.common.errors import NotFound
from ipfin.insurance.models import InsuranceClaim, Policy

__all__ = ["claim_list", "policy_get", "policy_list"]


def _party(actor: Actor, prefix: str = "") -> Q | None:
    return tenant_scope(
        actor,
        f"{prefix}insurer_id",
        f"{prefix}policyholder_id",
        f"{prefix}beneficiary_id",
        f"{prefix}members__insurer_id",
        view_all=Perm.LOAN_VIEW_ALL,
    )


def policy_list(*, actor: Actor) -> QuerySet[Policy]:
    require_login(actor)
    rows = Policy.objects.select_related("insurer", "policyholder", "beneficiary")
    scope = _party(actor)
    if scope is not None:
        ids = Policy.objects.filter(scope).values("pk")
        rows = rows.filter(pk__in=ids)
    return rows.prefetch_related("members__insurer", "rights").order_by("-created_at", "-id")


def policy_get(*, actor: Actor, policy_id: int) -> Policy:
    found = policy_list(actor=actor).filter(pk=policy_id).first()
    if found is None:
        raise NotFound("未找到该保单。", "No such policy.", code="policy_not_found")
    return found


def claim_list(*, actor: Actor, policy: Policy) -> QuerySet[InsuranceClaim]:
    """The claims of a policy the actor may see (policy_get first)."""
    return InsuranceClaim.objects.filter(policy=policy).order_by("-notified_at", "-id")
