"""The banks' return forms (shape and type only: the service checks the rules and names the field
it refuses, shown next to it)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.stats.domain import MAX_NEW_LOANS
from ipfin.web.forms import BaseForm, PercentField


class BankReturnForm(BaseForm):
    period = forms.ChoiceField(label=_("报告期"))
    npl_ratio = PercentField(
        label=_("全行不良贷款率（%）"), required=True, min_percent=0, max_percent=100
    )
    total_loan_balance = forms.CharField(
        label=_("全行各项贷款余额（元）"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )  # fmt: skip
    ip_loan_balance = forms.CharField(
        label=_("知识产权质押贷款余额（元）"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )  # fmt: skip
    ip_new_loans = forms.IntegerField(
        label=_("本季新增知识产权质押贷款笔数"), min_value=0, max_value=MAX_NEW_LOANS
    )
    ip_new_amount = forms.CharField(
        label=_("本季新增知识产权质押贷款金额（元）"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )  # fmt: skip

    def __init__(self, *args: Any, quarters: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = quarters  # type: ignore[attr-defined]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["npl_ratio"] = str(data["npl_ratio"])
        return data


class BankReturnUploadForm(BaseForm):
    file = forms.FileField(
        label=_("报送文件（Excel 或 CSV）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
