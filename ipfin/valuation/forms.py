"""The valuation calculator's form. It checks shape and type only (house style) and turns what a
person types into the payload of `POST /api/v1/valuations/preview` (decimals as strings): every
rule about the values themselves (life ≤ legal term, r > −1, weights > 0 ...) is the engine's, and
its errors come back on the field they name.

Units on the page, stated on every label:
- rates are entered as **percentages** ("25" or "25%" is 25 % = 0.25); the payload carries the
  decimal fraction;
- amounts are yuan, at most two decimals, no thousands separators;
- revenues are one amount per year, first year first, separated by new lines, commas or spaces.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.common.errors import DomainError
from ipfin.common.money import parse_money
from ipfin.valuation.models import CreditFileKindChoices
from ipfin.web.forms import BaseForm, MoneyField, NumberText, PercentField, money_input_error

METHODS = ("income", "cost", "market")

# Revenues: separated by new lines, commas, semicolons, spaces (also full-width, and 、).
_LIST_SEPARATORS = re.compile(r"[\s,;，；、]+")
# One comparable per line: its numbers separated by commas, semicolons, tabs or spaces.
_COMPARABLE_SEPARATORS = re.compile(r"[\s,;，；]+")
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_LEADING_ZERO = re.compile(r"0[0-9]")
MAX_REVENUE_YEARS = 100
MAX_COMPARABLES = 50
_HUNDRED = Decimal(100)


def _plain(value: Decimal) -> str:
    """A Decimal as a plain string without exponent or trailing zeros ("0.0825", "1")."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


class NumberField(NumberText):
    """A plain decimal number ("4.5"), kept exact as a Decimal."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "size": 8}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        if not _NUMBER.fullmatch(str(text).strip()):
            raise forms.ValidationError(_("请输入数字，如 4.5。"), code="invalid_number")
        return Decimal(str(text).strip())


class AmountField(NumberText):
    """An amount in yuan ≥ 0, at most two decimals (ipfin.common.money.parse_money)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return parse_money(str(text))
        except (ValueError, TypeError):
            raise money_input_error(str(text), zero_allowed=True) from None


def parse_revenues(raw: str) -> list[Decimal]:
    """Amounts in yuan, first year first; ValidationError naming the first bad item."""
    items = [part for part in _LIST_SEPARATORS.split(raw or "") if part]
    if len(items) > MAX_REVENUE_YEARS:
        raise forms.ValidationError(
            _("最多填写 %(n)s 年的收入。") % {"n": MAX_REVENUE_YEARS}, code="too_many"
        )
    amounts: list[Decimal] = []
    for n, item in enumerate(items, start=1):
        try:
            if _LEADING_ZERO.match(item):
                # "1,000,000" split at its thousands separators leaves "000": refuse it rather
                # than read three revenues 1, 0 and 0.
                raise ValueError(item)
            amounts.append(parse_money(item))
        except (ValueError, TypeError):
            raise forms.ValidationError(
                _("第 %(n)s 项“%(item)s”不是金额（元，最多两位小数，不含千位分隔符）。")
                % {"n": n, "item": item[:20]},
                code="invalid_revenue",
            ) from None
    return amounts


def parse_comparables(raw: str) -> list[dict[str, str]]:
    """One comparable per line: price, technical, economic, remaining-life ratio, time, weight,
    then an optional description. Returns the API's comparables (decimals as strings)."""
    lines = [line.strip() for line in (raw or "").splitlines() if line.strip()]
    if len(lines) > MAX_COMPARABLES:
        raise forms.ValidationError(
            _("最多填写 %(n)s 个可比交易。") % {"n": MAX_COMPARABLES}, code="too_many"
        )
    comparables: list[dict[str, str]] = []
    for n, line in enumerate(lines, start=1):
        parts = _COMPARABLE_SEPARATORS.split(line, maxsplit=6)
        numbers, label = parts[:6], (parts[6] if len(parts) > 6 else "")
        try:
            if len(numbers) < 6 or not all(_NUMBER.fullmatch(p) for p in numbers[1:]):
                raise ValueError(line)
            price = parse_money(numbers[0])
            factors = [Decimal(p) for p in numbers[1:]]
        except (ValueError, InvalidOperation):
            raise forms.ValidationError(
                _(
                    "第 %(n)s 行应为：价格（元）, 技术系数, 经济系数, 寿命系数, 时间系数, 权重"
                    "[, 说明]。"
                )
                % {"n": n},
                code="invalid_comparable",
            ) from None
        technical, economic, life, time, weight = factors
        comparables.append(
            {
                "price": f"{price:f}",
                "technical": _plain(technical),
                "economic": _plain(economic),
                "remaining_life_ratio": _plain(life),
                "time": _plain(time),
                "weight": _plain(weight),
                "label": label.strip()[:100],
            }
        )
    return comparables


