"""The fund's double-entry ledger (ipfin.risk.domain.ledger): what each event posts, the check
every posting passes, and, as properties over random sequences of budget entries, advances,
payments and settlements, that every posting and the whole ledger balance and the fund's money
reconciles. Pure: no database (the same sequences through the services: test_ledger_services.py).

Test names carry their source: `issue12` (the fund ledger "in double-entry form (every posting two
legs, Σdebit = Σcredit, the balance reconciles at every step, never below zero)"), `seed000` (the
front-loaded advance settled after disposal, as DOMAIN.md and issue 12 state seeds 000-003)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.risk.domain.ledger import (
    Account,
    Line,
    Posting,
    PostingKind,
    UnbalancedPosting,
    advance_posting,
    balance_of,
    budget_posting,
    payment_posting,
    posting,
    refund_posting,
    settlement_posting,
)

D = Decimal


def debits(p: Posting) -> Decimal:
    return sum((line.debit for line in p.lines), D(0))


def credits(p: Posting) -> Decimal:
    return sum((line.credit for line in p.lines), D(0))


def legs(p: Posting) -> set[tuple[str, str, Decimal]]:
    return {
        (line.account.value, "Dr" if line.debit else "Cr", line.debit or line.credit)
        for line in p.lines
    }


# --- what each event posts -----------------------------------------------------------------------


def test_a_budget_entry_feeds_the_funds_money_issue12() -> None:
    p = budget_posting(D("1000000.00"))
    assert p.kind is PostingKind.BUDGET
    assert legs(p) == {
        ("fund_cash", "Dr", D("1000000.00")),
        ("budget_income", "Cr", D("1000000.00")),
    }


def test_an_approved_advance_is_owed_to_the_bank_not_yet_paid_seed000() -> None:
    p = advance_posting(D("300000.00"))
    assert legs(p) == {
        ("advances_receivable", "Dr", D("300000.00")),
        ("bank_payable", "Cr", D("300000.00")),
    }
    assert balance_of([p], Account.FUND_CASH) == 0


def test_a_payment_releases_what_is_owed_from_the_funds_money_issue12() -> None:
    p = payment_posting(D("300000.00"))
    assert legs(p) == {
        ("bank_payable", "Dr", D("300000.00")),
        ("fund_cash", "Cr", D("300000.00")),
    }


def test_settlement_below_the_advance_the_bank_owes_the_difference_until_received_seed000() -> None:
    """The worked example of test_compensation.py: advance 300,000.00, fund's part 192,000.00.
    The bank is to return 108,000.00: a receivable, the fund's money only once it comes in (it
    was posted to fund_cash at once, a balance the fund's bank account did not hold)."""
    p = settlement_posting(D("192000.00"), D("300000.00"))
    assert p is not None
    assert legs(p) == {
        ("compensation_expense", "Dr", D("192000.00")),
        ("advances_receivable", "Cr", D("300000.00")),
        ("bank_receivable", "Dr", D("108000.00")),
    }
    assert balance_of([p], Account.FUND_CASH) == 0
    received = refund_posting(D("108000.00"))
    assert legs(received) == {
        ("fund_cash", "Dr", D("108000.00")),
        ("bank_receivable", "Cr", D("108000.00")),
    }
    assert balance_of([p, received], Account.BANK_RECEIVABLE) == 0


def test_settlement_above_the_advance_the_fund_owes_the_bank_more_seed000() -> None:
    p = settlement_posting(D("250000.00"), D("200000.00"))
    assert p is not None
    assert legs(p) == {
        ("compensation_expense", "Dr", D("250000.00")),
        ("advances_receivable", "Cr", D("200000.00")),
        ("bank_payable", "Cr", D("50000.00")),
    }


def test_settlement_after_disposal_without_advance_and_with_nothing_to_share() -> None:
    p = settlement_posting(D("80000.00"), D("0.00"))
    assert p is not None
    assert legs(p) == {
        ("compensation_expense", "Dr", D("80000.00")),
        ("bank_payable", "Cr", D("80000.00")),
    }
    assert settlement_posting(D("0.00"), D("0.00")) is None  # no posting of fewer than two lines
    whole = settlement_posting(D("0.00"), D("5.00"))  # everything recovered: the advance returns
    assert whole is not None and legs(whole) == {
        ("advances_receivable", "Cr", D("5.00")),
        ("bank_receivable", "Dr", D("5.00")),
    }


# --- the check every posting passes ----------------------------------------------------------


