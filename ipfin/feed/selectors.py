"""Reads of the change feed, limited to the actor: a bank reads the events that name it (its
pledges, the rights it holds a pledge on or owns, its loans' alerts and classifications) and its
own webhooks; the IP office reads every event (`Perm.FEED_ALL`)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from ipfin.accounts.permissions import Actor, Perm, require, tenant_scope
from ipfin.common.errors import NotFound
from ipfin.feed.models import Delivery, DeliveryAttempt, Event, Webhook


def events_after(*, actor: Actor, after: int, limit: int) -> list[Event]:
    """The next `limit` events placed after `after`, in the feed's order (the feed's order is
    commit order: a reader never finds, later, an event placed before one it has read)."""
    require(actor, Perm.FEED_READ)
    rows = Event.objects.filter(position__gt=after)
    scope = tenant_scope(actor, "recipients__organisation", view_all=Perm.FEED_ALL)
    if scope is not None:
        rows = rows.filter(scope)
    return list(rows.order_by("position")[:limit])


def webhook_list(*, actor: Actor) -> QuerySet[Webhook]:
    require(actor, Perm.FEED_READ)
    scope = tenant_scope(actor, "organisation")
    assert scope is not None  # no view_all: one's own webhooks only
    return Webhook.objects.filter(scope, deleted_at__isnull=True).order_by("pk")


def webhook_get(*, actor: Actor, webhook_id: int, live_only: bool = True) -> Webhook:
    """One of the caller's organisation's webhooks; 404 for another's (as for a missing one)."""
    require(actor, Perm.FEED_READ)
    scope = tenant_scope(actor, "organisation")
    assert scope is not None
    rows = Webhook.objects.filter(scope, pk=webhook_id)
    if live_only:
        rows = rows.filter(deleted_at__isnull=True)
    hook = rows.first()
    if hook is None:
        raise NotFound("没有该推送订阅。", "No such webhook.", code="webhook_not_found")
    return hook


# The tries shown of each delivery, the latest: replays start the tries afresh each time, so a
# delivery replayed again and again to a failing receiver has no bound on its tries.
TRIES_SHOWN = 20


def delivery_log(*, actor: Actor, webhook_id: int, state: str | None, limit: int) -> list[Delivery]:
    """The webhook's deliveries, the latest events first, each with its last TRIES_SHOWN tries
    (`latest_tries`, newest first) and how many it has had (`tries_total`)."""
    hook = webhook_get(actor=actor, webhook_id=webhook_id, live_only=False)
    rows = Delivery.objects.filter(webhook=hook).select_related("event")
    if state:
        rows = rows.filter(state=state)
    latest = Prefetch(
        "tries",
        queryset=DeliveryAttempt.objects.order_by("-pk")[:TRIES_SHOWN],
        to_attr="latest_tries",
    )
    # Counted per row of the page (a correlated subquery), not over every delivery the webhook
    # ever had before the page is cut (a join and GROUP BY: 170-190 ms at 100,000 deliveries).
    tries = (
        DeliveryAttempt.objects.filter(delivery=OuterRef("pk"))
        .order_by()
        .values("delivery")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        rows.annotate(tries_total=Coalesce(Subquery(tries), 0))
        .order_by("-event__position")
        .prefetch_related(latest)[:limit]
    )


def keys_told(keys: Iterable[str]) -> set[str]:
    """Those of `keys` (ipfin.feed.models.Event.key) already published: for a publisher that
    must know, before it builds an event, whether the feed told it already."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return set()
    return {k for k in Event.objects.filter(key__in=wanted).values_list("key", flat=True) if k}
