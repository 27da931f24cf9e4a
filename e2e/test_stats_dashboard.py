"""Issue 15 in a real browser: the regulator opens the monitoring dashboard from the navigation,
picks a quarter, reads the figures and charts, downloads the quarterly report (the PDF opens and
says what the page says), and the page reads on a 390 px phone and in English."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from e2e.conftest import nav_to

# The monitoring tests' loan book (hand-computed figures), as fixtures here too.
from ipfin.stats.tests.conftest import Book, book  # noqa: F401

PASSWORD = "pw-for-tests-1"
SCROLL = "() => [document.documentElement.scrollWidth, window.innerWidth]"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_regulator_reads_the_quarter_and_downloads_the_report(
    live_server: Any,
    browser: Any,
    screenshots: Path,
    book: Book,  # noqa: F811
    regulator_user: Any,
    bank_a: Any,
    bank_b: Any,
) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page.goto(f"{live_server.url}/login/")
    page.get_by_test_id("login-username").fill(regulator_user.username)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    nav_to(page, "nav-stats")
    expect(page.get_by_role("heading", name="统计监测", exact=True)).to_be_visible()
    page.get_by_test_id("stats-period").select_option("2025Q1")
    page.get_by_test_id("stats-period-submit").click()
    expect(page.get_by_test_id("card-balance")).to_have_text("56.67 万元")
    expect(page.get_by_test_id("card-new-amount")).to_have_text("60.00 万元")
    expect(page.get_by_test_id("card-npl-ratio")).to_have_text("52.94%")
    banks = page.get_by_test_id("stats-by-bank")
    expect(banks).to_contain_text(bank_a.name)
    expect(banks).to_contain_text(bank_b.name)
    expect(page.locator("svg.chart").first).to_be_visible()
    assert page.locator("svg.chart").count() >= 3
    page.screenshot(path=str(screenshots / "stats-dashboard.png"), full_page=True)

    with page.expect_download() as info:
        page.get_by_test_id("report-pdf").click()
    download = info.value
    assert download.suggested_filename == "ipfin-monitoring-2025Q1.pdf"
    text = (
        "".join(
            p.extract_text()
            for p in PdfReader(io.BytesIO(Path(download.path()).read_bytes())).pages
        )
        .replace(" ", "")
        .replace("\n", "")
    )
    assert "知识产权质押融资季度监测报告（2025年第1季度）" in text
    assert "56.67" in text
    with page.expect_download() as info:
        page.get_by_test_id("report-xlsx").click()
    assert info.value.suggested_filename == "ipfin-monitoring-2025Q1.xlsx"

    # On a phone: nothing scrolls sideways but the tables inside their cards.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    width, inner = page.evaluate(SCROLL)
    assert width <= inner, f"the page scrolls sideways: {width} > {inner}"
    expect(page.get_by_test_id("card-balance")).to_be_visible()
    page.screenshot(path=str(screenshots / "stats-dashboard-phone.png"), full_page=True)

    # In English.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_test_id("language-select").select_option("en")
    page.wait_for_load_state()
    expect(page.get_by_test_id("card-balance")).to_have_text("CNY 566,666.67")
    expect(page.locator("svg.chart").first).to_contain_text("New loans and balance")
    page.close()
