"""The repayment waterfall, penalties and early repayment (pure: no database).

The reference loan: 120,000.00 at 12 % a year, equal principal, 3 months, 30/360, disbursed
2025-01-15. Monthly rate 1 %; principal 40,000.00 a month; interest 1,200.00, 800.00, 400.00;
due 2025-02-15, 03-15, 04-15. Penalty rate 12 % × 1.5 = 18 % a year, actual/360.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipfin.common.errors import ValidationFailed
from ipfin.loans.domain import (
    InstalmentState,
    LoanTerms,
    amount_due,
    amount_to_settle,
    apply_repayment,
    oldest_unpaid_due_date,
    outstanding_principal,
)
from ipfin.loans.domain.schedules import repayment_schedule

D = Decimal
START = date(2025, 1, 15)


def loan(
    principal: str = "120000",
    rate: str = "0.12",
    months: int = 3,
    method: str = "equal_principal",
    day_count: str = "30/360",
    start: date = START,
) -> tuple[list[InstalmentState], LoanTerms]:
    s = repayment_schedule(
        principal=D(principal),
        annual_rate=D(rate),
        months=months,
        method=method,
        start_date=start,
        day_count=day_count,
    )
    rows = [InstalmentState(i.n, i.due_date, i.principal, i.interest) for i in s.installments]
    return rows, LoanTerms(D(rate), day_count, start, D("0.5"))


def test_on_time_instalment_pays_interest_then_principal() -> None:
    rows, terms = loan()
    a = apply_repayment(rows, terms, D("41200.00"), date(2025, 2, 15))
    assert (a.penalty, a.interest, a.principal, a.prepaid_principal) == (0, 1200, 40000, 0)
    assert rows[0].settled_on == date(2025, 2, 15)
    assert outstanding_principal(rows) == D("80000.00")
    assert not a.full_repayment


def test_partial_then_late_repayment_charges_penalty_on_the_unpaid_principal() -> None:
    rows, terms = loan()
    # 02-15: 20,000.00 on the due date: interest 1,200.00 first, then 18,800.00 of principal.
    a = apply_repayment(rows, terms, D("20000.00"), date(2025, 2, 15))
    assert (a.interest, a.principal) == (D("1200.00"), D("18800.00"))
    assert rows[0].settled_on is None
    assert oldest_unpaid_due_date(rows) == date(2025, 2, 15)
    # 03-10: 21,200.00 principal overdue for 23 days (02-15 → 03-10):
    #   penalty 21,200 × 18 % × 23 / 360 = 243.80; no interest overdue, so no compound interest.
    assert amount_due(rows, terms, date(2025, 3, 10)) == D("21443.80")
    a = apply_repayment(rows, terms, D("21443.80"), date(2025, 3, 10))
    assert (a.penalty, a.interest, a.principal) == (D("243.80"), 0, D("21200.00"))
    assert rows[0].settled_on == date(2025, 3, 10)
    assert oldest_unpaid_due_date(rows) == date(2025, 3, 15)


def test_an_instalment_due_on_a_holiday_is_late_only_after_its_payable_day_minfadian_art_203() -> (
    None
):
    """Disbursed 1 September 2025: the first instalment falls due on 1 October, National Day
    (1–8 October off); payable on the 9th. Paid then: no penalty. Paid on the 10th: one day's
    penalty, counted from the 9th, not nine from the 1st."""
    rows, terms = loan(start=date(2025, 9, 1))
    assert rows[0].due_date == date(2025, 10, 1)
    moved = [replace(i, payable_on=date(2025, 10, 9)) if i.n == 1 else i for i in rows]
    assert amount_due(moved, terms, date(2025, 10, 9)) == D("41200.00")
    on_time = apply_repayment([replace(i) for i in moved], terms, D("41200.00"), date(2025, 10, 9))
    assert on_time.penalty == 0
    # A day late: 40,000 × 18 % / 360 = 20.00 and 1,200 × 18 % / 360 = 0.60.
    assert amount_due(moved, terms, date(2025, 10, 10)) == D("41220.60")
    # Without the payable day the same payment is nine days late.
    assert amount_due(rows, terms, date(2025, 10, 10)) == D("41385.40")


def test_overdue_interest_bears_compound_interest() -> None:
    rows, terms = loan(method="interest_only")
    # Interest 1,200.00 due 02-15, paid 03-07 (20 days late): 1,200 × 18 % × 20 / 360 = 12.00.
    a = apply_repayment(rows, terms, D("1212.00"), date(2025, 3, 7))
    assert (a.penalty, a.interest, a.principal) == (D("12.00"), D("1200.00"), 0)
    assert rows[0].settled_on == date(2025, 3, 7)


def test_waterfall_is_penalty_then_interest_then_principal_oldest_first() -> None:
    rows, terms = loan()
    # Nothing paid until 03-17: instalment 1 is 30 days late (02-15 → 03-17), instalment 2 two.
    #   1: 40,000 × 18 % × 30/360 = 600.00; 1,200 × 18 % × 30/360 = 18.00
    #   2: 40,000 × 18 % ×  2/360 =  40.00;   800 × 18 % ×  2/360 =  0.80     penalties 658.80
    # 10,000.00 pays the penalties, then interest 1,200 + 800, then 7,341.20 of instalment 1's
    # principal.
    a = apply_repayment(rows, terms, D("10000.00"), date(2025, 3, 17))
    assert a.penalty == D("658.80")
    assert a.interest == D("2000.00")
    assert a.principal == D("7341.20")
    assert [(line.n, line.principal) for line in a.lines] == [(1, D("7341.20")), (2, 0)]
    assert rows[1].principal_paid == 0


def test_early_full_repayment_charges_interest_to_the_date() -> None:
    rows, terms = loan()
    apply_repayment(rows, terms, D("41200.00"), date(2025, 2, 15))
    # 03-05: 80,000.00 outstanding; interest 02-15 → 03-05 (20 days, 30/360):
    #   80,000 × 12 % × 20 / 360 = 533.33 (instalment 2's 800.00 less the 266.67 of 03-05 → 03-15).
    assert amount_to_settle(rows, terms, date(2025, 3, 5)) == D("80533.33")
    a = apply_repayment(rows, terms, D("80533.33"), date(2025, 3, 5))
    assert a.full_repayment
    assert (a.interest, a.principal, a.prepaid_principal) == (D("533.33"), D("80000"), D("80000"))
    assert [(r.interest, r.settled_on) for r in rows[1:]] == [
        (D("533.33"), date(2025, 3, 5)),
        (D("0"), date(2025, 3, 5)),
    ]
    assert outstanding_principal(rows) == 0


@pytest.mark.parametrize(
    ("start", "on", "interest", "first_after"),
    [
        (date(2023, 2, 28), date(2023, 2, 28), "0.00", "5000.00"),  # settled on disbursement
        (date(2024, 2, 29), date(2024, 2, 29), "0.00", "5000.00"),
        # 28 Feb → 28 Mar is 28 days by 30E/360 and is charged 30: a day is 30/28 of one,
        # 357.14 on 1,000,000 at 12 %; the prepaid half saves the other 27: 4,821.43.
        (date(2023, 2, 28), date(2023, 3, 1), "357.14", "5178.57"),
        # Its last day before the due date: no jump of the 2 days at the end either.
        (date(2023, 2, 28), date(2023, 3, 27), "9642.86", "9821.43"),
        (date(2023, 2, 27), date(2023, 2, 27), "0.00", "5000.00"),
        # On the first due date: the whole first period (30 days), which the prepayment leaves.
        (date(2023, 1, 31), date(2023, 2, 28), "10000.00", "10000.00"),
    ],
)
def test_under_30_360_a_period_is_30_days_wherever_it_begins(
    start: date, on: date, interest: str, first_after: str
) -> None:
    """The schedule charges each 30/360 period 30 days; an early repayment pays the share of
    them elapsed. A period begun on the last day of February was counted 28 days to go (28 Feb
    → 28 Mar by 30E/360), and a loan settled the day it was disbursed paid 2 days' interest;
    counted by days elapsed alone, the 2 days fell on the period's last day instead."""
    rows, terms = loan(principal="1000000", months=12, method="interest_only", start=start)
    assert rows[0].interest == D("10000.00")
    assert amount_to_settle(rows, terms, on) == D("1000000") + D(interest)
    partial = apply_repayment(rows, terms, D("500000.00") + D(interest), on)
    assert partial.interest == D(interest) and partial.prepaid_principal == D("500000.00")
    # The prepaid half no longer bears the rest of its period (30 days less those elapsed).
    assert rows[0].interest == D(first_after)


