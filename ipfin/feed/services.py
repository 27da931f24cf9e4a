"""Writes of the change feed: events published in the transactions of the changes they tell of,
webhooks subscribed, rotated, removed and replayed, and the deliveries tried
(`webhooks_deliver`, run every minute by `ipfin deliver_webhooks`).

Delivery is at least once: an event is sent until its receiver answers 2xx or 24 hours have
passed since the first try, waiting longer after each failure (ipfin.feed.domain.next_try); a
receiver that answered 2xx but whose answer was lost gets the event again, and de-duplicates by
its id (`X-Ipfin-Event-Id`)."""

from __future__ import annotations

import json
import logging
import secrets
import socket
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from ipfin.accounts.models import Organisation, User
from ipfin.accounts.permissions import Perm, acting_organisation, has_perm, require
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, ValidationFailed, invalid
from ipfin.feed.domain import (
    EVENT_TYPES,
    MAX_RETIRED_SECRETS,
    EventType,
    TooManyRotations,
    UrlProblem,
    address_public,
    next_try,
    retire,
    secrets_in_force,
    signature_header,
    url_as_sent,
    url_problem,
)
from ipfin.feed.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    Event,
    EventRecipient,
    FeedHead,
    Webhook,
)
from ipfin.feed.selectors import keys_told
from ipfin.feed.sending import Outcome, post

log = logging.getLogger(__name__)

# What one organisation may subscribe, and what one replay re-sends: bounds on the work one
# caller can make the deliverer do.
WEBHOOK_LIMIT = 10
REPLAY_LIMIT = 10_000
FAN_OUT_BATCH = 5_000
URL_MAX_LENGTH = 500


# --- publishing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """One event to publish: its type, its data (JSON), the organisations it is about."""

    type: EventType
    data: Mapping[str, Any]
    recipients: Iterable[int | None]
    # Set for an event that could be published twice (ipfin.feed.models.Event.key).
    key: str | None = None


def _locked_head() -> FeedHead:
    head = FeedHead.objects.select_for_update().filter(pk=1).first()
    if head is None:  # an emptied database (the migration creates the row)
        FeedHead.objects.get_or_create(pk=1, defaults={"position": 0})
        head = FeedHead.objects.select_for_update().get(pk=1)
    return head


@transaction.atomic
def events_publish(occurrences: Sequence[Occurrence]) -> int:
    """Publish events in the caller's transaction (a rollback takes them back), placed in the
    feed after every event already committed: the feed's head row stays locked until the caller
    commits. Set-based: one insert of the events, one of their recipients, whatever their
    number. Returns how many were published."""
    if not occurrences:
        return 0
    head = _locked_head()
    # Under the head's lock every event published before is committed and visible: an event
    # whose key is among them is not published again.
    keys = [o.key for o in occurrences if o.key is not None]
    if keys:
        told = keys_told(keys)
        occurrences = [o for o in occurrences if o.key is None or o.key not in told]
        if not occurrences:
            return 0
    now = timezone.now()
    events = Event.objects.bulk_create(
        [
            Event(
                position=head.position + i,
                type=occurrence.type.value,
                occurred_at=now,
                data=json.loads(json.dumps(dict(occurrence.data), cls=DjangoJSONEncoder)),
                key=occurrence.key,
            )
            for i, occurrence in enumerate(occurrences, start=1)
        ],
        batch_size=2000,
    )
    recipients = [
        EventRecipient(event_id=event.pk, organisation_id=org_id)
        for event, occurrence in zip(events, occurrences, strict=True)
        for org_id in dict.fromkeys(occurrence.recipients)
        if org_id is not None
    ]
    EventRecipient.objects.bulk_create(recipients, batch_size=2000)
    FeedHead.objects.filter(pk=1).update(position=head.position + len(events))
    return len(events)


def event_publish(
    event_type: EventType, data: Mapping[str, Any], recipients: Iterable[int | None]
) -> None:
    """Publish one event (see `events_publish`)."""
    events_publish([Occurrence(event_type, data, recipients)])


# --- webhooks --------------------------------------------------------------------------------


def _new_secret() -> str:
    return secrets.token_hex(32)


