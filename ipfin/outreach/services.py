"""Writes of the outreach library (宣传与服务资源库).

The IP office (`Perm.OUTREACH_PUBLISH`) writes the library: articles (`article_create` as a
draft, `article_publish`, `article_withdraw`), events (`event_create` as a draft,
`event_publish`, `event_cancel`, `registration_check_in`) and the expert and talent pools
(`expert_add`, `expert_update`, `expert_deactivate`, `expert_pick`). Any logged-in user of an
organisation — an enterprise, a bank, a park, the office itself — registers its attendees for a
published event (`event_register`).

Each service checks the permission, validates (a 422 naming the input, in words a reader
knows), locks the row it changes, applies `ipfin.outreach.domain`'s rules (a refused transition
is a 409 `illegal_transition`), saves and appends the audit record, all in one transaction: a
refused action changes nothing.

- A registration is counted under the event's row lock (`select_for_update`), so that
  concurrent registrations never pass the capacity; the database's unique constraint on (event,
  organisation, attendee) backs the duplicate check.
- `expert_pick(field, count)`: the active experts of the expert pool (专家库) whose fields
  include `field`, the least recently picked first (never picked before anyone; then by their
  number); each pick is recorded (`ExpertPick`, `last_picked_at`, `pick_count`), so that the
  next pick for the same field takes the others first. The candidates are locked first, so
  two picks at once take turns rather than the same experts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.accounts.permissions import Perm, acting_organisation, require, require_login
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, invalid
from ipfin.common.workflow import IllegalTransition, transition_conflict
from ipfin.outreach.domain import (
    MAX_FIELD_LENGTH,
    MAX_FIELDS,
    MAX_PICK,
    ArticleAction,
    ArticleKind,
    EventAction,
    EventKind,
    EventState,
    ExpertPool,
    RegistrationRefusal,
    article_next_state,
    event_next_state,
    field_code,
    field_codes,
    mobile_in,
    registration_refusal,
)
from ipfin.outreach.models import (
    Article,
    ArticleTag,
    Event,
    EventRegistration,
    Expert,
    ExpertField,
    ExpertPick,
)

__all__ = [
    "MAX_CAPACITY",
    "article_create",
    "article_publish",
    "article_withdraw",
    "event_cancel",
    "event_create",
    "event_publish",
    "event_register",
    "expert_add",
    "expert_deactivate",
    "expert_pick",
    "expert_update",
    "registration_check_in",
]

MAX_CAPACITY = 100_000
MAX_BODY = 50_000

# What each refused registration says (409), and the input it is about, if any.
_REFUSALS: dict[RegistrationRefusal, tuple[str, str, str | None]] = {
    RegistrationRefusal.EVENT_NOT_OPEN: (
        "该活动未开放报名。",
        "The event is not open for registration.",
        None,
    ),
    RegistrationRefusal.REGISTRATION_CLOSED: (
        "报名已截止。",
        "Registration has closed.",
        None,
    ),
    RegistrationRefusal.ALREADY_REGISTERED: (
        "本机构已为该参会人报名，无需重复报名。",
        "This attendee of your organisation is already registered.",
        "attendee_name",
    ),
    RegistrationRefusal.EVENT_FULL: (
        "名额已满。",
        "The event is full.",
        None,
    ),
}


# --- input ---------------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def _text(
    raw: Any, field: str, zh: str, en: str, *, max_length: int, required: bool = False
) -> str:
    """`raw` as trimmed text: a 422 naming `field` (its words `zh` / `en` in the message) when
    required and blank, or longer than `max_length` characters."""
    text = "" if raw is None else str(raw).strip()
    if required and not text:
        raise invalid(field, "required", f"请填写{zh}。", f"Enter the {en}.")
    if len(text) > max_length:
        raise invalid(
            field,
            "too_long",
            f"{zh}不能超过 {max_length} 个字符。",
            f"The {en} may be at most {max_length} characters.",
            max_length=max_length,
        )
    return text


def _choice(raw: Any, field: str, allowed: type[ArticleKind | EventKind | ExpertPool]) -> str:
    values = [member.value for member in allowed]
    if raw not in values:
        raise invalid(
            field,
            f"{field}_invalid",
            f"类型无效（可选：{'、'.join(values)}）。",
            f"Invalid {field} (allowed: {', '.join(values)}).",
            allowed=values,
        )
    return str(raw)


def _codes(raw: Sequence[str] | None, field: str, zh: str, en: str, *, required: bool) -> list[str]:
    """A list of tags or fields of expertise, each once as `field_code` writes it."""
    if raw is None:
        raw = []
    if isinstance(raw, str) or not isinstance(raw, list | tuple):
        raise invalid(field, "validation_failed", f"{zh}应为列表。", f"The {en} must be a list.")
    codes = field_codes(str(item) for item in raw)
    if required and not codes:
        raise invalid(field, "required", f"请至少填写一项{zh}。", f"Enter at least one {en}.")
    if len(codes) > MAX_FIELDS:
        raise invalid(
            field,
            "too_many",
            f"{zh}最多 {MAX_FIELDS} 项。",
            f"At most {MAX_FIELDS} {en}.",
            max_items=MAX_FIELDS,
        )
    for code in codes:
        if len(code) > MAX_FIELD_LENGTH:
            raise invalid(
                field,
                "too_long",
                f"{zh}的每一项不能超过 {MAX_FIELD_LENGTH} 个字符。",
                f"Each of the {en} may be at most {MAX_FIELD_LENGTH} characters.",
                max_length=MAX_FIELD_LENGTH,
            )
    return codes


def _instant(raw: Any, field: str, zh: str, en: str) -> datetime:
    if not isinstance(raw, datetime) or raw.tzinfo is None:
        raise invalid(
            field,
            "datetime_invalid",
            f"{zh}应为带时区的日期时间。",
            f"The {en} must be a date and time with its time zone.",
        )
    return raw


def _mobile(raw: Any, field: str, *, required: bool) -> str:
    text = "" if raw is None else str(raw).strip()
    if not text and not required:
        return ""
    phone = mobile_in(text)
    if phone is None:
        raise invalid(
            field,
            "phone_invalid",
            "请填写 11 位手机号码（如 13800138000）。",
            "Enter an 11-digit mainland mobile number (e.g. 13800138000).",
        )
    return phone


def _email(raw: Any) -> str:
    text = _text(raw, "email", "电子邮箱", "email address", max_length=254)
    if text:
        try:
            validate_email(text)
        except DjangoValidationError:
            raise invalid(
                "email",
                "email_invalid",
                "电子邮箱格式不正确。",
                "Enter a valid email address.",
            ) from None
    return text


def _transition(next_state: Any, state: str | None, action: str) -> str:
    try:
        return str(next_state(state, action))
    except IllegalTransition as exc:
        raise transition_conflict(exc) from exc


# --- articles ------------------------------------------------------------------------------------


def _article_fields(article: Article, tags: Sequence[str]) -> dict[str, Any]:
    return {
        "kind": article.kind,
        "title": article.title,
        "region": article.region,
        "tags": list(tags),
        "state": article.state,
    }


def article_create(
    *,
    actor: User,
    kind: str,
    title: str,
    body: str,
    summary: str = "",
    tags: Sequence[str] | None = None,
    region: str = "",
) -> Article:
    """A case or a guide, as a draft of the office (published by `article_publish`)."""
    user = require(actor, Perm.OUTREACH_PUBLISH)
    article = Article(
        kind=_choice(kind, "kind", ArticleKind),
        title=_text(title, "title", "标题", "title", max_length=200, required=True),
        summary=_text(summary, "summary", "摘要", "summary", max_length=2000),
        body=_text(body, "body", "正文", "body", max_length=MAX_BODY, required=True),
        region=_text(region, "region", "地区", "region", max_length=100),
        state=_transition(article_next_state, None, ArticleAction.CREATE),
        created_by=user,
    )
    clean_tags = _codes(tags, "tags", "标签", "tags", required=False)
    with transaction.atomic():
        article.save()
        ArticleTag.objects.bulk_create([ArticleTag(article=article, tag=t) for t in clean_tags])
        audit_record(
            actor=user,
            action="article.create",
            obj=article,
            after=_article_fields(article, clean_tags),
        )
    return article


def _article_step(
    actor: User, article: Article, action: ArticleAction, now: datetime | None
) -> Article:
    user = require(actor, Perm.OUTREACH_PUBLISH)
    # Spelled out, so that the audit labels' scan (audit/tests/test_labels.py) reads both codes.
    audit = "article.publish" if action == ArticleAction.PUBLISH else "article.withdraw"
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        before = locked.state
        locked.state = _transition(article_next_state, before, action)
        fields = ["state"]
        if action == ArticleAction.PUBLISH:
            locked.published_at = _now(now)
            fields.append("published_at")
        locked.save(update_fields=fields)
        audit_record(
            actor=user,
            action=audit,
            obj=locked,
            before={"state": before},
            after={"state": locked.state},
        )
    return locked


def article_publish(*, actor: User, article: Article, now: datetime | None = None) -> Article:
    """Publish a draft (or a withdrawn article again): it is public from now."""
    return _article_step(actor, article, ArticleAction.PUBLISH, now)


def article_withdraw(*, actor: User, article: Article) -> Article:
    """Take a published article off the public site (it keeps its last publication time)."""
    return _article_step(actor, article, ArticleAction.WITHDRAW, None)


# --- events --------------------------------------------------------------------------------------


def event_create(
    *,
    actor: User,
    kind: str,
    title: str,
    starts_at: Any,
    ends_at: Any,
    venue: str,
    capacity: Any,
    registration_deadline: Any,
    description: str = "",
) -> Event:
    """An event as a draft of the office: it ends no earlier than it starts, registration closes
    no later than it starts, between 1 and `MAX_CAPACITY` places."""
    user = require(actor, Perm.OUTREACH_PUBLISH)
    starts = _instant(starts_at, "starts_at", "开始时间", "start")
    ends = _instant(ends_at, "ends_at", "结束时间", "end")
    deadline = _instant(
        registration_deadline, "registration_deadline", "报名截止时间", "registration deadline"
    )
    if ends < starts:
        raise invalid(
            "ends_at",
            "ends_before_start",
            "结束时间不能早于开始时间。",
            "The event cannot end before it starts.",
        )
    if deadline > starts:
        raise invalid(
            "registration_deadline",
            "deadline_after_start",
            "报名截止时间不能晚于活动开始时间。",
            "Registration must close no later than the event starts.",
        )
    if (
        isinstance(capacity, bool)
        or not isinstance(capacity, int)
        or not 1 <= capacity <= MAX_CAPACITY
    ):
        raise invalid(
            "capacity",
            "capacity_invalid",
            f"名额应为 1 至 {MAX_CAPACITY:,} 之间的整数。",
            f"The capacity must be a whole number from 1 to {MAX_CAPACITY:,}.",
        )
    event = Event(
        kind=_choice(kind, "kind", EventKind),
        title=_text(title, "title", "活动名称", "title", max_length=200, required=True),
        description=_text(
            description, "description", "活动介绍", "description", max_length=MAX_BODY
        ),
        venue=_text(venue, "venue", "地点", "venue", max_length=200, required=True),
        starts_at=starts,
        ends_at=ends,
        registration_deadline=deadline,
        capacity=capacity,
        state=_transition(event_next_state, None, EventAction.CREATE),
        created_by=user,
    )
    with transaction.atomic():
        event.save()
        audit_record(
            actor=user,
            action="event.create",
            obj=event,
            after={
                "kind": event.kind,
                "title": event.title,
                "starts_at": starts.isoformat(),
                "ends_at": ends.isoformat(),
                "registration_deadline": deadline.isoformat(),
                "venue": event.venue,
                "capacity": capacity,
            },
        )
    return event


def event_publish(*, actor: User, event: Event, now: datetime | None = None) -> Event:
    """Open a draft event for registration. An event whose registration deadline has passed is
    not published (409 `registration_closed`): nobody could register."""
    user = require(actor, Perm.OUTREACH_PUBLISH)
    at = _now(now)
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        state = _transition(event_next_state, locked.state, EventAction.PUBLISH)
        if at > locked.registration_deadline:
            raise Conflict(
                "报名截止时间已过，活动不能发布；请先修改活动时间。",
                "The registration deadline has passed: the event cannot be published.",
                code=RegistrationRefusal.REGISTRATION_CLOSED.value,
            )
        before = locked.state
        locked.state, locked.published_at = state, at
        locked.save(update_fields=["state", "published_at"])
        audit_record(
            actor=user,
            action="event.publish",
            obj=locked,
            before={"state": before},
            after={"state": state},
        )
    return locked


def event_cancel(
    *, actor: User, event: Event, reason: str = "", now: datetime | None = None
) -> Event:
    """Cancel an event (a draft, or a published one: each registered organisation is told)."""
    user = require(actor, Perm.OUTREACH_PUBLISH)
    why = _text(reason, "reason", "取消原因", "reason", max_length=500)
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        before = locked.state
        locked.state = _transition(event_next_state, before, EventAction.CANCEL)
        locked.cancelled_at = _now(now)
        locked.save(update_fields=["state", "cancelled_at"])
        audit_record(
            actor=user,
            action="event.cancel",
            obj=locked,
            before={"state": before},
            after={"state": locked.state, "reason": why},
        )
        registered = locked.registrations.order_by("organisation_id").values_list(
            "organisation_id", flat=True
        )
        notify_orgs(
            registered,
            locked,
            "event.cancelled",
            f"活动“{locked.title}”已取消。{why}",
            f"The event “{locked.title}” has been cancelled. {why}".strip(),
        )
    return locked


def event_register(
    *,
    actor: User,
    event: Event,
    attendee_name: str,
    phone: str,
    now: datetime | None = None,
) -> EventRegistration:
    """Register one attendee of the actor's organisation for a published event: up to its
    registration deadline (inclusive), once per attendee and organisation, within the capacity.
    The capacity is counted under the event's row lock: concurrent registrations take turns."""
    user = require_login(actor)
    org = acting_organisation(user)
    name = _text(
        attendee_name,
        "attendee_name",
        "参会人姓名",
        "attendee's name",
        max_length=50,
        required=True,
    )
    mobile = _mobile(phone, "phone", required=True)
    at = _now(now)
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        taken = EventRegistration.objects.filter(event=locked).count()
        duplicate = EventRegistration.objects.filter(
            event=locked, organisation=org, attendee_name=name
        ).exists()
        refusal = registration_refusal(
            state=locked.state,
            deadline=locked.registration_deadline,
            now=at,
            taken=taken,
            capacity=locked.capacity,
            duplicate=duplicate,
        )
        if refusal is not None:
            zh, en, field = _REFUSALS[refusal]
            extra: dict[str, Any] = {"capacity": locked.capacity, "taken": taken}
            if field is not None:
                extra["field"] = field
            raise Conflict(zh, en, code=refusal.value, extra=extra)
        try:
            with transaction.atomic():
                row = EventRegistration.objects.create(
                    event=locked,
                    organisation=org,
                    attendee_name=name,
                    phone=mobile,
                    registered_at=at,
                    registered_by=user,
                )
        except IntegrityError:  # the unique constraint: the duplicate check's backstop
            zh, en, field = _REFUSALS[RegistrationRefusal.ALREADY_REGISTERED]
            raise Conflict(
                zh, en, code=RegistrationRefusal.ALREADY_REGISTERED.value, extra={"field": field}
            ) from None
        audit_record(
            actor=user,
            action="event.register",
            obj=row,
            after={"event": locked.pk, "organisation": org.pk, "attendee_name": name},
        )
    return row


