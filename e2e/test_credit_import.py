"""Credit data files in a real browser, as the IP office's staff would import one: reached from
the navigation, the file sent, its background run's page showing the counts; a file with a bad
row refused with the row and column named; on a phone (390 px) nothing scrolls sideways; in
English no Chinese of ours is left on the run's page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from e2e.conftest import login, nav_to
from ipfin.accounts.models import Organisation, User
from ipfin.valuation.models import CreditDataImport, EnterpriseCreditProfile


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_office_imports_a_credit_file_and_reads_the_outcome_on_desk_and_phone(
    live_server: Any,
    browser: Any,
    office_user: User,
    enterprise_a: Organisation,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    good = tmp_path / "grades.csv"
    good.write_text(f"统一社会信用代码,评价年度,信用等级\n{enterprise_a.uscc},2025,A\n", "utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(f"统一社会信用代码,评价年度,信用等级\n{enterprise_a.uscc},2025,E\n", "utf-8")

    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    login(page, live_server.url, office_user.username)
    nav_to(page, "nav-credit-imports")
    expect(page.get_by_role("heading", name="信用数据导入")).to_be_visible()  # Chinese first

    def send(path: Path) -> None:
        page.get_by_label("数据类别").select_option(label="纳税信用等级")
        page.get_by_label("数据来源").fill("国家税务总局某省税务局 2025 年度纳税信用等级")
        page.get_by_label("数据日期").fill("2026-04-30")
        page.get_by_label("数据文件").set_input_files(str(path))
        page.get_by_test_id("credit-import-submit").click()

    send(good)
    expect(page.locator('[data-testid="job-run-page"][data-state="done"]')).to_be_visible()
    expect(page.get_by_test_id("job-run-summary")).to_contain_text("入库行数 1")
    assert EnterpriseCreditProfile.objects.get(organisation=enterprise_a).tax_credit_grade == "A"
    page.screenshot(path=str(screenshots / "credit_import_done_1366.png"), full_page=True)

    page.get_by_test_id("job-run-back").click()
    expect(page.get_by_test_id("credit-import-row")).to_have_count(1)
    send(bad)
    expect(page.get_by_test_id("job-run-refused")).to_contain_text("未导入任何数据")
    expect(page.get_by_test_id("job-run-problems")).to_contain_text("信用等级")
    assert CreditDataImport.objects.count() == 1

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshots / "credit_import_refused_390.png"), full_page=True)

    context.add_cookies([{"name": "ipfin_language", "value": "en", "url": live_server.url}])
    page.reload()
    expect(page.get_by_role("heading", name="Credit data file import")).to_be_visible()
    run_text = page.get_by_test_id("job-run-page").inner_text()
    assert "Failed" in run_text and "The file has 1 problem:" in run_text
    # The problems' column names are the file's own headers (Chinese in a Chinese file); the
    # rest of the page is English.
    ours = run_text.replace("信用等级", "")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in ours), ours
    page.get_by_test_id("job-run-back").click()
    expect(page.get_by_role("heading", name="Credit data import")).to_be_visible()
    context.close()
