"""Form errors say what is wrong with an amount (issue 13): −5 "必须大于零", 1e20 "超过上限 …", a
thousands separator, three decimals: each its own message, never the catch-all."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms

from ipfin.common import display
from ipfin.common.money import MAX_AMOUNT
from ipfin.web.forms import MoneyField, money_input_error


class _Form(forms.Form):
    amount = MoneyField()


def _error(raw: str) -> tuple[str, str]:
    form = _Form(data={"amount": raw})
    assert not form.is_valid()
    error = form.errors.as_data()["amount"][0]
    return str(error.code), str(error.messages[0])


@pytest.mark.parametrize(
    ("raw", "code", "words"),
    [
        ("-5", "not_positive", "必须大于零"),
        ("0", "not_positive", "必须大于零"),
        ("1e20", "too_large", "超过上限"),
        ("10000000000000", "too_large", "超过上限"),
        ("1,200,000", "separators", "千位分隔符"),
        ("12.345", "too_precise", "两位小数"),
        ("abc", "invalid_money", "请输入金额"),
    ],
)
def test_each_wrong_amount_says_what_is_wrong(raw: str, code: str, words: str) -> None:
    got_code, message = _error(raw)
    assert got_code == code
    assert words in message


def test_the_upper_bound_is_named_as_money() -> None:
    _code, message = _error("1e20")
    assert display.yuan_exact(MAX_AMOUNT) in message


def test_zero_allowed_fields_say_not_negative() -> None:
    error = money_input_error("-5", zero_allowed=True)
    assert error.code == "negative" and "不能为负数" in str(error.messages[0])


def test_a_good_amount_passes() -> None:
    form = _Form(data={"amount": "1200000.50"})
    assert form.is_valid()
    assert form.cleaned_data["amount"] == Decimal("1200000.50")
