"""The pure legal-status domain: hand-computed cases and Hypothesis properties. No database."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipfin.common.workdays import PACKAGE_CALENDAR
from ipfin.registry.domain import (
    PATENT_KINDS,
    TERMINAL_STATUSES,
    AuthorKind,
    CompensationKind,
    Event,
    EventType,
    NumberErrorCode,
    NumberFormatError,
    RightFacts,
    RightKind,
    Status,
    StatusResult,
    TermUnknown,
    add_months,
    add_years,
    annuity_amount,
    annuity_due_date,
    annuity_last_day,
    annuity_schedule,
    cn_application_check_digit,
    compensation_days,
    copyright_expiry,
    first_annuity_year,
    grace_end,
    ic_layout_expiry,
    kind_from_application_no,
    late_fee_rate,
    legal_status,
    max_drug_compensation_days,
    normalize_number,
    remaining_term_years,
    renewal_window,
    right_expiry,
    term_expiry,
    term_note,
)

D = date
INV = RightKind.INVENTION
UM = RightKind.UTILITY_MODEL
DESIGN = RightKind.DESIGN
TM = RightKind.TRADEMARK
COPYRIGHT = RightKind.COPYRIGHT
IC = RightKind.IC_LAYOUT


def paid(year: int, on: date) -> Event:
    return Event(EventType.ANNUITY_PAID, on, year=year)


def ev(type_: EventType, on: date, scope: str | None = None) -> Event:
    return Event(type_, on, scope=scope)


# The worked example: filed 2015-03-10, granted 2017-08-01 → first annuity year 3, due on the grant
# date; year 4 due 2018-03-10, its grace period runs through 2018-09-10.
FILED = D(2015, 3, 10)
GRANTED = D(2017, 8, 1)
YEAR3_PAID = paid(3, D(2017, 8, 1))


def invention(*events: Event) -> RightFacts:
    return RightFacts(INV, FILED, GRANTED, (YEAR3_PAID, *events))


def invention_all_paid(*events: Event) -> RightFacts:
    payments = tuple(paid(y, due) for y, due in annuity_schedule(INV, FILED, GRANTED))
    return RightFacts(INV, FILED, GRANTED, (*payments, *events))


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        (D(2015, 3, 10), 1, D(2016, 3, 10)),
        (D(2020, 2, 29), 1, D(2021, 2, 28)),
        (D(2020, 2, 29), 4, D(2024, 2, 29)),
        (D(2020, 2, 29), -1, D(2019, 2, 28)),
        (D(2016, 2, 29), 20, D(2036, 2, 29)),
    ],
)
def test_add_years(start: date, years: int, expected: date) -> None:
    assert add_years(start, years) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2021, 8, 31), 6, D(2022, 2, 28)),
        (D(2023, 8, 31), 6, D(2024, 2, 29)),
        (D(2021, 1, 31), 1, D(2021, 2, 28)),
        (D(2021, 12, 15), 1, D(2022, 1, 15)),
        (D(2021, 3, 31), -1, D(2021, 2, 28)),
        (D(2018, 3, 10), 6, D(2018, 9, 10)),
        (D(2018, 3, 10), 0, D(2018, 3, 10)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


# --- terms ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "filing", "grant", "renewals", "expected"),
    [
        (INV, D(2015, 3, 10), D(2017, 8, 1), 0, D(2035, 3, 10)),
        (UM, D(2012, 5, 31), D(2013, 1, 2), 0, D(2022, 5, 31)),
        # Patent Law 2020 art. 42: the 15-year design term applies from filing 2021-06-01.
        (DESIGN, D(2021, 5, 31), D(2021, 12, 1), 0, D(2031, 5, 31)),
        (DESIGN, D(2021, 6, 1), D(2021, 12, 1), 0, D(2036, 6, 1)),
        (IC, D(2019, 7, 1), D(2019, 12, 1), 0, D(2029, 7, 1)),
        (IC, D(2019, 7, 1), None, 0, D(2029, 7, 1)),
        (TM, D(2010, 9, 1), D(2012, 4, 14), 0, D(2022, 4, 14)),
        (TM, D(2010, 9, 1), D(2012, 4, 14), 1, D(2032, 4, 14)),
        (TM, D(2010, 9, 1), D(2012, 4, 14), 2, D(2042, 4, 14)),
        (INV, D(2016, 2, 29), None, 0, D(2036, 2, 29)),
        (UM, D(2016, 2, 29), None, 0, D(2026, 2, 28)),
        (TM, D(2010, 9, 1), D(2012, 2, 29), 0, D(2022, 2, 28)),
        (TM, D(2010, 9, 1), D(2012, 2, 29), 1, D(2032, 2, 29)),
    ],
)
def test_term_expiry_zhuanlifa_art42_shangbiaofa_art39(
    kind: RightKind, filing: date, grant: date | None, renewals: int, expected: date
) -> None:
    assert term_expiry(kind, filing, grant, renewals) == expected


def test_term_expiry_refuses_unregistered_trademark_and_renewed_patent() -> None:
    with pytest.raises(ValueError, match="registration"):
        term_expiry(TM, D(2010, 9, 1), None)
    with pytest.raises(ValueError, match="renewed"):
        term_expiry(INV, FILED, GRANTED, 1)
    with pytest.raises(ValueError):
        term_expiry(TM, D(2010, 9, 1), D(2012, 4, 14), -1)


# --- annuities -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filing", "grant", "expected"),
    [
        (D(2015, 3, 10), D(2017, 8, 1), 3),
        (D(2015, 3, 10), D(2017, 3, 10), 3),  # on the anniversary: year 3 has started
        (D(2015, 3, 10), D(2017, 3, 9), 2),
        (D(2015, 3, 10), D(2015, 3, 10), 1),
        (D(2012, 5, 31), D(2013, 1, 2), 1),  # CN201220249767.4, a real utility model
        (D(2022, 11, 2), D(2024, 4, 5), 2),  # CN202211359874.7, a real invention
        (D(2020, 2, 29), D(2021, 2, 28), 2),  # year 2 of a leap-day filing starts 2021-02-28
        (D(2020, 2, 29), D(2021, 2, 27), 1),
    ],
)
def test_first_annuity_year(filing: date, grant: date, expected: int) -> None:
    assert first_annuity_year(filing, grant) == expected


def test_annuity_due_dates_worked_example_shishi_xize_r115() -> None:
    assert annuity_due_date(FILED, GRANTED, 3) == D(2017, 8, 1)
    assert annuity_due_date(FILED, GRANTED, 4) == D(2018, 3, 10)
    assert annuity_due_date(FILED, GRANTED, 20) == D(2034, 3, 10)
    with pytest.raises(ValueError, match="before the grant"):
        annuity_due_date(FILED, GRANTED, 2)


def test_annuity_schedule() -> None:
    schedule = annuity_schedule(INV, FILED, GRANTED)
    assert [y for y, _ in schedule] == list(range(3, 21))
    assert schedule[0] == (3, D(2017, 8, 1))
    assert schedule[1] == (4, D(2018, 3, 10))
    assert schedule[-1] == (20, D(2034, 3, 10))
    assert annuity_schedule(UM, D(2012, 5, 31), D(2013, 1, 2))[:2] == (
        (1, D(2013, 1, 2)),
        (2, D(2013, 5, 31)),
    )
    assert len(annuity_schedule(UM, D(2012, 5, 31), D(2013, 1, 2))) == 10
    assert annuity_schedule(DESIGN, D(2021, 5, 31), D(2021, 12, 1))[-1] == (10, D(2030, 5, 31))
    assert annuity_schedule(DESIGN, D(2021, 6, 1), D(2021, 12, 1))[-1] == (15, D(2035, 6, 1))
    assert annuity_schedule(TM, D(2010, 9, 1), D(2012, 4, 14)) == ()


def test_annuity_schedule_leap_day_filing() -> None:
    # Filed 2016-02-29, granted 2018-06-01: year 3 (2018-02-28 .. 2019-02-27) contains the grant.
    schedule = dict(annuity_schedule(INV, D(2016, 2, 29), D(2018, 6, 1)))
    assert min(schedule) == 3
    assert schedule[3] == D(2018, 6, 1)
    assert schedule[4] == D(2019, 2, 28)
    assert schedule[5] == D(2020, 2, 29)
    assert schedule[20] == D(2035, 2, 28)


@pytest.mark.parametrize(
    ("paid_on", "rate"),
    [
        (D(2018, 3, 1), "0"),  # early
        (D(2018, 3, 10), "0"),  # on the due date
        (D(2018, 4, 10), "0"),  # last day of month 1
        (D(2018, 4, 11), "0.05"),  # month 2
        (D(2018, 5, 10), "0.05"),
        (D(2018, 5, 11), "0.10"),  # month 3
        (D(2018, 6, 10), "0.10"),
        (D(2018, 6, 11), "0.15"),  # month 4
        (D(2018, 7, 11), "0.20"),  # month 5
        (D(2018, 8, 10), "0.20"),
        (D(2018, 8, 11), "0.25"),  # month 6
        (D(2018, 9, 10), "0.25"),  # last day of grace
    ],
)
def test_late_fee_rate_each_month_shoufei_biaozhun(paid_on: date, rate: str) -> None:
    assert late_fee_rate(D(2018, 3, 10), paid_on) == Decimal(rate)


def test_late_fee_rate_month_end_due_date_and_too_late() -> None:
    due = D(2021, 8, 31)
    assert late_fee_rate(due, D(2021, 9, 30)) == 0
    assert late_fee_rate(due, D(2021, 10, 1)) == Decimal("0.05")
    assert late_fee_rate(due, D(2022, 1, 31)) == Decimal("0.20")
    assert late_fee_rate(due, D(2022, 2, 1)) == Decimal("0.25")
    assert late_fee_rate(due, D(2022, 2, 28)) == Decimal("0.25")
    with pytest.raises(ValueError, match="grace"):
        late_fee_rate(due, D(2022, 3, 1))
    with pytest.raises(ValueError, match="grace"):
        late_fee_rate(D(2018, 3, 10), D(2018, 9, 11))


@pytest.mark.parametrize(
    ("kind", "year", "yuan"),
    [
        (INV, 1, 900),
        (INV, 3, 900),
        (INV, 4, 1200),
        (INV, 6, 1200),
        (INV, 7, 2000),
        (INV, 10, 4000),
        (INV, 13, 6000),
        (INV, 16, 8000),
        (INV, 20, 8000),
        (UM, 1, 600),
        (UM, 4, 900),
        (UM, 5, 900),
        (UM, 6, 1200),
        (UM, 9, 2000),
        (UM, 10, 2000),
        (DESIGN, 3, 600),
        (DESIGN, 8, 1200),
        (DESIGN, 11, 3000),
        (DESIGN, 15, 3000),
    ],
)
def test_annuity_amount(kind: RightKind, year: int, yuan: int) -> None:
    assert annuity_amount(kind, year) == Decimal(yuan)


def test_annuity_totals_over_the_whole_term() -> None:
    assert sum(annuity_amount(INV, y) for y in range(1, 21)) == Decimal(82300)
    assert sum(annuity_amount(UM, y) for y in range(1, 11)) == Decimal(11200)
    assert sum(annuity_amount(DESIGN, y) for y in range(1, 16)) == Decimal(26200)


@pytest.mark.parametrize(
    ("kind", "year"),
    [(INV, 0), (INV, 41), (UM, 11), (DESIGN, 16), (TM, 1), (COPYRIGHT, 1), (IC, 1)],
)
def test_annuity_amount_outside_the_table(kind: RightKind, year: int) -> None:
    with pytest.raises(ValueError):
        annuity_amount(kind, year)


# --- legal status: patents -----------------------------------------------------------------------


def test_pending_before_grant_and_before_filing() -> None:
    facts = invention()
    assert legal_status(facts, D(2017, 7, 31)).status is Status.PENDING
    assert legal_status(facts, D(2017, 7, 31)).since == FILED
    assert legal_status(facts, D(2017, 7, 31)).expiry_date == D(2035, 3, 10)
    assert legal_status(facts, D(2017, 7, 31)).next_annuity is None
    before_filing = legal_status(facts, D(2014, 1, 1))
    assert (before_filing.status, before_filing.since) == (Status.PENDING, FILED)
    ungranted = legal_status(RightFacts(INV, FILED, None), D(2030, 1, 1))
    assert (ungranted.status, ungranted.since) == (Status.PENDING, FILED)


def test_in_force_from_grant_with_next_annuity() -> None:
    result = legal_status(invention(), D(2017, 8, 1))
    assert result == StatusResult(
        status=Status.IN_FORCE,
        since=D(2017, 8, 1),
        expiry_date=D(2035, 3, 10),
        grace_until=None,
        unpaid_year=None,
        late_fee_rate=None,
        invalidation_pending=False,
        preserved=False,
        disputed=False,
        next_annuity=(4, D(2018, 3, 10)),
    )
    assert legal_status(invention(), D(2018, 3, 9)).status is Status.IN_FORCE


def test_first_annuity_unpaid_on_grant_date_is_grace_shishi_xize_r115() -> None:
    facts = RightFacts(INV, FILED, GRANTED)
    result = legal_status(facts, GRANTED)
    assert (result.status, result.since, result.unpaid_year) == (Status.GRACE_PERIOD, GRANTED, 3)
    assert result.grace_until == D(2018, 2, 1)
    assert legal_status(facts, D(2018, 2, 2)).status is Status.LAPSED
    assert legal_status(facts, D(2018, 2, 2)).since == GRANTED


def test_worked_example_grace_then_lapse_zhuanlifa_art44() -> None:
    facts = invention()
    # Due on Saturday 2018-03-10: paid in time up to Monday the 12th (专利法实施细则 2023 r. 6 ¶1,
    # `annuity_last_day`), the patent in force until then; the grace period, counted from the
    # due date, shows from that day unpaid.
    for weekend in (D(2018, 3, 10), D(2018, 3, 11)):
        still = legal_status(facts, weekend)
        assert (still.status, still.next_annuity) == (Status.IN_FORCE, (4, D(2018, 3, 10)))
    on_due = legal_status(facts, D(2018, 3, 12))
    assert on_due.status is Status.GRACE_PERIOD
    assert on_due.since == D(2018, 3, 10)
    assert on_due.grace_until == D(2018, 9, 10)
    assert on_due.unpaid_year == 4
    assert on_due.late_fee_rate == 0
    assert on_due.next_annuity is None
    last_day = legal_status(facts, D(2018, 9, 10))
    assert (last_day.status, last_day.late_fee_rate) == (Status.GRACE_PERIOD, Decimal("0.25"))
    lapsed = legal_status(facts, D(2018, 9, 11))
    assert lapsed.status is Status.LAPSED
    assert lapsed.since == D(2018, 3, 10)
    assert lapsed.unpaid_year == 4
    assert (lapsed.grace_until, lapsed.late_fee_rate, lapsed.next_annuity) == (None, None, None)


def test_late_payment_in_grace_ends_it_and_sets_since() -> None:
    facts = invention(paid(4, D(2018, 5, 20)))
    before = legal_status(facts, D(2018, 5, 19))
    assert (before.status, before.late_fee_rate) == (Status.GRACE_PERIOD, Decimal("0.10"))
    after = legal_status(facts, D(2018, 5, 20))
    assert (after.status, after.since) == (Status.IN_FORCE, D(2018, 5, 20))
    assert after.next_annuity == (5, D(2019, 3, 10))
    assert legal_status(facts, D(2018, 12, 1)).status is Status.IN_FORCE


def test_payment_on_last_grace_day_counts_one_day_later_does_not() -> None:
    in_time = invention(paid(4, D(2018, 9, 10)))
    assert legal_status(in_time, D(2018, 10, 1)).status is Status.IN_FORCE
    too_late = invention(paid(4, D(2018, 9, 11)))
    result = legal_status(too_late, D(2018, 10, 1))
    assert (result.status, result.since) == (Status.LAPSED, D(2018, 3, 10))


def test_early_payment_keeps_grant_as_since() -> None:
    facts = invention(paid(4, D(2018, 1, 15)))
    result = legal_status(facts, D(2018, 3, 10))
    assert (result.status, result.since) == (Status.IN_FORCE, GRANTED)
    assert result.next_annuity == (5, D(2019, 3, 10))
    # Before year 4 falls due: it is paid already, so the next annuity to pay is year 5's.
    assert legal_status(facts, D(2018, 2, 1)).next_annuity == (5, D(2019, 3, 10))
    assert legal_status(invention(), D(2018, 2, 1)).next_annuity == (4, D(2018, 3, 10))


def test_payment_for_a_year_not_owed_changes_nothing() -> None:
    assert legal_status(invention(paid(2, D(2018, 3, 1))), D(2018, 9, 11)).status is Status.LAPSED
    assert legal_status(invention(paid(5, D(2018, 3, 1))), D(2018, 9, 11)).status is Status.LAPSED


def test_events_after_on_are_ignored() -> None:
    facts = invention(paid(4, D(2018, 7, 1)), ev(EventType.SURRENDER, D(2018, 8, 1)))
    assert legal_status(facts, D(2018, 6, 1)).status is Status.GRACE_PERIOD
    assert legal_status(facts, D(2018, 7, 1)).status is Status.IN_FORCE
    assert legal_status(facts, D(2018, 8, 1)).status is Status.SURRENDERED


def test_restoration_cures_lapse_and_later_years_are_still_owed() -> None:
    facts = invention(ev(EventType.RESTORED, D(2018, 11, 20)))
    assert legal_status(facts, D(2018, 11, 19)).status is Status.LAPSED
    restored = legal_status(facts, D(2018, 11, 20))
    assert (restored.status, restored.since) == (Status.IN_FORCE, D(2018, 11, 20))
    assert restored.next_annuity == (5, D(2019, 3, 10))
    # Due on Sunday 2019-03-10, in time up to Monday the 11th (`annuity_last_day`).
    assert legal_status(facts, D(2019, 3, 10)).status is Status.IN_FORCE
    year5 = legal_status(facts, D(2019, 3, 11))
    assert (year5.status, year5.since, year5.unpaid_year) == (
        Status.GRACE_PERIOD,
        D(2019, 3, 10),
        5,
    )
    lapsed = legal_status(facts, D(2019, 9, 11))
    assert (lapsed.status, lapsed.since, lapsed.unpaid_year) == (Status.LAPSED, D(2019, 3, 10), 5)


def test_restoration_cures_the_earliest_lapse_only() -> None:
    one = invention(ev(EventType.RESTORED, D(2019, 10, 1)))
    result = legal_status(one, D(2019, 10, 1))
    assert (result.status, result.since, result.unpaid_year) == (Status.LAPSED, D(2019, 3, 10), 5)
    two = invention(ev(EventType.RESTORED, D(2019, 10, 1)), ev(EventType.RESTORED, D(2019, 10, 2)))
    result = legal_status(two, D(2019, 10, 2))
    assert (result.status, result.since) == (Status.IN_FORCE, D(2019, 10, 2))


def test_restoration_on_or_before_the_due_date_cures_nothing() -> None:
    facts = invention(ev(EventType.RESTORED, D(2018, 3, 10)))
    assert legal_status(facts, D(2018, 9, 11)).status is Status.LAPSED


def test_first_year_grace_overlapping_the_next_due_date() -> None:
    # Granted 2017-12-01: year 3 due then, grace through 2018-06-01; year 4 due 2018-03-10.
    grant = D(2017, 12, 1)
    unpaid = RightFacts(INV, FILED, grant)
    result = legal_status(unpaid, D(2018, 4, 1))
    assert (result.status, result.since, result.unpaid_year) == (Status.GRACE_PERIOD, grant, 3)
    assert result.grace_until == D(2018, 6, 1)
    year3_paid = RightFacts(INV, FILED, grant, (paid(3, D(2018, 4, 1)),))
    result = legal_status(year3_paid, D(2018, 4, 1))
    assert (result.status, result.since, result.unpaid_year) == (
        Status.GRACE_PERIOD,
        D(2018, 3, 10),
        4,
    )


def test_expiry_with_all_annuities_paid() -> None:
    facts = invention_all_paid()
    last_day = legal_status(facts, D(2035, 3, 9))
    assert (last_day.status, last_day.next_annuity) == (Status.IN_FORCE, None)
    expired = legal_status(facts, D(2035, 3, 10))
    assert (expired.status, expired.since) == (Status.EXPIRED, D(2035, 3, 10))
    assert legal_status(facts, D(2040, 1, 1)).since == D(2035, 3, 10)


def test_real_invention_cn202211359874() -> None:
    # CN202211359874.7: filed 2022-11-02, granted 2024-04-05 → year 2 due at grant, year 3 on
    # 2024-11-02; expires 2042-11-02.
    facts = RightFacts(INV, D(2022, 11, 2), D(2024, 4, 5), (paid(2, D(2024, 4, 5)),))
    result = legal_status(facts, D(2024, 6, 1))
    assert result.status is Status.IN_FORCE
    assert result.next_annuity == (3, D(2024, 11, 2))
    assert result.expiry_date == D(2042, 11, 2)


def test_leap_day_filing_grace_and_lapse() -> None:
    facts = RightFacts(INV, D(2016, 2, 29), D(2018, 6, 1), (paid(3, D(2018, 6, 1)),))
    grace = legal_status(facts, D(2019, 2, 28))
    assert (grace.status, grace.since, grace.grace_until) == (
        Status.GRACE_PERIOD,
        D(2019, 2, 28),
        D(2019, 8, 28),
    )
    lapsed = legal_status(facts, D(2019, 8, 29))
    assert (lapsed.status, lapsed.since, lapsed.unpaid_year) == (Status.LAPSED, D(2019, 2, 28), 4)


def test_design_term_switch_in_status() -> None:
    old_schedule = annuity_schedule(DESIGN, D(2021, 5, 31), D(2021, 12, 1))
    old = RightFacts(
        DESIGN, D(2021, 5, 31), D(2021, 12, 1), tuple(paid(y, d) for y, d in old_schedule)
    )
    assert legal_status(old, D(2031, 5, 30)).status is Status.IN_FORCE
    assert legal_status(old, D(2031, 5, 31)).status is Status.EXPIRED
    new_schedule = annuity_schedule(DESIGN, D(2021, 6, 1), D(2021, 12, 1))
    new = RightFacts(
        DESIGN, D(2021, 6, 1), D(2021, 12, 1), tuple(paid(y, d) for y, d in new_schedule)
    )
    result = legal_status(new, D(2031, 6, 1))
    assert (result.status, result.expiry_date) == (Status.IN_FORCE, D(2036, 6, 1))
    assert result.next_annuity == (12, D(2032, 6, 1))
    assert legal_status(new, D(2036, 6, 1)).status is Status.EXPIRED


# --- legal status: procedures and terminating events ---------------------------------------------


def test_invalidation_request_dismissed() -> None:
    facts = invention(
        ev(EventType.INVALIDATION_REQUESTED, D(2017, 10, 1)),
        ev(EventType.INVALIDATION_DISMISSED, D(2017, 12, 1)),
    )
    assert legal_status(facts, D(2017, 9, 30)).invalidation_pending is False
    opened = legal_status(facts, D(2017, 10, 1))
    assert (opened.status, opened.invalidation_pending) == (Status.IN_FORCE, True)
    assert legal_status(facts, D(2017, 12, 1)).invalidation_pending is False


@pytest.mark.parametrize("scope", [None, "whole"])
def test_invalidated_whole(scope: str | None) -> None:
    facts = invention(
        ev(EventType.INVALIDATION_REQUESTED, D(2017, 10, 1)),
        ev(EventType.INVALIDATED, D(2017, 12, 1), scope=scope),
    )
    result = legal_status(facts, D(2017, 12, 1))
    assert (result.status, result.since) == (Status.INVALIDATED, D(2017, 12, 1))
    assert result.invalidation_pending is False


def test_invalidated_partial_closes_procedure_without_status_change() -> None:
    facts = invention(
        ev(EventType.INVALIDATION_REQUESTED, D(2017, 10, 1)),
        ev(EventType.INVALIDATED, D(2017, 12, 1), scope="partial"),
    )
    result = legal_status(facts, D(2017, 12, 1))
    assert (result.status, result.since, result.invalidation_pending) == (
        Status.IN_FORCE,
        GRANTED,
        False,
    )


def test_preservation_and_dispute_flags() -> None:
    facts = invention(
        ev(EventType.PRESERVATION, D(2017, 9, 1)),
        ev(EventType.DISPUTE, D(2017, 10, 1)),
        ev(EventType.PRESERVATION_LIFTED, D(2017, 11, 1)),
        ev(EventType.DISPUTE_RESOLVED, D(2017, 12, 1)),
    )
    flags = [
        (r.preserved, r.disputed)
        for r in (legal_status(facts, d) for d in (D(2017, 8, 31), D(2017, 9, 1), D(2017, 10, 1)))
    ]
    assert flags == [(False, False), (True, False), (True, True)]
    assert (
        legal_status(facts, D(2017, 11, 1)).preserved,
        legal_status(facts, D(2017, 11, 1)).disputed,
    ) == (False, True)
    result = legal_status(facts, D(2017, 12, 1))
    assert (result.status, result.preserved, result.disputed) == (Status.IN_FORCE, False, False)


def test_procedure_flags_reported_while_lapsed() -> None:
    facts = invention(ev(EventType.PRESERVATION, D(2018, 1, 1)))
    result = legal_status(facts, D(2019, 1, 1))
    assert (result.status, result.preserved) == (Status.LAPSED, True)


def test_transfer_and_licence_do_not_change_status() -> None:
    facts = invention(ev(EventType.TRANSFER, D(2017, 9, 1)), ev(EventType.LICENCE, D(2017, 10, 1)))
    assert legal_status(facts, D(2017, 12, 1)) == legal_status(invention(), D(2017, 12, 1))


def test_surrender() -> None:
    facts = invention(ev(EventType.SURRENDER, D(2017, 9, 1)))
    assert legal_status(facts, D(2017, 8, 31)).status is Status.IN_FORCE
    result = legal_status(facts, D(2017, 9, 1))
    assert (result.status, result.since, result.next_annuity) == (
        Status.SURRENDERED,
        D(2017, 9, 1),
        None,
    )


def test_surrender_beats_grace_then_earlier_lapse_wins() -> None:
    facts = invention(ev(EventType.SURRENDER, D(2018, 5, 1)))
    in_grace = legal_status(facts, D(2018, 6, 1))
    assert (in_grace.status, in_grace.since, in_grace.grace_until) == (
        Status.SURRENDERED,
        D(2018, 5, 1),
        None,
    )
    # Once the grace period has run out, the lapse (effective 2018-03-10) is the earliest fact.
    after = legal_status(facts, D(2018, 10, 1))
    assert (after.status, after.since) == (Status.LAPSED, D(2018, 3, 10))


def test_earliest_terminating_fact_decides() -> None:
    lapse_first = invention(ev(EventType.INVALIDATED, D(2019, 1, 1)))
    assert legal_status(lapse_first, D(2019, 2, 1)).status is Status.LAPSED
    surrender_first = invention_all_paid(
        ev(EventType.SURRENDER, D(2020, 1, 1)), ev(EventType.INVALIDATED, D(2020, 6, 1))
    )
    result = legal_status(surrender_first, D(2021, 1, 1))
    assert (result.status, result.since) == (Status.SURRENDERED, D(2020, 1, 1))
    invalidated_first = invention_all_paid(
        ev(EventType.INVALIDATED, D(2019, 6, 1)), ev(EventType.SURRENDER, D(2020, 1, 1))
    )
    result = legal_status(invalidated_first, D(2021, 1, 1))
    assert (result.status, result.since) == (Status.INVALIDATED, D(2019, 6, 1))
    expired_first = invention_all_paid(ev(EventType.SURRENDER, D(2036, 1, 1)))
    result = legal_status(expired_first, D(2036, 1, 1))
    assert (result.status, result.since) == (Status.EXPIRED, D(2035, 3, 10))
    same_day = invention_all_paid(
        ev(EventType.SURRENDER, D(2020, 1, 1)), ev(EventType.INVALIDATED, D(2020, 1, 1))
    )
    assert legal_status(same_day, D(2020, 1, 1)).status is Status.INVALIDATED


# --- legal status: trademarks, copyright, IC layouts ---------------------------------------------

TM_FILED = D(2010, 9, 1)
TM_REGISTERED = D(2012, 4, 14)


def trademark(*events: Event) -> RightFacts:
    return RightFacts(TM, TM_FILED, TM_REGISTERED, events)


def test_trademark_pending() -> None:
    result = legal_status(RightFacts(TM, TM_FILED, None), D(2011, 1, 1))
    assert (result.status, result.since, result.expiry_date) == (
        Status.PENDING,
        TM_FILED,
        D(2020, 9, 1),
    )
    assert legal_status(trademark(), D(2012, 4, 13)).expiry_date == D(2022, 4, 14)


def test_trademark_grace_then_expired_shangbiaofa_art39_art40_minfadian_art201() -> None:
    """Registered 2012-04-14: in force through 2022-04-13 (art. 39, ten years); the 6 months'
    grace counts from that last day, not counted (民法典 arts. 201, 202), to 2022-10-13 (art.
    40). It had ended a day late, 2022-10-14."""
    facts = trademark()
    result = legal_status(facts, D(2022, 4, 13))
    assert (result.status, result.since, result.next_annuity) == (
        Status.IN_FORCE,
        TM_REGISTERED,
        None,
    )
    grace = legal_status(facts, D(2022, 4, 14))
    assert (grace.status, grace.since, grace.grace_until) == (
        Status.GRACE_PERIOD,
        D(2022, 4, 14),
        D(2022, 10, 13),
    )
    assert (grace.unpaid_year, grace.late_fee_rate) == (None, None)
    assert legal_status(facts, D(2022, 10, 13)).status is Status.GRACE_PERIOD
    assert renewal_window(D(2022, 4, 14)) == (D(2021, 4, 14), D(2022, 10, 13))
    # A term ending on a month's last day: registered 2012-03-01, in force to 2022-02-28; six
    # months on is Sunday 2022-08-28, so the grace runs to Monday the 29th (商标法实施条例 art. 12).
    assert renewal_window(D(2022, 3, 1))[1] == D(2022, 8, 29)
    expired = legal_status(facts, D(2022, 10, 14))
    assert (expired.status, expired.since, expired.expiry_date) == (
        Status.EXPIRED,
        D(2022, 4, 14),
        D(2022, 4, 14),
    )


def test_trademark_renewal_before_expiry_and_twice() -> None:
    once = trademark(ev(EventType.RENEWED, D(2022, 1, 10)))
    assert legal_status(once, D(2022, 1, 9)).expiry_date == D(2022, 4, 14)
    result = legal_status(once, D(2022, 10, 15))
    assert (result.status, result.since, result.expiry_date) == (
        Status.IN_FORCE,
        TM_REGISTERED,
        D(2032, 4, 14),
    )
    twice = trademark(ev(EventType.RENEWED, D(2022, 1, 10)), ev(EventType.RENEWED, D(2032, 2, 1)))
    assert legal_status(twice, D(2040, 1, 1)).expiry_date == D(2042, 4, 14)
    assert legal_status(twice, D(2042, 4, 14)).status is Status.GRACE_PERIOD


def test_trademark_renewal_in_grace_and_too_late() -> None:
    in_grace = trademark(ev(EventType.RENEWED, D(2022, 6, 1)))
    assert legal_status(in_grace, D(2022, 5, 31)).status is Status.GRACE_PERIOD
    result = legal_status(in_grace, D(2022, 6, 1))
    assert (result.status, result.since) == (Status.IN_FORCE, D(2022, 6, 1))
    too_late = trademark(ev(EventType.RENEWED, D(2022, 11, 1)))
    result = legal_status(too_late, D(2022, 12, 1))
    assert (result.status, result.since, result.expiry_date) == (
        Status.EXPIRED,
        D(2022, 4, 14),
        D(2022, 4, 14),
    )


def test_trademark_surrendered_in_grace() -> None:
    facts = trademark(ev(EventType.SURRENDER, D(2022, 5, 1)))
    result = legal_status(facts, D(2022, 6, 1))
    assert (result.status, result.since) == (Status.SURRENDERED, D(2022, 5, 1))


def test_copyright_of_an_organisation_50_years_after_publication_zzf_art23() -> None:
    """著作权法 art. 23 ¶2: a legal person's work, 50 years after first publication, to 31 December
    of the 50th year: published 2019-05-20 → protected through 2069-12-31."""
    facts = RightFacts(
        COPYRIGHT,
        D(2019, 5, 20),
        None,
        author_kind=AuthorKind.ORGANISATION,
        first_published_on=D(2019, 3, 1),
        created_on=D(2018, 6, 1),
    )
    assert legal_status(facts, D(2019, 5, 19)).status is Status.PENDING
    result = legal_status(facts, D(2019, 5, 20))
    assert (result.status, result.since, result.expiry_date, result.next_annuity) == (
        Status.IN_FORCE,
        D(2019, 5, 20),
        D(2070, 1, 1),
        None,
    )
    assert legal_status(facts, D(2069, 12, 31)).status is Status.IN_FORCE
    expired = legal_status(facts, D(2070, 1, 1))
    assert (expired.status, expired.since) == (Status.EXPIRED, D(2070, 1, 1))


def test_copyright_of_a_natural_person_life_plus_50_years_zzf_art23() -> None:
    """著作权法 art. 23 ¶1: the author's life and 50 years after death, to 31 December of the 50th
    year: died 2001-07-01 → protected through 2051-12-31, whatever the publication."""
    assert copyright_expiry(
        AuthorKind.PERSON, author_died_on=D(2001, 7, 1), first_published_on=D(1990, 1, 1)
    ) == D(2052, 1, 1)
    assert copyright_expiry(AuthorKind.PERSON, author_died_on=D(2001, 12, 31)) == D(2052, 1, 1)


def test_copyright_term_unknown_is_never_guessed_zzf_art23() -> None:
    """A natural person's work without the date of death, an organisation's work without
    publication or creation, a work whose author's kind is not recorded: no date at all."""
    assert copyright_expiry(AuthorKind.PERSON, first_published_on=D(2019, 1, 1)) is None
    assert copyright_expiry(AuthorKind.ORGANISATION) is None
    assert copyright_expiry(None, first_published_on=D(2019, 1, 1)) is None
    for facts in (
        RightFacts(COPYRIGHT, D(2019, 5, 20), None, author_kind=AuthorKind.PERSON),
        RightFacts(COPYRIGHT, D(2019, 5, 20), None, author_kind=AuthorKind.ORGANISATION),
        RightFacts(COPYRIGHT, D(2019, 5, 20), None),
    ):
        result = legal_status(facts, D(2025, 1, 1))
        assert (result.status, result.expiry_date) == (Status.IN_FORCE, None)
        note = term_note(facts)
        assert note is not None and "著作权法第二十三条" in note[0] and "art. 23" in note[1]
        with pytest.raises(TermUnknown):
            remaining_term_years(result, D(2025, 1, 1))


