from __future__ import annotations

from django.db.models import QuerySet

from ipfin.accounts.permissions import Actor, Perm, require
from ipfin.audit.models import AuditRecord


def audit_list(
    *, actor: Actor, object_type: str | None = None, object_id: str | None = None
) -> QuerySet[AuditRecord]:
    require(actor, Perm.AUDIT_READ)
    qs = AuditRecord.objects.select_related("actor", "organisation")
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return qs