def test_partial_prepayment_shortens_the_term_and_lowers_later_interest() -> None:
    rows, terms = loan()
    apply_repayment(rows, terms, D("41200.00"), date(2025, 2, 15))
    # 03-05, 30,000.00: interest earned to date 533.33 first (800.00 less the 266.67 that
    # 80,000.00 would earn over the 10 days left), then 29,466.67 of principal against the last
    # instalment (40,000.00 → 10,533.33 left).
    # Instalment 2's interest: the 533.33 earned plus what the 50,533.33 left earns over the
    # 10 days, 50,533.33 × 12 % × 10/360 = 168.44 → 701.77 (each part to the fen: a second
    # payment that day starts where the first ended).
    # Instalment 3's interest is 1 % of the 10,533.33 it still carries: 105.33.
    a = apply_repayment(rows, terms, D("30000.00"), date(2025, 3, 5))
    assert (a.interest, a.principal, a.prepaid_principal) == (
        D("533.33"),
        D("29466.67"),
        D("29466.67"),
    )
    assert rows[1].interest == D("701.77")
    assert rows[2].principal_paid == D("29466.67")
    assert rows[2].interest == D("105.33")
    assert outstanding_principal(rows) == D("50533.33")
    # On 03-15: 40,000.00 + the 168.44 interest still open on instalment 2.
    assert amount_due(rows, terms, date(2025, 3, 15)) == D("40168.44")


