"""Forms of the white-list pages: shape and type only; the services hold the rules (so the UI and
the API can never disagree)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.accounts.models import EnterpriseSize, Organisation, OrganisationKind
from ipfin.web.forms import BaseForm, split_list
from ipfin.whitelist.models import FollowUpStatus, ListKind


class ImportForm(BaseForm):
    kind = forms.ChoiceField(label=_("名单类型"), choices=ListKind.choices)
    name = forms.CharField(label=_("名单名称"), max_length=200, required=False)
    file = forms.FileField(
        label=_("名单文件（.csv 或 .xlsx，不超过 5 MB）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


class RuleForm(BaseForm):
    name = forms.CharField(label=_("规则名称"), max_length=200)
    min_credit_score = forms.IntegerField(
        label=_("最低“知识产权+信用”评分"), min_value=0, max_value=100, required=False
    )
    industries = forms.CharField(
        label=_("行业（多个用逗号或顿号分隔）"), max_length=2000, required=False
    )
    regions = forms.CharField(
        label=_("地区（行政区划码或名称，按前缀匹配）"), max_length=2000, required=False
    )
    park_ids = forms.MultipleChoiceField(
        label=_("园区"), required=False, widget=forms.CheckboxSelectMultiple
    )
    sizes = forms.MultipleChoiceField(
        label=_("企业规模"),
        choices=EnterpriseSize.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    required_list_kinds = forms.MultipleChoiceField(
        label=_("须在名单内"),
        choices=ListKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parks = Organisation.objects.filter(kind=OrganisationKind.PARK).order_by("name")
        self.fields["park_ids"].choices = [(p.pk, p.name) for p in parks]  # type: ignore[attr-defined]

    def payload(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "min_credit_score": data.get("min_credit_score"),
            "industries": split_list(data.get("industries", "")),
            "regions": split_list(data.get("regions", "")),
            "park_ids": [int(p) for p in data.get("park_ids") or []],
            "sizes": list(data.get("sizes") or []),
            "required_list_kinds": list(data.get("required_list_kinds") or []),
        }


class BatchForm(BaseForm):
    title = forms.CharField(label=_("批次名称"), max_length=200, required=False)


class PushForm(BaseForm):
    bank_ids = forms.MultipleChoiceField(label=_("推送给银行"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, banks: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank_ids"].choices = [(b.pk, b.name) for b in banks]  # type: ignore[attr-defined]


class FollowUpForm(BaseForm):
    status = forms.ChoiceField(label=_("跟进状态"), choices=FollowUpStatus.choices)
    amount = forms.CharField(label=_("金额（元，授信或放款时填写）"), max_length=20, required=False)
    reason = forms.CharField(label=_("原因（未通过时填写）"), max_length=500, required=False)
    note = forms.CharField(label=_("备注"), max_length=500, required=False)


class RecommendationForm(BaseForm):
    enterprise_uscc = forms.CharField(label=_("企业统一社会信用代码"), max_length=40)
    reason = forms.CharField(
        label=_("推荐理由"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    intended_amount = forms.CharField(label=_("拟授信金额（元）"), max_length=20, required=False)


class RecommendationDecisionForm(BaseForm):
    decision = forms.ChoiceField(
        label=_("处理"), choices=[("accept", _("纳入批次")), ("decline", _("不予采纳"))]
    )
    batch_id = forms.TypedChoiceField(label=_("纳入草稿批次"), coerce=int, required=False)
    reason = forms.CharField(label=_("处理意见"), max_length=1000, required=False)

    def __init__(self, *args: Any, batches: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["batch_id"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (b.pk, b.title) for b in batches
        ]
