"""Forms of the index's office pages. Shape and type only (house style): the services check the
rules (the code's form, a platform metric used once, a weight under fixed weighting, each row of
the workbook), so that the pages and the API can never disagree. The inputs are spelled as the
services' fields, so that a refusal naming one is shown next to it (`BaseForm.add_refusal`):
the workbook's wrong rows, each with its row number, next to the file input, as a list."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.web.forms import BaseForm, NumberText
from ipfin.zoneindex.domain import MAX_CODE_LENGTH
from ipfin.zoneindex.models import (
    Dimension,
    DirectionChoices,
    IndicatorDef,
    IndicatorSource,
    MethodChoices,
    PlatformMetric,
    WeightingChoices,
)
from ipfin.zoneindex.services.common import MAX_YEAR, MIN_YEAR

_NONE = [("", _("（上报数据不选）"))]


class SystemSettingsForm(BaseForm):
    method = forms.ChoiceField(label=_("标准化方法"), choices=MethodChoices.choices)
    weighting = forms.ChoiceField(
        label=_("赋权方法"),
        choices=WeightingChoices.choices,
        help_text=_("熵权法按各示范区数值的离散程度定权，只能与极差标准化同用。"),
    )


class SystemForm(SystemSettingsForm):
    name = forms.CharField(label=_("指标体系名称"), max_length=100)
    field_order = ["name", "method", "weighting"]


class IndicatorForm(BaseForm):
    code = forms.CharField(
        label=_("指标代码"),
        max_length=MAX_CODE_LENGTH,
        help_text=_("字母开头，由字母、数字或下划线组成，上传数值表时填写。"),
    )
    name_zh = forms.CharField(label=_("指标名称"), max_length=100)
    name_en = forms.CharField(label=_("英文名称"), max_length=100)
    dimension = forms.ChoiceField(label=_("维度"), choices=Dimension.choices)
    source = forms.ChoiceField(label=_("数据来源"), choices=IndicatorSource.choices)
    platform_metric = forms.ChoiceField(
        label=_("平台指标"),
        required=False,
        choices=[*_NONE, *PlatformMetric.choices],
        help_text=_("按园区成员企业当年放款的贷款计算。"),
    )
    direction = forms.ChoiceField(label=_("指标方向"), choices=DirectionChoices.choices)
    weight = NumberText(
        label=_("权重"),
        required=False,
        help_text=_("大于 0，按各指标权重之和归一；熵权法时不填。"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10}),
    )

    def __init__(self, *args: Any, indicator: IndicatorDef | None = None, **kwargs: Any) -> None:
        if indicator is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name_zh": indicator.name_zh,
                    "name_en": indicator.name_en,
                    "dimension": indicator.dimension,
                    "source": indicator.source,
                    "platform_metric": indicator.platform_metric,
                    "direction": indicator.direction,
                    "weight": "" if indicator.weight is None else indicator.weight.normalize(),
                },
            )
        super().__init__(*args, **kwargs)
        if indicator is not None:  # the code stays: the uploaded values are keyed by it
            del self.fields["code"]

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["weight"] = data.get("weight") or None
        return data


class ValuesUploadForm(BaseForm):
    year = forms.IntegerField(label=_("年度"), min_value=MIN_YEAR, max_value=MAX_YEAR)
    file = forms.FileField(
        label=_("指标数值表（Excel）"),
        help_text=_(
            "三列：示范区名称或统一社会信用代码、指标代码、数值；第一行可为表头。"
            "任何一行有误时不保存任何数值。"
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


class RunForm(BaseForm):
    year = forms.IntegerField(label=_("计算年度"), min_value=MIN_YEAR, max_value=MAX_YEAR)
