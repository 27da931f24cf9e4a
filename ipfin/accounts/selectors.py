from __future__ import annotations

from django.db.models import Q

from ipfin.accounts.models import Notification, Organisation, OrganisationKind
from ipfin.accounts.permissions import Actor, require_login, tenant_scope


def notification_list(*, actor: Actor, limit: int = 100) -> list[Notification]:
    """The actor's organisation's notifications: those addressed to all members or to the actor."""
    require_login(actor)
    scope = tenant_scope(actor, "organisation_id")
    rows = Notification.objects.filter(scope or Q()).filter(Q(user__isnull=True) | Q(user=actor))
    return list(rows.order_by("-created_at", "-id")[:limit])


def ip_office_ids() -> list[int]:
    """The IP offices' organisations: who is told of what the office must act on."""
    return list(
        Organisation.objects.filter(kind=OrganisationKind.IP_OFFICE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
