"""The engine's one error: an impossible input, named by its field (a 422 at the API)."""

from __future__ import annotations

from decimal import Decimal

from ipfin.common.errors import ValidationFailed
from ipfin.common.inputs import exact_decimal


class ValuationInputError(ValidationFailed):
    """An input no valuation can be computed from (negative life, r < 0, weights not summing to 1,
    a comparable with weight ≤ 0, ...). `field` names the input, as the API spells it."""

    code = "valuation_input"

    def __init__(self, field: str, detail_zh: str, detail_en: str) -> None:
        super().__init__(detail_zh, detail_en, extra={"field": field})
        self.field = field


def decimal_input(field: str, value: object, *, text: bool = False) -> Decimal:
    """An engine input as an exact, finite Decimal (`exact_decimal`; strings only with `text`),
    or a ValuationInputError naming `field`."""
    number = exact_decimal(value, text=text)
    if number is None:
        shown = type(value).__name__ if isinstance(value, bool | float) else repr(value)[:40]
        raise ValuationInputError(
            field,
            f"{field} 须为有限的十进制数（Decimal 或整数），不能是 {shown}。",
            f"{field} must be a finite decimal number (a Decimal or an int), not {shown}.",
        )
    return number
