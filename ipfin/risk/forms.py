"""The risk pages' forms: a note on an alert, the office's scan."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.web.forms import BaseForm, DateInput


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
