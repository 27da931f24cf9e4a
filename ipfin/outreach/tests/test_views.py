"""The library's pages: they render for everyone in Chinese and English with no code or field
name on screen; the front page's search; the links to the financing catalogue's policies and
products; the event page's registration form (asked to confirm, errors next to the inputs); the
office's pages to write, publish, check in and pick; drafts hidden from the public; the list
pages' queries the same at two sizes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.outreach.models import Article, Event, EventRegistration, Expert, ExpertPick
from ipfin.outreach.services import event_create, event_publish, event_register
from ipfin.outreach.tests.conftest import assert_no_field_names, field_errors, visible_text

pytestmark = pytest.mark.django_db


def client_for(user: User | None, language: str = "zh-hans") -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language  # the language switch's choice
    return client


def open_event(office_user: User, **kw: Any) -> Event:
    """An event open for registration on the real clock."""
    now = timezone.now()
    data: dict[str, Any] = {
        "kind": "bank_enterprise_matchmaking",
        "title": "银企对接会",
        "starts_at": now + timedelta(days=3),
        "ends_at": now + timedelta(days=3, hours=3),
        "venue": "园区会议中心",
        "capacity": 5,
        "registration_deadline": now + timedelta(days=2),
        "description": "银行与企业现场对接",
    }
    data.update(kw)
    return event_publish(actor=office_user, event=event_create(actor=office_user, **data))


@pytest.fixture
def library(
    office_user: User,
    make_article: Callable[..., Article],
    make_expert: Callable[..., Expert],
) -> dict[str, Any]:
    return {
        "case": make_article(title="芯片企业首贷案例", tags=["首贷"]),
        "guide": make_article(
            kind="guide", title="质押登记指南", summary="在线办理", body="步骤", tags=["质押登记"]
        ),
        "draft": make_article(publish=False, title="未发布的草稿"),
        "event": open_event(office_user),
        "expert": make_expert("王立新", ["G06F"]),
        "talent": make_expert("赵磊", ["新材料"], pool="talent"),
    }


def _pages(lib: dict[str, Any]) -> list[str]:
    return [
        "/library/",
        "/library/?q=首贷",
        "/library/articles/",
        "/library/articles/?kind=guide",
        f"/library/articles/{lib['case'].pk}/",
        "/library/events/",
        f"/library/events/{lib['event'].pk}/",
        "/library/experts/",
        f"/library/experts/{lib['expert'].pk}/",
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_renders_for_everyone_in_both_languages_without_codes(
    library: dict[str, Any],
    language: str,
    office_user: User,
    bank_a_user: User,
    enterprise_a_user: User,
) -> None:
    for user in (None, enterprise_a_user, bank_a_user, office_user):
        client = client_for(user, language)
        for path in _pages(library):
            response = client.get(path)
            assert response.status_code == 200, (path, user, response.status_code)
            assert f'<html lang="{language}">' in response.content.decode()
            assert_no_field_names(response)
    office = client_for(office_user, language)
    for path in (
        "/library/articles/new/",
        "/library/events/new/",
        "/library/experts/new/",
        "/library/experts/pick/",
        f"/library/experts/{library['expert'].pk}/edit/",
        "/library/articles/?state=draft",
        "/library/experts/?inactive=1",
    ):
        response = office.get(path)
        assert response.status_code == 200, path
        assert_no_field_names(response)


def test_the_front_page_shows_the_library_and_links_the_catalogue(
    library: dict[str, Any],
) -> None:
    response = client_for(None).get("/library/")
    html = response.content.decode()
    text = visible_text(response)
    assert "芯片企业首贷案例" in text and "质押登记指南" in text and "银企对接会" in text
    assert "未发布的草稿" not in text
    assert 'href="/financing/policies/"' in html and 'href="/financing/products/"' in html
    assert 'data-testid="index-pool-expert"' in html and 'data-testid="index-pool-talent"' in html
    assert 'data-testid="registration-open"' in html
    assert 'data-testid="office-actions"' not in html


def test_the_search_box_finds_articles_events_and_experts(library: dict[str, Any]) -> None:
    client = client_for(None)
    text = visible_text(client.get("/library/?q=首贷"))
    assert "芯片企业首贷案例" in text and "质押登记指南" not in text
    assert "王立新" in visible_text(client.get("/library/?q=王立新"))
    assert "银企对接会" in visible_text(client.get("/library/?q=园区"))
    assert "未发布的草稿" not in visible_text(client.get("/library/?q=草稿"))
    assert client.get("/library/?q=" + "长" * 201).status_code == 400


def test_drafts_are_404_to_the_public_and_shown_to_the_office(
    library: dict[str, Any], office_user: User, bank_a_user: User
) -> None:
    draft = library["draft"]
    assert client_for(None).get(f"/library/articles/{draft.pk}/").status_code == 404
    assert client_for(bank_a_user).get(f"/library/articles/{draft.pk}/").status_code == 404
    page = client_for(office_user).get(f"/library/articles/{draft.pk}/")
    assert page.status_code == 200 and 'data-testid="article-publish"' in page.content.decode()
    # The filter by state is the office's: for anyone else it is not offered, the list is the
    # published one.
    listed = client_for(bank_a_user).get("/library/articles/?state=draft")
    assert listed.status_code == 200 and "未发布的草稿" not in visible_text(listed)
    drafts = client_for(office_user).get("/library/articles/?state=draft")
    assert "未发布的草稿" in visible_text(drafts) and "芯片企业首贷案例" not in visible_text(drafts)


def test_registration_through_the_event_page(
    library: dict[str, Any], enterprise_a_user: User
) -> None:
    event = library["event"]
    anonymous = client_for(None).get(f"/library/events/{event.pk}/").content.decode()
    assert 'data-testid="login-to-register"' in anonymous and "register-form" not in anonymous
    client = client_for(enterprise_a_user)
    page = client.get(f"/library/events/{event.pk}/").content.decode()
    assert 'data-testid="register-form"' in page
    assert 'data-confirm="为本机构人员报名参加“银企对接会”？' in page  # asked before registering
    url = f"/library/events/{event.pk}/register/"
    wrong = client.post(url, {"attendee_name": "周总", "phone": "12345"})
    assert wrong.status_code == 422
    assert "11 位手机号码" in field_errors(wrong, "phone")  # next to the phone input
    assert 'value="周总"' in wrong.content.decode()  # what was typed is kept
    assert_no_field_names(wrong)
    done = client.post(url, {"attendee_name": "周总", "phone": "13800138000"})
    assert done.status_code == 302
    assert EventRegistration.objects.get().attendee_name == "周总"
    again = client.post(url, {"attendee_name": "周总", "phone": "13800138000"})
    assert again.status_code == 409
    assert "无需重复报名" in field_errors(again, "attendee_name")
    mine = client.get(f"/library/events/{event.pk}/").content.decode()
    assert 'data-testid="registrations"' in mine and "周总" in mine


def test_a_full_event_offers_no_form(
    office_user: User, enterprise_a_user: User, bank_a_user: User
) -> None:
    event = open_event(office_user, capacity=1)
    event_register(actor=bank_a_user, event=event, attendee_name="甲", phone="13800138000")
    page = client_for(enterprise_a_user).get(f"/library/events/{event.pk}/")
    html = page.content.decode()
    assert 'data-reason="event_full"' in html and "register-form" not in html
    # Another organisation does not see bank A's registration.
    assert 'data-testid="registrations"' not in html


def test_the_office_writes_publishes_and_checks_in_through_the_pages(
    office_user: User, enterprise_a_user: User
) -> None:
    office = client_for(office_user)
    made = office.post(
        "/library/articles/new/",
        {"kind": "guide", "title": "贴息指南", "body": "第一步", "tags": "贴息、办事指南"},
    )
    assert made.status_code == 302, made.content.decode()[:500]
    article = Article.objects.get()
    assert (article.state, article.tags) == ("draft", ["贴息", "办事指南"])
    assert office.post(f"/library/articles/{article.pk}/publish/").status_code == 302
    article.refresh_from_db()
    assert article.state == "published"
    again = office.post(f"/library/articles/{article.pk}/publish/")
    assert again.status_code == 409 and 'data-testid="action-error"' in again.content.decode()
    refused = office.post("/library/articles/new/", {"kind": "case", "title": " ", "body": "x"})
    assert refused.status_code == 400 and Article.objects.count() == 1
    assert field_errors(refused, "title")

    now = timezone.localtime() + timedelta(days=5)
    form = {
        "kind": "training",
        "title": "质押融资培训",
        "starts_at": now.strftime("%Y-%m-%dT09:00"),
        "ends_at": now.strftime("%Y-%m-%dT12:00"),
        "venue": "知识产权局",
        "capacity": "30",
        "registration_deadline": now.strftime("%Y-%m-%dT10:00"),
    }
    late = office.post("/library/events/new/", form)
    assert late.status_code == 422  # the deadline after the start
    assert "报名截止时间不能晚于活动开始时间" in field_errors(late, "registration_deadline")
    form["registration_deadline"] = (now - timedelta(days=1)).strftime("%Y-%m-%dT18:00")
    assert office.post("/library/events/new/", form).status_code == 302
    event = Event.objects.get()
    assert office.post(f"/library/events/{event.pk}/publish/").status_code == 302
    row = event_register(
        actor=enterprise_a_user, event=event, attendee_name="周总", phone="13800138000"
    )
    page = office.get(f"/library/events/{event.pk}/").content.decode()
    assert f'data-testid="check-in-{row.pk}"' in page and "13800138000" in page
    assert office.post(f"/library/registrations/{row.pk}/check-in/").status_code == 302
    row.refresh_from_db()
    assert row.attended
    firm = client_for(enterprise_a_user)
    assert firm.post(f"/library/registrations/{row.pk}/check-in/").status_code == 403


def test_experts_masked_for_the_public_whole_for_the_office_and_picked(
    office_user: User, make_expert: Callable[..., Expert]
) -> None:
    expert = make_expert("王立新", ["G06F"], phone="13800138001", email="wang@example.com")
    public = client_for(None).get(f"/library/experts/{expert.pk}/").content.decode()
    assert "138****8001" in public and "13800138001" not in public
    assert "w***@example.com" in public and "wang@example.com" not in public
    listed = client_for(None).get("/library/experts/").content.decode()
    assert "138****8001" in listed and "13800138001" not in listed
    office = client_for(office_user)
    assert "13800138001" in office.get(f"/library/experts/{expert.pk}/").content.decode()
    picked = office.post(
        "/library/experts/pick/", {"field": "g06f", "count": "1", "purpose": "复核"}
    )
    assert picked.status_code == 302
    assert ExpertPick.objects.get().expert_id == expert.pk
    page = office.get("/library/experts/pick/")
    assert f'href="/library/experts/{expert.pk}/"' in page.content.decode()
    too_many = office.post("/library/experts/pick/", {"field": "G06F", "count": "2"})
    assert too_many.status_code == 422
    assert "不足 2 名" in field_errors(too_many, "count")
    edited = office.post(
        f"/library/experts/{expert.pk}/edit/",
        {"pool": "expert", "name": "王立新", "fields": "G06F，H04L", "phone": "13800138001"},
    )
    assert edited.status_code == 302
    expert.refresh_from_db()
    assert expert.fields_of_expertise == ["G06F", "H04L"]
    assert office.post(f"/library/experts/{expert.pk}/deactivate/").status_code == 302
    assert client_for(None).get(f"/library/experts/{expert.pk}/").status_code == 404


def test_office_pages_are_the_offices(bank_a_user: User, library: dict[str, Any]) -> None:
    bank = client_for(bank_a_user)
    for path in ("/library/articles/new/", "/library/events/new/", "/library/experts/pick/"):
        assert bank.get(path).status_code == 403, path
    anonymous = client_for(None).get("/library/articles/new/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    case = library["case"]
    assert bank.post(f"/library/articles/{case.pk}/withdraw/").status_code == 403
    case.refresh_from_db()
    assert case.state == "published"


def test_the_list_pages_read_the_same_queries_at_two_sizes(
    office_user: User,
    make_article: Callable[..., Article],
    make_expert: Callable[..., Expert],
    count_queries: Callable[[Callable[[], object]], int],
) -> None:
    client = client_for(None)
    sizes = []
    for n in (1, 5):
        while Article.objects.count() < n:
            i = Article.objects.count()
            make_article(tags=["首贷", f"t{i}"])
            open_event(office_user, title=f"活动{i}")
            make_expert(f"专家{i}", ["G06F", "H01L"])
        sizes.append(
            tuple(
                count_queries(partial(client.get, path))
                for path in (
                    "/library/",
                    "/library/articles/",
                    "/library/events/",
                    "/library/experts/",
                )
            )
        )
    assert sizes[0] == sizes[1], sizes
