"""The risk pages' forms: a note on an alert, the office's scan."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.web.forms import BaseForm, DateInput, MoneyField


class AlertAcknowledgeForm(BaseForm):
    note = forms.CharField(label=_("处理说明（可选）"), max_length=500, required=False)


class AlertResolveForm(BaseForm):
    note = forms.CharField(
        label=_("解除说明"),
        max_length=500,
        min_length=2,
        help_text=_("写明已采取的措施或风险解除的依据，如“企业已补缴年费”“法院已解除保全”。"),
    )


class RiskScanForm(BaseForm):
    on = forms.DateField(label=_("扫描日期"), required=False, widget=DateInput())


class AlertFilterForm(BaseForm):
    status = forms.ChoiceField(label=_("状态"), required=False)
    kind = forms.ChoiceField(label=_("预警类型"), required=False)


class ClaimFileForm(BaseForm):
    """A bank's claim: one of its non-performing loans, under a scheme (choices set by the view)."""

    loan_id = forms.TypedChoiceField(label=_("不良贷款"), coerce=int)
    scheme_id = forms.TypedChoiceField(label=_("风险补偿方案"), coerce=int)


class ClaimRejectForm(BaseForm):
    reason = forms.CharField(label=_("不予补偿的理由"), max_length=500)


class ClaimSettleForm(BaseForm):
    proceeds = MoneyField(label=_("处置所得（元）"))
    disposal_costs = MoneyField(label=_("处置费用（元，可不填）"), required=False)


class FundBudgetForm(BaseForm):
    amount = MoneyField(label=_("注资金额（元）"))
    memo = forms.CharField(label=_("摘要（如拨款文号）"), max_length=200)
