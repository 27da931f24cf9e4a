"""Reads of disposals, each limited to what the actor may see.

- `disposal_list` / `disposal_get`: the trading board is public (挂牌公告: anyone reads a listing,
  its reserve, its bids — bidders by their number in the listing only — and, once sold, the
  buyer and the price, which the register shows anyway). No tenant owns a listing's reading.
- `seller_disposal`: the pledgee bank's own listing, for its writes (complete); another
  organisation's is a 404, as if it did not exist.
- `settlement_visible`: how the price was applied to the loan (what repaid it, what went back to
  the pledgor, the shortfall) is the lending relationship's business: the pledgee bank, the
  pledgor, the IP office and a regulator under a supervision case read it (the loans' readers,
  `Perm.LOAN_VIEW_ALL`); the public board shows the sale without it.
- `live_claim_of`: the loan's compensation claim that is not rejected, if any (ipfin.risk).
- `board_of`: a listing as the bidding rule sees it (`opens_at`: the start of the listing day in
  the platform's time zone).
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from ipfin.accounts.permissions import Actor, Perm, tenant_scope
from ipfin.common.errors import NotFound
from ipfin.disposals.domain import Board, DisposalState
from ipfin.disposals.models import Bid, Disposal
from ipfin.risk.domain.claims import LIVE_STATES
from ipfin.risk.models import RiskClaim

__all__ = [
    "board_of",
    "disposal_get",
    "disposal_list",
    "disposal_not_found",
    "live_claim_of",
    "opens_at",
    "seller_disposal",
    "settlement_visible",
]


def disposal_not_found() -> NotFound:
    return NotFound("未找到该处置项目。", "No such disposal.", code="disposal_not_found")


def disposal_list(*, actor: Actor, state: DisposalState | None = None) -> QuerySet[Disposal]:
    """The listings of the trading board, the latest listed first (public)."""
    rows = (
        Disposal.objects.select_related("pledge", "bank", "pledgor", "buyer")
        .prefetch_related("rights")
        .annotate(bid_count=Count("bids"))
        .order_by("-listed_on", "-id")
    )
    if state is not None:
        rows = rows.filter(state=state.value)
    return rows


def disposal_get(*, actor: Actor, disposal_id: int) -> Disposal:
    """One listing with its bids, the latest first (public); NotFound otherwise."""
    disposal = (
        disposal_list(actor=actor)
        .prefetch_related(
            Prefetch("bids", queryset=Bid.objects.order_by("-placed_at", "-id")),
        )
        .filter(pk=disposal_id)
        .first()
    )
    if disposal is None:
        raise disposal_not_found()
    return disposal


def seller_disposal(*, actor: Actor, disposal_id: int) -> Disposal:
    """The actor's bank's own listing (it sells as the pledgee); NotFound for any other."""
    scope = tenant_scope(actor, "bank_id")
    rows = Disposal.objects.filter(pk=disposal_id)
    disposal = (rows if scope is None else rows.filter(scope)).first()
    if disposal is None:
        raise disposal_not_found()
    return disposal


def settlement_visible(*, actor: Actor, disposal: Disposal) -> bool:
    """Whether `actor` reads how the price was applied (see the module docstring)."""
    scope = tenant_scope(actor, "bank_id", "pledgor_id", view_all=Perm.LOAN_VIEW_ALL)
    if scope is None:
        return True
    return Disposal.objects.filter(scope, pk=disposal.pk).exists()


def live_claim_of(loan_id: int) -> RiskClaim | None:
    """The loan's compensation claim that is not rejected (at most one: ipfin.risk)."""
    return (
        RiskClaim.objects.filter(loan_id=loan_id, state__in=[s.value for s in LIVE_STATES])
        .order_by("-pk")
        .first()
    )


def opens_at(listed_on: date) -> datetime:
    """The start of the listing day, in the platform's time zone: bidding opens then."""
    return timezone.make_aware(datetime.combine(listed_on, time.min))


def board_of(disposal: Disposal) -> Board:
    """The listing as ipfin.disposals.domain's bidding rule takes it."""
    return Board(
        reserve=Decimal(disposal.reserve_price),
        increment=Decimal(disposal.increment),
        opens_at=opens_at(disposal.listed_on),
        closes_at=disposal.closes_at,
        leading=None if disposal.leading_amount is None else Decimal(disposal.leading_amount),
    )
