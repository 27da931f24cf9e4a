"""NPL tolerance (不良容忍度) of a bank's IP-pledge loans.

Pure: no Django, no clock.

Sources. The policy documents (seeds 000, 002 and 004) let a bank's IP-pledge loans carry a higher
non-performing ratio than its loans overall without that counting against the bank. Their texts
are not kept in ../shared, so nothing here quotes them; the rule as the project states it is
DOMAIN.md's ("不良容忍度: IP-pledge NPL ratio ≤ the bank's overall NPL ratio + 3 percentage
points (inclusive): not counted against the bank") and issue 12's ("marks it tolerated when it
is at most the overall ratio plus 3 percentage points, inclusive, in exact decimal arithmetic").
"Inclusive" is 民法典 art. 1259's reading of 以内: the figure itself is within.

The rule (`npl_tolerance`):

    ip_npl_ratio = ip_npl_balance ÷ ip_balance        (0 when ip_balance is 0)
    limit        = bank_npl_ratio + 0.03
    tolerated    = ip_npl_ratio ≤ limit

`ip_npl_balance` is the balance of the bank's IP-pledge loans classified 次级, 可疑 or 损失,
`ip_balance` that of all its IP-pledge loans, both at the period's end; `bank_npl_ratio` is the
bank's overall NPL ratio for the period as it reports it (0 ≤ ratio ≤ 1).

The comparison is exact: the ratios are `Fraction`s, never rounded before it, so an IP-pledge
ratio a hair above the limit is not tolerated even where both show the same six decimals. The
ratios are shown (`ratio_6`) with six decimals, rounded half up: that is the only rounding.

Refusals are 422s naming the input: `amount_invalid` / `amount_too_large` for a balance
(`ipfin.common.inputs.amount_in`: yuan to the fen, not negative), `npl_above_balance` (field
`ip_npl_balance`) when the non-performing balance exceeds the whole, `ratio_invalid` for a bank
ratio outside 0..1 or with more than ten decimals (`ratios.MAX_PLACES`), `decimal_invalid` for
one that is not an exact decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from ipfin.common.errors import invalid
from ipfin.common.inputs import amount_in
from ipfin.risk.domain.ratios import ratio_in

__all__ = ["RATIO_PLACES", "TOLERANCE_MARGIN", "NplTolerance", "npl_tolerance", "ratio_6"]

# 3 percentage points above the bank's overall NPL ratio, inclusive.
TOLERANCE_MARGIN = Fraction(3, 100)
# Ratios are shown with this many decimals (rounded half up; compared exactly).
RATIO_PLACES = 6


@dataclass(frozen=True)
class NplTolerance:
    ip_npl_ratio: Fraction  # exact
    limit: Fraction  # exact
    tolerated: bool


def npl_tolerance(
    *, ip_npl_balance: Decimal, ip_balance: Decimal, bank_npl_ratio: Decimal
) -> NplTolerance:
    """The bank's IP-pledge NPL ratio, its limit and whether it is tolerated (module docstring)."""
    npl = amount_in(
        ip_npl_balance, "ip_npl_balance", positive=False, label_zh="知识产权质押不良贷款余额"
    )
    balance = amount_in(ip_balance, "ip_balance", positive=False, label_zh="知识产权质押贷款余额")
    bank_ratio = ratio_in(bank_npl_ratio, "bank_npl_ratio", "ratio_invalid", "银行整体不良率")
    if npl > balance:
        raise invalid(
            "ip_npl_balance",
            "npl_above_balance",
            f"不良贷款余额（{npl} 元）不能超过知识产权质押贷款余额（{balance} 元）。",
            f"ip_npl_balance ({npl}) cannot exceed ip_balance ({balance}).",
        )
    ratio = Fraction(0) if balance == 0 else Fraction(npl) / Fraction(balance)
    limit = Fraction(bank_ratio) + TOLERANCE_MARGIN
    return NplTolerance(ip_npl_ratio=ratio, limit=limit, tolerated=ratio <= limit)


def ratio_6(value: Fraction) -> Decimal:
    """`value` (≥ 0) with RATIO_PLACES decimals, rounded half up from the exact fraction."""
    scale = 10**RATIO_PLACES
    whole, rest = divmod(value.numerator * scale, value.denominator)
    if 2 * rest >= value.denominator:
        whole += 1
    return Decimal(whole).scaleb(-RATIO_PLACES)