def registration_check_in(
    *, actor: User, registration: EventRegistration, now: datetime | None = None
) -> EventRegistration:
    """The office records that a registered attendee came (签到): once; not for a cancelled
    event."""
    user = require(actor, Perm.OUTREACH_PUBLISH)
    at = _now(now)
    with transaction.atomic():
        locked = (
            EventRegistration.objects.select_for_update()
            .select_related("event")
            .get(pk=registration.pk)
        )
        if locked.event.state != EventState.PUBLISHED:
            raise Conflict(
                "活动未在进行，不能签到。",
                "Attendance is recorded for a published event only.",
                code=RegistrationRefusal.EVENT_NOT_OPEN.value,
            )
        if locked.attended:
            raise Conflict(
                "该参会人已签到。",
                "This attendee has already checked in.",
                code="already_checked_in",
            )
        locked.attended, locked.checked_in_at = True, at
        locked.save(update_fields=["attended", "checked_in_at"])
        audit_record(
            actor=user,
            action="event.check_in",
            obj=locked,
            before={"attended": False},
            after={"attended": True, "checked_in_at": at.isoformat()},
        )
    return locked


# --- the expert and talent pools ------------------------------------------------------------------


def _expert_values(
    *,
    pool: Any,
    name: Any,
    fields: Sequence[str] | None,
    organisation_name: Any,
    title: Any,
    phone: Any,
    email: Any,
    bio: Any,
) -> tuple[dict[str, Any], list[str]]:
    values = {
        "pool": _choice(pool, "pool", ExpertPool),
        "name": _text(name, "name", "姓名", "name", max_length=50, required=True),
        "organisation_name": _text(
            organisation_name, "organisation_name", "工作单位", "workplace", max_length=200
        ),
        "title": _text(title, "title", "职称/职务", "title", max_length=100),
        "phone": _mobile(phone, "phone", required=False),
        "email": _email(email),
        "bio": _text(bio, "bio", "简介", "biography", max_length=5000),
    }
    codes = _codes(fields, "fields", "专业领域", "fields of expertise", required=True)
    return values, codes


