"""Repayment schedules: numpy-financial, Apache Fineract's published schedules, hand-computed cases
and properties. Pure module: no database."""

from __future__ import annotations

import calendar
import itertools
from datetime import date, datetime
from decimal import Decimal

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipfin.common.errors import ValidationFailed
from ipfin.common.money import MAX_AMOUNT, to_fen
from ipfin.loans.domain.schedules import (
    DayCount,
    RepaymentMethod,
    Schedule,
    accrued_interest,
    add_months,
    days_30_360,
    due_dates,
    late_charges,
    method_label_zh,
    penalty_rate,
    repayment_schedule,
)

D = Decimal


def schedule(
    principal: str | int | Decimal,
    rate: str,
    months: int,
    method: str = "annuity",
    start: date = date(2024, 1, 1),
    day_count: str = "30/360",
) -> Schedule:
    return repayment_schedule(
        principal=D(principal),
        annual_rate=D(rate),
        months=months,
        method=method,
        start_date=start,
        day_count=day_count,
    )


def rows(s: Schedule) -> list[tuple[str, str, str, str]]:
    """(principal, interest, payment, balance) of each instalment, as text."""
    return [
        (str(i.principal), str(i.interest), str(i.payment), str(i.balance)) for i in s.installments
    ]


def fen(x: float) -> Decimal:
    """A numpy-financial float, rounded to the fen (via its shortest repr, never binary noise)."""
    return to_fen(D(repr(float(x))))


# --- (a) numpy-financial: pmt, ipmt, ppmt, fv ---------------------------------------------------

# (principal, annual rate, months): LPR-era Chinese loans from 6 months to 30 years.
NPF_CASES = [
    (1_000_000, "0.0435", 36),
    (1_000_000, "0.049", 360),
    (500_000, "0.0385", 120),
    (250_000, "0.06", 60),
    (80_000, "0.12", 12),
    (3_000_000, "0.0345", 84),
    (100, "0.07", 6),
    (D("1234567.89"), "0.0365", 240),
]


@pytest.mark.parametrize(("principal", "rate", "months"), NPF_CASES)
def test_annuity_payment_is_numpy_financial_pmt_to_the_fen(
    principal: int | Decimal, rate: str, months: int
) -> None:
    s = schedule(principal, rate, months)
    expected = fen(npf.pmt(float(rate) / 12, months, -float(principal)))
    # Every instalment but the last is the rounded pmt; the last absorbs the remainder.
    assert {i.payment for i in s.installments[:-1]} == {expected}


def test_annuity_1m_at_4_35_over_36_months_matches_numpy_financial() -> None:
    # 1,000,000 at 4.35 %, 36 months: npf.pmt = 29679.934107… → 29679.93.
    s = schedule(1_000_000, "0.0435", 36)
    assert s.installments[0].payment == D("29679.93")
    # Period 1: interest 1,000,000 × 0.0435 / 12 = 3625.00; principal 29679.93 − 3625 = 26054.93.
    assert s.installments[0].interest == fen(npf.ipmt(0.0435 / 12, 1, 36, -1_000_000)) == D("3625")
    assert s.installments[0].principal == D("26054.93")


@pytest.mark.parametrize(("principal", "rate", "months"), [c for c in NPF_CASES if c[2] <= 120])
def test_annuity_interest_and_principal_match_ipmt_ppmt_within_a_fen(
    principal: int | Decimal, rate: str, months: int
) -> None:
    """numpy-financial's ipmt/ppmt split the *unrounded* pmt and never round the balance; we pay the
    pmt rounded to the fen (up to 0.005 off) and round each period's interest. Both differences
    move our balance away from numpy-financial's by fractions of a fen per period, so a period's
    interest or principal can land on the other side of a half fen: they agree to within one fen
    (measured: at most 0.01 for terms up to 120 months; about half the periods agree exactly). The
    last instalment is excluded: ours absorbs the accumulated remainder."""
    s = schedule(principal, rate, months)
    i = float(rate) / 12
    exact = 0
    for row in s.installments[:-1]:
        ip = fen(npf.ipmt(i, row.n, months, -float(principal)))
        pp = fen(npf.ppmt(i, row.n, months, -float(principal)))
        assert abs(row.interest - ip) <= D("0.01"), row
        assert abs(row.principal - pp) <= D("0.01"), row
        exact += row.interest == ip and row.principal == pp
    assert exact >= (months - 1) // 3  # mostly exact, not merely close