def _clean_url(raw: Any) -> str:
    url = (raw if isinstance(raw, str) else "").strip()
    if not url or len(url) > URL_MAX_LENGTH:
        raise invalid(
            "url",
            "webhook_url_invalid",
            f"请填写接收推送的网址（不超过 {URL_MAX_LENGTH} 个字符）。",
            f"Give the address that receives the deliveries (at most {URL_MAX_LENGTH} characters).",
        )
    problem = url_problem(url, allow_http=settings.IPFIN_WEBHOOK_ALLOW_HTTP)
    messages = {
        UrlProblem.NOT_HTTP: ("网址须以 https:// 开头。", "The address must start with https://."),
        UrlProblem.HTTP_NOT_ALLOWED: (
            "推送只发往 https 网址（签名防篡改，传输须加密）。",
            "Deliveries go to https addresses only (the signature does not encrypt).",
        ),
        UrlProblem.NO_HOST: ("网址缺少有效的主机名。", "The address has no valid host name."),
        UrlProblem.CREDENTIALS: (
            "网址中不能包含用户名或密码；请用签名验证来源。",
            "The address may not carry a user name or password: check the signature instead.",
        ),
    }
    if problem is not None:
        zh, en = messages.get(problem, messages[UrlProblem.NO_HOST])
        raise invalid("url", "webhook_url_invalid", zh, en)
    host = urlsplit(url).hostname or ""
    if not _host_name_valid(host):
        zh, en = messages[UrlProblem.NO_HOST]
        raise invalid("url", "webhook_url_invalid", zh, en)
    if not settings.IPFIN_WEBHOOK_ALLOW_PRIVATE and _literal_private(host):
        raise invalid(
            "url",
            "webhook_url_not_public",
            "推送网址须为公网地址，不能指向本机、内网或链路本地地址。",
            "The address must be a public one, not loopback, private or link-local.",
        )
    sent = url_as_sent(url)
    if len(sent) > URL_MAX_LENGTH:
        raise invalid(
            "url",
            "webhook_url_invalid",
            f"网址的路径经百分号编码后超过 {URL_MAX_LENGTH} 个字符。",
            f"The address is longer than {URL_MAX_LENGTH} characters once its path is "
            "percent-encoded.",
        )
    return sent


def _literal_private(host: str) -> bool:
    """A host that is a name everyone knows is local, or an address in any of the spellings the
    resolver takes (127.1, 2130706433, 0x7f000001, [::1]) that is not public."""
    name = host.lower().rstrip(".")
    if name in ("localhost", "localhost.localdomain") or name.endswith(".localhost"):
        return True
    try:
        infos = socket.getaddrinfo(name.strip("[]"), None, flags=socket.AI_NUMERICHOST)
    except (OSError, UnicodeError, ValueError):
        return False  # a name: checked when it is called
    return not all(address_public(str(info[4][0])) for info in infos)


def _host_name_valid(host: str) -> bool:
    """A host the resolver can take (IDNA: no empty or over-long label)."""
    try:
        host.rstrip(".").encode("idna")
    except UnicodeError:
        return False
    return True


def _clean_events(raw: Any) -> list[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(t, str) for t in raw):
        raise invalid(
            "events",
            "webhook_events_invalid",
            "请选择要订阅的事件类型（至少一种）。",
            "Choose at least one event type to subscribe to.",
        )
    unknown = sorted({t for t in raw if t not in EVENT_TYPES})
    if unknown:
        raise ValidationFailed(
            f"未知的事件类型：{'、'.join(unknown)}。可订阅：{'、'.join(EVENT_TYPES)}。",
            f"Unknown event types: {', '.join(unknown)}. Known: {', '.join(EVENT_TYPES)}.",
            code="webhook_events_invalid",
            extra={"field": "events"},
        )
    return [t for t in EVENT_TYPES if t in set(raw)]


def _snapshot(hook: Webhook) -> dict[str, Any]:
    return {"url": hook.url, "events": hook.events, "organisation": hook.organisation_id}


def webhook_create(*, actor: User, url: Any, events: Any) -> tuple[Webhook, str]:
    """Subscribe the actor's organisation to events at `url`: answers the webhook and its secret,
    which is shown this once. At most WEBHOOK_LIMIT live webhooks per organisation (409
    `webhook_limit`; concurrent subscriptions queue on the organisation's row, so the limit holds
    under a race)."""
    require(actor, Perm.FEED_READ)
    org = acting_organisation(actor)
    clean_url = _clean_url(url)
    clean_events = _clean_events(events)
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=org.pk).first()
        live = Webhook.objects.filter(organisation=org, deleted_at__isnull=True).count()
        if live >= WEBHOOK_LIMIT:
            raise Conflict(
                f"每个机构最多订阅 {WEBHOOK_LIMIT} 个推送网址；请先删除不用的订阅。",
                f"An organisation may hold at most {WEBHOOK_LIMIT} webhooks: delete one first.",
                code="webhook_limit",
            )
        head = FeedHead.objects.filter(pk=1).values_list("position", flat=True).first() or 0
        secret = _new_secret()
        hook = Webhook.objects.create(
            organisation=org,
            url=clean_url,
            events=clean_events,
            secret=secret,
            cursor=head,
            sees_all=has_perm(actor, Perm.FEED_ALL),
            created_by=actor,
        )
        audit_record(actor=actor, action="feed.webhook_create", obj=hook, after=_snapshot(hook))
    return hook, secret


