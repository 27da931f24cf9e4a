"""The pledge registration flow in a real browser, end to end:

bank applies (live pre-check all green, contract uploaded) → examiner approves from the queue →
the public query shows the registration → the bank releases it → the public query shows it
released. Data is set up through the services; everything after that happens in the browser.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from e2e.conftest import Dialogs, login, logout, nav_to
from ipfin.accounts.models import Organisation, OrganisationKind, Role, User
from ipfin.pledges.models import Pledge
from ipfin.registry.tests.factories import make_patent

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _logout(page: Any, base: str) -> None:
    logout(page)
    page.wait_for_url(f"{base}/public/")


def _public_query(page: Any, base: str, q: str) -> Any:
    page.goto(f"{base}/public/")
    page.get_by_test_id("public-q").fill(q)
    page.get_by_test_id("public-submit").click()
    page.wait_for_load_state()
    return page.locator("[data-testid=public-pledges] tbody tr[data-registration-no]")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_bank_applies_examiner_approves_public_sees_it_bank_releases(
    live_server: Any,
    browser: Any,
    screenshots: Path,
    examiner: User,
    bank_a_user: User,
    enterprise_a: Organisation,
    enterprise_a_user: User,
) -> None:
    from playwright.sync_api import expect

    # --- data, through the services -------------------------------------------------------------
    assert enterprise_a.kind == OrganisationKind.ENTERPRISE and enterprise_a.uscc
    assert examiner.role == Role.EXAMINER
    patent = make_patent(examiner=examiner, owner=enterprise_a, title="一种质押流程测试用传感器")
    today = timezone.localdate()
    base = live_server.url

    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs = Dialogs(page)
    page.set_default_timeout(20_000)

    def shot(name: str) -> None:
        page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)

    # --- the bank applies -----------------------------------------------------------------------
    page.goto(f"{base}/login/")
    expect(page.locator("h1")).to_have_text("登录")
    shot("01_login")
    login(page, base, "bank_a")
    expect(page.get_by_test_id("home-bank")).to_be_visible()
    shot("02_bank_home")
    page.get_by_test_id("new-pledge").click()
    page.wait_for_url(f"{base}/pledges/new/")

    page.fill("#id_pledgor_uscc", enterprise_a.uscc)
    page.fill("#id_rights", patent.number)
    page.fill("#id_debt_amount", "5000000.00")
    page.fill("#id_term_start", today.isoformat())
    page.fill("#id_term_end", (today + timedelta(days=2 * 365)).isoformat())
    page.fill("#id_contract_no", "ZY-E2E-0001")
    page.fill("#id_scope", "主债权、利息及实现质权的费用")
    page.locator("#id_scope").blur()
    page.set_input_files(
        "#id_contract",
        files=[{"name": "质押合同.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )

    # The live pre-check (HTMX) lists every rule; all green for this application.
    outcomes = page.locator("#precheck [data-outcome]")
    expect(outcomes.first).to_be_visible()
    expect(page.locator('#precheck [data-rule="pledgor_is_owner"]')).to_have_attribute(
        "data-outcome", "pass"
    )
    expect(
        page.locator('#precheck [data-outcome="fail"], #precheck [data-outcome="warn"]')
    ).to_have_count(0)
    rules = outcomes.count()
    assert rules >= 10
    expect(page.locator('#precheck [data-outcome="pass"]')).to_have_count(rules)
    expect(page.locator("#precheck")).to_contain_text("质押合同不含流质条款")
    shot("03_pledge_form_precheck")

    page.get_by_test_id("pledge-submit").click()
    page.wait_for_url(re.compile(r".*/pledges/\d+/$"))
    pledge_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    # A joint application (办法 arts. 3, 7): it waits for the pledgor's signature.
    expect(page.get_by_test_id("pledge-state")).to_have_attribute(
        "data-state", "awaiting_confirmation"
    )
    expect(page.get_by_test_id("awaiting-other")).to_be_visible()
    expect(page.get_by_test_id("document-sha256")).to_have_text(hashlib.sha256(PDF).hexdigest())
    shot("04_pledge_submitted")
    _logout(page, base)

    # --- the pledgor reads the pre-check and confirms -------------------------------------------
    login(page, base, "enterprise_a")
    expect(page.get_by_test_id("home-to-confirm")).to_be_visible()
    page.get_by_test_id(f"to-confirm-{pledge_id}").click()
    page.wait_for_url(f"{base}/pledges/{pledge_id}/")
    expect(page.get_by_test_id("pledge-checks")).to_contain_text("出质人是登记的权利人")
    # Signing is a deliberate act: without ticking the declaration nothing happens.
    page.get_by_test_id("confirm-submit").click()
    expect(page.get_by_test_id("pledge-state")).to_have_attribute(
        "data-state", "awaiting_confirmation"
    )
    page.check("#confirm-form input[name=acknowledge]")
    shot("04b_pledgor_confirms")
    page.get_by_test_id("confirm-submit").click()
    expect(page.get_by_test_id("pledge-state")).to_have_attribute("data-state", "submitted")
    _logout(page, base)

    # --- the examiner approves from the queue ---------------------------------------------------
    login(page, base, "examiner")
    nav_to(page, "nav-queue")
    page.wait_for_url(f"{base}/examiner/queue/")
    expect(
        page.locator(f'[data-testid=queue-table] tr[data-pledge-id="{pledge_id}"]')
    ).to_be_visible()
    shot("05_examiner_queue")
    page.get_by_test_id(f"queue-open-{pledge_id}").click()
    page.wait_for_url(f"{base}/pledges/{pledge_id}/")
    # The contract the bank uploaded with the application is there: approval is offered.
    expect(page.get_by_test_id("contract-missing")).to_have_count(0)
    expect(page.locator("input[name=decision][value=approve]")).to_be_enabled()
    page.check("input[name=decision][value=approve]")
    shot("06_examiner_decision")
    # The decision asks first, saying what each decision does and that it cannot be withdrawn.
    asked_before = len(dialogs.asked)
    dialogs.accept_next()
    page.get_by_test_id("decision-submit").click()
    expect(page.get_by_test_id("pledge-state")).to_have_attribute("data-state", "registered")
    confirmed = dialogs.asked[asked_before:]
    assert len(confirmed) == 1 and "准予登记即办理登记" in confirmed[0], confirmed
    assert "不能撤回" in confirmed[0]
    registration_no = page.get_by_test_id("registration-no").inner_text().strip()
    assert re.fullmatch(r"Y\d{13}", registration_no), registration_no
    _logout(page, base)

    # --- the public query shows the registration (no debt amount) -------------------------------
    rows = _public_query(page, base, patent.number)
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-registration-no", registration_no)
    expect(rows.first).to_have_attribute("data-state", "registered")
    expect(rows.first).to_contain_text(enterprise_a.name)
    expect(page.locator("main")).not_to_contain_text("万元")
    shot("07_public_registered")
    # ... and the right's page: its status, timeline and the public pledge entry
    rows.first.get_by_role("link", name=patent.number).click()
    page.wait_for_url(re.compile(r".*/rights/.+/$"))
    expect(page.get_by_test_id("right-status")).to_have_attribute("data-status", "in_force")
    expect(page.get_by_test_id("right-timeline")).to_contain_text("缴纳年费")
    expect(
        page.locator(f'[data-testid=right-pledges] tr[data-registration-no="{registration_no}"]')
    ).to_be_visible()
    shot("08_right_page")

    # --- the bank releases ----------------------------------------------------------------------
    login(page, base, "bank_a")
    page.goto(f"{base}/pledges/{pledge_id}/")
    page.select_option("#id_release-basis", "debt_discharged")
    page.check("#id_release-acknowledge")
    # The release asks first, naming the registration and that it cannot be undone.
    asked_before = len(dialogs.asked)
    dialogs.accept_next()
    page.get_by_test_id("release-submit").click()
    expect(page.get_by_test_id("pledge-state")).to_have_attribute("data-state", "released")
    assert dialogs.asked[asked_before:] == [
        f"注销质押登记 {registration_no} 后，知识产权即解除质押，不能恢复。确定注销？"
    ]
    shot("09_pledge_released")
    _logout(page, base)

    rows = _public_query(page, base, registration_no)
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-state", "released")
    expect(rows.first).to_contain_text(today.isoformat())  # the release date
    shot("10_public_released")

    # --- and the database agrees ----------------------------------------------------------------
    pledge = Pledge.objects.get(pk=pledge_id)
    assert pledge.state == "released"
    assert pledge.registration_no == registration_no
    assert pledge.released_on == today
    assert pledge.documents.get(kind="contract").sha256 == hashlib.sha256(PDF).hexdigest()
    context.close()
