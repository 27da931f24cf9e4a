"""Bids under truly concurrent requests: eight bidders, each thread with its own database
connection, bid on one listing at the same moment. The listing's row lock takes them one at a
time: the highest valid bid leads, every accepted bid is kept and the accepted bids ascend by the
increment in the order they were taken, each bid a concurrent one overtook is a 409 `bid_too_low`
and leaves no row.

PostgreSQL only (the `postgres_only` hook in conftest.py skips these on SQLite, whose single writer
serialises the transactions anyway); the same rules one at a time are in test_bidding.py.
Source: issue 12 ("concurrent bids are safe — the highest valid bid wins, no accepted bid is lost,
a losing concurrent bid gets 409")."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from django.db import connection

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.common.tests.concurrency import THREADS, run_at_once
from ipfin.disposals.models import Bid, Disposal
from ipfin.disposals.services import bid_place
from ipfin.disposals.tests.conftest import FLOOR, INCREMENT, opening

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bidders(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> list[int]:
    return [
        make_user(f"bidder-{i}", make_org(OrganisationKind.ENTERPRISE, f"竞买企业{i}")).pk
        for i in range(THREADS)
    ]


def _bid_all_at_once(
    disposal_id: int, bidder_ids: list[int], amounts: list[Decimal]
) -> list[tuple[str, Any]]:
    # Each thread opens its connection and reads its user and the listing first, then all bid
    # together: the bids overlap, not the connections' set-up.
    ready = threading.Barrier(len(bidder_ids))

    def place(i: int) -> int:
        actor = User.objects.select_related("organisation").get(pk=bidder_ids[i])
        disposal = Disposal.objects.get(pk=disposal_id)
        at = opening(disposal.listed_on) + timedelta(hours=1, microseconds=i)
        ready.wait(timeout=30)
        return bid_place(actor=actor, disposal=disposal, amount=str(amounts[i]), now=at).pk

    return run_at_once(place)


def test_concurrent_bids_the_highest_leads_none_lost_the_overtaken_409_issue12(
    listing: Disposal, bidders: list[int]
) -> None:
    assert connection.vendor == "postgresql"
    amounts = [FLOOR + k * INCREMENT for k in range(THREADS)]
    random.Random(12).shuffle(amounts)
    outcomes = _bid_all_at_once(listing.pk, bidders, amounts)
    assert all(kind in {"ok", "conflict"} for kind, _ in outcomes), outcomes
    accepted = [pk for kind, pk in outcomes if kind == "ok"]
    assert {code for kind, code in outcomes if kind == "conflict"} <= {"bid_too_low"}
    rows = list(Bid.objects.filter(disposal=listing).order_by("pk"))
    assert sorted(accepted) == [bid.pk for bid in rows]  # no accepted bid lost, none extra
    assert all(b.amount - a.amount >= INCREMENT for a, b in pairwise(rows))  # in the lock's order
    highest = max(amounts)
    listing.refresh_from_db()
    assert rows[-1].amount == highest == listing.leading_amount
    assert listing.leading_bidder_id == rows[-1].bidder_id
    assert len(accepted) + sum(kind == "conflict" for kind, _ in outcomes) == THREADS


def test_the_same_bid_at_once_is_taken_once_issue12(listing: Disposal, bidders: list[int]) -> None:
    outcomes = _bid_all_at_once(listing.pk, bidders, [FLOOR] * THREADS)
    assert sorted(kind for kind, _ in outcomes) == ["conflict"] * (THREADS - 1) + ["ok"]
    assert {code for kind, code in outcomes if kind == "conflict"} == {"bid_too_low"}
    assert Bid.objects.filter(disposal=listing).count() == 1
