"""The bank's own five-category classification, the write-off (核销) and the pledge's effective
date at approval: services, API and pages, on the real database.

Reference loan (conftest `lend`): 120,000.00 disbursed 2025-01-15, equal principal over 3 months,
first instalment due 2025-02-15 and never paid. Days past due from 2025-02-15: 2025-05-17 is 91
days (13 + 31 + 30 + 17) → floor 次级; 2025-11-12 is 270 days → still 次级; 2026-02-11 is 361
days → 损失 (《商业银行金融资产风险分类办法》 arts. 10–12).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from ipfin.accounts.models import Notification, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ipfin.loans import services
from ipfin.loans.models import Loan
from ipfin.loans.tests.conftest import REGISTERED_ON
from ipfin.pledges.models import Pledge
from ipfin.valuation.models import Valuation

D = Decimal
# The first instalment falls due on Saturday 2025-02-15, payable on Monday 2025-02-17 (民法典
# art. 203): days past due count from the 17th.
DAY_91 = date(2025, 5, 19)  # 91 days past due: 次级
DAY_361 = date(2026, 2, 13)  # 361 days past due: 损失


def _state(loan: Loan) -> tuple[Any, ...]:
    loan.refresh_from_db()
    return (
        loan.state,
        loan.classification,
        loan.assessed_classification,
        loan.assessed_reason,
        loan.written_off_on,
        loan.write_off_reason,
        loan.outstanding_principal,
    )


def _audits(loan: Loan, action: str) -> int:
    return AuditRecord.objects.filter(action=action, object_id=str(loan.pk)).count()


# --- write-off ----------------------------------------------------------------------------------


def test_write_off_refused_before_loss_then_allowed_at_loss(
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
    bank_a_user: User,
    enterprise_a_user: User,
) -> None:
    loan = lend(pledged[0])
    before = _state(loan)
    # 91 days past due: 次级 — non-performing, but not 损失: refused, nothing changes.
    with pytest.raises(Conflict) as err:
        services.loan_write_off(actor=bank_a_user, loan=loan, reason="企业停产", today=DAY_91)
    assert err.value.code == "write_off_not_loss"
    assert err.value.extra == {"classification": "substandard", "days_past_due": 91}
    assert _state(loan) == before
    assert _audits(loan, "loan.write_off") == 0
    assert not Notification.objects.filter(verb="loan.write_off").exists()
    # 361 days past due: 损失 — written off; the outstanding principal is the amount written off.
    done = services.loan_write_off(
        actor=bank_a_user, loan=loan, reason="企业破产清算", today=DAY_361
    )
    assert done.state == "written_off"
    assert _state(loan) == (
        "written_off",
        "loss",
        "",
        "",
        DAY_361,
        "企业破产清算",
        D("120000.00"),
    )
    record = AuditRecord.objects.get(action="loan.write_off", object_id=str(loan.pk))
    assert record.before["state"] == "disbursed"
    assert record.after["amount_written_off"] == "120000.00"
    note = Notification.objects.get(verb="loan.write_off")
    assert note.organisation_id == enterprise_a_user.organisation_id
    assert "120000.00" in note.message_zh and note.object_type == "loans.loan"
    # A written-off loan is final.
    with pytest.raises(Conflict) as again:
        services.loan_write_off(actor=bank_a_user, loan=loan, reason="x", today=DAY_361)
    assert again.value.code == "illegal_transition"


def test_write_off_after_the_bank_classifies_the_loan_as_loss(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_user: User
) -> None:
    loan = lend(pledged[0])
    services.loan_classify_manual(
        actor=bank_a_user, loan=loan, category="loss", reason="担保物已灭失", today=DAY_91
    )
    done = services.loan_write_off(actor=bank_a_user, loan=loan, reason="核销", today=DAY_91)
    assert (done.state, done.classification, done.days_past_due) == ("written_off", "loss", 91)


def test_write_off_needs_the_lending_bank_a_reason_and_a_disbursed_loan(
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
    bank_a_user: User,
    bank_b_user: User,
    enterprise_a_user: User,
) -> None:
    loan = lend(pledged[0])
    applied = lend(pledged[0], until="applied")
    before, before_applied = _state(loan), _state(applied)
    with pytest.raises(PermissionDenied):
        services.loan_write_off(actor=enterprise_a_user, loan=loan, reason="x", today=DAY_361)
    with pytest.raises(NotFound):
        services.loan_write_off(actor=bank_b_user, loan=loan, reason="x", today=DAY_361)
    with pytest.raises(ValidationFailed) as err:
        services.loan_write_off(actor=bank_a_user, loan=loan, reason="  ", today=DAY_361)
    assert err.value.code == "reason_required"
    with pytest.raises(Conflict) as state:
        services.loan_write_off(actor=bank_a_user, loan=applied, reason="x", today=DAY_361)
    assert state.value.code == "illegal_transition"
    assert (_state(loan), _state(applied)) == (before, before_applied)
    assert not AuditRecord.objects.filter(action="loan.write_off").exists()


# --- the bank's own classification --------------------------------------------------------------


def test_bank_may_classify_worse_never_better_than_the_overdue_floor(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_user: User
) -> None:
    loan = lend(pledged[0])
    before = _state(loan)
    # Floor on day 91: 次级. 关注 is better: refused, nothing changes.
    with pytest.raises(ValidationFailed) as err:
        services.loan_classify_manual(
            actor=bank_a_user, loan=loan, category="special_mention", reason="x", today=DAY_91
        )
    assert err.value.code == "classification_below_floor"
    assert err.value.extra["floor"] == "substandard"
    assert _state(loan) == before
    assert _audits(loan, "loan.classify_manual") == 0
    # 可疑 is worse: stored, and the loan is 可疑.
    services.loan_classify_manual(
        actor=bank_a_user, loan=loan, category="doubtful", reason="经营恶化", today=DAY_91
    )
    loan.refresh_from_db()
    assert (loan.classification, loan.assessed_classification, loan.assessed_on) == (
        "doubtful",
        "doubtful",
        DAY_91,
    )
    record = AuditRecord.objects.get(action="loan.classify_manual", object_id=str(loan.pk))
    assert (record.after["floor"], record.after["reason"]) == ("substandard", "经营恶化")
    # The daily job keeps the worse of the two: 可疑 while the floor is 次级 (270 days) …
    services.loan_classify(today=date(2025, 11, 14))
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.classification) == (270, "doubtful")
    # … and 损失 once the floor passes the assessment (361 days).
    services.loan_classify(today=DAY_361)
    loan.refresh_from_db()
    assert (loan.classification, loan.assessed_classification) == ("loss", "doubtful")


def test_the_assessment_survives_repayments_and_the_daily_job(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_user: User
) -> None:
    loan = lend(pledged[0])
    # Nothing overdue on 2025-01-20: floor 正常; the bank says 关注.
    services.loan_classify_manual(
        actor=bank_a_user,
        loan=loan,
        category="special_mention",
        reason="主要客户流失",
        today=date(2025, 1, 20),
    )
    # Without the assessment the daily job would make it 正常 again (1 changed); with it, the
    # loan's figures are unchanged (0 days past due, 关注).
    assert services.loan_classify(today=date(2025, 1, 21))["changed"] == 0
    loan.refresh_from_db()
    assert loan.classification == "special_mention"
    services.loan_repay(
        actor=bank_a_user,
        loan=loan,
        amount="41200",
        paid_on=date(2025, 2, 15),
        today=date(2025, 2, 15),
    )
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.classification) == (0, "special_mention")
    # The bank revises its assessment back to 正常 (the floor): allowed, with a reason.
    services.loan_classify_manual(
        actor=bank_a_user, loan=loan, category="normal", reason="客户恢复", today=date(2025, 2, 16)
    )
    loan.refresh_from_db()
    assert (loan.classification, loan.assessed_classification) == ("normal", "normal")


def test_classification_input_is_checked(
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
    bank_a_user: User,
    enterprise_a_user: User,
) -> None:
    loan = lend(pledged[0])
    applied = lend(pledged[0], until="applied")
    before = _state(loan)
    with pytest.raises(ValidationFailed) as bad:
        services.loan_classify_manual(actor=bank_a_user, loan=loan, category="bad", reason="x")
    assert bad.value.code == "category_invalid"
    with pytest.raises(ValidationFailed) as no_reason:
        services.loan_classify_manual(actor=bank_a_user, loan=loan, category="loss", reason="")
    assert no_reason.value.code == "reason_required"
    with pytest.raises(PermissionDenied):
        services.loan_classify_manual(
            actor=enterprise_a_user, loan=loan, category="loss", reason="x"
        )
    with pytest.raises(Conflict):
        services.loan_classify_manual(actor=bank_a_user, loan=applied, category="loss", reason="x")
    assert _state(loan) == before


# --- approval and the pledge's effective date ---------------------------------------------------


def test_approval_refuses_a_pledge_effective_after_the_approval_day(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_user: User
) -> None:
    loan = lend(pledged[0], until="applied")
    terms: dict[str, Any] = {
        "principal": "120000",
        "months": 3,
        "pledge_id": pledged[0].pk,
        "valuation_id": pledged[1].pk,
        "annual_rate": "0.12",
    }
    # Registered on 2024-01-02: an approval on 2024-01-01 may not rely on it.
    with pytest.raises(ValidationFailed) as err:
        services.loan_approve(actor=bank_a_user, loan=loan, today=date(2024, 1, 1), **terms)
    assert err.value.status == 422 and err.value.code == "pledge_not_yet_effective"
    assert err.value.extra["effective_date"] == REGISTERED_ON.isoformat()
    loan.refresh_from_db()
    assert (loan.state, loan.pledge_id, loan.approved_on) == ("applied", None, None)
    # The effective day itself is fine.
    done = services.loan_approve(actor=bank_a_user, loan=loan, today=REGISTERED_ON, **terms)
    assert (done.state, done.approved_on) == ("approved", REGISTERED_ON)


# --- API ----------------------------------------------------------------------------------------


def test_api_write_off_and_classification(
    api_client: Callable[..., Any],
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
    bank_a_user: User,
    enterprise_a_user: User,
    today: date,
) -> None:
    bank = api_client(bank_a_user)
    # Disbursed today: 正常, so a write-off is a 409 and a better class a 422.
    fresh = lend(pledged[0], start=today)
    resp = bank.post_json(f"/api/v1/loans/{fresh.pk}/write-off", {"reason": "x"})
    assert resp.status_code == 409 and resp.json()["code"] == "write_off_not_loss"
    resp = bank.post_json(
        f"/api/v1/loans/{fresh.pk}/classification", {"category": "doubtful", "reason": "r"}
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["classification"], body["assessed_classification"]) == ("doubtful", "doubtful")
    assert body["assessed_reason"] == "r"
    # Disbursed 2025-01-15, nothing paid: far past 360 days today → 损失; the enterprise may not.
    old = lend(pledged[0])
    resp = api_client(enterprise_a_user).post_json(
        f"/api/v1/loans/{old.pk}/write-off", {"reason": "x"}
    )
    assert resp.status_code == 403
    resp = bank.post_json(f"/api/v1/loans/{old.pk}/write-off", {"reason": "破产"})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["state"], body["written_off_on"], body["write_off_reason"]) == (
        "written_off",
        today.isoformat(),
        "破产",
    )
    resp = bank.post_json(f"/api/v1/loans/{old.pk}/classification", {"category": "normal"})
    assert resp.status_code == 422  # the reason is required by the schema


# --- pages --------------------------------------------------------------------------------------


def test_bank_page_classifies_and_writes_off(
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
    bank_a_user: User,
    enterprise_a_user: User,
    today: date,
) -> None:
    bank = Client()
    bank.force_login(bank_a_user)
    fresh = lend(pledged[0], start=today)
    html = bank.get(f"/loans/{fresh.pk}/").content.decode()
    assert 'data-testid="classify"' in html and 'data-testid="write-off"' not in html
    resp = bank.post(f"/loans/{fresh.pk}/write-off/", {"reason": "x"})
    assert resp.status_code == 409
    resp = bank.post(
        f"/loans/{fresh.pk}/classification/", {"category": "substandard", "reason": "风险上升"}
    )
    assert resp.status_code == 302
    fresh.refresh_from_db()
    assert fresh.classification == "substandard"

    old = lend(pledged[0])
    services.loan_classify(today=today)  # far past 360 days: 损失
    html = bank.get(f"/loans/{old.pk}/").content.decode()
    assert 'data-testid="write-off-submit"' in html
    resp = bank.post(f"/loans/{old.pk}/write-off/", {"reason": "破产清算"})
    assert resp.status_code == 302
    old.refresh_from_db()
    assert old.state == "written_off"
    # The enterprise sees neither form, and its home page links the notification to the loan.
    ent = Client()
    ent.force_login(enterprise_a_user)
    html = ent.get(f"/loans/{old.pk}/").content.decode()
    assert 'data-testid="write-off"' not in html and 'data-testid="classify"' not in html
    assert 'data-testid="written-off-on"' in html
    home = ent.get("/").content.decode()
    assert f'href="/loans/{old.pk}/"' in home


def test_home_links_subsidy_claim_notifications(enterprise_a_user: User) -> None:
    Notification.objects.create(
        organisation_id=enterprise_a_user.organisation_id,
        verb="subsidy.review",
        message_zh="贴息申请已通过",
        message_en="approved",
        object_type="loans.subsidyclaim",
        object_id="7",
    )
    client = Client()
    client.force_login(enterprise_a_user)
    assert 'href="/loans/subsidies/#claim-7"' in client.get("/").content.decode()