def _audited(expert: Expert, codes: Sequence[str]) -> dict[str, Any]:
    # The contacts are not copied into the trail: it keeps who changed the record, not the
    # expert's phone number.
    return {
        "pool": expert.pool,
        "name": expert.name,
        "organisation_name": expert.organisation_name,
        "title": expert.title,
        "fields": list(codes),
        "active": expert.active,
    }


def expert_add(
    *,
    actor: User,
    pool: str,
    name: str,
    fields: Sequence[str],
    organisation_name: str = "",
    title: str = "",
    phone: str = "",
    email: str = "",
    bio: str = "",
) -> Expert:
    """Enter an expert (专家库) or a talent (人才库) with at least one field of expertise."""
    user = require(actor, Perm.OUTREACH_PUBLISH)
    values, codes = _expert_values(
        pool=pool,
        name=name,
        fields=fields,
        organisation_name=organisation_name,
        title=title,
        phone=phone,
        email=email,
        bio=bio,
    )
    with transaction.atomic():
        expert = Expert.objects.create(created_by=user, **values)
        ExpertField.objects.bulk_create([ExpertField(expert=expert, code=c) for c in codes])
        audit_record(actor=user, action="expert.add", obj=expert, after=_audited(expert, codes))
    return expert


def expert_update(
    *,
    actor: User,
    expert: Expert,
    pool: str,
    name: str,
    fields: Sequence[str],
    organisation_name: str = "",
    title: str = "",
    phone: str = "",
    email: str = "",
    bio: str = "",
) -> Expert:
    """Replace an expert's record (every input as `expert_add` takes it); the picks stay."""
    user = require(actor, Perm.OUTREACH_PUBLISH)
    values, codes = _expert_values(
        pool=pool,
        name=name,
        fields=fields,
        organisation_name=organisation_name,
        title=title,
        phone=phone,
        email=email,
        bio=bio,
    )
    with transaction.atomic():
        locked = Expert.objects.select_for_update().get(pk=expert.pk)
        before = _audited(locked, list(locked.field_rows.values_list("code", flat=True)))
        for key, value in values.items():
            setattr(locked, key, value)
        locked.save(update_fields=list(values))
        locked.field_rows.all().delete()
        ExpertField.objects.bulk_create([ExpertField(expert=locked, code=c) for c in codes])
        audit_record(
            actor=user,
            action="expert.update",
            obj=locked,
            before=before,
            after=_audited(locked, codes),
        )
    return locked


