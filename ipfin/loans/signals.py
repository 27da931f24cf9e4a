"""What the loan services announce to and ask of the apps above them (guarantees, insurance),
which the loans app may not import: Django signals, sent inside the service's transaction, so that
a receiver's writes commit or roll back with the loan's.

- `loan_disbursed(sender=Loan, loan=..., actor=...)`: the loan was disbursed (its `disbursed_on`
  set).
- `loan_securities(sender=None, loan=...)`: asked when a loan is approved: each receiver answers
  with the credit enhancements it keeps on the loan that the approval rests on (an issued
  guarantee), as dicts {kind, ref, label, share, cap}; the approval records them.
- `subsidy_fees(sender=None, enterprise=..., year=..., kinds=...)`: asked when an enterprise
  claims a fee subsidy (贴费): each receiver answers with the `FeePaid` lines of the fees of the
  `kinds` it keeps ("guarantee_fee", "premium") that the enterprise paid in `year`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.dispatch import Signal

__all__ = [
    "FeePaid",
    "fees_paid",
    "loan_disbursed",
    "loan_securities",
    "securities_of",
    "subsidy_fees",
]

loan_disbursed = Signal()
loan_securities = Signal()
subsidy_fees = Signal()


@dataclass(frozen=True)
class FeePaid:
    kind: str  # "guarantee_fee" or "premium"
    ref: str  # the record it was charged on: "guarantee:12", "policy:7"
    amount: Decimal  # yuan, to the fen
    on: date  # when it was charged


def fees_paid(
    enterprise: Any, year: int, kinds: tuple[str, ...], *, ip_pledge_only: bool = True
) -> list[FeePaid]:
    """Every receiver's lines, in the order charged (then by record); `ip_pledge_only`: the fees
    of IP-pledge loans only (a guarantee's)."""
    lines: list[FeePaid] = []
    for _receiver, answer in subsidy_fees.send(
        sender=None, enterprise=enterprise, year=year, kinds=kinds, ip_pledge_only=ip_pledge_only
    ):
        lines.extend(answer if isinstance(answer, list) else [])
    return sorted(lines, key=lambda line: (line.on, line.kind, line.ref))


def securities_of(loan: Any) -> list[dict[str, str]]:
    """Every receiver's credit enhancements on `loan`, by kind then reference."""
    found: list[dict[str, str]] = []
    for _receiver, answer in loan_securities.send(sender=None, loan=loan):
        found.extend(answer if isinstance(answer, list) else [])
    return sorted(found, key=lambda s: (s["kind"], s["ref"]))
