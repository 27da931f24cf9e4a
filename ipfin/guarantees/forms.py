"""The guarantee pages' forms: shape and type only (ipfin.guarantees.services checks every rule).
Inputs are spelled as the services' fields, so that a refusal naming one shows next to it."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.guarantees.domain import MAX_ENFORCEMENT_REF, MAX_PERIOD_MONTHS
from ipfin.guarantees.models import LiabilityChoices
from ipfin.web.forms import BaseForm, DateInput, MoneyField, PercentField


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
            "自贷款到期之日起计算：连带责任保证须在此期间内索赔，一般保证须在此期间内对借款人"
            "提起诉讼或者申请仲裁。不填为六个月（民法典第六百九十二条、第六百九十三条）。"
        ),
    )
    liability = forms.ChoiceField(
        label=_("保证方式"),
        choices=LiabilityChoices.choices,
        initial=LiabilityChoices.JOINT,
        required=False,  # omitted: joint, as the API's default
        help_text=_(
            "按担保合同的约定。一般保证的担保机构在借款人经审判或者仲裁并强制执行仍不能履行前，"
            "有权拒绝承担保证责任（民法典第六百八十七条）。"
        ),
    )


class GeneralCallForm(BaseForm):
    """A general guarantee's call: the borrower's suit and what its enforcement left."""

    sued_on = forms.DateField(
        label=_("起诉或申请仲裁日"),
        widget=DateInput(),
        help_text=_("须在保证期间内（民法典第六百九十三条第一款）。"),
    )
    enforcement_ref = forms.CharField(
        label=_("执行结果或免于先诉的情形"),
        max_length=MAX_ENFORCEMENT_REF,
        help_text=_(
            "如终结本次执行程序裁定书文号；或民法典第六百八十七条第二款规定的情形（借款人下落不明"
            "且无财产可供执行、人民法院已受理借款人破产案件、有证据证明借款人财产不足以履行、"
            "担保机构书面放弃该权利）。"
        ),
    )


class DeclineForm(BaseForm):
    reason = forms.CharField(
        label=_("拒绝理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class RefundReceivedForm(BaseForm):
    amount = MoneyField(label=_("收到金额（元）"))
    received_on = forms.DateField(
        label=_("收到日"), required=False, widget=DateInput(), help_text=_("不填则为今日。")
    )
