"""The form layer every app's forms share: the one list splitter and the one percentage field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms

from ipfin.common.errors import invalid
from ipfin.common.versioning import version_conflict
from ipfin.web.forms import PercentField, VersionedForm, split_list


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


class _Edit(VersionedForm):
    notice = forms.CharField()


def test_a_versioned_form_carries_its_version_hidden_and_shows_a_stale_refusal_above() -> None:
    form = _Edit({"notice": "x", "version": "3"})
    assert form.is_valid() and form.cleaned_data["version"] == 3
    assert 'type="hidden" name="version" value="3"' in str(form["version"])
    assert form.add_refusal(version_conflict(4), "已被他人修改（当前版本 4）") is True
    assert form.non_field_errors() == ["已被他人修改（当前版本 4）"]
    assert not form.has_error("version") and not form.has_error("notice")


def test_a_versioned_form_places_other_refusals_as_every_form_does() -> None:
    form = _Edit({"notice": "x", "version": "1"})
    assert form.is_valid()
    refusal = invalid("notice", "notice_required", "请填写", "Enter it")
    assert form.add_refusal(refusal, "请填写") is True
    assert form.errors["notice"] == ["请填写"]
