"""Issue 12 end to end in a real browser: a pledged loan defaults → the office's scan raises the
alert the bank sees on its home page → the bank claims compensation → one office user approves and
another releases the advance → the bank lists the pledge on the trading board → an enterprise bids
twice → the sale is completed → the claim is settled with the sale. Every step through the pages
(confirmations accepted as a user would); the setup before the default through the services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from e2e.conftest import Dialogs, login, logout
from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.disposals.models import Disposal
from ipfin.loans.models import Loan
from ipfin.loans.services import loan_classify_manual

# The loans app's builders, as fixtures here too.
from ipfin.loans.tests.conftest import lend, pledge_over, pledged, value_right  # noqa: F401
from ipfin.pledges.models import Pledge
from ipfin.registry.services import right_event_record
from ipfin.risk.models import RiskClaim
from ipfin.risk.services import fund_budget, scheme_create


def _logout(page: Any) -> None:
    logout(page)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_default_alert_claim_advance_listing_bids_sale_settlement(
    live_server: Any,
    browser: Any,
    screenshots: Path,
    pledged: tuple[Pledge, Any],  # noqa: F811
    lend: Callable[..., Loan],  # noqa: F811
    bank_a_user: User,
    office_user: User,
    examiner: User,
    enterprise_b_user: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    today = timezone.localdate()
    pledge, _valuation = pledged
    right = pledge.items.get().right
    # The default: bank A's 400,000.00 loan over the pledge, long overdue, 损失.
    loan = lend(pledge, principal="400000.00")
    loan_classify_manual(
        actor=bank_a_user, loan=loan, category="loss", reason="本息逾期一年以上",
        today=today,
    )  # fmt: skip
    right_event_record(
        actor=examiner, right=right, type="preservation", date=today - timedelta(days=3)
    )
    fund = make_org(OrganisationKind.RISK_FUND, "示范市知识产权质押融资风险补偿基金", uscc=None)
    make_user("office_checker", office_user.organisation)
    scheme = scheme_create(
        actor=office_user, fund_id=fund.pk, name="前置代偿方案", mode="front_loaded",
        shares={"fund": "0.4", "bank": "0.3", "guarantor": "0.2", "insurer": "0.1"},
    )  # fmt: skip
    fund_budget(actor=office_user, fund_id=fund.pk, amount="2000000.00", memo="财金〔2026〕8号")

    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    Dialogs(page)  # every confirmation, accepted

    # 1. The office runs the scan from its risk page.
    login(page, base, "office")
    page.goto(f"{base}/risk/")
    page.get_by_test_id("risk-scan-run").click()
    expect(page.get_by_test_id("messages")).to_contain_text("已完成")
    _logout(page)

    # 2. Bank A's home page: the alert, high severity.
    login(page, base, "bank_a")
    expect(page.get_by_test_id("home-risk")).to_be_visible()
    assert int(page.get_by_test_id("alerts-high").inner_text()) >= 2  # preservation, overdue
    page.screenshot(path=str(screenshots / "risk_01_bank_home.png"), full_page=True)
    page.goto(f"{base}/risk/alerts/?kind=preservation")
    expect(page.get_by_test_id("alert-table")).to_contain_text("财产保全")

    # 3. The bank claims compensation on the loan.
    page.goto(f"{base}/risk/claims/")
    page.get_by_label("不良贷款").select_option(str(loan.pk))
    page.get_by_label("风险补偿方案").select_option(str(scheme.pk))
    page.get_by_test_id("claim-file-submit").click()
    expect(page.get_by_test_id("claim-state")).to_contain_text("待审核")
    claim = RiskClaim.objects.get(loan=loan)
    _logout(page)

    # 4. One office user approves; the same user cannot pay; another does.
    login(page, base, "office")
    page.goto(f"{base}/risk/claims/{claim.pk}/")
    page.get_by_test_id("claim-approve").click()
    expect(page.get_by_test_id("claim-advance")).to_contain_text("16.00 万元")
    page.get_by_test_id("claim-pay").click()
    expect(page.get_by_test_id("action-error")).to_be_visible()
    _logout(page)
    login(page, base, "office_checker")
    page.goto(f"{base}/risk/claims/{claim.pk}/")
    page.get_by_test_id("claim-pay").click()
    expect(page.get_by_test_id("claim-state")).to_contain_text("待处置")
    _logout(page)

    # The court lifts its preservation: while it stood, the procedures on the right were
    # suspended and no bid on it would be taken (409 right_suspended).
    right_event_record(actor=examiner, right=right, type="preservation_lifted", date=today)

    # 5. The bank lists the pledge on the trading board (valuation 880,000.00: floor 616,000.00).
    login(page, base, "bank_a")
    page.goto(f"{base}/disposals/new/?pledge={pledge.pk}")
    page.get_by_label("起拍价（元）").fill("620000.00")
    page.get_by_label("加价幅度（元）").fill("10000.00")
    page.get_by_label("挂牌日").fill(today.isoformat())
    closes = timezone.localtime() + timedelta(days=2)
    page.get_by_label("竞价截止时间").fill(closes.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_test_id("disposal-submit").click()
    expect(page.get_by_test_id("disposal-state")).to_be_visible()
    disposal = Disposal.objects.get(pledge=pledge)
    _logout(page)

    # 6. An enterprise bids twice; a bid below the next minimum is refused next to the amount.
    login(page, base, "enterprise_b")
    page.goto(f"{base}/disposals/{disposal.pk}/")
    page.get_by_label("出价（元）").fill("620000.00")
    page.get_by_test_id("bid-submit").click()
    expect(page.get_by_test_id("leading")).to_contain_text("62.00 万元")
    page.get_by_label("出价（元）").fill("625000.00")
    page.get_by_test_id("bid-submit").click()
    expect(page.locator(".errorlist")).to_be_visible()
    page.get_by_label("出价（元）").fill("900000.00")
    page.get_by_test_id("bid-submit").click()
    expect(page.get_by_test_id("leading")).to_contain_text("90.00 万元")
    page.screenshot(path=str(screenshots / "risk_02_bidding.png"), full_page=True)
    _logout(page)

    # The close, moved into the past: the one step not through a page (a test cannot wait 2 days).
    Disposal.objects.filter(pk=disposal.pk).update(closes_at=timezone.now() - timedelta(minutes=1))

    # 7. The bank completes the sale; the claim settles with it.
    login(page, base, "bank_a")
    page.goto(f"{base}/disposals/{disposal.pk}/")
    page.get_by_test_id("complete-submit").click()
    expect(page.get_by_test_id("disposal-state")).to_contain_text("已成交")
    page.goto(f"{base}/risk/claims/{claim.pk}/")
    expect(page.get_by_test_id("claim-settlement")).not_to_have_text("—")
    page.screenshot(path=str(screenshots / "risk_03_settled_claim.png"), full_page=True)
    claim.refresh_from_db()
    pledge.refresh_from_db()
    assert claim.proceeds is not None and claim.settlement == claim.fund_part - claim.advance
    assert pledge.state == "released"
    context.close()