def _lock_live(hook: Webhook) -> Webhook:
    locked = Webhook.objects.select_for_update().get(pk=hook.pk)
    if locked.deleted_at is not None:
        raise Conflict("该订阅已删除。", "This webhook was deleted.", code="webhook_deleted")
    return locked


def webhook_rotate(*, actor: User, hook: Webhook) -> tuple[Webhook, str]:
    """A new secret, shown this once; the one it replaces still signs (beside the new one) for
    24 hours, so that the bank can switch its receiver over without losing a delivery. A second
    rotation within the 24 hours keeps the first replaced secret signing until its own grace
    ends (`ipfin.feed.domain.retire`); 409 `rotation_limit` when MAX_RETIRED_SECRETS replaced
    secrets are still in their grace."""
    require(actor, Perm.FEED_READ)
    with transaction.atomic():
        locked = _lock_live(hook)
        try:
            retired = retire(locked.secret, locked.retired(), timezone.now())
        except TooManyRotations:
            raise Conflict(
                f"该订阅在 24 小时内已更换 {MAX_RETIRED_SECRETS} 次密钥，被替换的密钥仍在有效期内；"
                "请待最早的一个过期后再更换。",
                f"This webhook's secret was rotated {MAX_RETIRED_SECRETS} times in the last 24 "
                "hours and the replaced secrets still sign; rotate again once the oldest expires.",
                code="rotation_limit",
            ) from None
        secret = _new_secret()
        locked.set_retired(retired)
        locked.secret = secret
        locked.save(update_fields=["secret", "retired_secrets"])
        audit_record(
            actor=actor,
            action="feed.webhook_rotate",
            obj=locked,
            after={"retired_until": [r.until for r in retired]},
        )
    return locked, secret


def webhook_delete(*, actor: User, hook: Webhook) -> Webhook:
    """Stop the deliveries (those pending are not tried again); the log stays readable."""
    require(actor, Perm.FEED_READ)
    with transaction.atomic():
        locked = _lock_live(hook)
        locked.deleted_at = timezone.now()
        locked.save(update_fields=["deleted_at"])
        audit_record(
            actor=actor, action="feed.webhook_delete", obj=locked, before=_snapshot(locked)
        )
    return locked


def _events_for(hook: Webhook) -> Any:
    rows = Event.objects.filter(type__in=hook.events)
    if not hook.sees_all:
        rows = rows.filter(recipients__organisation_id=hook.organisation_id)
    return rows


def _queue_deliveries(
    hook: Webhook, *, after: int, through: int, limit: int, now: datetime
) -> list[tuple[int, int]]:
    """The webhook's events placed after `after` up to `through`, the first `limit` in feed
    order (id, place), each given a delivery due `now` where it has none yet."""
    rows = list(
        _events_for(hook)
        .filter(position__gt=after, position__lte=through)
        .order_by("position")
        .values_list("pk", "position")[:limit]
    )
    Delivery.objects.bulk_create(
        [Delivery(webhook=hook, event_id=pk, next_try_at=now) for pk, _ in rows],
        batch_size=2000,
        ignore_conflicts=True,
    )
    return rows


def webhook_replay(*, actor: User, hook: Webhook, after: int) -> dict[str, int | None]:
    """Send again, in order, the webhook's events placed after `after` (at most REPLAY_LIMIT,
    up to what it has been sent so far; events from before it was created included): delivered
    or given-up deliveries are tried afresh with a new 24-hour window. Answers how many and the
    last place replayed (replay again from there for more)."""
    require(actor, Perm.FEED_READ)
    with transaction.atomic():
        locked = _lock_live(hook)
        now = timezone.now()
        rows = _queue_deliveries(
            locked, after=after, through=locked.cursor, limit=REPLAY_LIMIT, now=now
        )
        ids = [pk for pk, _ in rows]
        replayed = Delivery.objects.filter(webhook=locked, event_id__in=ids)
        count = replayed.count()
        replayed.update(
            state=DeliveryState.PENDING,
            attempts=0,
            first_try_at=None,
            next_try_at=now,
            delivered_at=None,
            replays=F("replays") + 1,
            claim="",
        )
        last = rows[-1][1] if rows else None
        audit_record(
            actor=actor,
            action="feed.webhook_replay",
            obj=locked,
            after={"after": after, "replayed": count, "through": last},
        )
    return {"replayed": count, "through": last}