@pytest.mark.parametrize(("principal", "rate", "months"), NPF_CASES)
def test_annuity_balance_matches_numpy_financial_fv_of_the_rounded_payment(
    principal: int | Decimal, rate: str, months: int
) -> None:
    """Given our rounded instalment A, numpy-financial's fv gives the balance after k payments with
    unrounded interest. Only the per-period rounding of interest (≤ 0.005 each) separates the two:
    the difference after k periods is at most 0.005 × Σ_{j<k} (1 + i)^j ≤ 0.005 · k · (1 + i)^k,
    and each period's interest is within a fen of i × numpy-financial's opening balance."""
    s = schedule(principal, rate, months)
    i = float(rate) / 12
    payment = float(s.installments[0].payment)
    p = float(principal)
    for row in s.installments[:-1]:
        opening = -npf.fv(i, row.n - 1, -payment, p)
        closing = -npf.fv(i, row.n, -payment, p)
        assert abs(row.interest - fen(opening * i)) <= D("0.01"), row
        assert abs(float(row.balance) - closing) <= 0.005 * row.n * (1 + i) ** row.n + 1e-6, row


# --- (b) Apache Fineract's published schedules ---------------------------------------------------

# Apache Fineract, fineract-progressive-loan/src/test/java/org/apache/fineract/portfolio/
# loanproduct/calc/ProgressiveEMICalculatorTest.java (github.com/apache/fineract, commit
# 048cf93c398524899433b82df9974619e1b3a6de), test_disbursedAmt100_dayInYears360_daysInMonth30_
# repayEvery1Month: 100 disbursed 2024-01-01, 9.4822 % a year, DAYS_360 / DAYS_30 (our 30/360),
# six monthly periods. Its checkPeriod rows: (emi, interest due, principal due, outstanding).
FINERACT_9_4822 = [
    ("17.13", "0.79", "16.34", "83.66"),
    ("17.13", "0.66", "16.47", "67.19"),
    ("17.13", "0.53", "16.60", "50.59"),
    ("17.13", "0.40", "16.73", "33.86"),
    ("17.13", "0.27", "16.86", "17.00"),
    ("17.13", "0.13", "17.00", "0.00"),
]

# Apache Fineract, fineract-e2e-tests-runner/src/test/resources/features/
# LoanReAgingEqualAmortization-Part1.feature (github.com/apache/fineract, commit
# 80821e8a6890fab8b5a96d3a3b61c101469e5897), scenario C4198, schedule right after disbursement:
# 100 on 01 January 2024, 7 % a year, declining balance, EQUAL_INSTALLMENTS, 6 monthly repayments
# (product LP2_ADV_CUSTOM_PMT_ALLOC_PROGRESSIVE_LOAN_SCHEDULE_HORIZONTAL, 360/30).
# Rows: (due, principal due, interest, balance of loan); total interest 2.05.
FINERACT_7 = [
    ("17.01", "0.58", "16.43", "83.57"),
    ("17.01", "0.49", "16.52", "67.05"),
    ("17.01", "0.39", "16.62", "50.43"),
    ("17.01", "0.29", "16.72", "33.71"),
    ("17.01", "0.20", "16.81", "16.90"),
    ("17.00", "0.10", "16.90", "0.00"),
]


@pytest.mark.parametrize(
    ("rate", "published", "total_interest"),
    [("0.094822", FINERACT_9_4822, "2.78"), ("0.07", FINERACT_7, "2.05")],
)
def test_reproduces_fineract_published_annuity_schedules_to_the_fen(
    rate: str, published: list[tuple[str, str, str, str]], total_interest: str
) -> None:
    s = schedule(100, rate, 6, start=date(2024, 1, 1))
    ours = [
        (str(i.payment), str(i.interest), str(i.principal), str(i.balance)) for i in s.installments
    ]
    assert ours == published
    assert [i.due_date for i in s.installments] == [date(2024, m, 1) for m in range(2, 8)]
    assert s.total_interest == D(total_interest)


