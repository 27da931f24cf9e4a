"""The financing flow in a real browser, end to end:

the enterprise files a demand offering its patent (free of any pledge) → sees the matching
products (and why the other one does not match) → pushes it to the banks → bank A answers
"interested" in its feedback ledger → bank A's pledge of the patent is registered → the enterprise
applies for a loan from the demand with bank A's product → bank A approves it on that registered
pledge → disburses → records the repayment that settles it → closes it → follows the release
prompt → the pledge is released, and the public query shows it. Each irreversible step asks first
and its confirmation is accepted.

The parties, the patent, bank A's valuation and the two banks' products, and the pledge once bank
A has answered, are set up through the services (the pledge flow's UI is test_pledge_flow.py's);
everything else happens in the browser.
"""

from __future__ import annotations

import importlib
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from e2e.conftest import Dialogs, login, logout, nav_to
from ipfin.accounts.models import Organisation, User
from ipfin.accounts.services import user_create
from ipfin.demo.scenarios.catalogue import BANK_A_LOAN
from ipfin.financing.models import Demand, LprQuote, ProductVersion
from ipfin.financing.services import product_publish
from ipfin.loans.models import Loan
from ipfin.pledges.models import Pledge
from ipfin.pledges.samples import contract_file, other_party_confirms
from ipfin.pledges.services import pledge_decide, pledge_document_upload, pledge_submit
from ipfin.registry.tests.factories import make_patent
from ipfin.valuation.services.valuations import valuation_create, valuation_issue

AMOUNT = Decimal("800000.00")
# How a Chinese finance page writes it, worked out by hand (800,000 yuan ÷ 10,000 = 80 万元, two
# decimals), not by the formatter under test.
AMOUNT_ZH = "80.00 万元"
# Bank A's loan product of the demo (scenario `catalogue`), patents only, no 先息后本.
LOAN_TERMS: dict[str, Any] = {
    **BANK_A_LOAN,
    "accepted_right_kinds": ["invention", "utility_model"],
    "repayment_methods": ["annuity", "equal_principal"],
}


def _logout(page: Any, base: str) -> None:
    logout(page)
    page.wait_for_url(f"{base}/public/")


def _setup(
    examiner: User, bank_a_user: User, bank_b_user: User, enterprise_a: Organisation
) -> tuple[Any, ProductVersion, ProductVersion]:
    """Enterprise A's patent (free of any pledge: matching offers no pledged right) and bank A's
    valuation of it (cost approach: 2,000,000 × 1.1 × 8/10 = 1,760,000.00, so bank A's 50 %
    pledge rate covers up to 880,000.00), bank A's loan product for patents and bank B's for
    trademarks only."""
    patent = make_patent(examiner=examiner, owner=enterprise_a, title="一种融资流程测试用芯片")
    valuation = valuation_create(
        actor=bank_a_user,
        rights=[patent.number],
        method="cost",
        inputs={"cost": "2000000", "profit_rate": "0.1", "used_years": "2", "remaining_years": "8"},
    )
    assert valuation_issue(actor=bank_a_user, valuation=valuation).value == Decimal("1760000.00")
    ours = product_publish(
        actor=bank_a_user, code="E2E-IPL", kind="loan", name="知识产权质押贷", terms=LOAN_TERMS
    )
    theirs = product_publish(
        actor=bank_b_user,
        code="E2E-TM",
        kind="loan",
        name="商标质押贷",
        terms={**LOAN_TERMS, "accepted_right_kinds": ["trademark"]},
    )
    return patent, ours, theirs


def _register_pledge(
    examiner: User, bank_a_user: User, enterprise_a: Organisation, patent: Any
) -> Pledge:
    """Bank A's registered pledge over the patent (debt 5,000,000.00): filed by the bank, signed
    by the enterprise, registered by the examiner (the pledge flow's UI is
    test_pledge_flow.py's)."""
    today = timezone.localdate()
    pledge, _checks = pledge_submit(
        actor=bank_a_user,
        pledgor_uscc=enterprise_a.uscc or "",
        rights=[patent.number],
        debt_amount="5000000.00",
        term_start=today,
        term_end=today + timedelta(days=3 * 365),
        contract_no="ZY-E2E-FIN-0001",
    )
    if not User.objects.filter(organisation=enterprise_a).exists():
        user_create(username="enterprise_a_signer", password="pw-e2e-1", organisation=enterprise_a)
    pledge = other_party_confirms(pledge)  # the pledgor signs the joint application
    pledge_document_upload(
        actor=bank_a_user, pledge=pledge, uploaded_file=contract_file(pledge.contract_no)
    )
    return pledge_decide(actor=examiner, pledge=pledge, decision="approve")


