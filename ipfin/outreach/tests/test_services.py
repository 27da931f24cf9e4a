"""The library's services on the real database: exact results, the audit trail, the
notifications of a cancellation, and — for every refused write — nothing changed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from ipfin.accounts.models import Notification, Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import (
    Conflict,
    DomainError,
    NotAuthenticated,
    PermissionDenied,
    ValidationFailed,
)
from ipfin.outreach import selectors, services
from ipfin.outreach.models import (
    Article,
    ArticleTag,
    Event,
    EventRegistration,
    Expert,
    ExpertField,
    ExpertPick,
)
from ipfin.outreach.tests.conftest import DEADLINE, NOW, STARTS

pytestmark = pytest.mark.django_db

TABLES = (Article, ArticleTag, Event, EventRegistration, Expert, ExpertField, ExpertPick)


def _state() -> tuple[Any, ...]:
    """Every row of the library and the audit trail's length: what a refusal must leave."""
    rows = tuple(sorted(map(repr, m.objects.values())) for m in TABLES)
    return (*rows, AuditRecord.objects.count(), Notification.objects.count())


@contextmanager
def refused(error: type[DomainError], code: str | None = None) -> Iterator[None]:
    """The block is refused with `error` (and `code`) and changes nothing."""
    before = _state()
    with pytest.raises(error) as exc:
        yield
    if code is not None:
        assert exc.value.code == code, (exc.value.code, exc.value.detail_en)
    assert _state() == before


# --- who may write -------------------------------------------------------------------------------


def test_only_the_office_writes_the_library(
    bank_a_user: User,
    enterprise_a_user: User,
    regulator_user: User,
    make_article: Callable[..., Article],
    make_event: Callable[..., Event],
    make_expert: Callable[..., Expert],
) -> None:
    article = make_article(publish=False)
    event = make_event(publish=False)
    expert = make_expert()
    for user in (bank_a_user, enterprise_a_user, regulator_user):
        with refused(PermissionDenied, "forbidden"):
            services.article_create(actor=user, kind="case", title="t", body="b")
        with refused(PermissionDenied):
            services.article_publish(actor=user, article=article)
        with refused(PermissionDenied):
            services.event_create(
                actor=user,
                kind="training",
                title="t",
                starts_at=STARTS,
                ends_at=STARTS,
                venue="v",
                capacity=1,
                registration_deadline=DEADLINE,
            )
        with refused(PermissionDenied):
            services.event_publish(actor=user, event=event, now=NOW)
        with refused(PermissionDenied):
            services.expert_add(actor=user, pool="expert", name="n", fields=["G"])
        with refused(PermissionDenied):
            services.expert_deactivate(actor=user, expert=expert)
        with refused(PermissionDenied):
            services.expert_pick(actor=user, field="G06F", count=1)
    with refused(NotAuthenticated):
        services.article_create(actor=AnonymousUser(), kind="case", title="t", body="b")  # type: ignore[arg-type]


# --- articles ------------------------------------------------------------------------------------


def test_an_article_is_created_as_a_draft_and_published_with_its_audit(
    office_user: User,
) -> None:
    article = services.article_create(
        actor=office_user,
        kind="guide",
        title=" 质押登记指南 ",
        summary="如何办理",
        body="第一步……",
        tags=["质押登记", "g06f", "质押登记", " "],
        region="江苏省",
    )
    article.refresh_from_db()
    assert (article.state, article.title, article.published_at) == ("draft", "质押登记指南", None)
    assert article.tags == ["质押登记", "G06F"]
    created = AuditRecord.objects.get(action="article.create")
    assert created.object_id == str(article.pk)
    assert created.after["tags"] == ["质押登记", "G06F"]
    published = services.article_publish(actor=office_user, article=article, now=NOW)
    assert (published.state, published.published_at) == ("published", NOW)
    audit = AuditRecord.objects.get(action="article.publish")
    assert (audit.before, audit.after) == ({"state": "draft"}, {"state": "published"})
    withdrawn = services.article_withdraw(actor=office_user, article=article)
    assert (withdrawn.state, withdrawn.published_at) == ("withdrawn", NOW)
    later = NOW + timedelta(days=1)
    again = services.article_publish(actor=office_user, article=article, now=later)
    assert (again.state, again.published_at) == ("published", later)


