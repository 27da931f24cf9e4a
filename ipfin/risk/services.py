"""The risk calculators: a request's fields parsed by the input layer (ipfin.common.inputs) and
handed to the pure rules. Nothing is read from or written to the database."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ipfin.common.inputs import amount_in, decimal_in, optional_amount_in
from ipfin.risk.domain.compensation import (
    PARTIES,
    ByParty,
    Compensation,
    CompensationCase,
    compensate,
)
from ipfin.risk.domain.npl import NplTolerance, npl_tolerance

__all__ = ["compensation_preview", "npl_tolerance_preview"]


def _money(data: Mapping[str, Any], field: str) -> Decimal:
    return amount_in(data.get(field), field, positive=False)


def compensation_preview(*, data: Mapping[str, Any]) -> Compensation:
    """The compensation of a defaulted loan described by `data` (ipfin.risk.domain.compensation);
    every refusal is a 422 naming the field."""
    shares = data.get("shares") or {}
    return compensate(
        CompensationCase(
            mode=str(data.get("mode")),
            principal=_money(data, "principal"),
            interest=_money(data, "interest"),
            shares=ByParty(*(decimal_in(shares.get(p), f"shares.{p}") for p in PARTIES)),
            fund_balance=_money(data, "fund_balance"),
            fund_cap_per_loan=optional_amount_in(
                data.get("fund_cap_per_loan"), "fund_cap_per_loan", positive=False
            ),
            proceeds=optional_amount_in(data.get("proceeds"), "proceeds", positive=False),
            disposal_costs=optional_amount_in(
                data.get("disposal_costs"), "disposal_costs", positive=False
            ),
        )
    )


def npl_tolerance_preview(*, data: Mapping[str, Any]) -> NplTolerance:
    """The NPL tolerance of the balances and ratio in `data` (ipfin.risk.domain.npl)."""
    return npl_tolerance(
        ip_npl_balance=_money(data, "ip_npl_balance"),
        ip_balance=_money(data, "ip_balance"),
        bank_npl_ratio=decimal_in(data.get("bank_npl_ratio"), "bank_npl_ratio"),
    )
