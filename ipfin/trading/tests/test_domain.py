"""The trading board's pure rules (ipfin.trading.domain), both ways and as properties: a deal's
state from its pledgees' answers (民法典 art. 444 ¶2) and a reserve's floor."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.common.errors import ValidationFailed
from ipfin.trading.domain import DealState, deal_price_check, deal_state, registry_event_type

answers = st.lists(st.sampled_from(["pending", "given", "refused"]), max_size=6)


def test_no_pledge_means_ready_and_all_consents_too_minfadian_art444() -> None:
    assert deal_state([]) is DealState.READY
    assert deal_state(["given", "given"]) is DealState.READY
    assert deal_state(["given", "pending"]) is DealState.AWAITING_CONSENT
    assert deal_state(["pending", "refused"]) is DealState.REFUSED


@given(answers)
def test_a_deal_is_ready_only_when_every_pledgee_consented_minfadian_art444(
    states: list[str],
) -> None:
    state = deal_state(states)
    assert (state is DealState.READY) == all(s == "given" for s in states)
    assert (state is DealState.REFUSED) == ("refused" in states)


def test_a_reserve_is_a_floor_and_an_asking_price_is_negotiable() -> None:
    deal_price_check("reserve", Decimal("100000.00"), Decimal("100000.00"))
    deal_price_check("fixed", Decimal("100000.00"), Decimal("1.00"))
    with pytest.raises(ValidationFailed) as refused:
        deal_price_check("reserve", Decimal("100000.00"), Decimal("99999.99"))
    assert (refused.value.code, refused.value.extra["field"]) == ("below_reserve", "price")


def test_a_sale_is_recorded_as_a_transfer_and_a_licence_as_a_licence() -> None:
    assert (registry_event_type("sale"), registry_event_type("licence")) == ("transfer", "licence")