def test_an_article_refuses_what_its_state_does_not_allow(
    office_user: User, make_article: Callable[..., Article]
) -> None:
    published = make_article()
    with refused(Conflict, "illegal_transition"):
        services.article_publish(actor=office_user, article=published)
    draft = make_article(publish=False)
    with refused(Conflict, "illegal_transition"):
        services.article_withdraw(actor=office_user, article=draft)


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"title": "  "}, "title", "required"),
        ({"title": "长" * 201}, "title", "too_long"),
        ({"body": ""}, "body", "required"),
        ({"kind": "news"}, "kind", "kind_invalid"),
        ({"tags": ["x" * 51]}, "tags", "too_long"),
        ({"tags": [f"t{i}" for i in range(21)]}, "tags", "too_many"),
        ({"tags": "首贷"}, "tags", "validation_failed"),
        ({"region": "省" * 101}, "region", "too_long"),
    ],
)
def test_article_input_is_refused_naming_the_input(
    office_user: User, change: dict[str, Any], field: str, code: str
) -> None:
    data = {"kind": "case", "title": "案例", "body": "正文", **change}
    with refused(ValidationFailed, code):
        services.article_create(actor=office_user, **data)
    with pytest.raises(ValidationFailed) as exc:
        services.article_create(actor=office_user, **data)
    assert exc.value.extra["field"] == field
    assert field not in exc.value.detail_zh  # the message speaks the reader's words


# --- events --------------------------------------------------------------------------------------


def _event_input(**kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "park_roadshow",
        "title": "入园惠企路演",
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(hours=2),
        "venue": "园区",
        "capacity": 10,
        "registration_deadline": DEADLINE,
    }
    data.update(kw)
    return data


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"ends_at": STARTS - timedelta(minutes=1)}, "ends_at", "ends_before_start"),
        (
            {"registration_deadline": STARTS + timedelta(minutes=1)},
            "registration_deadline",
            "deadline_after_start",
        ),
        ({"capacity": 0}, "capacity", "capacity_invalid"),
        ({"capacity": 100_001}, "capacity", "capacity_invalid"),
        ({"capacity": True}, "capacity", "capacity_invalid"),
        ({"starts_at": STARTS.replace(tzinfo=None)}, "starts_at", "datetime_invalid"),
        ({"venue": ""}, "venue", "required"),
        ({"kind": "party"}, "kind", "kind_invalid"),
    ],
)
def test_event_input_is_refused_naming_the_input(
    office_user: User, change: dict[str, Any], field: str, code: str
) -> None:
    with refused(ValidationFailed, code):
        services.event_create(actor=office_user, **_event_input(**change))
    with pytest.raises(ValidationFailed) as exc:
        services.event_create(actor=office_user, **_event_input(**change))
    assert exc.value.extra["field"] == field


def test_an_event_ending_when_it_starts_and_closing_at_the_start_is_fine(
    office_user: User,
) -> None:
    event = services.event_create(
        actor=office_user, **_event_input(ends_at=STARTS, registration_deadline=STARTS)
    )
    assert (event.state, event.capacity) == ("draft", 10)
    assert AuditRecord.objects.get(action="event.create").after["capacity"] == 10


def test_an_event_past_its_deadline_is_not_published(
    office_user: User, make_event: Callable[..., Event]
) -> None:
    event = make_event(publish=False)
    with refused(Conflict, "registration_closed"):
        services.event_publish(actor=office_user, event=event, now=DEADLINE + timedelta(seconds=1))
    published = services.event_publish(actor=office_user, event=event, now=DEADLINE)
    assert (published.state, published.published_at) == ("published", DEADLINE)


def test_a_cancelled_event_tells_each_registered_organisation_once(
    office_user: User,
    bank_a_user: User,
    enterprise_a_user: User,
    make_event: Callable[..., Event],
) -> None:
    event = make_event()
    for name in ("甲", "乙"):
        services.event_register(
            actor=enterprise_a_user, event=event, attendee_name=name, phone="13800138000", now=NOW
        )
    services.event_register(
        actor=bank_a_user, event=event, attendee_name="丙", phone="13800138001", now=NOW
    )
    cancelled = services.event_cancel(actor=office_user, event=event, reason="场地调整")
    assert cancelled.state == "cancelled" and cancelled.cancelled_at is not None
    told = Notification.objects.filter(verb="event.cancelled")
    assert sorted(told.values_list("organisation_id", flat=True)) == sorted(
        [bank_a_user.organisation_id, enterprise_a_user.organisation_id]
    )
    assert all("场地调整" in n.message_zh for n in told)
    assert AuditRecord.objects.get(action="event.cancel").after == {
        "state": "cancelled",
        "reason": "场地调整",
    }
    with refused(Conflict, "illegal_transition"):
        services.event_cancel(actor=office_user, event=event)


# --- registration --------------------------------------------------------------------------------


