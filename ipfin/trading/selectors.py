"""Reads of the trading board (知识产权运营): the board and a listing are public (挂牌公告, as the
disposals' board is); expressions of interest are their party's and the listing holder's; a deal
is its parties' (the holder, the counterparty, the pledgees asked to consent) and every trading
centre's (which records them); the statistics are public aggregates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear

from ipfin.accounts.permissions import Actor, Perm, require_login, tenant_scope
from ipfin.common.errors import NotFound
from ipfin.common.money import money_str
from ipfin.trading.models import Deal, Interest, Listing

__all__ = [
    "deal_get",
    "deal_list",
    "deal_went_to_buyer",
    "interest_list",
    "listing_board",
    "listing_get",
    "trade_stats",
]


def listing_board(*, kind: str | None = None) -> QuerySet[Listing]:
    """The open listings, the latest first (public)."""
    rows = Listing.objects.filter(state="open").select_related("right", "owner")
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("-listed_on", "-id")


def listing_get(*, listing_id: int) -> Listing:
    """One listing, whatever its state (public); 404 otherwise."""
    found = Listing.objects.select_related("right", "owner").filter(pk=listing_id).first()
    if found is None:
        raise NotFound("未找到该挂牌。", "No such listing.", code="listing_not_found")
    return found


def interest_list(*, actor: Actor) -> QuerySet[Interest]:
    """The caller's expressions of interest and those in the caller's listings, newest first."""
    require_login(actor)
    scope = tenant_scope(actor, "party_id", "listing__owner_id")
    return (
        Interest.objects.filter(scope if scope is not None else Q())
        .select_related("listing__right", "party")
        .order_by("-created_at", "-id")
    )


def deal_list(*, actor: Actor) -> QuerySet[Deal]:
    require_login(actor)
    rows = Deal.objects.select_related("listing__right", "seller", "counterparty")
    scope = tenant_scope(
        actor, "seller_id", "counterparty_id", "consents__pledgee_id", view_all=Perm.TRADE_RECORD
    )
    if scope is not None:
        rows = rows.filter(pk__in=Deal.objects.filter(scope).values("pk"))
    return rows.prefetch_related("consents__pledgee").order_by("-agreed_on", "-id")


def deal_get(*, actor: Actor, deal_id: int) -> Deal:
    found = deal_list(actor=actor).filter(pk=deal_id).first()
    if found is None:
        raise NotFound("未找到该交易。", "No such deal.", code="deal_not_found")
    return found


def deal_went_to_buyer(deal: Deal) -> bool:
    """Whether a lapsed sale lapsed because its right went to its own buyer by another record
    (ipfin.trading.services.deals_lapse_after_transfer), as its audit record says."""
    from ipfin.audit.models import AuditRecord

    lapse = (
        AuditRecord.objects.filter(action="trading.deal_lapse", object_id=str(deal.pk))
        .order_by("-id")
        .values_list("after", flat=True)
        .first()
    )
    return isinstance(lapse, dict) and lapse.get("reason") == "transferred_to_buyer"


def trade_stats() -> list[dict[str, Any]]:
    """The board's figures by year (public; one aggregate query per table): listings made, deals
    agreed and recorded, and the recorded deals' value, by kind (转让, 许可)."""
    listed = (
        Listing.objects.annotate(year=ExtractYear("listed_on"))
        .values("year", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    dealt = (
        Deal.objects.exclude(state="refused")
        .annotate(year=ExtractYear("agreed_on"))
        .values("year", "kind")
        .annotate(
            agreed=Count("id"),
            recorded=Count("id", filter=Q(state="recorded")),
            value=Sum("price", filter=Q(state="recorded")),
        )
        .order_by()
    )
    table: dict[tuple[int, str], dict[str, Any]] = {}

    def row(year: int, kind: str) -> dict[str, Any]:
        return table.setdefault(
            (year, kind),
            {"year": year, "kind": kind, "listed": 0, "agreed": 0, "recorded": 0, "value": "0.00"},
        )

    for made in listed:
        row(made["year"], made["kind"])["listed"] = made["n"]
    for done in dealt:
        entry = row(done["year"], done["kind"])
        entry["agreed"], entry["recorded"] = done["agreed"], done["recorded"]
        # SQLite sums DECIMAL columns as REAL: back to the fen by its text, then money_str.
        entry["value"] = money_str(Decimal(str(done["value"] or 0)))
    return [table[k] for k in sorted(table, key=lambda k: (-k[0], k[1]))]
