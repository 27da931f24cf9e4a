"""Template filters of the valuation pages: chart coordinates and percentages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from ipfin.valuation import presentation
from ipfin.valuation.presentation import percent

register = template.Library()


@register.filter
def scale(fraction: Any, length: Any) -> str:
    """A fraction of a chart axis (0–1) in SVG units: `{{ at|scale:600 }}`."""
    try:
        return f"{float(fraction) * float(length):.2f}"
    except (TypeError, ValueError):
        return "0"


@register.filter
def pct(value: Any) -> str:
    """A decimal fraction as a percentage: 0.0825 → "8.25%" (empty for None)."""
    if value is None or value == "":
        return ""
    return percent(value if isinstance(value, Decimal) else Decimal(str(value)))


@register.filter
def method_label(method: Any) -> str:
    """A valuation approach's name (ipfin.valuation.presentation.method_name)."""
    return presentation.method_name(str(method))


@register.filter
def valuation_state(state: Any) -> str:
    """A valuation state's label: 草稿 / 已出具 / 已复核."""
    return presentation.state_label(str(state))
