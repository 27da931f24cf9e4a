"""Securitisation's entry points. The waterfall calculator reads its input here, field by field,
so that each refusal is a 422 naming the field (`collections[3]`, `tranches[1].rate`); nothing is
stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from django.utils import timezone

from ipfin.common.errors import invalid
from ipfin.common.inputs import amount_in, decimal_in
from ipfin.common.money import largest_remainder
from ipfin.securitisation.domain import Tranche, Waterfall, interest_fen, sequential_waterfall
from ipfin.securitisation.pools import PoolRules, PoolSelection, select_pool
from ipfin.securitisation.selectors import pool_candidates, projected_pool
from ipfin.securitisation.simulation import (
    Pool,
    SimulationResult,
    Stress,
    TrancheSpec,
    simulate,
)

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_PERIODS",
    "MAX_RATE_DECIMALS",
    "MAX_TRANCHES",
    "PoolPreview",
    "TrancheShare",
    "pool_preview",
    "waterfall_preview",
]

MAX_PERIODS = 600  # fifty years of monthly collections
MAX_TRANCHES = 20
MAX_NAME_LENGTH = 40
MAX_RATE_DECIMALS = 10


def _rate_in(raw: Any, field: str) -> Decimal:
    """A rate per period: a decimal from 0 to 1 with at most MAX_RATE_DECIMALS decimals."""
    rate = decimal_in(raw, field)
    exponent = rate.as_tuple().exponent
    if not 0 <= rate <= 1 or (isinstance(exponent, int) and -exponent > MAX_RATE_DECIMALS):
        raise invalid(
            field,
            "rate_invalid",
            f"{field}：每期利率应在 0 到 1 之间，最多 {MAX_RATE_DECIMALS} 位小数。",
            f"{field}: a rate per period from 0 to 1, at most {MAX_RATE_DECIMALS} decimals.",
        )
    return rate


def waterfall_preview(*, data: dict[str, Any]) -> Waterfall:
    """The sequential-pay waterfall of `data` = {collections: [amount per period], senior_fees:
    amount per period, tranches: [{name, balance, rate}] in priority order}
    (ipfin.securitisation.domain.sequential_waterfall)."""
    collections = data.get("collections")
    if not isinstance(collections, list) or not 1 <= len(collections) <= MAX_PERIODS:
        raise invalid(
            "collections",
            "collections_invalid",
            f"请列出每期回收款，1 到 {MAX_PERIODS} 期。",
            f"List the collection of each period: 1 to {MAX_PERIODS} periods.",
        )
    amounts = [
        amount_in(raw, f"collections[{i}]", positive=False, label_zh=f"第 {i + 1} 期回收款")
        for i, raw in enumerate(collections)
    ]
    fees = amount_in(
        data.get("senior_fees"), "senior_fees", positive=False, label_zh="每期优先费用"
    )
    tranches_in = data.get("tranches")
    if not isinstance(tranches_in, list) or not 1 <= len(tranches_in) <= MAX_TRANCHES:
        raise invalid(
            "tranches",
            "tranches_invalid",
            f"请按偿付顺序列出 1 到 {MAX_TRANCHES} 档证券。",
            f"List 1 to {MAX_TRANCHES} tranches in their order of priority.",
        )
    tranches: list[Tranche] = []
    for i, raw in enumerate(tranches_in):
        field = f"tranches[{i}]"
        item = raw if isinstance(raw, dict) else {}
        name = item.get("name")
        name = name.strip() if isinstance(name, str) else ""
        if not name or len(name) > MAX_NAME_LENGTH:
            raise invalid(
                f"{field}.name",
                "tranche_name_invalid",
                f"第 {i + 1} 档证券需要名称（最多 {MAX_NAME_LENGTH} 字）。",
                f"Tranche {i + 1} needs a name of at most {MAX_NAME_LENGTH} characters.",
            )
        if any(t.name == name for t in tranches):
            raise invalid(
                f"{field}.name",
                "tranche_name_repeated",
                f"证券名称“{name}”重复。",
                f"The tranche name {name!r} is given twice.",
            )
        balance = amount_in(
            item.get("balance"), f"{field}.balance", positive=False, label_zh="证券本金余额"
        )
        tranches.append(Tranche(name, balance, _rate_in(item.get("rate"), f"{field}.rate")))
    return sequential_waterfall(amounts, fees, tranches)


# --- the pool preview ---------------------------------------------------------------------------

MAX_POOL_TRANCHES = 10
MAX_STRESSES = 5
MAX_SCENARIOS = 10_000
# Scenarios × loans a preview may simulate (10,000 scenarios of 500 loans: well under a second).
MAX_SIMULATED_CELLS = 5_000_000


@dataclass(frozen=True)
class TrancheShare:
    name: str
    share: Decimal
    rate: Decimal


@dataclass(frozen=True)
class StressResult:
    stress: Stress
    result: SimulationResult


@dataclass(frozen=True)
class PoolPreview:
    cutoff: date
    selection: PoolSelection
    balance_fen: int
    monthly_principal: list[int]
    monthly_interest: list[int]
    tranches: list[TrancheSpec]
    fee_fen: int
    results: list[StressResult]


def pool_preview(
    *,
    actor: Any,
    rules: PoolRules,
    tranches: list[TrancheShare],
    senior_fee_rate: Decimal,
    monthly_pd: Decimal,
    recovery_rate: Decimal,
    scenarios: int,
    seed: int,
    stresses: list[Stress],
    today: date | None = None,
) -> PoolPreview:
    """A pool of the bank's own loans cut today: the loans chosen by `rules` (ipfin.
    securitisation.pools), their projected monthly principal and interest, the tranches sized
    by their shares of the pool's balance (largest remainder, to the fen), and each tranche's
    expected loss and probability of loss in the base case and under each stress
    (ipfin.securitisation.simulation). Nothing is stored."""
    cutoff = today or timezone.localdate()
    names = [t.name for t in tranches]
    if len(set(names)) != len(names):
        raise invalid(
            "tranches", "tranche_name_repeated", "证券名称重复。", "A tranche name is repeated."
        )
    if sum(t.share for t in tranches) != 1:
        raise invalid(
            "tranches",
            "tranche_shares_invalid",
            "各档证券占资产池的比例之和应为 1。",
            "The tranches' shares of the pool must add up to 1.",
        )
    stress_names = ["base", *(s.name for s in stresses)]
    if len(set(stress_names)) != len(stress_names):
        raise invalid(
            "stresses", "stress_name_repeated", "压力情景名称重复。", "A stress name is repeated."
        )
    if recovery_rate.scaleb(4) != recovery_rate.scaleb(4).to_integral_value():
        raise invalid(
            "recovery_rate",
            "share_invalid",
            "回收率最多精确到万分之一。",
            "recovery_rate: at most four decimals.",
        )
    selection = select_pool(pool_candidates(actor=actor, cutoff=cutoff), rules)
    loans = len(selection.included)
    if loans * scenarios > MAX_SIMULATED_CELLS:
        raise invalid(
            "scenarios",
            "pool_too_large",
            f"资产池 {loans} 笔贷款 × {scenarios} 个情景超过单次测算上限 {MAX_SIMULATED_CELLS:,}，"
            "请减少情景数。",
            f"{loans} loans × {scenarios} scenarios is over the {MAX_SIMULATED_CELLS:,} a preview "
            "may simulate: ask for fewer scenarios.",
            max_cells=MAX_SIMULATED_CELLS,
        )
    pool, _ids = projected_pool(
        [c.loan_id for c in selection.included],
        cutoff,
        float(monthly_pd),
        int(recovery_rate.scaleb(4)),
    )
    balance_fen = int(pool.balance[:, 0].sum()) if loans else 0
    sizes = largest_remainder(
        balance_fen, [(i, int(t.share.scaleb(8))) for i, t in enumerate(tranches)]
    )
    specs = [TrancheSpec(t.name, sizes[i], int(t.rate.scaleb(8))) for i, t in enumerate(tranches)]
    fee_fen = interest_fen(balance_fen, senior_fee_rate)
    results = []
    for stress in [Stress("base"), *stresses]:
        outcome = simulate(pool, specs, fee_fen, scenarios=scenarios, seed=seed, stress=stress)
        results.append(StressResult(stress, outcome))
    principal = _principal_part(pool)
    interest = pool.schedule - principal
    return PoolPreview(
        cutoff=cutoff,
        selection=selection,
        balance_fen=balance_fen,
        monthly_principal=[int(x) for x in principal.sum(axis=0)] if loans else [],
        monthly_interest=[int(x) for x in interest.sum(axis=0)] if loans else [],
        tranches=specs,
        fee_fen=fee_fen,
        results=results,
    )


def _principal_part(pool: Pool) -> Any:
    """Each loan's principal due in each month: the fall in its balance (the last month: all of
    what is left)."""
    following = np.concatenate([pool.balance[:, 1:], np.zeros_like(pool.balance[:, :1])], axis=1)
    return pool.balance - following