def test_unpublished_organisation_work_unprotected_50_years_after_creation_zzf_art23() -> None:
    """著作权法 art. 23 ¶2: not published within 50 years of creation → no longer protected. A
    publication the register does not record is unknown, not "unpublished": no date."""
    assert copyright_expiry(AuthorKind.ORGANISATION, created_on=D(1980, 3, 1)) is None
    late = copyright_expiry(
        AuthorKind.ORGANISATION, created_on=D(1970, 3, 1), first_published_on=D(2021, 1, 1)
    )
    assert late == D(2021, 1, 1)  # published in the 51st year: too late, ended with 2020
    assert copyright_expiry(
        AuthorKind.ORGANISATION, created_on=D(1970, 3, 1), first_published_on=D(2020, 12, 31)
    ) == D(2071, 1, 1)


def test_ic_layout_pending_in_force_expired_without_annuities() -> None:
    facts = RightFacts(IC, D(2019, 7, 1), D(2019, 12, 1))
    assert legal_status(facts, D(2019, 11, 30)).status is Status.PENDING
    result = legal_status(facts, D(2025, 1, 1))
    assert (result.status, result.since, result.next_annuity) == (
        Status.IN_FORCE,
        D(2019, 12, 1),
        None,
    )
    assert legal_status(facts, D(2029, 6, 30)).status is Status.IN_FORCE
    assert legal_status(facts, D(2029, 7, 1)).status is Status.EXPIRED


