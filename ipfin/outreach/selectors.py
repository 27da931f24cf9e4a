"""Reads of the outreach library. Public: anyone, logged in or not, reads what is published —
published articles and events, active experts (their contacts masked by the pages and the API).
The IP office (`Perm.OUTREACH_PUBLISH`) reads its drafts, withdrawn articles, cancelled events,
inactive experts and every registration as well; anyone else asking for those is refused (401
anonymous, 403 otherwise), and an unpublished article or event is a 404 to them.

Search (`q`) matches the title, the summary and the body (an expert: the name, the workplace,
the title and the biography) with `icontains`, which SQLite and PostgreSQL both answer; tags
and fields of expertise are rows (`ArticleTag`, `ExpertField`), so that filtering by one is SQL
on both databases too. Lists come one page at a time (`Page`), with a fixed number of queries
whatever the page size (tags and fields prefetched).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Count, Exists, F, Model, OuterRef, Prefetch, Q, QuerySet

from ipfin.accounts.permissions import Actor, Perm, has_perm, require
from ipfin.common.errors import NotFound, ValidationFailed, invalid
from ipfin.outreach.domain import field_code
from ipfin.outreach.models import (
    Article,
    ArticleKindChoices,
    ArticleStateChoices,
    ArticleTag,
    Event,
    EventKindChoices,
    EventRegistration,
    EventStateChoices,
    Expert,
    ExpertField,
    ExpertPick,
    ExpertPoolChoices,
)
from ipfin.registry.selectors import clean_search_text

__all__ = [
    "ALL_STATES",
    "MAX_PAGE_SIZE",
    "PAGE_SIZE",
    "Page",
    "article_get",
    "article_list",
    "article_page",
    "event_get",
    "event_list",
    "event_page",
    "expert_get",
    "expert_list",
    "expert_page",
    "may_publish",
    "pick_list",
    "registration_get",
    "registration_list",
]

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000
ALL_STATES = "all"

T = TypeVar("T")
M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, the total count and where it is."""

    items: list[T]
    count: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.count / self.page_size))


def may_publish(actor: Actor) -> bool:
    """Whether `actor` runs the library (the IP office): drafts and the rest are its to read."""
    return has_perm(actor, Perm.OUTREACH_PUBLISH)


def _choice(value: str, allowed: list[str], field: str) -> str:
    if value not in allowed:
        raise invalid(
            field,
            "filter_invalid",
            f"筛选条件的取值“{value}”无效（可选：{'、'.join(allowed)}）。",
            f"Invalid filter value {value!r} (allowed: {', '.join(allowed)}).",
            allowed=allowed,
        )
    return value


def _state_filter(actor: Actor, state: str | None, published: str, allowed: list[str]) -> Q:
    """The rows of the states `actor` asks for: the published ones by default; any other state
    (or `all`) only for the office (401 / 403 otherwise)."""
    if not state or state == published:
        return Q(state=published)
    _choice(state, [*allowed, ALL_STATES], "state")
    require(actor, Perm.OUTREACH_PUBLISH)
    return Q() if state == ALL_STATES else Q(state=state)


def _page(rows: QuerySet[M], page: int, page_size: int) -> Page[M]:
    if not 1 <= page_size <= MAX_PAGE_SIZE or not 1 <= page <= MAX_PAGE:
        raise ValidationFailed(
            f"页码应为 1 至 {MAX_PAGE}，每页 1 至 {MAX_PAGE_SIZE} 条。",
            f"page must be 1 to {MAX_PAGE} and page_size 1 to {MAX_PAGE_SIZE}.",
            code="page_invalid",
            extra={"field": "page" if not 1 <= page <= MAX_PAGE else "page_size"},
        )
    count = rows.count()
    start = (page - 1) * page_size
    return Page(list(rows[start : start + page_size]), count, page, page_size)


# --- articles ------------------------------------------------------------------------------------


def article_list(
    *,
    actor: Actor,
    q: str | None = None,
    kind: str | None = None,
    tag: str | None = None,
    region: str | None = None,
    state: str | None = None,
) -> QuerySet[Article]:
    """Articles newest first (by publication, drafts by creation), tags prefetched. `q` in the
    title, summary or body; `kind` case / guide; `tag` one of the article's tags (exactly, as
    `field_code` writes it); `region` the article's region or a place within it ("江苏省"
    finds "江苏省苏州市"). `state` (the office only): draft, published, withdrawn or all."""
    rows = Article.objects.filter(
        _state_filter(actor, state, ArticleStateChoices.PUBLISHED, ArticleStateChoices.values)
    )
    if kind:
        rows = rows.filter(kind=_choice(kind, ArticleKindChoices.values, "kind"))
    needle = clean_search_text(q or "")
    if needle:
        rows = rows.filter(
            Q(title__icontains=needle) | Q(summary__icontains=needle) | Q(body__icontains=needle)
        )
    wanted_tag = field_code(clean_search_text(tag or ""))
    if wanted_tag:
        rows = rows.filter(
            Exists(ArticleTag.objects.filter(article=OuterRef("pk"), tag=wanted_tag))
        )
    wanted_region = clean_search_text(region or "")
    if wanted_region:
        rows = rows.filter(region__startswith=wanted_region)
    # Never-published drafts last on both databases (PostgreSQL sorts NULL first descending).
    newest = F("published_at").desc(nulls_last=True)
    return rows.prefetch_related("tag_rows").order_by(newest, "-created_at", "-id")


def article_page(
    *, actor: Actor, page: int = 1, page_size: int = PAGE_SIZE, **filters: str | None
) -> Page[Article]:
    """`article_list` one page at a time (a 422 `page_invalid` out of bounds)."""
    return _page(article_list(actor=actor, **filters), page, page_size)


