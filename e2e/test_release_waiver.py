"""Releasing a pledge under a live loan, in a real browser (issue 13):

bank A's registered pledge secures its disbursed loan of 120,000.00 → the release form lists the
loan with what is owed → the confirmation names what will happen; dismissed, nothing is sent →
accepted without the waiver, the release is refused (409) with the reason next to the waiver box
and the pledge stays registered → with the waiver and its reason it is released, and the loan's
page says the loan is unsecured (民法典 arts. 393, 435).

The parties, the pledge, the valuation and the loan are set up through the services; everything
after that happens in the browser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from e2e.conftest import Dialogs
from ipfin.accounts.models import Organisation, User
from ipfin.loans.tests.factories import pledge_with_loan
from ipfin.registry.tests.factories import make_patent

PASSWORD = "pw-for-tests-1"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_release_under_a_live_loan_is_refused_without_the_waiver_minfadian_art393_435(
    live_server: Any,
    browser: Any,
    screenshots: Path,
    examiner: User,
    bank_a_user: User,
    enterprise_a: Organisation,
) -> None:
    from playwright.sync_api import expect

    patent = make_patent(examiner=examiner, owner=enterprise_a, title="一种放弃担保测试用阀门")
    pledge, loan = pledge_with_loan(
        examiner=examiner, bank_user=bank_a_user, enterprise=enterprise_a, right=patent
    )
    base = live_server.url
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    page.goto(f"{base}/login/")
    page.get_by_test_id("login-username").fill(bank_a_user.username)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(f"{base}/")

    # --- the form lists the loan and what is owed ------------------------------------------------
    page.goto(f"{base}/pledges/{pledge.pk}/")
    secured = page.get_by_test_id("secured-loans")
    expect(secured).to_be_visible()
    expect(secured.locator(f'tr[data-loan-id="{loan.pk}"]')).to_contain_text("120,000.00 元")
    page.screenshot(path=str(screenshots / "waiver_01_release_form.png"), full_page=True)

    # --- the confirmation names what will happen; dismissed, nothing is sent ---------------------
    dialogs = Dialogs(page)
    page.check("#id_release-acknowledge")
    posts.clear()
    dialogs.dismiss_next()
    page.get_by_test_id("release-submit").click()
    expect(page.get_by_test_id("pledge-state")).to_have_attribute("data-state", "registered")
    assert len(dialogs.asked) == 1
    assert f"注销质押登记 {pledge.registration_no}" in dialogs.asked[0]
    assert f"贷款 #{loan.pk}" in dialogs.asked[0] and "成为无担保贷款" in dialogs.asked[0]
    assert posts == []  # dismissed: the form was not submitted
    pledge.refresh_from_db()
    assert pledge.state == "registered"

    # --- accepted without the waiver: refused, the reason next to the waiver box ----------------
    dialogs.accept_next()
    page.get_by_test_id("release-submit").click()
    page.wait_for_load_state()
    waiver = page.locator("#id_release-waive_security").locator("xpath=..")
    expect(waiver).to_contain_text("仍为本行贷款提供担保")
    expect(waiver).to_contain_text("120,000.00 元")
    expect(page.get_by_test_id("pledge-state")).to_have_attribute("data-state", "registered")
    page.screenshot(path=str(screenshots / "waiver_02_refused.png"), full_page=True)
    pledge.refresh_from_db()
    assert pledge.state == "registered"

    # --- with the waiver and its reason: released, the loan unsecured ----------------------------
    page.check("#id_release-acknowledge")
    page.check("#id_release-waive_security")
    page.fill("#id_release-reason", "借款人已提供保证金担保")
    dialogs.accept_next()
    page.get_by_test_id("release-submit").click()
    expect(page.get_by_test_id("pledge-state")).to_have_attribute("data-state", "released")
    page.goto(f"{base}/loans/{loan.pk}/")
    unsecured = page.get_by_test_id("loan-unsecured")
    expect(unsecured).to_be_visible()
    expect(unsecured).to_contain_text("借款人已提供保证金担保")
    page.screenshot(path=str(screenshots / "waiver_03_loan_unsecured.png"), full_page=True)
    loan.refresh_from_db()
    assert loan.security_waived_on == timezone.localdate()
    context.close()
