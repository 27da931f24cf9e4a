"""GET /api/v1/stats/park-growth: 入园惠企 (seed 001), each park against the 20% target."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ipfin.accounts.models import OrganisationKind, User
from ipfin.stats.tests.conftest import Book

pytestmark = pytest.mark.django_db
URL = "/api/v1/stats/park-growth"


def test_a_park_with_loans_only_this_year_has_no_base_and_is_listed_apart(
    book: Book, regulator_user: User, api_client: Callable[..., Any], make_org: Callable[..., Any]
) -> None:
    empty = make_org(OrganisationKind.PARK, "空园区")
    # E_a (in P) borrowed L3 in 2024 and L1 in 2025.
    body = api_client(regulator_user).get(URL, {"year": 2025}).json()
    assert body["target"] == "0.200000"
    assert body["parks"] == [
        {
            "park": {"id": book.park.pk, "name": "示范园区P"},
            "projects": 1,
            "amount": "400000.00",
            "prev_projects": 1,
            "prev_amount": "300000.00",
            "projects_growth": "0.000000",  # 1 → 1
            "amount_growth": "0.333333",  # (400,000 − 300,000) ÷ 300,000
            "meets_target": False,  # the projects did not grow
        }
    ]
    assert [row["park"]["id"] for row in body["without_base"]] == [empty.pk]
    assert body["without_base"][0]["projects_growth"] is None
    this_year = api_client(regulator_user).get(URL, {"year": 2024}).json()
    p = next(row for row in this_year["without_base"] if row["park"]["id"] == book.park.pk)
    assert (p["projects"], p["amount"], p["meets_target"]) == (1, "300000.00", False)


def test_a_park_reads_its_own_growth_only(
    book: Book,
    make_user: Callable[..., User],
    make_org: Callable[..., Any],
    api_client: Callable[..., Any],
) -> None:
    make_org(OrganisationKind.PARK, "另一园区")
    body = api_client(make_user("park-p", book.park)).get(URL, {"year": 2025}).json()
    assert [row["park"]["id"] for row in body["parks"] + body["without_base"]] == [book.park.pk]


def test_a_bank_sees_the_parks_of_its_own_loans(
    book: Book, bank_a_user: User, api_client: Callable[..., Any]
) -> None:
    body = api_client(bank_a_user).get(URL, {"year": 2025}).json()
    # bank_a lent only in 2025 (L1 to E_a in P): no base year in its own book.
    assert body["parks"] == []
    assert [(r["park"]["id"], r["amount"]) for r in body["without_base"]] == [
        (book.park.pk, "400000.00")
    ]


@pytest.mark.parametrize("year", ["1900", "3000", "abc", ""])
def test_a_bad_year_is_a_422(
    regulator_user: User, api_client: Callable[..., Any], year: str
) -> None:
    response = api_client(regulator_user).get(URL, {"year": year})
    assert response.status_code == 422
    assert "year" in response.content.decode()