def test_invalid_facts_and_events_are_refused() -> None:
    with pytest.raises(ValueError, match="year"):
        Event(EventType.ANNUITY_PAID, D(2018, 1, 1))
    with pytest.raises(ValueError, match="scope"):
        Event(EventType.INVALIDATED, D(2018, 1, 1), scope="most")
    with pytest.raises(ValueError, match=">= 1"):
        Event(EventType.ANNUITY_PAID, D(2018, 1, 1), year=0)
    with pytest.raises(ValueError, match="before filing"):
        RightFacts(INV, D(2018, 1, 1), D(2017, 1, 1))


# --- number formats ------------------------------------------------------------------------------


def test_check_digit_hand_computed() -> None:
    # 2*2+0*3+1*4+2*5+2*6+0*7+2*8+4*9+9*2+7*3+6*4+7*5 = 180 = 16*11 + 4
    assert cn_application_check_digit("201220249767") == "4"
    # ...6 instead of 7 in the last place: 175 = 15*11 + 10 → X
    assert cn_application_check_digit("201220249766") == "X"
    # Old style, weights 2..9: 9*2+7*3+1*4+0+0+3*7+7*8+5*9 = 165 = 15*11 → 0
    assert cn_application_check_digit("97100375") == "0"
    for bad in ("20122024976", "2012202497670", "2012202497a7", ""):
        with pytest.raises(NumberFormatError) as info:
            cn_application_check_digit(bad)
        assert info.value.code == NumberErrorCode.BAD_FORMAT