def test_an_organisation_registers_its_attendee(
    enterprise_a_user: User, enterprise_a: Organisation, make_event: Callable[..., Event]
) -> None:
    event = make_event()
    row = services.event_register(
        actor=enterprise_a_user,
        event=event,
        attendee_name=" 周总 ",
        phone="+86 138-0013-8000",
        now=NOW,
    )
    row.refresh_from_db()
    assert (row.event_id, row.organisation_id, row.attendee_name, row.phone) == (
        event.pk,
        enterprise_a.pk,
        "周总",
        "13800138000",
    )
    assert (row.registered_at, row.registered_by_id, row.attended) == (
        NOW,
        enterprise_a_user.pk,
        False,
    )
    audit = AuditRecord.objects.get(action="event.register")
    assert audit.after == {
        "event": event.pk,
        "organisation": enterprise_a.pk,
        "attendee_name": "周总",
    }
    assert "13800138000" not in str(audit.after)


def test_banks_parks_and_the_office_register_too(
    bank_a_user: User, office_user: User, make_event: Callable[..., Event]
) -> None:
    event = make_event()
    for user in (bank_a_user, office_user):
        services.event_register(
            actor=user, event=event, attendee_name="张三", phone="13800138000", now=NOW
        )
    assert EventRegistration.objects.filter(event=event).count() == 2


def test_registration_closes_after_the_deadline_itself(
    enterprise_a_user: User, make_event: Callable[..., Event]
) -> None:
    event = make_event()
    with refused(Conflict, "registration_closed"):
        services.event_register(
            actor=enterprise_a_user,
            event=event,
            attendee_name="晚到",
            phone="13800138000",
            now=DEADLINE + timedelta(seconds=1),
        )
    services.event_register(
        actor=enterprise_a_user,
        event=event,
        attendee_name="准时",
        phone="13800138000",
        now=DEADLINE,
    )


def test_not_twice_for_the_same_attendee_of_the_organisation(
    enterprise_a_user: User, bank_a_user: User, make_event: Callable[..., Event]
) -> None:
    event = make_event()
    services.event_register(
        actor=enterprise_a_user, event=event, attendee_name="周总", phone="13800138000", now=NOW
    )
    with refused(Conflict, "already_registered"):
        services.event_register(
            actor=enterprise_a_user,
            event=event,
            attendee_name="周总",
            phone="13900139000",
            now=NOW,
        )
    # Another organisation's attendee of the same name is another person.
    services.event_register(
        actor=bank_a_user, event=event, attendee_name="周总", phone="13800138000", now=NOW
    )


def test_not_over_the_capacity(
    enterprise_a_user: User, bank_a_user: User, make_event: Callable[..., Event]
) -> None:
    event = make_event(capacity=2)
    for name in ("一", "二"):
        services.event_register(
            actor=enterprise_a_user, event=event, attendee_name=name, phone="13800138000", now=NOW
        )
    with refused(Conflict, "event_full"):
        services.event_register(
            actor=bank_a_user, event=event, attendee_name="三", phone="13800138000", now=NOW
        )
    with pytest.raises(Conflict) as exc:
        services.event_register(
            actor=bank_a_user, event=event, attendee_name="三", phone="13800138000", now=NOW
        )
    assert (exc.value.extra["capacity"], exc.value.extra["taken"]) == (2, 2)


def test_not_for_a_draft_or_a_cancelled_event(
    office_user: User, enterprise_a_user: User, make_event: Callable[..., Event]
) -> None:
    draft = make_event(publish=False)
    with refused(Conflict, "event_not_open"):
        services.event_register(
            actor=enterprise_a_user, event=draft, attendee_name="甲", phone="13800138000", now=NOW
        )
    published = make_event()
    services.event_cancel(actor=office_user, event=published)
    with refused(Conflict, "event_not_open"):
        services.event_register(
            actor=enterprise_a_user,
            event=published,
            attendee_name="甲",
            phone="13800138000",
            now=NOW,
        )


def test_registration_input_and_who_may_register(
    enterprise_a_user: User, make_user: Callable[..., User], make_event: Callable[..., Event]
) -> None:
    event = make_event()
    for phone in ("12345678901", "010-12345678", ""):
        with refused(ValidationFailed, "phone_invalid"):
            services.event_register(
                actor=enterprise_a_user, event=event, attendee_name="甲", phone=phone, now=NOW
            )
    with refused(ValidationFailed, "required"):
        services.event_register(
            actor=enterprise_a_user, event=event, attendee_name=" ", phone="13800138000", now=NOW
        )
    loner = make_user("loner", None)
    with refused(PermissionDenied, "no_organisation"):
        services.event_register(
            actor=loner,
            event=event,
            attendee_name="甲",
            phone="13800138000",
            now=NOW,
        )
    with refused(NotAuthenticated):
        services.event_register(
            actor=AnonymousUser(),  # type: ignore[arg-type]
            event=event,
            attendee_name="甲",
            phone="13800138000",
            now=NOW,
        )


