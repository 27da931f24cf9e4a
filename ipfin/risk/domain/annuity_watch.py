"""The annuity watch over pledged patents, on NumPy columns (one pass for any number of rights).

A pledgee bank must learn before a pledged patent lapses for an unpaid annuity (专利法 art. 44
¶1(1): a patent ends when its annuity is not paid as prescribed; 专利法实施细则 (2023) r. 115:
annuities are owed from the year of grant, that year's on the grant date and each later year's
before the year begins; r. 116 / 专利收费标准: six months' grace with a late fee). The rules are
`ipfin.registry.domain`'s for one right (`annuity_due_date`, `grace_end`, `patent_expiry`); here
the same dates are computed for whole columns:

- the next annuity owed is the year after the highest year paid (or the grant year when none is
  on record) — the register's own reading used by the portfolio scoring too: a gap in the years
  paid, a payment after its grace and a restoration are looked at only in `legal_status` for one
  right (the right's page);
- `DUE_SOON`: its last day in time is after the scan day (the due date, moved past weekends and
  holidays to the first working day: `registry.domain.annuity_last_day`), its due date at most
  `horizon_days` later (default 60); `payable_until` gives that last day;
- `GRACE`: the last day in time has come unpaid (the register shows the grace period from that
  day, as `registry.domain.legal_status` does) and the grace period has not passed (its last day
  is given: six months after the due date, moved past weekends and holidays to the first working
  day, 专利法实施细则 2023 r. 6 ¶1, on the calendar given — `registry.domain.grace_end`);
- `LAPSED`: the grace period is over — the patent ended on the unpaid due date (art. 44);
- no annuity falls due before the term ends (`expiry`): nothing to watch.
Dates are `datetime64[D]`; a missing date is NaT; non-patents and ungranted patents get NONE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from ipfin.common.workdays import PACKAGE_CALENDAR, WorkingCalendar

__all__ = [
    "ANNUITY_HORIZON_DAYS",
    "KIND_CODES",
    "AnnuityState",
    "AnnuityWatch",
    "add_months_columns",
    "add_years_columns",
    "annuity_watch",
    "patent_expiry_columns",
]

Days = NDArray[np.datetime64]
Ints = NDArray[np.int64]

# Patents by kind; every other kind (trademark, copyright, IC layout) has no annuities.
KIND_CODES = {"invention": 0, "utility_model": 1, "design": 2}
NOT_A_PATENT = -1
ANNUITY_HORIZON_DAYS = 60
GRACE_MONTHS = 6  # 专利法实施细则 (2023) r. 116
_DESIGN_15_YEAR_TERM_FROM = np.datetime64("2021-06-01", "D")  # Patent Law 2020 art. 42


class AnnuityState(IntEnum):
    NONE = 0
    DUE_SOON = 1
    GRACE = 2
    LAPSED = 3


@dataclass(frozen=True)
class AnnuityWatch:
    state: NDArray[np.int8]  # AnnuityState per right
    year: Ints  # the annuity year concerned (0 where NONE)
    due: Days  # its due date (NaT where NONE)
    grace_until: Days  # the last day of its grace period (NaT where NONE)
    # The six months themselves, before moving past rest days (NaT where NONE): what identifies
    # a grace-period alert, so that entering a year's holidays does not make it another alert.
    grace_counted: Days
    # The last day the annuity is paid in time (the due date moved past rest days), where DUE_SOON
    # (NaT elsewhere).
    payable_until: Days


def _parts(days: Days) -> tuple[Ints, Ints, Ints]:
    """(year, month 0-11, day 1-31) of each date (NaT gives garbage, masked by the callers)."""
    months = days.astype("datetime64[M]")
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month0 = (months - days.astype("datetime64[Y]").astype("datetime64[M]")).astype(np.int64)
    day = (days - months).astype(np.int64) + 1
    return years, month0, day


def add_months_columns(days: Days, months: Ints | int) -> Days:
    """`registry.domain.add_months` on columns: same day, clamped to the month's end."""
    years, month0, day = _parts(days)
    index = years * 12 + month0 + np.asarray(months, dtype=np.int64)
    start = (index - 1970 * 12).astype("datetime64[M]")
    length = ((start + 1).astype("datetime64[D]") - start.astype("datetime64[D]")).astype(np.int64)
    result = start.astype("datetime64[D]") + (np.minimum(day, length) - 1).astype("timedelta64[D]")
    return np.where(np.isnat(days), np.datetime64("NaT", "D"), result)


