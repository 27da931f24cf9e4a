"""Forms of the web UI. They check shape and type only (house style): every business rule is the
services' job, so the UI and the API can never disagree."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.accounts.models import User
from ipfin.common.money import parse_money
from ipfin.registry.models import RightKindChoices
from ipfin.registry.services import CONSENT_DOCUMENT_MAX_LENGTH

# One right number per line; commas and semicolons (also full-width, and 、) separate too.
_NUMBER_SEPARATORS = re.compile(r"[\n\r,;，；、]+")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class BaseForm(forms.Form):
    """No label suffix: the layout separates labels (":" is wrong in Chinese text)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class MoneyField(forms.CharField):
    """An amount in yuan: digits, at most two decimals, more than zero (Decimal, never float)."""

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            amount = parse_money(text)
        except (ValueError, TypeError):
            raise forms.ValidationError(
                _("请输入金额（元），最多两位小数，不含千位分隔符。"), code="invalid_money"
            ) from None
        if amount <= 0:
            raise forms.ValidationError(_("金额必须大于零。"), code="not_positive")
        return amount


def split_right_numbers(raw: str) -> list[str]:
    numbers: list[str] = []
    for part in _NUMBER_SEPARATORS.split(raw or ""):
        number = part.strip()
        if number and number not in numbers:
            numbers.append(number)
    return numbers


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
        numbers = split_right_numbers(self.cleaned_data["rights"])
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "release")
        super().__init__(*args, **kwargs)


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


class LoginForm(BaseForm):
    """Shape only: a username the user table can hold (no NUL, which PostgreSQL refuses in any
    string; at most the column's length) and a password. Anything else is a failed login."""

    username = forms.CharField(
        label=_("用户名"), max_length=getattr(User._meta.get_field("username"), "max_length", 150)
    )
    password = forms.CharField(label=_("密码"), strip=False, widget=forms.PasswordInput)


class SearchForm(BaseForm):
    """A search term: no NUL (PostgreSQL refuses it), at most 200 characters."""

    q = forms.CharField(label=_("关键词"), required=False, max_length=200)


class RightSearchForm(SearchForm):
    kind = forms.ChoiceField(
        label=_("类型"),
        required=False,
        choices=[("", _("全部类型")), *RightKindChoices.choices],
    )


# A right's number as typed (CN/ZL prefixes, spaces, 第…号) may be longer than its canonical
# form, but not by much: the register's numbers are at most 40 characters.
RIGHT_NUMBER_SPELLING_MAX = 64


def right_number_or_none(raw: str) -> str | None:
    """The right number taken from a URL if it could name a right (no NUL, not over-long),
    else None: the caller answers 404 without asking the register."""
    field = forms.CharField(max_length=RIGHT_NUMBER_SPELLING_MAX)
    try:
        return str(field.clean(raw))
    except forms.ValidationError:
        return None


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


