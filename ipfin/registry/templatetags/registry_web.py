"""Template filters of the register's pages: legal-status labels, co-owners' shares, the term's
last day and the inferred-annuity caveat (`{% load registry_web %}`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from ipfin.registry import presenters
from ipfin.registry.labels import status_label as _status_label

register = template.Library()


@register.filter
def status_label(code: Any) -> str:
    return _status_label(code)


@register.filter
def share_pct(value: Any) -> str:
    """A co-owner's share (a fraction in (0, 1]) as a percentage without trailing zeros."""
    if value is None or value == "":
        return ""
    pct = (Decimal(str(value)) * 100).normalize()
    return f"{pct:f}%"


@register.filter
def annuities_inferred(right: Any, status: Any) -> bool:
    """`{% if right|annuities_inferred:status %}`: the grace period or lapse rests only on an
    imported source recording no later annuity payment (ipfin.registry.presenters)."""
    return presenters.annuities_inferred(right, status)


@register.filter
def protected_until(status: Any) -> Any:
    """The last day of protection: the day before the status's expiry_date."""
    return presenters.last_day_of_protection(status)
