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


# --- a form sent twice (ipfin.accounts.idempotency, the pages' `_once` key) ----------------------


def _repay(client: Client, loan: Loan, amount: str, on: date, once: str | None) -> Any:
    body = {"amount": amount, "paid_on": on.isoformat()}
    if once is not None:
        body["_once"] = once
    return client.post(
        f"/loans/{loan.pk}/repayments/", body, HTTP_REFERER=f"http://testserver/loans/{loan.pk}/"
    )


def test_a_repayment_form_sent_twice_is_recorded_once(
    browser: Callable[..., Client],
    bank_a_user: User,
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
) -> None:
    """A second click on 登记还款 (the same page's form, the same key, the same amounts) records
    nothing more: it is sent where the first went and told the form was already acted on."""
    loan = lend(pledged[0])
    bank = browser(bank_a_user)
    on = date(2025, 2, 15)
    first = _repay(bank, loan, "1000.00", on, "a" * 32)
    second = _repay(bank, loan, "1000.00", on, "a" * 32)
    assert (first.status_code, second.status_code) == (302, 302)
    assert second["Location"] == first["Location"]
    assert loan.repayments.count() == 1
    page = bank.get(second["Location"]).content.decode()
    assert "本次未重复执行" in page
    # A form changed and sent again, or a page loaded afresh (a new key), is a new repayment;
    # so is a form without the key (a client without the page's script).
    assert _repay(bank, loan, "2000.00", on, "a" * 32).status_code == 302
    assert _repay(bank, loan, "1000.00", on, "b" * 32).status_code == 302
    assert _repay(bank, loan, "1000.00", on, None).status_code == 302
    assert loan.repayments.count() == 4


def test_a_refused_form_sent_again_is_acted_on_again(
    browser: Callable[..., Client],
    bank_a_user: User,
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
) -> None:
    """A first answer that is not a redirect (the form shown again with its error) did nothing:
    its key is not kept, and the same form sent again runs (and is refused again, on its own)."""
    from ipfin.accounts.models import IdempotentRequest

    loan = lend(pledged[0])
    bank = browser(bank_a_user)
    on = date(2025, 2, 15)
    for _ in range(2):
        refused = _repay(bank, loan, "9999999.00", on, "c" * 32)  # above what settles the loan
        assert refused.status_code == 422
        assert 'data-testid="action-error"' in refused.content.decode()
    assert not IdempotentRequest.objects.filter(user=bank_a_user).exists()
    assert loan.repayments.count() == 0


def test_another_users_key_is_theirs(
    browser: Callable[..., Client],
    bank_a_user: User,
    bank_a: Organisation,
    make_user: Callable[..., User],
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
) -> None:
    """Keys are per user: a colleague's form with the same key (and body) is theirs to send."""
    bank_a_user2 = make_user("bank_a_2", bank_a)
    loan = lend(pledged[0])
    on = date(2025, 2, 15)
    assert _repay(browser(bank_a_user), loan, "1000.00", on, "d" * 32).status_code == 302
    assert _repay(browser(bank_a_user2), loan, "1000.00", on, "d" * 32).status_code == 302
    assert loan.repayments.count() == 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_repayment_form_sent_twice_at_once_is_recorded_once(
    bank_a_user: User,
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
) -> None:
    """Two sends of one form arriving together (a double click): one records the repayment, the
    other waits for it and is sent where it went."""
    from ipfin.common.tests.concurrency import all_at_once

    loan = lend(pledged[0])

    def send(i: int) -> tuple[int, str]:
        client = Client()
        client.force_login(bank_a_user)
        response = _repay(client, loan, "1000.00", date(2025, 2, 15), "e" * 32)
        return response.status_code, response["Location"]

    outcomes = all_at_once(4, send)
    assert [status for status, _ in outcomes] == [302] * 4
    assert len({location for _, location in outcomes}) == 1
    assert loan.repayments.count() == 1
