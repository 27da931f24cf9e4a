"""What a sale of a pledge checks of the rights it moves, at the bid and at the completion: each
can still change hands (not frozen by a court, not in an ownership dispute, still in force:
ipfin.registry.selectors.refuse_untransferable, DOMAIN "a court preservation suspends
procedures") and is still the pledgor's (a right sold on the trading board with the pledgee's
consent, 民法典 art. 444 ¶2, is the buyer's). Each refusal changes nothing; each test failed
before its check."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.common.errors import Conflict
from ipfin.disposals.models import Disposal
from ipfin.disposals.services import disposal_complete
from ipfin.registry.models import RightEvent, RightOwner
from ipfin.registry.services import right_event_record
from ipfin.trading.services import (
    deal_agree,
    deal_consent,
    deal_record,
    interest_express,
    listing_create,
)

pytestmark = pytest.mark.django_db
D = Decimal


def _holders(right: Any) -> list[int]:
    rows = RightOwner.objects.filter(right=right, valid_to__isnull=True)
    return list(rows.values_list("organisation_id", flat=True))


def _sale_agreed(right: Any, seller: User, buyer: User) -> Any:
    """The pledgor's sale of the pledged right on the trading board, agreed with `buyer` at the
    asking price: it waits for the pledgee bank's consent (民法典 art. 444 ¶2)."""
    offer = listing_create(
        actor=seller,
        data={"number": right.number, "kind": "sale", "price_kind": "fixed", "price": "500000.00"},
    )
    interest = interest_express(actor=buyer, listing_id=offer.pk, message="拟购买")
    return deal_agree(actor=seller, listing_id=offer.pk, interest_id=interest.pk, price="500000.00")


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("preservation", {"court": "某区人民法院"}, "right_suspended"),
        ("invalidated", {"scope": "whole"}, "right_not_in_force"),
    ],
)
def test_a_right_frozen_by_a_court_or_invalidated_is_not_sold(
    listing: Disposal,
    bid: Callable[..., Any],
    enterprise_a: Organisation,
    enterprise_b_user: User,
    bank_a_user: User,
    examiner: User,
    event: str,
    payload: dict[str, str],
    code: str,
) -> None:
    """A right a court froze was transferred to the buyer; a buyer paid 900,000.00 for a patent
    invalidated as a whole. Now a 409 naming the right, at the completion and at a new bid."""
    (right,) = listing.rights.all()
    bid(enterprise_b_user, D("900000.00"))
    listing.refresh_from_db()
    right_event_record(
        actor=examiner, right=right, type=event, date=timezone.localdate(), payload=payload
    )
    events = RightEvent.objects.count()
    with pytest.raises(Conflict) as refused:
        disposal_complete(actor=bank_a_user, disposal=listing)
    assert (refused.value.code, refused.value.extra["number"]) == (code, right.number)
    listing.refresh_from_db()
    assert listing.state != "completed" and listing.buyer_id is None
    assert RightEvent.objects.count() == events and _holders(right) == [enterprise_a.pk]
    with pytest.raises(Conflict) as again:
        bid(enterprise_b_user, D("950000.00"))
    assert again.value.code == code


def test_minfadian_art444_a_right_the_pledgor_sold_with_consent_is_not_sold_again(
    listing: Disposal,
    bid: Callable[..., Any],
    enterprise_a_user: User,
    enterprise_b_user: User,
    bank_a_user: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> None:
    """While the bank auctioned its pledge, the pledgor sold the right on the trading board with
    the bank's consent: the auction then took it from that buyer and paid the surplus to the
    former holder. Now a 409 `pledgor_not_holder`; the trading board's buyer keeps it."""
    (right,) = listing.rights.all()
    bid(enterprise_b_user, D("900000.00"))
    listing.refresh_from_db()
    centre = make_user("centre", make_org(OrganisationKind.TRADING_CENTRE, "运营中心"))
    buyer = make_org(name="丙科技有限公司")
    deal = _sale_agreed(right, enterprise_a_user, make_user("ent_c", buyer))
    deal_consent(actor=bank_a_user, deal_id=deal.pk, decision="consent", document="同意函001")
    deal_record(actor=centre, deal_id=deal.pk)
    assert _holders(right) == [buyer.pk]
    with pytest.raises(Conflict) as refused:
        disposal_complete(actor=bank_a_user, disposal=listing)
    assert (refused.value.code, refused.value.extra["number"]) == (
        "pledgor_not_holder",
        right.number,
    )
    assert _holders(right) == [buyer.pk]


def test_the_former_holders_trading_listing_is_withdrawn_when_the_pledge_is_sold(
    listing: Disposal,
    bid: Callable[..., Any],
    enterprise_a: Organisation,
    enterprise_a_user: User,
    enterprise_b_user: User,
    bank_a_user: User,
) -> None:
    """The pledgor's listing of the right on the trading board stayed open after the pledge's
    sale, under its former holder, drawing interest in a right no longer its own. The sale now
    withdraws it (audited, the former holder told)."""
    from ipfin.accounts.models import Notification
    from ipfin.audit.models import AuditRecord
    from ipfin.trading.models import Listing

    (right,) = listing.rights.all()
    offer = listing_create(
        actor=enterprise_a_user,
        data={"number": right.number, "kind": "sale", "price_kind": "fixed", "price": "500000.00"},
    )
    bid(enterprise_b_user, D("900000.00"))
    listing.refresh_from_db()
    disposal_complete(actor=bank_a_user, disposal=listing)
    assert Listing.objects.get(pk=offer.pk).state == "withdrawn"
    record = AuditRecord.objects.get(action="trading.listing_withdraw", object_id=str(offer.pk))
    assert record.after["reason"] == "right_transferred" and record.actor_id == bank_a_user.pk
    told = Notification.objects.get(verb="trading.listing_withdraw", organisation=enterprise_a)
    assert right.number in told.message_zh


def test_a_deal_awaiting_the_pledgees_consent_lapses_when_the_pledge_is_sold_minfadian_art597(
    listing: Disposal,
    bid: Callable[..., Any],
    enterprise_a: Organisation,
    enterprise_a_user: User,
    enterprise_b_user: User,
    bank_a: Organisation,
    bank_a_user: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> None:
    """The pledgor agreed a sale on the trading board, waiting for the bank's consent, and the
    bank then sold the pledge: the deal stayed "awaiting consent" for good, the bank still asked
    to consent to the sale of a right the pledgor no longer held. Now the pledge's sale lapses
    it (the pledgee, the parties told) and the bank's answer is refused."""
    from ipfin.accounts.models import Notification
    from ipfin.trading.models import Deal

    (right,) = listing.rights.all()
    buyer = make_org(name="丙科技有限公司")
    deal = _sale_agreed(right, enterprise_a_user, make_user("ent_c", buyer))
    assert deal.state == "awaiting_consent"
    bid(enterprise_b_user, D("900000.00"))
    listing.refresh_from_db()
    disposal_complete(actor=bank_a_user, disposal=listing)
    assert Deal.objects.get(pk=deal.pk).state == "lapsed"
    told = set(
        Notification.objects.filter(verb="trading.deal_lapse").values_list(
            "organisation_id", flat=True
        )
    )
    assert told == {enterprise_a.pk, buyer.pk, bank_a.pk}
    with pytest.raises(Conflict) as refused:
        deal_consent(actor=bank_a_user, deal_id=deal.pk, decision="consent", document="同意函")
    assert refused.value.code == "deal_state_invalid"
