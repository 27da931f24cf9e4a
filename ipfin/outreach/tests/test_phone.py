"""The library on a 390 px phone, in Debian's Chromium (Playwright) against the live server: no
page scrolls sideways, the navigation folds behind the menu button, and registering asks for
confirmation and shows a wrong phone number's error next to its input. Skipped without the
browser, except under CI (the root conftest's `need`), like the tests of e2e/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from conftest import need
from ipfin.accounts.models import User
from ipfin.outreach.models import Article, EventRegistration, Expert
from ipfin.outreach.tests.test_views import open_event

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
SCROLL = "() => [document.documentElement.scrollWidth, window.innerWidth]"


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    need(CHROMIUM.exists(), f"Debian's Chromium is not installed at {CHROMIUM}")
    # Playwright's sync API runs an event loop in this thread; the ORM calls here only set up.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()


def _phone(browser: Any, base: str, user: User | None = None) -> Any:
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])
    return context


def test_the_library_fits_a_phone_and_registration_works_there(
    live_server: Any,
    browser: Any,
    office_user: User,
    enterprise_a_user: User,
    make_article: Callable[..., Article],
    make_expert: Callable[..., Expert],
) -> None:
    article = make_article(
        title="集成电路设计企业以发明专利获得首笔贷款，质押登记当日完成", body="正文" * 200
    )
    event = open_event(office_user, title="知识产权质押融资银企对接会（海淀专场）")
    expert = make_expert(
        "王立新", ["G06F", "H04L", "软件和信息技术服务"], organisation_name="示范大学信息科学学院"
    )
    base = live_server.url
    pages = [
        "/library/",
        "/library/?q=首贷",
        "/library/articles/",
        f"/library/articles/{article.pk}/",
        "/library/events/",
        f"/library/events/{event.pk}/",
        "/library/experts/",
        f"/library/experts/{expert.pk}/",
    ]
    for user, paths in (
        (None, pages),
        (enterprise_a_user, [f"/library/events/{event.pk}/"]),
        (office_user, [*pages, "/library/experts/pick/", "/library/events/new/"]),
    ):
        context = _phone(browser, base, user)
        page = context.new_page()
        for path in paths:
            page.goto(base + path)
            width, viewport = page.evaluate(SCROLL)
            assert width <= viewport, (user, path, width)
        toggle = page.get_by_test_id("nav-toggle")
        assert toggle.is_visible()
        context.close()

    context = _phone(browser, base, enterprise_a_user)
    page = context.new_page()
    page.goto(f"{base}/library/events/{event.pk}/")
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_label("参会人姓名").fill("周总")
    page.get_by_label("手机号码").fill("12345")
    page.get_by_test_id("register-submit").click()
    page.wait_for_load_state()
    assert asked and "银企对接会" in asked[0]
    error = page.locator("#id_phone_error")
    assert "11 位手机号码" in error.inner_text()
    assert page.evaluate(SCROLL)[0] <= PHONE["width"]
    page.get_by_label("手机号码").fill("13800138000")
    page.get_by_test_id("register-submit").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("registrations").is_visible()
    assert EventRegistration.objects.get().phone == "13800138000"
    context.close()