@pytest.fixture
def lpr_fixings(transactional_db: None) -> None:
    """The published LPR fixings, as the data migration seeds them. An earlier transactional test
    (e.g. the PostgreSQL concurrency tests) ends with a flush, which empties tables filled by data
    migrations too; the approval below prices the loan at LPR + spread."""
    seeded = importlib.import_module("ipfin.financing.migrations.0003_seed_lpr_quotes")
    for day, tenor, rate in seeded.FIXINGS:
        LprQuote.objects.update_or_create(date=day, tenor=tenor, defaults={"rate": rate})


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("lpr_fixings")
def test_demand_match_answer_loan_repayment_release(
    live_server: Any,
    browser: Any,
    screenshots: Path,
    examiner: User,
    bank_a_user: User,
    bank_b_user: User,
    enterprise_a: Organisation,
    enterprise_a_user: User,
) -> None:
    from playwright.sync_api import expect

    patent, ours, theirs = _setup(examiner, bank_a_user, bank_b_user, enterprise_a)
    base = live_server.url
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    # Every irreversible step asks first (push, approval, disbursement, repayment, closure,
    # release): each confirmation is read and accepted.
    dialogs = Dialogs(page)

    def shot(name: str) -> None:
        page.screenshot(path=str(screenshots / f"fin_{name}.png"), full_page=True)

    # --- the enterprise files a demand and sees the matches --------------------------------------
    login(page, base, "enterprise_a")
    nav_to(page, "nav-demands")
    page.get_by_test_id("demand-new").click()
    page.wait_for_url(f"{base}/financing/demands/new/")
    expect(page.get_by_test_id("own-rights")).to_contain_text(patent.number)
    expect(page.locator("#id_enterprise_uscc")).to_have_value(enterprise_a.uscc or "")
    page.fill("#id_amount", "800000.00")
    page.fill("#id_term_months", "12")
    page.fill("#id_purpose", "芯片量产备货")
    page.fill("#id_rights", patent.number)
    page.get_by_test_id("demand-submit").click()
    page.wait_for_url(re.compile(r".*/financing/demands/\d+/$"))
    demand_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    expect(page.get_by_test_id("demand-state")).to_have_attribute("data-state", "open")
    expect(page.get_by_test_id("demand-amount")).to_have_text(AMOUNT_ZH)
    # 800,000.00 against a valuation of 1,760,000.00
    expect(page.get_by_test_id("match-valuation")).to_contain_text("176.00 万元")
    match = page.locator(f'[data-testid=eligible-table] tr[data-product-id="{ours.product_id}"]')
    expect(match).to_have_attribute("data-rank", "1")
    expect(match).to_contain_text("知识产权质押贷")
    expect(match).to_contain_text(bank_a_user.organisation.name)
    # bank B's product takes trademarks only: not a match, and the page says why
    refused = page.locator(f'[data-testid=ineligible] li[data-product-id="{theirs.product_id}"]')
    expect(refused.locator('[data-rule="right_kinds_accepted"]')).to_be_visible()
    shot("01_demand_matches")

    # --- ... and pushes it: bank A's product is the only match, so only bank A gets it -----------
    page.get_by_test_id("demand-push").click()
    expect(page.get_by_test_id("messages")).to_contain_text("已推送至 1 家银行")
    ledger_rows = page.locator("[data-testid=demand-ledger] tr[data-ledger-id]")
    expect(ledger_rows).to_have_count(1)
    expect(ledger_rows.first).to_contain_text(bank_a_user.organisation.name)
    expect(ledger_rows.first).to_contain_text("待反馈")
    row_id = ledger_rows.first.get_attribute("data-ledger-id")
    shot("02_demand_pushed")
    _logout(page, base)

    # --- bank A answers "interested" in its ledger -----------------------------------------------
    login(page, base, "bank_a")
    nav_to(page, "nav-ledger")
    page.wait_for_url(f"{base}/financing/ledger/")
    row = page.locator(f'[data-testid=ledger-table] tr[data-ledger-id="{row_id}"]')
    expect(row).to_contain_text(f"#{demand_id}")
    expect(row).to_contain_text(enterprise_a.name)
    row.locator(f"#response-{row_id}").select_option("interested")
    row.locator(f"#reason-{row_id}").fill("请提交近两年财务报表")
    row.get_by_role("button", name="提交反馈").click()
    expect(page.get_by_test_id("messages")).to_contain_text("反馈已记录")
    expect(row.get_by_test_id("ledger-response")).to_have_text("有意向")
    shot("03_bank_ledger_answered")
    _logout(page, base)
    # Bank A and the enterprise register the pledge of the patent the loan will rest on.
    pledge = _register_pledge(examiner, bank_a_user, enterprise_a, patent)

    # --- the enterprise applies from the demand with bank A's product ----------------------------
    login(page, base, "enterprise_a")
    page.goto(f"{base}/financing/demands/{demand_id}/")
    expect(page.get_by_test_id("ledger-response")).to_have_text("有意向")
    page.get_by_test_id("demand-apply").click()
    page.wait_for_url(re.compile(r".*/loans/\d+/$"))
    loan_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    expect(page.get_by_test_id("loan-state")).to_have_attribute("data-state", "applied")
    expect(page.get_by_test_id("loan-summary")).to_contain_text("知识产权质押贷（第 1 版）")
    expect(page.get_by_test_id("loan-summary")).to_contain_text(AMOUNT_ZH)
    shot("04_loan_applied")
    _logout(page, base)

    # --- bank A approves on its registered pledge, disburses -------------------------------------
    login(page, base, "bank_a")
    page.goto(f"{base}/loans/{loan_id}/")
    approve = page.get_by_test_id("approve")
    expect(approve.locator("#id_pledge_id")).to_have_value(str(pledge.pk))
    expect(approve.locator("#id_pledge_id option:checked")).to_contain_text(pledge.registration_no)
    expect(approve.locator("#id_principal")).to_have_value(re.compile(r"^800000(\.00)?$"))
    # The approval names the valuation it rests on (none is picked for the bank): its own.
    choice = approve.locator("#id_valuation_id")
    expect(choice).to_have_value("")
    own = approve.locator("#id_valuation_id option", has_text="1,760,000.00 元")
    choice.select_option(own.get_attribute("value") or "")
    shot("05_loan_approval_form")
    page.get_by_test_id("approve-submit").click()
    expect(page.get_by_test_id("loan-state")).to_have_attribute("data-state", "approved")
    expect(page.get_by_test_id("messages")).to_contain_text("授信审批已通过")
    expect(page.get_by_test_id("principal")).to_have_text(AMOUNT_ZH)
    expect(page.get_by_test_id("annual-rate")).to_contain_text("+ 50bp")
    # pledge rate 800,000 / 1,760,000 = 0.454545, shown as a percentage
    expect(page.get_by_test_id("pledge-rate")).to_have_text("45.45%")
    expect(page.get_by_test_id("loan-summary")).to_contain_text(pledge.registration_no)

    page.get_by_test_id("disburse-submit").click()
    expect(page.get_by_test_id("loan-state")).to_have_attribute("data-state", "disbursed")
    expect(page.locator("[data-testid=installments] tbody tr")).to_have_count(12)
    expect(page.get_by_test_id("classification")).to_have_text("正常")
    # nothing has accrued on the day of disbursement: settling costs the principal
    expect(page.get_by_test_id("amount-to-settle")).to_have_text(AMOUNT_ZH)
    shot("06_loan_disbursed")

    # --- ... records the repayment that settles it, closes it ------------------------------------
    page.get_by_test_id("repay").locator("#id_amount").fill("800000.00")
    # The form goes with the page's once-only key (ipfin.accounts.idempotency): a second click
    # would be the same request, acted on once.
    with page.expect_request(lambda r: r.method == "POST" and "/repayments/" in r.url) as sent:
        page.get_by_test_id("repay-submit").click()
    assert re.search(r"(^|&)_once=[0-9a-f]{32}(&|$)", sent.value.post_data or ""), sent.value
    expect(page.get_by_test_id("messages")).to_contain_text("已登记还款 800,000.00 元")
    expect(page.get_by_test_id("loan-state")).to_have_attribute("data-state", "repaying")
    expect(page.get_by_test_id("outstanding")).to_have_text("0.00 元")
    expect(page.locator("[data-testid=repayments] tbody tr")).to_have_count(1)
    shot("07_loan_repaid")
    page.get_by_test_id("close-submit").click()
    expect(page.get_by_test_id("loan-state")).to_have_attribute("data-state", "closed")

    # --- ... and follows the release prompt ------------------------------------------------------
    prompt = page.get_by_test_id("release-prompt")
    expect(prompt).to_contain_text(pledge.registration_no)
    shot("08_loan_closed_release_prompt")
    prompt.locator("input[name=release-acknowledge]").check()  # an irreversible act, confirmed
    prompt.get_by_test_id("release-submit").click()
    page.wait_for_url(f"{base}/pledges/{pledge.pk}/")
    expect(page.get_by_test_id("pledge-state")).to_have_attribute("data-state", "released")
    shot("09_pledge_released")
    _logout(page, base)

    # --- the public query shows the registration released ----------------------------------------
    page.goto(f"{base}/public/")
    page.get_by_test_id("public-q").fill(pledge.registration_no)
    page.get_by_test_id("public-submit").click()
    rows = page.locator("[data-testid=public-pledges] tbody tr[data-registration-no]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-state", "released")
    shot("10_public_released")
    asked = dialogs.asked  # read in the tab, before it closes
    context.close()

    # --- and the database agrees -----------------------------------------------------------------
    loan = Loan.objects.get(pk=loan_id)
    assert (loan.state, loan.demand_id, loan.pledge_id) == ("closed", demand_id, pledge.pk)
    assert loan.outstanding_principal == 0 and loan.product_version_id == ours.pk
    assert Demand.objects.get(pk=demand_id).state == "financed"
    assert Pledge.objects.get(pk=pledge.pk).state == "released"
    # Each confirmation named its object and what would happen.
    assert [m.split("：")[0] for m in asked] == [
        f"将融资需求 #{demand_id} 推送至符合条件的银行",
        f"审批通过贷款 #{loan.pk}",
        f"为贷款 #{loan.pk} 放款 800,000.00 元",
        f"登记贷款 #{loan.pk} 的还款",
        f"结清贷款 #{loan.pk}",
        f"注销质押登记 {pledge.registration_no} 后，知识产权即解除质押，不能恢复。确定注销？",
    ]
