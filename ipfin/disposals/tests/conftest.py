"""Disposal fixtures, all through the real services: bank_a's registered pledge over enterprise_a's
right and a loan of 400,000.00 over it (the loans app's builders, disbursed 2025-01-15, three
monthly instalments at 12 %), classified 次级 by the bank on 2025-06-01 (`defaulted`); a valuation
of the right by bank_a based on a given day (cost approach: 1,000,000 → 880,000.00, so the
reserve's floor is 616,000.00); a trading centre; bidders of each kind that may bid; and `listing`:
bank_a's listing of the pledge made on LISTED (ten days ago), its close two days after the listing
day began, so that bids are placed with an explicit `now` inside that window and the sale is
completed today (the register records only what has happened: no transfer dated in the future);
`open_listing`: one listed today and open for two days, for bids on the server's clock;
`old_listing`: one listed 181 days ago (a little earlier when its period ended on a rest day:
`open_backstop_day`), which the trading centre may backstop today. `repay_in_full` and
`release_pledge`: the borrower's debt repaid and the loan closed, the pledge released, by the
loans and pledges apps' own services (what ends a listing's purpose while it is live).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.disposals.domain import backstop_from
from ipfin.disposals.models import Disposal
from ipfin.disposals.selectors import opens_at
from ipfin.disposals.services import bid_place, disposal_create
from ipfin.holidays.selectors import working_calendar
from ipfin.loans.models import Loan
from ipfin.loans.selectors import loan_position
from ipfin.loans.services import loan_classify_manual, loan_close, loan_repay

# The loans app's builders, as fixtures here too (pytest finds a fixture by its name in scope).
from ipfin.loans.tests.conftest import (  # noqa: F401
    agency_report,
    agency_user,
    lend,
    pledge_over,
    pledged,
    value_right,
)
from ipfin.pledges.models import Pledge
from ipfin.pledges.services import pledge_release
from ipfin.registry.models import Right
from ipfin.valuation.models import Valuation
from ipfin.valuation.services.valuations import valuation_create, valuation_issue

D = Decimal
CLASSIFIED_ON = date(2025, 6, 1)  # 107 days after the first instalment fell due: 次级 at least
EARLY = date(2025, 3, 1)  # 14 days after the first instalment fell due: 关注 at least
VALUE = D("880000.00")
FLOOR = D("616000.00")  # 70 % of VALUE
INCREMENT = D("10000.00")


def days_ago(n: int) -> date:
    return timezone.localdate() - timedelta(days=n)


LISTED_DAYS_AGO = 10


def open_backstop_day() -> date:
    """The latest listing day whose backstop is open today: 181 days ago, earlier when the 180th
    day after it fell on a rest day (民法典 art. 203 ¶1 moves the period's end to the next
    working day, `backstop_from`)."""
    calendar = working_calendar()
    day = days_ago(181)
    while backstop_from(day, calendar) > timezone.localdate():
        day -= timedelta(days=1)
    return day


def backstop_day(listed_on: date) -> date:
    """The first day of the backstop of a listing of `listed_on`, on the office's calendar."""
    return backstop_from(listed_on, working_calendar())


@pytest.fixture
def listed_on() -> date:
    return days_ago(LISTED_DAYS_AGO)


def opening(day: date) -> datetime:
    return opens_at(day)


def listing_body(pledge: Pledge, valuation_id: int, **kw: Any) -> dict[str, Any]:
    """A good listing of `pledge` as typed by the bank (the API's body, the form's fields): today,
    method listing, reserve 616,000.00, increment 5,000.00, closing three days later."""
    today = days_ago(0)
    return {
        "pledge_id": pledge.pk,
        "method": "listing",
        "valuation_id": valuation_id,
        "reserve_price": "616000.00",
        "increment": "5000.00",
        "listed_on": today.isoformat(),
        "closes_at": (opening(today) + timedelta(days=3)).isoformat(),
        **kw,
    }


@pytest.fixture
def value_on(bank_a_user: User) -> Callable[..., Valuation]:
    """bank_a's issued cost valuation of `rights` (default cost 1,000,000 → 880,000.00) based on
    the day `on`."""

    def make(rights: list[Right], on: date, cost: str = "1000000") -> Valuation:
        valuation = valuation_create(
            actor=bank_a_user,
            rights=[r.number for r in rights],
            method="cost",
            inputs={"cost": cost, "profit_rate": "0.1", "used_years": "2", "remaining_years": "8"},
            valuation_date=on,
        )
        return valuation_issue(actor=bank_a_user, valuation=valuation)

    return make


