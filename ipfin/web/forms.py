"""Forms of the web UI. They check shape and type only (house style): every business rule is the
services' job, so the UI and the API can never disagree."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ipfin.common.errors import DomainError
from ipfin.common.money import parse_money

# One right number per line; commas and semicolons (also full-width, and 、) separate too.
_NUMBER_SEPARATORS = re.compile(r"[\n\r,;，；、]+")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class BaseForm(forms.Form):
    """No label suffix: the layout separates labels (":" is wrong in Chinese text). A service's
    refusal about one input is shown next to it (`add_refusal`, called by `run_action`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def add_refusal(self, exc: DomainError, message: str) -> bool:
        """Put a service's refusal on the inputs it names: `extra["field"]`, or each entry of
        `extra["problems"]` (field, message_zh, message_en; one naming no input of the form goes
        to the form's own errors). Answers whether the form shows the refusal; if it does not,
        the page shows it above the form. A form whose inputs are spelled
        otherwise than the service's fields overrides this."""
        english = (get_language() or "").startswith("en")
        placed = False
        for problem in exc.extra.get("problems", []):
            field = problem.get("field")
            text = problem["message_en" if english else "message_zh"]
            self.add_error(field if field in self.fields else None, text)
            placed = True
        field = exc.extra.get("field")
        if not placed and isinstance(field, str) and field in self.fields:
            self.add_error(field, message)
            placed = True
        return placed


class MoneyField(forms.CharField):
    """An amount in yuan: digits, at most two decimals, more than zero (Decimal, never float)."""

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            amount = parse_money(text)
        except (ValueError, TypeError):
            raise forms.ValidationError(
                _("请输入金额（元），最多两位小数，不含千位分隔符。"), code="invalid_money"
            ) from None
        if amount <= 0:
            raise forms.ValidationError(_("金额必须大于零。"), code="not_positive")
        return amount


def split_right_numbers(raw: str) -> list[str]:
    numbers: list[str] = []
    for part in _NUMBER_SEPARATORS.split(raw or ""):
        number = part.strip()
        if number and number not in numbers:
            numbers.append(number)
    return numbers


class SearchForm(BaseForm):
    """A search term: no NUL (PostgreSQL refuses it), at most 200 characters."""

    q = forms.CharField(label=_("关键词"), required=False, max_length=200)
