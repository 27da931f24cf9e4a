"""Forms of the pledge pages. Shape and type only: every rule is the services' (the UI and the API
can never disagree)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.accounts.models import Organisation, User
from ipfin.common.errors import DomainError
from ipfin.pledges.domain import MAX_DUE_WITHIN_DAYS, CaseQuery, case_query
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
        error_messages={
            "required": _("请选择审查决定。"),
            "invalid_choice": _("请选择准予登记、不予登记或通知补正。"),
        },
    )
    reason = forms.CharField(
        label=_("理由 / 审查意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # The case as the page showed it (services.seen_token): a decision on a case that changed
    # since is refused (409 version_conflict) instead of deciding what the examiner did not see.
    seen = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)

    def add_refusal(self, exc: DomainError, message: str) -> bool:
        """A conflict concerns the decision as a whole (already decided, changed since the page
        was opened: `version_conflict`, held by another examiner: `case_claimed_by_other`): shown
        above the form's inputs, which keep what was entered, and above the page too, since the
        form may no longer be offered. A refusal about one input goes next to it (`reason`,
        `decision`)."""
        if exc.status == 409:
            self.add_error(None, message)
            return False
        return super().add_refusal(exc, message)


class CaseFilterForm(BaseForm):
    """The examiner's desk's filters and order (GET parameters): each a choice among the desk's
    vocabulary (`domain.case_query`), a bank among the banks, a page number; a bad value is said
    next to its filter. Blank: the default."""

    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[
            ("submitted", _("待审查")),
            ("awaiting_check", _("待复核（已提议准予登记）")),
            ("correction_requested", _("待补正")),
            ("decided", _("已审结")),
            ("all", _("全部")),
        ],
    )
    deadline = forms.ChoiceField(
        label=_("审查期限"),
        required=False,
        choices=[
            ("all", _("不限")),
            ("overdue", _("已过审查期限")),
            ("due", _("即将到期")),
        ],
    )
    within_days = forms.IntegerField(
        label=_("到期工作日数"),
        required=False,
        min_value=1,
        max_value=MAX_DUE_WITHIN_DAYS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("“即将到期”：今日起若干个工作日内到期"),
        error_messages={
            "invalid": _("请输入 1 至 %(max)s 之间的整数。") % {"max": MAX_DUE_WITHIN_DAYS},
            "min_value": _("请输入 1 至 %(max)s 之间的整数。") % {"max": MAX_DUE_WITHIN_DAYS},
            "max_value": _("请输入 1 至 %(max)s 之间的整数。") % {"max": MAX_DUE_WITHIN_DAYS},
        },
    )
    kind = forms.ChoiceField(
        label=_("案件类型"),
        required=False,
        choices=[("", _("全部")), ("registration", _("质押登记")), ("change", _("变更登记"))],
    )
    right_kind = forms.ChoiceField(
        label=_("权利类型"),
        required=False,
        choices=[
            ("", _("全部")),
            ("patent", _("专利")),
            ("trademark", _("商标")),
            ("copyright", _("著作权")),
            ("ic_layout", _("集成电路布图设计")),
        ],
    )
    bank = forms.ModelChoiceField(
        label=_("质权人（银行）"),
        required=False,
        queryset=Organisation.objects.none(),
        empty_label=_("全部"),
        error_messages={"invalid_choice": _("没有这家银行，请从列表中选择。")},
    )
    claim = forms.ChoiceField(
        label=_("认领"),
        required=False,
        choices=[("all", _("全部")), ("mine", _("我的案件")), ("unclaimed", _("未认领"))],
    )
    sort = forms.ChoiceField(
        label=_("排序"),
        required=False,
        choices=[
            ("deadline", _("审查期限（近→远）")),
            ("-deadline", _("审查期限（远→近）")),
            ("filed", _("提交时间（早→晚）")),
            ("-filed", _("提交时间（晚→早）")),
            ("bank", _("质权人名称")),
            ("-amount", _("债权数额（大→小）")),
            ("amount", _("债权数额（小→大）")),
        ],
    )
    page = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=100_000,
        widget=forms.HiddenInput,
        error_messages={
            "invalid": _("页码应为正整数。"),
            "min_value": _("页码应为正整数。"),
            "max_value": _("页码过大。"),
        },
    )

    def __init__(self, *args: Any, banks: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_errors = _("请从列表中选择。")
        for name in ("status", "deadline", "kind", "right_kind", "claim", "sort"):
            self.fields[name].error_messages["invalid_choice"] = choice_errors
        if banks is not None:
            field = self.fields["bank"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = banks

    def query(self) -> CaseQuery:
        """The cleaned filters as the selector takes them."""
        data = self.cleaned_data
        bank = data.get("bank")
        return case_query(
            status=data.get("status") or None,
            deadline=data.get("deadline") or None,
            within_days=data.get("within_days"),
            kind=data.get("kind") or None,
            right_kind=data.get("right_kind") or None,
            bank_id=bank.pk if bank is not None else None,
            claim=data.get("claim") or None,
            sort=data.get("sort") or None,
        )


class CaseAssignForm(BaseForm):
    """An administrator gives a case to an examiner of the office (the view sets the choices)."""

    assignee = forms.ModelChoiceField(
        label=_("承办审查员"),
        queryset=User.objects.none(),
        empty_label=None,
        error_messages={
            "required": _("请选择审查员。"),
            "invalid_choice": _("请从列表中选择本局的审查员。"),
        },
    )

    def __init__(self, *args: Any, examiners: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if examiners is not None:
            field = self.fields["assignee"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = examiners
            field.label_from_instance = _examiner_label  # type: ignore[method-assign]


def _examiner_label(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


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
