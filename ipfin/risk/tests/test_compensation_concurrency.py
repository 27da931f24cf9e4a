"""The fund under truly concurrent requests: eight checkers releasing eight approved advances at
the same moment, each thread with its own database connection, against a fund that can pay only
some of them. The fund's row lock serialises them: the balance never goes below zero, the bank's
payments in the year never pass the scheme's cap, and the refused payments post nothing. And
eight filings on one loan make one claim.

PostgreSQL only (the `postgres_only` hook in conftest.py skips these on SQLite, whose single writer
serialises the transactions anyway); the same refusals one at a time are in test_services.py.
Source: issue 12 ("the balance reconciles at every step, never below zero; the per-bank-per-year
cap holds across claims")."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from ipfin.accounts.models import Organisation, User
from ipfin.common.tests.concurrency import THREADS, run_at_once
from ipfin.loans.models import Loan
from ipfin.risk import selectors
from ipfin.risk.models import LedgerEntry, RiskClaim, RiskScheme
from ipfin.risk.services import claim_approve, claim_file, claim_pay
from ipfin.risk.tests.conftest import CLAIM_DAY

D = Decimal
ADVANCE = D("160000.00")  # 0.4 × 400,000.00 for each loan


def _approved(scheme: RiskScheme, loans: list[Loan], bank_user: User, maker: User) -> list[int]:
    return [
        claim_approve(
            actor=maker,
            claim=claim_file(actor=bank_user, loan_id=loan.pk, scheme_id=scheme.pk),
            today=CLAIM_DAY,
        ).pk
        for loan in loans
    ]


def _pay_all_at_once(claim_ids: list[int], checker_id: int) -> list[tuple[str, Any]]:
    # Each thread opens its connection and reads its claim first, then all pay together: the
    # payments overlap, not the connections' set-up.
    ready = threading.Barrier(len(claim_ids))

    def pay(i: int) -> int:
        actor = User.objects.select_related("organisation").get(pk=checker_id)
        claim = RiskClaim.objects.get(pk=claim_ids[i])
        ready.wait(timeout=30)
        return claim_pay(actor=actor, claim=claim, today=CLAIM_DAY).pk

    return run_at_once(pay)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_payouts_never_take_the_balance_below_zero_issue12(
    make_scheme: Callable[..., RiskScheme],
    budget: Callable[..., Any],
    npl_loan: Callable[..., Loan],
    fund: Organisation,
    bank_a_user: User,
    office_user: User,
    checker: User,
) -> None:
    assert connection.vendor == "postgresql"
    budget("480000.00")  # three advances' worth
    # Two schemes of the one fund: the fund's balance is theirs together.
    schemes = [make_scheme(), make_scheme(name="第二方案")]
    ids = [
        claim_id
        for half, scheme in enumerate(schemes)
        for claim_id in _approved(
            scheme,
            [npl_loan() for _ in range(THREADS // 2 + half * (THREADS % 2))],
            bank_a_user,
            office_user,
        )
    ]
    assert set(RiskClaim.objects.values_list("advance", flat=True)) == {ADVANCE}
    results = _pay_all_at_once(ids, checker.pk)
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["conflict"] * (THREADS - 3) + ["ok"] * 3, results
    assert {code for kind, code in results if kind == "conflict"} == {"fund_insufficient"}
    assert selectors.fund_balance(fund.pk) == 0
    assert LedgerEntry.objects.filter(kind="payment").count() == 3
    assert RiskClaim.objects.filter(state="awaiting_disposal").count() == 3
    assert RiskClaim.objects.filter(state="approved").count() == THREADS - 3


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_payouts_never_pass_the_per_bank_year_cap_issue12(
    make_scheme: Callable[..., RiskScheme],
    budget: Callable[..., Any],
    npl_loan: Callable[..., Loan],
    fund: Organisation,
    bank_a: Organisation,
    bank_a_user: User,
    office_user: User,
    checker: User,
) -> None:
    assert connection.vendor == "postgresql"
    budget("5000000.00")
    capped = make_scheme(fund_cap_per_bank_year="500000.00")  # room for three advances
    ids = _approved(capped, [npl_loan() for _ in range(THREADS)], bank_a_user, office_user)
    results = _pay_all_at_once(ids, checker.pk)
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["conflict"] * (THREADS - 3) + ["ok"] * 3, results
    assert {code for kind, code in results if kind == "conflict"} == {"bank_year_cap_exceeded"}
    paid = selectors.paid_to_bank(scheme_id=capped.pk, bank_id=bank_a.pk, year=CLAIM_DAY.year)
    assert paid == 3 * ADVANCE <= D("500000.00")
    assert selectors.fund_balance(fund.pk) == D("5000000.00") - paid


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_filings_on_one_loan_make_one_claim_issue12(
    scheme: RiskScheme, npl_loan: Callable[..., Loan], bank_a_user: User
) -> None:
    assert connection.vendor == "postgresql"
    loan = npl_loan()

    def file(i: int) -> int:
        actor = User.objects.select_related("organisation").get(pk=bank_a_user.pk)
        return claim_file(actor=actor, loan_id=loan.pk, scheme_id=scheme.pk).pk

    results = run_at_once(file)
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["conflict"] * (THREADS - 1) + ["ok"], results
    assert {code for kind, code in results if kind == "conflict"} == {"claim_exists"}
    assert RiskClaim.objects.filter(loan=loan).count() == 1