def test_actual_365_differs_from_fineract_by_design_in_the_instalment_only() -> None:
    """A documented divergence, not a match. Fineract's progressive EMI under DAYS_365 / ACTUAL
    solves the instalment with each period's actual-day rate (ProgressiveEMICalculatorTest.java at
    048cf93c…, test with 15.678 %: EMI 17.43, first period interest 1.33, principal 16.10). The
    issue fixes our instalment at the annual_rate / 12 annuity: pmt(0.15678 / 12, 6, 100) =
    17.437… → 17.44. The period's interest is the same actual/365 figure: 100 × 0.15678 × 31 / 365
    = 1.3316 → 1.33, so our first principal is 17.44 − 1.33 = 16.11."""
    s = schedule(100, "0.15678", 6, start=date(2024, 1, 1), day_count="actual/365")
    first = s.installments[0]
    assert first.interest == D("1.33")  # = Fineract's
    assert first.payment == D("17.44")  # Fineract: 17.43
    assert first.principal == D("16.11")  # Fineract: 16.10


# --- (c) hand-computed cases ---------------------------------------------------------------------


def test_equal_principal_12000_over_3_months_at_12_percent() -> None:
    # Monthly rate 12 % / 12 = 1 %; principal part 12000 / 3 = 4000.00.
    #   1: interest 12000 × 1 % = 120.00 → 4120.00, balance 8000.00
    #   2: interest  8000 × 1 % =  80.00 → 4080.00, balance 4000.00
    #   3: interest  4000 × 1 % =  40.00 → 4040.00, balance    0.00   total interest 240.00
    s = schedule(12000, "0.12", 3, "equal_principal")
    assert rows(s) == [
        ("4000.00", "120.00", "4120.00", "8000.00"),
        ("4000.00", "80.00", "4080.00", "4000.00"),
        ("4000.00", "40.00", "4040.00", "0.00"),
    ]
    assert (s.total_interest, s.total_payment) == (D("240.00"), D("12240.00"))


def test_annuity_12000_over_3_months_at_12_percent() -> None:
    # A = 12000 × 0.01 × 1.01³ / (1.01³ − 1) = 120 × 1.030301 / 0.030301 = 4080.2653… → 4080.27
    #   1: interest 120.00;                  principal 4080.27 − 120.00 = 3960.27, balance 8039.73
    #   2: interest 8039.73 × 1 % = 80.3973 → 80.40; principal 3999.87,          balance 4039.86
    #   3: interest 4039.86 × 1 % = 40.3986 → 40.40; principal = the balance 4039.86,
    #      payment 4080.26 (the last instalment absorbs the rounding).      total interest 240.80
    s = schedule(12000, "0.12", 3)
    assert rows(s) == [
        ("3960.27", "120.00", "4080.27", "8039.73"),
        ("3999.87", "80.40", "4080.27", "4039.86"),
        ("4039.86", "40.40", "4080.26", "0.00"),
    ]
    assert s.total_interest == D("240.80")


def test_interest_only_12000_over_3_months_at_12_percent() -> None:
    # 120.00 interest each month; the whole 12000 with the last: 12120.00.
    s = schedule(12000, "0.12", 3, "interest_only")
    assert rows(s) == [
        ("0.00", "120.00", "120.00", "12000.00"),
        ("0.00", "120.00", "120.00", "12000.00"),
        ("12000.00", "120.00", "12120.00", "0.00"),
    ]


def test_equal_principal_rounding_goes_to_the_last_instalment() -> None:
    # 1000 / 3 = 333.333… → 333.33, 333.33, then the remainder 333.34. Zero rate: no interest.
    s = schedule(1000, "0", 3, "equal_principal")
    assert [i.principal for i in s.installments] == [D("333.33"), D("333.33"), D("333.34")]
    assert s.total_interest == D("0.00")
    # 2000 / 3 = 666.666… → 666.67 twice, last 666.66.
    s = schedule(2000, "0", 3, "equal_principal")
    assert [i.principal for i in s.installments] == [D("666.67"), D("666.67"), D("666.66")]


