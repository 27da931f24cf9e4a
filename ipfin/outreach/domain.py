"""宣传与服务资源库 (the outreach library): the pure rules of the office's public library.

Pure: no Django, no clock (the time of a registration is passed in). Source: issue 15 ("typical
cases, service guides, policies, bank and insurance products, events (银企对接, 入园惠企 roadshows,
training) with registration and attendance, and the talent and expert pools (人才库、专家库, with
fields of expertise, to pick experts for valuation reviews) — searchable, published by the
office, on the public site"). Policies and products are the financing catalogue's (not here).

- An article (典型案例 / 服务指南) is written as a draft, published, withdrawn and may be published
  again (`ARTICLE_TRANSITIONS`); only a published one is public.
- An event (银企对接 / 入园惠企路演 / 培训) is created as a draft, published (registration opens)
  or cancelled, before or after publication (`EVENT_TRANSITIONS`).
- A registration (`registration_refusal`) is taken only while the event is published, up to its
  registration deadline inclusive, once per (event, organisation, attendee) and never beyond the
  capacity; the services ask under the event's row lock, so that concurrent registrations are
  counted one at a time.
- An attendee's phone is a mainland mobile number (`mobile_in`: 11 digits, 1[3-9]xxxxxxxxx, as
  the three operators number them; spaces, hyphens and a +86 / 86 prefix are read through).
- Contacts shown publicly are masked by `ipfin.common.masking` (`mask_phone`, `mask_email`).
- A field of expertise (`field_code`) is an IPC section, class or subclass ("G", "G06", "G06F")
  or an industry tag ("新材料"): IPC codes in upper case, tags as written, at most
  `MAX_FIELD_LENGTH` characters. An expert matches a field when the field is one of the
  expert's own, exactly (a pick for "G06F" does not take an expert of "G").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from ipfin.common.workflow import IllegalTransition, Workflow

__all__ = [
    "ARTICLE_TRANSITIONS",
    "EVENT_TRANSITIONS",
    "MAX_FIELDS",
    "MAX_FIELD_LENGTH",
    "MAX_PICK",
    "ArticleAction",
    "ArticleKind",
    "ArticleState",
    "EventAction",
    "EventKind",
    "EventState",
    "ExpertPool",
    "IllegalTransition",
    "RegistrationRefusal",
    "article_next_state",
    "event_next_state",
    "field_code",
    "field_codes",
    "mobile_in",
    "registration_refusal",
]

MAX_FIELDS = 20  # fields of expertise of one expert, tags of one article
MAX_FIELD_LENGTH = 50
MAX_PICK = 20  # experts in one pick (a review panel is three to seven)


class ArticleKind(StrEnum):
    CASE = "case"  # 典型案例
    GUIDE = "guide"  # 服务指南


class ArticleState(StrEnum):
    DRAFT = "draft"  # 草稿
    PUBLISHED = "published"  # 已发布
    WITHDRAWN = "withdrawn"  # 已撤回


class ArticleAction(StrEnum):
    CREATE = "create"
    PUBLISH = "publish"
    WITHDRAW = "withdraw"


class EventKind(StrEnum):
    BANK_ENTERPRISE_MATCHMAKING = "bank_enterprise_matchmaking"  # 银企对接
    PARK_ROADSHOW = "park_roadshow"  # 入园惠企路演
    TRAINING = "training"  # 培训


class EventState(StrEnum):
    DRAFT = "draft"  # 草稿
    PUBLISHED = "published"  # 报名中 / 已发布
    CANCELLED = "cancelled"  # 已取消


class EventAction(StrEnum):
    CREATE = "create"
    PUBLISH = "publish"
    CANCEL = "cancel"


class ExpertPool(StrEnum):
    EXPERT = "expert"  # 专家库
    TALENT = "talent"  # 人才库


ARTICLE_TRANSITIONS: dict[tuple[ArticleState | None, ArticleAction], ArticleState] = {
    (None, ArticleAction.CREATE): ArticleState.DRAFT,
    (ArticleState.DRAFT, ArticleAction.PUBLISH): ArticleState.PUBLISHED,
    (ArticleState.PUBLISHED, ArticleAction.WITHDRAW): ArticleState.WITHDRAWN,
    # A withdrawn article (an outdated guide, say) may be put back once corrected.
    (ArticleState.WITHDRAWN, ArticleAction.PUBLISH): ArticleState.PUBLISHED,
}
EVENT_TRANSITIONS: dict[tuple[EventState | None, EventAction], EventState] = {
    (None, EventAction.CREATE): EventState.DRAFT,
    (EventState.DRAFT, EventAction.PUBLISH): EventState.PUBLISHED,
    (EventState.DRAFT, EventAction.CANCEL): EventState.CANCELLED,
    (EventState.PUBLISHED, EventAction.CANCEL): EventState.CANCELLED,
}

_ARTICLE_WORKFLOW: Workflow[ArticleState, ArticleAction] = Workflow(
    state_type=ArticleState,
    action_type=ArticleAction,
    transitions=ARTICLE_TRANSITIONS,
    state_zh={
        ArticleState.DRAFT: "草稿",
        ArticleState.PUBLISHED: "已发布",
        ArticleState.WITHDRAWN: "已撤回",
    },
    action_zh={
        ArticleAction.CREATE: "新建",
        ArticleAction.PUBLISH: "发布",
        ArticleAction.WITHDRAW: "撤回",
    },
    message_zh="文章当前状态为“{state}”，不能{action}。",
    message_en="An article in state {state} does not allow {action}.",
)
_EVENT_WORKFLOW: Workflow[EventState, EventAction] = Workflow(
    state_type=EventState,
    action_type=EventAction,
    transitions=EVENT_TRANSITIONS,
    state_zh={
        EventState.DRAFT: "草稿",
        EventState.PUBLISHED: "已发布",
        EventState.CANCELLED: "已取消",
    },
    action_zh={
        EventAction.CREATE: "新建",
        EventAction.PUBLISH: "发布",
        EventAction.CANCEL: "取消",
    },
    message_zh="活动当前状态为“{state}”，不能{action}。",
    message_en="An event in state {state} does not allow {action}.",
)


def article_next_state(
    state: ArticleState | str | None, action: ArticleAction | str
) -> ArticleState:
    """The article's state after `action`, or `IllegalTransition` (→ 409)."""
    return _ARTICLE_WORKFLOW.next_state(state, action)


