"""Issue 16 end to end in a real browser: a guarantee and a pledge-financing guarantee insurance
policy on a loan → default → the claims paid within the risk-compensation waterfall. Bank A asks
a guarantor for a guarantee, the guarantor issues it; an insurer issues the policy with a
co-insurer and the bank accepts it; the loan defaults; the bank calls the guarantee and the
guarantor pays; the bank claims compensation and the claim takes the two contracts' shares; the
office approves, a second office user releases the advance; after the disposal the office
settles the claim, which fixes each party's part: the guarantor is refunded what it paid beyond
its part, and the insurer pays its part, split between the co-insurers. Every step through the
pages, each confirmation read and accepted; the setup before the request (the loan, the fund)
and the default through the services. Also at 390 px and in English: the guarantee and the
policy pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from e2e.conftest import Dialogs, login, logout
from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.guarantees.models import Guarantee
from ipfin.insurance.models import InsuranceClaim, Policy
from ipfin.loans.models import Loan
from ipfin.loans.services import loan_classify_manual

# The loans app's builders, as fixtures here too.
from ipfin.loans.tests.conftest import lend, pledge_over, pledged, value_right  # noqa: F401
from ipfin.pledges.models import Pledge
from ipfin.risk.models import RiskClaim
from ipfin.risk.services import fund_budget, scheme_create

D = Decimal


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_guarantee_and_policy_on_a_loan_default_claims_paid_within_the_waterfall_issue16(
    live_server: Any,
    browser: Any,
    screenshots: Path,
    pledged: tuple[Pledge, Any],  # noqa: F811
    lend: Callable[..., Loan],  # noqa: F811
    bank_a_user: User,
    office_user: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    today = timezone.localdate()
    pledge, _valuation = pledged
    loan = lend(pledge, principal="400000.00")  # 12 %, 3 months from 2025-01-15, disbursed
    guarantor = make_org(OrganisationKind.GUARANTOR, "示范市科技融资担保有限公司", uscc=None)
    make_user("guarantor", guarantor)
    lead = make_org(OrganisationKind.INSURER, "甲财产保险股份有限公司", uscc=None)
    second = make_org(OrganisationKind.INSURER, "乙财产保险股份有限公司", uscc=None)
    make_user("insurer", lead)
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
    dialogs = Dialogs(page)

    # 1. Bank A asks the guarantor for a guarantee: 30 % of the loss, at most 60,000.00, 1.5 %,
    # for three years after the loan falls due (保证期间, 民法典 art. 692).
    login(page, base, "bank_a")
    page.goto(f"{base}/guarantees/")
    page.get_by_label("贷款", exact=True).select_option(str(loan.pk))
    page.get_by_label("担保机构").select_option(str(guarantor.pk))
    page.get_by_label("担保比例（%）").fill("30")
    page.get_by_label("担保责任上限（元）").fill("60000.00")
    page.get_by_label("年担保费率（%）").fill("1.5")
    # Three years after the loan falls due (2025-04-15): it is called today, within them.
    page.get_by_label("保证期间（月）").fill("36")
    page.get_by_test_id("guarantee-request-submit").click()
    expect(page.get_by_test_id("guarantee-state")).to_contain_text("待出具")
    g = Guarantee.objects.get(loan=loan)
    logout(page)

    # 2. The guarantor issues it; the fee of the disbursed loan is charged at once:
    # 400,000.00 × 1.5 % × 3 / 12 = 1,500.00.
    login(page, base, "guarantor")
    page.goto(f"{base}/guarantees/{g.pk}/")
    page.get_by_test_id("guarantee-issue").click()
    expect(page.get_by_test_id("guarantee-state")).to_contain_text("已出具")
    expect(page.get_by_test_id("guarantee-fee")).to_contain_text("1,500.00")
    assert "担保责任" in dialogs.asked[-1]
    logout(page)

    # 3. The insurer issues pledge-financing guarantee insurance on the loan: 20 % of the bank's
    # loss, 100,000.00 insured at 1 %, the co-insurer taking 40 %.
    login(page, base, "insurer")
    page.goto(f"{base}/insurance/new/")
    page.get_by_label("险种").select_option("pledge_guarantee")
    page.get_by_label("贷款编号").fill(str(loan.pk))
    page.get_by_label("投保人（企业或园区）").select_option(str(loan.enterprise_id))
    page.get_by_label("被保险银行").select_option(str(loan.bank_id))
    page.get_by_label("赔付比例（%）").fill("20")
    page.get_by_label("保险金额（元）").fill("100000.00")
    page.get_by_label("保险费率（%）").fill("1")
    page.get_by_label("起保日").fill((today - timedelta(days=30)).isoformat())
    page.get_by_label("终保日").fill((today + timedelta(days=335)).isoformat())
    page.get_by_label("共保机构（可不填）").select_option(str(second.pk))
    page.get_by_label("共保机构份额（%）").fill("40")
    page.get_by_test_id("policy-submit").click()
    expect(page.get_by_test_id("policy-premium")).to_contain_text("1,000.00")
    expect(page.get_by_test_id("policy-members")).to_contain_text("600.00")
    policy = Policy.objects.get(loan=loan)
    page.screenshot(path=str(screenshots / "contracts_01_policy.png"), full_page=True)
    logout(page)

    # The default: the loan classified 损失 (through the service, as the risk flow does).
    loan_classify_manual(
        actor=bank_a_user, loan=loan, category="loss", reason="本息逾期一年以上", today=today
    )

    # 4. The bank accepts the policy (until then it covers nothing), then calls the guarantee:
    # 30 % of 400,000.00 is 120,000.00, the cap 60,000.00 due.
    login(page, base, "bank_a")
    page.goto(f"{base}/insurance/{policy.pk}/")
    expect(page.get_by_test_id("policy-accepted")).to_contain_text("待银行确认")
    page.get_by_test_id("policy-accept").click()
    expect(page.get_by_test_id("policy-accepted")).not_to_contain_text("待银行确认")
    assert "确认接受该保单" in dialogs.asked[-1]
    page.goto(f"{base}/guarantees/{g.pk}/")
    page.get_by_test_id("guarantee-call").click()
    expect(page.get_by_test_id("guarantee-due")).to_contain_text("60,000.00")
    # 5. It claims compensation; the claim shows the guarantee's and the policy's cover.
    page.goto(f"{base}/risk/claims/")
    page.get_by_label("不良贷款").select_option(str(loan.pk))
    page.get_by_label("风险补偿方案").select_option(str(scheme.pk))
    page.get_by_test_id("claim-file-submit").click()
    expect(page.get_by_test_id("claim-cover-guarantor")).to_contain_text("30.00%")
    expect(page.get_by_test_id("claim-cover-insurer")).to_contain_text("20.00%")
    claim = RiskClaim.objects.get(loan=loan)
    logout(page)

    login(page, base, "guarantor")
    page.goto(f"{base}/guarantees/{g.pk}/")
    page.get_by_test_id("guarantee-pay").click()
    expect(page.get_by_test_id("guarantee-paid")).to_contain_text("60,000.00")
    assert "60,000.00" in dialogs.asked[-1]
    logout(page)

    # 6. One office user approves (advance 40 % × 400,000.00 = 160,000.00), another releases it.
    login(page, base, "office")
    page.goto(f"{base}/risk/claims/{claim.pk}/")
    page.get_by_test_id("claim-approve").click()
    expect(page.get_by_test_id("claim-advance")).to_contain_text("16.00 万元")
    logout(page)
    login(page, base, "office_checker")
    page.goto(f"{base}/risk/claims/{claim.pk}/")
    page.get_by_test_id("claim-pay").click()
    expect(page.get_by_test_id("claim-state")).to_contain_text("待处置")
    # 7. After the disposal (proceeds 250,000.00, costs 10,000.00) the claim is settled: loss
    # 400,000.00 − 232,000.00 = 168,000.00; fund 67,200.00, guarantor 50,400.00 (30 %), insurer
    # 33,600.00 (20 %), bank 16,800.00 (the rest, 10 %).
    page.get_by_label("处置所得（元）").fill("250000.00")
    page.get_by_label("处置费用（元，可不填）").fill("10000.00")
    page.get_by_test_id("claim-settle").click()
    expect(page.get_by_test_id("claim-parts")).to_contain_text("5.04 万元")
    page.screenshot(path=str(screenshots / "contracts_02_settled_claim.png"), full_page=True)
    logout(page)

    # 8. The guarantor sees its refund: it paid 60,000.00, its part is 50,400.00.
    login(page, base, "guarantor")
    page.goto(f"{base}/guarantees/{g.pk}/")
    expect(page.get_by_test_id("guarantee-state")).to_contain_text("已结算")
    expect(page.get_by_test_id("guarantee-refund")).to_contain_text("9,600.00")
    expect(page.get_by_test_id("guarantee-refund-received")).to_contain_text("尚未收到")
    # The bank's refund comes in two instalments, each recorded by the guarantor after the
    # page asks: 5,000.00 first, then (at 390 px, in English) the rest the form proposes.
    page.locator("#id_amount").fill("5000.00")
    page.get_by_test_id("refund-received").click()
    expect(page.get_by_test_id("guarantee-refund-received")).to_contain_text("尚待返还 4,600.00 元")
    assert "不能撤销" in dialogs.asked[-1]
    page.get_by_test_id("language-select").select_option("en")
    page.wait_for_load_state()
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator("#id_amount")).to_have_value("4600.00")
    width, inner = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width <= inner, f"the page scrolls sideways: {width} > {inner}"
    page.screenshot(path=str(screenshots / "contracts_02b_refund_phone.png"), full_page=True)
    page.get_by_test_id("refund-received").click()
    expect(page.get_by_test_id("guarantee-refund-received")).to_contain_text("received in full")
    expect(page.get_by_test_id("refund-form")).to_have_count(0)
    assert "cannot be undone" in dialogs.asked[-1]
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_test_id("language-select").select_option("zh-hans")
    page.wait_for_load_state()
    logout(page)

    # 9. The insurer pays its part, assessed by the settlement, split 60 / 40.
    ins = InsuranceClaim.objects.get(policy=policy)
    login(page, base, "insurer")
    page.goto(f"{base}/insurance/{policy.pk}/")
    expect(page.get_by_test_id(f"insurance-claim-payout-{ins.pk}")).to_contain_text("33,600.00")
    page.get_by_test_id(f"insurance-claim-pay-{ins.pk}").click()
    expect(page.get_by_test_id(f"insurance-claim-state-{ins.pk}")).to_contain_text("已赔付")
    expect(page.get_by_test_id("policy-paid-out")).to_contain_text("33,600.00")
    assert "33,600.00" in dialogs.asked[-1]

    # The policy page at 390 px and in English: no field names, amounts formatted.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    width, inner = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width <= inner, f"the page scrolls sideways: {width} > {inner}"
    page.screenshot(path=str(screenshots / "contracts_03_policy_phone.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_test_id("language-select").select_option("en")
    page.wait_for_load_state()
    expect(page.get_by_test_id("policy-paid-out")).to_have_text("CNY 33,600.00")
    body = page.locator("main").inner_text()
    assert "Co-insurance pool" in body
    for code in ("pledge_guarantee", "loss_share", "paid_out", "sum_insured", "premium_part"):
        assert code not in body, code
    context.close()

    claim.refresh_from_db()
    ins.refresh_from_db()
    assert (claim.guarantor_part, claim.insurer_part, claim.bank_part) == (
        D("50400.00"), D("33600.00"), D("16800.00"),
    )  # fmt: skip
    assert ins.parts == {str(lead.pk): "20160.00", str(second.pk): "13440.00"}
