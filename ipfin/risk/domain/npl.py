r"""NPL tolerance (不良容忍度) of a bank's IP-pledge loans.

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

The reporting period (`Quarter`, `period_in`). A bank reports its overall ratio per quarter
(issue 12: `{period: "2026Q3", ratio}`), and the platform computes the IP-pledge ratio at the
quarter's last day. A period is written `YYYYQn`: four ASCII digits, `Q`, 1 to 4
(`PERIOD_PATTERN`; `[0-9]`, not `\d`, which Python and Rust also match with other scripts'
digits, ECMA-262 does not: the pattern reads alike in the schema, the service and the browser).
Anything else is a 422 `period_invalid` naming `period`; a quarter whose last day is not yet
past (`Quarter.ended(today)`) has no ratio at its end yet: 422 `period_not_ended`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from ipfin.common.display import yuan_en, yuan_exact
from ipfin.common.errors import invalid
from ipfin.common.inputs import amount_in
from ipfin.risk.domain.ratios import ratio_in

__all__ = [
    "PERIOD_PATTERN",
    "RATIO_PLACES",
    "TOLERANCE_MARGIN",
    "NplTolerance",
    "Quarter",
    "ip_npl_ratio",
    "npl_tolerance",
    "period_in",
    "ratio_6",
]

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
            f"不良贷款余额（{yuan_exact(npl)}）不能超过知识产权质押贷款余额（{yuan_exact(balance)}）。",
            f"The NPL balance ({yuan_en(npl)}) cannot exceed the IP-pledge loan balance "
            f"({yuan_en(balance)}).",
        )
    ratio = ip_npl_ratio(ip_npl_balance=npl, ip_balance=balance)
    limit = Fraction(bank_ratio) + TOLERANCE_MARGIN
    return NplTolerance(ip_npl_ratio=ratio, limit=limit, tolerated=ratio <= limit)


def ip_npl_ratio(*, ip_npl_balance: Decimal, ip_balance: Decimal) -> Fraction:
    """ip_npl_balance ÷ ip_balance, exact; 0 when there is no IP-pledge balance (issue 12:
    "`ip_balance` 0 → ratio 0"). The balances are the caller's, already checked (0 ≤ npl ≤
    balance): `npl_tolerance` checks them for a request, the platform's own figures are sums of
    outstanding principal."""
    if ip_balance == 0:
        return Fraction(0)
    return Fraction(ip_npl_balance) / Fraction(ip_balance)


def ratio_6(value: Fraction) -> Decimal:
    """`value` (≥ 0) with RATIO_PLACES decimals, rounded half up from the exact fraction."""
    scale = 10**RATIO_PLACES
    whole, rest = divmod(value.numerator * scale, value.denominator)
    if 2 * rest >= value.denominator:
        whole += 1
    return Decimal(whole).scaleb(-RATIO_PLACES)


# --- the reporting period ------------------------------------------------------------------------

PERIOD_PATTERN = r"^[0-9]{4}Q[1-4]$"
_PERIOD = re.compile(PERIOD_PATTERN)


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter: `year`, `number` 1 to 4; written `2026Q3`."""

    year: int
    number: int

    def __str__(self) -> str:
        return f"{self.year:04d}Q{self.number}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        """The period's end: the day the IP-pledge ratio is computed at (31 March, 30 June, 30
        September, 31 December)."""
        if self.number == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.number + 1, 1) - timedelta(days=1)

    def ended(self, today: date) -> bool:
        """The quarter is over on `today`: its last day is past."""
        return self.last_day < today

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )


def period_in(value: object, *, today: date | None = None) -> Quarter:
    """`value` (text `YYYYQn`) as a Quarter, else a 422 `period_invalid` naming `period`; with
    `today`, a quarter not yet ended is a 422 `period_not_ended`."""
    text = value if isinstance(value, str) else ""
    if not _PERIOD.fullmatch(text) or int(text[:4]) < 1:
        raise invalid(
            "period",
            "period_invalid",
            "报告期应写作“年份Q季度”，如 2026Q3。",
            'period is a quarter written YYYYQn, e.g. "2026Q3".',
        )
    quarter = Quarter(int(text[:4]), int(text[5]))
    if today is not None and not quarter.ended(today):
        raise invalid(
            "period",
            "period_not_ended",
            f"{quarter} 尚未结束（截至 {quarter.last_day}），期末比率尚不能计算。",
            f"{quarter} has not ended yet (it ends on {quarter.last_day}): there is no ratio at "
            "its end yet.",
            period_end=quarter.last_day.isoformat(),
        )
    return quarter
