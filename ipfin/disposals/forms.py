"""The disposal pages' forms: shape and type only (the services check every rule). Their inputs
are spelled as the services' fields, so that a refusal naming one shows next to it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.common.errors import DomainError
from ipfin.disposals.models import WITHDRAW_REASON_MAX, MethodChoices
from ipfin.web.forms import BaseForm, DateInput, DateTimeInput, MoneyField

# Refusals of a bid that are about its amount: shown next to it.
_AMOUNT_REFUSALS = {"bid_too_low"}


class DisposalFilterForm(BaseForm):
    state = forms.ChoiceField(label=_("状态"), required=False)


class BidForm(BaseForm):
    amount = MoneyField(
        label=_("出价（元）"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def add_refusal(self, exc: DomainError, message: str) -> bool:
        if exc.code in _AMOUNT_REFUSALS:
            self.add_error("amount", message)
            return True
        return super().add_refusal(exc, message)


class BackstopForm(BaseForm):
    price = MoneyField(
        label=_("收储价格（元）"), widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )


class CompleteForm(BaseForm):
    disposal_costs = MoneyField(
        label=_("处置费用（元，可不填）"),
        required=False,
        help_text=_("从成交价中先行扣除的评估、交易、过户等费用；不填即为零。"),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )


class WithdrawForm(BaseForm):
    reason = forms.CharField(
        label=_("撤回理由"),
        max_length=WITHDRAW_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("如借款人已全额还款、质押已注销，或拟以新的起拍价重新挂牌。"),
    )


class DisposalCreateForm(BaseForm):
    """A listing: the pledge and the valuation are choices the view fills (the bank's listable
    pledges; the valuations grouped by pledge)."""

    pledge_id = forms.TypedChoiceField(label=_("质押登记"), coerce=int)
    method = forms.ChoiceField(label=_("处置方式"), choices=MethodChoices.choices)
    valuation_id = forms.TypedChoiceField(
        label=_("起拍价依据的评估报告"),
        coerce=int,
        help_text=_(
            "本行的评估或经本行复核的评估机构报告，评估对象为该质押的全部知识产权，"
            "评估基准日在挂牌日前 12 个月内。"
        ),
    )
    reserve_price = MoneyField(
        label=_("起拍价（元）"),
        help_text=_("不低于评估值的 70%。"),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    increment = MoneyField(
        label=_("加价幅度（元）"), widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    listed_on = forms.DateField(
        label=_("挂牌日"), widget=DateInput(), help_text=_("今日或以后；收储期自挂牌日起算。")
    )
    closes_at = forms.DateTimeField(
        label=_("竞价截止时间"),
        widget=DateTimeInput(),
        help_text=_("竞价时间不少于 24 小时（自挂牌日零时起算）。"),
    )

    def __init__(
        self,
        *args: Any,
        pledges: list[tuple[Any, str]],
        valuations: list[tuple[Any, Any]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pledge_id"].choices = pledges  # type: ignore[attr-defined]
        self.fields["valuation_id"].choices = valuations  # type: ignore[attr-defined]
