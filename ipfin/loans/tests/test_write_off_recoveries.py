"""核销后收回: a write-off removes the loan from the bank's books but does not release the
borrower (账销案存), so the bank records what it recovers afterwards, held against what the
borrower owed on the write-off day (the principal with the interest and penalty accrued and
unpaid: the position's amount to settle), never beyond it. Services, API, page and a race.

Reference loan (conftest `lend`): 120,000.00 disbursed 2025-01-15 over 3 months, never repaid;
损失 on 2026-02-13 (361 days past due, as in test_risk)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ipfin.accounts.models import Notification, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, DomainError
from ipfin.common.money import money_str
from ipfin.common.tests.concurrency import all_at_once
from ipfin.loans import services
from ipfin.loans.models import Loan, WriteOffRecovery
from ipfin.loans.selectors import loan_position
from ipfin.pledges.models import Pledge
from ipfin.valuation.models import Valuation

D = Decimal
DAY_361 = date(2026, 2, 13)  # 361 days past due: 损失


def _written_off(lend: Callable[..., Loan], pledge: Pledge, bank: User) -> tuple[Loan, Decimal]:
    """The reference loan written off on DAY_361, and what its borrower owed that day."""
    loan = lend(pledge)
    position = loan_position(loan, DAY_361)
    assert position is not None
    with pytest.raises(Conflict) as early:  # on the books: a repayment, not a recovery
        services.loan_recovery_record(actor=bank, loan=loan, amount="100", today=DAY_361)
    assert early.value.code == "loan_not_written_off"
    services.loan_write_off(actor=bank, loan=loan, reason="企业破产清算", today=DAY_361)
    loan.refresh_from_db()
    return loan, position.amount_to_settle


def test_recoveries_after_a_write_off_are_held_against_the_debt_written_off(
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
    bank_a_user: User,
    bank_b_user: User,
    enterprise_a_user: User,
    api_client: Callable[..., Any],
) -> None:
    loan, owed = _written_off(lend, pledged[0], bank_a_user)
    assert owed > D("120000.00")  # the interest and penalty unpaid besides the principal
    assert loan.written_off_debt == owed
    written = AuditRecord.objects.get(action="loan.write_off", object_id=str(loan.pk))
    assert written.after["debt_written_off"] == money_str(owed)

    path = f"/api/v1/loans/{loan.pk}/recoveries"
    bank = api_client(bank_a_user)
    shown = bank.get(f"/api/v1/loans/{loan.pk}").json()
    assert (shown["written_off_debt"], shown["recovered"], shown["recoveries"]) == (
        money_str(owed),
        "0.00",
        [],
    )
    first = bank.post_json(path, {"amount": "50000.00", "received_on": "2026-03-02",
                                  "note": "法院执行款"})  # fmt: skip
    assert first.status_code == 201, first.content
    assert first.json()["recovered"] == "50000.00"
    assert [(r["amount"], r["received_on"], r["note"]) for r in first.json()["recoveries"]] == [
        ("50000.00", "2026-03-02", "法院执行款")
    ]
    today = timezone.localdate()
    for body, code in (
        ({"amount": "1.00", "received_on": "2026-02-12"}, "date_before_write_off"),
        ({"amount": "1.00", "received_on": (today + timedelta(days=1)).isoformat()},
         "date_in_future"),
        ({"amount": money_str(owed - D("50000.00") + D("0.01"))}, "recovery_exceeds_debt"),
        ({"amount": "0"}, None),
    ):  # fmt: skip
        refused = bank.post_json(path, body)
        assert refused.status_code == 422, (body, refused.content)
        if code is not None:
            assert refused.json()["code"] == code
    over = bank.post_json(path, {"amount": money_str(owed)})
    assert over.json()["outstanding"] == money_str(owed - D("50000.00"))
    # Another bank does not find the loan; the borrower sees it but records nothing.
    assert api_client(bank_b_user).post_json(path, {"amount": "1.00"}).status_code == 404
    assert api_client(enterprise_a_user).post_json(path, {"amount": "1.00"}).status_code == 403
    assert WriteOffRecovery.objects.filter(loan=loan).count() == 1

    rest = bank.post_json(path, {"amount": money_str(owed - D("50000.00"))})
    assert rest.status_code == 201 and rest.json()["recovered"] == money_str(owed)
    nothing_left = bank.post_json(path, {"amount": "0.01"})
    assert nothing_left.status_code == 422 and nothing_left.json()["outstanding"] == "0.00"

    records = AuditRecord.objects.filter(action="loan.recovery", object_id=str(loan.pk))
    assert [(r.before["recovered"], r.after["recovered"]) for r in records.order_by("pk")] == [
        ("0.00", "50000.00"),
        ("50000.00", money_str(owed)),
    ]
    told = Notification.objects.filter(verb="loan.recovery").order_by("pk")
    assert {n.organisation_id for n in told} == {loan.enterprise_id}
    assert "50,000.00 元" in told[0].message_zh and "CNY 50,000.00" in told[0].message_en


def test_the_loan_page_shows_the_recoveries_and_asks_before_recording_one(
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
    bank_a_user: User,
    enterprise_a_user: User,
) -> None:
    loan, owed = _written_off(lend, pledged[0], bank_a_user)
    page = Client()
    page.force_login(bank_a_user)
    before = page.get(f"/loans/{loan.pk}/").content.decode()
    assert 'data-testid="recoveries"' in before and 'id="recovery-form"' in before
    assert "登记后不能撤回" in before  # the confirmation before an irreversible act
    refused = page.post(f"/loans/{loan.pk}/recoveries/", {"amount": "1.00",
                                                          "received_on": "2026-01-01"})  # fmt: skip
    assert refused.status_code == 422
    assert "收回日不能早于核销日" in refused.content.decode()
    done = page.post(f"/loans/{loan.pk}/recoveries/", {"amount": "30000", "note": "借款人还款"})
    assert done.status_code == 302
    after = page.get(f"/loans/{loan.pk}/").content.decode()
    assert "30,000.00" in after.split('data-testid="recovered"')[1][:200]
    still = owed - D("30000.00")
    assert f"{still:,.2f}" in after.split('data-testid="still-owed"')[1][:200]
    assert "借款人还款" in after.split('data-testid="recovery-list"')[1]
    # The borrower sees them, without the form.
    borrower = Client()
    borrower.force_login(enterprise_a_user)
    seen = borrower.get(f"/loans/{loan.pk}/").content.decode()
    assert 'data-testid="recovery-list"' in seen and 'id="recovery-form"' not in seen


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_recoveries_recorded_at_once_never_pass_the_debt_written_off(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_user: User
) -> None:
    """Two recoveries of 60 % of the debt each, at once: one is recorded, the other refused
    (the loan's lock: each reads what was recovered after the other's commit)."""
    loan, owed = _written_off(lend, pledged[0], bank_a_user)
    part = (owed * D("0.6")).quantize(D("0.01"))

    def work(_i: int) -> str:
        actor = User.objects.select_related("organisation").get(pk=bank_a_user.pk)
        try:
            services.loan_recovery_record(
                actor=actor, loan=Loan.objects.get(pk=loan.pk), amount=part
            )
            return "ok"
        except DomainError as exc:
            return exc.code

    assert sorted(all_at_once(2, work)) == ["ok", "recovery_exceeds_debt"]
    assert services.recovered_after_write_off(loan) == part
