"""Template filters of the financing pages: rates as percentages, bilingual rule messages."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ipfin.common import display
from ipfin.registry.models import RightKindChoices

register = template.Library()


@register.filter
def rate_pct(value: Any) -> str:
    """A fraction as a percentage with two decimals ("0.035" → "3.50%"; ipfin.common.display);
    empty for None."""
    if value is None or value == "":
        return ""
    return display.percent(value if isinstance(value, Decimal) else Decimal(str(value)))


@register.filter
def bilingual(obj: Any, base: str) -> str:
    """`obj.<base>_en` when the page is in English, else `obj.<base>_zh`; of a mapping (the
    comparison's rows), its keys of those names. (Read with getattr alone, a mapping's labels
    came out empty: the comparison's rows had no headings.)"""
    english = (get_language() or "").startswith("en")
    name = f"{base}_en" if english else f"{base}_zh"
    if isinstance(obj, Mapping):
        return str(obj.get(name) or "")
    return str(getattr(obj, name, "") or "")


@register.filter
def lookup(mapping: Any, key: Any) -> Any:
    """`mapping[key]` (None when absent): products by id in the matches table."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def kind_labels(kinds: Any) -> str:
    """Right kinds as their labels, "、"-joined; "不限" (any) for an empty list."""
    if not kinds:
        return _("不限")
    labels = dict(RightKindChoices.choices)
    return "、".join(str(labels.get(k, k)) for k in kinds)
