"""Forms of the financing pages. Shape and type only (house style): the services validate the
rules (`clean_terms`, demand filing), so the UI and the API can never disagree."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.accounts.models import Organisation, OrganisationKind
from ipfin.financing.models import (
    InsuranceKindChoices,
    LprTenor,
    PolicyKind,
    ProductKind,
    ProductVersion,
    ResponseKind,
)
from ipfin.financing.presentation import REPAYMENT_LABELS
from ipfin.registry.models import RightKindChoices
from ipfin.web.forms import BaseForm, DateInput, MoneyField, split_list


def _parks() -> list[tuple[str, str]]:
    return [
        (str(pk), name)
        for pk, name in Organisation.objects.filter(kind=OrganisationKind.PARK)
        .order_by("name")
        .values_list("pk", "name")
    ]


class ProductFilterForm(BaseForm):
    """The catalogue's filters; the same names as the API's query parameters."""

    kind = forms.ChoiceField(
        label=_("产品类型"), required=False, choices=[("", _("全部")), *ProductKind.choices]
    )
    right_kind = forms.ChoiceField(
        label=_("权利类型"), required=False, choices=[("", _("全部")), *RightKindChoices.choices]
    )
    amount = MoneyField(label=_("融资金额（元）"), required=False)
    term = forms.IntegerField(label=_("期限（月）"), required=False, min_value=1, max_value=360)
    region = forms.CharField(label=_("地区"), required=False, max_length=100)
    industry = forms.CharField(label=_("行业"), required=False, max_length=100)
    park = forms.TypedChoiceField(label=_("园区"), required=False, coerce=int, empty_value=None)
    q = forms.CharField(label=_("关键词"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["park"].choices = [("", _("全部")), *_parks()]  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"] or None,
            "right_kind": data["right_kind"] or None,
            "amount": data["amount"],
            "term": data["term"],
            "region": data["region"].strip() or None,
            "industry": data["industry"].strip() or None,
            "park": data["park"],
            "text": data["q"].strip() or None,
        }


class ProductForm(BaseForm):
    code = forms.CharField(label=_("产品代码"), max_length=40)
    kind = forms.ChoiceField(label=_("产品类型"), choices=ProductKind.choices)
    name = forms.CharField(label=_("产品名称"), max_length=200)
    description = forms.CharField(
        label=_("产品说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    amount_min = MoneyField(label=_("最低金额（元）"), required=False)
    amount_max = MoneyField(label=_("最高金额（元）"), required=False)
    term_min_months = forms.IntegerField(label=_("最短期限（月）"), required=False)
    term_max_months = forms.IntegerField(label=_("最长期限（月）"), required=False)
    lpr_tenor = forms.ChoiceField(
        label=_("LPR期限"), required=False, choices=[("", "—"), *LprTenor.choices]
    )
    rate_spread_bp = forms.IntegerField(label=_("加点（基点）"), required=False)
    max_pledge_rate = forms.DecimalField(
        label=_("最高质押率（0–1）"), required=False, max_digits=5, decimal_places=4
    )
    accepted_right_kinds = forms.MultipleChoiceField(
        label=_("接受的权利类型（不选即不限）"),
        required=False,
        choices=RightKindChoices.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    package_allowed = forms.BooleanField(label=_("接受组合质押"), required=False, initial=True)
    repayment_methods = forms.MultipleChoiceField(
        label=_("还款方式"),
        required=False,
        choices=list(REPAYMENT_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    regions = forms.CharField(label=_("适用地区（逗号分隔，不填即不限）"), required=False)
    industries = forms.CharField(label=_("适用行业（逗号分隔，不填即不限）"), required=False)
    park_ids = forms.MultipleChoiceField(
        label=_("适用园区（不选即不限）"), required=False, widget=forms.CheckboxSelectMultiple
    )
    insurance_kind = forms.ChoiceField(
        label=_("险种（保险产品）"),
        required=False,
        choices=[("", "—"), *InsuranceKindChoices.choices],
    )
    premium_rate = forms.DecimalField(
        label=_("费率（保险、担保，0–1）"), required=False, max_digits=7, decimal_places=6
    )
    coverage_ratio = forms.DecimalField(
        label=_("保障比例（0–1）"), required=False, max_digits=5, decimal_places=4
    )
    coverage_max = MoneyField(label=_("最高保额（元）"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["park_ids"].choices = _parks()  # type: ignore[attr-defined]

    @classmethod
    def initial_from(cls, version: ProductVersion) -> dict[str, Any]:
        """The form prefilled with a version's terms (to publish the next version)."""
        product = version.product
        return {
            "code": product.code,
            "kind": product.kind,
            "name": product.name,
            "description": version.description,
            "amount_min": version.amount_min,
            "amount_max": version.amount_max,
            "term_min_months": version.term_min_months,
            "term_max_months": version.term_max_months,
            "lpr_tenor": version.lpr_tenor,
            "rate_spread_bp": version.rate_spread_bp,
            "max_pledge_rate": version.max_pledge_rate,
            "accepted_right_kinds": list(version.accepted_right_kinds),
            "package_allowed": version.package_allowed,
            "repayment_methods": list(version.repayment_methods),
            "regions": "，".join(version.regions),
            "industries": "，".join(version.industries),
            "park_ids": [str(x) for x in version.park_ids],
            "insurance_kind": version.insurance_kind,
            "premium_rate": version.premium_rate,
            "coverage_ratio": version.coverage_ratio,
            "coverage_max": version.coverage_max,
        }

    def publish_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data

        def text(x: Decimal | None) -> str | None:
            return None if x is None else str(x)

        terms = {
            "description": data["description"],
            "amount_min": text(data["amount_min"]),
            "amount_max": text(data["amount_max"]),
            "term_min_months": data["term_min_months"],
            "term_max_months": data["term_max_months"],
            "lpr_tenor": data["lpr_tenor"],
            "rate_spread_bp": data["rate_spread_bp"],
            "max_pledge_rate": text(data["max_pledge_rate"]),
            "accepted_right_kinds": data["accepted_right_kinds"],
            "package_allowed": data["package_allowed"],
            "repayment_methods": data["repayment_methods"],
            "regions": split_list(data["regions"]),
            "industries": split_list(data["industries"]),
            "park_ids": [int(x) for x in data["park_ids"]],
            "insurance_kind": data["insurance_kind"],
            "premium_rate": text(data["premium_rate"]),
            "coverage_ratio": text(data["coverage_ratio"]),
            "coverage_max": text(data["coverage_max"]),
        }
        return {
            "code": data["code"],
            "kind": data["kind"],
            "name": data["name"],
            "terms": terms,
        }


