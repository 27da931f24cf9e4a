"""The trading board's guards against selling a right twice (found in review): no second listing
while a deal of the holder on the right is live, no record of a deal whose seller no longer holds
the right, no deal dated before its listing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, User
from ipfin.registry.models import Right, RightOwner

pytestmark = pytest.mark.django_db
URL = "/api/v1/trading"


def _sale(client: Any, right: Right) -> int:
    body = {"number": right.number, "kind": "sale", "price_kind": "fixed", "price": "500000.00"}
    response = client.post_json(f"{URL}/listings", body)
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def test_a_right_with_a_live_deal_is_not_listed_again_nor_recorded_for_a_former_holder(
    make_right: Callable[..., Right],
    enterprise_a_user: User,
    enterprise_b_user: User,
    enterprise_b: Organisation,
    centre_user: User,
    api_client: Callable[..., Any],
    today: Any,
) -> None:
    right = make_right()
    seller, buyer = api_client(enterprise_a_user), api_client(enterprise_b_user)
    lid = _sale(seller, right)
    iid = buyer.post_json(f"{URL}/listings/{lid}/interests", {"message": "意向"}).json()["id"]
    early = seller.post_json(
        f"{URL}/listings/{lid}/deal",
        {"interest_id": iid, "price": "500000.00",
         "agreed_on": (today - timedelta(days=1)).isoformat()},
    )  # fmt: skip
    assert (early.status_code, early.json()["code"]) == (422, "agreed_before_listing")
    did = seller.post_json(
        f"{URL}/listings/{lid}/deal", {"interest_id": iid, "price": "500000.00"}
    ).json()["id"]
    again = seller.post_json(
        f"{URL}/listings",
        {"number": right.number, "kind": "sale", "price_kind": "fixed", "price": "1.00"},
    )
    assert (again.status_code, again.json()["code"]) == (409, "deal_pending")
    # The right leaves the seller before the record (here by the register's hand): no record.
    RightOwner.objects.filter(right=right).update(organisation=enterprise_b)
    refused = api_client(centre_user).post_json(f"{URL}/deals/{did}/record", {})
    assert (refused.status_code, refused.json()["code"]) == (409, "seller_not_holder")


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("preservation", {"court": "某区人民法院"}, "right_suspended"),
        ("invalidated", {"scope": "whole"}, "right_not_in_force"),
    ],
)
def test_a_right_frozen_or_invalidated_after_its_listing_is_neither_dealt_nor_recorded(
    make_right: Callable[..., Right],
    enterprise_a_user: User,
    enterprise_b_user: User,
    centre_user: User,
    examiner: User,
    api_client: Callable[..., Any],
    today: Any,
    event: str,
    payload: dict[str, str],
    code: str,
) -> None:
    """The listing checked the right once; the deal and its record did not look again: a court's
    frozen right, or one invalidated as a whole after its listing, was sold and recorded. Now a
    409 naming the right at the deal, and at the record of a deal agreed before."""
    from ipfin.registry.services import right_event_record
    from ipfin.trading.models import Deal

    right, other = make_right(), make_right()
    seller, buyer = api_client(enterprise_a_user), api_client(enterprise_b_user)
    lid, lid_other = _sale(seller, right), _sale(seller, other)
    iid = buyer.post_json(f"{URL}/listings/{lid}/interests", {"message": "意向"}).json()["id"]
    other_iid = buyer.post_json(
        f"{URL}/listings/{lid_other}/interests", {"message": "意向"}
    ).json()["id"]
    agreed = seller.post_json(
        f"{URL}/listings/{lid_other}/deal", {"interest_id": other_iid, "price": "500000.00"}
    )
    assert agreed.status_code == 201, agreed.content
    for target in (right, other):
        right_event_record(actor=examiner, right=target, type=event, date=today, payload=payload)
    deal = seller.post_json(
        f"{URL}/listings/{lid}/deal", {"interest_id": iid, "price": "500000.00"}
    )
    assert (deal.status_code, deal.json()["code"]) == (409, code)
    assert not Deal.objects.filter(listing_id=lid).exists()
    record = api_client(centre_user).post_json(f"{URL}/deals/{agreed.json()['id']}/record", {})
    assert (record.status_code, record.json()["code"]) == (409, code)
    assert Deal.objects.get(pk=agreed.json()["id"]).state == "ready"


def test_a_former_holder_agrees_no_deal_on_its_old_listing(
    make_right: Callable[..., Right],
    enterprise_a_user: User,
    enterprise_b_user: User,
    enterprise_b: Organisation,
    api_client: Callable[..., Any],
) -> None:
    """The right left its holder (a pledge's sale) while its listing stayed open: the former
    holder agreed a deal that could never be recorded and stayed "ready" for good. Now a 409."""
    right = make_right()
    seller, buyer = api_client(enterprise_a_user), api_client(enterprise_b_user)
    lid = _sale(seller, right)
    iid = buyer.post_json(f"{URL}/listings/{lid}/interests", {"message": "意向"}).json()["id"]
    RightOwner.objects.filter(right=right).update(organisation=enterprise_b)
    deal = seller.post_json(
        f"{URL}/listings/{lid}/deal", {"interest_id": iid, "price": "500000.00"}
    )
    assert (deal.status_code, deal.json()["code"]) == (409, "seller_not_holder")