def expert_deactivate(*, actor: User, expert: Expert) -> Expert:
    """Take an expert out of the pools (no longer listed, never picked); the picks stay."""
    user = require(actor, Perm.OUTREACH_PUBLISH)
    with transaction.atomic():
        locked = Expert.objects.select_for_update().get(pk=expert.pk)
        if not locked.active:
            raise Conflict(
                "该专家已出库。", "The expert is already inactive.", code="expert_inactive"
            )
        locked.active = False
        locked.save(update_fields=["active"])
        audit_record(
            actor=user,
            action="expert.deactivate",
            obj=locked,
            before={"active": True},
            after={"active": False},
        )
    return locked


def expert_pick(
    *,
    actor: User,
    field: str,
    count: Any,
    purpose: str = "",
    now: datetime | None = None,
) -> list[Expert]:
    """Pick `count` active experts of the expert pool whose fields include `field`, the least
    recently picked first (the never picked before all, then by number), and record the pick.
    Fewer candidates than `count` is a 422 `not_enough_experts` (with `available`): a review
    panel is not quietly smaller than asked."""
    user = require(actor, Perm.OUTREACH_PUBLISH)
    code = field_code(
        _text(
            field,
            "field",
            "专业领域",
            "field of expertise",
            max_length=MAX_FIELD_LENGTH,
            required=True,
        )
    )
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_PICK:
        raise invalid(
            "count",
            "count_invalid",
            f"抽取人数应为 1 至 {MAX_PICK} 之间的整数。",
            f"The number of experts must be a whole number from 1 to {MAX_PICK}.",
        )
    why = _text(purpose, "purpose", "用途", "purpose", max_length=200)
    at = _now(now)
    with transaction.atomic():
        candidates = Expert.objects.filter(
            active=True,
            pool=ExpertPool.EXPERT,
            pk__in=ExpertField.objects.filter(code=code).values("expert_id"),
        )
        # Lock every candidate (in one order: no deadlock between two picks) before reading who
        # was picked last, so that a pick running at the same time waits and then sees this one.
        locked = list(candidates.select_for_update().order_by("pk").values_list("pk", flat=True))
        if len(locked) < count:
            raise invalid(
                "count",
                "not_enough_experts",
                f"专业领域“{code}”在库专家只有 {len(locked)} 名，不足 {count} 名。",
                f"Only {len(locked)} active experts in the field {code!r}, fewer than {count}.",
                available=len(locked),
            )
        picked = list(
            Expert.objects.filter(pk__in=locked)
            .prefetch_related("field_rows")
            .order_by(F("last_picked_at").asc(nulls_first=True), "pk")[:count]
        )
        ids = [expert.pk for expert in picked]
        Expert.objects.filter(pk__in=ids).update(last_picked_at=at, pick_count=F("pick_count") + 1)
        rows = ExpertPick.objects.bulk_create(
            [
                ExpertPick(expert=expert, field=code, purpose=why, picked_at=at, picked_by=user)
                for expert in picked
            ]
        )
        audit_record(
            actor=user,
            action="expert.pick",
            obj=rows[0],
            after={"field": code, "count": count, "purpose": why, "experts": ids},
        )
    for expert in picked:
        expert.last_picked_at = at
        expert.pick_count += 1
    return picked
