"""The risk-compensation fund's ledger in double entry (复式记账): what each event of the fund
posts, and the one check every posting passes.

Pure: no Django. Amounts are `Decimal` yuan to the fen.

Sources: issue 12 ("A fund ledger in double-entry form (every posting two legs, Σdebit = Σcredit,
the balance reconciles at every step, never below zero)") and DOMAIN.md ("风险补偿: fund pays a
share of losses; front-loaded 前置: advanced on default, settled after disposal"). The policy seeds
000-003 are not kept in ../shared; nothing here quotes them.

The chart of accounts (one per fund; the fund's balance is its `fund_cash` balance):

| account                | kind      | normal side | holds                                        |
|------------------------|-----------|-------------|----------------------------------------------|
| `fund_cash`            | asset     | debit       | the fund's money: its balance                |
| `advances_receivable`  | asset     | debit       | advances granted before disposal (先行代偿)  |
| `bank_receivable`      | asset     | debit       | advance a bank is to return, not yet received |
| `bank_payable`         | liability | credit      | owed to a bank, approved, not yet released   |
| `budget_income`        | income    | credit      | budget entries (财政预算注资) feeding it     |
| `compensation_expense` | expense   | debit       | the fund's final part of the losses          |

What each event posts (Dr = debit, Cr = credit):

- budget entry of A:            Dr fund_cash A / Cr budget_income A
- advance of A approved:        Dr advances_receivable A / Cr bank_payable A
- payment of X released:        Dr bank_payable X / Cr fund_cash X (the only credit to fund_cash:
                                the only posting that can lower the balance)
- settlement, the fund's final part P of the loss against the advance A:
  Dr compensation_expense P, Cr advances_receivable A, and the difference either way:
  P > A: Cr bank_payable P − A (the fund owes the bank that much more, released as a payment);
  P < A: Dr bank_receivable A − P (the bank is to return it, out of the disposal proceeds it
  holds: owed to the fund, not yet its money).
  P = A = 0 posts nothing (no posting has fewer than two lines).
- the bank's return of R received:  Dr fund_cash R / Cr bank_receivable R (the money is the
                                fund's, and its balance, only once it has come in).

Every posting (`posting`): at least two lines; each line a debit or a credit, exactly one of them
above zero, to the fen; Σdebit = Σcredit. A posting that fails it is a programming error
(`UnbalancedPosting`), never saved.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ipfin.common.money import to_fen

__all__ = [
    "Account",
    "Line",
    "Posting",
    "PostingKind",
    "UnbalancedPosting",
    "advance_posting",
    "balance_of",
    "budget_posting",
    "payment_posting",
    "posting",
    "refund_posting",
    "settlement_posting",
]

_ZERO = Decimal("0.00")


class Account(StrEnum):
    FUND_CASH = "fund_cash"
    ADVANCES_RECEIVABLE = "advances_receivable"
    BANK_RECEIVABLE = "bank_receivable"
    BANK_PAYABLE = "bank_payable"
    BUDGET_INCOME = "budget_income"
    COMPENSATION_EXPENSE = "compensation_expense"

    @property
    def label_zh(self) -> str:
        return _ACCOUNT_ZH[self]


_ACCOUNT_ZH = {
    Account.FUND_CASH: "基金存款",
    Account.ADVANCES_RECEIVABLE: "应收代偿款",
    Account.BANK_RECEIVABLE: "应收银行退还款",
    Account.BANK_PAYABLE: "应付银行补偿款",
    Account.BUDGET_INCOME: "财政预算注资",
    Account.COMPENSATION_EXPENSE: "风险补偿支出",
}


class PostingKind(StrEnum):
    BUDGET = "budget"  # a budget entry feeds the fund
    ADVANCE = "advance"  # a front-loaded advance approved: owed to the bank
    PAYMENT = "payment"  # what is owed to a bank released from the fund's money
    SETTLEMENT = "settlement"  # after disposal: the fund's final part against the advance
    REFUND = "refund"  # what a bank was to return of an advance, received


class UnbalancedPosting(ValueError):
    """A posting that breaks double entry: a bug, never a user's mistake."""


@dataclass(frozen=True)
class Line:
    account: Account
    debit: Decimal = _ZERO
    credit: Decimal = _ZERO


