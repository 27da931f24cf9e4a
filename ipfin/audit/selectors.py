"""Reads of the audit trail: the office and the regulator (Perm.AUDIT_READ) only."""

from __future__ import annotations

from django.db.models import QuerySet

from ipfin.accounts.permissions import Actor, Perm, require
from ipfin.audit.models import AuditRecord, AuditVerification


def audit_list(
    *,
    actor: Actor,
    object_type: str | None = None,
    object_id: str | None = None,
    action: str | None = None,
) -> QuerySet[AuditRecord]:
    """The trail, newest first, filtered by object and action."""
    require(actor, Perm.AUDIT_READ)
    qs = AuditRecord.objects.select_related("actor", "organisation").order_by("-seq")
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if action:
        qs = qs.filter(action=action)
    return qs


def audit_verification_latest(*, actor: Actor) -> AuditVerification | None:
    """The last walk of the hash chain (`ipfin audit_verify`), or None before the first."""
    require(actor, Perm.AUDIT_READ)
    return AuditVerification.objects.order_by("-at", "-id").first()
