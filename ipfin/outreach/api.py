"""REST adapters of the outreach library (宣传与服务资源库): parse → one selector / service →
serialise.

The library's reads are public (no token needed: published articles and events, active experts
with masked contacts); the IP office also reads its drafts (`state=`, 401 / 403 for anyone
else). The office writes articles and picks experts; any logged-in organisation registers its
attendees for a published event. Refusals are the shared `{detail, code, ...}` body: 404 for
what the caller may not see, 409 for a state or a full event, 422 naming the input."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from ipfin.accounts.auth import ApiAuth
from ipfin.common.schemas import ErrorOut
from ipfin.outreach import presentation, selectors, services
from ipfin.outreach.domain import field_code
from ipfin.outreach.models import Article, Event, EventRegistration, Expert
from ipfin.outreach.schemas import (
    OutreachArticleIn,
    OutreachArticleOut,
    OutreachArticlePageOut,
    OutreachEventPageOut,
    OutreachExpertPageOut,
    OutreachPickIn,
    OutreachPickOut,
    OutreachRegistrationIn,
    OutreachRegistrationOut,
)
from ipfin.outreach.selectors import MAX_PAGE, MAX_PAGE_SIZE, PAGE_SIZE, Page
from ipfin.registry.selectors import MAX_SEARCH_LENGTH

router = Router()
_public = ApiAuth(optional=True)


# --- the filters (the pages' filter forms have the same names) ------------------------------------


class _Paged(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    q: str = Field(
        "", max_length=MAX_SEARCH_LENGTH, description="words in the title, summary or text"
    )


class OutreachArticleFilterIn(_Paged):
    kind: str = Field("", description="case 典型案例 | guide 服务指南")
    tag: str = Field("", max_length=50, description="one of the article's tags")
    region: str = Field("", max_length=100, description="the region or a place within it")
    state: str = Field(
        "", description="the office only: draft | published | withdrawn | all (default published)"
    )


class OutreachEventFilterIn(_Paged):
    kind: str = Field(
        "",
        description="bank_enterprise_matchmaking 银企对接 | park_roadshow 入园惠企路演 "
        "| training 培训",
    )
    state: str = Field(
        "", description="the office only: draft | published | cancelled | all (default published)"
    )


class OutreachExpertFilterIn(_Paged):
    pool: str = Field("", description="expert 专家库 | talent 人才库")
    field: str = Field("", max_length=50, description='a field of expertise, e.g. "G06F"')


# --- serialisation -------------------------------------------------------------------------------


def _article(a: Article) -> dict[str, Any]:
    return {
        "id": a.pk,
        "kind": a.kind,
        "kind_label": str(a.get_kind_display()),
        "title": a.title,
        "summary": a.summary,
        "body": a.body,
        "tags": a.tags,
        "region": a.region,
        "state": a.state,
        "state_label": str(a.get_state_display()),
        "published_at": a.published_at,
    }


def _event(e: Event) -> dict[str, Any]:
    now = timezone.now()
    return {
        "id": e.pk,
        "kind": e.kind,
        "kind_label": str(e.get_kind_display()),
        "title": e.title,
        "description": e.description,
        "starts_at": e.starts_at,
        "ends_at": e.ends_at,
        "venue": e.venue,
        "capacity": e.capacity,
        "registered": e.capacity - presentation.places_left(e),
        "places_left": presentation.places_left(e),
        "registration_deadline": e.registration_deadline,
        "registration_open": presentation.registration_open(e, now),
        "state": e.state,
        "state_label": str(e.get_state_display()),
    }


def _registration(r: EventRegistration) -> dict[str, Any]:
    return {
        "id": r.pk,
        "event_id": r.event_id,
        "organisation": {"id": r.organisation.pk, "name": r.organisation.name},
        "attendee_name": r.attendee_name,
        "phone": r.phone,
        "registered_at": r.registered_at,
        "attended": r.attended,
        "checked_in_at": r.checked_in_at,
    }


def _expert(x: Expert) -> dict[str, Any]:
    return {
        "id": x.pk,
        "pool": x.pool,
        "pool_label": str(x.get_pool_display()),
        "name": x.name,
        "organisation_name": x.organisation_name,
        "title": x.title,
        "fields": x.fields_of_expertise,
        "phone": x.phone_masked,
        "email": x.email_masked,
        "bio": x.bio,
    }


def _page(page: Page[Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "items": items,
        "count": page.count,
        "page": page.page,
        "page_size": page.page_size,
        "pages": page.pages,
    }


# --- articles ------------------------------------------------------------------------------------


@router.get(
    "/outreach/articles",
    response={200: OutreachArticlePageOut, 403: ErrorOut},
    auth=_public,
)
def article_list(request: HttpRequest, filters: Query[OutreachArticleFilterIn]) -> dict[str, Any]:
    """Typical cases and service guides, newest first, one page at a time; searchable (`q`) and
    filtered by kind, tag and region. Published ones for everyone; the office's drafts with
    `state=` (401 anonymous, 403 for anyone but the office)."""
    data = filters.dict()
    page = selectors.article_page(actor=request.user, **data)
    return _page(page, [_article(a) for a in page.items])


@router.get("/outreach/articles/{int:article_id}", response=OutreachArticleOut, auth=_public)
def article_detail(request: HttpRequest, article_id: int) -> dict[str, Any]:
    """One published article (the office: any of its articles)."""
    return _article(selectors.article_get(actor=request.user, pk=article_id))


@router.post("/outreach/articles", response={201: OutreachArticleOut})
def article_create(request: HttpRequest, payload: OutreachArticleIn) -> Status[dict[str, Any]]:
    """A case or a guide, as a draft (the IP office); published by …/publish."""
    article = services.article_create(actor=request.user, **payload.dict())
    return Status(201, _article(selectors.article_get(actor=request.user, pk=article.pk)))


@router.post("/outreach/articles/{int:article_id}/publish", response=OutreachArticleOut)
def article_publish(request: HttpRequest, article_id: int) -> dict[str, Any]:
    """Publish a draft, or a withdrawn article again (the IP office); 409 if published."""
    article = selectors.article_get(actor=request.user, pk=article_id)
    services.article_publish(actor=request.user, article=article)
    return _article(selectors.article_get(actor=request.user, pk=article_id))


# --- events --------------------------------------------------------------------------------------


@router.get("/outreach/events", response={200: OutreachEventPageOut, 403: ErrorOut}, auth=_public)
def event_list(request: HttpRequest, filters: Query[OutreachEventFilterIn]) -> dict[str, Any]:
    """Events (银企对接, 入园惠企路演, 培训), the latest start first, with the places taken and
    whether registration is open; published ones for everyone, the office's others with
    `state=`."""
    page = selectors.event_page(actor=request.user, **filters.dict())
    return _page(page, [_event(e) for e in page.items])


@router.post(
    "/outreach/events/{int:event_id}/registrations", response={201: OutreachRegistrationOut}
)
def event_register(
    request: HttpRequest, event_id: int, payload: OutreachRegistrationIn
) -> Status[dict[str, Any]]:
    """Register an attendee of the caller's organisation (any logged-in organisation) for a
    published event: 409 `registration_closed` after the deadline, `event_full`,
    `already_registered` (the same attendee of the organisation), `event_not_open`; 422
    `phone_invalid` for anything but an 11-digit mainland mobile number."""
    event = selectors.event_get(actor=request.user, pk=event_id)
    row = services.event_register(actor=request.user, event=event, **payload.dict())
    return Status(201, _registration(row))


# --- experts -------------------------------------------------------------------------------------


@router.get("/outreach/experts", response={200: OutreachExpertPageOut, 403: ErrorOut}, auth=_public)
def expert_list(request: HttpRequest, filters: Query[OutreachExpertFilterIn]) -> dict[str, Any]:
    """The active experts (专家库) and talents (人才库) by pool and name, their contacts masked;
    searchable (`q`: name, workplace, title, biography), filtered by pool and field."""
    page = selectors.expert_page(actor=request.user, **filters.dict())
    return _page(page, [_expert(x) for x in page.items])


@router.post("/outreach/experts/pick", response={201: OutreachPickOut})
def expert_pick(request: HttpRequest, payload: OutreachPickIn) -> Status[dict[str, Any]]:
    """Pick `count` active experts of the expert pool whose fields include `field`, the least
    recently picked first, and record the pick (the IP office: e.g. a valuation's review panel).
    Their contacts come whole. 422 `not_enough_experts` (with `available`) when fewer match."""
    data = payload.dict()
    picked = services.expert_pick(actor=request.user, **data)
    return Status(
        201,
        {
            "field": field_code(data["field"]),
            "purpose": data["purpose"],
            "picked_at": picked[0].last_picked_at,
            "experts": [
                {
                    "id": x.pk,
                    "name": x.name,
                    "organisation_name": x.organisation_name,
                    "title": x.title,
                    "fields": x.fields_of_expertise,
                    "phone": x.phone,
                    "email": x.email,
                    "pick_count": x.pick_count,
                }
                for x in picked
            ],
        },
    )