@pytest.mark.parametrize(
    ("kind", "raw", "canonical"),
    [
        (UM, "CN201220249767.4", "201220249767.4"),
        (UM, "ZL201220249767.4", "201220249767.4"),
        (UM, " ZL 2012 2 0249767.4 ", "201220249767.4"),
        (UM, "2012202497674", "201220249767.4"),
        (UM, "cn201220249766.x", "201220249766.X"),
        (UM, "２０１２２０２４９７６７．４", "201220249767.4"),
        (INV, "CN202211359874.7", "202211359874.7"),
        (INV, "97100375.0", "97100375.0"),
        (INV, "971003750", "97100375.0"),
        (TM, "12345678", "12345678"),
        (TM, "第 12345678 号", "12345678"),
        (TM, "0012345", "12345"),
        (TM, "1", "1"),
        (TM, "1234567890", "1234567890"),
        (COPYRIGHT, "2019SR0123456", "2019SR0123456"),
        (COPYRIGHT, "2019sr 0123456", "2019SR0123456"),
        (COPYRIGHT, "2008SR123456", "2008SR123456"),
        (COPYRIGHT, "国作登字-2019-F-00123456", "国作登字-2019-F-00123456"),
        (COPYRIGHT, "国作登字－2019－f－00123456", "国作登字-2019-F-00123456"),
        (IC, "BS.12500123.4", "BS.12500123.4"),
        (IC, "bs 125001234", "BS.125001234"),
        (IC, "BS.1250012345X", "BS.1250012345.X"),
        (IC, "BS.12500123", "BS.12500123"),
    ],
)
def test_normalize_number_accepts(kind: RightKind, raw: str, canonical: str) -> None:
    assert normalize_number(kind, raw) == canonical


