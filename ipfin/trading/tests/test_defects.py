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


def _agreed(seller: Any, buyer: Any, right: Right) -> tuple[int, int]:
    """The right listed for sale by `seller`, `buyer`'s interest, a deal agreed at the asking
    price: the listing's and the deal's ids."""
    lid = _sale(seller, right)
    iid = buyer.post_json(f"{URL}/listings/{lid}/interests", {"message": "意向"}).json()["id"]
    deal = seller.post_json(
        f"{URL}/listings/{lid}/deal", {"interest_id": iid, "price": "500000.00"}
    )
    assert deal.status_code == 201, deal.content
    return lid, int(deal.json()["id"])


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


@pytest.mark.parametrize("to_buyer", [False, True], ids=["to_a_third_party", "to_the_buyer"])
def test_a_deal_lapses_when_its_right_is_transferred_before_the_record_minfadian_art597(
    make_right: Callable[..., Right],
    make_org: Callable[..., Organisation],
    enterprise_a_user: User,
    enterprise_b_user: User,
    enterprise_b: Organisation,
    centre_user: User,
    examiner: User,
    api_client: Callable[..., Any],
    client_for: Callable[[User], Any],
    today: Any,
    to_buyer: bool,
) -> None:
    """A deal agreed, then the right transferred by the office's record before the centre
    recorded the deal: the record was refused (409 `seller_not_holder`) but the deal stayed
    "ready" for good, its listing "dealt", no one able to end it. Now the transfer lapses it,
    audited, the listing withdrawn, both parties told; the record answers that the deal is
    lapsed. To a third party, the page gives the buyer's remedy (民法典 art. 597 ¶1: the seller
    can no longer pass what it no longer holds); to the deal's own buyer, it says the buyer has
    the right and nothing is left to record (no remedy quoted: ownership did pass)."""
    from ipfin.accounts.models import Notification
    from ipfin.audit.models import AuditRecord
    from ipfin.registry.services import right_event_record
    from ipfin.trading.models import Deal, Listing

    right = make_right()
    lid, did = _agreed(api_client(enterprise_a_user), api_client(enterprise_b_user), right)
    taker = enterprise_b if to_buyer else make_org(name="丁科技有限公司")
    owners = [{"name": taker.name, "uscc": taker.uscc}]
    right_event_record(
        actor=examiner, right=right, type="transfer", date=today, payload={"owners": owners}
    )
    deal = Deal.objects.get(pk=did)
    assert deal.state == "lapsed"
    assert Listing.objects.get(pk=lid).state == "withdrawn"
    record = AuditRecord.objects.get(action="trading.deal_lapse", object_id=str(did))
    assert (record.before["state"], record.after["state"]) == ("ready", "lapsed")
    reason = "transferred_to_buyer" if to_buyer else "right_transferred"
    assert record.after["reason"] == reason and record.actor_id == examiner.pk
    told = Notification.objects.filter(verb="trading.deal_lapse")
    assert set(told.values_list("organisation_id", flat=True)) == {
        deal.seller_id,
        deal.counterparty_id,
    }
    assert ("买方" in told.first().message_zh) is to_buyer  # type: ignore[union-attr]
    refused = api_client(centre_user).post_json(f"{URL}/deals/{did}/record", {})
    assert (refused.status_code, refused.json()["code"]) == (409, "deal_state_invalid")
    shown = api_client(enterprise_a_user).get(f"{URL}/deals/{did}")
    assert shown.status_code == 200 and shown.json()["state"] == "lapsed"
    page = client_for(enterprise_b_user)
    zh = page.get(f"/trading/deals/{did}/").content.decode()
    assert "已失效" in zh and 'data-testid="deal-record"' not in zh
    assert ("民法典第五百九十七条第一款" in zh) is not to_buyer
    assert ("另行登记转让给本交易的买方" in zh) is to_buyer
    page.cookies["ipfin_language"] = "en"
    en = page.get(f"/trading/deals/{did}/").content.decode()
    assert "Lapsed" in en and ("art. 597" in en) is not to_buyer
    assert ("transferred to this deal's buyer" in en) is to_buyer


def test_recording_a_sale_does_not_lapse_the_deal_it_records(
    make_right: Callable[..., Right],
    enterprise_a_user: User,
    enterprise_b_user: User,
    enterprise_b: Organisation,
    centre_user: User,
    api_client: Callable[..., Any],
) -> None:
    """The record's own transfer makes the seller a former holder, and the register announces
    it: the deal being recorded must end recorded, not lapsed by that announcement."""
    from ipfin.audit.models import AuditRecord
    from ipfin.trading.models import Deal

    right = make_right()
    _lid, did = _agreed(api_client(enterprise_a_user), api_client(enterprise_b_user), right)
    recorded = api_client(centre_user).post_json(f"{URL}/deals/{did}/record", {})
    assert recorded.status_code == 200, recorded.content
    deal = Deal.objects.get(pk=did)
    assert deal.state == "recorded" and deal.event_id is not None
    now = RightOwner.objects.filter(right=right, valid_to__isnull=True)
    assert set(now.values_list("organisation", flat=True)) == {enterprise_b.pk}
    assert not AuditRecord.objects.filter(action="trading.deal_lapse").exists()
