"""The pure rules of annuity deposits (预缴年费, issue 12; seed 000 is not on disk, the issue states
it): which annuities a deposit covers (专利法实施细则 2023 r. 115, the fees of 专利收费标准, full:
费减 not modelled) and what is refunded. No database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ipfin.pledges.domain import (
    DepositOutcome,
    DepositYear,
    annuity_deposit_years,
    deposit_refund,
    deposit_total,
)
from ipfin.registry.domain import RightKind, add_years, annuity_amount, annuity_schedule

D = Decimal
FILED = date(2015, 3, 10)
GRANTED = date(2018, 5, 20)  # patent year 4: its annuity due on the grant date, then each 10 March


def test_the_years_due_from_the_deposit_to_the_term_end_both_included_shishi_xize_r115() -> None:
    years = annuity_deposit_years(
        RightKind.INVENTION, FILED, GRANTED, [4], start=date(2019, 3, 10), end=date(2021, 3, 10)
    )
    assert years == (
        DepositYear(5, date(2019, 3, 10), D("1200.00")),
        DepositYear(6, date(2020, 3, 10), D("1200.00")),
        DepositYear(7, date(2021, 3, 10), D("2000.00")),
    )
    assert deposit_total(y.amount for y in years) == D("4400.00")


def test_a_paid_year_a_year_due_before_the_deposit_or_after_the_term_is_not_covered() -> None:
    kw = {"start": date(2019, 3, 11), "end": date(2021, 3, 9)}
    assert [
        y.year for y in annuity_deposit_years(RightKind.INVENTION, FILED, GRANTED, [], **kw)
    ] == [6]
    assert annuity_deposit_years(RightKind.INVENTION, FILED, GRANTED, [6], **kw) == ()


def test_no_annuities_for_a_right_not_granted_or_not_a_patent() -> None:
    window = {"start": date(2015, 1, 1), "end": date(2035, 1, 1)}
    assert annuity_deposit_years(RightKind.INVENTION, FILED, None, [], **window) == ()
    assert annuity_deposit_years(RightKind.TRADEMARK, FILED, GRANTED, [], **window) == ()


@given(
    kind=st.sampled_from([RightKind.INVENTION, RightKind.UTILITY_MODEL, RightKind.DESIGN]),
    filed=st.dates(date(2005, 1, 1), date(2025, 12, 31)),
    grant_after=st.integers(0, 5 * 365),
    start_after=st.integers(0, 20 * 365),
    length=st.integers(0, 10 * 365),
    paid=st.sets(st.integers(1, 25)),
)
def test_covered_years_are_the_schedules_unpaid_years_in_the_window_with_their_fees(
    kind: RightKind,
    filed: date,
    grant_after: int,
    start_after: int,
    length: int,
    paid: set[int],
) -> None:
    granted = filed + timedelta(days=grant_after)
    start = filed + timedelta(days=start_after)
    end = start + timedelta(days=length)
    years = annuity_deposit_years(kind, filed, granted, paid, start=start, end=end)
    expected = [
        (y, due)
        for y, due in annuity_schedule(kind, filed, granted)
        if start <= due <= end and y not in paid
    ]
    assert [(y.year, y.due_date) for y in years] == expected
    assert all(y.amount == annuity_amount(kind, y.year) for y in years)
    assert all(y.amount == y.amount.quantize(D("0.01")) for y in years)
    assert all(y.due_date <= add_years(filed, 20) for y in years)


@given(
    st.lists(
        st.tuples(
            st.integers(1, 10_000_00).map(lambda n: D(n).scaleb(-2)),
            st.sampled_from([None, "", *DepositOutcome]),
        ),
        max_size=25,
    )
)
def test_paid_plus_refund_is_the_deposit_to_the_fen_issue12(
    years: list[tuple[Decimal, str | None]],
) -> None:
    total = deposit_total(amount for amount, _ in years)
    paid = deposit_total(amount for amount, outcome in years if outcome == DepositOutcome.PAID)
    refund = deposit_refund(years)
    assert paid + refund == total
    assert refund >= 0 and refund == refund.quantize(D("0.01"))