def event_next_state(state: EventState | str | None, action: EventAction | str) -> EventState:
    """The event's state after `action`, or `IllegalTransition` (→ 409)."""
    return _EVENT_WORKFLOW.next_state(state, action)


# --- registration --------------------------------------------------------------------------------


class RegistrationRefusal(StrEnum):
    """Why a registration is not taken, in the order they are asked."""

    EVENT_NOT_OPEN = "event_not_open"  # a draft or a cancelled event
    REGISTRATION_CLOSED = "registration_closed"  # after the registration deadline
    ALREADY_REGISTERED = "already_registered"  # this attendee of this organisation, again
    EVENT_FULL = "event_full"  # every place taken


def registration_refusal(
    *,
    state: EventState | str,
    deadline: datetime,
    now: datetime,
    taken: int,
    capacity: int,
    duplicate: bool,
) -> RegistrationRefusal | None:
    """Why a registration at `now` is refused, or None: the event must be published, `now` not
    after the deadline (the deadline itself still admits), the attendee not yet registered for
    the organisation, and a place left (`taken` < `capacity`, counted under the event's lock)."""
    if EventState(state) != EventState.PUBLISHED:
        return RegistrationRefusal.EVENT_NOT_OPEN
    if now > deadline:
        return RegistrationRefusal.REGISTRATION_CLOSED
    if duplicate:
        return RegistrationRefusal.ALREADY_REGISTERED
    if taken >= capacity:
        return RegistrationRefusal.EVENT_FULL
    return None


# --- contacts ------------------------------------------------------------------------------------

# 1[3-9] then 9 digits: the mainland's mobile numbers (the 13x–19x segments of the numbering plan).
_MOBILE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-]+")


def mobile_in(raw: str) -> str | None:
    """`raw` as an 11-digit mainland mobile number, or None when it is not one. Spaces and
    hyphens are read through ("138 0013 8000"), and a leading +86 or 86 (or 0086) dropped."""
    text = _SEPARATORS.sub("", raw or "")
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix) :]
            break
    return text if _MOBILE.fullmatch(text) else None


# --- fields of expertise and tags ----------------------------------------------------------------

_IPC = re.compile(r"[A-Ha-h](?:\d{2}(?:[A-Za-z])?)?")


def field_code(raw: str) -> str:
    """A field of expertise (or a tag) as stored and matched: trimmed, inner whitespace closed
    up; an IPC section, class or subclass ("g06f") in upper case ("G06F"). "" for blank text;
    the caller refuses text longer than `MAX_FIELD_LENGTH`."""
    text = " ".join((raw or "").split())
    return text.upper() if _IPC.fullmatch(text) else text


def field_codes(raw: Iterable[str]) -> list[str]:
    """Each field once (`field_code`), in the order first given, blanks dropped."""
    codes: list[str] = []
    for item in raw:
        code = field_code(item)
        if code and code not in codes:
            codes.append(code)
    return codes