@dataclass(frozen=True)
class Posting:
    kind: PostingKind
    lines: tuple[Line, ...]

    @property
    def total(self) -> Decimal:
        """Σdebit (= Σcredit)."""
        return sum((line.debit for line in self.lines), _ZERO)


def _fen_amount(value: Decimal) -> bool:
    return value >= 0 and to_fen(value) == value


def posting(kind: PostingKind, lines: Iterable[Line]) -> Posting:
    """The posting of `lines`, checked: at least two lines, each exactly one of debit and credit
    above zero and both to the fen, Σdebit = Σcredit; else `UnbalancedPosting`."""
    rows = tuple(lines)
    if len(rows) < 2:
        raise UnbalancedPosting(f"a posting has at least two lines, not {len(rows)}")
    for line in rows:
        if not (_fen_amount(line.debit) and _fen_amount(line.credit)):
            raise UnbalancedPosting(f"amounts are to the fen and not negative: {line}")
        if (line.debit > 0) == (line.credit > 0):
            raise UnbalancedPosting(f"a line is a debit or a credit: {line}")
    debit = sum((line.debit for line in rows), _ZERO)
    credit = sum((line.credit for line in rows), _ZERO)
    if debit != credit:
        raise UnbalancedPosting(f"Σdebit {debit} ≠ Σcredit {credit}")
    return Posting(kind, rows)


def _dr(account: Account, amount: Decimal) -> Line:
    return Line(account, debit=amount)


def _cr(account: Account, amount: Decimal) -> Line:
    return Line(account, credit=amount)


def budget_posting(amount: Decimal) -> Posting:
    """A budget entry of `amount` (> 0) feeds the fund's money."""
    return posting(
        PostingKind.BUDGET, [_dr(Account.FUND_CASH, amount), _cr(Account.BUDGET_INCOME, amount)]
    )


def advance_posting(advance: Decimal) -> Posting:
    """An advance of `advance` (> 0) approved: owed to the bank until released."""
    return posting(
        PostingKind.ADVANCE,
        [_dr(Account.ADVANCES_RECEIVABLE, advance), _cr(Account.BANK_PAYABLE, advance)],
    )


def payment_posting(amount: Decimal) -> Posting:
    """`amount` (> 0) owed to a bank released from the fund's money."""
    return posting(
        PostingKind.PAYMENT, [_dr(Account.BANK_PAYABLE, amount), _cr(Account.FUND_CASH, amount)]
    )


def settlement_posting(
    fund_part: Decimal, advance: Decimal, *, released: bool = True
) -> Posting | None:
    """The settlement of the fund's final part `fund_part` of a loss against the `advance`
    granted (both ≥ 0): see the module docstring; None when both are 0. `released` False: the
    advance was approved (owed to the bank) but never paid; what the fund owes the bank then
    becomes its final part whichever is larger, the difference to the advance on bank_payable
    both ways (nothing for the bank to return of money it never had)."""
    lines: list[Line] = []
    if fund_part > 0:
        lines.append(_dr(Account.COMPENSATION_EXPENSE, fund_part))
    if advance > 0:
        lines.append(_cr(Account.ADVANCES_RECEIVABLE, advance))
    if fund_part > advance:
        lines.append(_cr(Account.BANK_PAYABLE, fund_part - advance))
    elif fund_part < advance:
        account = Account.BANK_RECEIVABLE if released else Account.BANK_PAYABLE
        lines.append(_dr(account, advance - fund_part))
    if not lines:
        return None
    return posting(PostingKind.SETTLEMENT, lines)


def refund_posting(amount: Decimal) -> Posting:
    """`amount` (> 0) a bank was to return of its advance (a settlement below it), received into
    the fund's money."""
    return posting(
        PostingKind.REFUND, [_dr(Account.FUND_CASH, amount), _cr(Account.BANK_RECEIVABLE, amount)]
    )


def balance_of(postings: Iterable[Posting], account: Account) -> Decimal:
    """Σdebit − Σcredit of `account` over `postings` (a credit-normal account comes out ≤ 0)."""
    return sum(
        (line.debit - line.credit for p in postings for line in p.lines if line.account == account),
        _ZERO,
    )
