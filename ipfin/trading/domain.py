"""IP operations on the trading board (知识产权运营, seeds 000 §6 and 003; issue 16): the rules of a
listing, an expression of interest and a deal, pure.

- A listing offers one right for sale (转让) or for licence (许可: exclusive 独占, sole 排他 or
  ordinary 普通) at an asking price (`fixed`: the price the holder asks, which a negotiated deal
  may still depart from) or from a reserve (`reserve`: no deal below it).
- A deal is agreed by the holder with one party that expressed interest, at a price and on a date.
  While the right is pledged (a registered pledge stands on it), the transfer or licence needs
  the pledgee's consent: 民法典 art. 444 ¶2 ("知识产权中的财产权出质后，出质人不得转让或者许可
  他人使用，但是出质人与质权人协商同意的除外"). Each pledgee consents or refuses; one refusal ends
  the deal; all consents make it ready for the trading centre to record in the register.

The states of a deal (`deal_state`): awaiting_consent → ready → recorded, or refused; or lapsed,
when the right leaves the seller before the record (its pledge sold, the office's record of a
transfer): the seller can no longer transfer or license what it no longer holds.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from ipfin.common.errors import invalid

__all__ = [
    "ConsentState",
    "DealState",
    "ListingKind",
    "PriceKind",
    "deal_price_check",
    "deal_state",
    "registry_event_type",
]


class ListingKind(StrEnum):
    SALE = "sale"  # 转让
    LICENCE = "licence"  # 许可


class PriceKind(StrEnum):
    FIXED = "fixed"  # 标价
    RESERVE = "reserve"  # 底价，协商


class ConsentState(StrEnum):
    PENDING = "pending"
    GIVEN = "given"
    REFUSED = "refused"


class DealState(StrEnum):
    AWAITING_CONSENT = "awaiting_consent"
    READY = "ready"
    RECORDED = "recorded"
    REFUSED = "refused"
    LAPSED = "lapsed"  # the right left the seller before the record


def deal_price_check(price_kind: str, asked: Decimal, agreed: Decimal) -> None:
    """A deal from a reserve is never below it (422 `below_reserve` naming `price`); an asking
    price may be negotiated either way."""
    if PriceKind(price_kind) is PriceKind.RESERVE and agreed < asked:
        raise invalid(
            "price",
            "below_reserve",
            f"成交价不能低于挂牌底价 {asked} 元。",
            f"The price may not be below the listing's reserve of {asked} yuan.",
            reserve=str(asked),
        )


def deal_state(consents: list[str]) -> DealState:
    """The deal's state from its pledgees' answers: none needed or all given → ready; any refused
    → refused; else awaiting consent (民法典 art. 444 ¶2)."""
    answers = [ConsentState(c) for c in consents]
    if ConsentState.REFUSED in answers:
        return DealState.REFUSED
    if all(a is ConsentState.GIVEN for a in answers):
        return DealState.READY
    return DealState.AWAITING_CONSENT


def registry_event_type(kind: str) -> str:
    """The register's event a deal of this listing kind is recorded as."""
    return "transfer" if ListingKind(kind) is ListingKind.SALE else "licence"
