"""Pledge fixtures of their own: the examiner's API client. The rights and applications the pledge
tests build come from the root conftest (entered through the real registry and pledge services)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from ipfin.accounts.models import User
from ipfin.pledges.models import Pledge
from ipfin.pledges.services import pledge_decide
from ipfin.registry.domain import add_years, annuity_due_date
from ipfin.registry.models import Right


@pytest.fixture
def examiner_api(api_client: Callable[..., Any], examiner: User) -> Any:
    return api_client(examiner)


# --- annuity deposits (预缴年费) ---------------------------------------------------------------


@dataclass(frozen=True)
class DepositCase:
    """A pledge registered on `registered_on` (in the past) over `rights` (`right`, the first),
    inventions filed the same day whose annuities up to then are paid; `due` maps each patent year
    to its due date (专利法实施细则 r. 115: the filing anniversary). Years 3 .. 2 + span fall due
    between the registration and today (the last ten days ago), year 3 + span within the debt
    term, after today."""

    pledge: Pledge
    rights: list[Right]
    registered_on: date
    due: dict[int, date]

    @property
    def right(self) -> Right:
        return self.rights[0]


@pytest.fixture
def make_deposit_case(
    make_right: Callable[..., Right],
    pay_annuities: Callable[..., None],
    submit: Callable[..., tuple[Pledge, Any]],
    upload_contract: Callable[..., Any],
    examiner: User,
    today: date,
) -> Callable[..., DepositCase]:
    def make(span: int = 1, rights: int = 1) -> DepositCase:
        last_past_due = today - timedelta(days=10)
        filing = add_years(last_past_due, -(span + 1))
        grant = add_years(filing, 1)  # first annuity year 2, due on the grant date
        due = {y: annuity_due_date(filing, grant, y) for y in range(2, span + 5)}
        registered_on = due[3] - timedelta(days=30)
        made = []
        for _ in range(rights):
            right = make_right(filing_date=filing, grant_date=grant, paid=False)
            pay_annuities(right, until=registered_on - timedelta(days=1))  # year 2
            made.append(right)
        term_end = due[span + 3] + timedelta(days=5)  # year span + 4 falls after the term
        pledge, _checks = submit(
            made, today=registered_on, term_start=registered_on, term_end=term_end
        )
        upload_contract(pledge)
        pledge = pledge_decide(
            actor=examiner, pledge=pledge, decision="approve", today=registered_on
        )
        assert pledge.state == "registered" and pledge.effective_date == registered_on
        return DepositCase(pledge=pledge, rights=made, registered_on=registered_on, due=due)

    return make


@pytest.fixture
def deposit_case(make_deposit_case: Callable[..., DepositCase]) -> DepositCase:
    """Years 3 (due ten days ago, 900.00) and 4 (due in about a year, 1,200.00) in the term."""
    return make_deposit_case()