def test_overpayment_is_refused_with_the_amount_that_settles() -> None:
    rows, terms = loan()
    with pytest.raises(ValidationFailed) as err:
        apply_repayment(rows, terms, D("120000.01"), START)
    assert err.value.code == "overpayment"
    assert err.value.extra["amount_to_settle"] == "120000.00"
    assert rows[0].principal_paid == 0  # nothing changed


@pytest.mark.parametrize("amount", [D("0"), D("-1"), D("1.001"), 1.5, "10"])
def test_bad_amounts_are_refused(amount: object) -> None:
    rows, terms = loan()
    with pytest.raises(ValidationFailed):
        apply_repayment(rows, terms, amount, date(2025, 2, 15))


def test_repayment_before_disbursement_is_refused() -> None:
    rows, terms = loan()
    with pytest.raises(ValidationFailed) as err:
        apply_repayment(rows, terms, D("100"), START - timedelta(days=1))
    assert err.value.extra["field"] == "paid_on"


# --- properties ----------------------------------------------------------------------------------

methods = st.sampled_from(["annuity", "equal_principal", "interest_only"])
day_counts = st.sampled_from(["30/360", "actual/360", "actual/365"])


@settings(max_examples=150, deadline=None)
@given(
    principal=st.integers(min_value=1_000_00, max_value=5_000_000_00),
    rate_bp=st.integers(min_value=0, max_value=2400),
    months=st.integers(min_value=1, max_value=24),
    method=methods,
    day_count=day_counts,
    payments=st.lists(
        st.tuples(st.integers(min_value=0, max_value=70), st.integers(1, 1000)),
        min_size=1,
        max_size=8,
    ),
)
def test_repayments_allocate_exactly_and_settle_exactly(
    principal: int,
    rate_bp: int,
    months: int,
    method: str,
    day_count: str,
    payments: list[tuple[int, int]],
) -> None:
    """Whatever the sequence of repayments (days apart, per-mille of what would settle the loan):
    each allocation sums to the amount paid, nothing is paid beyond what is due, principal repaid
    + outstanding = principal, and paying `amount_to_settle` leaves every instalment settled."""
    amount = D(principal).scaleb(-2)
    rows, terms = loan(str(amount), f"{D(rate_bp).scaleb(-4)}", months, method, day_count)
    day = START
    repaid_principal = D(0)
    for gap, per_mille in payments:
        day += timedelta(days=gap)
        settle = amount_to_settle(rows, terms, day)
        if settle == 0:
            break
        pay = max(D("0.01"), (settle * per_mille / 1000).quantize(D("0.01")))
        pay = min(pay, settle)
        a = apply_repayment(rows, terms, pay, day)
        assert a.penalty + a.interest + a.principal == pay
        assert sum((line.principal for line in a.lines), D(0)) == a.principal
        repaid_principal += a.principal
        for r in rows:
            assert 0 <= r.principal_paid <= r.principal
            assert 0 <= r.interest_paid <= r.interest
            assert 0 <= r.penalty_paid <= r.penalty
        assert repaid_principal + outstanding_principal(rows) == amount
        assert a.full_repayment == all(r.settled for r in rows)
    settle = amount_to_settle(rows, terms, day)
    if settle > 0:
        apply_repayment(rows, terms, settle, day)
    assert all(r.settled and r.settled_on is not None for r in rows)
    assert outstanding_principal(rows) == 0
    assert amount_to_settle(rows, terms, day) == 0


