"""Forms of the register's pages. Shape and type only: the registry services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.registry.models import RightKindChoices
from ipfin.registry.services import CONSENT_DOCUMENT_MAX_LENGTH
from ipfin.web.forms import BaseForm, DateInput, MoneyField, SearchForm, VersionedForm


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


class RightTermFactsForm(VersionedForm):
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
        keep = (*self.KIND_FIELDS.get(kind, ()), "version")
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]

    @classmethod
    def for_right(cls, right: Any) -> RightTermFactsForm | None:
        """The form prefilled from the register, or None for a kind without such facts."""
        if right.kind not in cls.KIND_FIELDS:
            return None
        initial = {name: getattr(right, name) for name in cls.KIND_FIELDS[right.kind]}
        return cls(kind=right.kind, initial={**initial, "version": right.version})

    def facts(self) -> dict[str, Any]:
        """The cleaned values under right_term_facts_set's names (blank clears)."""
        return {
            name: (value or None) for name, value in self.cleaned_data.items() if name != "version"
        }
