"""Building a securitised pool from IP-pledge loans (issue 16: "eligibility rules, concentration
limits (per obligor, per industry)"). Pure rules, no Django.

`select_pool` takes the candidate loans and the arranger's rules:

1. eligibility, loan by loan: performing (classified 正常 with no day past due) when the rules ask
   for it — a pool is sold as performing assets; at least `min_months_left` months left to
   maturity;
2. concentration against the pool's own balance: while some obligor holds more than
   `max_obligor_share` of the pool, or some industry more than `max_industry_share`, the largest
   loan of the most concentrated one leaves the pool (ties: the higher loan id), and the shares
   are taken again over what is left. Each pass removes a loan, so it ends; what stays meets both
   limits (an empty pool meets them trivially).

Shares are compared exactly: amount × denominator against the limit × total, in integers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["PoolCandidate", "PoolRules", "PoolSelection", "select_pool"]

NOT_PERFORMING = "not_performing"
TOO_SHORT = "too_short"
OBLIGOR_LIMIT = "obligor_limit"
INDUSTRY_LIMIT = "industry_limit"


@dataclass(frozen=True)
class PoolCandidate:
    loan_id: int
    obligor: int
    industry: str
    balance_fen: int
    classification: str
    days_past_due: int
    months_left: int


@dataclass(frozen=True)
class PoolRules:
    performing_only: bool = True
    min_months_left: int = 1
    max_obligor_share: Decimal = Decimal("0.10")
    max_industry_share: Decimal = Decimal("0.40")


@dataclass
class PoolSelection:
    included: list[PoolCandidate] = field(default_factory=list)
    excluded: dict[int, str] = field(default_factory=dict)

    @property
    def balance_fen(self) -> int:
        return sum(c.balance_fen for c in self.included)


def _over(amount: int, total: int, limit: Decimal) -> bool:
    """amount / total > limit, exactly."""
    numerator, denominator = limit.as_integer_ratio()
    return amount * denominator > numerator * total


def _most_concentrated(
    included: Sequence[PoolCandidate], key: str, limit: Decimal
) -> tuple[str, object] | None:
    total = sum(c.balance_fen for c in included)
    sums: dict[object, int] = defaultdict(int)
    for candidate in included:
        sums[getattr(candidate, key)] += candidate.balance_fen
    worst = max(sums.items(), key=lambda item: (item[1], str(item[0])), default=None)
    if worst is None or not _over(worst[1], total, limit):
        return None
    return key, worst[0]


def select_pool(candidates: Sequence[PoolCandidate], rules: PoolRules) -> PoolSelection:
    """The loans of the pool and why each other candidate is not in it (see the module doc)."""
    selection = PoolSelection()
    for candidate in candidates:
        performing = candidate.classification == "normal" and candidate.days_past_due == 0
        if rules.performing_only and not performing:
            selection.excluded[candidate.loan_id] = NOT_PERFORMING
        elif candidate.months_left < rules.min_months_left or candidate.balance_fen <= 0:
            selection.excluded[candidate.loan_id] = TOO_SHORT
        else:
            selection.included.append(candidate)
    reasons = {"obligor": OBLIGOR_LIMIT, "industry": INDUSTRY_LIMIT}
    while selection.included:
        breach = _most_concentrated(
            selection.included, "obligor", rules.max_obligor_share
        ) or _most_concentrated(selection.included, "industry", rules.max_industry_share)
        if breach is None:
            break
        key, value = breach
        largest = max(
            (c for c in selection.included if getattr(c, key) == value),
            key=lambda c: (c.balance_fen, c.loan_id),
        )
        selection.included.remove(largest)
        selection.excluded[largest.loan_id] = reasons[key]
    return selection
