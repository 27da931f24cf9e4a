"""The trading board's forms: shape and type only (ipfin.trading.services checks every rule).
Inputs are spelled as the services' fields, so that a refusal naming one shows next to it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.trading.models import LicenceTypeChoices, ListingKindChoices, PriceKindChoices
from ipfin.web.forms import BaseForm, DateInput, MoneyField

_MONEY = forms.TextInput(attrs={"inputmode": "decimal"})


class ListingForm(BaseForm):
    """The holder's listing: `number` is a choice of its rights the view fills."""

    number = forms.ChoiceField(label=_("知识产权"))
    kind = forms.ChoiceField(label=_("交易方式"), choices=ListingKindChoices.choices)
    licence_type = forms.ChoiceField(
        label=_("许可类型（许可时选择）"),
        required=False,
        choices=[("", "—"), *LicenceTypeChoices.choices],
        help_text=_("共有的知识产权，共有人单独只能以普通许可方式许可他人实施（专利法第十四条）。"),
    )
    price_kind = forms.ChoiceField(label=_("价格方式"), choices=PriceKindChoices.choices)
    price = MoneyField(
        label=_("挂牌价（元）"),
        widget=_MONEY,
        help_text=_("标价：意向价格，成交价可协商；底价：成交价不得低于此价。"),
    )
    terms = forms.CharField(
        label=_("交易条件"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InterestForm(BaseForm):
    offer = MoneyField(label=_("意向价（元，可不填）"), required=False, widget=_MONEY)
    message = forms.CharField(
        label=_("意向说明"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DealForm(BaseForm):
    """The holder's deal: `interest_id` is a choice of the listing's interests."""

    interest_id = forms.TypedChoiceField(label=_("交易对方"), coerce=int)
    price = MoneyField(label=_("成交价（元）"), widget=_MONEY)
    agreed_on = forms.DateField(label=_("成交日"), required=False, widget=DateInput())


class ConsentForm(BaseForm):
    document = forms.CharField(label=_("同意文件编号"), max_length=200)


class RefuseForm(BaseForm):
    reason = forms.CharField(
        label=_("不同意理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