def test_the_office_checks_an_attendee_in_once(
    office_user: User,
    enterprise_a_user: User,
    bank_a_user: User,
    make_event: Callable[..., Event],
) -> None:
    event = make_event()
    row = services.event_register(
        actor=enterprise_a_user, event=event, attendee_name="甲", phone="13800138000", now=NOW
    )
    with refused(PermissionDenied):
        services.registration_check_in(actor=bank_a_user, registration=row)
    at = STARTS + timedelta(minutes=5)
    done = services.registration_check_in(actor=office_user, registration=row, now=at)
    assert (done.attended, done.checked_in_at) == (True, at)
    assert AuditRecord.objects.get(action="event.check_in").after["attended"] is True
    with refused(Conflict, "already_checked_in"):
        services.registration_check_in(actor=office_user, registration=row)
    other = services.event_register(
        actor=bank_a_user, event=event, attendee_name="乙", phone="13800138000", now=NOW
    )
    services.event_cancel(actor=office_user, event=event)
    with refused(Conflict, "event_not_open"):
        services.registration_check_in(actor=office_user, registration=other)


# --- the pools -----------------------------------------------------------------------------------


def test_an_expert_enters_is_updated_and_leaves_the_pool(office_user: User) -> None:
    expert = services.expert_add(
        actor=office_user,
        pool="expert",
        name="李敏",
        fields=["h01l", "集成电路", "H01L"],
        organisation_name="评估研究会",
        title="资产评估师",
        phone="138 0013 8002",
        email="li.min@example.com",
        bio="二十年评估经验",
    )
    expert.refresh_from_db()
    assert expert.fields_of_expertise == ["H01L", "集成电路"]
    assert (expert.phone, expert.email, expert.active) == (
        "13800138002",
        "li.min@example.com",
        True,
    )
    added = AuditRecord.objects.get(action="expert.add")
    assert added.after["fields"] == ["H01L", "集成电路"]
    assert "13800138002" not in str(added.after) and "li.min" not in str(added.after)
    updated = services.expert_update(
        actor=office_user,
        expert=expert,
        pool="talent",
        name="李敏",
        fields=["G06F"],
        phone="",
        email="",
    )
    updated.refresh_from_db()
    assert (updated.pool, updated.fields_of_expertise, updated.phone, updated.bio) == (
        "talent",
        ["G06F"],
        "",
        "",
    )
    audit = AuditRecord.objects.get(action="expert.update")
    assert (audit.before["fields"], audit.after["fields"]) == (["H01L", "集成电路"], ["G06F"])
    gone = services.expert_deactivate(actor=office_user, expert=expert)
    assert gone.active is False
    with refused(Conflict, "expert_inactive"):
        services.expert_deactivate(actor=office_user, expert=expert)


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"fields": []}, "fields", "required"),
        ({"fields": ["", " "]}, "fields", "required"),
        ({"phone": "12345"}, "phone", "phone_invalid"),
        ({"email": "not-an-address"}, "email", "email_invalid"),
        ({"pool": "board"}, "pool", "pool_invalid"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_expert_input_is_refused_naming_the_input(
    office_user: User,
    make_expert: Callable[..., Expert],
    change: dict[str, Any],
    field: str,
    code: str,
) -> None:
    data = {"pool": "expert", "name": "王", "fields": ["G06F"], **change}
    with refused(ValidationFailed, code):
        services.expert_add(actor=office_user, **data)
    expert = make_expert()
    with refused(ValidationFailed, code):
        services.expert_update(actor=office_user, expert=expert, **data)
    with pytest.raises(ValidationFailed) as exc:
        services.expert_add(actor=office_user, **data)
    assert exc.value.extra["field"] == field


def test_the_public_reads_active_experts_the_office_every_one(
    office_user: User, make_expert: Callable[..., Expert], bank_a_user: User
) -> None:
    active = make_expert("甲")
    gone = make_expert("乙")
    services.expert_deactivate(actor=office_user, expert=gone)
    assert [x.pk for x in selectors.expert_list(actor=AnonymousUser())] == [active.pk]
    assert {x.pk for x in selectors.expert_list(actor=office_user, include_inactive=True)} == {
        active.pk,
        gone.pk,
    }
    with pytest.raises(PermissionDenied):
        selectors.expert_list(actor=bank_a_user, include_inactive=True)
    assert selectors.expert_get(actor=office_user, pk=gone.pk) == gone
    with pytest.raises(DomainError) as exc:
        selectors.expert_get(actor=bank_a_user, pk=gone.pk)
    assert exc.value.status == 404
