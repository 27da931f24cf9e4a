"""The examiner's desk in a real browser (issue 13), in Debian's Chromium:

an examiner filters the queue (bank A's registrations), claims a case from it, reads the contract
shown inline on the case page (framed by the site itself: the frame holds the PDF, not the
browser's refusal page), sees the pending invalidation the parties declared as a warning in
words (amber, not a tick), submits a refusal without a reason and reads the error next to the
reason, then approves; at 390×844 the queue does not scroll sideways and its rows are cards.
Data is set up through the services; everything after that happens in the browser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from e2e.conftest import Dialogs, login
from ipfin.accounts.models import Organisation, User
from ipfin.pledges.models import Pledge
from ipfin.pledges.samples import file_pledge
from ipfin.registry.services import right_event_record
from ipfin.registry.tests.factories import make_patent

NARROW = {"width": 390, "height": 844}


def _cases(page: Any) -> list[str]:
    rows = page.locator("[data-testid=queue-table] tbody tr[data-case]")
    return [str(rows.nth(i).get_attribute("data-case")) for i in range(rows.count())]


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_examiner_filters_claims_reads_the_contract_and_decides(
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

    # --- data, through the services -------------------------------------------------------------
    today = timezone.localdate()
    contested = make_patent(examiner=examiner, owner=enterprise_a, title="一种无效程序中的传感器")
    right_event_record(
        actor=examiner, right=contested, type="invalidation_requested", date=today, payload={}
    )
    case: Pledge = file_pledge(
        filer=bank_a_user,
        pledgor=enterprise_a,
        rights=[contested],
        contract=True,
        proceed_despite_invalidation=True,
        debt_amount="3000000.00",
        term_start=today,
        term_end=today.replace(year=today.year + 2),
        contract_no="E2E-DESK-1",
    )
    other: Pledge = file_pledge(
        filer=bank_b_user,
        pledgor=enterprise_a,
        rights=[make_patent(examiner=examiner, owner=enterprise_a)],
        debt_amount="1000000.00",
        term_start=today,
        term_end=today.replace(year=today.year + 2),
        contract_no="E2E-DESK-2",
    )
    assert case.state == other.state == "submitted"
    bank_a = bank_a_user.organisation
    assert bank_a is not None
    base = live_server.url

    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    refused_frames: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused_frames.append(message.text)
            if "Refused to" in message.text or "frame" in message.text.lower()
            else None
        ),
    )
    dialogs = Dialogs(page)  # the decision's confirmation: yes

    def shot(name: str) -> None:
        page.screenshot(path=str(screenshots / f"desk_{name}.png"), full_page=True)

    # --- the queue, filtered ----------------------------------------------------------------------
    login(page, base, "examiner")
    page.goto(f"{base}/examiner/queue/")
    expect(page.locator("h1")).to_have_text("审查队列")
    assert set(_cases(page)) == {f"registration-{case.pk}", f"registration-{other.pk}"}
    page.locator("select[name=bank]").select_option(label=bank_a.name)
    page.locator("select[name=kind]").select_option(value="registration")
    page.locator("select[name=claim]").select_option(value="unclaimed")
    page.get_by_test_id("filter-submit").click()
    page.wait_for_load_state()
    assert _cases(page) == [f"registration-{case.pk}"]
    assert f"bank={bank_a.pk}" in page.url and "claim=unclaimed" in page.url
    row = page.locator(f"tr[data-pledge-id='{case.pk}']")
    expect(row.get_by_test_id("case-declared-risk")).to_contain_text("无效宣告未决")
    shot("01_queue_filtered")

    # --- claim it -------------------------------------------------------------------------------
    page.get_by_test_id(f"queue-claim-{case.pk}").click()
    page.wait_for_url(f"{base}/pledges/{case.pk}/")
    expect(page.get_by_test_id("case-holder-name")).to_contain_text("本案由您承办")
    case.refresh_from_db()
    assert case.assignee_id == examiner.pk

    # --- the contract inline, the download beside it ----------------------------------------------
    frame_element = page.get_by_test_id("contract-frame")
    expect(frame_element).to_be_visible()
    src = frame_element.get_attribute("src")
    assert src and src.endswith("/inline/")
    expect(page.get_by_test_id("contract-download")).to_be_visible()
    answer = page.request.get(f"{base}{src}")
    assert answer.status == 200
    assert answer.headers["content-disposition"].startswith("inline")
    assert answer.headers["x-frame-options"] == "SAMEORIGIN"
    assert answer.headers["content-security-policy"] == "frame-ancestors 'self'"
    assert answer.body().startswith(b"%PDF")
    # The frame holds the document, not the browser's "refused to connect" page.
    page.wait_for_timeout(500)
    framed = [f.url for f in page.frames if f != page.main_frame]
    assert any(url.endswith(src) for url in framed), framed
    assert not [text for text in refused_frames if "Refused to" in text], refused_frames

    # --- the declared invalidation: a warning in words, not a tick --------------------------------
    warning = page.get_by_test_id("declared-risks")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(f"{contested.number}：无效宣告程序尚未结束")
    check = page.locator("li.check[data-rule=no_invalidation_pending]")
    expect(check).to_have_attribute("data-outcome", "warn")
    assert check.locator(".icon").inner_text() != "✓"
    shot("02_case_page")

    # --- a refusal without a reason: the error next to the reason ---------------------------------
    page.locator("input[name=decision][value=reject]").check()
    page.locator("textarea[name=reason]").fill("")
    with page.expect_response(lambda r: r.url.endswith("/decision/")) as refused:
        page.get_by_test_id("decision-submit").click()
    assert refused.value.status == 422
    reason_field = page.get_by_test_id("decision-reason-field")
    expect(reason_field).to_contain_text("不予登记或要求补正时须说明理由")
    expect(page.locator("input[name=decision][value=reject]")).to_be_checked()
    shot("03_reason_missing")
    # The page answered 422 holds the contract's frame again: let it finish loading before the
    # next click, so that its confirmation is not opened while the frame is still navigating.
    page.wait_for_load_state("load")

    # --- then the decision ------------------------------------------------------------------------
    page.locator("input[name=decision][value=approve]").check()
    page.get_by_test_id("decision-submit").click()
    page.wait_for_url(f"{base}/pledges/{case.pk}/")
    expect(page.get_by_test_id("pledge-state")).to_have_attribute("data-state", "registered")
    assert len(dialogs.asked) == 2 and all("决定提交后不能撤回" in text for text in dialogs.asked)
    case.refresh_from_db()
    assert case.state == "registered" and case.registration_no and case.decided_by_id == examiner.pk
    expect(page.get_by_test_id("registration-no")).to_have_text(case.registration_no)
    shot("04_registered")
    context.close()

    # --- the queue on a phone: no sideways scroll, rows as cards ---------------------------------
    phone = browser.new_context(locale="zh-CN", viewport=NARROW)
    page = phone.new_page()
    page.set_default_timeout(20_000)
    login(page, base, "examiner")
    page.goto(f"{base}/examiner/queue/?status=all")
    assert len(_cases(page)) == 2
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    display = page.locator(f"tr[data-pledge-id='{other.pk}']").evaluate(
        "row => getComputedStyle(row).display"
    )
    assert display == "block"
    page.screenshot(path=str(screenshots / "desk_05_queue_390.png"), full_page=True)
    phone.close()
