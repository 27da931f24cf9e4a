"""The disposal pages' forms: shape and type only (the services check every rule). Their inputs
are spelled as the services' fields, so that a refusal naming one shows next to it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.common.errors import DomainError
from ipfin.web.forms import BaseForm, MoneyField

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
