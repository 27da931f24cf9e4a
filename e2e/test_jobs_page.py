"""The background jobs' page in a real browser, as the IP office's administrator would use it:
reached from the navigation, a job started after the confirmation, its run shown done with its
counts; on a phone (390 px) nothing scrolls sideways; in English no Chinese of ours is left."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from e2e.conftest import Dialogs, login, nav_to
from ipfin.accounts.models import User
from ipfin.jobs.models import JobRun, JobState


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_administrator_starts_a_job_and_watches_it_on_desk_and_phone(
    live_server: Any, browser: Any, office_admin: User, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    dialogs = Dialogs(page)
    login(page, live_server.url, office_admin.username)
    nav_to(page, "nav-jobs")
    expect(page.get_by_role("heading", name="后台任务")).to_be_visible()  # Chinese first
    page.get_by_label("任务").select_option(label="审计日志哈希链校验")
    dialogs.accept_next()
    page.get_by_test_id("job-launch").get_by_role("button").click()
    expect(page.locator('[data-testid="job-run"][data-state="done"]')).to_have_count(1)
    assert dialogs.asked and "确认立即运行" in dialogs.asked[0]
    run = JobRun.objects.get()
    assert run.state == JobState.DONE and run.requested_by_id == office_admin.pk
    expect(page.get_by_test_id("job-runs")).to_contain_text("审计日志哈希链校验")
    page.screenshot(path=str(screenshots / "jobs_1366.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshots / "jobs_390.png"), full_page=True)

    context.add_cookies([{"name": "ipfin_language", "value": "en", "url": live_server.url}])
    page.reload()
    expect(page.get_by_role("heading", name="Background jobs")).to_be_visible()
    text = page.inner_text("body")
    assert "Audit chain verification" in text and "Done" in text
    assert not any(
        "\u4e00" <= ch <= "\u9fff" for ch in page.get_by_test_id("job-runs").inner_text()
    )
    context.close()
