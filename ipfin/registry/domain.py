"""Legal status of IP rights, derived from the register's facts as of a date. Pure: no Django.

`legal_status(facts, on)` reads the register as it stood on `on` (events dated later are ignored)
and returns one `StatusResult`. Number formats (申请号 / 注册号 / 登记号) are validated and put into
canonical form by `normalize_number`.

Date conventions: `expiry_date` is the first day a right is NOT in force; `grace_until` is the
last day (inclusive) of a grace period. A grace period is a period of the Patent Law or the
Trademark Law: its last day, when a weekend or a statutory holiday, moves to the first working day
after (专利法实施细则 2023 r. 6 ¶1, 商标法实施条例 art. 12; 专利审查指南 part V ch. 7 §2.3: the
rest days are the State Council's holidays and the weekends, as the year's arrangement adjusts
them), on the `WorkingCalendar` given (default: the `chinese_calendar` package's). So does the
last day an annuity is paid in time (`annuity_last_day`): an annuity due on a rest day is paid in
time on the first working day after, and its patent shows no grace period until then. A term of
protection is no such period: `expiry_date` never moves.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from operator import mul

from ipfin.common.workdays import LONGEST_REST, PACKAGE_CALENDAR, WorkingCalendar


class RightKind(StrEnum):
    INVENTION = "invention"
    UTILITY_MODEL = "utility_model"
    DESIGN = "design"
    TRADEMARK = "trademark"
    COPYRIGHT = "copyright"
    IC_LAYOUT = "ic_layout"


PATENT_KINDS: frozenset[RightKind] = frozenset(
    {RightKind.INVENTION, RightKind.UTILITY_MODEL, RightKind.DESIGN}
)


class EventType(StrEnum):
    ANNUITY_PAID = "annuity_paid"
    TERM_COMPENSATION = "term_compensation"
    INVALIDATION_REQUESTED = "invalidation_requested"
    INVALIDATION_DISMISSED = "invalidation_dismissed"
    INVALIDATED = "invalidated"
    PRESERVATION = "preservation"
    PRESERVATION_LIFTED = "preservation_lifted"
    DISPUTE = "dispute"
    DISPUTE_RESOLVED = "dispute_resolved"
    TRANSFER = "transfer"
    LICENCE = "licence"
    SURRENDER = "surrender"
    RESTORED = "restored"
    RENEWAL_FILED = "renewal_filed"
    RENEWED = "renewed"


class CompensationKind(StrEnum):
    """专利权期限补偿 (专利法 2020 art. 42): for an unreasonable delay in granting an invention
    (¶2) and for the time a new drug's market approval took (¶3)."""

    GRANT_DELAY = "grant_delay"
    DRUG_APPROVAL = "drug_approval"


class AuthorKind(StrEnum):
    """Whose work a copyright protects decides its term (著作权法 2020 art. 23)."""

    PERSON = "person"  # 自然人
    ORGANISATION = "organisation"  # 法人或者非法人组织


class Status(StrEnum):
    PENDING = "pending"
    IN_FORCE = "in_force"
    GRACE_PERIOD = "grace_period"
    LAPSED = "lapsed"
    EXPIRED = "expired"
    INVALIDATED = "invalidated"
    SURRENDERED = "surrendered"


TERMINAL_STATUSES: frozenset[Status] = frozenset(
    {Status.LAPSED, Status.EXPIRED, Status.INVALIDATED, Status.SURRENDERED}
)

SCOPE_WHOLE = "whole"
SCOPE_PARTIAL = "partial"

# Patent Law 2020 art. 42 (in force 2021-06-01): designs filed on or after this day get 15 years.
DESIGN_15_YEAR_TERM_FROM = date(2021, 6, 1)
# 专利法实施细则 (2023) r. 116 / 专利收费标准: the grace period for a late annuity is 6 months.
GRACE_MONTHS = 6
# Trademark Law art. 40: 10-year terms, renewal with 6 months' grace after expiry.
TRADEMARK_TERM_YEARS = 10
# 专利收费标准 (滞纳金): 5% of the annuity per full month late beyond the first.
LATE_FEE_STEP = Decimal("0.05")
# 专利法 art. 42 ¶3: a new drug's compensation is at most 5 years.
DRUG_COMPENSATION_MAX_YEARS = 5
# 集成电路布图设计保护条例 art. 12: 10 years from the earlier of filing and first commercial
# exploitation anywhere; never more than 15 years after creation.
IC_LAYOUT_TERM_YEARS = 10
IC_LAYOUT_CREATION_CAP_YEARS = 15
# 著作权法 arts. 21-23: 50 years, to 31 December of the 50th year (after death, first publication
# or, unpublished, creation).
COPYRIGHT_TERM_YEARS = 50


@dataclass(frozen=True)
class Event:
    type: EventType
    date: date
    year: int | None = None  # annuity_paid: the patent year paid
    scope: str | None = None  # invalidated: "whole" (also when None) or "partial"
    days: int | None = None  # term_compensation: the days of compensation granted
    compensation: CompensationKind | None = None  # term_compensation: on which ground

    def __post_init__(self) -> None:
        if self.type is EventType.ANNUITY_PAID and self.year is None:
            raise ValueError("an annuity_paid event needs the patent year it pays")
        if self.type is EventType.TERM_COMPENSATION and (
            self.days is None or self.days < 1 or self.compensation is None
        ):
            raise ValueError("a term_compensation event needs its days (>= 1) and its kind")
        if self.year is not None and self.year < 1:
            raise ValueError(f"patent year must be >= 1, got {self.year}")
        if self.scope not in (None, SCOPE_WHOLE, SCOPE_PARTIAL):
            raise ValueError(f"invalidation scope must be 'whole' or 'partial', got {self.scope!r}")


@dataclass(frozen=True)
class RightFacts:
    kind: RightKind
    filing_date: date
    grant_date: date | None
    events: tuple[Event, ...] = ()
    # IC layouts (条例 art. 12): first commercial exploitation anywhere; creation (also copyright).
    first_commercial_use: date | None = None
    created_on: date | None = None
    # Copyright (著作权法 art. 23): whose work it is, the author's death, first publication.
    author_kind: AuthorKind | None = None
    author_died_on: date | None = None
    first_published_on: date | None = None

    def __post_init__(self) -> None:
        # Mirrors the database constraint right_grant_not_before_filing.
        if self.grant_date is not None and self.grant_date < self.filing_date:
            raise ValueError("grant_date is before filing_date")


@dataclass(frozen=True)
class StatusResult:
    status: Status
    since: date | None  # the day the status took effect
    # First day no longer in force by lapse of the term (renewals and term compensation included);
    # None when the register lacks what the term depends on (a natural person's copyright without
    # the author's date of death, ...): never a guessed date.
    expiry_date: date | None
    grace_until: date | None  # last day of the current grace period, if in one
    unpaid_year: int | None  # the unpaid annuity year (grace_period / lapsed)
    late_fee_rate: Decimal | None  # late-fee rate if the annuity were paid on `on` (grace only)
    invalidation_pending: bool
    preserved: bool
    disputed: bool
    next_annuity: tuple[int, date] | None  # (year, due date) of the next unpaid annuity after `on`
    # Trademarks: a renewal filed in time and not yet approved (商标法 art. 40).
    renewal_pending: bool = False


