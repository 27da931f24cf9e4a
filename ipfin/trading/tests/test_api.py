"""The trading board over the real HTTP stack and the real register (issue 16, 知识产权运营): a
holder lists a right for sale or licence, enterprises express interest, the holder agrees a deal
with one, the pledgee of a pledged right consents or refuses (民法典 art. 444 ¶2), a trading centre
records the deal in the register as a transfer or a licence; the board and its figures are
public, a deal its parties'."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from ipfin.accounts.models import Notification, Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.pledges.models import Pledge
from ipfin.pledges.samples import other_party_confirms
from ipfin.pledges.services import pledge_decide, pledge_submit
from ipfin.pledges.tests.factories import signer_for
from ipfin.registry.models import Right, RightEvent, RightOwner
from ipfin.trading.models import Deal, Listing

pytestmark = pytest.mark.django_db
URL = "/api/v1/trading"


def _list(client: Any, right: Right, **change: Any) -> Any:
    body = {"number": right.number, "kind": "sale", "price_kind": "fixed", "price": "500000.00"}
    return client.post_json(f"{URL}/listings", {**body, **change})


def test_sale_listed_interest_deal_recorded_as_a_transfer_issue16_seed003(
    make_right: Callable[..., Right],
    enterprise_a_user: User,
    enterprise_b_user: User,
    enterprise_b: Organisation,
    centre_user: User,
    api_client: Callable[..., Any],
) -> None:
    right = make_right()
    seller, buyer = api_client(enterprise_a_user), api_client(enterprise_b_user)
    listed = _list(seller, right, terms="含全部技术资料，协助办理变更登记")
    assert listed.status_code == 201, listed.content
    lid = listed.json()["id"]
    # The board is public.
    board = api_client(None).get(f"{URL}/listings").json()
    assert [x["id"] for x in board] == [lid] and board[0]["price"] == "500000.00"
    assert _list(seller, right).json()["code"] == "listing_exists"
    # An interest, once per party; never the holder's own.
    interest = buyer.post_json(
        f"{URL}/listings/{lid}/interests", {"offer": "450000.00", "message": "拟用于产线升级"}
    )
    assert interest.status_code == 201, interest.content
    again = buyer.post_json(f"{URL}/listings/{lid}/interests", {"message": "再次"})
    assert (again.status_code, again.json()["code"]) == (409, "interest_exists")
    own = seller.post_json(f"{URL}/listings/{lid}/interests", {"message": "自己"})
    assert (own.status_code, own.json()["code"]) == (409, "own_listing")
    assert [i["id"] for i in seller.get(f"{URL}/interests").json()] == [interest.json()["id"]]
    # No pledge stands: the deal is ready at once.
    deal = seller.post_json(
        f"{URL}/listings/{lid}/deal", {"interest_id": interest.json()["id"], "price": "480000.00"}
    )
    assert deal.status_code == 201, deal.content
    assert (deal.json()["state"], deal.json()["consents"]) == ("ready", [])
    assert Listing.objects.get(pk=lid).state == "dealt"
    # The trading centre records it: a transfer in the register, the buyer the sole holder.
    recorded = api_client(centre_user).post_json(f"{URL}/deals/{deal.json()['id']}/record", {})
    assert recorded.status_code == 200, recorded.content
    event = RightEvent.objects.get(pk=recorded.json()["event_id"])
    assert (event.type, event.payload["price"]) == ("transfer", "480000.00")
    holders = RightOwner.objects.filter(right=right, valid_to__isnull=True)
    assert [h.organisation_id for h in holders] == [enterprise_b.pk]
    # The figures: one sale listed, agreed and recorded, 480,000.00.
    stats = api_client(None).get(f"{URL}/stats").json()
    assert stats[0] | {"year": 0} == {
        "year": 0, "kind": "sale", "listed": 1, "agreed": 1, "recorded": 1, "value": "480000.00",
    }  # fmt: skip
    again = api_client(centre_user).post_json(f"{URL}/deals/{deal.json()['id']}/record", {})
    assert (again.status_code, again.json()["code"]) == (409, "deal_state_invalid")
    assert {"trading.listing_create", "trading.deal_agree", "trading.deal_record"} <= set(
        AuditRecord.objects.values_list("action", flat=True)
    )


def test_a_licence_of_a_pledged_right_waits_for_the_pledgees_consent_minfadian_art444(
    pledge_over: Callable[..., tuple[Pledge, Right]],
    enterprise_a: Organisation,
    enterprise_a_user: User,
    enterprise_b_user: User,
    bank_a_user: User,
    bank_b_user: User,
    centre_user: User,
    api_client: Callable[..., Any],
) -> None:
    pledge, right = pledge_over(enterprise_a)
    seller, buyer = api_client(enterprise_a_user), api_client(enterprise_b_user)
    lid = _list(
        seller, right, kind="licence", licence_type="ordinary", price_kind="reserve",
        price="100000.00",
    ).json()["id"]  # fmt: skip
    # The pledgee is told of the listing at once.
    assert Notification.objects.filter(
        organisation_id=bank_a_user.organisation_id, verb="trading.listing_create"
    ).exists()
    iid = buyer.post_json(f"{URL}/listings/{lid}/interests", {"message": "普通许可"}).json()["id"]
    low = seller.post_json(f"{URL}/listings/{lid}/deal", {"interest_id": iid, "price": "90000.00"})
    assert (low.status_code, low.json()["code"], low.json()["field"]) == (
        422, "below_reserve", "price",
    )  # fmt: skip
    deal = seller.post_json(
        f"{URL}/listings/{lid}/deal", {"interest_id": iid, "price": "120000.00"}
    ).json()
    assert deal["state"] == "awaiting_consent"
    assert [(c["registration_no"], c["state"]) for c in deal["consents"]] == [
        (pledge.registration_no, "pending")
    ]
    did = deal["id"]
    centre = api_client(centre_user)
    early = centre.post_json(f"{URL}/deals/{did}/record", {})
    assert (early.status_code, early.json()["code"]) == (409, "deal_state_invalid")
    # Another bank is no party; the pledgee names its consent letter.
    assert api_client(bank_b_user).get(f"{URL}/deals/{did}").status_code == 404
    stranger = api_client(bank_b_user).post_json(
        f"{URL}/deals/{did}/consent", {"decision": "consent", "document": "X"}
    )
    assert stranger.status_code == 404
    bank = api_client(bank_a_user)
    bare = bank.post_json(f"{URL}/deals/{did}/consent", {"decision": "consent"})
    assert (bare.status_code, bare.json()["field"]) == (422, "document")
    given = bank.post_json(
        f"{URL}/deals/{did}/consent", {"decision": "consent", "document": "甲银同意〔2026〕12号"}
    ).json()
    assert given["state"] == "ready"
    recorded = centre.post_json(f"{URL}/deals/{did}/record", {}).json()
    event = RightEvent.objects.get(pk=recorded["event_id"])
    assert (event.type, event.payload["licence_type"], event.payload["pledgee_consent"]) == (
        "licence", "ordinary", True,
    )  # fmt: skip
    assert "甲银同意〔2026〕12号" in event.payload["consent_document"]


def test_a_pledgees_refusal_ends_the_deal_and_reopens_the_listing_minfadian_art444(
    pledge_over: Callable[..., tuple[Pledge, Right]],
    enterprise_a: Organisation,
    enterprise_a_user: User,
    enterprise_b_user: User,
    bank_a_user: User,
    api_client: Callable[..., Any],
) -> None:
    _pledge, right = pledge_over(enterprise_a)
    seller, buyer = api_client(enterprise_a_user), api_client(enterprise_b_user)
    lid = _list(seller, right).json()["id"]
    iid = buyer.post_json(f"{URL}/listings/{lid}/interests", {"message": "转让"}).json()["id"]
    did = seller.post_json(
        f"{URL}/listings/{lid}/deal", {"interest_id": iid, "price": "500000.00"}
    ).json()["id"]
    bank = api_client(bank_a_user)
    bare = bank.post_json(f"{URL}/deals/{did}/consent", {"decision": "refuse"})
    assert (bare.status_code, bare.json()["field"]) == (422, "reason")
    refused = bank.post_json(
        f"{URL}/deals/{did}/consent", {"decision": "refuse", "reason": "贷款未结清，质物不得转让"}
    ).json()
    assert refused["state"] == "refused"
    assert Listing.objects.get(pk=lid).state == "open"
    # A new deal may be agreed on the reopened listing.
    second = seller.post_json(
        f"{URL}/listings/{lid}/deal", {"interest_id": iid, "price": "520000.00"}
    )
    assert second.status_code == 201 and Deal.objects.filter(listing_id=lid).count() == 2


def test_only_a_right_held_now_and_whole_for_a_sale_may_be_listed_zhuanlifa_art14(
    make_right: Callable[..., Right],
    enterprise_a: Organisation,
    enterprise_b: Organisation,
    enterprise_a_user: User,
    enterprise_b_user: User,
    bank_a_user: User,
    api_client: Callable[..., Any],
) -> None:
    mine = make_right()
    shared = make_right(owners=[enterprise_a, enterprise_b])
    theirs = api_client(enterprise_b_user)
    assert _list(theirs, mine).json()["code"] == "right_not_owned"
    co = _list(api_client(enterprise_a_user), shared)
    assert (co.status_code, co.json()["code"]) == (422, "right_co_owned")
    ordinary = _list(api_client(enterprise_a_user), shared, kind="licence", licence_type="ordinary")
    assert ordinary.status_code == 201, ordinary.content
    assert _list(api_client(bank_a_user), mine).status_code == 403  # banks list no rights
    # Only the holder withdraws.
    lid = ordinary.json()["id"]
    assert theirs.post_json(f"{URL}/listings/{lid}/withdraw", {}).status_code == 404
    done = api_client(enterprise_a_user).post_json(f"{URL}/listings/{lid}/withdraw", {}).json()
    assert done["state"] == "withdrawn"
    assert api_client(None).get(f"{URL}/listings").json() == []


def test_a_pledge_registered_after_the_deal_needs_its_pledgees_consent_minfadian_art444(
    make_right: Callable[..., Right],
    enterprise_a: Organisation,
    enterprise_a_user: User,
    enterprise_b_user: User,
    bank_a_user: User,
    examiner: User,
    centre_user: User,
    upload_contract: Callable[..., Any],
    today: date,
    api_client: Callable[..., Any],
) -> None:
    """A sale agreed with no pledge standing is ready; the seller then pledges the right to bank
    A. Recording the sale now would pass a pledged right without its pledgee's consent (民法典
    art. 444 ¶2): the centre is refused (409 `pledgee_consent_required`), bank A is asked and
    told, and the deal waits for its answer; once it consents, the sale is recorded. The
    register had checked the pledges of the deal's day only, and recorded it."""
    right = make_right()
    seller, buyer = api_client(enterprise_a_user), api_client(enterprise_b_user)
    lid = _list(seller, right).json()["id"]
    iid = buyer.post_json(f"{URL}/listings/{lid}/interests", {"message": "意向"}).json()["id"]
    deal = seller.post_json(f"{URL}/listings/{lid}/deal", {"interest_id": iid, "price": "500000"})
    assert deal.json()["state"] == "ready"
    did = deal.json()["id"]
    pledge, _checks = pledge_submit(
        actor=bank_a_user, pledgor_uscc=enterprise_a.uscc or "", rights=[right.number],
        debt_amount="3000000.00", term_start=today, term_end=today + timedelta(days=365),
        contract_no="ZY-T-00001",
    )  # fmt: skip
    signer_for(enterprise_a)
    pledge = other_party_confirms(pledge)
    upload_contract(pledge)
    pledge = pledge_decide(actor=examiner, pledge=pledge, decision="approve")
    centre, bank = api_client(centre_user), api_client(bank_a_user)
    refused = centre.post_json(f"{URL}/deals/{did}/record", {})
    assert (refused.status_code, refused.json()["code"]) == (409, "pledgee_consent_required")
    assert refused.json()["pledgees"] == [bank_a_user.organisation_id]
    waiting = bank.get(f"{URL}/deals/{did}").json()
    assert waiting["state"] == "awaiting_consent"
    assert [(c["registration_no"], c["state"]) for c in waiting["consents"]] == [
        (pledge.registration_no, "pending")
    ]
    assert Notification.objects.filter(
        organisation_id=bank_a_user.organisation_id, verb="trading.deal_consent_asked"
    ).exists()
    assert not RightEvent.objects.filter(right=right, type="transfer").exists()
    assert AuditRecord.objects.filter(action="trading.deal_consent_asked").count() == 1
    given = bank.post_json(
        f"{URL}/deals/{did}/consent", {"decision": "consent", "document": "甲银同意〔2026〕3号"}
    ).json()
    assert given["state"] == "ready"
    recorded = centre.post_json(f"{URL}/deals/{did}/record", {})
    assert recorded.status_code == 200, recorded.content
    event = RightEvent.objects.get(pk=recorded.json()["event_id"])
    assert (event.type, event.payload["pledgee_consent"]) == ("transfer", True)
