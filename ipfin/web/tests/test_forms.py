"""The form layer every app's forms share: the one list splitter and the one percentage field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms

from ipfin.web.forms import PercentField, split_list


def test_split_list_takes_every_separator_once_in_order() -> None:
    raw = "新材料，软件、新材料\n 生物医药;半导体；\r\n,,"
    assert split_list(raw) == ["新材料", "软件", "生物医药", "半导体"]
    assert split_list("") == [] and split_list(None) == []  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("typed", "fraction"),
    [
        ("8.25", "0.0825"),
        ("8.25%", "0.0825"),
        ("8.25 ％", "0.0825"),
        ("0", "0"),
        ("-1.5", "-0.015"),
    ],
)
def test_percent_field_cleans_to_the_exact_fraction(typed: str, fraction: str) -> None:
    assert PercentField().clean(typed) == Decimal(fraction)


def test_percent_field_is_optional_unless_required() -> None:
    assert PercentField().clean("") is None
    with pytest.raises(forms.ValidationError):
        PercentField(required=True).clean("")


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("abc", "invalid_percent"),
        ("1e3", "invalid_percent"),
        ("-0.01", "percent_too_small"),
        ("100", "percent_too_large"),
        ("4.12345", "max_decimals"),
    ],
)
def test_percent_field_bounds_and_decimals(typed: str, code: str) -> None:
    field = PercentField(
        min_percent=Decimal(0), max_percent=Decimal("99.9999"), max_decimals=4, required=True
    )
    with pytest.raises(forms.ValidationError) as exc:
        field.clean(typed)
    assert exc.value.code == code
    assert field.clean("99.9999") == Decimal("0.999999")
