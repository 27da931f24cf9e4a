"""Writes of the valuation app (one module per aggregate; see each module's docstring).

- `approaches`: the income, cost and market approaches from API / form input, and the preview;
- `valuations`: a valuation report's life cycle (create → issue → recheck);
- `profiles`: a bank's internal model and an enterprise's credit profile.
"""

from __future__ import annotations

from typing import Any

from ipfin.valuation.services.approaches import preview
from ipfin.valuation.services.profiles import bank_model_update, credit_profile_update
from ipfin.valuation.services.valuations import (
    remaining_legal_years,
    split_by_score,
    valuation_create,
    valuation_issue,
    valuation_recheck,
)

__all__ = [
    "bank_model_update",
    "credit_profile_update",
    "remaining_legal_years",
    "split_by_score",
    "valuation_create",
    "valuation_issue",
    "valuation_preview",
    "valuation_recheck",
]


def valuation_preview(*, data: Any) -> dict[str, Any]:
    """Compute any approach from `data` without saving: {method, value: "123.45", ...}.

    `data` as the API's POST /valuations/preview takes it: income {method: "income", revenues,
    share_rate, share_decay, tax_rate, discount_rate, life_years, mid_year, optional
    discount_rate_parts {risk_free, technology, market, management, legal} and monte_carlo
    {growth, share_rate, discount_rate, life_years: {low, high}, first_year_revenue, draws,
    seed}}; cost {method: "cost", cost, profit_rate, used_years, remaining_years, obsolescence,
    price_index}; market {method: "market", comparables: [{price, technical, economic,
    remaining_life_ratio, time, weight, label}]}. Decimals as strings (or JSON numbers).
    Impossible inputs raise ValuationInputError (422) naming the field.
    """
    return preview(data=data)