class PolicyForm(BaseForm):
    kind = forms.ChoiceField(label=_("政策类型"), choices=PolicyKind.choices)
    title = forms.CharField(label=_("政策名称"), max_length=200)
    summary = forms.CharField(
        label=_("政策内容"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    subsidy_share = forms.DecimalField(
        label=_("贴息比例（0–1）"), required=False, max_digits=5, decimal_places=4
    )
    cap_per_enterprise = MoneyField(label=_("单户年度上限（元）"), required=False)
    annual_budget = MoneyField(label=_("年度预算（元）"), required=False)
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)
    valid_from = forms.DateField(label=_("生效日"), required=False, widget=DateInput())
    valid_to = forms.DateField(label=_("截止日"), required=False, widget=DateInput())

    def publish_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for key in ("subsidy_share", "cap_per_enterprise", "annual_budget"):
            data[key] = None if data[key] is None else str(data[key])
        return data


class DemandForm(BaseForm):
    enterprise_uscc = forms.ChoiceField(label=_("企业"))
    amount = MoneyField(
        label=_("融资金额（元）"), widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    term_months = forms.IntegerField(label=_("期限（月）"), min_value=1, max_value=360)
    purpose = forms.CharField(
        label=_("资金用途"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    rights = forms.CharField(
        label=_("拟质押的知识产权（申请号/注册号，每行一个）"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, enterprises: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enterprise_uscc"].choices = [  # type: ignore[attr-defined]
            (e.uscc, f"{e.name}（{e.uscc}）") for e in enterprises if e.uscc
        ]

    def file_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "enterprise_uscc": data["enterprise_uscc"],
            "amount": data["amount"],
            "term_months": data["term_months"],
            "purpose": data["purpose"],
            "rights": split_list(data["rights"]),
        }


class RespondForm(BaseForm):
    # No answer is proposed (issue 13, "defaults that fail"): the bank chooses one, and a form
    # sent without a choice is an error next to the choice.
    response = forms.ChoiceField(
        label=_("反馈"),
        choices=[("", _("请选择")), *ResponseKind.choices],
        error_messages={
            "required": _("请选择反馈。"),
            "invalid_choice": _("请从列表中选择反馈。"),
        },
    )
    reason = forms.CharField(
        label=_("说明（不予受理时必填）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
