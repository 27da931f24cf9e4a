"""Input and output schemas of the outreach library's API. Shape and type only: the services check
the rules (lengths, the phone number, the dates against each other, the capacity). Every class
is named `Outreach…`: the OpenAPI document keys schemas by class name, and the register already
has an `EventOut`.

Contacts in the public lists are masked ("138****5678", "z***@example.com"); the office's pick
gives them whole (it calls the experts it picked)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from ipfin.common.schemas import OrganisationRef
from ipfin.outreach.domain import MAX_FIELD_LENGTH, MAX_FIELDS, MAX_PICK
from ipfin.outreach.services import MAX_BODY

ArticleKindName = Literal["case", "guide"]
EventKindName = Literal["bank_enterprise_matchmaking", "park_roadshow", "training"]
PoolName = Literal["expert", "talent"]

# --- input ---------------------------------------------------------------------------------------


class OutreachArticleIn(Schema):
    kind: ArticleKindName = Field(..., description="case 典型案例 | guide 服务指南")
    title: str = Field(..., max_length=200)
    summary: str = Field("", max_length=2000)
    body: str = Field(..., max_length=MAX_BODY)
    tags: list[str] = Field(
        default_factory=list,
        max_length=MAX_FIELDS,
        description=f"at most {MAX_FIELDS}, each at most {MAX_FIELD_LENGTH} characters",
    )
    region: str = Field("", max_length=100, description="e.g. 江苏省苏州市")


class OutreachRegistrationIn(Schema):
    attendee_name: str = Field(..., max_length=50, description="参会人")
    phone: str = Field(
        ..., max_length=20, description="a mainland mobile number, 11 digits: 1[3-9]xxxxxxxxx"
    )


class OutreachPickIn(Schema):
    field: str = Field(
        ...,
        max_length=MAX_FIELD_LENGTH,
        description='an IPC section, class or subclass ("G06F") or an industry tag ("新材料")',
    )
    count: int = Field(..., ge=1, le=MAX_PICK)
    purpose: str = Field("", max_length=200, description="e.g. the valuation to be reviewed")


# --- output --------------------------------------------------------------------------------------


class OutreachArticleOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    summary: str
    body: str
    tags: list[str]
    region: str
    state: str
    state_label: str
    published_at: dt.datetime | None


class OutreachArticlePageOut(Schema):
    items: list[OutreachArticleOut]
    count: int
    page: int
    page_size: int
    pages: int


class OutreachEventOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    description: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    venue: str
    capacity: int
    registered: int = Field(..., description="places taken")
    places_left: int
    registration_deadline: dt.datetime
    registration_open: bool = Field(..., description="published, before the deadline, not full")
    state: str
    state_label: str


class OutreachEventPageOut(Schema):
    items: list[OutreachEventOut]
    count: int
    page: int
    page_size: int
    pages: int


class OutreachRegistrationOut(Schema):
    id: int
    event_id: int
    organisation: OrganisationRef
    attendee_name: str
    phone: str
    registered_at: dt.datetime
    attended: bool
    checked_in_at: dt.datetime | None


class OutreachExpertOut(Schema):
    id: int
    pool: str
    pool_label: str
    name: str
    organisation_name: str
    title: str
    fields: list[str]
    phone: str = Field(..., description='masked: "138****5678"')
    email: str = Field(..., description='masked: "z***@example.com"')
    bio: str


class OutreachExpertPageOut(Schema):
    items: list[OutreachExpertOut]
    count: int
    page: int
    page_size: int
    pages: int


class OutreachPickedExpertOut(Schema):
    id: int
    name: str
    organisation_name: str
    title: str
    fields: list[str]
    phone: str = Field(..., description="whole: the office calls the experts it picked")
    email: str
    pick_count: int


class OutreachPickOut(Schema):
    field: str
    purpose: str
    picked_at: dt.datetime
    experts: list[OutreachPickedExpertOut]


__all__ = [
    "OutreachArticleIn",
    "OutreachArticleOut",
    "OutreachArticlePageOut",
    "OutreachEventOut",
    "OutreachEventPageOut",
    "OutreachExpertOut",
    "OutreachExpertPageOut",
    "OutreachPickIn",
    "OutreachPickOut",
    "OutreachPickedExpertOut",
    "OutreachRegistrationIn",
    "OutreachRegistrationOut",
]
