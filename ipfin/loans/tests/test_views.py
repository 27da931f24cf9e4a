"""The loans UI renders for each party and drives the services (approve, disburse, repay, close →
release prompt; subsidy claim, review, allocation)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client

from ipfin.accounts.models import Organisation, User
from ipfin.financing.models import Policy
from ipfin.loans.models import Loan, SubsidyClaim
from ipfin.pledges.models import Pledge
from ipfin.valuation.models import Valuation


@pytest.fixture
def browser() -> Callable[[User | None], Client]:
    def make(user: User | None = None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


def test_calculator_is_public_and_shows_the_schedule(browser: Callable[..., Client]) -> None:
    resp = browser().get(
        "/loans/calculator/",
        {
            "principal": "12000",
            "annual_rate": "12",  # percent in the UI
            "months": "3",
            "method": "annuity",
            "start_date": "2025-01-31",
            "day_count": "30/360",
        },
    )
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "4080.27" in html and "4080.26" in html and "240.80" in html
    assert browser().get("/loans/calculator/").status_code == 200
    bad = browser().get("/loans/calculator/", {"principal": "x", "months": "3"})
    assert bad.status_code == 400


def test_bank_drives_the_loan_from_its_page(
    browser: Callable[..., Client],
    bank_a_user: User,
    enterprise_a_user: User,
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
    today: date,
) -> None:
    loan = lend(pledged[0], until="applied")
    bank = browser(bank_a_user)
    page = bank.get(f"/loans/{loan.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="approve"' in html and pledged[0].registration_no in html
    # Over the pledge's 880,000.00 valuation × no cap (no product): refused above the debt.
    resp = bank.post(
        f"/loans/{loan.pk}/approve/",
        {
            "principal": "6000000",
            "months": "3",
            "method": "equal_principal",
            "day_count": "30/360",
            "annual_rate": "4.5",
            "pledge_id": str(pledged[0].pk),
            "valuation_id": str(pledged[1].pk),
        },
    )
    assert resp.status_code == 422
    assert 'data-testid="action-error"' in resp.content.decode()
    resp = bank.post(
        f"/loans/{loan.pk}/approve/",
        {
            "principal": "120000",
            "months": "3",
            "method": "equal_principal",
            "day_count": "30/360",
            "annual_rate": "4.5",
            "pledge_id": str(pledged[0].pk),
            "valuation_id": str(pledged[1].pk),
        },
    )
    assert resp.status_code == 302
    loan.refresh_from_db()
    assert (loan.state, str(loan.annual_rate)) == ("approved", "0.045000")
    resp = bank.post(f"/loans/{loan.pk}/disburse/", {"disbursed_on": today.isoformat()})
    assert resp.status_code == 302
    resp = bank.post(
        f"/loans/{loan.pk}/repayments/", {"amount": "120000.00", "paid_on": today.isoformat()}
    )
    assert resp.status_code == 302
    page = bank.get(f"/loans/{loan.pk}/").content.decode()
    assert 'data-testid="close-submit"' in page
    resp = bank.post(f"/loans/{loan.pk}/close/")
    assert resp.status_code == 302
    page = bank.get(f"/loans/{loan.pk}/").content.decode()
    assert 'data-testid="release-prompt"' in page
    assert f"/pledges/{pledged[0].pk}/release/" in page
    # The enterprise sees its loan with the schedule, and no bank action.
    html = browser(enterprise_a_user).get(f"/loans/{loan.pk}/").content.decode()
    assert 'data-testid="installments"' in html
    assert "approve-form" not in html and "release-prompt" not in html


def test_loan_list_and_404_for_others(
    browser: Callable[..., Client],
    bank_a_user: User,
    bank_b_user: User,
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
) -> None:
    loan = lend(pledged[0])
    html = browser(bank_a_user).get("/loans/").content.decode()
    assert f'data-loan-id="{loan.pk}"' in html
    other = browser(bank_b_user)
    assert f'data-loan-id="{loan.pk}"' not in other.get("/loans/").content.decode()
    assert other.get(f"/loans/{loan.pk}/").status_code == 404
    assert browser().get("/loans/").status_code == 302  # to the login page


def test_enterprise_applies_through_the_form(
    browser: Callable[..., Client],
    enterprise_a_user: User,
    enterprise_a: Organisation,
    bank_a: Organisation,
    product: Any,
) -> None:
    client = browser(enterprise_a_user)
    assert client.get("/loans/new/").status_code == 200
    resp = client.post(
        "/loans/new/",
        {
            "enterprise_uscc": enterprise_a.uscc,
            "product_version_id": str(product.pk),
            "amount": "300000",
            "months": "12",
            "method": "annuity",
            "day_count": "30/360",
            "purpose": "研发",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    loan = Loan.objects.get()
    assert (loan.bank, loan.enterprise, loan.state) == (bank_a, enterprise_a, "applied")


def test_subsidy_pages(
    make_user: Callable[..., User],
    browser: Callable[..., Client],
    enterprise_a_user: User,
    office_user: User,
    bank_a_user: User,
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
    subsidy_policy: Policy,
    enterprise_a: Organisation,
) -> None:
    from ipfin.loans.services import loan_repay

    Organisation.objects.filter(pk=enterprise_a.pk).update(size="small")
    loan = lend(pledged[0], method="interest_only")
    loan_repay(
        actor=bank_a_user,
        loan=loan,
        amount="1200",
        paid_on=date(2025, 2, 15),
        today=date(2025, 2, 15),
    )
    ent = browser(enterprise_a_user)
    assert 'data-testid="claim"' in ent.get("/loans/subsidies/").content.decode()
    resp = ent.post("/loans/subsidies/", {"policy_id": str(subsidy_policy.pk), "year": "2025"})
    assert resp.status_code == 302
    claim = SubsidyClaim.objects.get()
    office = browser(office_user)
    html = office.get("/loans/subsidies/").content.decode()
    assert f'data-claim-id="{claim.pk}"' in html and 'data-testid="allocate"' in html
    resp = office.post(f"/loans/subsidies/{claim.pk}/review/", {"decision": "approve"})
    assert resp.status_code == 302
    resp = office.post(
        "/loans/subsidies/allocate/", {"policy_id": str(subsidy_policy.pk), "year": "2025"}
    )
    assert resp.status_code == 302
    # Maker-checker: a proposal with its figures; allocated once a second office user confirms.
    claim.refresh_from_db()
    assert (claim.state, str(claim.awarded)) == ("approved", "600.00")
    run = claim.allocation_run
    assert run is not None
    assert (
        f'data-testid="allocation-confirm-{run.pk}"'
        not in office.get("/loans/subsidies/").content.decode()
    )  # not to its maker
    checker = browser(make_user("office_checker", office_user.organisation))
    assert (
        f'data-testid="allocation-confirm-{run.pk}"'
        in checker.get("/loans/subsidies/").content.decode()
    )
    resp = checker.post(f"/loans/subsidies/allocations/{run.pk}/confirm/")
    assert resp.status_code == 302
    claim.refresh_from_db()
    assert (claim.state, str(claim.awarded)) == ("allocated", "600.00")
    # The enterprise may not review.
    assert (
        ent.post(f"/loans/subsidies/{claim.pk}/review/", {"decision": "approve"}).status_code == 403
    )


def test_nav_links(browser: Callable[..., Client], bank_a_user: User, office_user: User) -> None:
    html = browser(bank_a_user).get("/loans/").content.decode()
    assert 'data-testid="nav-loans"' in html and 'data-testid="nav-subsidies"' not in html
    html = browser(office_user).get("/loans/").content.decode()
    assert 'data-testid="nav-loans"' in html and 'data-testid="nav-subsidies"' in html
