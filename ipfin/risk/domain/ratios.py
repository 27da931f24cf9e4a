"""Fractions the risk rules read: a scheme's loss shares and a bank's NPL ratio, each a decimal
from 0 to 1 (0.4 is 40 %) with at most MAX_PLACES decimals.

The bound keeps the arithmetic exact: a fraction has at most MAX_PLACES + 1 significant digits,
an amount at most 15 (ipfin.common.money.MAX_AMOUNT), so their product has at most 26, within
the 28 digits of Decimal's default context: nothing rounds before the one rounding rule
(`to_fen`). Ten decimals are a hundred-millionth of a percentage point, finer than any scheme or
report writes. The API's JSON schema states the same bound (`RATIO_PATTERN`).
"""

from __future__ import annotations

from decimal import Decimal

from ipfin.common.errors import invalid
from ipfin.common.inputs import exact_decimal_in

__all__ = ["MAX_PLACES", "RATIO_PATTERN", "ratio_in", "ratio_text"]

MAX_PLACES = 10
# The text of such a fraction: 0, 1, 0.x or 1.0 with one to MAX_PLACES decimals.
RATIO_PATTERN = rf"^(0(\.[0-9]{{1,{MAX_PLACES}}})?|1(\.0{{1,{MAX_PLACES}}})?)$"


def ratio_in(value: object, field: str, code: str, label_zh: str) -> Decimal:
    """`value` as an exact decimal from 0 to 1 with at most MAX_PLACES decimals (literal places,
    as money's two: 0.50000000000 is refused); else a 422 `code` naming `field` (a float, a bool
    or NaN: `decimal_invalid`)."""
    number = exact_decimal_in(value, field, label_zh)
    exponent = number.as_tuple().exponent
    if not Decimal(0) <= number <= 1 or (isinstance(exponent, int) and exponent < -MAX_PLACES):
        raise invalid(
            field,
            code,
            f"{label_zh}以小数表示（40%写作0.4），须在0到1之间，最多 {MAX_PLACES} 位小数。",
            f"{field} is a fraction (40% is 0.4) from 0 to 1, with at most {MAX_PLACES} decimals.",
            max_places=MAX_PLACES,
        )
    return number


def ratio_text(value: Decimal) -> str:
    """A stored fraction as the API writes it: without trailing zeros ("0.4", "1", "0"), so that
    a share reads back as it was sent whatever the column's places."""
    return f"{value.normalize():f}"