def test_zero_rate_annuity_is_principal_over_months() -> None:
    s = schedule(1000, "0", 3, "annuity")
    assert [i.payment for i in s.installments] == [D("333.33"), D("333.33"), D("333.34")]


def test_actual_365_and_actual_360_count_the_period_days() -> None:
    # Start 2024-01-31: due 2024-02-29 (29 days), 2024-03-31 (31 days).
    # actual/365: 100000 × 3.65 % / 365 = 10.00 a day → 290.00 and 310.00.
    s = schedule(100000, "0.0365", 2, "interest_only", date(2024, 1, 31), "actual/365")
    assert [i.interest for i in s.installments] == [D("290.00"), D("310.00")]
    # actual/360: 100000 × 3.6 % / 360 = 10.00 a day → 290.00 and 310.00.
    s = schedule(100000, "0.036", 2, "interest_only", date(2024, 1, 31), "actual/360")
    assert [i.interest for i in s.installments] == [D("290.00"), D("310.00")]
    # 30/360: 30 days each whatever the month: 100000 × 3.6 % / 12 = 300.00 twice.
    s = schedule(100000, "0.036", 2, "interest_only", date(2024, 1, 31), "30/360")
    assert [i.interest for i in s.installments] == [D("300.00"), D("300.00")]


def test_interest_rounds_half_up_to_the_fen() -> None:
    # 100.50 × 12 % / 12 = 1.005 → 1.01 (ROUND_HALF_UP; banker's rounding would give 1.00).
    s = schedule("100.50", "0.12", 1, "interest_only")
    assert s.installments[0].interest == D("1.01")
    assert s.installments[0].payment == D("101.51")


def test_due_dates_clamp_to_month_end_from_the_start_date_not_chained() -> None:
    assert due_dates(date(2024, 1, 31), 4) == (
        date(2024, 2, 29),
        date(2024, 3, 31),  # not 29 March: counted from 31 January, not from 29 February
        date(2024, 4, 30),
        date(2024, 5, 31),
    )
    assert due_dates(date(2023, 1, 31), 2) == (date(2023, 2, 28), date(2023, 3, 31))
    assert due_dates(date(2023, 11, 15), 3) == (
        date(2023, 12, 15),
        date(2024, 1, 15),
        date(2024, 2, 15),
    )
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


def test_30_360_day_count() -> None:
    assert days_30_360(date(2024, 1, 31), date(2024, 2, 29)) == 30  # month ends count as the 30th
    assert days_30_360(date(2024, 2, 29), date(2024, 3, 31)) == 30
    assert days_30_360(date(2024, 1, 15), date(2024, 2, 15)) == 30
    assert days_30_360(date(2024, 1, 15), date(2024, 1, 25)) == 10
    assert days_30_360(date(2024, 1, 1), date(2025, 1, 1)) == 360
    # The documented edge: a period from the last day of February to the 28th.
    assert days_30_360(date(2023, 2, 28), date(2023, 3, 28)) == 28


def test_accrued_interest() -> None:
    # 100000 at 3.65 %, 10 actual days / 365 = 100.00.
    assert accrued_interest(
        D(100000), D("0.0365"), date(2024, 3, 1), date(2024, 3, 11), "actual/365"
    ) == D("100.00")
    # 30/360 over a whole month ending on a month end: 100000 × 3.6 % × 30 / 360 = 300.00.
    assert accrued_interest(
        D(100000), D("0.036"), date(2024, 1, 31), date(2024, 2, 29), "30/360"
    ) == D("300.00")
    assert (
        accrued_interest(D(100000), D("0.036"), date(2024, 1, 1), date(2024, 1, 1), "30/360") == 0
    )
    with pytest.raises(ValidationFailed) as info:
        accrued_interest(D(1), D("0.03"), date(2024, 2, 1), date(2024, 1, 1), "30/360")
    assert info.value.extra == {"field": "end"}


def test_penalty_rate_is_contract_rate_plus_half_by_default() -> None:
    # 4.35 % × (1 + 50 %) = 6.525 %; × (1 + 30 %) = 5.655 %.
    assert penalty_rate(D("0.0435")) == D("0.06525")
    assert penalty_rate(D("0.0435"), D("0.3")) == D("0.05655")
    with pytest.raises(ValidationFailed):
        penalty_rate(D("0.0435"), D("1.5"))


