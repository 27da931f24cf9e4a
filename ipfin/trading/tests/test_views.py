"""The trading board's pages over real HTTP: the public board with the disposals beside the
listings and the figures; a holder lists a right (refusals next to their input), an enterprise
expresses interest, the holder agrees the deal, the pledgee consents, the trading centre records
it; each irreversible act asks for confirmation; another bank's deal is a 404."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from ipfin.accounts.models import Organisation, User
from ipfin.pledges.models import Pledge
from ipfin.registry.models import Right, RightEvent
from ipfin.trading.models import Deal, Listing

pytestmark = pytest.mark.django_db


def test_list_interest_deal_consent_record_through_the_pages_minfadian_art444(
    client_for: Callable[[User], Client],
    pledge_over: Callable[..., tuple[Pledge, Right]],
    enterprise_a: Organisation,
    enterprise_a_user: User,
    enterprise_b_user: User,
    bank_a_user: User,
    bank_b_user: User,
    centre_user: User,
) -> None:
    _pledge, right = pledge_over(enterprise_a)
    holder = client_for(enterprise_a_user)
    form = holder.get("/trading/new/").content.decode()
    assert f'value="{right.number}"' in form and "data-confirm=" in form
    bad = holder.post(
        "/trading/new/",
        {"number": right.number, "kind": "licence", "price_kind": "fixed", "price": "0"},
    )
    assert bad.status_code == 400 and "errorlist" in bad.content.decode()
    no_type = holder.post(
        "/trading/new/",
        {"number": right.number, "kind": "licence", "price_kind": "fixed", "price": "100000"},
    )
    assert no_type.status_code == 422 and "errorlist" in no_type.content.decode()
    done = holder.post(
        "/trading/new/",
        {
            "number": right.number, "kind": "licence", "licence_type": "ordinary",
            "price_kind": "reserve", "price": "100000.00", "terms": "普通许可三年",
        },
    )  # fmt: skip
    assert done.status_code == 302
    listing = Listing.objects.get(right=right)
    board = Client().get("/trading/").content.decode()
    assert f'data-testid="listing-link-{listing.pk}"' in board and "10.00 万元" in board
    assert 'data-testid="board-disposals"' in board and 'data-testid="board-stats"' in board

    buyer = client_for(enterprise_b_user)
    assert 'data-testid="interest-form"' in buyer.get(f"/trading/{listing.pk}/").content.decode()
    assert (
        buyer.post(
            f"/trading/{listing.pk}/interests/", {"offer": "110000", "message": "拟实施"}
        ).status_code
        == 302
    )
    page = holder.get(f"/trading/{listing.pk}/").content.decode()
    assert 'data-testid="deal-form"' in page and "11.00 万元" in page
    interest = listing.interests.get()
    low = holder.post(f"/trading/{listing.pk}/deal/", {"interest_id": interest.pk, "price": "1"})
    assert low.status_code == 422 and "errorlist" in low.content.decode()  # below the reserve
    assert (
        holder.post(
            f"/trading/{listing.pk}/deal/", {"interest_id": interest.pk, "price": "120000"}
        ).status_code
        == 302
    )
    deal = Deal.objects.get(listing=listing)
    assert client_for(bank_b_user).get(f"/trading/deals/{deal.pk}/").status_code == 404
    bank = client_for(bank_a_user)
    assert 'data-testid="deal-consent"' in bank.get(f"/trading/deals/{deal.pk}/").content.decode()
    assert (
        bank.post(f"/trading/deals/{deal.pk}/consent/", {"document": "同意函1号"}).status_code
        == 302
    )
    centre = client_for(centre_user)
    assert 'data-testid="deal-record"' in centre.get(f"/trading/deals/{deal.pk}/").content.decode()
    assert centre.post(f"/trading/deals/{deal.pk}/record/").status_code == 302
    deal.refresh_from_db()
    assert deal.state == "recorded" and RightEvent.objects.filter(pk=deal.event_id).exists()
