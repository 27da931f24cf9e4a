"""Securitisation (知识产权证券化, ABS/ABN; seeds 000 §9, 003, 004 (九)): pure rules, no Django.

The sequential-pay waterfall (`sequential_waterfall`). Each period the collection pays, in order:

1. the senior fees due — the period's fee plus any fee not covered before (carried, without
   interest); `fees` is what was paid;
2. each tranche's interest in priority order: its balance at the start of the period × its rate
   per period, rounded half-up to the fen (the project's one rounding rule, ipfin.common.money),
   plus the interest it was short of before — no interest on that shortfall; what the collection
   cannot pay is the tranche's `shortfall` after the period, owed in the next;
3. principal to the tranches in priority order, each until its balance is 0;
4. what is left is `residual`, the equity holder's.

Everything is counted in integer fen, so the amounts paid in a period add up exactly to its
collection: fees + Σ interest + Σ principal + residual = collection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "Tranche",
    "Waterfall",
    "WaterfallPeriod",
    "interest_fen",
    "sequential_waterfall",
    "yuan",
]

_FEN_PER_YUAN = 100


@dataclass(frozen=True)
class Tranche:
    """A class of notes: its name, its balance in yuan (to the fen) and its rate per period."""

    name: str
    balance: Decimal
    rate: Decimal


@dataclass(frozen=True)
class WaterfallPeriod:
    """What one period's collection paid, in fen: the fees, each tranche's interest and
    principal, the interest still owed to each after the period, and the residual."""

    collection: int
    fees: int
    interest: dict[str, int]
    principal: dict[str, int]
    shortfall: dict[str, int]
    residual: int


@dataclass(frozen=True)
class TrancheEnd:
    balance: int
    interest_shortfall: int


@dataclass(frozen=True)
class Waterfall:
    periods: list[WaterfallPeriod]
    final: dict[str, TrancheEnd]
    fees_unpaid: int


def _fen(amount: Decimal) -> int:
    """A yuan amount known to be to the fen, in integer fen."""
    return int(amount * _FEN_PER_YUAN)


def yuan(fen: int) -> Decimal:
    """Integer fen as yuan with two decimals."""
    return Decimal(fen).scaleb(-2)


def interest_fen(balance_fen: int, rate: Decimal) -> int:
    """balance × rate, rounded half-up to the fen (an exact Decimal product: the balance has at
    most 15 digits and the rate its own, far inside Decimal's 28)."""
    return int((Decimal(balance_fen) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def sequential_waterfall(
    collections: Sequence[Decimal], senior_fees: Decimal, tranches: Sequence[Tranche]
) -> Waterfall:
    """The sequential-pay waterfall over `collections` (yuan per period, in order), a senior fee
    of `senior_fees` due each period and `tranches` in priority order (see the module doc).
    Amounts are yuan to the fen and not negative, names distinct, rates not negative: the caller
    checks its input (ipfin.securitisation.services)."""
    names = [t.name for t in tranches]
    balance = {t.name: _fen(t.balance) for t in tranches}
    owed = dict.fromkeys(names, 0)
    fee = _fen(senior_fees)
    fees_carried = 0
    periods = []
    for collection in collections:
        available = _fen(collection)
        start = available
        fees_due = fee + fees_carried
        fees_paid = min(available, fees_due)
        fees_carried = fees_due - fees_paid
        available -= fees_paid
        interest = {}
        for tranche in tranches:
            due = interest_fen(balance[tranche.name], tranche.rate) + owed[tranche.name]
            paid = min(available, due)
            interest[tranche.name] = paid
            owed[tranche.name] = due - paid
            available -= paid
        principal = {}
        for name in names:
            paid = min(available, balance[name])
            principal[name] = paid
            balance[name] -= paid
            available -= paid
        periods.append(
            WaterfallPeriod(
                collection=start,
                fees=fees_paid,
                interest=interest,
                principal=principal,
                shortfall=dict(owed),
                residual=available,
            )
        )
    final = {name: TrancheEnd(balance[name], owed[name]) for name in names}
    return Waterfall(periods=periods, final=final, fees_unpaid=fees_carried)
