"""The second factor in a real browser, on a phone (390 px): a bank whose administrator requires it;
a member logs in, sets up the authenticator from the page (secret read off the screen, as a user
types it into an app), lands on the recovery codes, and the next login asks for a code. The QR code
renders under the Content-Security-Policy with no violation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from e2e.conftest import logout
from ipfin.accounts.models import Organisation, User
from ipfin.accounts.services import organisation_second_factor_set
from ipfin.accounts.totp import totp_code, totp_step

PASSWORD = "pw-for-tests-1"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_required_second_factor_is_set_up_and_used_on_a_phone(
    live_server: Any, browser: Any, bank_a_user: User, bank_a: Organisation, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    organisation_second_factor_set(actor=None, organisation=bank_a, required=True)
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(20_000)
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))

    def password() -> None:
        page.goto(f"{live_server.url}/login/")
        page.get_by_test_id("login-username").fill("bank_a")
        page.get_by_test_id("login-password").fill(PASSWORD)
        page.get_by_test_id("login-submit").click()

    password()
    expect(page.get_by_test_id("totp-setup")).to_be_visible()
    qr = page.locator('[data-testid="totp-qr"] svg')
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] <= 390  # fits the phone's screen
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    assert len(secret) == 32
    # Nothing scrolls sideways on the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshots / "second_factor_setup_390.png"), full_page=True)

    page.get_by_label("验证码").fill("000000" if totp_code(secret, 1) != "000000" else "111111")
    page.get_by_test_id("second-factor-submit").click()
    expect(page.locator(".errorlist")).to_contain_text("验证码不正确")

    now = totp_step(datetime.now(UTC))
    page.get_by_label("验证码").fill(totp_code(secret, now))
    page.get_by_test_id("second-factor-submit").click()
    expect(page.get_by_test_id("recovery-codes")).to_be_visible()
    assert page.locator('[data-testid="recovery-codes"] li').count() == 10
    page.screenshot(path=str(screenshots / "second_factor_codes_390.png"), full_page=True)
    page.get_by_test_id("recovery-codes-continue").click()
    expect(page.get_by_test_id("who")).to_contain_text("bank_a")

    logout(page)
    password()
    expect(page.get_by_test_id("second-factor-form")).to_be_visible()
    expect(page.get_by_test_id("totp-setup")).to_have_count(0)
    page.get_by_label("验证码").fill(totp_code(secret, now + 1))
    page.get_by_test_id("second-factor-submit").click()
    expect(page.get_by_test_id("who")).to_contain_text("bank_a")
    assert problems == []
    context.close()
