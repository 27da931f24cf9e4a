"""The one formatting layer: numbers, amounts, rates and ranges as Chinese finance people read them.

Every page (the template filters of ipfin.web.templatetags.ipfin_web), notification, flash message,
PDF and Excel sheet formats through these functions, so a figure reads the same wherever it is met.
Rounding is `ipfin.common.money`'s one rule (ROUND_HALF_UP); nothing here rounds differently.

Chinese (the default):
- `yuan_exact`: the amount to the fen with thousands separators, "1,200,000.00 元" (messages,
  schedules, ledgers: wherever the fen matter).
- `yuan_scaled`: the unit chosen by size, by absolute value: below 10,000 in 元 ("9,999.99 元"),
  from 10,000 in 万元 ("1,250.00 万元"), from 100,000,000 in 亿元 ("100.00 亿元", never
  "1,000,000.00 万元"), two decimals in each unit. The unit follows the amount rounded to the
  fen (9,999.99 stays "9,999.99 元"), and a figure that would read "10,000.00 万元" is shown in
  亿元 (99,999,999.99 is "1.00 亿元").
English: "CNY 1,200,000.00" in both cases (ASCII, one form everywhere; the unit words of 万/亿 have
no English reader's equivalent and "CNY 10.00 billion" would be a second form).

Rates and ratios: `percent(Decimal("0.324749"))` → "32.47%"; `rate_percent` the same for a yearly
rate ("3.50%"); `lpr_rate(lpr, spread_bp)` → "3.00% + 50bp" (a negative spread "3.00% − 20bp").
Ranges: `amount_range(low, high)` → "100.00 万元 至 500.00 万元", "至 500.00 万元" (no lower bound),
"100.00 万元 起" (no upper bound), never a dash that reads as a minus sign; English "CNY 1.00 to
CNY 5.00", "up to CNY 5.00", "from CNY 1.00".
Spreadsheets: amounts and ratios stay numbers, shown with `EXCEL_MONEY_FORMAT` and
`EXCEL_PERCENT_FORMAT` (the same two decimals and separators).
Negative amounts carry a true minus sign (U+2212) in Chinese, "−1,200.00 元", and ASCII "-" in
English, "CNY -1,200.00".
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ipfin.common.money import to_fen

__all__ = [
    "EXCEL_MONEY_FORMAT",
    "EXCEL_PERCENT_FORMAT",
    "MINUS",
    "YI",
    "amount_range",
    "basis_points",
    "lpr_rate",
    "money_pair",
    "percent",
    "rate_percent",
    "yuan",
    "yuan_en",
    "yuan_exact",
    "yuan_scaled",
]

# Spreadsheets keep amounts and ratios as numbers (so they sum and sort); these number formats
# show them as the pages do: thousands separators and two decimals, percentages with two.
EXCEL_MONEY_FORMAT = "#,##0.00"
EXCEL_PERCENT_FORMAT = "0.00%"

WAN = Decimal(10_000)
YI = Decimal(100_000_000)
MINUS = "\u2212"
_HUNDREDTH = Decimal("0.01")


def _decimal(value: object) -> Decimal:
    """An exact Decimal from a Decimal, int or numeric string (floats are refused by to_fen)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    raise TypeError(f"an amount must be Decimal, int or str, not {type(value).__name__}")


def _signed(number: Decimal, minus: str = MINUS) -> str:
    """Two decimals with thousands separators, a real minus sign (U+2212) for negatives (ASCII
    "-" in English)."""
    text = f"{abs(number):,.2f}"
    return f"{minus}{text}" if number < 0 else text


def _in_unit(amount: Decimal, unit: Decimal) -> Decimal:
    """`amount` in `unit`s, rounded half-up to two decimals once from the exact amount."""
    result = (amount / unit).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)
    return Decimal("0.00") if result.is_zero() else result


