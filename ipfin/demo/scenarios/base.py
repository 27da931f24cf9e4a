"""What every scenario shares: the demo password, its past relative to today, the logins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ipfin.accounts.models import Organisation, Role, User
from ipfin.accounts.services import user_create
from ipfin.portal.demo_accounts import DEMO_PASSWORD
from ipfin.registry.domain import add_months
from ipfin.registry.models import Right


@dataclass(frozen=True)
class History:
    """The demo's past, relative to today: two pledges registered half a year ago, the loans
    granted on them since (bank A's disbursed four and a bit months ago, bank B's three)."""

    today: date
    pledges_filed: date
    pledges_registered: date
    valued: date
    loan_a_disbursed: date
    loan_b_disbursed: date

    @classmethod
    def ending(cls, today: date) -> History:
        filed = add_months(today, -6)
        return cls(
            today=today,
            pledges_filed=filed,
            pledges_registered=filed + timedelta(days=3),
            valued=filed + timedelta(days=7),
            loan_a_disbursed=add_months(today, -4) - timedelta(days=20),
            loan_b_disbursed=add_months(today, -3) - timedelta(days=5),
        )

    @property
    def loan_a_late_payment(self) -> date:
        """Bank A's loan's third instalment, paid 9 days late (penalty interest)."""
        return add_months(self.loan_a_disbursed, 3) + timedelta(days=9)


def login(
    username: str, organisation: Organisation, *, role: str = Role.MEMBER, first_name: str = ""
) -> User:
    """A demo login (password DEMO_PASSWORD), created by the platform's setup (audited)."""
    return user_create(
        username=username,
        password=DEMO_PASSWORD,
        organisation=organisation,
        role=role,
        first_name=first_name,
    )


def demo_right(title: str) -> Right:
    """A generated demo right by its title (titles are unique among them)."""
    return Right.objects.get(source="demo", title=title)