def test_late_charges_penalty_and_compound_interest() -> None:
    # 100000 principal and 362.50 interest due 2024-03-01, paid 2024-03-31: 30 days late.
    # Penalty rate 4.35 % × 1.5 = 6.525 %, actual/360:
    #   penalty  100000 × 0.06525 × 30 / 360 = 543.75
    #   compound 362.50 × 0.06525 × 30 / 360 = 1.97109… → 1.97        total 545.72
    charge = late_charges(
        overdue_principal=D(100000),
        overdue_interest=D("362.50"),
        contract_rate=D("0.0435"),
        due_date=date(2024, 3, 1),
        paid_date=date(2024, 3, 31),
    )
    assert charge.days_late == 30
    assert (charge.penalty_interest, charge.compound_interest, charge.total) == (
        D("543.75"),
        D("1.97"),
        D("545.72"),
    )


def test_no_late_charges_when_paid_on_or_before_the_due_date() -> None:
    for paid in (date(2024, 3, 1), date(2024, 2, 20)):
        charge = late_charges(
            overdue_principal=D(100000),
            overdue_interest=D(0),
            contract_rate=D("0.0435"),
            due_date=date(2024, 3, 1),
            paid_date=paid,
        )
        assert (charge.days_late, charge.total) == (0, D(0))


def test_method_labels() -> None:
    assert [method_label_zh(m) for m in RepaymentMethod] == ["等额本息", "等额本金", "先息后本"]


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("principal", {"principal": D(0)}),
        ("principal", {"principal": D(-1)}),
        ("principal", {"principal": MAX_AMOUNT + D("0.01")}),
        ("principal", {"principal": D("100.001")}),
        ("principal", {"principal": D("NaN")}),
        ("principal", {"principal": 100.0}),
        ("annual_rate", {"annual_rate": D("-0.01")}),
        ("annual_rate", {"annual_rate": D(1)}),
        ("annual_rate", {"annual_rate": D("4.35")}),  # a percentage sent as a fraction
        ("annual_rate", {"annual_rate": 0.0435}),
        ("months", {"months": 0}),
        ("months", {"months": 361}),
        ("months", {"months": True}),
        ("months", {"months": 12.0}),
        ("method", {"method": "balloon"}),
        ("day_count", {"day_count": "actual/actual"}),
        ("start_date", {"start_date": datetime(2024, 1, 1, 12, 0)}),
        ("start_date", {"start_date": "2024-01-01"}),
        ("start_date", {"start_date": date(9999, 1, 1), "months": 360}),
    ],
)
def test_invalid_input_is_a_validation_error_naming_the_field(
    field: str, overrides: dict[str, object]
) -> None:
    kwargs: dict[str, object] = {
        "principal": D(1000),
        "annual_rate": D("0.05"),
        "months": 12,
        "method": "annuity",
        "start_date": date(2024, 1, 1),
        "day_count": "30/360",
        **overrides,
    }
    with pytest.raises(ValidationFailed) as info:
        repayment_schedule(**kwargs)  # type: ignore[arg-type]
    assert info.value.extra == {"field": field}
    assert info.value.detail_zh != info.value.detail_en  # both languages


def test_limits_are_accepted() -> None:
    s = schedule(MAX_AMOUNT, "0.9999", 360, "annuity", date(2024, 1, 31), "actual/365")
    assert s.installments[-1].balance == 0
    assert sum(i.principal for i in s.installments) == MAX_AMOUNT
    assert len(schedule("0.01", "0", 1).installments) == 1


# --- (d) properties ------------------------------------------------------------------------------

principals = st.decimals(min_value=D("0.01"), max_value=D("100000000"), places=2)
rates = st.decimals(min_value=D(0), max_value=D("0.36"), places=4)
starts = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))


