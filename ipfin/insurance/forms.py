"""The insurance pages' forms: shape and type only (ipfin.insurance.services checks every rule).
Inputs are spelled as the services' fields, so that a refusal naming one shows next to it; the
organisations are choices the view fills."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.insurance.models import PolicyKindChoices
from ipfin.web.forms import BaseForm, DateInput, MoneyField, PercentField, split_list

_MONEY = forms.TextInput(attrs={"inputmode": "decimal"})


class PolicyIssueForm(BaseForm):
    """One policy with at most one co-insurer (the API takes up to ten)."""

    kind = forms.ChoiceField(label=_("险种"), choices=PolicyKindChoices.choices)
    loan_id = forms.IntegerField(
        label=_("贷款编号"),
        required=False,
        min_value=1,
        help_text=_("质押融资保证保险必填：所保贷款的编号，与借款企业、贷款银行一并核对。"),
    )
    policyholder_id = forms.TypedChoiceField(
        label=_("投保人（企业或园区）"),
        coerce=int,
        help_text=_("质押融资保证保险的投保人为借款企业；一园一保的投保人为园区。"),
    )
    beneficiary_id = forms.TypedChoiceField(
        label=_("被保险银行"), coerce=int, required=False, empty_value=None
    )
    loss_share = PercentField(
        label=_("赔付比例（%）"),
        min_percent=Decimal("0.01"),
        max_percent=Decimal(100),
        max_decimals=4,
        help_text=_("质押融资保证保险必填：保险承担银行损失的比例。"),
    )
    rights = forms.CharField(
        label=_("保险标的知识产权（可不填）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("专利号或注册号，多项以逗号或换行分隔；不填则以企业或园区为标的。"),
    )
    sum_insured = MoneyField(label=_("保险金额（元）"), widget=_MONEY)
    rate = PercentField(
        label=_("保险费率（%）"),
        required=True,
        min_percent=Decimal(0),
        max_percent=Decimal(100),
        max_decimals=4,
    )
    deductible = MoneyField(label=_("免赔额（元，可不填）"), required=False, widget=_MONEY)
    starts_on = forms.DateField(label=_("起保日"), widget=DateInput())
    ends_on = forms.DateField(label=_("终保日"), widget=DateInput())
    co_insurer_id = forms.TypedChoiceField(
        label=_("共保机构（可不填）"), coerce=int, required=False, empty_value=None
    )
    co_insurer_share = PercentField(
        label=_("共保机构份额（%）"),
        min_percent=Decimal("0.01"),
        max_percent=Decimal("99.99"),
        max_decimals=4,
        help_text=_("本机构为主承保人，承担其余份额。"),
    )

    def service_data(self) -> dict[str, object]:
        """The cleaned inputs as the service's fields."""
        data = dict(self.cleaned_data)
        co_insurer, co_share = data.pop("co_insurer_id"), data.pop("co_insurer_share")
        data["co_insurers"] = (
            [{"insurer_id": co_insurer, "share": co_share}] if co_insurer is not None else []
        )
        data["rights"] = split_list(str(data.get("rights") or ""))
        if data.get("deductible") is None:
            data.pop("deductible")
        return {k: v for k, v in data.items() if v is not None}


class ClaimNoticeForm(BaseForm):
    loss_on = forms.DateField(
        label=_("出险日"),
        required=False,
        widget=DateInput(),
        help_text=_("须在保险期间内；不填为今日。保险期间届满后仍可就期间内的出险报案。"),
    )
    amount = MoneyField(label=_("索赔金额（元）"), widget=_MONEY)
    description = forms.CharField(
        label=_("出险经过"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AssessForm(BaseForm):
    loss = MoneyField(label=_("核定损失（元）"), widget=_MONEY)


class RejectForm(BaseForm):
    reason = forms.CharField(
        label=_("拒赔理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class RefundReceivedForm(BaseForm):
    received_on = forms.DateField(
        label=_("收到日"),
        required=False,
        widget=DateInput(),
        help_text=_("不填则为今日。"),
    )
