"""Forms of the pledge pages. Shape and type only: every rule is the services' (the UI and the API
can never disagree)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.common.errors import DomainError
from ipfin.web.forms import BaseForm, DateInput, MoneyField, split_list


class _PledgeParticulars(BaseForm):
    """The particulars of a pledge application (the pledge contract's content)."""

    rights = forms.CharField(
        label=_("出质的知识产权（申请号/注册号，每行一个）"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    debt_amount = MoneyField(
        label=_("被担保主债权数额（元）"), widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    term_start = forms.DateField(label=_("债务履行期限起"), widget=DateInput())
    term_end = forms.DateField(label=_("债务履行期限止"), widget=DateInput())
    contract_no = forms.CharField(label=_("质押合同编号"), max_length=100)
    scope = forms.CharField(
        label=_("担保范围"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    forfeiture_clause = forms.BooleanField(label=_("质押合同含流质条款"), required=False)
    co_owner_consent = forms.BooleanField(label=_("全体共有人同意出质"), required=False)
    proceed_despite_invalidation = forms.BooleanField(
        label=_("双方已知悉无效宣告程序，仍请求办理登记"), required=False
    )
    proceed_despite_same_day = forms.BooleanField(
        label=_(
            "双方已知悉同一申请人同日就同样的发明创造申请了发明专利，仍请求办理实用新型质押登记"
        ),
        required=False,
    )

    def clean_rights(self) -> list[str]:
        numbers = split_list(self.cleaned_data["rights"])
        if not numbers:
            raise forms.ValidationError(_("请至少填写一项知识产权。"), code="no_rights")
        return numbers

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("term_start"), data.get("term_end")
        if start and end and end < start:
            self.add_error("term_end", _("债务履行期限止不能早于起始日。"))
        return data


class PledgeApplicationForm(_PledgeParticulars):
    """One party's filing of the joint application (办法 arts. 3, 7): a bank names the pledgor
    enterprise, an enterprise (`as_pledgor=True`) names the pledgee bank."""

    pledgor_uscc = forms.CharField(
        label=_("出质人统一社会信用代码"),
        max_length=18,
        min_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    pledgee_uscc = forms.CharField(
        label=_("质权人（银行）统一社会信用代码"),
        max_length=18,
        min_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    contract = forms.FileField(
        label=_("质押合同（PDF）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    field_order = ["pledgor_uscc", "pledgee_uscc", "rights"]

    def __init__(self, *args: Any, as_pledgor: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.as_pledgor = as_pledgor
        del self.fields["pledgor_uscc" if as_pledgor else "pledgee_uscc"]

    def clean_pledgor_uscc(self) -> str:
        return str(self.cleaned_data["pledgor_uscc"]).strip().upper()

    def clean_pledgee_uscc(self) -> str:
        return str(self.cleaned_data["pledgee_uscc"]).strip().upper()

    def precheck_kwargs(self) -> dict[str, Any]:
        """The cleaned values under the names of pledge_precheck (an enterprise checks for
        itself: the selector takes its own credit code)."""
        data = self.cleaned_data
        return {
            "pledgor_uscc": data.get("pledgor_uscc", ""),
            "rights": data["rights"],
            "term_start": data["term_start"],
            "term_end": data["term_end"],
            "forfeiture_clause": data["forfeiture_clause"],
            "co_owner_consent": data["co_owner_consent"],
            "proceed_despite_invalidation": data["proceed_despite_invalidation"],
            "proceed_despite_same_day": data["proceed_despite_same_day"],
        }

    def submit_kwargs(self) -> dict[str, Any]:
        """The cleaned values under the names of pledge_submit."""
        data = self.cleaned_data
        kwargs = {
            **self.precheck_kwargs(),
            "debt_amount": data["debt_amount"],
            "contract_no": data["contract_no"],
            "scope": data["scope"],
        }
        if self.as_pledgor:
            kwargs["pledgee_uscc"] = data["pledgee_uscc"]
            del kwargs["pledgor_uscc"]
        return kwargs


class ConfirmForm(BaseForm):
    """The other party's signature: a deliberate act, so it is declared, not just clicked."""

    acknowledge = forms.BooleanField(
        label=_("我方已阅读上述申请内容和预审结果，同意与对方共同申请办理质押登记"),
        error_messages={"required": _("请勾选确认后再提交。")},
    )


class DeclineForm(BaseForm):
    reason = forms.CharField(
        label=_("拒绝理由"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReleaseForm(BaseForm):
    """注销登记: on what ground, and an explicit confirmation (it cannot be undone)."""

    basis = forms.ChoiceField(
        label=_("注销依据"),
        choices=[
            ("debt_discharged", _("主债务已履行完毕")),
            ("pledge_waived", _("质权人放弃质权")),
            ("joint", _("双方共同申请注销（出质人已申请）")),
        ],
    )
    acknowledge = forms.BooleanField(
        label=_("确认注销：注销后知识产权即解除质押，不能恢复"),
        error_messages={"required": _("请勾选确认后再提交。")},
    )
    # While the pledge secures an outstanding loan of the bank (the page lists them): the
    # bank's declaration that it waives the security, with its reason (民法典 arts. 393, 435).
    waive_security = forms.BooleanField(
        label=_("放弃担保：本行知悉上列贷款尚未清偿，注销后该贷款成为无担保贷款"),
        required=False,
    )
    reason = forms.CharField(
        label=_("放弃担保的理由"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "release")
        super().__init__(*args, **kwargs)

    def add_refusal(self, exc: DomainError, message: str) -> bool:
        """A release refused because the pledge still secures a loan: next to the waiver."""
        if exc.code == "pledge_secures_outstanding_loan":
            self.add_error("waive_security", message)
            return True
        return super().add_refusal(exc, message)


class DocumentUploadForm(BaseForm):
    file = forms.FileField(
        label=_("质押合同（PDF）"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )


class DecisionForm(BaseForm):
    decision = forms.ChoiceField(
        label=_("审查决定"),
        choices=[
            ("approve", _("准予登记")),
            ("reject", _("不予登记")),
            ("correct", _("通知补正")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("理由 / 审查意见"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class PledgeCorrectionForm(_PledgeParticulars):
    """The corrected application (补正) of a pledge the examiner sent back: the same particulars,
    prefilled; the pledgor stays the same."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "correction")
        super().__init__(*args, **kwargs)

    @classmethod
    def for_pledge(cls, pledge: Any) -> PledgeCorrectionForm:
        return cls(
            initial={
                "rights": "\n".join(item.right.number for item in pledge.items.all()),
                "debt_amount": pledge.debt_amount,
                "term_start": pledge.term_start,
                "term_end": pledge.term_end,
                "contract_no": pledge.contract_no,
                "scope": pledge.scope,
                "forfeiture_clause": pledge.forfeiture_clause,
                "co_owner_consent": pledge.co_owner_consent,
                "proceed_despite_invalidation": pledge.proceed_despite_invalidation,
                "proceed_despite_same_day": pledge.proceed_despite_same_day,
            }
        )

    def resubmit_kwargs(self) -> dict[str, Any]:
        """The cleaned values under the names of pledge_resubmit."""
        return dict(self.cleaned_data)


class PledgeChangeForm(BaseForm):
    """变更登记: what changes (each optional) and why."""

    debt_amount = MoneyField(
        label=_("变更后的被担保主债权数额（元）"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    term_end = forms.DateField(
        label=_("变更后的债务履行期限止"), required=False, widget=DateInput()
    )
    scope = forms.CharField(
        label=_("变更后的担保范围"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = forms.CharField(label=_("变更理由"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "change")
        super().__init__(*args, **kwargs)

    def change_kwargs(self) -> dict[str, Any]:
        """The cleaned values under the names of pledge_change (None: unchanged)."""
        data = self.cleaned_data
        return {
            "reason": data["reason"],
            "debt_amount": data.get("debt_amount"),
            "term_end": data.get("term_end"),
            "scope": data["scope"] if data.get("scope") else None,
        }