_DAYS_PER_YEAR = Decimal("365.25")


class TermUnknown(ValueError):
    """The end of a right's term cannot be computed from the register (see `term_note`)."""


def remaining_term_years(status: StatusResult, on: date) -> Decimal:
    """Years (to 0.01, rounded down; 365.25 days a year) from `on` to the end of the legal term of
    a right whose status on `on` is `status`; 0 once the right has ended (lapsed, expired,
    invalidated, surrendered). A valuation's economic life may not exceed it. `TermUnknown` when
    the term's end cannot be computed."""
    if status.status in TERMINAL_STATUSES:
        return Decimal(0)
    if status.expiry_date is None:
        raise TermUnknown("the end of the right's term cannot be computed from the register")
    days = max((status.expiry_date - on).days, 0)
    return (Decimal(days) / _DAYS_PER_YEAR).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


# --- dates ---------------------------------------------------------------------------------------


def add_years(d: date, years: int) -> date:
    """Same day `years` later; 29 February becomes 28 February in a non-leap year."""
    year = d.year + years
    if d.month == 2 and d.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return d.replace(year=year)


def add_months(d: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (31 August + 6 → 28/29 February)."""
    index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(index, 12)
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last_day))


# --- terms ---------------------------------------------------------------------------------------


def term_expiry(
    kind: RightKind, filing_date: date, grant_date: date | None, renewals: int = 0
) -> date:
    """First day the right is no longer in force because its term has run out.

    Patent Law 2020 art. 42: invention 20 years, utility model 10, design 15 (10 if filed before
    2021-06-01), all from the filing date (term compensation: `patent_expiry`). 集成电路布图设计
    保护条例 art. 12: 10 years from the filing date (the earlier first commercial use and the
    15-year cap: `ic_layout_expiry`). Trademark Law arts. 39-40: 10 years from registration
    (`grant_date`), plus 10 for each renewal. Copyright has no term from a filing date: see
    `copyright_expiry`.
    """
    if renewals < 0:
        raise ValueError("renewals must be >= 0")
    if kind is RightKind.TRADEMARK:
        if grant_date is None:
            raise ValueError("a trademark's term runs from its registration: grant_date is None")
        return add_years(grant_date, TRADEMARK_TERM_YEARS * (1 + renewals))
    if renewals:
        raise ValueError(f"only trademarks are renewed, not {kind}")
    if kind is RightKind.COPYRIGHT:
        raise ValueError("a copyright's term depends on its author: use copyright_expiry")
    return add_years(filing_date, _term_years(kind, filing_date))


def max_drug_compensation_days(base_expiry: date) -> int:
    """专利法 art. 42 ¶3: a new drug's compensation is at most 5 years, counted in days from the
    invention's own (20-year) expiry."""
    return (add_years(base_expiry, DRUG_COMPENSATION_MAX_YEARS) - base_expiry).days


def compensation_days(events: Iterable[Event]) -> int:
    """The days of term compensation granted by the events (专利法 art. 42 ¶2 and ¶3)."""
    return sum(e.days or 0 for e in events if e.type is EventType.TERM_COMPENSATION)


def patent_expiry(kind: RightKind, filing_date: date, events: Iterable[Event] = ()) -> date:
    """First day a patent is out of force by its term: the basic term (`term_expiry`) extended by
    the term compensation granted to an invention (专利法 art. 42 ¶2, ¶3); the compensated days
    follow the basic term's last day without a gap."""
    base = term_expiry(kind, filing_date, None)
    if kind is not RightKind.INVENTION:
        return base
    return base + timedelta(days=compensation_days(events))


def ic_layout_expiry(
    filing_date: date, first_commercial_use: date | None = None, created_on: date | None = None
) -> date:
    """集成电路布图设计保护条例 art. 12: 10 years from the earlier of the filing date and the first
    commercial exploitation anywhere, and in any case no protection 15 years after creation,
    whichever ends first (years counted by anniversary, as for patents: `add_years`)."""
    start = min(filing_date, first_commercial_use) if first_commercial_use else filing_date
    end = add_years(start, IC_LAYOUT_TERM_YEARS)
    if created_on is not None:
        end = min(end, add_years(created_on, IC_LAYOUT_CREATION_CAP_YEARS))
    return end


def _end_of_50th_year_after(day: date) -> date:
    """The first day after 31 December of the 50th year after `day`'s year."""
    return date(day.year + COPYRIGHT_TERM_YEARS + 1, 1, 1)


def copyright_expiry(
    author_kind: AuthorKind | None,
    *,
    author_died_on: date | None = None,
    first_published_on: date | None = None,
    created_on: date | None = None,
) -> date | None:
    """First day a copyright's economic rights are no longer protected (著作权法 2020 art. 23;
    计算机软件保护条例 art. 14), or None when the register lacks what it depends on:

    - a natural person's work: the author's life and 50 years after death, to 31 December of the
      50th year (`author_died_on`; unknown → None);
    - a legal person's or other organisation's work, and its software: 50 years after first
      publication, to 31 December of the 50th year; a work not published within 50 years of its
      creation is no longer protected after those 50 years (`first_published_on`, `created_on`;
      the publication not recorded → None: "not recorded" is not "unpublished");
    - whose work it is unknown → None.
    """
    if author_kind is AuthorKind.PERSON:
        return _end_of_50th_year_after(author_died_on) if author_died_on else None
    if author_kind is not AuthorKind.ORGANISATION:
        return None
    if first_published_on is None:
        # Not recorded is not "unpublished": a publication later than the creation would give a
        # later end, so no date is given (the 50 years from creation are only a lower bound).
        return None
    if created_on is not None:
        unpublished_end = _end_of_50th_year_after(created_on)
        if first_published_on >= unpublished_end:
            return unpublished_end  # published only after its 50 unpublished years: too late
    return _end_of_50th_year_after(first_published_on)


def term_note(facts: RightFacts) -> tuple[str, str] | None:
    """Why the term's end cannot be computed (Chinese, English), or None when it can."""
    if facts.kind is not RightKind.COPYRIGHT:
        return None
    if facts.author_kind is AuthorKind.PERSON and facts.author_died_on is None:
        return (
            "自然人作品的保护期为作者终生及其死亡后五十年（著作权法第二十三条），登记簿未记载作者"
            "死亡日期，保护期无法计算。",
            "A natural person's work is protected for the author's life and 50 years after death "
            "(Copyright Law art. 23); the register has no date of the author's death, so the term "
            "cannot be computed.",
        )
    if facts.author_kind is AuthorKind.ORGANISATION and not facts.first_published_on:
        return (
            "法人或非法人组织作品的保护期自首次发表起算（著作权法第二十三条），登记簿未记载首次"
            "发表日期，保护期无法计算。",
            "An organisation's work is protected for 50 years after first publication (Copyright "
            "Law art. 23); the register has no date of first publication, so the term cannot be "
            "computed.",
        )
    if facts.author_kind is None:
        return (
            "著作权保护期取决于作者是自然人还是法人或非法人组织（著作权法第二十三条），登记簿未"
            "记载，保护期无法计算。",
            "A copyright's term depends on whether its author is a natural person or an "
            "organisation (Copyright Law art. 23); the register does not say, so the term cannot "
            "be computed.",
        )
    return None


def _term_years(kind: RightKind, filing_date: date) -> int:
    if kind is RightKind.INVENTION:
        return 20
    if kind is RightKind.DESIGN:
        return 15 if filing_date >= DESIGN_15_YEAR_TERM_FROM else 10
    if kind in (RightKind.UTILITY_MODEL, RightKind.IC_LAYOUT):
        return 10
    raise ValueError(f"{kind} has no term in years from filing")


# --- annuities (patents) -------------------------------------------------------------------------


def first_annuity_year(filing_date: date, grant_date: date) -> int:
    """The patent year containing the grant date: year k runs [filing + (k-1) y, filing + k y)."""
    if grant_date < filing_date:
        raise ValueError("grant_date is before filing_date")
    k = grant_date.year - filing_date.year + 1
    if add_years(filing_date, k - 1) > grant_date:
        k -= 1
    return k


def annuity_due_date(filing_date: date, grant_date: date, year: int) -> date:
    """Due date of annuity `year`. Annuities are owed from the year of grant (专利法实施细则
    r. 115, 2023): that year's is due on the grant date, each later year's before the year starts,
    i.e. on the filing anniversary."""
    first = first_annuity_year(filing_date, grant_date)
    if year < first:
        raise ValueError(f"annuity year {year} falls before the grant (first year {first})")
    if year == first:
        return grant_date
    return add_years(filing_date, year - 1)


def annuity_schedule(
    kind: RightKind, filing_date: date, grant_date: date, expiry: date | None = None
) -> tuple[tuple[int, date], ...]:
    """Every owed (year, due date): from the grant year on, while the due date is before expiry.

    `expiry` is the term's end with any term compensation (default: the basic term). Annuities go
    on in the compensation period (专利法 art. 42 ¶2, ¶3): years 21, 22, ... each due on its
    filing anniversary, with the same grace period."""
    if kind not in PATENT_KINDS:
        return ()
    if expiry is None:
        expiry = term_expiry(kind, filing_date, grant_date)
    schedule: list[tuple[int, date]] = []
    year = first_annuity_year(filing_date, grant_date)
    while (due := annuity_due_date(filing_date, grant_date, year)) < expiry:
        schedule.append((year, due))
        year += 1
    return tuple(schedule)


def annuity_last_day(due: date, calendar: WorkingCalendar = PACKAGE_CALENDAR) -> date:
    """The last day an annuity is paid in time: its due date, or, when that is a weekend or a
    statutory holiday, the first working day after (专利法实施细则 2023 r. 6 ¶1; 专利审查指南
    part V ch. 7 §2.3: a period's last day on a rest day moves to the first working day after;
    the guideline's own examples are fee periods). Paid by then, it is paid in time: no grace
    period begins. The grace period's six months still count from the due date itself
    (`grace_end`): only a last day moves, never where a period starts."""
    return calendar.working_day_from(due)


def _annuity_overdue(day: date, due: date, calendar: WorkingCalendar) -> bool:
    """Whether an annuity unpaid on `day` is in its grace period (or past it) on that day: from
    its last day in time on (`annuity_last_day`), as the register has always shown the due day
    itself of an unpaid annuity (the status as the day ends). The calendar is asked only about
    a due date just before `day` (within `LONGEST_REST`)."""
    if day < due:
        return False
    return day > due + LONGEST_REST or day >= calendar.working_day_from(due)


def grace_end(due: date, calendar: WorkingCalendar = PACKAGE_CALENDAR) -> date:
    """Last day of the 6-month grace period after an unpaid due date (inclusive), moved past
    weekends and holidays to the first working day (专利法实施细则 2023 r. 6 ¶1)."""
    return calendar.working_day_from(add_months(due, GRACE_MONTHS))


def _on_or_before_moved(day: date, last_day: date, calendar: WorkingCalendar) -> bool:
    """Whether `day` is on or before `last_day` moved past rest days (`working_day_from`). The
    calendar is asked only about a day just after `last_day` (within `LONGEST_REST`): the
    register's usual reads (a payment on time, a right in force or long lapsed) take none."""
    if day <= last_day:
        return True
    return day <= last_day + LONGEST_REST and day <= calendar.working_day_from(last_day)


def in_grace(day: date, due: date, calendar: WorkingCalendar = PACKAGE_CALENDAR) -> bool:
    """Whether `day` is on or before the grace period's last day (`grace_end`)."""
    return _on_or_before_moved(day, add_months(due, GRACE_MONTHS), calendar)


def late_fee_rate(due: date, paid: date, calendar: WorkingCalendar = PACKAGE_CALENDAR) -> Decimal:
    """Late fee as a share of the annuity (专利收费标准, 滞纳金).

    Nothing if paid within one month of the due date, then 5% for each full month overdue beyond the
    first: month m (add_months(due, m-1) < paid <= add_months(due, m)) costs 5% x (m-1), so 25% in
    the sixth. Past the grace period it is too late: ValueError. A payment on the days the grace
    period's last day moved past weekends or holidays (`grace_end`) is still in the sixth month."""
    if not in_grace(paid, due, calendar):
        raise ValueError(f"paid {paid} after the grace period ending {grace_end(due, calendar)}")
    month = 1
    while paid > add_months(due, month) and month < GRACE_MONTHS:
        month += 1
    return LATE_FEE_STEP * (month - 1)


# Annuities in yuan by patent year: (first year, last year, amount).
# Source: 国家知识产权局《专利收费标准》, 专利年费 (the fee list as published after
# 发改价格〔2017〕270号 / 财税〔2017〕8号).
# Design years 11-15 exist only since the 15-year design term (Patent Law 2020); the 3,000 yuan
# figure is the project's assumption from the brief: confirm against the current CNIPA fee list.
# These are the full fees: 费减 (fee reductions, commonly to 15%) are applied elsewhere.
_ANNUITY_TABLE: dict[RightKind, tuple[tuple[int, int, int], ...]] = {
    RightKind.INVENTION: (
        (1, 3, 900),
        (4, 6, 1200),
        (7, 9, 2000),
        (10, 12, 4000),
        (13, 15, 6000),
        (16, 20, 8000),
        # The compensation period (专利法 art. 42 ¶2, ¶3; 专利法实施细则 2023 r. 115): the
        # 20th year's annuity each year — the project's reading of the fee list: confirm against
        # the current CNIPA 专利收费标准. Five years of drug compensation plus the longest grant
        # delays seen stay well within year 40.
        (21, 40, 8000),
    ),
    RightKind.UTILITY_MODEL: ((1, 3, 600), (4, 5, 900), (6, 8, 1200), (9, 10, 2000)),
    RightKind.DESIGN: ((1, 3, 600), (4, 5, 900), (6, 8, 1200), (9, 10, 2000), (11, 15, 3000)),
}


def annuity_amount(kind: RightKind, year: int) -> Decimal:
    """Official annuity of patent `year` in yuan; ValueError outside the term or for non-patents."""
    bands = _ANNUITY_TABLE.get(kind)
    if bands is None:
        raise ValueError(f"{kind} has no annuities")
    for first, last, amount in bands:
        if first <= year <= last:
            return Decimal(amount)
    raise ValueError(f"{kind} has no annuity for year {year}")


# --- legal status --------------------------------------------------------------------------------

# Tie-break when terminating facts take effect on the same day: the automatic ones first.
_TERMINATION_PRIORITY = {
    Status.EXPIRED: 0,
    Status.LAPSED: 1,
    Status.INVALIDATED: 2,
    Status.SURRENDERED: 3,
}


@dataclass(frozen=True)
class _Procedures:
    invalidation_pending: bool = False
    preserved: bool = False
    disputed: bool = False


def _open_procedures(events: Iterable[Event]) -> _Procedures:
    invalidation = preserved = disputed = False
    for event in events:
        match event.type:
            case EventType.INVALIDATION_REQUESTED:
                invalidation = True
            # A decision, whole or partial, closes the procedure (专利法 art. 46).
            case EventType.INVALIDATION_DISMISSED | EventType.INVALIDATED:
                invalidation = False
            case EventType.PRESERVATION:
                preserved = True
            case EventType.PRESERVATION_LIFTED:
                preserved = False
            case EventType.DISPUTE:
                disputed = True
            case EventType.DISPUTE_RESOLVED:
                disputed = False
            case _:
                pass
    return _Procedures(invalidation, preserved, disputed)


@dataclass(frozen=True)
class _TrademarkTerm:
    expiry: date
    ended_grace: date | None  # the renewal that ended a grace period, if any
    renewal_pending: bool  # a renewal filed in time for the current term, not yet approved


def trademark_grace_end(expiry: date, calendar: WorkingCalendar = PACKAGE_CALENDAR) -> date:
    """The last day of a mark's 6 months' grace (商标法 art. 40 ¶1): counted from the term's last
    day, the day before `expiry` (the first day it is no longer in force: art. 39, ten years
    from registration), that day not counted (民法典 arts. 201, 202). A mark registered on
    2012-04-14 runs to 2022-04-13, its grace to 2022-10-13 (counted from `expiry` itself it had
    run a day longer, to 2022-10-14, and a renewal filed that day was taken as in time). A last
    day on a weekend or holiday moves to the first working day after (商标法实施条例 art. 12)."""
    return calendar.working_day_from(_mark_grace_unmoved(expiry))


def _mark_grace_unmoved(expiry: date) -> date:
    """Six months from a mark's last day in force, before moving past rest days."""
    return add_months(expiry - timedelta(days=1), GRACE_MONTHS)


def renewal_window(expiry: date, calendar: WorkingCalendar = PACKAGE_CALENDAR) -> tuple[date, date]:
    """商标法 art. 40: a renewal may be filed in the 12 months before the term ends and in the 6
    months' grace after it (both ends included)."""
    return add_months(expiry, -12), trademark_grace_end(expiry, calendar)


def _in_renewal_window(day: date, expiry: date, calendar: WorkingCalendar) -> bool:
    """`renewal_window(expiry)[0] <= day <= renewal_window(expiry)[1]`, asking the calendar only
    about a day past the six months themselves."""
    if day < add_months(expiry, -12):
        return False
    return _on_or_before_moved(day, _mark_grace_unmoved(expiry), calendar)


def _trademark_term(
    grant_date: date, events: Iterable[Event], calendar: WorkingCalendar = PACKAGE_CALENDAR
) -> _TrademarkTerm:
    """The trademark's term as its renewals stand (商标法 art. 40).

    Each approved renewal (`renewed`) adds 10 years. It counts when it was applied for in time: a
    `renewal_filed` inside the window of the term it extends, or the approval itself dated inside
    that window (a register that records only the approval). Otherwise it comes too late and the
    mark is cancelled (注销) from the end of its term."""
    renewals = 0
    ended_grace: date | None = None
    filed_in_time = False
    for event in events:
        expiry = add_years(grant_date, TRADEMARK_TERM_YEARS * (1 + renewals))
        if event.type is EventType.RENEWAL_FILED:
            filed_in_time = filed_in_time or _in_renewal_window(event.date, expiry, calendar)
        elif event.type is EventType.RENEWED:
            if not (filed_in_time or _in_renewal_window(event.date, expiry, calendar)):
                continue
            if event.date >= expiry:
                ended_grace = event.date
            renewals += 1
            filed_in_time = False
    return _TrademarkTerm(
        add_years(grant_date, TRADEMARK_TERM_YEARS * (1 + renewals)), ended_grace, filed_in_time
    )


def right_expiry(facts: RightFacts, events: Iterable[Event] = ()) -> date | None:
    """First day the right is out of force by its term, with the events given (term compensation,
    renewals): patents (`patent_expiry`), IC layouts (`ic_layout_expiry`), copyright
    (`copyright_expiry`, None when unknown), trademarks (from registration with their renewals;
    an unregistered mark: filing + 10 years, the earliest its term could end)."""
    kind = facts.kind
    if kind is RightKind.TRADEMARK:
        if facts.grant_date is None:
            return add_years(facts.filing_date, TRADEMARK_TERM_YEARS)
        return _trademark_term(facts.grant_date, events).expiry
    if kind is RightKind.IC_LAYOUT:
        return ic_layout_expiry(facts.filing_date, facts.first_commercial_use, facts.created_on)
    if kind is RightKind.COPYRIGHT:
        return copyright_expiry(
            facts.author_kind,
            author_died_on=facts.author_died_on,
            first_published_on=facts.first_published_on,
            created_on=facts.created_on,
        )
    return patent_expiry(kind, facts.filing_date, events)


def legal_status(
    facts: RightFacts, on: date, calendar: WorkingCalendar = PACKAGE_CALENDAR
) -> StatusResult:
    """The legal status of a right on `on`, from the register as it stood on that day.

    Events dated after `on` are ignored; events of the same date apply in the order given.
    `calendar`: the working days a grace period's last day moves on (see the module docstring).
    """
    events = sorted((e for e in facts.events if e.date <= on), key=lambda e: e.date)
    procedures = _open_procedures(events)
    kind = facts.kind
    start = facts.filing_date if kind is RightKind.COPYRIGHT else facts.grant_date

    def result(
        status: Status,
        since: date | None,
        expiry: date | None,
        *,
        grace_until: date | None = None,
        unpaid_year: int | None = None,
        fee_rate: Decimal | None = None,
        next_annuity: tuple[int, date] | None = None,
    ) -> StatusResult:
        return StatusResult(
            status=status,
            since=since,
            expiry_date=expiry,
            grace_until=grace_until,
            unpaid_year=unpaid_year,
            late_fee_rate=fee_rate,
            invalidation_pending=procedures.invalidation_pending,
            preserved=procedures.preserved,
            disputed=procedures.disputed,
            next_annuity=next_annuity,
            renewal_pending=renewal_pending,
        )

    renewal_pending = False
    # Not yet granted / registered (copyright needs no registration: Copyright Law art. 2).
    if start is None or start > on:
        if kind is RightKind.TRADEMARK:
            # Unregistered mark: no term has started; filing + 10 y is the earliest possible
            # expiry (registration always comes after filing), given because the field is a date.
            return result(
                Status.PENDING,
                facts.filing_date,
                add_years(start or facts.filing_date, TRADEMARK_TERM_YEARS),
            )
        return result(Status.PENDING, facts.filing_date, right_expiry(facts, events))

    in_force_since = start
    terminations: list[tuple[date, Status, int | None]] = []
    grace: tuple[date, date, int | None] | None = None  # (since, until, unpaid year)

    expiry: date | None
    if kind is RightKind.TRADEMARK:
        term = _trademark_term(start, events, calendar)
        expiry, renewal_pending = term.expiry, term.renewal_pending
        if term.ended_grace is not None:
            in_force_since = max(in_force_since, term.ended_grace)
        if on >= expiry:
            # A renewal filed in time keeps the mark from cancellation until it is decided.
            if _in_renewal_window(on, expiry, calendar) or renewal_pending:
                grace = (expiry, trademark_grace_end(expiry, calendar), None)
            else:
                terminations.append((expiry, Status.EXPIRED, None))
    else:
        expiry = right_expiry(facts, events)
        if expiry is not None and on >= expiry:
            terminations.append((expiry, Status.EXPIRED, None))

    schedule = (
        annuity_schedule(kind, facts.filing_date, start, expiry) if kind in PATENT_KINDS else ()
    )
    due_of = dict(schedule)
    settled: set[int] = set()  # paid in time (within grace) or cured by a restoration
    for event in events:  # sorted by date: the first payment in time is the one that counts
        if event.type is not EventType.ANNUITY_PAID or event.year is None:
            continue
        due = due_of.get(event.year)
        # A payment after the grace period comes too late and has no effect.
        if due is None or event.year in settled or not in_grace(event.date, due, calendar):
            continue
        settled.add(event.year)
        if not _on_or_before_moved(event.date, due, calendar):
            # This payment ended a grace period (one by the due date's last day in time,
            # `annuity_last_day`, was in time: no grace period began).
            in_force_since = max(in_force_since, event.date)
    for event in events:
        if event.type is EventType.RESTORED:
            # 专利法实施细则 r. 6: restoration cures the earliest uncured lapse before it.
            for year, due in schedule:
                if year not in settled and due < event.date:
                    settled.add(year)
                    in_force_since = max(in_force_since, event.date)
                    break
    # The first year unpaid on `on` whose last day in time has come (`annuity_last_day`): a due
    # date on a rest day is payable, and the patent in force, until the first working day after.
    outstanding = next(
        ((y, d) for y, d in schedule if y not in settled and _annuity_overdue(on, d, calendar)),
        None,
    )
    if outstanding is not None:
        year, due = outstanding
        if in_grace(on, due, calendar):
            grace = (due, grace_end(due, calendar), year)
        else:
            # 专利法 art. 44(1): unpaid annuity ends the patent, from the unpaid due date.
            terminations.append((due, Status.LAPSED, year))

    for event in events:
        if event.type is EventType.INVALIDATED and event.scope != SCOPE_PARTIAL:
            terminations.append((event.date, Status.INVALIDATED, None))
        elif event.type is EventType.SURRENDER:
            terminations.append((event.date, Status.SURRENDERED, None))

    if terminations:
        # The terminating fact with the earliest effective date decides.
        since, status, unpaid = min(terminations, key=lambda t: (t[0], _TERMINATION_PRIORITY[t[1]]))
        return result(
            status, since, expiry, unpaid_year=unpaid if status is Status.LAPSED else None
        )
    if grace is not None:
        since, until, unpaid = grace
        rate = late_fee_rate(since, on, calendar) if unpaid is not None else None
        return result(
            Status.GRACE_PERIOD, since, expiry, grace_until=until, unpaid_year=unpaid, fee_rate=rate
        )
    # The next year owed: not yet due, or due on a rest day and still payable (shown with its
    # due date as the schedule states it).
    upcoming = next(
        ((y, d) for y, d in schedule if y not in settled and not _annuity_overdue(on, d, calendar)),
        None,
    )
    return result(Status.IN_FORCE, in_force_since, expiry, next_annuity=upcoming)


# --- number formats ------------------------------------------------------------------------------


class NumberErrorCode(StrEnum):
    BAD_FORMAT = "number_bad_format"
    BAD_CHECK_DIGIT = "number_bad_check_digit"
    UNKNOWN_PATENT_TYPE = "number_unknown_patent_type"
    KIND_MISMATCH = "number_kind_mismatch"


class NumberFormatError(ValueError):
    """A number that is not a valid 申请号 / 注册号 / 登记号 for its kind; `code` is stable."""

    def __init__(self, code: NumberErrorCode, message_zh: str, message_en: str) -> None:
        super().__init__(code, message_zh, message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"


KIND_ZH = {
    RightKind.INVENTION: "发明专利",
    RightKind.UTILITY_MODEL: "实用新型专利",
    RightKind.DESIGN: "外观设计专利",
    RightKind.TRADEMARK: "商标",
    RightKind.COPYRIGHT: "著作权",
    RightKind.IC_LAYOUT: "集成电路布图设计",
}

# CNIPA application-number standard (ZC 0006-2003): weights over the body digits, sum mod 11,
# 10 is written X. New style (since 1 October 2003): 12 digits; old style: 8 digits.
_WEIGHTS_NEW = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_WEIGHTS_OLD = (2, 3, 4, 5, 6, 7, 8, 9)
# The type digit (5th new style, 3rd old style): 8 and 9 are PCT national-phase applications.
_PATENT_TYPE = {
    "1": RightKind.INVENTION,
    "8": RightKind.INVENTION,
    "2": RightKind.UTILITY_MODEL,
    "9": RightKind.UTILITY_MODEL,
    "3": RightKind.DESIGN,
}

# re.ASCII: \d must not accept other scripts' digits (NFKC leaves e.g. Arabic-Indic digits alone).
_PATENT_RE = re.compile(r"(?:CN|ZL)?(\d{12}|\d{8})\.?([0-9X])", re.ASCII)
_TRADEMARK_RE = re.compile(r"第?(\d{1,10})号?", re.ASCII)
_SOFTWARE_RE = re.compile(r"((?:19|20)\d{2})SR(\d{6,8})", re.ASCII)
_WORKS_RE = re.compile(r"国作登字-((?:19|20)\d{2})-([A-Z])-(\d{8})", re.ASCII)
_IC_LAYOUT_RE = re.compile(r"BS\.?(\d{8,10})(?:\.?([0-9X]))?", re.ASCII)
_COPYRIGHT_EXAMPLES = "2019SR0123456 / 国作登字-2019-F-00123456"
_DASH_CHARACTERS = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"  # ‐‑‒–—―− (typed for '-')
_DASHES = str.maketrans(dict.fromkeys(_DASH_CHARACTERS, "-"))

# The characters a number may be typed with, as one regex character class that Python's `re`,
# ECMA-262 (the OpenAPI document's dialect) and Hypothesis' from_regex read alike: '-' first (a
# literal in every dialect), ASCII and full-width digits and letters, '.' and '．', the dashes
# `_DASHES` folds and '－', whitespace (the characters both Python's str.split and ECMA's \s take
# as such; the ones only one of them does — \x1c-\x1f, \x85, \ufeff — are not in it), and the
# CJK characters of the accepted formats (第…号, 国作登字). Non-ASCII characters stand as
# themselves, not as \u escapes, which some regex dialects do not read.
_NUMBER_CHARACTERS = (
    "-0-9A-Za-z"
    "\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"  # ０-９ Ａ-Ｚ ａ-ｚ
    ".\uff0e\uff0d"  # . ． －
    "\u2010-\u2015\u2212"  # _DASH_CHARACTERS
    r"\t\n\v\f\r"
    " \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    "第号国作登字"
)
# The schemas' max_length of a number (RightIn.number): the service refuses longer input too.
RIGHT_NUMBER_MAX_LENGTH = 60
# What the OpenAPI document states for every input holding a 申请号 / 注册号 / 登记号: nothing the
# service accepts is outside it (normalize_number refuses any other character and more than
# RIGHT_NUMBER_MAX_LENGTH characters before reading the format); what it admits may still be
# refused by the service for its format, check digit or kind, with the service's own code.
RIGHT_NUMBER_PATTERN = f"^[{_NUMBER_CHARACTERS}]{{1,{RIGHT_NUMBER_MAX_LENGTH}}}$"
_NUMBER_SPELLING = re.compile(RIGHT_NUMBER_PATTERN)
_NOT_A_NUMBER_CHARACTER = re.compile(f"[^{_NUMBER_CHARACTERS}]")


def is_number_spelling(raw: str) -> bool:
    """Whether `raw` is within RIGHT_NUMBER_PATTERN: 1 to RIGHT_NUMBER_MAX_LENGTH characters, each
    one a number may be typed with. Says nothing about the format: see normalize_number."""
    return _NUMBER_SPELLING.fullmatch(raw) is not None


def _check_spelling(raw: str) -> None:
    """Refuse (BAD_FORMAT), before any folding, input longer than RIGHT_NUMBER_MAX_LENGTH or with a
    character outside RIGHT_NUMBER_PATTERN. NFKC alone would read more: superscript, subscript and
    circled digits (², ₂, ①), letterlike symbols (ℕ) and other compatibility forms would become
    digits and letters. Nobody types a number with them, and the document's pattern, which must
    hold everything the service accepts, does not admit them."""
    if len(raw) > RIGHT_NUMBER_MAX_LENGTH:
        shown = raw[:RIGHT_NUMBER_MAX_LENGTH]
        raise NumberFormatError(
            NumberErrorCode.BAD_FORMAT,
            f"编号“{shown}…”过长：申请号 / 注册号 / 登记号最多 {RIGHT_NUMBER_MAX_LENGTH} 个字符",
            f"number {shown!r}... is too long: a number has at most {RIGHT_NUMBER_MAX_LENGTH} "
            "characters",
        )
    stray = _NOT_A_NUMBER_CHARACTER.search(raw)
    if stray is not None:
        raise NumberFormatError(
            NumberErrorCode.BAD_FORMAT,
            f"“{raw}”含有申请号 / 注册号 / 登记号中不能出现的字符 {stray[0]!r}",
            f"{raw!r} contains {stray[0]!r}, which no application or registration number holds",
        )


def _clean(raw: str) -> str:
    # After _check_spelling: NFKC folds full-width digits, letters, '．' and '－' (and U+2011 to
    # U+2010, a dash folded below); whitespace anywhere is dropped.
    if raw.isascii():  # NFKC and the dashes leave ASCII as it is; most numbers are ASCII
        return "".join(raw.upper().split())
    text = unicodedata.normalize("NFKC", raw).translate(_DASHES).upper()
    return "".join(text.split())


def _bad_format(raw: str, what_zh: str, what_en: str, expected: str) -> NumberFormatError:
    return NumberFormatError(
        NumberErrorCode.BAD_FORMAT,
        f"“{raw}”不是有效的{what_zh}，格式应为 {expected}",
        f"{raw!r} is not a valid {what_en}; expected {expected}",
    )


def cn_application_check_digit(body: str) -> str:
    """Check character ('0'-'9' or 'X') of a CN patent application number body (12 or 8 digits)."""
    if not body.isascii() or not body.isdigit() or len(body) not in (12, 8):
        raise NumberFormatError(
            NumberErrorCode.BAD_FORMAT,
            f"“{body}”不是 12 位（或旧式 8 位）申请号主体",
            f"{body!r} is not a 12-digit (or old-style 8-digit) application number body",
        )
    weights = _WEIGHTS_NEW if len(body) == 12 else _WEIGHTS_OLD
    # The lengths agree (checked above); map over the digits costs half a generator's time.
    remainder = sum(map(mul, map(int, body), weights)) % 11
    return "X" if remainder == 10 else str(remainder)


def _parse_patent(raw: str, text: str | None = None) -> tuple[str, RightKind]:
    """(canonical number, kind by its type digit) of a CN application number, or raise.
    `text`: `raw` already cleaned (_clean), when the caller has it."""
    match = _PATENT_RE.fullmatch(_clean(raw) if text is None else text)
    if match is None:
        raise _bad_format(raw, "专利申请号", "patent application number", "201220249767.4")
    body, check = match.groups()
    expected = cn_application_check_digit(body)
    if check != expected:
        raise NumberFormatError(
            NumberErrorCode.BAD_CHECK_DIGIT,
            f"申请号“{raw}”的校验位为 {check}，应为 {expected}",
            f"application number {raw!r} has check digit {check}; expected {expected}",
        )
    type_digit = body[4] if len(body) == 12 else body[2]
    kind = _PATENT_TYPE.get(type_digit)
    if kind is None:
        raise NumberFormatError(
            NumberErrorCode.UNKNOWN_PATENT_TYPE,
            f"申请号“{raw}”的专利类型位 {type_digit} 无效（应为 1、2、3、8 或 9）",
            f"application number {raw!r} has type digit {type_digit}; expected 1, 2, 3, 8 or 9",
        )
    return f"{body}.{check}", kind


def normalize_number(kind: RightKind, raw: str) -> str:
    """Validate a number for `kind` and return its canonical form; raise NumberFormatError.

    - Patents: `DDDDDDDDDDDD.C` (old style `DDDDDDDD.C`); a leading CN / ZL, spaces and a missing
      dot are accepted; the check digit is verified, then the type digit against `kind`.
    - Trademarks: registration number of 1-10 digits (第…号 accepted), leading zeros dropped.
    - Copyright: `YYYYSR` + 6-8 digits (software) or `国作登字-YYYY-L-NNNNNNNN` (works).
    - IC layouts: `BS.` + 8-10 digits with an optional check character, not verified.
    Full-width characters are folded (NFKC) and whitespace is ignored everywhere. Before that,
    input of more than RIGHT_NUMBER_MAX_LENGTH characters, or with a character outside
    RIGHT_NUMBER_PATTERN, is refused (BAD_FORMAT): NFKC would also fold superscript or circled
    digits (², ①) into digits, which nobody types, and the document's pattern must hold every
    number accepted here.
    """
    _check_spelling(raw)
    text = _clean(raw)
    if kind in PATENT_KINDS:
        canonical, number_kind = _parse_patent(raw, text)
        if number_kind is not kind:
            raise NumberFormatError(
                NumberErrorCode.KIND_MISMATCH,
                f"申请号“{raw}”是{KIND_ZH[number_kind]}，不是{KIND_ZH[kind]}",
                f"application number {raw!r} is a {number_kind.replace('_', ' ')}, not a "
                f"{kind.replace('_', ' ')}",
            )
        return canonical
    if kind is RightKind.TRADEMARK:
        match = _TRADEMARK_RE.fullmatch(text)
        if match is None or int(match[1]) == 0:
            raise _bad_format(raw, "商标注册号", "trademark registration number", "1-10 digits")
        return str(int(match[1]))
    if kind is RightKind.COPYRIGHT:
        if (match := _SOFTWARE_RE.fullmatch(text)) is not None:
            return f"{match[1]}SR{match[2]}"
        if (match := _WORKS_RE.fullmatch(text)) is not None:
            return f"国作登字-{match[1]}-{match[2]}-{match[3]}"
        raise _bad_format(raw, "著作权登记号", "copyright registration number", _COPYRIGHT_EXAMPLES)
    if kind is RightKind.IC_LAYOUT:
        match = _IC_LAYOUT_RE.fullmatch(text)
        if match is None:
            raise _bad_format(
                raw, "集成电路布图设计登记号", "IC layout registration number", "BS.12500123.4"
            )
        digits, check = match.groups()
        return f"BS.{digits}.{check}" if check else f"BS.{digits}"
    raise ValueError(f"unknown right kind {kind!r}")  # pragma: no cover - exhaustive above


def kind_from_application_no(number: str) -> RightKind | None:
    """The kind a number denotes, or None if it is not valid for any kind it could denote.

    Patent numbers by their type digit (check digit verified), software / works copyright and IC
    layouts by their prefixes. Trademarks are never inferred: a bare 1-10 digit number is ambiguous.
    Input outside RIGHT_NUMBER_PATTERN denotes no kind.
    """
    if not is_number_spelling(number):
        return None
    text = _clean(number)
    if text.startswith("BS"):
        kind = RightKind.IC_LAYOUT
    elif "SR" in text or text.startswith("国作登字"):
        kind = RightKind.COPYRIGHT
    else:
        try:
            return _parse_patent(number, text)[1]
        except NumberFormatError:
            return None
    try:
        normalize_number(kind, number)
    except NumberFormatError:
        return None
    return kind


# --- applicants ----------------------------------------------------------------------------------
#
# The type of the first-named applicant at filing, in the categories CNIPA's statistics and the
# commercial exports use (申请人类型: 企业 / 大专院校 / 科研单位 / 个人 / 机关团体). The exports
# rarely state it, so it is read from the name. A Chinese name's head noun comes last, so the
# legal form at the end decides first (北京铁科英迈技术有限公司, 中铁西北科学研究院有限公司 are
# companies); an institute inside a university (…大学…研究所) is not a legal person of its own and
# counts as the university. The Lens exports give upper-case English names, often cut at 30
# characters, so their words are matched as words or stems. When nothing tells, "" (unknown):
# a wrong type is worse for the score than a missing one.

APPLICANT_TYPES = ("enterprise", "university", "institute", "individual", "public")
# A source's own 申请人类型 values, mapped onto ours (the incoPat-style legal-status sample says
# 科研机构; CNIPA's statistics say 科研单位).
APPLICANT_TYPE_LABELS: dict[str, str] = {
    "企业": "enterprise",
    "公司": "enterprise",
    "大专院校": "university",
    "高校": "university",
    "院校": "university",
    "科研单位": "institute",
    "科研机构": "institute",
    "个人": "individual",
    "机关团体": "public",
}

# Chinese names, checked in this order.
_ENTERPRISE_SUFFIX_ZH = re.compile(
    r"(公司|集团|厂|商行|工作室|事务所|合作社|经营部|门市部|有限合伙|合伙企业|企业)$"
)
_SCHOOL_ZH = re.compile(r"(中学|小学|幼儿园|附中|附小|党校)$")  # schools below college: public
_UNIVERSITY_ZH = ("大学", "学院", "学校")
_INSTITUTE_ZH = ("研究院", "研究所", "研究中心", "科学院", "实验室", "设计院", "研究总院")
_ENTERPRISE_ZH = ("公司", "集团", "企业", "工厂", "合作社", "商行", "工作室", "事务所")
_PUBLIC_ZH = (
    "医院", "卫生院", "保健院", "局", "厅", "委员会", "协会", "联合会", "研究会", "基金会", "商会",
    "部队", "政府", "办公室", "办事处", "管理处", "法院", "检察院", "大队", "支队", "总队",
    "站", "所", "气象台", "电视台", "广播电台", "博物馆", "图书馆", "纪念馆", "文化馆",
)  # fmt: skip
# Markers that are also common given names (张学会, 王中心): they count only in a name longer
# than a person's.
_PUBLIC_ZH_LONG = ("学会", "中心")
# A person: two to four Chinese characters, or a transliterated name joined by "·".
_PERSON_ZH = re.compile(
    r"^(?:[\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff]{1,8}(?:·[\u4e00-\u9fff]{1,8})+)$"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")

# English (Lens) names, upper case, checked in this order.
_LEGAL_FORM_EN = (
    r"CO|COMPANY|LTD|LIMITED|CORP|CORPORATION|INC|INCORPORATED|LLC|GMBH|AG|KK|SA|S A|NV|BV|PLC"
    r"|UG|SPA|SRL|SAS|OOO|ZAO|OAO|PAO|HAFTUNGSBESCHRAENKT|OTVETSTVENNOSTJU"
)
# At the end of a name only the unmistakable forms count: a cut name can end in "AG" (ACADEMY OF
# AG…) or "SA" without being a company.
_ENDS_IN_LEGAL_FORM_EN = re.compile(
    r"\b(CO|COMPANY|LTD|LIMITED|CORP|CORPORATION|INC|INCORPORATED|LLC|GMBH|PLC)$"
)
_SCHOOL_EN = re.compile(r"\b(HIGH|MIDDLE|PRIMARY|SECONDARY) SCHOOL\b")
# INST OF TECHNOLOGY is a 学院 (金陵科技学院: JINLING INST TECHNOLOGY).
_UNIVERSITY_EN = re.compile(
    r"\b(UNIV|UNIVERSITY|COLLEGE|SCHOOL|POLYTECHNIC"
    r"|INST(ITUTE)?( OF)? (TECH|TECHNOLOGY|VOCATIONAL))\b"
)
_INSTITUTE_EN = re.compile(
    r"\b(INST|INSTITUTE|ACAD|ACADEMY|LAB|LABS|LABORATORY|LABORATORIES|CAS|CAAS|CAMS|CAF"
    r"|RES (CENTER|CENTRE|CT)|RESEARCH (CENTER|CENTRE)|GESELLSCHAFT)\b"
)
_COMPANY_EN = re.compile(rf"\b({_LEGAL_FORM_EN})\b")
_PUBLIC_EN = re.compile(
    r"\b(HOSPITAL|ARMY|ARMED|POLICE|POLICES|PLA|TROOP|TROOPS|BUREAU|MINISTRY|COUNCIL|ASS"
    r"|ASSOCIATION|SOCIETY|COMMITTEE|COMMISSION|GOVERNMENT|ADMINISTRATION|STATION|OBSERVATORY"
    r"|PUBLIC SECURITY)\b"
)
_ENTERPRISE_EN = re.compile(
    r"\b(IND|INDUSTRY|INDUSTRIES|INDUSTRIAL|TECH|TECHN|TECHNOLOGY|GROUP|HOLDINGS|ELECTRONIC"
    r"|ELECTRONICS|OPTO|PLANT|FACTORY|MFG|MACH|PRODUCT|PRODUCTS|BIOLOG|TRADING|GOODS)\b"
)
# Two or three plain words: a person (HUILIAN TANG, QI YUFEN, KIM NAM-I) unless one of them
# begins like a word no person's name holds (the exports cut names: MECHANIZA, TECHNOLOGY C).
_PERSON_EN = re.compile(r"^[A-Z][A-Z'\-]*( [A-Z][A-Z'\-]*){1,2}$")
_NOT_A_PERSON_EN = re.compile(
    r"\b(AGRIC|MECHANI|SCIEN|ENGINEER|INFORMA|ELECTR|INTERNAT|DEVELOP|EQUIP|MATERIAL|AVIAT"
    r"|AERO|OPTIC|FOREST|SECURIT|SERVIC|INTELLIG|NETWORK|SYSTEM|MANUFACT|MEDIC|PHARMA|CHEMI"
    r"|ENVIRON|ENERG|POWER|NATIONAL|PROVINC|MUNICIP|COUNTY|CENTER|CENTRE|INSTRUMENT|CONSTRUCT"
    r"|DESIGN|TRADE|FOOD|HEALTH|BUILDING|SOFT|DIGITAL|CHINA|CHINESE)"
)


def _chinese_applicant_type(compact: str) -> str:
    if _ENTERPRISE_SUFFIX_ZH.search(compact):
        return "enterprise"
    if _SCHOOL_ZH.search(compact):
        return "public"
    if any(marker in compact for marker in _UNIVERSITY_ZH):
        return "university"
    if any(marker in compact for marker in _INSTITUTE_ZH):
        return "institute"
    if any(marker in compact for marker in _ENTERPRISE_ZH):
        return "enterprise"
    if compact.endswith(_PUBLIC_ZH) or (len(compact) > 4 and compact.endswith(_PUBLIC_ZH_LONG)):
        return "public"
    if _PERSON_ZH.match(compact):
        return "individual"
    return ""


def _english_applicant_type(upper: str) -> str:
    if _ENDS_IN_LEGAL_FORM_EN.search(upper):
        return "enterprise"  # …RES INST CO LTD: a company, whatever it calls itself
    if _SCHOOL_EN.search(upper):
        return "public"
    if _UNIVERSITY_EN.search(upper):
        return "university"
    if _INSTITUTE_EN.search(upper):
        return "institute"
    if _COMPANY_EN.search(upper):
        return "enterprise"
    if _PUBLIC_EN.search(upper):
        return "public"
    if _ENTERPRISE_EN.search(upper):
        return "enterprise"
    if _PERSON_EN.match(upper) and not _NOT_A_PERSON_EN.search(upper):
        return "individual"
    return ""


def applicant_type_of(name: str) -> str:
    """The type of an applicant from its name: one of APPLICANT_TYPES, or "" when the name does
    not tell.

    Chinese names (any Chinese character): a legal form at the end (…公司, …集团, …厂, …事务所)
    is an enterprise, even when the name holds 研究院; a name ending 中学/小学 a public body;
    大学/学院/学校 a university; 研究院/研究所/研究中心/科学院/实验室 an institute; 公司/集团/企业
    anywhere an enterprise; a name ending 医院/局/委员会/协会/部队/…站/…所 (学会, 中心 only after
    more than four characters) a public body; two to four Chinese characters and nothing else a
    person. English names, upper-cased, by whole words: a legal form at the end (CO LTD, CORP,
    INC, GMBH, S A) an enterprise; UNIV/COLLEGE/SCHOOL or INST OF TECHNOLOGY a university;
    INST/ACAD/LAB/CAS/RES CENTER an institute; a legal form elsewhere an enterprise;
    HOSPITAL/ARMY/BUREAU/ASSOCIATION a public body; IND/TECH/GROUP an enterprise; two or three
    plain words without an organisation's word a person."""
    text = unicodedata.normalize("NFKC", name or "").strip()
    if not text:
        return ""
    if _CJK.search(text):
        return _chinese_applicant_type("".join(text.split()))
    upper = re.sub(r"[^A-Z0-9'&\-]+", " ", text.upper()).strip()
    return _english_applicant_type(upper)


def applicants_summary(names: Iterable[str], stated_type: str = "") -> tuple[str, int | None]:
    """(the first-named applicant's type, the number of distinct applicants) of a filing.

    `stated_type` is a source's own 申请人类型 (its first value when it lists one per applicant),
    taken when it is one of APPLICANT_TYPE_LABELS; else the first name is classified. No names:
    (the stated type or "", None) - the number of applicants is unknown, never 0."""
    distinct = list(dict.fromkeys(cleaned for name in names if (cleaned := (name or "").strip())))
    stated = APPLICANT_TYPE_LABELS.get((stated_type or "").split(";")[0].strip(), "")
    if not distinct:
        return stated, None
    return stated or applicant_type_of(distinct[0]), len(distinct)
