"""Subsidies (贴息 and 贴费): each approved claim's award, the per-enterprise cap and the budget.
The one allocation of both the interest subsidies and the fee and premium subsidies (issue 16:
a guarantee fee or an insurance premium paid, "allocated pro rata to the fen exactly as the
interest subsidies are"): a claim's `paid` is the interest paid or the fees paid.

Pure: no Django. All arithmetic on awards is exact, in integer fen; nothing is lost or created by
rounding: the sums are exact.

The rule, in three steps (`allocate_subsidy`):

1. Eligible amount per claim: `to_fen(paid × share)` (e.g. 50 % of the interest the enterprise
   actually paid in the year on its IP-pledge loan, or of the guarantee fees it paid).
2. Cap per enterprise per year: the cap applies to the enterprise's total over all its claims.
   When that total exceeds the cap, the cap is split across the enterprise's claims in proportion to
   their eligible amounts (largest-remainder method, below). A claim's capped amount never exceeds
   its eligible amount; an enterprise's capped amounts never sum above the cap.
3. Budget: when the capped amounts of all claims sum to no more than the budget, every claim gets
   its capped amount (`scaled` is False). Otherwise (`scaled` is True) the budget is split in
   proportion to the capped amounts, again by largest remainder: the awards then sum to the budget
   exactly, and no award exceeds its capped amount (so no enterprise exceeds its cap).

Largest-remainder method (Hamilton's method), in fen: each claim's exact quota is
total × weight / Σ weights; each claim first gets its quota rounded down to the fen, and the fen
left over (fewer than the number of claims) go one each to the claims with the largest remainders;
equal remainders are broken by `claim_id` in ascending order, so the result depends only on the
claims, never on the order they are listed in. A claim whose quota is a whole number of fen never
gets an extra fen, so no claim ever receives more than its weight allows.

`scale_factor` is budget / Σ capped (1 when not scaled), rounded to 10 decimals: for display only;
the awards are computed from the exact fractions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ipfin.common.errors import invalid
from ipfin.common.inputs import exact_decimal_in
from ipfin.common.money import MAX_AMOUNT, largest_remainder, to_fen

__all__ = [
    "Allocation",
    "AllocationLine",
    "SubsidyClaim",
    "SubsidyPolicy",
    "allocate_subsidy",
    "largest_remainder",
]

_FEN_PER_YUAN = 100
_SCALE_FACTOR_PLACES = Decimal("1E-10")


@dataclass(frozen=True)
class SubsidyClaim:
    claim_id: str
    enterprise_id: str
    paid: Decimal  # what the subsidy is a share of: interest or fees paid in the year, yuan


@dataclass(frozen=True)
class SubsidyPolicy:
    share: Decimal  # fraction of the interest subsidised, 0 < share ≤ 1 (0.5 = 50 %)
    cap_per_enterprise: Decimal | None  # yuan per enterprise per year; None = no cap
    budget: Decimal  # the year's budget, yuan


@dataclass(frozen=True)
class AllocationLine:
    claim_id: str
    enterprise_id: str
    eligible: Decimal  # paid × share, to the fen
    capped: Decimal  # after the enterprise's cap
    awarded: Decimal  # after the budget


@dataclass(frozen=True)
class Allocation:
    lines: tuple[AllocationLine, ...]  # in the order the claims were given
    total_awarded: Decimal
    scaled: bool
    scale_factor: Decimal


def _amount(value: object, field: str, label_zh: str) -> Decimal:
    amount = exact_decimal_in(value, field, label_zh)
    if amount < 0 or amount > MAX_AMOUNT:
        raise invalid(
            field,
            "validation_failed",
            f"{label_zh}必须在0到{MAX_AMOUNT}元之间。",
            f"{field} must be between 0 and {MAX_AMOUNT}.",
        )
    if to_fen(amount) != amount:
        raise invalid(
            field,
            "validation_failed",
            f"{label_zh}最多保留两位小数（分）。",
            f"{field} must have at most two decimals.",
        )
    return amount


def _fen(amount: Decimal) -> int:
    return int(amount * _FEN_PER_YUAN)


def _yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def _check_policy(policy: SubsidyPolicy) -> tuple[Decimal, int | None, int]:
    share = exact_decimal_in(policy.share, "share", "贴息比例")
    if not Decimal(0) < share <= 1:
        raise invalid(
            "share",
            "validation_failed",
            "贴息比例以小数表示（50%写作0.5），须大于0且不超过1。",
            "share is a fraction (50% is 0.5), above 0 and at most 1.",
        )
    cap = (
        None
        if policy.cap_per_enterprise is None
        else _fen(_amount(policy.cap_per_enterprise, "cap_per_enterprise", "单户贴息上限"))
    )
    budget = _fen(_amount(policy.budget, "budget", "贴息预算"))
    return share, cap, budget


def allocate_subsidy(claims: Iterable[SubsidyClaim], policy: SubsidyPolicy) -> Allocation:
    """Each claim's award under `policy` (see the module doc for the rule)."""
    share, cap, budget = _check_policy(policy)
    items = list(claims)
    seen: set[str] = set()
    eligible: dict[str, int] = {}
    by_enterprise: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for claim in items:
        if not claim.claim_id or claim.claim_id in seen:
            raise invalid(
                "claim_id",
                "validation_failed",
                f"申请编号为空或重复：{claim.claim_id!r}。",
                f"claim_id empty or repeated: {claim.claim_id!r}.",
            )
        if not claim.enterprise_id:
            raise invalid(
                "enterprise_id", "validation_failed", "企业不能为空。", "enterprise_id is required."
            )
        seen.add(claim.claim_id)
        paid = _amount(claim.paid, "paid", "实付金额")
        eligible[claim.claim_id] = _fen(to_fen(paid * share))
        by_enterprise[claim.enterprise_id].append((claim.claim_id, eligible[claim.claim_id]))

    capped: dict[str, int] = {}
    for weights in by_enterprise.values():
        total = sum(w for _, w in weights)
        if cap is None or total <= cap:
            capped.update(weights)
        else:
            capped.update(largest_remainder(cap, weights))

    capped_total = sum(capped.values())
    scaled = capped_total > budget
    if scaled:
        awarded = largest_remainder(budget, [(c.claim_id, capped[c.claim_id]) for c in items])
        factor = (Decimal(budget) / Decimal(capped_total)).quantize(_SCALE_FACTOR_PLACES)
    else:
        awarded = dict(capped)
        factor = Decimal(1)

    lines = tuple(
        AllocationLine(
            claim_id=c.claim_id,
            enterprise_id=c.enterprise_id,
            eligible=_yuan(eligible[c.claim_id]),
            capped=_yuan(capped[c.claim_id]),
            awarded=_yuan(awarded[c.claim_id]),
        )
        for c in items
    )
    return Allocation(
        lines=lines,
        total_awarded=_yuan(sum(awarded.values())),
        scaled=scaled,
        scale_factor=factor,
    )
