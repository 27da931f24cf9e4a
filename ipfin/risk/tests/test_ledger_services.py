"""The fund's ledger through the real services, property-tested: random sequences of budget
entries, claims approved, payments released (or refused), settlements after disposal, banks'
returns received and the turn of a year. After every step, in the database: each posting has two
lines or more and Σdebit = Σcredit, and so has the whole ledger; the balance (fund_cash, one SQL
aggregate) equals budget − payments + returns received and is never negative; what the banks are
to return (bank_receivable) equals the settlements below the advance not yet received; no claim's
fund part or advance exceeds the cap per loan, no bank is paid more than the cap in a year.

Source: issue 12 ("A fund ledger in double-entry form (every posting two legs, Σdebit = Σcredit,
the balance reconciles at every step, never below zero); the per-bank-per-year cap holds across
claims; all amounts to the fen"); the mode and the shares are seed 000's as DOMAIN.md states it.
Each example runs in a savepoint rolled back at its end, over loans made once for the test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count, Sum
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from ipfin.accounts.models import Organisation, User
from ipfin.common.errors import Conflict
from ipfin.loans.models import Loan
from ipfin.risk import selectors
from ipfin.risk.models import LedgerEntry, LedgerLine, RiskClaim, RiskScheme
from ipfin.risk.services import (
    claim_approve,
    claim_file,
    claim_pay,
    claim_refund_receive,
    claim_settle,
)
from ipfin.risk.tests.conftest import CLAIM_DAY

pytestmark = pytest.mark.django_db

D = Decimal
LOANS = 6
CAP_PER_LOAN = D("150000.00")  # binds: 0.4 × 400,000.00 = 160,000.00
CAP_PER_BANK_YEAR = D("400000.00")

cents = st.integers(min_value=1, max_value=40_000_000).map(lambda n: D(n).scaleb(-2))
# Disposal proceeds up to what repays a whole loan (408,000.00) and some more.
proceeds = st.integers(min_value=0, max_value=45_000_000).map(lambda n: D(n).scaleb(-2))
# A step names a claim by its place among those it applies to (modulo their number).
steps = st.lists(
    st.one_of(
        st.tuples(st.just("budget"), cents),
        st.tuples(st.just("claim")),
        st.tuples(st.just("pay"), st.integers(0, LOANS - 1)),
        st.tuples(st.just("settle"), st.integers(0, LOANS - 1), proceeds),
        st.tuples(st.just("receive"), st.integers(0, LOANS - 1)),
        st.tuples(st.just("next_year")),
    ),
    min_size=1,
    max_size=30,
)


@dataclass
class Books:
    """What the test itself counts, to compare with what the ledger says."""

    budget: Decimal = field(default_factory=Decimal)
    paid: Decimal = field(default_factory=Decimal)
    returned: Decimal = field(default_factory=Decimal)
    to_return: Decimal = field(default_factory=Decimal)
    day: date = CLAIM_DAY
    claims: list[RiskClaim] = field(default_factory=list)

    def in_state(self, *states: str) -> list[RiskClaim]:
        for claim in self.claims:
            claim.refresh_from_db()
        return [c for c in self.claims if c.state in states]


@pytest.fixture
def loans(npl_loan: Callable[..., Loan]) -> list[Loan]:
    return [npl_loan() for _ in range(LOANS)]


def _check(fund: Organisation, books: Books, scheme: RiskScheme) -> None:
    # Every posting: two lines or more, Σdebit = Σcredit (one grouped query).
    per_entry = LedgerEntry.objects.filter(fund=fund).annotate(
        n=Count("lines"), dr=Sum("lines__debit"), cr=Sum("lines__credit")
    )
    assert all(e.n >= 2 and e.dr == e.cr for e in per_entry)
    lines = LedgerLine.objects.filter(entry__fund=fund)
    totals = lines.aggregate(dr=Sum("debit"), cr=Sum("credit"))
    assert totals["dr"] == totals["cr"]
    money = selectors.fund_balance(fund.pk)
    assert money == books.budget - books.paid + books.returned
    assert money >= 0
    receivable = lines.filter(account="bank_receivable").aggregate(
        dr=Sum("debit"), cr=Sum("credit")
    )
    assert (receivable["dr"] or 0) - (receivable["cr"] or 0) == books.to_return
    for claim in RiskClaim.objects.filter(scheme=scheme):
        assert (claim.advance or 0) <= CAP_PER_LOAN
        assert (claim.fund_part or 0) <= CAP_PER_LOAN
    by_year = (
        lines.filter(account="fund_cash", entry__kind="payment")
        .values("entry__claim__bank", "entry__posted_on__year")
        .annotate(paid=Sum("credit"))
    )
    assert all(row["paid"] <= CAP_PER_BANK_YEAR for row in by_year)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(opening=st.integers(1, 2_000_000).map(D), sequence=steps)
# A whole life: advance paid, then returned in part (a negative settlement) or topped up.
@example(
    opening=D("1000000.00"),
    sequence=[("claim",), ("pay", 0), ("settle", 0, D("250000.00")), ("receive", 0)],
)
# A fund-insufficient refusal, the budget, then the payment; an after-the-cap advance.
@example(
    opening=D("200000.00"),
    sequence=[("claim",), ("claim",), ("pay", 0), ("pay", 0), ("budget", D("1.00")), ("pay", 0)],
)
# Three advances approved before any is paid: the third payment passes the year's cap; then the
# next year; a zero-advance claim settled above nothing and paid (a positive settlement).
@example(
    opening=D("5000000.00"),
    sequence=[
        ("claim",), ("claim",), ("claim",), ("pay", 0), ("pay", 0), ("pay", 0),
        ("next_year",), ("pay", 0), ("claim",), ("claim",), ("claim",), ("pay", 0),
        ("settle", 0, D("0.00")), ("pay", 0),
    ],
)  # fmt: skip
def test_the_ledger_balances_reconciles_and_holds_its_caps_at_every_step_issue12(
    opening: Decimal,
    sequence: list[tuple[Any, ...]],
    make_scheme: Callable[..., RiskScheme],
    budget: Callable[..., Any],
    loans: list[Loan],
    fund: Organisation,
    bank_a_user: User,
    office_user: User,
    checker: User,
) -> None:
    with transaction.atomic():
        scheme = make_scheme(
            fund_cap_per_loan=str(CAP_PER_LOAN), fund_cap_per_bank_year=str(CAP_PER_BANK_YEAR)
        )
        books = Books()
        for step in [("budget", opening), *sequence]:
            _run(step, books, scheme, loans, budget, bank_a_user, office_user, checker)
            _check(fund, books, scheme)
        transaction.set_rollback(True)


def _run(
    step: tuple[Any, ...],
    books: Books,
    scheme: RiskScheme,
    loans: list[Loan],
    budget: Callable[..., Any],
    bank_user: User,
    maker: User,
    checker: User,
) -> None:
    kind = step[0]
    if kind == "budget":
        budget(str(step[1]), on=books.day)
        books.budget += step[1]
    elif kind == "next_year":
        books.day = date(books.day.year + 1, 1, 2)
    elif kind == "claim" and len(books.claims) < len(loans):
        loan = loans[len(books.claims)]
        filed = claim_file(actor=bank_user, loan_id=loan.pk, scheme_id=scheme.pk)
        books.claims.append(claim_approve(actor=maker, claim=filed, today=books.day))
    elif kind == "pay" and (waiting := books.in_state("approved", "settled")):
        claim = waiting[step[1] % len(waiting)]
        owed = selectors.claim_payable(claim.pk)
        payer = checker if claim.state == "approved" else maker  # never the step's maker
        try:
            claim_pay(actor=payer, claim=claim, today=books.day)
        except Conflict as refusal:
            assert refusal.code in ("fund_insufficient", "bank_year_cap_exceeded")
            event(f"payment refused: {refusal.code}")
            return
        event(f"paid ({claim.state})")
        books.paid += owed
    elif kind == "settle" and (disposed := books.in_state("awaiting_disposal")):
        claim = disposed[step[1] % len(disposed)]
        settled = claim_settle(actor=checker, claim=claim, proceeds=str(step[2]), today=books.day)
        assert settled.settlement is not None
        event(f"settled {'+' if settled.settlement > 0 else '-' if settled.settlement else '0'}")
        if settled.settlement < 0:
            books.to_return -= settled.settlement
    elif kind == "receive" and (due := books.in_state("refund_due")):
        claim = due[step[1] % len(due)]
        amount = selectors.claim_refundable(claim.pk)
        closed = claim_refund_receive(actor=maker, claim=claim, today=books.day)  # not the settler
        assert closed.state == "closed"
        event("return received")
        books.returned += amount
        books.to_return -= amount


def test_what_the_borrower_repaid_since_the_filing_is_no_loss_to_share(
    file_claim: Callable[..., RiskClaim],
    budget: Callable[..., Any],
    office_user: User,
    checker: User,
    bank_a_user: User,
) -> None:
    """The settlement's loss is computed on what the loan owes at settlement: the principal at
    filing, 400,000.00, less what the borrower repaid since (the fund had shared a loss of
    358,000.00 on a loan owing 125,583.33). The advance paid stays the one paid."""
    from ipfin.loans.services import loan_repay

    budget("1000000.00")
    claim = claim_approve(actor=office_user, claim=file_claim(), today=CLAIM_DAY)
    claim = claim_pay(actor=checker, claim=claim, today=CLAIM_DAY)
    assert (claim.principal, claim.advance) == (Decimal("400000.00"), Decimal("160000.00"))
    loan = Loan.objects.get(pk=claim.loan_id)
    repaid_on = date(2025, 6, 10)
    loan_repay(actor=bank_a_user, loan=loan, amount="300000.00", paid_on=repaid_on, today=repaid_on)
    loan.refresh_from_db()
    owed = loan.outstanding_principal
    assert Decimal(0) < owed < Decimal("400000.00")
    settled = claim_settle(
        actor=office_user, claim=claim, proceeds="50000.00", today=date(2025, 7, 1)
    )
    assert owed - Decimal("50000.00") <= settled.loss <= owed
    # The loss split by the largest-remainder method: each part within a fen of its quota, the
    # parts summing to the loss exactly.
    assert abs(settled.fund_part - settled.loss * Decimal("0.4")) < Decimal("0.01")
    parts = (settled.fund_part, settled.bank_part, settled.guarantor_part, settled.insurer_part)
    assert sum(parts) == settled.loss
    assert settled.advance == Decimal("160000.00")
    assert settled.settlement == settled.fund_part - settled.advance < 0  # the bank returns


def test_no_advance_is_paid_on_a_loan_repaid_and_closed_since_the_approval(
    file_claim: Callable[..., RiskClaim],
    budget: Callable[..., Any],
    office_user: User,
    checker: User,
    bank_a_user: User,
) -> None:
    from ipfin.loans.selectors import loan_position
    from ipfin.loans.services import loan_close, loan_repay

    budget("1000000.00")
    claim = claim_approve(actor=office_user, claim=file_claim(), today=CLAIM_DAY)
    loan = Loan.objects.get(pk=claim.loan_id)
    repaid_on = date(2025, 6, 10)
    position = loan_position(loan, repaid_on)
    assert position is not None
    owed = position.amount_to_settle  # principal, interest and penalty: repaid in full
    loan_repay(actor=bank_a_user, loan=loan, amount=owed, paid_on=repaid_on, today=repaid_on)
    loan.refresh_from_db()
    loan_close(actor=bank_a_user, loan=loan, today=repaid_on)
    with pytest.raises(Conflict) as refused:
        claim_pay(actor=checker, claim=claim, today=date(2025, 6, 11))
    assert refused.value.code == "loan_not_non_performing"
    assert not LedgerEntry.objects.filter(kind="payment").exists()
    assert RiskClaim.objects.get(pk=claim.pk).state == "approved"
