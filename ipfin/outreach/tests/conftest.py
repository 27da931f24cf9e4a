"""Outreach fixtures: the office's library written through the real services (articles, events,
experts), the clock a registration is judged at, and the page helpers the view tests share. The
organisations and users are the root conftest's (office_user is an IP office member: the office
holds `Perm.OUTREACH_PUBLISH` whatever the role)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.outreach import services
from ipfin.outreach.models import Article, Event, Expert

# The registration tests' "now": tomorrow, to the minute, so that the pages (on the real clock)
# find the events open too.
NOW = (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
DEADLINE = NOW + timedelta(days=2)
STARTS = NOW + timedelta(days=3)


@pytest.fixture
def make_article(office_user: User) -> Callable[..., Article]:
    def make(publish: bool = True, **kw: Any) -> Article:
        data: dict[str, Any] = {
            "kind": "case",
            "title": "专利质押首贷案例",
            "summary": "芯片企业以发明专利获得首贷",
            "body": "企业以三项发明专利质押，获得贷款。",
            "tags": ["首贷"],
            "region": "北京市海淀区",
        }
        data.update(kw)
        article = services.article_create(actor=office_user, **data)
        if publish:
            article = services.article_publish(actor=office_user, article=article)
        return article

    return make


@pytest.fixture
def make_event(office_user: User) -> Callable[..., Event]:
    def make(publish: bool = True, **kw: Any) -> Event:
        data: dict[str, Any] = {
            "kind": "bank_enterprise_matchmaking",
            "title": "银企对接会",
            "description": "银行与企业现场对接",
            "starts_at": STARTS,
            "ends_at": STARTS + timedelta(hours=3),
            "venue": "园区会议中心",
            "capacity": 3,
            "registration_deadline": DEADLINE,
        }
        data.update(kw)
        event = services.event_create(actor=office_user, **data)
        if publish:
            event = services.event_publish(actor=office_user, event=event, now=NOW)
        return event

    return make


@pytest.fixture
def make_expert(office_user: User) -> Callable[..., Expert]:
    def make(name: str = "王立新", fields: list[str] | None = None, **kw: Any) -> Expert:
        data: dict[str, Any] = {
            "pool": "expert",
            "name": name,
            "fields": fields if fields is not None else ["G06F"],
            "organisation_name": "示范大学",
            "title": "教授",
            "phone": "13800138001",
            "email": "wang@example.com",
        }
        data.update(kw)
        return services.expert_add(actor=office_user, **data)

    return make


# --- pages ---------------------------------------------------------------------------------------


class _Text(HTMLParser):
    """The text a reader sees in <main> (no tags, no attributes, no script)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._main = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._main = self._main or tag == "main"

    def handle_endtag(self, tag: str) -> None:
        self._main = self._main and tag != "main"

    def handle_data(self, data: str) -> None:
        if self._main:
            self.parts.append(data)


def visible_text(response: Any) -> str:
    parser = _Text()
    parser.feed(response.content.decode())
    return " ".join(parser.parts)


# A code of the models, services or forms (snake_case) read on a page: never.
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
CODES = {"case", "guide", "draft", "published", "withdrawn", "cancelled", "expert", "talent",
         "training", "capacity", "venue", "tags", "region", "phone", "email", "pool"}  # fmt: skip


def assert_no_field_names(response: Any) -> None:
    text = visible_text(response)
    assert not SNAKE.findall(text), SNAKE.findall(text)
    words = set(re.findall(r"[A-Za-z_]+", text))
    assert not (words & CODES), words & CODES


def field_errors(response: Any, field: str) -> str:
    """The errors rendered next to `field` (Django's field group: <ul id="id_<field>_error">)."""
    html = response.content.decode()
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return found.group(1) if found else ""
