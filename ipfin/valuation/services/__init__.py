"""Writes of the valuation app (one module per aggregate; see each module's docstring).

- `approaches`: the income, cost and market approaches from API / form input, and the preview;
- `valuations`: a valuation report's life cycle (create → issue → recheck);
- `profiles`: a bank's internal model and an enterprise's credit profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import get_language

from ipfin.common.inputs import date_in
from ipfin.valuation.services.approaches import preview
from ipfin.valuation.services.assessment import assess
from ipfin.valuation.services.credit_imports import (
    CREDIT_IMPORT_JOB,
    credit_file_import,
    credit_file_import_request,
)
from ipfin.valuation.services.profiles import bank_model_update, credit_profile_update
from ipfin.valuation.services.valuations import (
    remaining_legal_years,
    resolve_rights,
    split_by_score,
    valuation_create,
    valuation_issue,
    valuation_recheck,
)

__all__ = [
    "CREDIT_IMPORT_JOB",
    "bank_model_update",
    "credit_file_import",
    "credit_file_import_request",
    "credit_profile_update",
    "remaining_legal_years",
    "split_by_score",
    "valuation_create",
    "valuation_issue",
    "valuation_preview",
    "valuation_recheck",
]


def valuation_preview(*, data: Any, today: date | None = None) -> dict[str, Any]:
    """Compute any approach from `data` without saving: {method, value: "123.45", ...,
    warnings: [{code, right, message}]}.

    With `rights` (numbers) and optionally `valuation_date` (default today), the preview applies
    exactly the rules of saving a valuation of those rights on that date (`assessment.assess`:
    the income period within the remaining legal term, refused with the term and why; the
    valuation date not after today; unknown rights 422 `right_not_found`) and carries the
    rights' warnings on that date (a pending invalidation, a grace period), each message in the
    request's language. Without rights there is no legal term to hold the income period to, and
    no warning: a calculator.

    `data` as the API's POST /valuations/preview takes it: income {method: "income", revenues,
    share_rate, share_decay, tax_rate, discount_rate, life_years, mid_year, optional
    discount_rate_parts {risk_free, technology, market, management, legal} and monte_carlo
    {growth, share_rate, discount_rate, life_years: {low, high}, first_year_revenue, draws,
    seed}}; cost {method: "cost", cost, profit_rate, used_years, remaining_years, obsolescence,
    price_index}; market {method: "market", comparables: [{price, technical, economic,
    remaining_life_ratio, time, weight, label}]}. Decimals as strings (or JSON numbers).
    Impossible inputs raise ValuationInputError (422) naming the field.
    """
    if not isinstance(data, Mapping) or not data.get("rights"):
        return {**preview(data=data), "warnings": []}
    day = today or timezone.localdate()
    raw_date = data.get("valuation_date")
    base_date = date_in(raw_date, "valuation_date") if raw_date not in (None, "") else day
    rights = resolve_rights([str(n) for n in data["rights"]])
    inputs = {k: v for k, v in data.items() if k not in ("rights", "valuation_date", "method")}
    outcome = assess(
        rights=rights,
        method=str(data.get("method")),
        inputs=inputs,
        valuation_date=base_date,
        today=day,
    )
    english = (get_language() or "").startswith("en")
    return {
        **outcome.result.as_dict(),
        "rights": [r.number for r in rights],
        "valuation_date": base_date,
        "warnings": [w.as_dict(english) for w in outcome.warnings],
    }