@settings(max_examples=60, deadline=None)
@given(
    method=methods,
    day_count=day_counts,
    days=st.integers(min_value=0, max_value=400),
)
def test_settling_early_never_costs_more_than_the_schedule(
    method: str, day_count: str, days: int
) -> None:
    """Before any penalty arises, what settles the loan is at most the scheduled payments still
    to come (interest is charged only to the date), and at least the outstanding principal."""
    rows, terms = loan("500000", "0.0435", 12, method, day_count)
    on = START + timedelta(days=days)
    if any(r.due_date <= on for r in rows):
        on = min(on, rows[0].due_date)
    settle = amount_to_settle(rows, terms, on)
    scheduled = sum((r.principal + r.interest for r in rows), D(0))
    assert D(500000) <= settle <= scheduled


@settings(max_examples=150, deadline=None)
@given(
    principal=st.integers(min_value=1_000_00, max_value=5_000_000_00),
    rate_bp=st.integers(min_value=1, max_value=2400),
    months=st.integers(min_value=2, max_value=24),
    method=methods,
    day_count=day_counts,
    days=st.integers(min_value=0, max_value=700),
    per_mille=st.integers(min_value=1, max_value=999),
)
def test_paying_in_two_parts_on_one_day_costs_what_paying_at_once_does(
    principal: int,
    rate_bp: int,
    months: int,
    method: str,
    day_count: str,
    days: int,
    per_mille: int,
) -> None:
    """Money is rounded once: what settles the loan after a part paid on a day, plus that part,
    is what settled it before the part (the interest saved by the part and the interest earned
    were each rounded to the fen, and a split payment cost a fen more or less: review's case
    91,532.78 at 12 %, 47,880.44 then 45,313.57 against 93,194.00 at once)."""
    amount = D(principal).scaleb(-2)
    rows, terms = loan(str(amount), f"{D(rate_bp).scaleb(-4)}", months, method, day_count)
    day = START + timedelta(days=days)
    settle = amount_to_settle(rows, terms, day)
    part = max(D("0.01"), (settle * per_mille / 1000).quantize(D("0.01")))
    if part >= settle:
        return
    apply_repayment(rows, terms, part, day)
    assert part + amount_to_settle(rows, terms, day) == settle


def test_the_reviews_split_payment_costs_the_same() -> None:
    rows, terms = loan("91532.78", "0.12", 4, "annuity", "30/360", date(2025, 1, 29))
    day = date(2025, 3, 21)
    settle = amount_to_settle(rows, terms, day)
    apply_repayment(rows, terms, D("47880.44"), day)
    assert D("47880.44") + amount_to_settle(rows, terms, day) == settle