@pytest.mark.parametrize(
    ("kind", "raw", "code"),
    [
        (UM, "201220249767.5", NumberErrorCode.BAD_CHECK_DIGIT),
        (UM, "201220249767", NumberErrorCode.BAD_FORMAT),
        (UM, "20122024976.4", NumberErrorCode.BAD_FORMAT),
        (UM, "", NumberErrorCode.BAD_FORMAT),
        (UM, "US201220249767.4", NumberErrorCode.BAD_FORMAT),
        (UM, "٢٠١٢٢٠٢٤٩٧٦٧.٤", NumberErrorCode.BAD_FORMAT),  # Arabic-Indic digits
        (INV, "CN201220249767.4", NumberErrorCode.KIND_MISMATCH),
        (DESIGN, "CN201220249767.4", NumberErrorCode.KIND_MISMATCH),
        (UM, "97100375.0", NumberErrorCode.KIND_MISMATCH),
        (UM, "97100375.1", NumberErrorCode.BAD_CHECK_DIGIT),
        (TM, "12345678901", NumberErrorCode.BAD_FORMAT),
        (TM, "12A45", NumberErrorCode.BAD_FORMAT),
        (TM, "0", NumberErrorCode.BAD_FORMAT),
        (COPYRIGHT, "2019SR12345", NumberErrorCode.BAD_FORMAT),
        (COPYRIGHT, "1819SR0123456", NumberErrorCode.BAD_FORMAT),
        (COPYRIGHT, "国作登字-2019-F-0012345", NumberErrorCode.BAD_FORMAT),
        (IC, "BS.1234567", NumberErrorCode.BAD_FORMAT),
        (IC, "12500123", NumberErrorCode.BAD_FORMAT),
    ],
)
def test_normalize_number_refuses(kind: RightKind, raw: str, code: NumberErrorCode) -> None:
    with pytest.raises(NumberFormatError) as info:
        normalize_number(kind, raw)
    assert info.value.code == code
    assert info.value.message_zh and info.value.message_en
    assert info.value.message_zh != info.value.message_en


def test_unknown_patent_type_digit() -> None:
    body = "201240249767"  # 5th digit 4: no such type
    with pytest.raises(NumberFormatError) as info:
        normalize_number(INV, f"{body}.{cn_application_check_digit(body)}")
    assert info.value.code == NumberErrorCode.UNKNOWN_PATENT_TYPE


def test_error_codes_are_stable_strings() -> None:
    assert {c.value for c in NumberErrorCode} == {
        "number_bad_format",
        "number_bad_check_digit",
        "number_unknown_patent_type",
        "number_kind_mismatch",
    }
    error = NumberFormatError(NumberErrorCode.BAD_FORMAT, "格式错误", "bad format")
    assert isinstance(error, ValueError)
    assert error.code == "number_bad_format"
    assert str(error) == "number_bad_format: bad format"


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("CN201220249767.4", UM),
        ("CN202211359874.7", INV),
        ("201230249767.3", None),  # design type digit, but the check digit no longer fits
        ("2012202497675", None),
        ("97100375.0", INV),
        ("2019SR0123456", COPYRIGHT),
        ("国作登字-2019-F-00123456", COPYRIGHT),
        ("BS.12500123.4", IC),
        ("12345678", None),  # trademarks are never inferred
        ("garbage", None),
    ],
)
def test_kind_from_application_no(number: str, kind: RightKind | None) -> None:
    assert kind_from_application_no(number) == kind


REAL_NUMBER_FILES = (
    Path("cn-patents-cnipr-export") / "cnipr_export_199.csv",
    Path("cn-patents-legal-status-sample") / "patent_table_sample.csv",
)


def test_every_real_application_number_passes(shared_data: Path) -> None:
    checked = 0
    for relative in REAL_NUMBER_FILES:
        path = shared_data / relative
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                number = row["申请号"]
                kind = kind_from_application_no(number)
                assert kind is not None, number
                canonical = normalize_number(kind, number)
                assert canonical == number.removeprefix("CN")
                assert cn_application_check_digit(canonical[:12]) == canonical[-1]
                if "专利类型" in row:  # the sample table states the type: it must agree
                    assert kind is (UM if row["专利类型"] == "实用新型" else INV), number
                checked += 1
    assert checked == 199 + 10


# --- properties ----------------------------------------------------------------------------------

dates = st.dates(min_value=D(1990, 1, 1), max_value=D(2040, 12, 31))
bodies = st.text(alphabet="0123456789", min_size=12, max_size=12)
TYPE_KIND = {"1": INV, "8": INV, "2": UM, "9": UM, "3": DESIGN}


@given(d=dates, n=st.integers(-30, 30))
def test_add_months_by_twelve_is_add_years(d: date, n: int) -> None:
    assert add_months(d, 12 * n) == add_years(d, n)
    moved = add_months(d, n)
    assert moved.day <= d.day
    assert (moved.year * 12 + moved.month) - (d.year * 12 + d.month) == n


@given(due=dates, a=st.integers(-40, 184), b=st.integers(-40, 184))
def test_late_fee_rate_monotone_and_bounded(due: date, a: int, b: int) -> None:
    first, second = sorted((due + timedelta(days=a), due + timedelta(days=b)))
    if second > add_months(due, 6):
        return
    r1, r2 = late_fee_rate(due, first), late_fee_rate(due, second)
    assert Decimal(0) <= r1 <= r2 <= Decimal("0.25")
    assert (r2 / Decimal("0.05")) % 1 == 0
    assert (r1 == 0) == (first <= add_months(due, 1))