@pytest.mark.parametrize(
    "lines",
    [
        [Line(Account.FUND_CASH, debit=D("1.00"))],  # one leg
        [Line(Account.FUND_CASH, debit=D("1.00")), Line(Account.BUDGET_INCOME, credit=D("2.00"))],
        [
            Line(Account.FUND_CASH, debit=D("1.00"), credit=D("1.00")),  # both sides on one line
            Line(Account.BUDGET_INCOME, credit=D("0.00")),
        ],
        [Line(Account.FUND_CASH), Line(Account.BUDGET_INCOME)],  # neither side
        [
            Line(Account.FUND_CASH, debit=D("0.005")),  # not to the fen
            Line(Account.BUDGET_INCOME, credit=D("0.005")),
        ],
        [Line(Account.FUND_CASH, debit=D("-1.00")), Line(Account.BUDGET_INCOME, credit=D("-1.00"))],
    ],
)
def test_an_unbalanced_posting_is_never_made_issue12(lines: list[Line]) -> None:
    with pytest.raises(UnbalancedPosting):
        posting(PostingKind.BUDGET, lines)


def test_a_zero_amount_is_no_posting() -> None:
    for make in (budget_posting, advance_posting, payment_posting, refund_posting):
        with pytest.raises(UnbalancedPosting):
            make(D("0.00"))


# --- properties over random sequences --------------------------------------------------------

fen = st.integers(min_value=1, max_value=10**9).map(lambda n: D(n).scaleb(-2))
events = st.lists(
    st.one_of(
        st.tuples(st.just("budget"), fen),
        st.tuples(st.just("advance"), fen),
        st.tuples(st.just("settle"), st.integers(min_value=0, max_value=10**9)),
        st.just(("pay", D(0))),
        st.just(("receive", D(0))),
    ),
    max_size=40,
)


@given(events)
def test_every_posting_and_the_whole_ledger_balance_and_cash_reconciles_issue12(
    sequence: list[tuple[str, object]],
) -> None:
    """A fund that pays only what it owes and only out of its money: budget entries, advances
    approved (paid when the money is there), settlements of the advances paid, banks' returns
    received. After every step: each posting has two legs or more and Σdebit = Σcredit, the
    ledger as a whole too; the money = budget − payments + returns received ≥ 0; what is owed =
    what was approved or settled and not paid; advances receivable = the advances approved and
    not yet settled; what the banks are to return = settled below the advance, not received."""
    ledger: list[Posting] = []
    budget = paid = returned = D(0)
    owed: list[tuple[str, Decimal]] = []  # (what, amount) waiting for payment, oldest first
    returns: list[Decimal] = []  # what banks are to return, settled and not yet received
    open_advances: list[Decimal] = []  # advances paid, waiting for their settlement
    for kind, value in sequence:
        new: Posting | None = None
        cash = balance_of(ledger, Account.FUND_CASH)
        if kind == "budget":
            assert isinstance(value, Decimal)
            new, budget = budget_posting(value), budget + value
        elif kind == "advance":
            assert isinstance(value, Decimal)
            new = advance_posting(value)
            owed.append(("advance", value))
        elif kind == "pay" and owed and owed[0][1] <= cash:
            what, amount = owed.pop(0)
            new, paid = payment_posting(amount), paid + amount
            if what == "advance":
                open_advances.append(amount)
        elif kind == "settle" and open_advances:
            assert isinstance(value, int)
            advance = open_advances.pop(0)
            part = D(value).scaleb(-2)
            new = settlement_posting(part, advance)
            if part > advance:
                owed.append(("settlement", part - advance))
            elif part < advance:
                returns.append(advance - part)
        elif kind == "receive" and returns:
            amount = returns.pop(0)
            new, returned = refund_posting(amount), returned + amount
        if new is None:
            continue
        assert len(new.lines) >= 2
        assert debits(new) == credits(new) == new.total
        assert all((line.debit > 0) != (line.credit > 0) for line in new.lines)
        ledger.append(new)
        money = balance_of(ledger, Account.FUND_CASH)
        assert money == budget - paid + returned
        assert money >= 0
        assert sum((debits(p) for p in ledger), D(0)) == sum((credits(p) for p in ledger), D(0))
        assert -balance_of(ledger, Account.BANK_PAYABLE) == sum((a for _, a in owed), D(0))
        approved = sum((a for what, a in owed if what == "advance"), D(0))
        assert balance_of(ledger, Account.ADVANCES_RECEIVABLE) == approved + sum(
            open_advances, D(0)
        )
        assert balance_of(ledger, Account.BANK_RECEIVABLE) == sum(returns, D(0))
    # The trial balance: the accounts sum to zero.
    assert sum((balance_of(ledger, account) for account in Account), D(0)) == 0
