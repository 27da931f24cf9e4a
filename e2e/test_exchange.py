"""数据交换 in a real browser, as the IP office's staff would send the national platform its
file: reached from the navigation, a period chosen, the file built in the background and
downloaded from the run's page; on a phone (390 px) nothing scrolls sideways; in English no
Chinese of ours is left on the page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from e2e.conftest import login, nav_to
from ipfin.accounts.models import User
from ipfin.pledges.models import Pledge
from ipfin.pledges.tests.factories import approve


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_office_exports_the_registrations_and_downloads_the_file_on_desk_and_phone(
    live_server: Any,
    browser: Any,
    office_user: User,
    examiner: User,
    make_pledge: Callable[..., Pledge],
    today: Any,
    screenshots: Path,
) -> None:
    from playwright.sync_api import expect

    pledge = approve(examiner, make_pledge())
    context = browser.new_context(
        locale="en-US", viewport={"width": 1366, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    login(page, live_server.url, office_user.username)
    nav_to(page, "nav-exchange")
    expect(page.get_by_role("heading", name="数据交换")).to_be_visible()  # Chinese first
    page.get_by_label("起始日期").fill((today - timedelta(days=30)).isoformat())
    page.get_by_label("截止日期").fill(today.isoformat())
    page.get_by_test_id("export-pledges").click()
    expect(page.locator('[data-testid="job-run-page"][data-state="done"]')).to_be_visible()
    expect(page.get_by_test_id("job-run-summary")).to_contain_text("导出行数 1")
    with page.expect_download() as info:
        page.get_by_test_id("job-run-file").click()
    saved = Path(info.value.path())
    text = saved.read_bytes().decode("utf-8-sig")
    assert text.startswith("质押登记号,") and pledge.registration_no in text
    page.screenshot(path=str(screenshots / "exchange_run_1366.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_test_id("job-run-back").click()
    expect(page.get_by_test_id("export-runs")).to_contain_text("质押登记数据导出")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshots / "exchange_390.png"), full_page=True)

    context.add_cookies([{"name": "ipfin_language", "value": "en", "url": live_server.url}])
    page.reload()
    expect(page.get_by_role("heading", name="Data exchange")).to_be_visible()
    body = page.locator("main").inner_text()
    assert "Pledge registrations export" in body
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in body), body
    context.close()
