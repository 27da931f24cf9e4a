"""Schemas of the change feed's API."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from ipfin.feed.domain import EVENT_TYPES
from ipfin.feed.selectors import TRIES_SHOWN
from ipfin.feed.services import URL_MAX_LENGTH

EventTypeName = Literal[
    "pledge.submitted",
    "pledge.decided",
    "pledge.released",
    "pledge.withdrawn",
    "right.status_changed",
    "risk.alert_raised",
    "loan.classified",
]
assert set(EventTypeName.__args__) == set(EVENT_TYPES)  # type: ignore[attr-defined]


class FeedEventOut(Schema):
    id: int = Field(..., description="the event's place in the feed; page with after=id")
    type: EventTypeName
    occurred_at: dt.datetime
    data: dict[str, Any]


class FeedPageOut(Schema):
    items: list[FeedEventOut]
    next: int = Field(
        ..., description="pass as `after` for the following page (unchanged when none is new)"
    )


class WebhookIn(Schema):
    url: str = Field(
        ...,
        min_length=1,
        max_length=URL_MAX_LENGTH,
        description="an https address reachable from the internet",
    )
    events: list[EventTypeName] = Field(..., min_length=1, max_length=len(EVENT_TYPES))


class WebhookOut(Schema):
    id: int
    url: str
    events: list[str]
    created_at: dt.datetime
    previous_secret_until: dt.datetime | None = Field(
        None,
        description="until when the secrets replaced by rotations still sign (the last one "
        "replaced: 24 hours after the last rotation); none while only the current one signs",
    )
    sees_all: bool


class WebhookSecretOut(WebhookOut):
    secret: str = Field(..., description="shown this once: keep it to check the signatures")


class WebhookReplayIn(Schema):
    after: int = Field(..., ge=0, le=2**63 - 1, description="replay the events placed after it")


class WebhookReplayOut(Schema):
    replayed: int
    through: int | None = Field(None, description="the last place replayed; replay from it")


class DeliveryTryOut(Schema):
    at: dt.datetime
    status_code: int | None
    error: str
    duration_ms: int


class DeliveryOut(Schema):
    event_id: int
    event_type: str
    state: Literal["pending", "delivered", "failed"]
    attempts: int
    replays: int
    next_try_at: dt.datetime | None
    delivered_at: dt.datetime | None
    tries_total: int = Field(description="every try made, replays included")
    tries: list[DeliveryTryOut] = Field(
        description=f"the last {TRIES_SHOWN} tries (tries_total says how many there were), "
        "oldest first",
        max_length=TRIES_SHOWN,
    )
