"""The compensation pages over real HTTP: a bank files a claim on its non-performing loan, one
office user approves, another releases the advance (the same user is refused, 403 with the
reason on the page), the fund's ledger shows the posting and the balance; the settlement after the
disposal. Fixtures from this app's conftest (a front-loaded scheme, a budget, a 次级 loan)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from ipfin.accounts.models import Organisation, User
from ipfin.loans.models import Loan
from ipfin.loans.services import loan_write_off
from ipfin.risk.models import LedgerEntry, RiskClaim, RiskScheme
from ipfin.risk.tests.conftest import CLAIM_DAY

pytestmark = pytest.mark.django_db


def test_claim_approve_pay_by_another_and_the_ledger(
    client_for: Callable[[User], Client],
    scheme: RiskScheme,
    budget: Callable[..., Any],
    npl_loan: Callable[..., Loan],
    bank_a_user: User,
    office_user: User,
    checker: User,
    fund: Organisation,
) -> None:
    budget("1000000.00")
    loan = npl_loan()
    bank = client_for(bank_a_user)
    page = bank.get("/risk/claims/").content.decode()
    assert f'value="{loan.pk}"' in page and scheme.name in page
    filed = bank.post("/risk/claims/", {"loan_id": loan.pk, "scheme_id": scheme.pk})
    assert filed.status_code == 302
    claim = RiskClaim.objects.get(loan=loan)
    assert "no-claimable" in bank.get("/risk/claims/").content.decode()  # one claim per loan

    office = client_for(office_user)
    detail = office.get(f"/risk/claims/{claim.pk}/").content.decode()
    assert 'data-testid="claim-approve"' in detail and "data-confirm=" in detail
    assert office.post(f"/risk/claims/{claim.pk}/approve/").status_code == 302
    claim.refresh_from_db()
    assert claim.state == "approved" and claim.advance == Decimal("160000.00")  # 40% × 400,000

    refused = office.post(f"/risk/claims/{claim.pk}/pay/")
    assert refused.status_code == 403
    assert 'data-testid="action-error"' in refused.content.decode()
    assert client_for(checker).post(f"/risk/claims/{claim.pk}/pay/").status_code == 302
    claim.refresh_from_db()
    assert claim.state == "awaiting_disposal"

    ledger = office.get(f"/risk/funds/{fund.pk}/").content.decode()
    assert "840,000.00" in ledger or "84.00 万元" in ledger  # 1,000,000 − 160,000
    # Each posting shows its date (the page read a field the entry does not have: "—").
    posted = [e.posted_on.isoformat() for e in LedgerEntry.objects.filter(fund=fund)]
    assert len(posted) == 3 and all(f'<time datetime="{day}">' in ledger for day in posted)
    assert ledger.count('data-testid="ledger-posted-on"') == 3 and "—</td>" not in ledger
    # A posting's second line carries its own headings (a card on a phone).
    assert ledger.count('data-label="科目"') == sum(
        e.lines.count() for e in LedgerEntry.objects.filter(fund=fund)
    )
    # The bank sees its claim, but no review button; another bank sees nothing.
    mine = bank.get(f"/risk/claims/{claim.pk}/").content.decode()
    assert 'data-testid="claim-actions"' not in mine
    assert bank.get(f"/risk/funds/{fund.pk}/").status_code == 403


def test_the_settlement_form_reports_bad_input_next_to_the_field(
    client_for: Callable[[User], Client],
    scheme: RiskScheme,
    budget: Callable[..., Any],
    npl_loan: Callable[..., Loan],
    bank_a_user: User,
    office_user: User,
    checker: User,
) -> None:
    budget("1000000.00")
    loan = npl_loan()
    client_for(bank_a_user).post("/risk/claims/", {"loan_id": loan.pk, "scheme_id": scheme.pk})
    claim = RiskClaim.objects.get(loan=loan)
    office = client_for(office_user)
    office.post(f"/risk/claims/{claim.pk}/approve/")
    client_for(checker).post(f"/risk/claims/{claim.pk}/pay/")
    bad = office.post(f"/risk/claims/{claim.pk}/settle/", {"proceeds": "1,000.00"})
    assert bad.status_code == 400
    assert "请不要输入千位分隔符" in bad.content.decode()
    done = office.post(
        f"/risk/claims/{claim.pk}/settle/", {"proceeds": "250000.00", "disposal_costs": "10000.00"}
    )
    assert done.status_code == 302
    claim.refresh_from_db()
    assert claim.proceeds == Decimal("250000.00") and claim.settlement is not None
    # Below the advance: the bank owes 92,800.00 back. The page says so; the settler's own
    # record of the return is refused on the page, another office user's closes the claim.
    assert claim.state == "refund_due"
    page = office.get(f"/risk/claims/{claim.pk}/").content.decode()
    assert 'data-testid="claim-refundable"' in page and "92,800.00" in page
    assert 'data-testid="claim-receive"' in page and "确定基金已收到银行退还的代偿款" in page
    assert 'data-testid="claim-pay"' not in page
    bank_page = client_for(bank_a_user).get(f"/risk/claims/{claim.pk}/").content.decode()
    assert 'data-testid="claim-receive"' not in bank_page  # the bank does not book it
    refused = office.post(f"/risk/claims/{claim.pk}/refund-received/")
    assert refused.status_code == 403
    assert 'data-testid="action-error"' in refused.content.decode()
    received = client_for(checker).post(f"/risk/claims/{claim.pk}/refund-received/")
    assert received.status_code == 302
    claim.refresh_from_db()
    assert claim.state == "closed" and claim.refund_received_by == checker
    closed = office.get(f"/risk/claims/{claim.pk}/").content.decode()
    assert 'data-testid="claim-refund-received"' in closed
    assert 'data-testid="claim-receive"' not in closed


def test_the_claim_form_offers_a_written_off_loan_as_the_service_takes_it(
    client_for: Callable[[User], Client],
    scheme: RiskScheme,
    npl_loan: Callable[..., Loan],
    bank_a_user: User,
) -> None:
    """核销 ends the bank's books on a loan, not the loss the fund shares: the service files a
    claim on a written-off loan, and the form now offers it (it offered disbursed loans only)."""
    loan = loan_write_off(
        actor=bank_a_user, loan=npl_loan(category="loss"), reason="核销", today=CLAIM_DAY
    )
    bank = client_for(bank_a_user)
    assert f'value="{loan.pk}"' in bank.get("/risk/claims/").content.decode()
    filed = bank.post("/risk/claims/", {"loan_id": loan.pk, "scheme_id": scheme.pk})
    assert filed.status_code == 302
    assert RiskClaim.objects.get(loan=loan).state == "filed"


def test_an_approved_claim_whose_advance_lapsed_offers_its_settlement_and_says_why(
    client_for: Callable[[User], Client],
    scheme: RiskScheme,
    budget: Callable[..., Any],
    npl_loan: Callable[..., Loan],
    bank_a_user: User,
    office_user: User,
    checker: User,
) -> None:
    """The loan is repaid and closed after the approval (here set so directly): the advance can
    no longer be paid. The page offered a payment that would be refused and no settlement; it
    now says why and offers the settlement only."""
    from ipfin.risk.services import claim_approve, claim_file

    budget("1000000.00")
    loan = npl_loan()
    claim = claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=scheme.pk, today=CLAIM_DAY)
    claim_approve(actor=office_user, claim=claim, today=CLAIM_DAY)
    page = client_for(checker).get(f"/risk/claims/{claim.pk}/").content.decode()
    assert 'data-testid="claim-pay"' in page and "claim-advance-lapsed" not in page
    Loan.objects.filter(pk=loan.pk).update(
        state="closed", outstanding_principal=0, closed_on=CLAIM_DAY
    )
    page = client_for(checker).get(f"/risk/claims/{claim.pk}/").content.decode()
    assert 'data-testid="claim-pay"' not in page and 'data-testid="claim-settle"' in page
    assert "代偿款不再拨付" in page
    assert (
        "claim-advance-lapsed"
        not in client_for(bank_a_user).get(f"/risk/claims/{claim.pk}/").content.decode()
    )
