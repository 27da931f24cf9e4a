"""Money: `Decimal` yuan with fen (0.01 yuan) precision.

The one rounding rule of the project lives here: ROUND_HALF_UP to the fen (`to_fen`). Every amount
that is stored, compared or shown goes through it; nothing else rounds money (house style, "Money,
time, numbers"). Floats are refused everywhere: 0.1 + 0.2 is not a sum of money.

- `to_fen`: any exact number → `Decimal` rounded to the fen (negative amounts allowed: adjustments).
- `parse_money`: user / API input → a non-negative amount of at most two decimals, at most
  `MAX_AMOUNT`, or `ValueError` (`AmountTooLarge` above the bound).
- `money_str`: canonical text, exactly two decimals, no separators ("1234.50"): API and CSV output;
  `money_str_or_none` for an optional amount.
- `wan_yuan`: the amount in 万元 (10,000 yuan). Display text comes from `ipfin.common.display`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol, TypeVar

__all__ = [
    "FEN",
    "MAX_AMOUNT",
    "WAN",
    "AmountTooLarge",
    "largest_remainder",
    "money_str",
    "money_str_or_none",
    "parse_money",
    "to_fen",
    "wan_yuan",
]


class _Ordered(Protocol):
    def __lt__(self, other: Any, /) -> bool: ...


K = TypeVar("K", bound=_Ordered)

FEN = Decimal("0.01")
WAN = Decimal(10_000)
# The largest amount any input may carry: 15 significant digits. SQLite stores DECIMAL columns as
# REAL (an IEEE double, exact to 15 significant digits), so a 16-digit amount would come back
# changed ("12345678901234.56" as "...34.60") or not fit its column's precision at all; 15 digits
# round-trip on SQLite and PostgreSQL alike. Just under 10 trillion yuan: far above any loan.
MAX_AMOUNT = Decimal("9999999999999.99")
_ZERO = Decimal("0.00")

# Plain ASCII digits, an optional decimal point with one or two decimals. No sign, no thousands
# separators, no exponent, no full-width digits: input shape is checked strictly so that the UI and
# the API accept exactly the same strings.
_MONEY_RE = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?")


class AmountTooLarge(ValueError):
    """An amount above `MAX_AMOUNT` (a `ValueError`, so that callers catching that refuse it)."""

    def __init__(self, value: Decimal) -> None:
        super().__init__(f"amount above the maximum of {MAX_AMOUNT}: {value}")
        self.value = value


def _to_decimal(x: object) -> Decimal:
    """Exact conversion to a finite `Decimal`; float and bool are refused with `TypeError`."""
    if isinstance(x, bool | float):
        raise TypeError(f"money must be Decimal, int or str, not {type(x).__name__}")
    if isinstance(x, Decimal):
        value = x
    elif isinstance(x, int | str):
        try:
            value = Decimal(x)
        except InvalidOperation:
            raise ValueError(f"not a number: {x!r}") from None
    else:
        raise TypeError(f"money must be Decimal, int or str, not {type(x).__name__}")
    if not value.is_finite():
        raise ValueError(f"money must be finite, got {value}")
    return value


def _quantize_fen(value: Decimal) -> Decimal:
    try:
        result = value.quantize(FEN, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        # Only reachable for amounts beyond the decimal context's 28 significant digits.
        raise ValueError(f"amount out of range: {value}") from None
    # -0.001 rounds to -0.00; show and store it as 0.00.
    return _ZERO if result.is_zero() else result


def to_fen(x: Decimal | int | str) -> Decimal:
    """`x` rounded ROUND_HALF_UP to the fen (0.005 → 0.01, -0.005 → -0.01).

    Raises `TypeError` for float (and bool), `ValueError` for NaN, infinity or an unparsable string.
    """
    return _quantize_fen(_to_decimal(x))


def parse_money(raw: str | int | Decimal) -> Decimal:
    """Parse an amount entered by a user or sent to the API; returns it quantized to the fen.

    Accepts "1234", "1234.5", "1234.50" (surrounding whitespace ignored), non-negative ints and
    `Decimal`s, up to `MAX_AMOUNT`. Raises `AmountTooLarge` (a `ValueError`) above it;
    `ValueError` for negatives, NaN / infinity, more than two decimal places (literal places:
    "1.500" and Decimal("1.500") are refused, as Django's DecimalValidator does), thousands
    separators and anything else that is not a plain amount; `TypeError` for float.
    """
    if isinstance(raw, str):
        text = raw.strip()
        if not _MONEY_RE.fullmatch(text):
            raise ValueError(f"not an amount of money (digits, at most two decimals): {raw!r}")
        value = Decimal(text)
    else:
        value = _to_decimal(raw)
        if value < 0 or value.is_signed():
            raise ValueError(f"amount must not be negative: {value}")
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            raise ValueError(f"amount has more than two decimal places: {value}")
    # Compared exactly, before rounding: at most two decimals here, so nothing rounds across it.
    if value > MAX_AMOUNT:
        raise AmountTooLarge(value)
    return _quantize_fen(value)


def money_str(x: Decimal) -> str:
    """Canonical text: rounded to the fen, exactly two decimals ("1234.50", "-5.00")."""
    return f"{to_fen(x):f}"


def money_str_or_none(x: Decimal | None) -> str | None:
    """`money_str`, or None for an amount not given: the API's one money serialiser."""
    return None if x is None else money_str(x)


def wan_yuan(x: Decimal) -> Decimal:
    """The amount in 万元 (÷ 10,000), rounded ROUND_HALF_UP to two decimals.

    Rounded once, from the exact amount (not from the fen-rounded one, which could round twice).
    """
    return _quantize_fen(_to_decimal(x).scaleb(-4))


def largest_remainder(total: int, weights: Sequence[tuple[K, int]]) -> dict[K, int]:
    """Split `total` integer units (fen) in proportion to `weights` ((key, weight ≥ 0) pairs, keys
    unique), the parts summing exactly to `total` (Hamilton's method): each key gets the floor
    of its exact quota, and the units left over (fewer than the keys) go one each to the largest
    remainders, equal remainders to the smaller key. All weights 0: every part 0. Exact integer
    arithmetic throughout."""
    weight_sum = sum(w for _, w in weights)
    if total == 0 or weight_sum == 0:
        return {key: 0 for key, _ in weights}
    shares: dict[K, int] = {}
    remainders: list[tuple[int, K]] = []
    for key, weight in weights:
        quotient, remainder = divmod(total * weight, weight_sum)
        shares[key] = quotient
        remainders.append((remainder, key))
    left = total - sum(shares.values())
    remainders.sort(key=lambda item: (-item[0], item[1]))
    for _, key in remainders[:left]:
        shares[key] += 1
    return shares