@given(body=bodies, position=st.integers(0, 12), replacement=st.sampled_from("0123456789X"))
def test_any_single_character_change_breaks_the_check(
    body: str, position: int, replacement: str
) -> None:
    number = body + cn_application_check_digit(body)
    if position < 12 and replacement == "X":
        replacement = "0"
    if number[position] == replacement:
        return
    mutated = number[:position] + replacement + number[position + 1 :]
    assert cn_application_check_digit(mutated[:12]) != mutated[12]
    if body[4] in TYPE_KIND:
        with pytest.raises(NumberFormatError) as info:
            normalize_number(TYPE_KIND[body[4]], f"{mutated[:12]}.{mutated[12]}")
        assert info.value.code == NumberErrorCode.BAD_CHECK_DIGIT


@given(body=st.text(alphabet="0123456789", min_size=8, max_size=8), position=st.integers(0, 7))
def test_old_style_single_digit_change_and_adjacent_swap(body: str, position: int) -> None:
    check = cn_application_check_digit(body)
    changed = body[:position] + str((int(body[position]) + 1) % 10) + body[position + 1 :]
    assert cn_application_check_digit(changed) != check
    if position < 7 and body[position] != body[position + 1]:
        swapped = body[:position] + body[position + 1] + body[position] + body[position + 2 :]
        assert cn_application_check_digit(swapped) != check


@given(body=bodies, position=st.integers(0, 10))
def test_adjacent_transposition_is_detected(body: str, position: int) -> None:
    if body[position] == body[position + 1]:
        return
    swapped = body[:position] + body[position + 1] + body[position] + body[position + 2 :]
    assert cn_application_check_digit(swapped) != cn_application_check_digit(body)


@given(body=bodies.filter(lambda b: b[4] in TYPE_KIND))
def test_valid_numbers_round_trip(body: str) -> None:
    canonical = f"{body}.{cn_application_check_digit(body)}"
    kind = kind_from_application_no("ZL" + canonical.replace(".", ""))
    assert kind is TYPE_KIND[body[4]]
    assert normalize_number(kind, "CN " + canonical) == canonical
    assert normalize_number(kind, canonical) == canonical


EVENT_TYPES = list(EventType)


def _event(type_: EventType, when: date, year: int, scope: str | None) -> Event:
    compensation = type_ is EventType.TERM_COMPENSATION
    return Event(
        type_,
        when,
        year=year if type_ is EventType.ANNUITY_PAID else None,
        scope=scope if type_ is EventType.INVALIDATED else None,
        # Term compensation: 40 to 840 days, on either ground.
        days=40 * year if compensation else None,
        compensation=(
            (CompensationKind.DRUG_APPROVAL if scope else CompensationKind.GRANT_DELAY)
            if compensation
            else None
        ),
    )


def spread(low: int, high: int) -> st.SearchStrategy[int]:
    """Integers in [low, high), roughly uniform. Hypothesis skews st.integers (and sampled_from over
    a long range) towards the bounds, which would put most `on` dates right at the filing date."""
    size = high - low
    return st.tuples(st.sampled_from(range(0, size, 50)), st.sampled_from(range(50))).map(
        lambda t: low + min(t[0] + t[1], size - 1)
    )


# Strategies are built once: building them inside a draw loop costs more than drawing.
EVENT_SHAPES = st.tuples(
    st.sampled_from(EVENT_TYPES),
    spread(0, 10_000),
    st.sampled_from(range(1, 22)),
    st.sampled_from([None, "whole", "partial"]),
)
EVENT_SHAPE_LISTS = st.lists(EVENT_SHAPES, max_size=6)
KINDS = st.sampled_from(list(RightKind))
FILING_DATES = st.dates(min_value=D(1995, 1, 1), max_value=D(2030, 12, 31))
ONE_IN_TEN = st.sampled_from(range(10)).map(lambda n: n == 0)
GRANT_DELAYS = spread(0, 2500)
# Payment day relative to the due date: mostly in time; some in grace, some too late (> 6 months).
PAYMENT_OFFSETS = st.sampled_from(range(-90, 30)) | st.sampled_from(range(30, 200))


def random_events(base: date, first_day: int, last_day: int) -> st.SearchStrategy[list[Event]]:
    """Up to 6 events of any type, dated base + first_day .. base + last_day (exclusive)."""
    span = last_day - first_day
    return EVENT_SHAPE_LISTS.map(
        lambda shapes: [
            _event(t, base + timedelta(days=first_day + n % span), year, scope)
            for t, n, year, scope in shapes
        ]
    )


@st.composite
def right_facts(draw: st.DrawFn) -> RightFacts:
    """A right with a realistic annuity history plus random other events (some after any `on`)."""
    kind = draw(KINDS)
    filing = draw(FILING_DATES)
    grant = None if draw(ONE_IN_TEN) else filing + timedelta(days=draw(GRANT_DELAYS))
    events: list[Event] = []
    if kind in PATENT_KINDS and grant is not None:
        for year, due in annuity_schedule(kind, filing, grant):
            if draw(ONE_IN_TEN):  # now and then a year is never paid
                continue
            events.append(paid(year, due + timedelta(days=draw(PAYMENT_OFFSETS))))
    events.extend(draw(random_events(filing, -100, 9000)))
    terms: dict[str, Any] = {}
    if kind is RightKind.IC_LAYOUT:
        terms["first_commercial_use"] = draw(st.none() | FACT_OFFSETS.map(lambda n: filing + n))
        terms["created_on"] = draw(st.none() | FACT_OFFSETS.map(lambda n: filing - abs(n)))
    if kind is COPYRIGHT:
        terms["author_kind"] = draw(st.sampled_from([None, *AuthorKind]))
        terms["created_on"] = draw(st.none() | FACT_OFFSETS.map(lambda n: filing - abs(n)))
        terms["first_published_on"] = draw(st.none() | FACT_OFFSETS.map(lambda n: filing + n))
        terms["author_died_on"] = draw(st.none() | FACT_OFFSETS.map(lambda n: filing + 10 * n))
    return RightFacts(kind, filing, grant, tuple(draw(st.permutations(events))), **terms)


# Days around a date, for the term facts (first use, creation, publication, death).
FACT_OFFSETS = spread(-3000, 3000).map(lambda n: timedelta(days=n))


ON_OFFSETS = spread(-30, 9500)
NEAR_OFFSETS = spread(-200, 200)


def on_date(facts: RightFacts) -> st.SearchStrategy[date]:
    """Any day from just before filing to past expiry, or a day near a date where things change."""
    anchors = [facts.filing_date, *(e.date for e in facts.events)]
    if facts.grant_date is not None:
        anchors.append(facts.grant_date)
        expiry = right_expiry(facts, facts.events)
        if facts.kind is not TM and expiry is not None:
            anchors.append(expiry)
        if facts.kind in PATENT_KINDS:
            schedule = annuity_schedule(facts.kind, facts.filing_date, facts.grant_date, expiry)
            anchors.extend(due for _, due in schedule)
    earliest = facts.filing_date - timedelta(days=30)
    anywhere = ON_OFFSETS.map(lambda n: facts.filing_date + timedelta(days=n))
    near = st.tuples(st.sampled_from(anchors), NEAR_OFFSETS).map(
        lambda t: max(t[0] + timedelta(days=t[1]), earliest)
    )
    return anywhere | near


@settings(max_examples=100)
@given(data=st.data())
def test_status_never_depends_on_events_after_on(data: st.DataObject) -> None:
    facts = data.draw(right_facts())
    on = data.draw(on_date(facts))
    later = tuple(data.draw(random_events(on, 1, 4000)))
    extended = replace(facts, events=facts.events + later)
    assert legal_status(extended, on) == legal_status(facts, on)
    truncated = tuple(e for e in facts.events if e.date <= on)
    assert legal_status(facts, on) == legal_status(replace(facts, events=truncated), on)


@settings(max_examples=100)
@given(data=st.data())
def test_status_invariants(data: st.DataObject) -> None:
    facts = data.draw(right_facts())
    on = data.draw(on_date(facts))
    result = legal_status(facts, on)
    start = facts.filing_date if facts.kind is COPYRIGHT else facts.grant_date
    assert (result.status is Status.PENDING) == (start is None or start > on)
    if on >= facts.filing_date:
        assert result.since is not None and result.since <= on
    if result.status is Status.GRACE_PERIOD:
        assert result.since is not None and result.grace_until is not None
        assert result.since <= on <= result.grace_until
        # Six months on (a mark's from its term's last day, the day before `since`), moved past
        # rest days (专利法实施细则 r. 6, 商标法实施条例 art. 12).
        counted_from = result.since - timedelta(days=1) if facts.kind is TM else result.since
        assert result.grace_until == PACKAGE_CALENDAR.working_day_from(add_months(counted_from, 6))
        if facts.kind in PATENT_KINDS:
            assert result.late_fee_rate == late_fee_rate(result.since, on)
    else:
        assert (result.grace_until, result.late_fee_rate) == (None, None)
    if result.status is Status.LAPSED:
        assert facts.kind in PATENT_KINDS and facts.grant_date is not None
        due_dates = dict(
            annuity_schedule(facts.kind, facts.filing_date, facts.grant_date, result.expiry_date)
        )
        assert result.unpaid_year is not None
        assert result.since == due_dates[result.unpaid_year]
        assert on > grace_end(result.since)
    if result.status is Status.EXPIRED:
        assert result.since == result.expiry_date
        assert result.expiry_date is not None and result.expiry_date <= on
    # Never a guessed date: the term is unknown exactly when the register lacks what it needs.
    assert (result.expiry_date is None) == (
        facts.kind is COPYRIGHT and term_note(facts) is not None
    )
    paid_by_on = {e.year for e in facts.events if e.type is EventType.ANNUITY_PAID and e.date <= on}
    if result.next_annuity is not None:
        assert result.status is Status.IN_FORCE and facts.kind in PATENT_KINDS
        assert result.next_annuity[1] > on
        assert result.next_annuity[0] not in paid_by_on
    elif result.status is Status.IN_FORCE and facts.kind in PATENT_KINDS:
        # No next annuity: every year still to fall due has been paid in advance.
        assert facts.grant_date is not None
        schedule = annuity_schedule(
            facts.kind, facts.filing_date, facts.grant_date, result.expiry_date
        )
        assert all(year in paid_by_on for year, due in schedule if due > on)


