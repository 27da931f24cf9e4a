"""Writing the audit trail. Called by every service that changes something that matters."""

from __future__ import annotations

from typing import Any

from django.db import models

from ipfin.accounts.models import User
from ipfin.audit.models import AuditRecord


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRecord:
    user = actor if actor is not None and actor.is_authenticated else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
    return AuditRecord.objects.create(
        actor=user,
        actor_username=user.get_username() if user is not None else "system",
        organisation_id=user.organisation_id if user is not None else None,
        action=action,
        object_type=object_type or "",
        object_id=str(object_id or ""),
        before=before,
        after=after,
    )
