"""The library's pure rules: the article and event life cycles, when a registration is taken,
the mobile number, the masked contacts and the fields of expertise. No database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.common.masking import mask_email, mask_phone
from ipfin.common.workflow import IllegalTransition
from ipfin.outreach.domain import (
    ARTICLE_TRANSITIONS,
    ArticleAction,
    ArticleState,
    EventAction,
    EventState,
    RegistrationRefusal,
    article_next_state,
    event_next_state,
    field_code,
    field_codes,
    mobile_in,
    registration_refusal,
)

DEADLINE = datetime(2026, 5, 20, 18, 0, tzinfo=UTC)


def test_an_article_is_drafted_published_withdrawn_and_published_again() -> None:
    state = article_next_state(None, ArticleAction.CREATE)
    assert state == ArticleState.DRAFT
    state = article_next_state(state, ArticleAction.PUBLISH)
    assert state == ArticleState.PUBLISHED
    state = article_next_state(state, ArticleAction.WITHDRAW)
    assert state == ArticleState.WITHDRAWN
    assert article_next_state(state, ArticleAction.PUBLISH) == ArticleState.PUBLISHED


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (ArticleState.PUBLISHED, ArticleAction.PUBLISH),
        (ArticleState.DRAFT, ArticleAction.WITHDRAW),
        (ArticleState.WITHDRAWN, ArticleAction.WITHDRAW),
    ],
)
def test_an_article_refuses_what_its_state_does_not_allow(
    state: ArticleState, action: ArticleAction
) -> None:
    with pytest.raises(IllegalTransition) as exc:
        article_next_state(state, action)
    assert "文章当前状态" in exc.value.message_zh
    assert (state, action) not in ARTICLE_TRANSITIONS


def test_an_event_is_published_or_cancelled_and_a_cancelled_one_stays_so() -> None:
    draft = event_next_state(None, EventAction.CREATE)
    assert event_next_state(draft, EventAction.PUBLISH) == EventState.PUBLISHED
    assert event_next_state(draft, EventAction.CANCEL) == EventState.CANCELLED
    assert event_next_state(EventState.PUBLISHED, EventAction.CANCEL) == EventState.CANCELLED
    for action in (EventAction.PUBLISH, EventAction.CANCEL):
        with pytest.raises(IllegalTransition):
            event_next_state(EventState.CANCELLED, action)
    with pytest.raises(IllegalTransition):
        event_next_state(EventState.PUBLISHED, EventAction.PUBLISH)


def _refusal(**kw: object) -> RegistrationRefusal | None:
    args: dict[str, object] = {
        "state": EventState.PUBLISHED,
        "deadline": DEADLINE,
        "now": DEADLINE - timedelta(hours=1),
        "taken": 0,
        "capacity": 2,
        "duplicate": False,
    }
    args.update(kw)
    return registration_refusal(**args)  # type: ignore[arg-type]


def test_a_registration_is_taken_up_to_the_deadline_itself() -> None:
    assert _refusal() is None
    assert _refusal(now=DEADLINE) is None  # the deadline still admits
    assert _refusal(now=DEADLINE + timedelta(microseconds=1)) == "registration_closed"


def test_the_last_place_is_taken_then_the_event_is_full() -> None:
    assert _refusal(taken=1, capacity=2) is None
    assert _refusal(taken=2, capacity=2) == RegistrationRefusal.EVENT_FULL


def test_refusals_in_their_order_not_open_closed_duplicate_full() -> None:
    everything = {
        "state": EventState.CANCELLED,
        "now": DEADLINE + timedelta(days=1),
        "duplicate": True,
        "taken": 2,
    }
    assert _refusal(**everything) == RegistrationRefusal.EVENT_NOT_OPEN
    assert _refusal(**{**everything, "state": "published"}) == "registration_closed"
    assert _refusal(**{**everything, "state": "published", "now": DEADLINE}) == (
        "already_registered"
    )
    assert _refusal(taken=2) == RegistrationRefusal.EVENT_FULL
    assert _refusal(state=EventState.DRAFT) == RegistrationRefusal.EVENT_NOT_OPEN


@given(
    taken=st.integers(min_value=0, max_value=500),
    capacity=st.integers(min_value=1, max_value=500),
    minutes=st.integers(min_value=-10_000, max_value=10_000),
)
def test_a_registration_is_taken_exactly_with_a_place_left_before_the_deadline(
    taken: int, capacity: int, minutes: int
) -> None:
    now = DEADLINE + timedelta(minutes=minutes)
    taken_ok = _refusal(taken=taken, capacity=capacity, now=now) is None
    assert taken_ok == (taken < capacity and now <= DEADLINE)


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("19912345678", "19912345678"),
        ("12800138000", None),  # no 12x segment
        ("1380013800", None),  # ten digits
        ("138001380001", None),  # twelve
        ("010-12345678", None),  # a landline
        ("1380013800a", None),
        ("", None),
    ],
)
def test_a_mainland_mobile_number(raw: str, phone: str | None) -> None:
    assert mobile_in(raw) == phone


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_every_mobile_number_reads_as_itself_and_masks_to_three_and_four(number: str) -> None:
    assert mobile_in(number) == number
    masked = mask_phone(number)
    assert masked == number[:3] + "****" + number[-4:]
    assert len(masked) == len(number)


def test_masked_contacts() -> None:
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("") == ""
    assert mask_phone("12345") == "*2345"
    assert mask_phone("123") == "***"
    assert mask_email("zhang.wei@example.com") == "z***@example.com"
    assert mask_email("a@b.cn") == "a***@b.cn"
    assert mask_email("") == ""
    assert mask_email("not-an-address") == "***"


def test_fields_of_expertise_ipc_in_upper_case_tags_as_written() -> None:
    assert field_code(" g06f ") == "G06F"
    assert field_code("h") == "H"
    assert field_code("c08") == "C08"
    assert field_code("新材料") == "新材料"
    assert field_code("软件  和 信息") == "软件 和 信息"
    assert field_code("gene") == "gene"  # not an IPC code: as written
    assert field_codes(["G06F", "g06f", "", " 新材料", "新材料"]) == ["G06F", "新材料"]
