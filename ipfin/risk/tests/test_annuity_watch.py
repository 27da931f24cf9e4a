"""The column-wise annuity watch agrees with the register's rule for one right
(`registry.domain.legal_status`, 专利法 art. 44 ¶1(1), 专利法实施细则 r. 115-116) on every history
it reads the same way: annuities paid in time, year after year, from the grant on."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ipfin.registry.domain import (
    Event,
    EventType,
    RightFacts,
    RightKind,
    Status,
    add_months,
    add_years,
    annuity_due_date,
    annuity_last_day,
    first_annuity_year,
    grace_end,
    legal_status,
    patent_expiry,
)
from ipfin.risk.domain.annuity_watch import (
    KIND_CODES,
    AnnuityState,
    add_months_columns,
    add_years_columns,
    annuity_watch,
    patent_expiry_columns,
)

KINDS = [RightKind.INVENTION, RightKind.UTILITY_MODEL, RightKind.DESIGN]
dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31))


def _col(*days: date) -> np.ndarray:
    return np.array(days, dtype="datetime64[D]")


@given(dates, st.integers(min_value=-30, max_value=300))
def test_add_months_on_columns_is_the_registers_add_months(day: date, months: int) -> None:
    assert add_months_columns(_col(day), months)[0] == np.datetime64(add_months(day, months))


@given(dates, st.integers(min_value=0, max_value=40))
def test_add_years_on_columns_is_the_registers_add_years(day: date, years: int) -> None:
    assert add_years_columns(_col(day), years)[0] == np.datetime64(add_years(day, years))


def test_29_february_plus_one_year_is_28_february() -> None:
    assert add_years_columns(_col(date(2024, 2, 29)), 1)[0] == np.datetime64("2025-02-28")
    assert add_months_columns(_col(date(2025, 8, 31)), 6)[0] == np.datetime64("2026-02-28")


@st.composite
def _patents(draw: st.DrawFn) -> tuple[RightFacts, date]:
    kind = draw(st.sampled_from(KINDS))
    filing = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2024, 12, 31)))
    grant = filing + timedelta(days=draw(st.integers(min_value=0, max_value=2000)))
    first = first_annuity_year(filing, grant)
    years_paid = draw(st.integers(min_value=0, max_value=25))
    events = []
    for year in range(first, first + years_paid):
        due = annuity_due_date(filing, grant, year)
        # Paid in time: up to a year early, or late but within the grace period.
        paid = due + timedelta(days=draw(st.integers(min_value=-300, max_value=150)))
        if paid > grace_end(due) or (events and paid < events[-1].date):
            break
        events.append(Event(EventType.ANNUITY_PAID, paid, year=year))
    on = draw(st.dates(min_value=grant, max_value=date(2050, 12, 31)))
    return RightFacts(kind, filing, grant, events=tuple(events)), on


@settings(max_examples=400)
@given(_patents())
def test_patent_law_art_44_the_column_watch_agrees_with_legal_status(case: tuple) -> None:
    facts, on = case
    paid = [e.year for e in facts.events if e.date <= on and e.year is not None]
    expiry = patent_expiry(facts.kind, facts.filing_date, facts.events)
    kind = np.array([KIND_CODES[facts.kind]])
    expiry_col = patent_expiry_columns(kind, _col(facts.filing_date), np.array([0]))
    assert expiry_col[0] == np.datetime64(expiry)
    watch = annuity_watch(
        kind=kind,
        filing=_col(facts.filing_date),
        grant=_col(facts.grant_date),
        paid_year=np.array([max(paid, default=0)]),
        expiry=expiry_col,
        on=on,
        horizon_days=60,
    )
    status = legal_status(facts, on)
    state = AnnuityState(int(watch.state[0]))
    if status.status is Status.GRACE_PERIOD:
        assert state is AnnuityState.GRACE
        assert watch.grace_until[0] == np.datetime64(status.grace_until)
        assert watch.year[0] == status.unpaid_year
    elif status.status is Status.LAPSED:
        assert state is AnnuityState.LAPSED
        assert watch.year[0] == status.unpaid_year
    elif status.status is Status.EXPIRED:
        assert state is AnnuityState.NONE
    else:
        assert state in (AnnuityState.NONE, AnnuityState.DUE_SOON)
        # The next year owed, due within the horizon: not yet due, or due on a rest day and
        # still payable in time (`annuity_last_day` after `on`).
        due_soon = status.next_annuity is not None and (
            status.next_annuity[1] <= on + timedelta(days=60)
        )
        assert (state is AnnuityState.DUE_SOON) == due_soon, (status.next_annuity, watch)
        if due_soon:
            assert status.next_annuity is not None
            due = status.next_annuity[1]
            assert watch.due[0] == np.datetime64(due)
            assert (
                watch.payable_until[0] == np.datetime64(annuity_last_day(due)) > np.datetime64(on)
            )


def test_non_patents_and_ungranted_patents_are_not_watched() -> None:
    on = date(2026, 12, 4)
    watch = annuity_watch(
        kind=np.array([-1, 0]),
        filing=_col(date(2020, 1, 1), date(2020, 1, 1)),
        grant=np.array(["2021-01-01", "NaT"], dtype="datetime64[D]"),
        paid_year=np.array([0, 0]),
        expiry=np.array(["NaT", "2040-01-01"], dtype="datetime64[D]"),
        on=on,
    )
    assert list(watch.state) == [AnnuityState.NONE, AnnuityState.NONE]


def test_the_worked_example_due_in_thirty_days_then_grace_then_lapsed() -> None:
    # Invention filed 2020-03-10, granted 2022-05-20 (year 3): years 3-6 paid; year 7 due
    # 2026-03-10.
    args = {
        "kind": np.array([0]),
        "filing": _col(date(2020, 3, 10)),
        "grant": _col(date(2022, 5, 20)),
        "paid_year": np.array([6]),
        "expiry": _col(date(2040, 3, 10)),
    }
    soon = annuity_watch(**args, on=date(2026, 2, 8))
    assert soon.state[0] == AnnuityState.DUE_SOON and soon.due[0] == np.datetime64("2026-03-10")
    grace = annuity_watch(**args, on=date(2026, 9, 10))
    assert grace.state[0] == AnnuityState.GRACE
    assert grace.grace_until[0] == np.datetime64("2026-09-10")
    lapsed = annuity_watch(**args, on=date(2026, 9, 11))
    assert lapsed.state[0] == AnnuityState.LAPSED and lapsed.year[0] == 7
    far = annuity_watch(**args, on=date(2026, 1, 8))
    assert far.state[0] == AnnuityState.NONE


def test_a_grace_ending_on_national_day_is_watched_to_the_next_working_day_shishi_xize_r6() -> None:
    """Year 11 of an invention filed 2015-04-01 falls due on 2025-04-01; six months on is
    2025-10-01, National Day (1-8 October 2025 off): the grace runs to Thursday the 9th
    (专利法实施细则 2023 r. 6 ¶1), as `legal_status` reads it."""
    args = {
        "kind": np.array([0, 0]),
        "filing": _col(date(2015, 4, 1), date(2015, 4, 1)),
        "grant": _col(date(2017, 8, 1), date(2017, 8, 1)),
        "paid_year": np.array([10, 10]),
        "expiry": _col(date(2035, 4, 1), date(2035, 4, 1)),
    }
    for on in (date(2025, 10, 2), date(2025, 10, 9)):
        grace = annuity_watch(**args, on=on)
        assert list(grace.state) == [AnnuityState.GRACE] * 2, on
        assert list(grace.grace_until) == [np.datetime64("2025-10-09")] * 2
    lapsed = annuity_watch(**args, on=date(2025, 10, 10))
    assert list(lapsed.state) == [AnnuityState.LAPSED] * 2


def test_an_annuity_due_on_national_day_is_due_soon_until_the_next_working_day_shishi_xize_r6() -> (
    None
):
    """Year 11 of an invention filed 2015-10-01 falls due on National Day 2025 (1-8 October off):
    payable in time up to Thursday the 9th (专利法实施细则 2023 r. 6 ¶1,
    `registry.domain.annuity_last_day`), it is watched as due until then — not as a grace
    period — and as a grace period from that day unpaid, as `legal_status` reads it."""
    args = {
        "kind": np.array([0]),
        "filing": _col(date(2015, 10, 1)),
        "grant": _col(date(2017, 8, 1)),
        "paid_year": np.array([10]),
        "expiry": _col(date(2035, 10, 1)),
    }
    for on in (date(2025, 9, 30), date(2025, 10, 1), date(2025, 10, 8)):
        soon = annuity_watch(**args, on=on)
        assert soon.state[0] == AnnuityState.DUE_SOON, on
        assert soon.due[0] == np.datetime64("2025-10-01")
        assert soon.payable_until[0] == np.datetime64("2025-10-09")
    grace = annuity_watch(**args, on=date(2025, 10, 9))
    assert grace.state[0] == AnnuityState.GRACE
    assert np.isnat(grace.payable_until[0])
    assert grace.grace_until[0] == np.datetime64("2026-04-01")
    facts = RightFacts(
        RightKind.INVENTION,
        date(2015, 10, 1),
        date(2017, 8, 1),
        tuple(
            Event(
                EventType.ANNUITY_PAID, annuity_due_date(date(2015, 10, 1), date(2017, 8, 1), y), y
            )
            for y in range(2, 11)  # granted in patent year 2
        ),
    )
    assert legal_status(facts, date(2025, 10, 8)).status is Status.IN_FORCE
    assert legal_status(facts, date(2025, 10, 9)).status is Status.GRACE_PERIOD
