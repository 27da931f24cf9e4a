"""REST adapter of the change feed: parse → one service / selector → serialise.

- GET /events?after=ID&limit=N: the caller's events in the feed's order (banks, the IP office).
- POST /webhooks: subscribe (answers the secret once); GET /webhooks: the caller's.
- DELETE /webhooks/{webhook_id}; POST /webhooks/{webhook_id}/rotate: a new secret.
- GET /webhooks/{webhook_id}/deliveries: the delivery log; POST …/replay: send again.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from ipfin.accounts.auth import ApiAuth
from ipfin.accounts.idempotency import shown_once
from ipfin.feed import selectors, services
from ipfin.feed.domain import in_grace
from ipfin.feed.models import Delivery, Webhook
from ipfin.feed.schemas import (
    DeliveryOut,
    FeedPageOut,
    WebhookIn,
    WebhookOut,
    WebhookReplayIn,
    WebhookReplayOut,
    WebhookSecretOut,
)

router = Router(auth=ApiAuth())
PAGE_LIMIT = 1000
LOG_LIMIT = 500


def _webhook(hook: Webhook, secret: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": hook.pk,
        "url": hook.url,
        "events": hook.events,
        "created_at": hook.created_at,
        # The last replaced secret still signing is the one whose grace ends last.
        "previous_secret_until": next(
            (r.until for r in in_grace(hook.retired(), timezone.now())), None
        ),
        "sees_all": hook.sees_all,
    }
    if secret is not None:
        out["secret"] = secret
    return out


def _delivery(d: Delivery) -> dict[str, Any]:
    return {
        "event_id": d.event.position,
        "event_type": d.event.type,
        "state": d.state,
        "attempts": d.attempts,
        "replays": d.replays,
        "next_try_at": d.next_try_at if d.state == "pending" else None,
        "delivered_at": d.delivered_at,
        "tries_total": d.tries_total,
        "tries": [
            {
                "at": t.at,
                "status_code": t.status_code,
                "error": t.error,
                "duration_ms": t.duration_ms,
            }
            for t in reversed(d.latest_tries)  # in the order they were made
        ],
    }


@router.get("/events", response=FeedPageOut)
def event_feed(
    request: HttpRequest,
    after: int = Query(0, ge=0, le=2**63 - 1),
    limit: int = Query(100, ge=1, le=PAGE_LIMIT),
) -> dict[str, Any]:
    """The events about the caller's pledges, the rights it holds a pledge on and its loans (the
    IP office: every event), placed after `after`, oldest first. For systems that cannot receive
    webhooks: poll with `after` = the previous page's `next`."""
    rows = selectors.events_after(actor=request.user, after=after, limit=limit)
    items = [
        {"id": e.position, "type": e.type, "occurred_at": e.occurred_at, "data": e.data}
        for e in rows
    ]
    return {"items": items, "next": items[-1]["id"] if items else after}


@router.post("/webhooks", response={201: WebhookSecretOut})
def webhook_create(request: HttpRequest, payload: WebhookIn) -> Status[dict[str, Any]]:
    """Subscribe an https address to event types: answers the signing secret, this once
    (422 `webhook_url_invalid`, `webhook_url_not_public`; 409 `webhook_limit`)."""
    hook, secret = services.webhook_create(
        actor=request.user, url=payload.url, events=list(payload.events)
    )
    shown_once(request)
    return Status(201, _webhook(hook, secret))


@router.get("/webhooks", response=list[WebhookOut])
def webhook_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's organisation's webhooks (never their secrets)."""
    return [_webhook(h) for h in selectors.webhook_list(actor=request.user)]


@router.post("/webhooks/{int:webhook_id}/rotate", response=WebhookSecretOut)
def webhook_rotate(request: HttpRequest, webhook_id: int) -> dict[str, Any]:
    """A new secret, shown this once; the one it replaces still signs beside it for 24 hours (as
    does each one replaced within the last 24 hours; 409 `rotation_limit` past four of them)."""
    hook = selectors.webhook_get(actor=request.user, webhook_id=webhook_id)
    hook, secret = services.webhook_rotate(actor=request.user, hook=hook)
    shown_once(request)
    return _webhook(hook, secret)


@router.delete("/webhooks/{int:webhook_id}", response={204: None})
def webhook_delete(request: HttpRequest, webhook_id: int) -> Status[None]:
    """Stop the deliveries; the delivery log stays readable."""
    hook = selectors.webhook_get(actor=request.user, webhook_id=webhook_id)
    services.webhook_delete(actor=request.user, hook=hook)
    return Status(204, None)


@router.get("/webhooks/{int:webhook_id}/deliveries", response=list[DeliveryOut])
def webhook_deliveries(
    request: HttpRequest,
    webhook_id: int,
    state: str | None = Query(None, pattern="^(pending|delivered|failed)$"),
    limit: int = Query(100, ge=1, le=LOG_LIMIT),
) -> list[dict[str, Any]]:
    """The delivery log, the latest events first: each delivery's state, how many tries it had
    and its last 20 (the receiver's status code or why it got none, how long it took)."""
    rows = selectors.delivery_log(
        actor=request.user, webhook_id=webhook_id, state=state, limit=limit
    )
    return [_delivery(d) for d in rows]


@router.post("/webhooks/{int:webhook_id}/replay", response=WebhookReplayOut)
def webhook_replay(request: HttpRequest, webhook_id: int, payload: WebhookReplayIn) -> Any:
    """Send again the events placed after `after` (at most 10,000; replay from `through` for
    more), delivered or not, in order."""
    hook = selectors.webhook_get(actor=request.user, webhook_id=webhook_id)
    return services.webhook_replay(actor=request.user, hook=hook, after=payload.after)
