"""Template filters of the web UI: money, bilingual messages, statuses and pre-check icons."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import get_language

from ipfin.common.money import format_yuan_zh
from ipfin.web.labels import status_label as _status_label

register = template.Library()


@register.filter
def yuan(value: Any) -> str:
    """An amount as 元 / 万元 (ipfin.common.money.format_yuan_zh); empty for None."""
    if value is None or value == "":
        return ""
    return format_yuan_zh(value if isinstance(value, Decimal) else Decimal(str(value)))


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


@register.filter
def localized(obj: Any, base: str) -> str:
    """`obj.<base>_en` when the page is in English, else `obj.<base>_zh` (dicts or objects)."""
    english = (get_language() or "").startswith("en")
    value = _field(obj, f"{base}_en" if english else f"{base}_zh")
    if not value:
        value = _field(obj, f"{base}_zh") or _field(obj, base) or ""
    return str(value)


@register.filter
def status_label(code: Any) -> str:
    return _status_label(code)


@register.filter
def attr(obj: Any, name: str) -> Any:
    """A field of a dict or an object (pre-check results come as either)."""
    return _field(obj, name)


@register.filter
def check_outcome(check: Any) -> str:
    """ "pass", "fail" (blocking rule failed) or "warn" (advisory rule not met)."""
    if _field(check, "passed"):
        return "pass"
    return "fail" if _field(check, "blocking") else "warn"


@register.filter
def share_pct(value: Any) -> str:
    """A co-owner's share (a fraction in (0, 1]) as a percentage without trailing zeros."""
    if value is None or value == "":
        return ""
    pct = (Decimal(str(value)) * 100).normalize()
    return f"{pct:f}%"


@register.filter
def check_right(check: Any) -> str:
    """The right a pre-check result is about (`right_number` on results, `right` when stored)."""
    return str(_field(check, "right_number") or _field(check, "right") or "")