class RightEventForm(BaseForm):
    """A transfer (转让) or a licence (许可备案) recorded by an examiner on the right's page, with
    its optional price (转让价款 / 许可使用费, yuan): the market approach's comparables, and the
    pledgee's written consent (质权人同意, needed while the right is under a registered pledge:
    民法典 art. 444 ¶2). Shape only; the registry service checks the rules (licence type and
    licensee required, owners, dates, the pledgee's consent)."""

    type = forms.ChoiceField(
        label=_("事件"),
        choices=[
            ("transfer", _("转让")),
            ("licence", _("许可备案")),
            ("term_compensation", _("专利权期限补偿（发明专利）")),
            ("renewal_filed", _("续展申请（商标）")),
            ("renewed", _("核准续展（商标）")),
        ],
    )
    date = forms.DateField(label=_("事件日期"), widget=DateInput())
    price = MoneyField(
        label=_("价款（元）"),
        required=False,
        help_text=_("转让价款或许可使用费，选填；记录后可作为市场法的可比交易。"),
    )
    owner_name = forms.CharField(label=_("受让人（转让）"), required=False, max_length=300)
    owner_uscc = forms.CharField(label=_("受让人统一社会信用代码"), required=False, max_length=40)
    licence_type = forms.ChoiceField(
        label=_("许可类型（许可）"),
        required=False,
        choices=[
            ("", "—"),
            ("exclusive", _("独占许可")),
            ("sole", _("排他许可")),
            ("ordinary", _("普通许可")),
        ],
    )
    licensee = forms.CharField(label=_("被许可人（许可）"), required=False, max_length=300)
    licensee_uscc = forms.CharField(
        label=_("被许可人统一社会信用代码"), required=False, max_length=40
    )
    # The page explains when consent is needed (a registered pledge holds the right).
    pledgee_consent = forms.BooleanField(label=_("质权人已书面同意"), required=False)
    consent_document = forms.CharField(
        label=_("同意文件编号"),
        required=False,
        max_length=CONSENT_DOCUMENT_MAX_LENGTH,
        help_text=_("质权人同意函的编号或标题；权利已出质时必填。"),
    )
    compensation_days = forms.IntegerField(
        label=_("补偿天数（期限补偿）"), required=False, min_value=1, max_value=36500
    )
    compensation_kind = forms.ChoiceField(
        label=_("补偿类型（期限补偿）"),
        required=False,
        choices=[
            ("", "—"),
            ("grant_delay", _("授权过程不合理延迟（专利法第四十二条第二款）")),
            ("drug_approval", _("新药上市审评审批占用时间（专利法第四十二条第三款）")),
        ],
    )
    note = forms.CharField(label=_("备注"), required=False, max_length=1000)

    def payload(self) -> dict[str, Any]:
        """The registry service's payload for the chosen type (ipfin.registry.services). The
        pledgee's consent goes in only when given (an unticked box records nothing)."""
        data = self.cleaned_data
        payload: dict[str, Any] = {}
        if data["type"] == "term_compensation":
            payload = {"days": data["compensation_days"], "kind": data["compensation_kind"]}
            return payload | ({"note": data["note"]} if data["note"] else {})
        if data["type"] in ("renewal_filed", "renewed"):
            return {"note": data["note"]} if data["note"] else {}
        if data["type"] == "transfer":
            payload["owners"] = [{"name": data["owner_name"], "uscc": data["owner_uscc"]}]
        else:
            for key in ("licence_type", "licensee", "licensee_uscc"):
                if data[key]:
                    payload[key] = data[key]
        if data["price"] is not None:
            payload["price"] = data["price"]
        if data["pledgee_consent"]:
            payload["pledgee_consent"] = True
        if data["consent_document"]:
            payload["consent_document"] = data["consent_document"]
        if data["note"]:
            payload["note"] = data["note"]
        return payload


class RightTermFactsForm(BaseForm):
    """What a right's true term rests on, as the examiner records it (only the fields of the
    right's kind are shown): IC layouts (条例 art. 12), copyright (著作权法 art. 23), a utility
    model's same-day invention (专利法 art. 9). Shape only: the registry service checks the
    rules."""

    first_commercial_use = forms.DateField(
        label=_("首次商业利用日"), required=False, widget=DateInput()
    )
    created_on = forms.DateField(label=_("创作完成日"), required=False, widget=DateInput())
    author_kind = forms.ChoiceField(
        label=_("作者类型"),
        required=False,
        choices=[("", "—"), ("person", _("自然人")), ("organisation", _("法人或非法人组织"))],
    )
    author_died_on = forms.DateField(label=_("作者死亡日期"), required=False, widget=DateInput())
    first_published_on = forms.DateField(label=_("首次发表日"), required=False, widget=DateInput())
    same_day_invention = forms.CharField(
        label=_("同日申请的发明专利（申请号）"),
        required=False,
        max_length=RIGHT_NUMBER_SPELLING_MAX,
    )

    KIND_FIELDS = {
        "ic_layout": ("first_commercial_use", "created_on"),
        "copyright": ("author_kind", "author_died_on", "created_on", "first_published_on"),
        "utility_model": ("same_day_invention",),
    }

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "terms")
        super().__init__(*args, **kwargs)
        keep = self.KIND_FIELDS.get(kind, ())
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]

    @classmethod
    def for_right(cls, right: Any) -> RightTermFactsForm | None:
        """The form prefilled from the register, or None for a kind without such facts."""
        if right.kind not in cls.KIND_FIELDS:
            return None
        initial = {name: getattr(right, name) for name in cls.KIND_FIELDS[right.kind]}
        return cls(kind=right.kind, initial=initial)

    def facts(self) -> dict[str, Any]:
        """The cleaned values under right_term_facts_set's names (blank clears)."""
        return {name: (value or None) for name, value in self.cleaned_data.items()}