def yuan_en(value: object) -> str:
    """English: "CNY 1,200,000.00" (to the fen; "CNY -5.00" for a negative amount, ASCII)."""
    return f"CNY {_signed(to_fen(_decimal(value)), '-')}"


def yuan_exact(value: object) -> str:
    """Chinese, to the fen: "1,200,000.00 元"."""
    return f"{_signed(to_fen(_decimal(value)))} 元"


def yuan_scaled(value: object) -> str:
    """Chinese, the unit chosen by size (元 below 1万, 万元 below 1亿, else 亿元, by the amount
    rounded to the fen), promoted to 亿元 when the figure in 万元 would read "10,000.00"."""
    amount = _decimal(value)
    magnitude = abs(to_fen(amount))
    if magnitude < WAN:
        return yuan_exact(amount)
    in_wan = _in_unit(amount, WAN)
    if magnitude < YI and abs(in_wan) < WAN:
        return f"{_signed(in_wan)} 万元"
    return f"{_signed(_in_unit(amount, YI))} 亿元"


def yuan(value: object, *, english: bool, exact: bool = False) -> str:
    """The amount in the page's language: `yuan_en` in English, else `yuan_exact` when `exact`,
    else `yuan_scaled`; "" for None or ""."""
    if value is None or value == "":
        return ""
    if english:
        return yuan_en(value)
    return yuan_exact(value) if exact else yuan_scaled(value)


def money_pair(value: object) -> tuple[str, str]:
    """(Chinese, English) exact texts of one amount, for the bilingual notifications and
    messages the services store: ("1,200.00 元", "CNY 1,200.00")."""
    return yuan_exact(value), yuan_en(value)


def percent(value: object, places: int = 2) -> str:
    """A ratio as a percentage: 0.324749 → "32.47%", 3.7967 → "379.67%", 1 → "100.00%";
    "—" for None or ""."""
    if value is None or value == "":
        return "—"
    ratio = _decimal(value)
    step = Decimal(1).scaleb(-places)
    shown = (ratio * 100).quantize(step, rounding=ROUND_HALF_UP)
    if shown.is_zero():
        shown = abs(shown)
    text = f"{abs(shown):,.{places}f}%"
    return f"{MINUS}{text}" if shown < 0 else text


def rate_percent(value: object) -> str:
    """A yearly rate (a fraction) as a percentage with two decimals: 0.035 → "3.50%"."""
    return percent(value)


def basis_points(spread_bp: object) -> str:
    """A spread in basis points with its sign: 50 → "+ 50bp", −20 → "− 20bp", 0 → "+ 0bp"."""
    points = _decimal(spread_bp)
    magnitude = f"{abs(points).normalize():f}"
    return f"{MINUS if points < 0 else '+'} {magnitude}bp"


def lpr_rate(lpr: object, spread_bp: object) -> str:
    """A loan price quoted on the LPR: "3.00% + 50bp" (LPR as a fraction, spread in bp)."""
    return f"{rate_percent(lpr)} {basis_points(spread_bp)}"


def amount_range(low: object, high: object, *, english: bool) -> str:
    """A range of amounts without a dash: "100.00 万元 至 500.00 万元", "至 500.00 万元",
    "100.00 万元 起"; English "CNY 1.00 to CNY 5.00", "up to CNY 5.00", "from CNY 1.00"; "" when
    both bounds are missing."""
    has_low = low is not None and low != "" and _decimal(low) != 0
    has_high = high is not None and high != ""
    low_text = yuan(low, english=english) if has_low else ""
    high_text = yuan(high, english=english) if has_high else ""
    if english:
        if has_low and has_high:
            return f"{low_text} to {high_text}"
        if has_high:
            return f"up to {high_text}"
        return f"from {low_text}" if has_low else ""
    if has_low and has_high:
        return f"{low_text} 至 {high_text}"
    if has_high:
        return f"至 {high_text}"
    return f"{low_text} 起" if has_low else ""
