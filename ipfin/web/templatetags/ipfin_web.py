"""Template filters of the web UI: money, bilingual messages, statuses and pre-check icons."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ipfin.common.money import format_yuan_zh, to_fen
from ipfin.web import presenters
from ipfin.web.labels import status_label as _status_label

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


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


@register.filter
def localized(obj: Any, base: str) -> str:
    """`obj.<base>_en` when the page is in English, else `obj.<base>_zh` (dicts or objects)."""
    value = _field(obj, f"{base}_en" if _english() else f"{base}_zh")
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


@register.filter
def annuities_inferred(right: Any, status: Any) -> bool:
    """`{% if right|annuities_inferred:status %}`: the grace period or lapse rests only on an
    imported source recording no later annuity payment (ipfin.web.presenters)."""
    return presenters.annuities_inferred(right, status)


@register.filter
def protected_until(status: Any) -> Any:
    """The last day of protection: the day before the status's expiry_date."""
    return presenters.last_day_of_protection(status)


_CHANGE_FIELDS = {
    "debt_amount": _("被担保主债权数额"),
    "term_end": _("债务履行期限止"),
    "scope": _("担保范围"),
}


@register.filter
def change_field_label(key: str) -> str:
    """A changed particular of a pledge as users call it (never the field's code)."""
    label = _CHANGE_FIELDS.get(str(key))
    return str(label) if label is not None else str(key)


@register.filter
def change_value(value: Any, key: str) -> str:
    """A changed particular's value as the page shows it: amounts formatted, blanks marked."""
    if key == "debt_amount" and value not in (None, ""):
        return yuan(value)
    return str(value) if value not in (None, "") else "—"