@pytest.fixture
def defaulted(
    enterprise_a: Organisation,
    pledge_over: Callable[..., tuple[Pledge, Right]],  # noqa: F811 - the loans app's fixture
    value_right: Callable[..., Valuation],  # noqa: F811
    lend: Callable[..., Loan],  # noqa: F811
    bank_a_user: User,
) -> Callable[..., tuple[Pledge, Right, Loan]]:
    """A new registered pledge of bank_a over a new right of enterprise_a, and bank_a's loan of
    `principal` over it classified `category` (None: left 正常) on `on` (default CLASSIFIED_ON;
    关注 needs a day at most 90 days past due, e.g. EARLY)."""

    def make(
        principal: str = "400000.00",
        category: str | None = "substandard",
        on: date = CLASSIFIED_ON,
    ) -> tuple[Pledge, Right, Loan]:
        pledge, right = pledge_over(enterprise_a)
        value_right(right)  # the valuation the loan's approval names
        loan = lend(pledge, principal=principal)
        if category is not None:
            loan = loan_classify_manual(
                actor=bank_a_user,
                loan=loan,
                category=category,
                reason="借款人经营困难，三期本息逾期未还",
                today=on,
            )
        return pledge, right, loan

    return make


@pytest.fixture
def list_pledge(
    bank_a_user: User,
    defaulted: Callable[..., tuple[Pledge, Right, Loan]],
    value_on: Callable[..., Valuation],
    listed_on: date,
) -> Callable[..., Disposal]:
    """bank_a lists a pledge (default: a new defaulted one) on `listed_on` (the listing made that
    day), reserve 616,000.00, increment 10,000.00, closing two days after the day begins, on a
    valuation of its right based a month before (unless `valuation_id` is given)."""

    def make(pledge: Pledge | None = None, **kw: Any) -> Disposal:
        actor = kw.pop("actor", bank_a_user)
        given = kw.get("listed_on", listed_on)
        day = given if isinstance(given, date) else listed_on  # a bad input: refused anyway
        if pledge is None:
            pledge, _right, _loan = defaulted()
        if "valuation_id" not in kw:
            rights = list(Right.objects.filter(pledge_items__pledge=pledge).order_by("pk"))
            kw["valuation_id"] = value_on(rights, day - timedelta(days=30)).pk
        fields: dict[str, Any] = {
            "pledge_id": pledge.pk,
            "method": "auction",
            "reserve_price": str(FLOOR),
            "increment": str(INCREMENT),
            "listed_on": given,
            "closes_at": opening(day) + timedelta(days=2),
            "today": day,
        }
        return disposal_create(actor=actor, **{**fields, **kw})

    return make


@pytest.fixture
def listing(list_pledge: Callable[..., Disposal]) -> Disposal:
    return list_pledge()


@pytest.fixture
def open_listing(list_pledge: Callable[..., Disposal]) -> Disposal:
    """Listed today, open for two days: bids over HTTP (the server's clock) are taken."""
    today = days_ago(0)
    return list_pledge(listed_on=today, today=today)


@pytest.fixture
def old_listing(list_pledge: Callable[..., Disposal]) -> Disposal:
    """Listed 181 days ago (earlier if its period ended on a rest day): the backstop is open."""
    day = open_backstop_day()
    return list_pledge(listed_on=day, today=day)


@pytest.fixture
def repay_in_full(bank_a_user: User) -> Callable[..., Loan]:
    """The borrower repays what settles the loan today (the loans app's own figure), and the bank
    closes it unless `close=False`."""

    def repay(loan: Loan, close: bool = True) -> Loan:
        loan.refresh_from_db()
        position = loan_position(loan, timezone.localdate())
        assert position is not None
        repayment = loan_repay(actor=bank_a_user, loan=loan, amount=position.amount_to_settle)
        assert repayment.full_repayment
        if close:
            loan_close(actor=bank_a_user, loan=loan)
        loan.refresh_from_db()
        return loan

    return repay


@pytest.fixture
def release_pledge(bank_a_user: User) -> Callable[..., Pledge]:
    """bank_a releases the pledge (注销登记): the debt discharged, or, while the loan is still
    owed, waiving the security with a reason."""

    def release(pledge: Pledge, waive: bool = False) -> Pledge:
        if waive:
            return pledge_release(
                actor=bank_a_user,
                pledge=pledge,
                basis="pledge_waived",
                waive_security=True,
                reason="质权人放弃质权",
            )
        return pledge_release(actor=bank_a_user, pledge=pledge)

    return release


@pytest.fixture
def centre(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(OrganisationKind.TRADING_CENTRE, "知识产权交易中心")


@pytest.fixture
def centre_user(make_user: Callable[..., User], centre: Organisation) -> User:
    return make_user("trading_centre", centre)


@pytest.fixture
def insurer_user(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> User:
    return make_user("insurer", make_org(OrganisationKind.INSURER, "丙保险公司"))


@pytest.fixture
def bid(listing: Disposal) -> Callable[..., Any]:
    """Bid `amount` on `on` (default: the listing) as `user`, `after` the listing day began."""

    def place(
        user: User,
        amount: str | Decimal,
        after: timedelta = timedelta(hours=1),
        on: Disposal | None = None,
    ) -> Any:
        target = on or listing
        return bid_place(
            actor=user,
            disposal=target,
            amount=str(amount),
            now=opening(target.listed_on) + after,
        )

    return place
