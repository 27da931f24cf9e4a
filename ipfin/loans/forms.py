"""Forms of the loans UI. Shape and type only: every rule is the services' (the UI and the API can
never disagree). Rates are entered in percent (3.45 = 3.45 %) and handed to the services as the
fractions they take."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.loans.models import DayCountChoices, MethodChoices, RiskCategoryChoices
from ipfin.web.forms import BaseForm, DateInput, MoneyField, PercentField

# An annual rate: 0 to 99.9999 %, at most four decimals of a percent.
_RATE_BOUNDS: dict[str, Any] = {
    "min_percent": Decimal(0),
    "max_percent": Decimal("99.9999"),
    "max_decimals": 4,
}


class ScheduleForm(BaseForm):
    principal = MoneyField(label=_("贷款本金（元）"))
    annual_rate = PercentField(label=_("年利率（%）"), required=True, **_RATE_BOUNDS)
    months = forms.IntegerField(label=_("期数（月）"), min_value=1, max_value=360)
    method = forms.ChoiceField(label=_("还款方式"), choices=MethodChoices.choices)
    start_date = forms.DateField(label=_("放款日"), widget=DateInput())
    day_count = forms.ChoiceField(label=_("计息基准"), choices=DayCountChoices.choices)


class LoanApplyForm(BaseForm):
    enterprise_uscc = forms.CharField(label=_("借款企业统一社会信用代码"), max_length=40)
    product_version_id = forms.TypedChoiceField(
        label=_("贷款产品"), coerce=int, required=False, empty_value=None
    )
    amount = MoneyField(label=_("申请金额（元）"))
    months = forms.IntegerField(label=_("申请期限（月）"), min_value=1, max_value=360)
    method = forms.ChoiceField(label=_("还款方式"), choices=MethodChoices.choices)
    day_count = forms.ChoiceField(label=_("计息基准"), choices=DayCountChoices.choices)
    purpose = forms.CharField(
        label=_("资金用途"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, products: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["product_version_id"]
        field.choices = [("", _("（不选产品，直接申请）")), *products]  # type: ignore[attr-defined]


class ApproveForm(BaseForm):
    principal = MoneyField(label=_("授信额度（元）"))
    months = forms.IntegerField(label=_("期限（月）"), min_value=1, max_value=360)
    method = forms.ChoiceField(label=_("还款方式"), choices=MethodChoices.choices)
    day_count = forms.ChoiceField(label=_("计息基准"), choices=DayCountChoices.choices)
    annual_rate = PercentField(label=_("年利率（%，留空则按产品LPR加点）"), **_RATE_BOUNDS)
    pledge_id = forms.TypedChoiceField(label=_("质押登记"), coerce=int)
    # Always chosen by the bank (none is picked for it): its own valuations and the agencies'
    # reports it rechecked without a flag (`ipfin.loans.selectors.pledge_valuations`).
    valuation_id = forms.TypedChoiceField(label=_("评估报告"), coerce=int)

    def __init__(
        self,
        *args: Any,
        pledges: list[tuple[int, str]],
        valuations: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pledge_id"].choices = pledges  # type: ignore[attr-defined]
        self.fields["valuation_id"].choices = [("", "—"), *valuations]  # type: ignore[attr-defined]


class DeclineForm(BaseForm):
    reason = forms.CharField(
        label=_("拒绝理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ClassifyForm(BaseForm):
    category = forms.ChoiceField(label=_("银行认定分类"), choices=RiskCategoryChoices.choices)
    reason = forms.CharField(
        label=_("认定理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class WriteOffForm(BaseForm):
    reason = forms.CharField(
        label=_("核销理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DisburseForm(BaseForm):
    disbursed_on = forms.DateField(label=_("放款日"), widget=DateInput())


class RepaymentForm(BaseForm):
    amount = MoneyField(label=_("还款金额（元）"))
    paid_on = forms.DateField(label=_("还款日"), widget=DateInput())


class ClaimForm(BaseForm):
    policy_id = forms.TypedChoiceField(label=_("贴息政策"), coerce=int)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)

    def __init__(self, *args: Any, policies: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["policy_id"].choices = policies  # type: ignore[attr-defined]


class ReviewForm(BaseForm):
    decision = forms.ChoiceField(
        label=_("审核决定"), choices=[("approve", _("通过")), ("reject", _("不通过"))]
    )
    reason = forms.CharField(label=_("审核意见"), required=False, max_length=2000)


class AllocateForm(ClaimForm):
    pass