def article_get(*, actor: Actor, pk: int) -> Article:
    """One article: a published one for anyone, any for the office; a 404 otherwise."""
    rows = Article.objects.prefetch_related("tag_rows")
    if not may_publish(actor):
        rows = rows.filter(state=ArticleStateChoices.PUBLISHED)
    article = rows.filter(pk=pk).first()
    if article is None:
        raise NotFound("未找到该文章。", "No such article.", code="article_not_found")
    return article


# --- events --------------------------------------------------------------------------------------


def _with_taken(rows: QuerySet[Event]) -> QuerySet[Event]:
    """Each event with `taken`, the number of its registrations (one aggregate, no N+1)."""
    return rows.annotate(taken=Count("registrations"))


def event_list(
    *,
    actor: Actor,
    q: str | None = None,
    kind: str | None = None,
    state: str | None = None,
) -> QuerySet[Event]:
    """Events, the latest start first, each with `taken` (places registered). `q` in the title,
    description or venue; `kind` one of the three kinds. `state` (the office only): draft,
    published, cancelled or all."""
    rows = Event.objects.filter(
        _state_filter(actor, state, EventStateChoices.PUBLISHED, EventStateChoices.values)
    )
    if kind:
        rows = rows.filter(kind=_choice(kind, EventKindChoices.values, "kind"))
    needle = clean_search_text(q or "")
    if needle:
        rows = rows.filter(
            Q(title__icontains=needle)
            | Q(description__icontains=needle)
            | Q(venue__icontains=needle)
        )
    return _with_taken(rows).order_by("-starts_at", "-id")


def event_page(
    *, actor: Actor, page: int = 1, page_size: int = PAGE_SIZE, **filters: str | None
) -> Page[Event]:
    return _page(event_list(actor=actor, **filters), page, page_size)


def event_get(*, actor: Actor, pk: int) -> Event:
    """One event with `taken`: a published one for anyone, any for the office; a 404 otherwise."""
    rows = Event.objects.all()
    if not may_publish(actor):
        rows = rows.filter(state=EventStateChoices.PUBLISHED)
    event = _with_taken(rows).filter(pk=pk).first()
    if event is None:
        raise NotFound("未找到该活动。", "No such event.", code="event_not_found")
    return event


def registration_list(*, actor: Actor, event: Event) -> QuerySet[EventRegistration]:
    """The registrations of `event`: all of them for the office; a logged-in organisation's own
    (those it registered); none for anyone else."""
    rows = EventRegistration.objects.filter(event=event).select_related("organisation")
    if may_publish(actor):
        return rows.order_by("registered_at", "id")
    org_id = getattr(actor, "organisation_id", None) if actor.is_authenticated else None
    if org_id is None:
        return rows.none()
    return rows.filter(organisation_id=org_id).order_by("registered_at", "id")


def registration_get(*, actor: Actor, pk: int) -> EventRegistration:
    """One registration, for the office (it checks attendees in); a 404 for anyone else's."""
    row = EventRegistration.objects.select_related("event", "organisation").filter(pk=pk).first()
    org_id = getattr(actor, "organisation_id", None) if actor.is_authenticated else None
    if row is None or not (
        may_publish(actor) or (org_id is not None and row.organisation_id == org_id)
    ):
        raise NotFound("未找到该报名记录。", "No such registration.", code="registration_not_found")
    return row


# --- experts -------------------------------------------------------------------------------------


def expert_list(
    *,
    actor: Actor,
    q: str | None = None,
    pool: str | None = None,
    field: str | None = None,
    include_inactive: bool = False,
) -> QuerySet[Expert]:
    """Experts and talents by pool and name, their fields prefetched: the active ones; the
    inactive too for the office when asked (`include_inactive`; 401 / 403 for anyone else).
    `q` in the name, workplace, title or biography; `pool` expert / talent; `field` one of the
    expert's fields of expertise (exactly, as `field_code` writes it)."""
    rows = Expert.objects.all()
    if include_inactive:
        require(actor, Perm.OUTREACH_PUBLISH)
    else:
        rows = rows.filter(active=True)
    if pool:
        rows = rows.filter(pool=_choice(pool, ExpertPoolChoices.values, "pool"))
    needle = clean_search_text(q or "")
    if needle:
        rows = rows.filter(
            Q(name__icontains=needle)
            | Q(organisation_name__icontains=needle)
            | Q(title__icontains=needle)
            | Q(bio__icontains=needle)
        )
    wanted = field_code(clean_search_text(field or ""))
    if wanted:
        rows = rows.filter(Exists(ExpertField.objects.filter(expert=OuterRef("pk"), code=wanted)))
    return rows.prefetch_related(Prefetch("field_rows")).order_by("pool", "name", "id")


def expert_page(
    *,
    actor: Actor,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    include_inactive: bool = False,
    **filters: str | None,
) -> Page[Expert]:
    return _page(
        expert_list(actor=actor, include_inactive=include_inactive, **filters), page, page_size
    )


def expert_get(*, actor: Actor, pk: int) -> Expert:
    """One expert: an active one for anyone, any for the office; a 404 otherwise."""
    rows = Expert.objects.prefetch_related("field_rows")
    if not may_publish(actor):
        rows = rows.filter(active=True)
    expert = rows.filter(pk=pk).first()
    if expert is None:
        raise NotFound("未找到该专家。", "No such expert.", code="expert_not_found")
    return expert


def pick_list(*, actor: Actor) -> QuerySet[ExpertPick]:
    """The office's picks, the latest first, each with its expert (the office only: 401 / 403)."""
    require(actor, Perm.OUTREACH_PUBLISH)
    return ExpertPick.objects.select_related("expert", "picked_by").order_by("-picked_at", "-id")
