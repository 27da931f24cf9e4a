"""Filters of the white-list pages: a reason in the page's language, a rate as a percentage."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

register = template.Library()


def _english() -> bool:
    return (get_language() or "").startswith("en")


@register.filter
def reason_text(reason: Any) -> str:
    """A stored reason {"code", "zh", "en"} in the page's language."""
    if not isinstance(reason, dict):
        return str(reason)
    return str(reason.get("en" if _english() else "zh") or reason.get("zh") or "")


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None
