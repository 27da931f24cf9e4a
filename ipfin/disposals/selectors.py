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
- `listable_pledges` / `reserve_valuations`: the listing form's choices for the pledgee bank —
  its registered pledges securing a defaulted loan with no live listing, and for one of them the
  valuations the service would accept as the reserve's basis (the services check both again).
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from ipfin.accounts.permissions import Actor, Perm, acting_organisation, require, tenant_scope
from ipfin.common.errors import NotFound
from ipfin.disposals.domain import VALUATION_FRESH_MONTHS, Board, DisposalState
from ipfin.disposals.models import LIVE_STATES as LIVE_DISPOSAL_STATES
from ipfin.disposals.models import Bid, Disposal
from ipfin.loans.domain.status import NON_PERFORMING, LoanState
from ipfin.loans.models import Loan
from ipfin.pledges.models import Pledge, PledgeItem, PledgeStateChoices
from ipfin.registry.domain import add_months
from ipfin.risk.domain.claims import LIVE_STATES
from ipfin.risk.models import RiskClaim
from ipfin.valuation.models import Valuation
from ipfin.valuation.selectors import loan_backing_refusal, reliable_valuations_of, valuation_list

__all__ = [
    "board_of",
    "disposal_get",
    "disposal_list",
    "disposal_not_found",
    "listable_pledges",
    "live_claim_of",
    "opens_at",
    "reserve_valuations",
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


# --- the listing form's choices ------------------------------------------------------------------


def listable_pledges(*, actor: Actor) -> QuerySet[Pledge]:
    """The actor's bank's registered pledges that secure a defaulted loan (disbursed and
    classified 次级/可疑/损失, or written off: the listing service's rule) and have no live
    listing, newest first, with their active items' rights and their pledgor."""
    bank = acting_organisation(require(actor, Perm.DISPOSAL_MANAGE))
    defaulted = Loan.objects.filter(pledge=OuterRef("pk")).filter(
        Q(state=LoanState.WRITTEN_OFF.value)
        | Q(
            state__in=[LoanState.DISBURSED.value, LoanState.REPAYING.value],
            classification__in=[category.value for category in NON_PERFORMING],
        )
    )
    live = Disposal.objects.filter(pledge=OuterRef("pk"), state__in=LIVE_DISPOSAL_STATES)
    return (
        Pledge.objects.filter(pledgee_id=bank.pk, state=PledgeStateChoices.REGISTERED)
        .filter(Exists(defaulted))
        .exclude(Exists(live))
        .select_related("pledgor")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=PledgeItem.objects.filter(active=True).select_related("right"),
            )
        )
        .order_by("-effective_date", "-id")
    )


def reserve_valuations(*, actor: Actor, pledge: Pledge, today: date) -> list[Valuation]:
    """The valuations a listing of `pledge` may rest its reserve on, the latest first: those the
    pledgee may rely on as for a loan approval (`loan_backing_refusal`), of exactly the pledge's
    rights, based within the 12 months before `today` (a listing day is today or later, so an
    older one is stale for any listing)."""
    rights = frozenset(
        PledgeItem.objects.filter(pledge=pledge, active=True).values_list("right_id", flat=True)
    )
    earliest = add_months(today, -VALUATION_FRESH_MONTHS)
    within = valuation_list(actor=actor).filter(
        valuation_date__gte=earliest, valuation_date__lte=today
    )
    return [
        valuation
        for valuation, of in reliable_valuations_of(set(rights), within=within)
        if of == rights and loan_backing_refusal(valuation, bank_id=pledge.pledgee_id) is None
    ]