def add_years_columns(days: Days, years: Ints | int) -> Days:
    """`registry.domain.add_years` on columns (29 February → 28 February in a common year)."""
    return add_months_columns(days, np.asarray(years, dtype=np.int64) * 12)


def patent_expiry_columns(kind: Ints, filing: Days, compensation_days: Ints) -> Days:
    """The first day out of force by the term (专利法 art. 42): invention 20 years plus its term
    compensation, utility model 10, design 15 (10 if filed before 2021-06-01); NaT otherwise."""
    term = np.select(
        [kind == 0, kind == 1, (kind == 2) & (filing >= _DESIGN_15_YEAR_TERM_FROM), kind == 2],
        [20, 10, 15, 10],
        0,
    )
    base = add_years_columns(filing, term)
    extra = np.where(kind == 0, compensation_days, 0).astype("timedelta64[D]")
    return np.where(term > 0, base + extra, np.datetime64("NaT", "D"))


def _first_annuity_year(filing: Days, grant: Days) -> Ints:
    """`registry.domain.first_annuity_year`: the patent year containing the grant date."""
    gy, _, _ = _parts(grant)
    fy, _, _ = _parts(filing)
    k = gy - fy + 1
    return np.where(add_years_columns(filing, k - 1) > grant, k - 1, k)


def annuity_watch(
    *,
    kind: Ints,
    filing: Days,
    grant: Days,
    paid_year: Ints,
    expiry: Days,
    on: date,
    horizon_days: int = ANNUITY_HORIZON_DAYS,
    calendar: WorkingCalendar = PACKAGE_CALENDAR,
) -> AnnuityWatch:
    """The state of each right's next annuity on `on` (see the module's rules). `paid_year` is
    the highest year paid on or before `on` (0: none); `expiry` the term's end (NaT: none)."""
    day = np.datetime64(on, "D")
    patent = (kind >= 0) & ~np.isnat(grant) & ~np.isnat(filing)
    safe_grant = np.where(patent, grant, day)
    safe_filing = np.where(patent, filing, day)
    first = _first_annuity_year(safe_filing, safe_grant)
    year = np.maximum(paid_year + 1, first)
    due = np.where(year == first, safe_grant, add_years_columns(safe_filing, year - 1))
    owed = patent & (np.isnat(expiry) | (due < np.where(np.isnat(expiry), due, expiry)))
    grace_until = add_months_columns(due, GRACE_MONTHS)
    # Its last day moved past the rest days is before `on` exactly when the unmoved one is on or
    # before the last working day before `on`: one bound for the column.
    over = grace_until <= np.datetime64(calendar.working_day_before(on), "D")
    # Its last day in time (moved past rest days) has come exactly when the due date is on or
    # before the last working day on or before `on`: one bound for the column as well.
    started = due <= np.datetime64(calendar.working_day_before(on + timedelta(days=1)), "D")
    horizon = day + np.timedelta64(horizon_days, "D")
    state = np.select(
        [
            owed & ~started & (due <= horizon),
            owed & started & ~over,
            owed & over,
        ],
        [AnnuityState.DUE_SOON, AnnuityState.GRACE, AnnuityState.LAPSED],
        AnnuityState.NONE,
    ).astype(np.int8)
    watched = state != AnnuityState.NONE
    nat = np.datetime64("NaT", "D")
    counted = grace_until
    grace_until = grace_until.copy()
    grace_until[watched] = calendar.working_days_from_column(grace_until[watched])
    soon = state == AnnuityState.DUE_SOON
    payable_until = np.full(len(due), nat)
    payable_until[soon] = calendar.working_days_from_column(due[soon])
    return AnnuityWatch(
        state=state,
        year=np.where(watched, year, 0),
        due=np.where(watched, due, nat),
        grace_until=np.where(watched, grace_until, nat),
        grace_counted=np.where(watched, counted, nat),
        payable_until=payable_until,
    )
