"""The change feed (ipfin.feed): events about pledges, rights, alerts and loans, who may read each
one, and the webhooks that push them to banks' systems with a log of every try.

An event is written in the transaction of the change it tells of (nothing told that did not
happen, nothing happened that is not told), with its place in the feed (`position`, the id
readers page by) taken from one counter row (`FeedHead`) that the transaction locks until it
commits. Places are thus given in commit order: a reader that has read up to place N never later
finds an event placed below N, which ids given at insert could not promise (two transactions may
commit in the other order than they inserted). The lock costs little: every such write already
queues for the audit chain's head in the same way (ipfin.audit.services)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ipfin.feed.domain import RetiredSecret


class Event(models.Model):
    position = models.PositiveBigIntegerField(unique=True)
    type = models.CharField(max_length=64)
    occurred_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(encoder=DjangoJSONEncoder)
    # What the event tells of, for those that could be told twice (two risk scans at once):
    # an event whose key is already in the feed is not published again.
    key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    class Meta:
        indexes = [models.Index(fields=["type", "position"])]


class EventRecipient(models.Model):
    """An organisation the event is about (a pledge's parties, a right's owners and pledgees, the
    loan's bank): it reads the event in the feed and its webhooks receive it. The IP office
    reads every event (`Perm.FEED_ALL`) without being named."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="recipients")
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "event"], name="feed_recipient_once_per_event"
            )
        ]


class FeedHead(models.Model):
    """The last place given (one row, pk 1), locked by whoever gives places."""

    position = models.PositiveBigIntegerField(default=0)


class Webhook(models.Model):
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="webhooks"
    )
    url = models.CharField(max_length=500)
    events = models.JSONField(default=list)
    # Kept as given: the platform signs with it (an HMAC needs the key itself, as at every
    # webhook sender); shown to the subscriber once, never answered again.
    secret = models.CharField(max_length=64)
    # The secrets rotations replaced, each still signing for 24 hours after it was replaced:
    # [{"secret": …, "until": ISO 8601}] (ipfin.feed.domain `retire`, `secrets_in_force`).
    retired_secrets = models.JSONField(default=list, blank=True)
    # The last place fanned out into deliveries: a new webhook starts at the feed's head, so that
    # it receives what happens from then on (the past is for `replay`).
    cursor = models.PositiveBigIntegerField(default=0)
    # Subscribed by the IP office, which reads every event (`Perm.FEED_ALL`); a bank's webhook
    # receives the events that name it.
    sees_all = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("推送订阅")

    def retired(self) -> list[RetiredSecret]:
        return [
            RetiredSecret(secret=r["secret"], until=datetime.fromisoformat(r["until"]))
            for r in self.retired_secrets
        ]

    def set_retired(self, retired: list[RetiredSecret]) -> None:
        self.retired_secrets = [{"secret": r.secret, "until": r.until.isoformat()} for r in retired]


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("待投递")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("已放弃")


class Delivery(models.Model):
    """One event to one webhook, tried until the receiver answers 2xx or the retry window ends;
    a replay tries it again (`replays` counts how often)."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    first_try_at = models.DateTimeField(null=True, blank=True)
    next_try_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    replays = models.PositiveIntegerField(default=0)
    # The round of tries that holds it (ipfin.feed.services._claim_due); "" when none does.
    claim = models.CharField(max_length=16, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event"], name="feed_delivery_once")
        ]
        indexes = [models.Index(fields=["state", "next_try_at"])]


class DeliveryAttempt(models.Model):
    """One try: when, the receiver's status (None: no answer) or why it failed, how long."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["pk"]
