"""Repayments of a disbursed loan: penalty charges, the allocation waterfall, early repayment.

Pure: no Django, no clock (`paid_on` is passed in). Amounts are `Decimal` yuan rounded to the fen
with `ipfin.common.money.to_fen`; the schedule and the interest / penalty formulas are those of
`ipfin.loans.domain.schedules` (`repayment_schedule`, `accrued_interest`, `late_charges`).

The loan is its instalments (`InstalmentState`): each has a principal part and an interest part
due on its due date, what has been paid of each, and the penalty charged on it so far.

`apply_repayment(instalments, terms, amount, paid_on)` allocates one repayment, in this order
(民法典 art. 561: costs, then interest, then principal; art. 560: of several debts, the one due
first is paid first; penalty interest before ordinary interest, as bank loan contracts write):

1. Penalty charges are brought up to `paid_on`: every instalment payable *before* `paid_on` with
   principal or interest unpaid is charged, for the days since its payable day (or since the last
   charge), penalty interest on its unpaid principal and compound interest on its unpaid interest,
   both at the penalty rate (contract rate × (1 + surcharge), actual/360; `late_charges`). An
   instalment's payable day is its due date, or the first working day after when that falls on a
   weekend or holiday (`payable_on`, 民法典 art. 203); one paid by then is not late.
2. The repayment pays, oldest instalment first within each step: (a) penalty charges; (b) the
   interest of the instalments due on or before `paid_on`; (c) their principal.
3. What is left is an early repayment (提前还款). It first pays the interest earned so far in the
   current period (the instalment next due: its interest less the interest that the outstanding
   balance would still accrue from `paid_on` to its due date, `accrued_interest` with the loan's
   day count), then principal:
   - the whole outstanding principal: the loan is repaid in full, with interest accrued to the
     date; the current instalment's interest becomes the interest earned, later instalments carry
     none;
   - part of it: the principal is prepaid against the last instalments first (缩短还款期限: the
     term shortens, earlier instalments keep their principal parts); the current instalment's
     interest drops by the interest the prepaid principal no longer accrues to its due date, and
     every later instalment's interest is recomputed by the schedule's rule on the balance now
     outstanding (an annuity's later payments therefore fall a little: its principal parts stay).
4. An amount above what settles the loan (`amount_to_settle`) is refused with that figure; the
   bank records what the borrower owes, not more.

An instalment is settled (`settled_on`) when its principal, interest and penalty charges are all
paid. The loan is repaid when every instalment is settled.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from ipfin.common.errors import invalid
from ipfin.common.inputs import exact_decimal_in
from ipfin.common.money import MAX_AMOUNT, to_fen
from ipfin.loans.domain.schedules import (
    DayCount,
    accrued_interest,
    days_30_360,
    late_charges,
)

__all__ = [
    "Allocation",
    "AllocationLine",
    "InstalmentState",
    "LoanTerms",
    "amount_due",
    "amount_to_settle",
    "apply_repayment",
    "charge_penalties",
    "oldest_unpaid_due_date",
    "outstanding_principal",
]

_ZERO = Decimal("0.00")
_TWELVE = Decimal(12)


@dataclass(frozen=True)
class LoanTerms:
    annual_rate: Decimal
    day_count: str
    disbursed_on: date
    penalty_surcharge: Decimal


@dataclass
class InstalmentState:
    """One instalment as the loan stands. Mutable: `apply_repayment` updates it in place."""

    n: int
    due_date: date
    principal: Decimal  # principal part due on due_date
    interest: Decimal  # interest part due on due_date (recomputed after a prepayment)
    principal_paid: Decimal = _ZERO
    interest_paid: Decimal = _ZERO
    penalty: Decimal = _ZERO  # penalty and compound interest charged so far
    penalty_paid: Decimal = _ZERO
    penalty_through: date | None = None  # penalty charged up to this day
    settled_on: date | None = None
    # The last day it may be paid without being late (`ipfin.loans.domain.status.payable_on`:
    # the due date moved past weekends and holidays); None: the due date itself.
    payable_on: date | None = None

    @property
    def payable(self) -> date:
        return self.payable_on or self.due_date

    @property
    def principal_unpaid(self) -> Decimal:
        return self.principal - self.principal_paid

    @property
    def interest_unpaid(self) -> Decimal:
        return self.interest - self.interest_paid

    @property
    def penalty_unpaid(self) -> Decimal:
        return self.penalty - self.penalty_paid

    @property
    def settled(self) -> bool:
        return self.principal_unpaid == 0 and self.interest_unpaid == 0 and self.penalty_unpaid == 0


@dataclass(frozen=True)
class AllocationLine:
    n: int
    penalty: Decimal
    interest: Decimal
    principal: Decimal


@dataclass(frozen=True)
class Allocation:
    paid_on: date
    amount: Decimal
    penalty: Decimal
    interest: Decimal
    principal: Decimal
    prepaid_principal: Decimal  # the part of `principal` repaid before it was due
    full_repayment: bool  # the loan is repaid in full by this repayment
    lines: tuple[AllocationLine, ...] = field(default=())


def _check_amount(amount: object) -> Decimal:
    value = exact_decimal_in(amount, "amount", "还款金额")
    if value <= 0 or value > MAX_AMOUNT or to_fen(value) != value:
        raise invalid(
            "amount",
            "amount_invalid",
            "还款金额须大于0，最多两位小数。",
            "amount must be positive with at most two decimals.",
        )
    return value


# --- reads ---------------------------------------------------------------------------------------


def outstanding_principal(instalments: list[InstalmentState]) -> Decimal:
    return sum((i.principal_unpaid for i in instalments), _ZERO)


def oldest_unpaid_due_date(instalments: list[InstalmentState]) -> date | None:
    """The due date of the oldest instalment not settled (days past due count from its payable
    day: `ipfin.loans.domain.status.days_past_due`)."""
    dates = [i.due_date for i in instalments if i.settled_on is None and not i.settled]
    return min(dates) if dates else None


def _current(instalments: list[InstalmentState], on: date) -> InstalmentState | None:
    """The instalment whose period contains `on`: the first one due after it."""
    return next((i for i in instalments if i.due_date > on), None)


def _period_start(
    instalments: list[InstalmentState], inst: InstalmentState, terms: LoanTerms
) -> date:
    before = [i.due_date for i in instalments if i.n < inst.n]
    return max(before) if before else terms.disbursed_on


def _interest_to_due(
    balance: Decimal, terms: LoanTerms, period_start: date, on: date, due: date
) -> Decimal:
    """The interest `balance` accrues from `on` (not before the period's start) to the period's
    due date, as the schedule counts the period. Under 30/360 the schedule charges every period
    30 days (a month at rate / 12), whatever its length by 30E/360: what is left is the share of
    those 30 days not yet elapsed, the share measured by 30E/360 (a 30-day period: 30 less the
    days elapsed). Counting the rest from `on` to the due date by 30E/360 gave a period begun on
    the last day of February 28 days (28 Feb → 28 Mar): an early repayment on its first day
    paid 2 days' interest for no time at all; counting the days elapsed alone moved those 2 days
    to the period's last day (9,000.00 on 27 Mar, 10,000.00 on 28 Mar)."""
    start = max(on, period_start)
    if DayCount(terms.day_count) is DayCount.THIRTY_360:
        length = days_30_360(period_start, due)
        elapsed = min(length, max(0, days_30_360(period_start, start)))
        if length <= 0:
            return _ZERO
        left = Decimal(30) * Decimal(length - elapsed) / Decimal(length)
        return to_fen(balance * terms.annual_rate * left / Decimal(360))
    return accrued_interest(balance, terms.annual_rate, start, due, terms.day_count)


def _earned_unpaid(
    instalments: list[InstalmentState], terms: LoanTerms, on: date
) -> tuple[InstalmentState | None, Decimal]:
    """The current instalment and the interest it has earned up to `on` not yet paid."""
    current = _current(instalments, on)
    if current is None:
        return None, _ZERO
    balance = sum((i.principal_unpaid for i in instalments if i.n >= current.n), _ZERO)
    still_to_accrue = _interest_to_due(
        balance, terms, _period_start(instalments, current, terms), on, current.due_date
    )
    earned = max(_ZERO, current.interest - min(still_to_accrue, current.interest))
    return current, max(_ZERO, earned - current.interest_paid)


def charge_penalties(instalments: list[InstalmentState], terms: LoanTerms, on: date) -> Decimal:
    """Bring the penalty charges of every overdue instalment up to `on` (in place); the total
    charged by this call."""
    charged = _ZERO
    for inst in instalments:
        if inst.payable >= on or (inst.principal_unpaid == 0 and inst.interest_unpaid == 0):
            continue
        since = max(inst.penalty_through or inst.payable, inst.payable)
        if on <= since:
            continue
        charge = late_charges(
            overdue_principal=inst.principal_unpaid,
            overdue_interest=inst.interest_unpaid,
            contract_rate=terms.annual_rate,
            due_date=since,
            paid_date=on,
            surcharge=terms.penalty_surcharge,
        )
        inst.penalty += charge.total
        inst.penalty_through = on
        charged += charge.total
    return charged


def amount_due(instalments: list[InstalmentState], terms: LoanTerms, on: date) -> Decimal:
    """What is due on `on`: penalty charges to that day, and the unpaid interest and principal of
    the instalments due on or before it (the instalments are not changed)."""
    copy = [replace(i) for i in instalments]
    charge_penalties(copy, terms, on)
    return sum(
        (
            i.penalty_unpaid + (i.interest_unpaid + i.principal_unpaid if i.due_date <= on else 0)
            for i in copy
        ),
        _ZERO,
    )


def amount_to_settle(instalments: list[InstalmentState], terms: LoanTerms, on: date) -> Decimal:
    """What repays the loan in full on `on`: the amount due, the interest earned so far in the
    current period and the outstanding principal not yet due."""
    copy = [replace(i) for i in instalments]
    charge_penalties(copy, terms, on)
    due = sum(
        (
            i.penalty_unpaid + (i.interest_unpaid + i.principal_unpaid if i.due_date <= on else 0)
            for i in copy
        ),
        _ZERO,
    )
    _current_inst, earned = _earned_unpaid(copy, terms, on)
    not_due = sum((i.principal_unpaid for i in copy if i.due_date > on), _ZERO)
    return due + earned + not_due


# --- the repayment -------------------------------------------------------------------------------


def _period_interest(balance: Decimal, terms: LoanTerms, start: date, end: date) -> Decimal:
    """One scheduled period's interest, as `repayment_schedule` computes it."""
    if terms.day_count == DayCount.THIRTY_360:
        return to_fen(balance * (terms.annual_rate / _TWELVE))
    return accrued_interest(balance, terms.annual_rate, start, end, terms.day_count)


def apply_repayment(
    instalments: list[InstalmentState], terms: LoanTerms, amount: object, paid_on: date
) -> Allocation:
    """Allocate `amount` paid on `paid_on` (see the module doc); updates `instalments` in place
    only when the repayment is accepted."""
    value = _check_amount(amount)
    if paid_on < terms.disbursed_on:
        raise invalid(
            "paid_on",
            "paid_on_invalid",
            f"还款日不能早于放款日 {terms.disbursed_on}。",
            f"paid_on cannot be before the disbursement on {terms.disbursed_on}.",
        )
    settle = amount_to_settle(instalments, terms, paid_on)
    if settle == 0:
        raise invalid("amount", "loan_repaid", "该贷款已全部还清。", "The loan is already repaid.")
    if value > settle:
        raise invalid(
            "amount",
            "overpayment",
            f"还款金额超过结清所需金额 {settle} 元。",
            f"The amount exceeds the {settle} yuan that repays the loan in full.",
            amount_to_settle=f"{settle:f}",
        )
    work = [replace(i) for i in instalments]
    charge_penalties(work, terms, paid_on)
    left = value
    paid: dict[int, list[Decimal]] = {i.n: [_ZERO, _ZERO, _ZERO] for i in work}

    def take(inst: InstalmentState, slot: int, available: Decimal) -> None:
        nonlocal left
        part = min(left, available)
        if part <= 0:
            return
        left -= part
        paid[inst.n][slot] += part
        if slot == 0:
            inst.penalty_paid += part
        elif slot == 1:
            inst.interest_paid += part
        else:
            inst.principal_paid += part

    due_now = [i for i in work if i.due_date <= paid_on]
    for inst in work:
        take(inst, 0, inst.penalty_unpaid)
    for inst in due_now:
        take(inst, 1, inst.interest_unpaid)
    for inst in due_now:
        take(inst, 2, inst.principal_unpaid)

    prepaid = _ZERO
    full = False
    if left > 0:
        current, earned = _earned_unpaid(work, terms, paid_on)
        assert current is not None  # amount ≤ amount_to_settle leaves nothing beyond the schedule
        take(current, 1, earned)
        balance = outstanding_principal(work)
        prepaid = min(left, balance)
        if prepaid == balance:
            full = True
            current.interest = current.interest_paid
            for inst in work:
                if inst.n > current.n:
                    inst.interest = inst.interest_paid  # zero: never paid in advance
                take(inst, 2, inst.principal_unpaid)
        else:
            # The period's interest becomes what it has earned to the day on the balance before
            # plus what the balance after earns to its due day. Taking off the interest the
            # prepaid part would have earned, rounded on its own, made two payments on one day
            # cost a fen more or less than their sum paid at once (to_fen(a) + to_fen(b) is not
            # to_fen(a + b)); this way a second payment that day starts where the first ended.
            start = _period_start(work, current, terms)
            carrying = sum((i.principal_unpaid for i in work if i.n >= current.n), _ZERO)
            before = _interest_to_due(carrying, terms, start, paid_on, current.due_date)
            after = _interest_to_due(carrying - prepaid, terms, start, paid_on, current.due_date)
            earned_to_day = current.interest - min(before, current.interest)
            current.interest = max(current.interest_paid, earned_to_day + after)
            for inst in reversed(work):
                if inst.n >= current.n:
                    take(inst, 2, inst.principal_unpaid)
                if left == 0:
                    break
            previous = current.due_date
            for inst in work:
                if inst.n <= current.n:
                    continue
                balance_k = sum((j.principal_unpaid for j in work if j.n >= inst.n), _ZERO)
                inst.interest = max(
                    inst.interest_paid, _period_interest(balance_k, terms, previous, inst.due_date)
                )
                previous = inst.due_date
    assert left == 0, left

    for inst in work:
        if inst.settled_on is None and inst.settled:
            inst.settled_on = paid_on
    instalments[:] = work
    totals = [sum((p[k] for p in paid.values()), _ZERO) for k in range(3)]
    lines = tuple(
        AllocationLine(n=n, penalty=p[0], interest=p[1], principal=p[2])
        for n, p in paid.items()
        if any(p)
    )
    return Allocation(
        paid_on=paid_on,
        amount=value,
        penalty=totals[0],
        interest=totals[1],
        principal=totals[2],
        prepaid_principal=prepaid,
        full_repayment=full or all(i.settled for i in work),
        lines=lines,
    )
