"""Searching the library (selectors, on SQLite and PostgreSQL alike): `q` in the title, summary
or body (icontains: Latin letters in either case); kind, tag and region filters; what the public
sees (published only) and what the office sees (its drafts too); events and experts; pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser

from ipfin.accounts.models import User
from ipfin.common.errors import NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from ipfin.outreach import selectors, services
from ipfin.outreach.models import Article, Event, Expert
from ipfin.outreach.tests.conftest import NOW

pytestmark = pytest.mark.django_db
PUBLIC = AnonymousUser()


def _titles(rows: object) -> list[str]:
    return [row.title for row in rows]  # type: ignore[attr-defined]


@pytest.fixture
def library(make_article: Callable[..., Article]) -> dict[str, Article]:
    return {
        "chip": make_article(
            title="芯片企业首贷案例",
            summary="以发明专利获贷",
            body="IC Design 企业",
            tags=["首贷", "H01L"],
            region="北京市海淀区",
        ),
        "materials": make_article(
            title="新材料组合质押",
            summary="专利加商标",
            body="组合质押，质押率百分之五十",
            tags=["组合质押"],
            region="江苏省苏州市",
        ),
        "guide": make_article(
            kind="guide",
            title="质押登记指南",
            summary="",
            body="在线办理专利权质押登记",
            tags=["质押登记"],
            region="",
        ),
        "draft": make_article(
            publish=False, title="未发布的芯片案例", body="草稿", tags=["首贷"], region="北京市"
        ),
    }


def test_q_matches_the_title_the_summary_or_the_body(library: dict[str, Article]) -> None:
    assert _titles(selectors.article_list(actor=PUBLIC, q="芯片")) == ["芯片企业首贷案例"]
    assert _titles(selectors.article_list(actor=PUBLIC, q="商标")) == ["新材料组合质押"]
    assert sorted(_titles(selectors.article_list(actor=PUBLIC, q="质押"))) == sorted(
        ["新材料组合质押", "质押登记指南"]
    )
    # Latin letters in either case (icontains, on both databases).
    assert _titles(selectors.article_list(actor=PUBLIC, q="ic design")) == ["芯片企业首贷案例"]
    assert _titles(selectors.article_list(actor=PUBLIC, q="无此内容")) == []


def test_filters_kind_tag_and_region(library: dict[str, Article]) -> None:
    assert _titles(selectors.article_list(actor=PUBLIC, kind="guide")) == ["质押登记指南"]
    assert _titles(selectors.article_list(actor=PUBLIC, tag="首贷")) == ["芯片企业首贷案例"]
    assert _titles(selectors.article_list(actor=PUBLIC, tag="h01l")) == ["芯片企业首贷案例"]
    assert _titles(selectors.article_list(actor=PUBLIC, region="江苏省")) == ["新材料组合质押"]
    assert _titles(selectors.article_list(actor=PUBLIC, region="北京市", q="首贷")) == [
        "芯片企业首贷案例"
    ]
    with pytest.raises(ValidationFailed) as exc:
        selectors.article_list(actor=PUBLIC, kind="news")
    assert (exc.value.code, exc.value.extra["field"]) == ("filter_invalid", "kind")


def test_the_public_reads_published_articles_the_office_its_drafts_too(
    library: dict[str, Article], office_user: User, bank_a_user: User
) -> None:
    public = set(_titles(selectors.article_list(actor=PUBLIC)))
    assert "未发布的芯片案例" not in public and len(public) == 3
    assert set(_titles(selectors.article_list(actor=office_user))) == public  # default: published
    drafts = selectors.article_list(actor=office_user, state="draft")
    assert _titles(drafts) == ["未发布的芯片案例"]
    assert len(selectors.article_list(actor=office_user, state="all")) == 4
    with pytest.raises(NotAuthenticated):
        selectors.article_list(actor=PUBLIC, state="draft")
    with pytest.raises(PermissionDenied):
        selectors.article_list(actor=bank_a_user, state="draft")
    draft = library["draft"]
    with pytest.raises(NotFound):
        selectors.article_get(actor=bank_a_user, pk=draft.pk)
    assert selectors.article_get(actor=office_user, pk=draft.pk) == draft


def test_newest_first_and_a_withdrawn_article_leaves_the_public_list(
    library: dict[str, Article], office_user: User
) -> None:
    assert _titles(selectors.article_list(actor=PUBLIC)) == [
        "质押登记指南",
        "新材料组合质押",
        "芯片企业首贷案例",
    ]
    services.article_withdraw(actor=office_user, article=library["guide"])
    assert "质押登记指南" not in _titles(selectors.article_list(actor=PUBLIC))
    # Drafts (never published) come last in the office's list on both databases.
    everything = _titles(selectors.article_list(actor=office_user, state="all"))
    assert everything[-1] == "未发布的芯片案例"


def test_pages(library: dict[str, Article]) -> None:
    first = selectors.article_page(actor=PUBLIC, page=1, page_size=2)
    second = selectors.article_page(actor=PUBLIC, page=2, page_size=2)
    assert (first.count, first.pages, len(first.items), len(second.items)) == (3, 2, 2, 1)
    assert {a.pk for a in first.items}.isdisjoint({a.pk for a in second.items})
    with pytest.raises(ValidationFailed) as exc:
        selectors.article_page(actor=PUBLIC, page_size=101)
    assert exc.value.code == "page_invalid"


def test_events_and_experts_are_searched_too(
    make_event: Callable[..., Event],
    make_expert: Callable[..., Expert],
    office_user: User,
) -> None:
    make_event(title="银企对接会", venue="海淀园")
    make_event(kind="training", title="质押融资培训", venue="苏州", description="实务")
    draft = make_event(publish=False, title="未发布的培训")
    assert _titles(selectors.event_list(actor=PUBLIC, q="海淀")) == ["银企对接会"]
    assert _titles(selectors.event_list(actor=PUBLIC, kind="training")) == ["质押融资培训"]
    assert _titles(selectors.event_list(actor=PUBLIC, q="实务")) == ["质押融资培训"]
    assert draft.title not in _titles(selectors.event_list(actor=PUBLIC))
    assert _titles(selectors.event_list(actor=office_user, state="draft")) == ["未发布的培训"]
    with pytest.raises(NotFound):
        selectors.event_get(actor=PUBLIC, pk=draft.pk)
    make_expert("王立新", ["G06F"], bio="长期从事软件专利评估")
    make_expert("赵磊", ["C08K", "新材料"], pool="talent", organisation_name="新材料研究院")
    names = [x.name for x in selectors.expert_list(actor=PUBLIC, q="软件")]
    assert names == ["王立新"]
    assert [x.name for x in selectors.expert_list(actor=PUBLIC, field="新材料")] == ["赵磊"]
    assert [x.name for x in selectors.expert_list(actor=PUBLIC, pool="expert")] == ["王立新"]
    assert [x.name for x in selectors.expert_list(actor=PUBLIC, q="研究院")] == ["赵磊"]


def test_an_event_carries_its_places_taken(
    make_event: Callable[..., Event], enterprise_a_user: User
) -> None:
    event = make_event(capacity=5)
    services.event_register(
        actor=enterprise_a_user, event=event, attendee_name="甲", phone="13800138000", now=NOW
    )
    (listed,) = selectors.event_list(actor=PUBLIC)
    assert listed.taken == 1  # type: ignore[attr-defined]
    assert selectors.event_get(actor=PUBLIC, pk=event.pk).taken == 1  # type: ignore[attr-defined]
