"""The engine's one error: an impossible input, named by its field (a 422 at the API)."""

from __future__ import annotations

from ipfin.common.errors import ValidationFailed


class ValuationInputError(ValidationFailed):
    """An input no valuation can be computed from (negative life, r ≤ −1, weights not summing to 1,
    a comparable with weight ≤ 0, ...). `field` names the input, as the API spells it."""

    code = "valuation_input"

    def __init__(self, field: str, detail_zh: str, detail_en: str) -> None:
        super().__init__(detail_zh, detail_en, extra={"field": field})
        self.field = field
