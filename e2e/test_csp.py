"""The pages work in a real browser under their Content-Security-Policy (ipfin.web.middleware):
the language select submits itself and a withdrawal asks for confirmation (web/static/web/ipfin.js,
no inline handlers), htmx swaps the live pre-check, the API's documentation renders, and the
browser reports no violation of the policy on the way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from e2e.conftest import Dialogs
from ipfin.accounts.models import Organisation, User
from ipfin.pledges.models import Pledge, PledgeStateChoices
from ipfin.registry.tests.factories import make_patent

PASSWORD = "pw-for-tests-1"
# Reported by the browser itself for every blocked resource, inline code or style.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_pages_work_under_the_content_security_policy(
    live_server: Any,
    browser: Any,
    bank_a_user: User,
    examiner: User,
    enterprise_a: Organisation,
    make_pledge: Callable[..., Pledge],
) -> None:
    from playwright.sync_api import expect

    pledge = make_pledge()
    patent = make_patent(
        examiner=examiner, owner=enterprise_a, title="一种内容安全策略测试用传感器"
    )
    base = live_server.url
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(20_000)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "CSP violation" in message.text or "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: violations.append(f"page error: {error}"))

    # --- anonymous: the policy is sent; the language select submits itself ---------------------
    response = page.goto(f"{base}/public/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.get_by_test_id("language-select").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_test_id("language-select").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    # --- the bank: htmx's live pre-check is swapped in -----------------------------------------
    page.goto(f"{base}/login/")
    page.get_by_test_id("login-username").fill(bank_a_user.username)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/pledges/new/")
    today = timezone.localdate()
    page.fill("#id_pledgor_uscc", enterprise_a.uscc or "")
    page.fill("#id_rights", patent.number)
    page.fill("#id_debt_amount", "5000000.00")
    page.fill("#id_term_start", today.isoformat())
    page.fill("#id_term_end", (today + timedelta(days=2 * 365)).isoformat())
    page.fill("#id_contract_no", "ZY-CSP-0001")
    page.fill("#id_scope", "主债权、利息及实现质权的费用")
    page.locator("#id_scope").blur()
    expect(page.locator('#precheck [data-rule="pledgor_is_owner"]')).to_have_attribute(
        "data-outcome", "pass"
    )

    # --- a withdrawal asks first: dismissed, nothing happens; accepted, it is withdrawn ---------
    page.goto(f"{base}/pledges/{pledge.pk}/")
    dialogs = Dialogs(page)
    dialogs.dismiss_next()
    page.get_by_test_id("withdraw-submit").click()
    expect(page.get_by_test_id("pledge-state")).to_have_attribute("data-state", pledge.state)
    assert dialogs.asked == ["确定撤回本申请？撤回后不能恢复。"]
    pledge.refresh_from_db()
    assert pledge.state != PledgeStateChoices.WITHDRAWN
    dialogs.accept_next()
    page.get_by_test_id("withdraw-submit").click()
    expect(page.get_by_test_id("pledge-state")).to_have_attribute(
        "data-state", PledgeStateChoices.WITHDRAWN
    )

    # --- the API's documentation (django-ninja's Swagger UI from its static files) -------------
    page.goto(f"{base}/api/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()

    assert violations == []
    context.close()