# --- delivering ------------------------------------------------------------------------------


def deliveries_fan_out(*, now: datetime | None = None) -> int:
    """Make a delivery of each new event for each live webhook subscribed to its type and
    entitled to read it; moves each webhook's cursor to the feed's head (FAN_OUT_BATCH events at
    a time). Set-based: one read and one insert per webhook. Returns the deliveries made."""
    now = now or timezone.now()
    made = 0
    for hook_id in Webhook.objects.filter(deleted_at__isnull=True).values_list("pk", flat=True):
        with transaction.atomic():
            hook = Webhook.objects.select_for_update().filter(pk=hook_id).first()
            if hook is None or hook.deleted_at is not None:
                continue
            # Read the head first: every event placed at or below it has committed (the head is
            # moved in the transaction that places them).
            head = FeedHead.objects.filter(pk=1).values_list("position", flat=True).first() or 0
            rows = _queue_deliveries(
                hook, after=hook.cursor, through=head, limit=FAN_OUT_BATCH, now=now
            )
            made += len(rows)
            hook.cursor = rows[-1][1] if len(rows) == FAN_OUT_BATCH else head
            hook.save(update_fields=["cursor"])
    return made


# Deliveries are claimed a few at a time, at most a few per webhook per round, and each
# organisation's first before any one's second, so that one webhook with a long queue (a replay
# of thousands, a slow receiver), or one bank with many webhooks, does not hold up the others;
# each claim is leased for as long as its tries may take.
CLAIM_BATCH = 10
CLAIM_PER_WEBHOOK = 3


def _in_turn(candidates: Sequence[tuple[int, int, int]], limit: int) -> list[int]:
    """The first `limit` of (delivery, organisation, rank in its webhook's queue), given in
    feed order, taken in turns: each organisation's first, then each one's second, and so on
    (organisations in the order of their oldest delivery; within one, its webhooks in turn,
    each webhook's in feed order). In feed order alone, a bank with four webhooks owing old
    events took every round's ten and another bank's new event waited for all of them."""
    queues: dict[int, list[tuple[int, int]]] = {}
    for delivery_id, organisation_id, rank in candidates:
        queues.setdefault(organisation_id, []).append((rank, delivery_id))
    # sorted() is stable: the same rank stays in feed order.
    turns = [sorted(queue, key=lambda item: item[0]) for queue in queues.values()]
    chosen: list[int] = []
    for turn in range(max((len(queue) for queue in turns), default=0)):
        for queue in turns:
            if turn < len(queue):
                chosen.append(queue[turn][1])
                if len(chosen) == limit:
                    return chosen
    return chosen


def _claim_due(now: datetime, limit: int, tried: set[int]) -> tuple[str, list[int]]:
    """Up to `limit` deliveries due now (at most CLAIM_PER_WEBHOOK of one webhook), taken for
    this round with a claim token: their next try moves past the time this round's tries may
    take, so a deliverer running beside this one (another worker, a second `ipfin
    deliver_webhooks`) does not send them too, and a deliverer that dies leaves them to be tried
    again once the lease ends (at least once). The final update of a try names the token: a
    replay or a second deliverer meanwhile makes it change nothing. `tried`: the deliveries this
    run tried already (once a run, however short their wait)."""
    token = secrets.token_hex(8)
    lease = timedelta(seconds=settings.IPFIN_WEBHOOK_TIMEOUT * (limit + 1) + 60)
    due = Delivery.objects.filter(state=DeliveryState.PENDING, next_try_at__lte=now)
    # The first few due of each webhook (a window per webhook, however long its queue: reading
    # the first N due of all would leave every other webhook behind one with N waiting): at
    # most CLAIM_PER_WEBHOOK rows per webhook with something due, then taken in turns by
    # organisation. PostgreSQL locks no rows of a query with a window function, so the rows
    # are chosen first and locked after (skipping those another deliverer holds).
    candidates = list(
        due.filter(webhook__deleted_at__isnull=True)
        .exclude(pk__in=tried)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("webhook_id")],
                order_by=[F("event__position").asc(), F("pk").asc()],
            )
        )
        .filter(rank__lte=CLAIM_PER_WEBHOOK)
        .order_by("event__position", "pk")
        .values_list("pk", "webhook__organisation_id", "rank")
    )
    fair = _in_turn(candidates, limit)
    with transaction.atomic():
        chosen = due.filter(pk__in=fair)
        if connection.features.has_select_for_update_skip_locked:
            chosen = chosen.select_for_update(skip_locked=True, of=("self",))
        locked = set(chosen.values_list("pk", flat=True))
        taken = [pk for pk in fair if pk in locked]
        Delivery.objects.filter(pk__in=taken).update(next_try_at=now + lease, claim=token)
    return token, taken


