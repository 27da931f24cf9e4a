"""核销后收回 in a real browser: bank A's loan, classified 损失 and written off today, takes a
recovery recorded on its page. The page shows what the borrower owed at the write-off; a day
before the write-off is refused with the reason next to its field, nothing recorded; the form
asks before recording (dismissed, nothing is sent); accepted, the recovery is listed and what is
still owed goes down. Then at 390 px in English: no field names, amounts formatted, no sideways
scroll. The loan is set up through the services; the recovery happens in the browser."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from e2e.conftest import Dialogs, login
from ipfin.accounts.models import Organisation, User
from ipfin.loans import services
from ipfin.loans.models import WriteOffRecovery
from ipfin.loans.tests.factories import pledge_with_loan
from ipfin.registry.tests.factories import make_patent


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_bank_records_a_recovery_on_a_written_off_loan(
    live_server: Any,
    browser: Any,
    screenshots: Path,
    examiner: User,
    bank_a_user: User,
    enterprise_a: Organisation,
) -> None:
    from playwright.sync_api import expect

    patent = make_patent(examiner=examiner, owner=enterprise_a, title="一种核销收回测试用阀门")
    _pledge, loan = pledge_with_loan(
        examiner=examiner, bank_user=bank_a_user, enterprise=enterprise_a, right=patent
    )
    services.loan_classify_manual(
        actor=bank_a_user, loan=loan, category="loss", reason="借款企业破产清算"
    )
    services.loan_write_off(actor=bank_a_user, loan=loan, reason="破产清算终结")
    loan.refresh_from_db()
    assert loan.written_off_debt is not None
    debt = Decimal(loan.written_off_debt)
    base = live_server.url
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    login(page, base, bank_a_user.username)
    dialogs = Dialogs(page)
    page.goto(f"{base}/loans/{loan.pk}/")
    card = page.get_by_test_id("recoveries")
    expect(card).to_be_visible()
    expect(page.get_by_test_id("written-off-debt")).to_have_text(f"{debt:,.2f} 元")
    expect(page.get_by_test_id("still-owed")).to_have_text(f"{debt:,.2f} 元")

    # A day before the write-off: refused next to the field, nothing recorded.
    early = timezone.localdate() - timedelta(days=1)
    page.locator("#id_amount").fill("20000")
    page.locator("#id_received_on").fill(early.isoformat())
    page.get_by_test_id("recovery-submit").click()
    expect(page.locator("#recovery-form")).to_contain_text("收回日不能早于核销日")
    assert not WriteOffRecovery.objects.exists()

    # Dismissed: nothing sent. Accepted: recorded and listed.
    page.locator("#id_amount").fill("20000")
    page.locator("#id_received_on").fill("")
    page.locator("#id_note").fill("法院执行款")
    dialogs.dismiss_next()
    page.get_by_test_id("recovery-submit").click()
    assert "登记后不能撤回" in dialogs.asked[-1]
    assert not WriteOffRecovery.objects.exists()
    dialogs.accept_next()
    page.get_by_test_id("recovery-submit").click()
    expect(page.get_by_test_id("recovered")).to_have_text("20,000.00 元")
    expect(page.get_by_test_id("still-owed")).to_have_text(f"{debt - 20000:,.2f} 元")
    expect(page.get_by_test_id("recovery-list")).to_contain_text("法院执行款")
    page.screenshot(path=str(screenshots / "recovery_01_desk.png"), full_page=True)

    # At 390 px, in English.
    page.get_by_test_id("language-select").select_option("en")
    page.wait_for_load_state()
    page.set_viewport_size({"width": 390, "height": 844})
    expect(card).to_contain_text("Recoveries after write-off")
    expect(page.get_by_test_id("recovered")).to_contain_text("20,000.00")
    assert "_" not in card.inner_text()  # no field or code name on screen
    width, inner = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width <= inner, f"the page scrolls sideways: {width} > {inner}"
    page.screenshot(path=str(screenshots / "recovery_02_phone_en.png"), full_page=True)
    context.close()
