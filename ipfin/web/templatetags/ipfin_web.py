"""Template filters of the web UI: money, bilingual messages, statuses and pre-check icons."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.utils.translation import get_language

from ipfin.common.money import format_yuan_zh, to_fen

register = template.Library()


def _english() -> bool:
    return (get_language() or "").startswith("en")


@register.filter
def yuan(value: Any) -> str:
    """An amount in the page's language: "1,250.00 万元" / "9,999.99 元" in Chinese
    (ipfin.common.money.format_yuan_zh), "CNY 12,500,000.00" in English; empty for None."""
    if value is None or value == "":
        return ""
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    if _english():
        return f"CNY {to_fen(amount):,.2f}"
    return format_yuan_zh(amount)


@register.filter
def percent(value: Any) -> str:
    """A ratio as a percentage with two decimals, rounded half-up: 0.324749 → "32.47%", 1 →
    "100.00%"; "—" for None."""
    if value is None or value == "":
        return "—"
    ratio = value if isinstance(value, Decimal) else Decimal(str(value))
    return f"{(ratio * 100).quantize(Decimal('0.01'), ROUND_HALF_UP):,}%"


def field_of(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


@register.filter
def localized(obj: Any, base: str) -> str:
    """`obj.<base>_en` when the page is in English, else `obj.<base>_zh` (dicts or objects)."""
    value = field_of(obj, f"{base}_en" if _english() else f"{base}_zh")
    if not value:
        value = field_of(obj, f"{base}_zh") or field_of(obj, base) or ""
    return str(value)


@register.filter
def attr(obj: Any, name: str) -> Any:
    """A field of a dict or an object (pre-check results come as either)."""
    return field_of(obj, name)


@register.filter
def check_outcome(check: Any) -> str:
    """ "pass", "fail" (blocking rule failed) or "warn" (advisory rule not met)."""
    if field_of(check, "passed"):
        return "pass"
    return "fail" if field_of(check, "blocking") else "warn"


@register.filter
def check_right(check: Any) -> str:
    """The right a pre-check result is about (`right_number` on results, `right` when stored)."""
    return str(field_of(check, "right_number") or field_of(check, "right") or "")
