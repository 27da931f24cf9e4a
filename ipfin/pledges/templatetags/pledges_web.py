"""Template filters of the pledge pages: pre-check outcomes and the particulars of a change
(`{% load pledges_web %}`)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from ipfin.web.templatetags.ipfin_web import yuan

register = template.Library()


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
