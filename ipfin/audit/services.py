"""Writing the audit trail. Called by every service that changes something that matters."""

from __future__ import annotations

from typing import Any

from django.db import models

from ipfin.audit.models import AuditRecord


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRecord:
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
    return AuditRecord.objects.create(
        actor=actor if authenticated else None,
        actor_username=actor.get_username() if authenticated else "system",
        organisation_id=getattr(actor, "organisation_id", None) if authenticated else None,
        action=action,
        object_type=object_type or "",
        object_id=str(object_id or ""),
        before=before,
        after=after,
    )
