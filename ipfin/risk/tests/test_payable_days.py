"""An instalment due on a weekend or a statutory holiday is payable on the first working day after
(民法典 art. 203: 期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日),
and late only from the day after that: the daily classification, the repayment's penalty
interest, the risk scan, the NPL balance of the tolerance check and the statistics count from the
payable day, and the loan's page and API show it. Through the real services, database and HTTP.

The loans are the loans app's builders (120,000.00 at 12 %, three monthly instalments of
40,000.00 principal, equal principal, 30/360). Disbursed on 1 September 2025, the first
instalment (41,200.00) falls due on 1 October, National Day: 1–8 October 2025 were days off, so
it is payable on Thursday 9 October. Disbursed on 15 January 2025, it falls due on Saturday
15 February, payable on Monday 17 February."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, User
from ipfin.loans import services as loans
from ipfin.loans.models import Loan
from ipfin.risk.selectors import ip_pledge_balances
from ipfin.risk.tests import lenders

pytestmark = pytest.mark.django_db
lender = lenders.lender  # the fixture, in this module's scope

D = Decimal
NATIONAL_DAY = date(2025, 10, 1)
PAYABLE = date(2025, 10, 9)


@pytest.fixture
def lend_a(lender: Callable[[User], Callable[..., Loan]], bank_a_user: User) -> Callable[..., Loan]:
    return lender(bank_a_user)


def test_due_on_national_day_not_late_until_after_the_first_working_day_minfadian_art_203(
    lend_a: Callable[..., Loan],
) -> None:
    loan = lend_a(start=date(2025, 9, 1))
    assert loan.installments.order_by("n").first().due_date == NATIONAL_DAY  # type: ignore[union-attr]
    loans.loan_classify(today=PAYABLE)
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.classification) == (0, "normal")
    loans.loan_classify(today=date(2025, 10, 10))
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.classification) == (1, "special_mention")


def test_paid_on_the_payable_day_no_penalty_a_day_later_one_day_minfadian_art_203(
    lend_a: Callable[..., Loan], bank_a_user: User
) -> None:
    on_time, late = lend_a(start=date(2025, 9, 1)), lend_a(start=date(2025, 9, 1))
    paid = loans.loan_repay(
        actor=bank_a_user, loan=on_time, amount="41200.00", paid_on=PAYABLE, today=PAYABLE
    )
    assert (paid.penalty_part, paid.interest_part, paid.principal_part) == (
        D("0.00"),
        D("1200.00"),
        D("40000.00"),
    )
    on_time.refresh_from_db()
    assert (on_time.days_past_due, on_time.classification) == (0, "normal")
    # A day late: penalty 40,000 × 18 % / 360 = 20.00, compound 1,200 × 18 % / 360 = 0.60 (nine
    # days from the due date would have been 185.40).
    day_after = date(2025, 10, 10)
    paid = loans.loan_repay(
        actor=bank_a_user, loan=late, amount="41220.60", paid_on=day_after, today=day_after
    )
    assert paid.penalty_part == D("20.60")


def test_the_npl_balance_counts_more_than_90_days_from_the_payable_day_fenlei_banfa_art10(
    lend_a: Callable[..., Loan], bank_a: Organisation, regulator_user: User, api_client: Any
) -> None:
    """Due on Saturday 15 February, payable on Monday the 17th: on 18 May it is 92 days past the
    due date but 90 past the payable day — still 关注, not in the NPL balance; on 19 May, 91."""
    lend_a(start=date(2025, 1, 15))
    for day, npl in ((date(2025, 5, 18), 0), (date(2025, 5, 19), 12_000_000)):
        assert ip_pledge_balances(on=day, bank_ids=[bank_a.pk])[bank_a.pk] == (12_000_000, npl)
        body = api_client(regulator_user).get(
            "/api/v1/stats/indicators", {"from": "2025-01-01", "to": day.isoformat()}
        )
        assert body.status_code == 200, body.content
        assert body.json()["total"]["npl_balance"] == f"{D(npl).scaleb(-2):.2f}"


def test_the_loan_page_and_api_show_the_payable_day(
    lend_a: Callable[..., Loan], bank_a_user: User, api_client: Any, client: Any
) -> None:
    loan = lend_a(start=date(2025, 9, 1))
    body = api_client(bank_a_user).get(f"/api/v1/loans/{loan.pk}").json()
    assert [(i["due_date"], i["payable_on"]) for i in body["installments"]] == [
        ("2025-10-01", "2025-10-09"),  # National Day
        ("2025-11-01", "2025-11-03"),  # a Saturday
        ("2025-12-01", "2025-12-01"),  # a Monday: not moved
    ]
    client.force_login(bank_a_user)
    page = client.get(f"/loans/{loan.pk}/").content.decode()
    assert page.count('data-testid="payable-on"') == 2
    assert '遇节假日顺延至 <time datetime="2025-10-09">2025-10-09</time>' in page
