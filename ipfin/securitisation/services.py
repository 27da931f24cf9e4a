"""Securitisation's entry points. The waterfall calculator reads its input here, field by field,
so that each refusal is a 422 naming the field (`collections[3]`, `tranches[1].rate`); nothing is
stored."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ipfin.common.errors import invalid
from ipfin.common.inputs import amount_in, decimal_in
from ipfin.securitisation.domain import Tranche, Waterfall, sequential_waterfall

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_PERIODS",
    "MAX_RATE_DECIMALS",
    "MAX_TRANCHES",
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