@settings(max_examples=300, deadline=None)
@given(
    principal=principals,
    rate=rates,
    months=st.integers(1, 360),
    method=st.sampled_from(list(RepaymentMethod)),
    start=starts,
    day_count=st.sampled_from(list(DayCount)),
)
def test_schedule_invariants(
    principal: Decimal, rate: Decimal, months: int, method: str, start: date, day_count: str
) -> None:
    s = repayment_schedule(
        principal=principal,
        annual_rate=rate,
        months=months,
        method=method,
        start_date=start,
        day_count=day_count,
    )
    inst = s.installments
    assert [i.n for i in inst] == list(range(1, months + 1))
    # Principal parts sum exactly to the principal; the balance never goes negative and ends at 0.
    assert sum(i.principal for i in inst) == principal
    assert all(i.balance >= 0 and i.principal >= 0 and i.interest >= 0 for i in inst)
    assert inst[-1].balance == 0
    opening = principal
    for i in inst:
        assert i.payment == i.principal + i.interest
        assert i.balance == opening - i.principal
        assert i.principal == to_fen(i.principal) and i.interest == to_fen(i.interest)
        opening = i.balance
    assert s.total_interest == sum(i.interest for i in inst)
    assert s.total_payment == sum(i.payment for i in inst) == principal + s.total_interest
    # Due dates: strictly increasing, on the start's day or the last day of a shorter month.
    dates = [i.due_date for i in inst]
    assert all(a < b for a, b in itertools.pairwise([start, *dates]))
    for k, d in enumerate(dates, start=1):
        assert (d.year * 12 + d.month) - (start.year * 12 + start.month) == k
        assert d.day == min(start.day, calendar.monthrange(d.year, d.month)[1])


@settings(max_examples=200, deadline=None)
@given(principal=principals, rate=rates, months=st.integers(1, 360), start=starts)
def test_equal_principal_interest_never_increases_under_30_360(
    principal: Decimal, rate: Decimal, months: int, start: date
) -> None:
    s = schedule(principal, str(rate), months, "equal_principal", start, "30/360")
    interest = [i.interest for i in s.installments]
    assert all(a >= b for a, b in itertools.pairwise(interest))
    # The principal parts are principal / months rounded, except the last; unless rounding up made
    # the earlier parts repay a tiny loan early (then a part is cut to the remaining balance).
    part = to_fen(principal / months)
    if part * (months - 1) <= principal:
        assert {i.principal for i in s.installments[:-1]} <= {part}


@settings(max_examples=200, deadline=None)
@given(
    principal=st.decimals(min_value=D(10000), max_value=D("100000000"), places=2),
    # Up to 15 % a year, above any bank's IP-pledge loan (LPR + spread); see the next test for
    # what a once-rounded instalment does to a long loan at a usurious rate.
    rate=st.decimals(min_value=D(0), max_value=D("0.15"), places=4),
    months=st.integers(1, 360),
    start=starts,
)
def test_30_360_annuity_payments_are_equal_except_the_last(
    principal: Decimal, rate: Decimal, months: int, start: date
) -> None:
    s = schedule(principal, str(rate), months, "annuity", start, "30/360")
    assert len({i.payment for i in s.installments[:-1]}) <= 1
    # The last differs by the accumulated rounding only: each period the instalment (rounded once)
    # and the interest (rounded each period) are each at most 0.005 off, and an error compounds at
    # the monthly rate until the end.
    i = float(rate) / 12
    bound = 0.01 * sum((1 + i) ** j for j in range(months)) + 0.01
    assert abs(float(s.installments[-1].payment - s.installments[0].payment)) <= bound


def test_a_long_loan_at_a_usurious_rate_is_repaid_before_its_last_period() -> None:
    """The instalment is rounded once (issue: "computed once … and rounded to the fen"). At 35.23 %
    over 287 months, pmt = 293.655… → 293.66: the 0.005 overpaid each month compounds at 2.9 % a
    month to more than the last instalment, so the balance reaches 0 early; the later instalments
    are 0.00 and the sums stay exact (module doc, "two guards")."""
    s = schedule(10000, "0.3523", 287, start=date(2000, 1, 1))
    payments = [i.payment for i in s.installments]
    assert payments[0] == D("293.66")
    first_zero = next(k for k, i in enumerate(s.installments) if i.balance == 0)
    assert first_zero < 286
    assert set(payments[first_zero + 1 :]) == {D("0.00")}
    assert sum(i.principal for i in s.installments) == D(10000)