@settings(max_examples=100)
@given(data=st.data())
def test_adding_an_annuity_payment_keeps_in_force(data: st.DataObject) -> None:
    facts = data.draw(right_facts())
    on = data.draw(on_date(facts))
    if legal_status(facts, on).status is not Status.IN_FORCE:
        return
    payment = paid(data.draw(st.integers(1, 25)), data.draw(on_date(facts)))
    more = replace(facts, events=(*facts.events, payment))
    assert legal_status(more, on).status is Status.IN_FORCE


@settings(max_examples=100)
@given(data=st.data())
def test_terminal_status_is_permanent_without_restoration_or_renewal(data: st.DataObject) -> None:
    facts = data.draw(right_facts())
    events = tuple(e for e in facts.events if e.type not in (EventType.RESTORED, EventType.RENEWED))
    facts = replace(facts, events=events)
    on = data.draw(on_date(facts))
    first = legal_status(facts, on)
    if first.status not in TERMINAL_STATUSES:
        return
    later = legal_status(facts, on + timedelta(days=data.draw(st.integers(1, 4000))))
    assert later.status in TERMINAL_STATUSES
    assert later.since is not None and first.since is not None and later.since <= first.since


@settings(max_examples=100)
@given(
    kind=st.sampled_from(sorted(PATENT_KINDS)),
    filing=st.dates(min_value=D(1995, 1, 1), max_value=D(2030, 12, 31)),
    grant_after=st.integers(0, 2500),
    early=st.lists(st.integers(0, 90), min_size=20, max_size=20),
    data=st.data(),
)
def test_fully_paid_patent_in_force_until_expiry_then_expired(
    kind: RightKind,
    filing: date,
    grant_after: int,
    early: list[int],
    data: st.DataObject,
) -> None:
    grant = filing + timedelta(days=grant_after)
    schedule = annuity_schedule(kind, filing, grant)
    payments = tuple(
        paid(year, due - timedelta(days=days))
        for (year, due), days in zip(schedule, early[: len(schedule)], strict=True)
    )
    facts = RightFacts(kind, filing, grant, payments)
    expiry = term_expiry(kind, filing, grant)
    if grant < expiry:
        during = grant + timedelta(days=data.draw(st.integers(0, (expiry - grant).days - 1)))
        result = legal_status(facts, during)
        assert result.status is Status.IN_FORCE
        assert result.since == grant
    after = expiry + timedelta(days=data.draw(st.integers(0, 4000)))
    result = legal_status(facts, after)
    assert (result.status, result.since, result.expiry_date) == (Status.EXPIRED, expiry, expiry)


# --- true terms: term compensation, IC layouts, trademark renewals --------------------------------


def compensation(
    days: int, on: date, kind: CompensationKind = CompensationKind.GRANT_DELAY
) -> Event:
    return Event(EventType.TERM_COMPENSATION, on, days=days, compensation=kind)


def test_term_compensation_extends_the_invention_zlf_art42() -> None:
    """专利法 art. 42 ¶2: 300 days for a grant delay; the compensated days follow the 20 years."""
    base = invention()
    extended = replace(base, events=(compensation(300, D(2017, 10, 1)),))
    assert right_expiry(base) == D(2035, 3, 10)
    assert right_expiry(extended, extended.events) == D(2035, 3, 10) + timedelta(days=300)
    result = legal_status(extended, D(2030, 1, 1))
    assert result.expiry_date == D(2036, 1, 4)
    # Before the compensation was granted the register showed the 20-year term.
    assert legal_status(extended, D(2017, 9, 30)).expiry_date == D(2035, 3, 10)


def test_annuities_go_on_in_the_compensation_period_zlf_art42() -> None:
    """Years 21, 22 ... of a compensated invention fall due on their anniversaries with the same
    6 months' grace; unpaid, the patent lapses from the due date."""
    grant = D(2017, 8, 1)
    facts = replace(invention(), events=(compensation(500, D(2017, 10, 1)),))
    expiry = right_expiry(facts, facts.events)
    assert expiry == D(2035, 3, 10) + timedelta(days=500)
    schedule = dict(annuity_schedule(INV, FILED, grant, expiry))
    assert schedule[21] == D(2035, 3, 10) and schedule[22] == D(2036, 3, 10)
    assert 23 not in schedule  # 2037-03-10 is after the compensated term (2036-07-22)
    assert annuity_amount(INV, 21) == annuity_amount(INV, 20) == Decimal(8000)
    paid_all = tuple(paid(y, due) for y, due in annuity_schedule(INV, FILED, grant, expiry))
    in_comp = replace(facts, events=(*facts.events, *paid_all))
    assert legal_status(in_comp, D(2036, 5, 1)).status is Status.IN_FORCE
    assert legal_status(in_comp, D(2036, 7, 22)).status is Status.EXPIRED
    unpaid_22 = replace(facts, events=(*facts.events, *(p for p in paid_all if p.year != 22)))
    assert legal_status(unpaid_22, D(2036, 5, 1)).status is Status.GRACE_PERIOD
    before_end = legal_status(unpaid_22, D(2036, 7, 20))
    # The grace period ends 2036-09-10, after the term: the term's end comes first.
    assert before_end.status is Status.GRACE_PERIOD
    assert legal_status(unpaid_22, D(2036, 7, 22)).status is Status.EXPIRED


def test_compensation_extends_only_inventions_zlf_art42() -> None:
    um = RightFacts(UM, D(2016, 1, 1), D(2016, 9, 1), (compensation(100, D(2017, 1, 1)),))
    assert right_expiry(um, um.events) == D(2026, 1, 1)
    assert compensation_days(um.events) == 100


def test_drug_compensation_at_most_5_years_zlf_art42_3() -> None:
    """专利法 art. 42 ¶3: at most 5 years, counted in days from the 20-year expiry."""
    assert max_drug_compensation_days(D(2035, 3, 10)) == (D(2040, 3, 10) - D(2035, 3, 10)).days
    assert max_drug_compensation_days(D(2035, 3, 10)) == 1827  # includes 2036 and 2040's 29 Feb


@pytest.mark.parametrize(
    ("filing", "first_use", "created", "expected"),
    [
        (D(2019, 7, 1), None, None, D(2029, 7, 1)),  # 10 years from filing
        (D(2019, 7, 1), D(2018, 3, 1), None, D(2028, 3, 1)),  # earlier first commercial use
        (D(2019, 7, 1), D(2020, 3, 1), None, D(2029, 7, 1)),  # later use: filing decides
        (D(2019, 7, 1), None, D(2006, 1, 1), D(2021, 1, 1)),  # 15 years after creation first
        (D(2019, 7, 1), D(2018, 3, 1), D(2010, 1, 1), D(2025, 1, 1)),
        (D(2019, 7, 1), None, D(2016, 2, 29), D(2029, 7, 1)),  # cap 2031-02-28 is later
    ],
)
def test_ic_layout_term_tiaoli_art12(
    filing: date, first_use: date | None, created: date | None, expected: date
) -> None:
    """集成电路布图设计保护条例 art. 12: 10 years from the earlier of filing and first commercial
    exploitation, no protection 15 years after creation, whichever ends first."""
    assert ic_layout_expiry(filing, first_use, created) == expected
    facts = RightFacts(IC, filing, filing, first_commercial_use=first_use, created_on=created)
    assert legal_status(facts, expected - timedelta(days=1)).status is Status.IN_FORCE
    assert legal_status(facts, expected).status is Status.EXPIRED


def trademark_renewals(*events: Event) -> RightFacts:
    return RightFacts(TM, D(2010, 9, 1), D(2012, 4, 14), tuple(events))


def test_trademark_renewal_window_shangbiaofa_art40() -> None:
    """商标法 art. 40: 12 months before the term ends, 6 months' grace after (both included); the
    term's last day is 2022-04-13, so the grace's is 2022-10-13 (民法典 arts. 201, 202)."""
    assert renewal_window(D(2022, 4, 14)) == (D(2021, 4, 14), D(2022, 10, 13))


