"""The trading board's fixtures: a trading centre's user, and the loans app's builders (a right of
enterprise A registered in pledge to bank A)."""

from collections.abc import Callable

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.loans.tests.conftest import (  # noqa: F401 - fixtures, found by name
    pledge_over,
)


@pytest.fixture
def centre_user(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> User:
    return make_user(
        "centre_staff", make_org(OrganisationKind.TRADING_CENTRE, "示范知识产权运营中心")
    )
