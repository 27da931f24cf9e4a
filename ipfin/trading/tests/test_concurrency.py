"""The trading board under truly concurrent requests (PostgreSQL only; SQLite's single writer
serialises them anyway): eight deals agreed on one listing at the same moment make one deal, the
others refused with 409 `listing_not_open`; eight parties' interests in it are each recorded once;
eight concurrent recordings of a ready deal write one event in the register."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.common.tests.concurrency import THREADS, run_at_once, while_held_open
from ipfin.registry.models import Right, RightEvent
from ipfin.trading import services
from ipfin.trading.models import Deal, Interest, Listing


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_deals_on_one_listing_make_one_and_one_register_event_issue16(
    make_right: Callable[..., Right],
    enterprise_a_user: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    centre_user: User,
) -> None:
    assert connection.vendor == "postgresql"
    right = make_right()
    listing = services.listing_create(
        actor=enterprise_a_user,
        data={"number": right.number, "kind": "sale", "price_kind": "fixed", "price": "500000"},
    )
    buyers = [
        make_user(f"buyer_{i}", make_org(OrganisationKind.ENTERPRISE, f"买方{i}有限公司"))
        for i in range(THREADS)
    ]
    buyer_ids = [b.pk for b in buyers]

    def interest(i: int) -> int:
        actor = User.objects.select_related("organisation").get(pk=buyer_ids[i])
        return services.interest_express(actor=actor, listing_id=listing.pk, message="意向").pk

    assert sorted(kind for kind, _ in run_at_once(interest)) == ["ok"] * THREADS
    assert Interest.objects.filter(listing=listing).count() == THREADS
    interest_ids = list(Interest.objects.filter(listing=listing).values_list("pk", flat=True))
    seller_id = enterprise_a_user.pk

    def agree(i: int) -> int:
        actor = User.objects.select_related("organisation").get(pk=seller_id)
        return services.deal_agree(
            actor=actor, listing_id=listing.pk, interest_id=interest_ids[i], price="500000"
        ).pk

    results = run_at_once(agree)
    assert sorted(kind for kind, _ in results) == ["conflict"] * (THREADS - 1) + ["ok"], results
    assert {code for kind, code in results if kind == "conflict"} == {"listing_not_open"}
    deal = Deal.objects.get(listing=listing)
    centre_id = centre_user.pk

    def record(_i: int) -> int:
        actor = User.objects.select_related("organisation").get(pk=centre_id)
        return services.deal_record(actor=actor, deal_id=deal.pk).pk

    recorded = run_at_once(record)
    assert sorted(kind for kind, _ in recorded) == ["conflict"] * (THREADS - 1) + ["ok"], recorded
    assert RightEvent.objects.filter(right=right, type="transfer").count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_relisting_while_a_deal_commits_waits_for_it_and_is_refused(
    make_right: Callable[..., Right],
    enterprise_a_user: User,
    enterprise_b_user: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The holder lists the right again while a deal on its listing is being agreed (the deal's
    transaction held open at its audit record): the relisting waits for the deal to commit and
    is refused, 409 `deal_pending`. It had read no deal yet, then passed the unique index once
    the old listing was dealt: a second open listing of a right under a live deal."""
    assert connection.vendor == "postgresql"
    right = make_right()
    sale = {"number": right.number, "kind": "sale", "price_kind": "fixed", "price": "500000"}
    listing = services.listing_create(actor=enterprise_a_user, data=sale)
    interest = services.interest_express(
        actor=enterprise_b_user, listing_id=listing.pk, message="意向"
    )
    seller_id = enterprise_a_user.pk

    def agree() -> int:
        actor = User.objects.select_related("organisation").get(pk=seller_id)
        return services.deal_agree(
            actor=actor, listing_id=listing.pk, interest_id=interest.pk, price="500000"
        ).pk

    def relist() -> int:
        actor = User.objects.select_related("organisation").get(pk=seller_id)
        return services.listing_create(actor=actor, data=sale).pk

    agreed, relisted = while_held_open(monkeypatch, services, "trading.deal_agree", agree, relist)
    assert agreed[0] == "ok" and isinstance(agreed[1], int)
    assert relisted == ("conflict", "deal_pending")
    assert not Listing.objects.filter(right=right, state="open").exists()