def comparables_text(comparables: list[dict[str, str]]) -> str:
    """The comparables box's text for the API's comparables (the inverse of
    `parse_comparables`): one line each, "price, technical, economic, life, time, weight,
    label"."""
    lines = []
    for c in comparables:
        numbers = [c[k] for k in ("price", "technical", "economic", "remaining_life_ratio")]
        numbers += [c["time"], c["weight"]]
        label = " ".join(str(c.get("label") or "").split())[:100]
        lines.append(", ".join(numbers) + (f", {label}" if label else ""))
    return "\n".join(lines)


class ValuationForm(BaseForm):
    """The calculator: one approach and its inputs. Only the chosen approach's fields count."""

    method = forms.ChoiceField(
        label=_("评估方法"),
        choices=[("income", _("收益分成法")), ("cost", _("成本法")), ("market", _("市场法"))],
        initial="income",
        widget=forms.RadioSelect,
    )
    # 收益分成法
    revenues = forms.CharField(
        label=_("各年收入 R_t（元）"),
        help_text=_(
            "每年一个金额，第 1 年在前，用换行、逗号或空格分隔，不含千位分隔符；"
            "寿命为 4.5 年时填 5 个，第 5 年按一半计入。"
        ),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "1000000, 1100000, 1200000"}),
    )
    share_rate = PercentField(label=_("分成率 K（%）"))
    share_decay = PercentField(label=_("分成率年衰减率 d（%）"))
    tax_rate = PercentField(label=_("所得税税率 T（%）"))
    discount_rate = PercentField(label=_("折现率 r（%）"))
    life_years = NumberField(label=_("剩余经济寿命 n（年，可含小数）"))
    mid_year = forms.BooleanField(label=_("年中折现（每年按 t − ½ 折现）"), required=False)
    # Monte Carlo over the income approach (optional): ranges in percent / years.
    monte_carlo = forms.BooleanField(label=_("蒙特卡洛模拟（P10–P90 区间）"), required=False)
    growth_low = PercentField(label=_("收入年增长率下限（%）"))
    growth_high = PercentField(label=_("收入年增长率上限（%）"))
    share_rate_low = PercentField(label=_("分成率下限（%）"))
    share_rate_high = PercentField(label=_("分成率上限（%）"))
    discount_rate_low = PercentField(label=_("折现率下限（%）"))
    discount_rate_high = PercentField(label=_("折现率上限（%）"))
    life_years_low = NumberField(label=_("经济寿命下限（年）"))
    life_years_high = NumberField(label=_("经济寿命上限（年）"))
    # 成本法
    cost = AmountField(label=_("研发成本 C（元）"))
    price_index = NumberField(label=_("价格指数（成本调整到评估基准日，无调整填 1）"))
    profit_rate = PercentField(label=_("合理利润率 p（%）"))
    used_years = NumberField(label=_("已使用年限 m（年）"))
    remaining_years = NumberField(label=_("剩余经济寿命 n（年）"))
    obsolescence = PercentField(label=_("经济性贬值率 f（%）"))
    # 市场法
    comparables = forms.CharField(
        label=_("可比交易"),
        help_text=_(
            "每行一个：价格（元）, 技术系数, 经济系数, 寿命系数（剩余保护期之比）, 时间系数, 权重"
            "[, 说明]。系数为倍数（1 表示无需修正），权重按合计归一。"
        ),
        required=False,
        max_length=8000,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "800000, 1.1, 0.95, 0.8, 1.03, 2, 某许可备案"}
        ),
    )

    # Saving: the client bank the report is for (optional; it sees the report and rechecks it).
    client_bank_uscc = forms.CharField(
        label=_("委托银行统一社会信用代码（可选）"),
        help_text=_("填写后，委托银行可查看并按其内部模型复核本评估报告。"),
        required=False,
        max_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    # Fields each approach needs; the rest of the approach's fields are optional.
    REQUIRED = {
        "income": ("revenues", "share_rate", "tax_rate", "discount_rate", "life_years"),
        "cost": ("cost", "profit_rate", "used_years", "remaining_years"),
        "market": ("comparables",),
    }
    MONTE_CARLO_RANGES = ("growth", "share_rate", "discount_rate", "life_years")
    MONTE_CARLO_FIELDS = frozenset(
        f"{n}_{end}" for n in MONTE_CARLO_RANGES for end in ("low", "high")
    )

    def clean_revenues(self) -> list[Decimal]:
        return parse_revenues(self.cleaned_data.get("revenues") or "")

    def clean_client_bank_uscc(self) -> str:
        return str(self.cleaned_data.get("client_bank_uscc") or "").strip().upper()

    def clean_comparables(self) -> list[dict[str, str]]:
        return parse_comparables(self.cleaned_data.get("comparables") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        method = data.get("method")
        for name in self.REQUIRED.get(str(method), ()):
            if name not in self.errors and data.get(name) in (None, "", []):
                self.add_error(name, forms.ValidationError(_("请填写此项。"), code="required"))
        if method == "income" and data.get("monte_carlo"):
            for name in self.MONTE_CARLO_RANGES:
                for end in ("low", "high"):
                    field = f"{name}_{end}"
                    # An empty bound is the single figure above (growth: 0 %).
                    if field not in self.errors and data.get(field) is None:
                        data[field] = data.get(name) if name != "growth" else Decimal(0)
        return data

    @property
    def chosen_method(self) -> str:
        return str(self.cleaned_data.get("method") or "income")

    def payload(self) -> dict[str, Any]:
        """The preview / create payload under the API's field names (decimals as strings)."""
        data = self.cleaned_data
        method = self.chosen_method

        def dec(name: str, default: str | None = None) -> str | None:
            value = data.get(name)
            if value is None:
                return default
            return _plain(value)

        payload: dict[str, Any] = {"method": method}
        if method == "income":
            payload.update(
                revenues=[f"{r:f}" for r in data.get("revenues") or []],
                share_rate=dec("share_rate"),
                share_decay=dec("share_decay", "0"),
                tax_rate=dec("tax_rate"),
                discount_rate=dec("discount_rate"),
                life_years=dec("life_years"),
                mid_year=bool(data.get("mid_year")),
            )
            if data.get("monte_carlo"):
                payload["monte_carlo"] = {
                    name: {"low": dec(f"{name}_low"), "high": dec(f"{name}_high")}
                    for name in self.MONTE_CARLO_RANGES
                }
        elif method == "cost":
            payload.update(
                cost=dec("cost"),
                profit_rate=dec("profit_rate"),
                used_years=dec("used_years"),
                remaining_years=dec("remaining_years"),
                obsolescence=dec("obsolescence", "0"),
                price_index=dec("price_index", "1"),
            )
        else:
            payload["comparables"] = data.get("comparables") or []
        return payload

    def add_refusal(self, exc: DomainError, message: str) -> bool:
        """The engine's or the service's refusal next to the input it is about: the engine's
        field (its API spelling, see `add_input_error`), or the client bank's code, the only
        credit code on the form."""
        field = exc.extra.get("field")
        if not (isinstance(field, str) and field):
            if not exc.code.startswith(("client_bank", "uscc")):
                return False
            field = "client_bank_uscc"
        self.add_input_error(field, message)
        return True

    def add_input_error(self, field: str, message: str) -> None:
        """Put an engine error (`ValuationInputError.field`, the API's spelling) on the form
        field it is about: "comparables[2].weight" → the comparables box, "line 3"."""
        match = re.fullmatch(r"comparables\[(\d+)\](?:\.\w+)?", field)
        if match:
            line = int(match.group(1)) + 1
            self.add_error("comparables", f"{_('第 %(n)s 行') % {'n': line}}：{message}")
            return
        match = re.fullmatch(r"revenues\[(\d+)\]", field)
        if match:
            year = int(match.group(1)) + 1
            self.add_error("revenues", f"{_('第 %(n)s 年') % {'n': year}}：{message}")
            return
        if field.startswith("monte_carlo"):
            # "monte_carlo.growth.low" → growth_low; a whole range or the block → the checkbox.
            name = field.removeprefix("monte_carlo").strip(".").replace(".", "_")
            self.add_error(name if name in self.MONTE_CARLO_FIELDS else "monte_carlo", message)
        elif field in self.fields and field != "method":
            self.add_error(field, message)
        else:
            self.add_error(None, message)


class ExpertScoreForm(BaseForm):
    """An expert's assessments of the right (0–100 each, optional) for the score panel: shape
    only (a short text); the range is the score's rule (ipfin.valuation.selectors.right_score_get),
    its error shown next to the field it names."""

    expert_legal = NumberText(label=_("法律专家评分"), required=False)
    expert_technical = NumberText(label=_("技术专家评分"), required=False)
    expert_economic = NumberText(label=_("经济专家评分"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.update({"inputmode": "decimal", "size": 5, "placeholder": "0–100"})

    def experts(self) -> dict[str, str]:
        """The assessments given, as the score takes them ({indicator: text})."""
        if not self.is_valid():
            return {}
        return {name: str(v).strip() for name, v in self.cleaned_data.items() if v}


class RecheckForm(BaseForm):
    """The client bank's recheck: its own value of each right of the report, one amount (元) per
    right, named `reference_<i>` in the package's order. Shape only (an amount, at most two
    decimals); an empty one is passed on as not given, and the service says which right has no
    figure (`recheck_needs_bank_value`), shown next to that right's input."""

    def __init__(
        self,
        numbers: list[str],
        *args: Any,
        sources: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.numbers = list(numbers)
        self.sources = sources or {}
        for i, number in enumerate(self.numbers):
            self.fields[self.field_name(i)] = AmountField(
                label=_("%(number)s 的本行评估值（元）") % {"number": number}
            )

    @staticmethod
    def field_name(index: int) -> str:
        return f"reference_{index}"

    @property
    def rows(self) -> list[tuple[str, Any, str]]:
        """(number, bound field, where the prefilled figure came from) per right."""
        return [
            (number, self[self.field_name(i)], self.sources.get(number, ""))
            for i, number in enumerate(self.numbers)
        ]

    def reference_values(self) -> dict[str, str]:
        """{number: amount} as the service takes them ("" when left empty)."""
        values: dict[str, str] = {}
        for i, number in enumerate(self.numbers):
            amount = self.cleaned_data.get(self.field_name(i))
            values[number] = f"{amount:f}" if amount is not None else ""
        return values

    def add_refusal(self, exc: DomainError, message: str) -> bool:
        """A refusal about one right's value goes next to its input (`add_service_error`)."""
        field = exc.extra.get("field")
        if not (isinstance(field, str) and field.startswith("reference_values")):
            return False
        right = exc.extra.get("right")
        self.add_service_error(field, right if isinstance(right, str) else None, message)
        return True

    def add_service_error(self, field: str, right: str | None, message: str) -> None:
        """Put a service error on the input of the right it names: field
        "reference_values.<number>", or "reference_values" with the right's number; otherwise on
        the form."""
        number = field.removeprefix("reference_values.") if "." in field else right
        if number in self.numbers:
            self.add_error(self.field_name(self.numbers.index(number)), message)
        else:
            self.add_error(None, message)


class IssueForm(BaseForm):
    """Issuing a report: the two appraisers (资产评估师) who sign it (资产评估法 art. 26). The
    service decides whether they are required (a valuation agency's report) and refuses two
    equal names; its refusal (`appraisers`) goes above both inputs."""

    appraiser_one = forms.CharField(label=_("资产评估师（一）"), max_length=50, required=False)
    appraiser_two = forms.CharField(label=_("资产评估师（二）"), max_length=50, required=False)
    fee = MoneyField(
        label=_("评估费（元，可不填）"),
        required=False,
        help_text=_("本报告收取的评估费；企业可据此申请贴费。"),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    fee_payer_uscc = forms.CharField(
        label=_("评估费付费方统一社会信用代码"),
        max_length=40,
        required=False,
        help_text=_("被评估知识产权的现权利人。"),
    )

    def appraisers(self) -> list[str]:
        return [
            self.cleaned_data.get("appraiser_one", ""),
            self.cleaned_data.get("appraiser_two", ""),
        ]

    def add_refusal(self, exc: DomainError, message: str) -> bool:
        if exc.extra.get("field") == "appraisers":
            self.add_error(None, message)
            return True
        return super().add_refusal(exc, message)


class SealUploadForm(BaseForm):
    """The agency's seal image; the service checks what it is (PNG or JPEG, size, pixels)."""

    image = forms.FileField(
        label=_("印章图片（PNG 或 JPEG，最大 2 MB）"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )


# The refusals about the uploaded file itself, shown next to its input.
_FILE_CODES = {"file_type", "file_empty", "file_too_large", "file_unreadable", "too_many_rows"}


class CreditImportForm(BaseForm):
    """A credit data file for the IP office to import; the service checks every field."""

    kind = forms.ChoiceField(label=_("数据类别"), choices=CreditFileKindChoices.choices)
    source = forms.CharField(
        label=_("数据来源"),
        max_length=200,
        help_text=_(
            "发布数据的机构及名单名称，如“国家税务总局广东省税务局 2025 年度纳税信用 A 级名单”。"
        ),
    )
    as_of = forms.DateField(
        label=_("数据日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    file = forms.FileField(
        label=_("数据文件（.csv 或 .xlsx，不超过 5 MB、50,000 行）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def add_refusal(self, exc: DomainError, message: str) -> bool:
        if exc.code in _FILE_CODES:
            self.add_error("file", message)
            return True
        return super().add_refusal(exc, message)
