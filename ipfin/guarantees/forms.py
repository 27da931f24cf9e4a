"""The guarantee pages' forms: shape and type only (ipfin.guarantees.services checks every rule).
Inputs are spelled as the services' fields, so that a refusal naming one shows next to it."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.guarantees.domain import MAX_PERIOD_MONTHS
from ipfin.web.forms import BaseForm, MoneyField, PercentField


class GuaranteeRequestForm(BaseForm):
    """The bank's request: the loan and the guarantor are choices the view fills."""

    loan_id = forms.TypedChoiceField(label=_("贷款"), coerce=int)
    guarantor_id = forms.TypedChoiceField(label=_("担保机构"), coerce=int)
    share = PercentField(
        label=_("担保比例（%）"),
        required=True,
        min_percent=Decimal("0.01"),
        max_percent=Decimal(100),
        max_decimals=4,
        help_text=_("担保机构承担贷款损失的比例，如 60 表示 60%。"),
    )
    cap = MoneyField(
        label=_("担保责任上限（元）"), widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    fee_rate = PercentField(
        label=_("年担保费率（%）"),
        required=True,
        min_percent=Decimal(0),
        max_percent=Decimal(100),
        max_decimals=4,
        help_text=_("按年计；担保费 = 本金 × 年费率 × 贷款月数 / 12，于放款时收取。"),
    )
    period_months = forms.IntegerField(
        label=_("保证期间（月）"),
        required=False,
        min_value=1,
        max_value=MAX_PERIOD_MONTHS,
        help_text=_(
            "连带责任保证；自贷款到期之日起计算，银行须在此期间内索赔。不填为六个月"
            "（民法典第六百九十二条）。"
        ),
    )


class DeclineForm(BaseForm):
    reason = forms.CharField(
        label=_("拒绝理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
