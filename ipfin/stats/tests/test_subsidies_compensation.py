"""The subsidies and the compensation in the monitoring figures, from the real services: the
office's confirmed subsidy allocation and the fund's payments to banks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, Role, User
from ipfin.financing.services import policy_publish
from ipfin.loans import services as loans
from ipfin.loans.models import Repayment
from ipfin.risk.services import (
    claim_approve,
    claim_file,
    claim_pay,
    claim_refund_receive,
    claim_settle,
    fund_budget,
    scheme_create,
)
from ipfin.stats.tests.conftest import Book

pytestmark = pytest.mark.django_db
URL = "/api/v1/stats/indicators"


def _rows(client: Any, **params: Any) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    body = response.json()
    return {row["key"]: row for row in body["rows"]}, body["total"]


def test_subsidies_are_counted_when_confirmed_and_split_only_where_they_can_be(
    book: Book,
    bank_b_user: User,
    office_user: User,
    ip_office: Organisation,
    make_user: Callable[..., User],
    regulator_user: User,
    api_client: Callable[..., Any],
    bank_a: Organisation,
    bank_b: Organisation,
) -> None:
    # E_a also pays interest on L3 (bank_b) in 2025: its claim then rests on loans of two banks.
    loans.loan_repay(
        actor=bank_b_user, loan=book.l3, amount="10000.00", paid_on=date(2025, 3, 20),
        today=date(2025, 3, 20),
    )  # fmt: skip
    assert Repayment.objects.get(loan=book.l3).interest_part > 0
    policy = policy_publish(
        actor=office_user,
        kind="subsidy",
        title="2025年知识产权质押贷款贴息",
        conditions={"ip_pledge_loan": True, "sizes": ["micro", "small", "medium"]},
        subsidy_share="0.5",
        cap_per_enterprise="1000.00",
        annual_budget="5000.00",
        year=2025,
    )
    for enterprise in (book.e_a, book.e_b):
        user = make_user(f"finance-{enterprise.pk}", enterprise)
        claim = loans.subsidy_claim_submit(
            actor=user, policy_id=policy.pk, year=2025, today=date(2026, 1, 5)
        )
        loans.subsidy_claim_review(actor=office_user, claim=claim, decision="approve")
    run = loans.subsidy_allocate(actor=office_user, policy_id=policy.pk, year=2025)
    checker = make_user("office-checker", ip_office, Role.MEMBER)
    loans.subsidy_allocation_confirm(actor=checker, run_id=run.pk)
    # E_a: 50% of more than 4,000.00 capped at 1,000.00; E_b: 50% of L2's 1,000.00 = 500.00.
    today = date.today()
    period = {"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()}
    client = api_client(regulator_user)
    rows, total = _rows(client, **period, by="bank")
    assert total["subsidies_paid"] == "1500.00"
    assert rows[str(bank_a.pk)]["subsidies_paid"] == "500.00"  # E_b's claim: L2 only
    unattributed = rows["unattributed"]  # E_a's: L1 (bank_a) and L3 (bank_b)
    assert unattributed["subsidies_paid"] == "1000.00"
    assert unattributed["label"].startswith("未能归属")
    parks, _ = _rows(client, **period, by="park")
    assert parks[str(book.park.pk)]["subsidies_paid"] == "1000.00"
    assert parks["none"]["subsidies_paid"] == "500.00"
    # Nothing was confirmed in 2025: the subsidies are dated when the office confirmed them.
    _, total_2025 = _rows(client, **{"from": "2025-01-01", "to": "2025-12-31"})
    assert total_2025["subsidies_paid"] == "0.00"
    # bank_b reads the claims over its own loans, by its own loans: E_a's, in its row.
    own, own_total = _rows(api_client(bank_b_user), **period, by="bank")
    assert own[str(bank_b.pk)]["subsidies_paid"] == own_total["subsidies_paid"] == "1000.00"
    assert set(own) == {str(bank_b.pk)}


def test_compensation_paid_is_the_funds_cash_paid_to_the_bank_in_the_period(
    book: Book,
    bank_b_user: User,
    office_user: User,
    ip_office: Organisation,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    regulator_user: User,
    api_client: Callable[..., Any],
    bank_b: Organisation,
) -> None:
    fund = make_org(OrganisationKind.RISK_FUND, "知识产权质押融资风险补偿基金")
    scheme = scheme_create(
        actor=office_user,
        fund_id=fund.pk,
        name="知识产权质押贷款风险补偿（前置代偿）",
        mode="front_loaded",
        shares={"fund": "0.4", "bank": "0.3", "guarantor": "0.2", "insurer": "0.1"},
        fund_cap_per_loan="300000.00",
        fund_cap_per_bank_year=None,
        eligibility={},
    )
    fund_budget(
        actor=office_user, fund_id=fund.pk, amount="1000000.00", memo="财预〔2025〕1号",
        today=date(2025, 5, 1),
    )  # fmt: skip
    claim = claim_file(actor=bank_b_user, loan_id=book.l3.pk, scheme_id=scheme.pk,
                       today=date(2025, 6, 1))  # fmt: skip
    claim = claim_approve(actor=office_user, claim=claim, today=date(2025, 6, 5))
    checker = make_user("fund-checker", ip_office, Role.MEMBER)
    claim_pay(actor=checker, claim=claim, today=date(2025, 6, 10))
    client = api_client(regulator_user)
    # Front-loaded: the fund advances its 40% of the 300,000.00 outstanding, 120,000.00.
    rows, total = _rows(client, **{"from": "2025-04-01", "to": "2025-06-30"}, by="bank")
    assert total["compensation_paid"] == "120000.00"
    assert rows[str(bank_b.pk)]["compensation_paid"] == "120000.00"
    regions, _ = _rows(client, **{"from": "2025-04-01", "to": "2025-06-30"}, by="region")
    assert regions["110108"]["compensation_paid"] == "120000.00"
    _, before = _rows(client, **{"from": "2025-01-01", "to": "2025-06-09"})
    assert before["compensation_paid"] == "0.00"  # approved, not yet paid
    # Sold for all the loan owed: the fund's part is nothing, the bank is to return the whole
    # advance. The settlement moves no cash; the return counts when the fund receives it.
    settled = claim_settle(
        actor=office_user, claim=claim, proceeds="400000.00", today=date(2025, 7, 1)
    )
    assert settled.state == "refund_due" and settled.settlement == Decimal("-120000.00")
    _, q3 = _rows(client, **{"from": "2025-07-01", "to": "2025-09-30"})
    assert q3["compensation_paid"] == "0.00"
    claim_refund_receive(actor=checker, claim=settled, today=date(2025, 8, 3))
    _, q3 = _rows(client, **{"from": "2025-07-01", "to": "2025-09-30"})
    assert q3["compensation_paid"] == "-120000.00"  # returned: what the fund paid, net
    _, year = _rows(client, **{"from": "2025-01-01", "to": "2025-12-31"})
    assert year["compensation_paid"] == "0.00"
