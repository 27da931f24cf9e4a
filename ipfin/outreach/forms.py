"""Forms of the library's pages. Shape and type only (house style): the services check the rules
(the phone number, the dates against each other, the capacity, the duplicates), so the pages and
the API can never disagree. The inputs are spelled as the services' fields, so that a refusal
naming one is shown next to it (`BaseForm.add_refusal`); the filter forms use the API's query
parameter names."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.outreach.domain import MAX_PICK
from ipfin.outreach.models import (
    ArticleKindChoices,
    ArticleStateChoices,
    EventKindChoices,
    EventStateChoices,
    ExpertPoolChoices,
)
from ipfin.outreach.selectors import ALL_STATES
from ipfin.outreach.services import MAX_CAPACITY
from ipfin.web.forms import BaseForm, DateTimeInput, split_list

ALL = _("全部")
_LIST_HELP = _("多项以逗号、顿号或换行分隔。")


def _states(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("已发布")), *[(v, label) for v, label in choices if v != "published"],
            (ALL_STATES, ALL)]  # fmt: skip


# --- filters -------------------------------------------------------------------------------------


class LibrarySearchForm(BaseForm):
    q = forms.CharField(label=_("搜索资源库"), required=False, max_length=200)


class ArticleFilterForm(BaseForm):
    q = forms.CharField(label=_("关键词"), required=False, max_length=200)
    kind = forms.ChoiceField(
        label=_("类型"), required=False, choices=[("", ALL), *ArticleKindChoices.choices]
    )
    tag = forms.CharField(label=_("标签"), required=False, max_length=50)
    region = forms.CharField(label=_("地区"), required=False, max_length=100)
    state = forms.ChoiceField(
        label=_("状态"), required=False, choices=_states(ArticleStateChoices.choices)
    )

    def __init__(self, *args: Any, office: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not office:  # only the office reads drafts and withdrawn articles
            del self.fields["state"]

    def filters(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name in self.fields}


class EventFilterForm(BaseForm):
    q = forms.CharField(label=_("关键词"), required=False, max_length=200)
    kind = forms.ChoiceField(
        label=_("活动类型"), required=False, choices=[("", ALL), *EventKindChoices.choices]
    )
    state = forms.ChoiceField(
        label=_("状态"), required=False, choices=_states(EventStateChoices.choices)
    )

    def __init__(self, *args: Any, office: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not office:
            del self.fields["state"]

    def filters(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name in self.fields}


class ExpertFilterForm(BaseForm):
    q = forms.CharField(label=_("关键词"), required=False, max_length=200)
    pool = forms.ChoiceField(
        label=_("所属库"), required=False, choices=[("", ALL), *ExpertPoolChoices.choices]
    )
    field = forms.CharField(
        label=_("专业领域"),
        required=False,
        max_length=50,
        help_text=_("IPC 分类号（如 G06F）或行业（如 新材料）。"),
    )

    def filters(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name in self.fields}


# --- the office's forms --------------------------------------------------------------------------


class ArticleForm(BaseForm):
    kind = forms.ChoiceField(label=_("类型"), choices=ArticleKindChoices.choices)
    title = forms.CharField(label=_("标题"), max_length=200)
    summary = forms.CharField(
        label=_("摘要"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    body = forms.CharField(label=_("正文"), widget=forms.Textarea(attrs={"rows": 12}))
    tags = forms.CharField(label=_("标签"), required=False, help_text=_LIST_HELP)
    region = forms.CharField(label=_("地区"), required=False, max_length=100)

    def create_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {**data, "tags": split_list(data["tags"])}


class EventForm(BaseForm):
    kind = forms.ChoiceField(label=_("活动类型"), choices=EventKindChoices.choices)
    title = forms.CharField(label=_("活动名称"), max_length=200)
    description = forms.CharField(
        label=_("活动介绍"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=DateTimeInput())
    venue = forms.CharField(label=_("地点"), max_length=200)
    capacity = forms.IntegerField(label=_("名额"), min_value=1, max_value=MAX_CAPACITY)
    registration_deadline = forms.DateTimeField(
        label=_("报名截止时间"),
        widget=DateTimeInput(),
        help_text=_("不晚于活动开始时间。"),
    )


class RegistrationForm(BaseForm):
    attendee_name = forms.CharField(
        label=_("参会人姓名"),
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("11 位手机号码，用于活动通知。"),
    )


class CancelForm(BaseForm):
    reason = forms.CharField(label=_("取消原因"), required=False, max_length=500)


class ExpertForm(BaseForm):
    pool = forms.ChoiceField(label=_("所属库"), choices=ExpertPoolChoices.choices)
    name = forms.CharField(label=_("姓名"), max_length=50)
    organisation_name = forms.CharField(label=_("工作单位"), required=False, max_length=200)
    title = forms.CharField(label=_("职称/职务"), required=False, max_length=100)
    fields = forms.CharField(
        label=_("专业领域"),
        help_text=_("IPC 分类号（如 G06F）或行业（如 新材料）；多项以逗号、顿号或换行分隔。"),
    )
    phone = forms.CharField(
        label=_("手机号码"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    email = forms.CharField(label=_("电子邮箱"), required=False, max_length=254)
    bio = forms.CharField(label=_("简介"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def expert_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {**data, "fields": split_list(data["fields"])}


class PickForm(BaseForm):
    field = forms.CharField(
        label=_("专业领域"),
        max_length=50,
        help_text=_("IPC 分类号（如 G06F）或行业（如 新材料）。"),
    )
    count = forms.IntegerField(label=_("抽取人数"), min_value=1, max_value=MAX_PICK, initial=3)
    purpose = forms.CharField(
        label=_("用途"),
        required=False,
        max_length=200,
        help_text=_("例如：评估报告复核。"),
    )