def test_trademark_renewal_filed_in_grace_keeps_the_mark_until_approved_shangbiaofa_art40() -> None:
    filed = Event(EventType.RENEWAL_FILED, D(2022, 9, 1))  # in the grace period
    facts = trademark_renewals(filed)
    in_grace = legal_status(facts, D(2022, 9, 2))
    assert (in_grace.status, in_grace.renewal_pending) == (Status.GRACE_PERIOD, True)
    # Past the grace period the filed renewal still awaits its decision: no cancellation yet.
    waiting = legal_status(facts, D(2022, 12, 1))
    assert (waiting.status, waiting.renewal_pending) == (Status.GRACE_PERIOD, True)
    approved = trademark_renewals(filed, Event(EventType.RENEWED, D(2022, 12, 15)))
    result = legal_status(approved, D(2023, 1, 1))
    assert (result.status, result.expiry_date, result.renewal_pending) == (
        Status.IN_FORCE,
        D(2032, 4, 14),
        False,
    )
    # Without the renewal, cancelled (注销) from the end of its term.
    lapsed = legal_status(trademark_renewals(), D(2022, 12, 1))
    assert (lapsed.status, lapsed.since) == (Status.EXPIRED, D(2022, 4, 14))


def test_trademark_renewal_filed_too_late_counts_for_nothing_shangbiaofa_art40() -> None:
    late = trademark_renewals(
        Event(EventType.RENEWAL_FILED, D(2022, 10, 15)), Event(EventType.RENEWED, D(2022, 12, 1))
    )
    result = legal_status(late, D(2023, 1, 1))
    assert (result.status, result.since, result.renewal_pending) == (
        Status.EXPIRED,
        D(2022, 4, 14),
        False,
    )
    early = trademark_renewals(Event(EventType.RENEWAL_FILED, D(2021, 4, 13)))
    assert legal_status(early, D(2021, 5, 1)).renewal_pending is False


@settings(max_examples=100)
@given(data=st.data())
def test_compensation_moves_expiry_and_nothing_before_it(data: st.DataObject) -> None:
    """Property: a compensation of n days moves an invention's expiry by exactly n days and leaves
    its status on every day before the old expiry unchanged."""
    facts = data.draw(right_facts())
    if facts.kind is not INV or facts.grant_date is None:
        return
    base = right_expiry(facts, facts.events)
    assert base is not None
    days = data.draw(st.integers(1, 1800))
    granted = facts.grant_date + timedelta(days=1)
    more = replace(facts, events=(*facts.events, compensation(days, granted)))
    assert right_expiry(more, more.events) == base + timedelta(days=days)
    on = data.draw(on_date(facts))
    if on < granted:
        assert legal_status(more, on) == legal_status(facts, on)


# --- a grace period's last day on a rest day (专利法实施细则 r. 6 ¶1, 商标法实施条例 art. 12) ---

# Filed 2015-04-01, granted 2017-08-01, years 3-10 paid: year 11 falls due on Tuesday 2025-04-01,
# its six months' grace on 2025-10-01, National Day; 1-8 October 2025 were days off.
_HOLIDAY_FILED = D(2015, 4, 1)
_YEAR11_DUE = D(2025, 4, 1)


def _year11_unpaid(*events: Event) -> RightFacts:
    schedule = dict(annuity_schedule(INV, _HOLIDAY_FILED, GRANTED))
    payments = tuple(paid(y, schedule[y]) for y in range(3, 11))
    return RightFacts(INV, _HOLIDAY_FILED, GRANTED, (*payments, *events))


def test_a_grace_period_ending_on_national_day_runs_to_the_next_working_day_shishi_xize_r6() -> (
    None
):
    assert grace_end(_YEAR11_DUE) == D(2025, 10, 9)
    facts = _year11_unpaid()
    for on in (D(2025, 10, 2), D(2025, 10, 9)):
        result = legal_status(facts, on)
        assert (result.status, result.since, result.grace_until) == (
            Status.GRACE_PERIOD,
            _YEAR11_DUE,
            D(2025, 10, 9),
        ), on
        assert result.late_fee_rate == Decimal("0.25")  # still the sixth month, not a seventh
    lapsed = legal_status(facts, D(2025, 10, 10))
    assert (lapsed.status, lapsed.since, lapsed.unpaid_year) == (Status.LAPSED, _YEAR11_DUE, 11)
    # Paid on the moved last day: in time, at the sixth month's late fee.
    assert late_fee_rate(_YEAR11_DUE, D(2025, 10, 9)) == Decimal("0.25")
    in_time = legal_status(_year11_unpaid(paid(11, D(2025, 10, 9))), D(2025, 11, 1))
    assert (in_time.status, in_time.since) == (Status.IN_FORCE, D(2025, 10, 9))
    too_late = legal_status(_year11_unpaid(paid(11, D(2025, 10, 10))), D(2025, 11, 1))
    assert too_late.status is Status.LAPSED


# Filed 2015-10-01, granted 2017-08-01 (in patent year 2), years 2-10 paid in time: year 11 falls
# due on 2025-10-01, National Day (1-8 October 2025 off).
_NATIONAL_DAY_FILED = D(2015, 10, 1)
_NATIONAL_DAY_DUE = D(2025, 10, 1)


def _due_on_national_day(*events: Event) -> RightFacts:
    schedule = annuity_schedule(INV, _NATIONAL_DAY_FILED, GRANTED)
    payments = tuple(paid(y, due) for y, due in schedule if y < 11)
    assert [e.year for e in payments] == list(range(2, 11))
    return RightFacts(INV, _NATIONAL_DAY_FILED, GRANTED, (*payments, *events))


def test_an_annuity_due_on_national_day_is_in_time_on_the_next_working_day_shishi_xize_r6() -> None:
    """The last day of the period to pay (the due date) on a holiday moves to the first working
    day after (专利法实施细则 2023 r. 6 ¶1; 专利审查指南 part V ch. 7 §2.3): until it has come
    the patent is in force, its annuity owed; unpaid on it, the grace period shows, counted from
    the due date (its six months and late fee unmoved); paid on it, no grace period began."""
    assert annuity_last_day(_NATIONAL_DAY_DUE) == D(2025, 10, 9)
    facts = _due_on_national_day()
    for on in (_NATIONAL_DAY_DUE, D(2025, 10, 5), D(2025, 10, 8)):
        result = legal_status(facts, on)
        assert (result.status, result.since, result.next_annuity) == (
            Status.IN_FORCE,
            GRANTED,
            (11, _NATIONAL_DAY_DUE),
        ), on
    grace = legal_status(facts, D(2025, 10, 9))
    assert (grace.status, grace.since, grace.unpaid_year) == (
        Status.GRACE_PERIOD,
        _NATIONAL_DAY_DUE,
        11,
    )
    assert (grace.grace_until, grace.late_fee_rate) == (D(2026, 4, 1), Decimal("0.00"))
    on_time = legal_status(_due_on_national_day(paid(11, D(2025, 10, 9))), D(2025, 10, 20))
    assert (on_time.status, on_time.since) == (Status.IN_FORCE, GRANTED)
    late = legal_status(_due_on_national_day(paid(11, D(2025, 10, 10))), D(2025, 10, 20))
    assert (late.status, late.since) == (Status.IN_FORCE, D(2025, 10, 10))
    # A due date on a working day is its own last day: unpaid, the grace shows on it.
    assert annuity_last_day(D(2025, 10, 10)) == D(2025, 10, 10)


def test_a_grace_period_ending_on_a_weekend_moves_but_a_term_never_does_shishi_xize_r6() -> None:
    # Due Saturday 2018-03-10 (the worked example's year 4): its grace ends Monday 2018-09-10,
    # a working day, unmoved; the term's end (2035-03-10, a Saturday) is no period to move.
    assert grace_end(D(2018, 3, 10)) == D(2018, 9, 10)
    assert legal_status(invention_all_paid(), D(2035, 3, 10)).status is Status.EXPIRED
    # Due 2024-07-06: six months on is Monday 2025-01-06, unmoved; due 2024-07-04: Saturday
    # 2025-01-04 moves to Monday the 6th.
    assert grace_end(D(2024, 7, 6)) == D(2025, 1, 6)
    assert grace_end(D(2024, 7, 4)) == D(2025, 1, 6)


def test_a_trademark_grace_ending_on_national_day_takes_a_renewal_filed_after_it_sbtl_art12() -> (
    None
):
    """Registered 2015-04-02: the term's last day is 2025-04-01, the grace's 2025-10-01 (National
    Day), moved to 2025-10-09 (商标法实施条例 art. 12): a renewal filed on the 8th is in time."""
    registered = D(2015, 4, 2)
    assert renewal_window(D(2025, 4, 2)) == (D(2024, 4, 2), D(2025, 10, 9))
    facts = RightFacts(
        TM, D(2014, 1, 6), registered, (ev(EventType.RENEWAL_FILED, D(2025, 10, 8)),)
    )
    assert legal_status(facts, D(2025, 10, 20)).renewal_pending
    late = RightFacts(
        TM, D(2014, 1, 6), registered, (ev(EventType.RENEWAL_FILED, D(2025, 10, 10)),)
    )
    assert legal_status(late, D(2025, 10, 20)).status is Status.EXPIRED
