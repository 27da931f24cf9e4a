"""Forms of the web UI. They check shape and type only (house style): every business rule is the
services' job, so the UI and the API can never disagree."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ipfin.common import display
from ipfin.common.errors import DomainError
from ipfin.common.money import MAX_AMOUNT, parse_money

# List items: one per line; commas and semicolons (also full-width, and 、) separate too.
_LIST_SEPARATORS = re.compile(r"[\n\r,;，；、]+")
# A percentage: a signed decimal, an optional % sign (also full-width).
_PERCENT = re.compile(r"([+-]?[0-9]+(?:\.[0-9]+)?)\s*[%％]?")
_HUNDRED = Decimal(100)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time input (in the platform's time zone: the form makes it aware)."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


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


class VersionedForm(BaseForm):
    """A form that edits a stored record in place carries the version it was filled from (a
    hidden input; 0 for a record never saved), which the service compares with the stored one
    under the row's lock (ipfin.common.versioning). A stale form is refused (409
    `version_conflict`): the refusal is shown above the form's inputs, which keep what was typed,
    and the hidden version stays the stale one, so that saving again is refused again until the
    page is opened anew and shows the other save. The view fills `initial["version"]` from the
    record and passes `cleaned_data["version"]` to the service."""

    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=0, max_value=2_147_483_647
    )

    def add_refusal(self, exc: DomainError, message: str) -> bool:
        if exc.code in {"version_conflict", "version_required"}:
            self.add_error(None, message)
            return True
        return super().add_refusal(exc, message)


def money_input_error(text: str, *, zero_allowed: bool = False) -> forms.ValidationError:
    """What is wrong with an amount that `parse_money` refused, in the user's words: a negative
    amount "必须大于零", one above the bound "超过上限 9,999,999,999,999.99 元" (also written as
    1e20), thousands separators, more than two decimals, or not a number at all."""
    raw = text.strip()
    plain = raw.replace(",", "").replace("，", "")
    try:
        number: Decimal | None = Decimal(plain)
    except InvalidOperation:
        number = None
    if number is not None and number.is_finite():
        if number < 0 or raw.startswith("-"):
            if zero_allowed:
                return forms.ValidationError(_("金额不能为负数。"), code="negative")
            return forms.ValidationError(_("金额必须大于零。"), code="not_positive")
        if number > MAX_AMOUNT:
            return forms.ValidationError(
                _("超过上限 %(max)s。") % {"max": display.yuan_exact(MAX_AMOUNT)}, code="too_large"
            )
        if plain != raw:
            return forms.ValidationError(
                _("请不要输入千位分隔符，例如 1200000.50。"), code="separators"
            )
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            return forms.ValidationError(_("金额最多两位小数（到分）。"), code="too_precise")
    return forms.ValidationError(_("请输入金额（元），例如 1200000.50。"), code="invalid_money")


class MoneyField(forms.CharField):
    """An amount in yuan: digits, at most two decimals, more than zero (Decimal, never float)."""

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            amount = parse_money(text)
        except (ValueError, TypeError):
            raise money_input_error(str(text)) from None
        if amount <= 0:
            raise forms.ValidationError(_("金额必须大于零。"), code="not_positive")
        return amount


def split_list(raw: str) -> list[str]:
    """The one list splitter of the forms: items separated by lines, commas, semicolons (also
    full-width) or 、, stripped, blanks dropped, each once in the order first given:
    "新材料，软件、新材料" → ["新材料", "软件"]."""
    items: list[str] = []
    for part in _LIST_SEPARATORS.split(raw or ""):
        item = part.strip()
        if item and item not in items:
            items.append(item)
    return items


class NumberText(forms.CharField):
    """A short text field cleaned to a number: the length is checked on the text (a Decimal has no
    length for Django's MaxLengthValidator)."""

    MAX_CHARS = 24

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if text not in self.empty_values and len(str(text)) > self.MAX_CHARS:
            raise forms.ValidationError(_("输入过长。"), code="max_length")
        return text

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {**super().widget_attrs(widget), "maxlength": str(self.MAX_CHARS)}


class PercentField(NumberText):
    """A rate typed as a percentage ("8.25", "8.25%"), cleaned to the exact decimal fraction
    (0.0825). Optional unless `required=True`; `min_percent` / `max_percent` bound it (inclusive)
    and `max_decimals` limits the decimals typed."""

    def __init__(
        self,
        *,
        min_percent: Decimal | None = None,
        max_percent: Decimal | None = None,
        max_decimals: int | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "size": 8}))
        super().__init__(**kwargs)
        self.min_percent = min_percent
        self.max_percent = max_percent
        self.max_decimals = max_decimals

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        match = _PERCENT.fullmatch(str(text).strip())
        if match is None:
            raise forms.ValidationError(
                _("请输入百分数，如 25 或 25%（表示 25%）。"), code="invalid_percent"
            )
        percent = Decimal(match.group(1))
        decimals = -int(percent.as_tuple().exponent)
        if self.max_decimals is not None and decimals > self.max_decimals:
            raise forms.ValidationError(
                _("百分数最多 %(n)s 位小数。") % {"n": self.max_decimals}, code="max_decimals"
            )
        low, high = self.min_percent, self.max_percent
        if low is not None and percent < low:
            raise forms.ValidationError(
                _("不能小于 %(low)s%%。") % {"low": low}, code="percent_too_small"
            )
        if high is not None and percent > high:
            raise forms.ValidationError(
                _("不能大于 %(high)s%%。") % {"high": high}, code="percent_too_large"
            )
        return percent / _HUNDRED


class SearchForm(BaseForm):
    """A search term: no NUL (PostgreSQL refuses it), at most 200 characters."""

    q = forms.CharField(label=_("关键词"), required=False, max_length=200)