def body_of(event: Event) -> bytes:
    """The delivery's body, exactly the bytes that are signed: `{id, type, occurred_at, data}`."""
    return json.dumps(
        {
            "id": event.position,
            "type": event.type,
            "occurred_at": event.occurred_at,
            "data": event.data,
        },
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")


def _send(hook: Webhook, event: Event, now: datetime) -> Outcome:
    """POST the event, signed with each secret in force."""
    body = body_of(event)
    keys = secrets_in_force(hook.secret, hook.retired(), now)
    return post(
        hook.url,
        body,
        {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "ipfin-webhooks/1",
            "X-Ipfin-Event-Id": str(event.position),
            "X-Ipfin-Event-Type": event.type,
            "X-Ipfin-Signature": signature_header(keys, int(time.time()), body),
        },
        timeout=settings.IPFIN_WEBHOOK_TIMEOUT,
        allow_private=settings.IPFIN_WEBHOOK_ALLOW_PRIVATE,
    )


@dataclass
class DeliveryRun:
    fanned_out: int = 0
    tried: int = 0
    delivered: int = 0
    retrying: int = 0
    given_up: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _try_one(delivery_id: int, token: str, run: DeliveryRun) -> None:
    delivery = (
        Delivery.objects.select_related("webhook", "event")
        .filter(
            pk=delivery_id,
            claim=token,
            state=DeliveryState.PENDING,
            webhook__deleted_at__isnull=True,
        )
        .first()
    )
    if delivery is None:  # replayed since the claim, or its webhook deleted (the bank has
        return  # unsubscribed: nothing more is sent with its secret)
    now = timezone.now()
    outcome = _send(delivery.webhook, delivery.event, now)
    first_try = delivery.first_try_at or now
    attempts = delivery.attempts + 1
    fields: dict[str, Any] = {"attempts": attempts, "first_try_at": first_try, "claim": ""}
    if outcome.ok:
        fields.update(state=DeliveryState.DELIVERED, delivered_at=now)
    else:
        wait = timedelta(seconds=settings.IPFIN_WEBHOOK_FIRST_RETRY_SECONDS)
        at = next_try(now=now, first_try=first_try, attempts=attempts, first_wait=wait)
        if at is None:
            fields.update(state=DeliveryState.FAILED)
        else:
            fields.update(next_try_at=at)
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            at=now,
            status_code=outcome.status,
            error=outcome.error[:300],
            duration_ms=outcome.ms,
        )
        # Only under this round's claim: a replay meanwhile started the delivery afresh.
        updated = Delivery.objects.filter(pk=delivery.pk, claim=token).update(**fields)
    run.tried += 1
    if updated:
        if outcome.ok:
            run.delivered += 1
        elif fields.get("state") == DeliveryState.FAILED:
            run.given_up += 1
        else:
            run.retrying += 1


def webhooks_deliver(*, limit: int = 500) -> DeliveryRun:
    """Fan new events out into deliveries, then try every delivery due (at most `limit`), in the
    order of the feed. The HTTP calls run outside any transaction."""
    run = DeliveryRun(fanned_out=deliveries_fan_out())
    tried: set[int] = set()
    while run.tried < limit:
        token, taken = _claim_due(timezone.now(), min(CLAIM_BATCH, limit - run.tried), tried)
        if not taken:
            break
        tried.update(taken)
        for delivery_id in taken:
            try:
                _try_one(delivery_id, token, run)
            except SoftTimeLimitExceeded:  # the task is stopped: the rest wait for the next run
                raise
            except Exception:  # one delivery's trouble never stops the others
                log.exception("webhook delivery %s failed", delivery_id)
                run.tried += 1
    return run
