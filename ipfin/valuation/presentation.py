"""What a valuation shows, in words and tables: shared by the valuation page and the PDF report, so
the page and the filed report agree.

- `method_name`, `method_formula`: the approach as GB/T 42748-2023《专利评估指引》names it, and
  its formula in words;
- `input_rows`: the inputs as (label, shown value), rates as percentages, amounts in 元;
- `calculation_table`: the per-year income table, the cost breakdown, the adjusted comparables or
  the bank's internal valuation lines;
- `value_text` / `yuan_text` / `percent`: amounts in 元 and 万元 (ipfin.common.money), rates;
- `report_number`, `valuation_date`, `valuation_rights`: the report's facts;
- `recheck_text`, `recheck_note`, `recheck_table`: the client bank's recheck (its own value of the
  rights against the report's, the basis of its figures, the collateral value for information).

Strings are gettext'd: they follow the active language (the PDF renders under
`translation.override`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ipfin.common import display
from ipfin.registry.labels import status_label
from ipfin.registry.models import RightKindChoices
from ipfin.registry.selectors import current_owners, rights_status_bulk
from ipfin.valuation.domain.indicator import FIXED_GRADE_SCALE

__all__ = [
    "CalculationTable",
    "calculation_table",
    "field_of",
    "input_rows",
    "is_english",
    "issue_date",
    "method_formula",
    "method_name",
    "percent",
    "recheck_note",
    "recheck_table",
    "recheck_text",
    "report_number",
    "right_rows",
    "state_label",
    "valuation_date",
    "valuation_rights",
    "value_text",
    "yuan_text",
]

# --- values in words -----------------------------------------------------------------------------


def is_english() -> bool:
    """Whether the active language is English (else Chinese)."""
    return (translation.get_language() or "").startswith("en")


def field_of(obj: Any, name: str, default: Any = None) -> Any:
    """`obj[name]` of a mapping, `obj.name` of an object."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def yuan_text(value: Any) -> str:
    """An amount as the page shows it: "1,250.00 万元" / "CNY 12,500,000.00"."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    return display.yuan(amount, english=is_english())


def value_text(value: Any) -> str:
    """The value to the fen and by size: "1,234,567.89 元（123.46 万元）"; in English the exact
    figure only, "CNY 1,234,567.89"."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    if is_english():
        return display.yuan_en(amount)
    exact, scaled = display.yuan_exact(amount), display.yuan_scaled(amount)
    return exact if exact == scaled else f"{exact}（{scaled}）"


def percent(value: Any) -> str:
    """A rate given as a decimal fraction, shown as a percentage: "0.0825" → "8.25%"."""
    rate = _decimal(value)
    return "—" if rate is None else display.percent(rate)


def _number(value: Any, places: int | None = None) -> str:
    number = _decimal(value)
    if number is None:
        return "—" if value in (None, "") else str(value)
    if places is not None:
        return f"{number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,f}"
    return f"{number.normalize():f}"


def _yes_no(value: Any) -> str:
    truthy = value in (True, "true", "True", "1", 1, "on")
    return _("是") if truthy else _("否")


# --- approaches ----------------------------------------------------------------------------------


def method_name(method: str) -> str:
    """The approach's name as GB/T 42748-2023 calls it."""
    names = {
        "income": _("收益分成法"),
        "cost": _("成本法"),
        "market": _("市场法"),
        "bank_internal": _("银行内部估值"),
    }
    return names.get(method, method)


def method_formula(method: str) -> str:
    """The approach's formula in words, naming the standard's terms."""
    formulas = {
        "income": _(
            "收益法之收益分成法（GB/T 42748-2023《专利评估指引》）："
            "评估值 V = Σ R_t × K_t × (1 − T) ÷ (1 + r)^t，"
            "其中 R_t 为第 t 年与该知识产权相关的收入，K_t = K × (1 − d)^(t−1) 为第 t 年的分成率"
            "（K 为分成率，d 为年衰减率），T 为所得税税率，r 为折现率，折现期为 t"
            "（采用年中折现时每年为 t − ½）；收益期为剩余经济寿命 n，不超过剩余法定保护期限，"
            "末年不足一年的按比例计入。"
        ),
        "cost": _(
            "成本法（GB/T 42748-2023《专利评估指引》）："
            "评估值 V = C × (1 + p) × n ÷ (m + n) × (1 − f)，"
            "其中 C 为按价格指数调整后的研发成本（重置成本），p 为合理利润率，"
            "n ÷ (m + n) 为成新率（m 为已使用年限，n 为剩余经济寿命），"
            "f 为经济性贬值率。"
        ),
        "bank_internal": _(
            "银行内部估值（单笔贷款 1000 万元以下可替代外部评估报告）：每项权利的内部估值 = "
            "参考价值 × 评分系数 × (1 − 该类权利的折扣率)，"
            "评分系数 = max(评分下限, 价值度评分 ÷ 100)；可贷额度 = 内部估值 × 产品最高质押率。"
        ),
        "market": _(
            "市场法（GB/T 42748-2023《专利评估指引》）："
            "评估值 V = Σ w_i × P_i × a_i × b_i × c_i × d_i ÷ Σ w_i，"
            "其中 P_i 为可比交易（转让、许可）的价格，a_i、b_i、c_i、d_i 分别为技术、经济、"
            "剩余寿命（n ÷ n_i）和交易时间（价格指数）修正系数，w_i 为相似度权重。"
        ),
    }
    return formulas.get(method, "")


# Input fields in the order the page and the report list them, with how each value is shown.
def _input_specs() -> dict[str, list[tuple[str, str, str]]]:
    """method → [(field, label, kind)]; kind: money, money_list, rate, years, number, bool."""
    return {
        "income": [
            ("revenues", _("各年收入 R_t（元）"), "money_list"),
            ("share_rate", _("分成率 K"), "rate"),
            ("share_decay", _("分成率年衰减率 d"), "rate"),
            ("tax_rate", _("所得税税率 T"), "rate"),
            ("discount_rate", _("折现率 r"), "rate"),
            ("life_years", _("剩余经济寿命 n（年）"), "years"),
            ("mid_year", _("年中折现"), "bool"),
        ],
        "cost": [
            ("cost", _("研发成本 C（元）"), "money"),
            ("price_index", _("价格指数"), "number"),
            ("profit_rate", _("合理利润率 p"), "rate"),
            ("used_years", _("已使用年限 m（年）"), "years"),
            ("remaining_years", _("剩余经济寿命 n（年）"), "years"),
            ("obsolescence", _("经济性贬值率 f"), "rate"),
        ],
        "market": [],
        "bank_internal": [
            ("product", _("贷款产品"), "text"),
            ("loan_amount", _("拟贷款金额（元）"), "money"),
        ],
    }


def _discount_part_labels() -> dict[str, str]:
    return {
        "risk_free": _("无风险报酬率"),
        "technology": _("技术风险报酬率"),
        "market": _("市场风险报酬率"),
        "management": _("管理风险报酬率"),
        "legal": _("法律风险报酬率"),
    }


def _monte_carlo_labels() -> dict[str, tuple[str, str]]:
    return {
        "first_year_revenue": (_("首年收入（元）"), "money"),
        "growth": (_("收入年增长率"), "rate"),
        "share_rate": (_("分成率"), "rate"),
        "discount_rate": (_("折现率"), "rate"),
        "life_years": (_("剩余经济寿命（年）"), "years"),
        "draws": (_("抽样次数"), "int"),
        "seed": (_("随机种子"), "int"),
    }


def _show(kind: str, value: Any) -> str:
    if kind == "money":
        return yuan_text(value)
    if kind == "money_list":
        items = value if isinstance(value, list | tuple) else [value]
        return "；".join(f"{_number(v, 2)}" for v in items) if items else "—"
    if kind == "rate":
        return percent(value)
    if kind == "bool":
        return _yes_no(value)
    if kind in ("int", "text"):
        return str(value)
    return _number(value)


def _show_range(kind: str, value: Any) -> str:
    low, high = field_of(value, "low"), field_of(value, "high")
    if low is None and high is None:
        return _show(kind, value)
    if str(low) == str(high):
        return _show(kind, low)
    return f"{_show(kind, low)} – {_show(kind, high)}"


def input_rows(method: str, inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The inputs as (label, shown value) rows: rates as percentages, amounts in 元. Comparables of
    the market approach are in `calculation_table`."""
    rows: list[tuple[str, str]] = []
    for field, label, kind in _input_specs().get(method, []):
        if field in inputs and inputs[field] not in (None, ""):
            rows.append((label, _show(kind, inputs[field])))
    parts = inputs.get("discount_rate_parts") or inputs.get("discount_parts")
    if isinstance(parts, Mapping):
        for key, label in _discount_part_labels().items():
            if parts.get(key) not in (None, ""):
                rows.append((f"· {label}", percent(parts[key])))
    mc = inputs.get("monte_carlo")
    if isinstance(mc, Mapping):
        for key, (label, kind) in _monte_carlo_labels().items():
            if mc.get(key) not in (None, ""):
                rows.append((_("蒙特卡洛：%(what)s") % {"what": label}, _show_range(kind, mc[key])))
    return rows


def _kind_label(code: str) -> str:
    return str(dict(RightKindChoices.choices).get(code, code))


@dataclass(frozen=True)
class CalculationTable:
    title: str
    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool]  # per column: right-aligned numbers

    @property
    def header_cells(self) -> list[tuple[str, bool]]:
        return list(zip(self.headers, self.numeric, strict=True))

    @property
    def row_cells(self) -> list[list[tuple[str, bool]]]:
        return [list(zip(row, self.numeric, strict=True)) for row in self.rows]


def _comparable_inputs(inputs: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items = inputs.get("comparables") or []
    return [c for c in items if isinstance(c, Mapping)]


def calculation_table(
    method: str, result: Mapping[str, Any], inputs: Mapping[str, Any] | None = None
) -> CalculationTable | None:
    """The calculation behind the value: the per-year income table, the cost breakdown or the
    adjusted comparables. None when the result carries no detail."""
    inputs = inputs or {}
    if method == "income" and result.get("years"):
        rows = [
            [
                str(field_of(y, "t", "")),
                _number(field_of(y, "revenue"), 2),
                percent(field_of(y, "share_rate")),
                _number(field_of(y, "fraction")),
                _number(field_of(y, "income_after_tax"), 2),
                _number(field_of(y, "discount_time")),
                _number(field_of(y, "discount_factor"), 6),
                _number(field_of(y, "present_value"), 2),
            ]
            for y in result["years"]
        ]
        return CalculationTable(
            title=_("逐年收益折现表"),
            headers=[
                _("年 t"),
                _("收入 R_t（元）"),
                _("分成率 K_t"),
                _("计入比例"),
                _("税后分成收益（元）"),
                _("折现期"),
                _("折现系数"),
                _("现值（元）"),
            ],
            rows=rows,
            numeric=[False, True, True, True, True, True, True, True],
        )
    if method == "cost" and (result.get("replacement_cost") is not None):
        rows = [
            [_("重置成本 C × 价格指数 × (1 + p)"), _number(result.get("replacement_cost"), 2)],
            [_("成新率 n ÷ (m + n)"), percent(result.get("newness_rate"))],
            [_("经济性贬值率 f"), percent(result.get("obsolescence"))],
            [_("评估值 V"), _number(result.get("value"), 2)],
        ]
        return CalculationTable(
            title=_("成本法计算"),
            headers=[_("项目"), _("金额或比率")],
            rows=rows,
            numeric=[False, True],
        )
    if method == "market" and result.get("comparables"):
        given = _comparable_inputs(inputs)
        rows = []
        for i, c in enumerate(result["comparables"]):
            src = given[i] if i < len(given) else {}
            rows.append(
                [
                    str(field_of(c, "label") or field_of(src, "label") or f"#{i + 1}"),
                    _number(field_of(c, "price"), 2),
                    _number(field_of(src, "technical")),
                    _number(field_of(src, "economic")),
                    _number(field_of(src, "remaining_life_ratio")),
                    _number(field_of(src, "time")),
                    _number(field_of(c, "adjusted_price"), 2),
                    percent(field_of(c, "normalised_weight")),
                    _number(field_of(c, "contribution"), 2),
                ]
            )
        return CalculationTable(
            title=_("可比交易修正表"),
            headers=[
                _("可比交易"),
                _("价格 P_i（元）"),
                _("技术 a_i"),
                _("经济 b_i"),
                _("寿命 c_i"),
                _("时间 d_i"),
                _("修正后价格（元）"),
                _("权重"),
                _("贡献（元）"),
            ],
            rows=rows,
            numeric=[False, True, True, True, True, True, True, True, True],
        )
    if method == "bank_internal" and result.get("lines"):
        rows = [
            [
                str(field_of(line, "number") or ""),
                _kind_label(str(field_of(line, "kind") or "")),
                _number(field_of(line, "reference_value"), 2),
                _number(field_of(line, "score_factor")),
                percent(field_of(line, "haircut")),
                _number(field_of(line, "value"), 2),
            ]
            for line in result["lines"]
        ]
        return CalculationTable(
            title=_("银行内部估值：参考价值 × 评分系数 × (1 − 折扣率)"),
            headers=[
                _("申请号/注册号"),
                _("类型"),
                _("参考价值（元）"),
                _("评分系数"),
                _("折扣率"),
                _("内部估值（元）"),
            ],
            rows=rows,
            numeric=[False, False, True, True, True, True],
        )
    return None


# --- the valuation's facts -----------------------------------------------------------------------


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    return None


def valuation_date(valuation: Any) -> date:
    """The valuation's base date (评估基准日): the day it was made."""
    return (
        _as_date(field_of(valuation, "valuation_date"))
        or _as_date(field_of(valuation, "created_at"))
        or timezone.localdate()
    )


def issue_date(valuation: Any) -> date | None:
    return _as_date(field_of(valuation, "issued_at"))


def report_number(valuation: Any) -> str:
    """ "IPV-20261124-000042": the base date and the valuation's id."""
    return f"IPV-{valuation_date(valuation):%Y%m%d}-{int(valuation.pk):06d}"


def valuation_rights(valuation: Any) -> list[Any]:
    """The rights valued, in the package's order (`ValuationRight.position`)."""
    items = field_of(valuation, "items")
    if items is not None and hasattr(items, "all"):
        return [item.right for item in items.all()]  # prefetched by valuation_get
    rights = field_of(valuation, "rights")
    if rights is None:
        return []
    return list(rights.all()) if hasattr(rights, "all") else list(rights)


# The report scores at most this many rights of a package (one chart each), with a note beyond.
REPORT_SCORE_LIMIT = 10


def score_limit_note(total: int) -> str | None:
    """The note under the report's scores when the package has more rights than it scores."""
    if total <= REPORT_SCORE_LIMIT:
        return None
    return _("本次评估共 %(total)s 项知识产权，价值度评分仅列出前 %(limit)s 项。") % {
        "total": total,
        "limit": REPORT_SCORE_LIMIT,
    }


def right_rows(rights: Sequence[Any], on: date) -> list[list[str]]:

    statuses = rights_status_bulk(list(rights), on=on) if rights else {}
    rows = []
    for right in rights:
        owners = "、".join(o.name for o in current_owners(right, on=on)) or "—"
        status = statuses.get(right.pk)
        rows.append(
            [
                right.number,
                str(right.get_kind_display()),
                right.title,
                owners,
                status_label(status.status) if status is not None else "—",
            ]
        )
    return rows


def state_label(state: str) -> str:
    return {
        "draft": _("草稿"),
        "issued": _("已出具"),
        "rechecked": _("已复核"),
    }.get(state, state)


def _amount_text(value: Any) -> str:
    """An amount to the fen in 元 (never rounded to 万元: the recheck compares exact figures)."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    return display.yuan(amount, english=is_english(), exact=True)


def recheck_text(valuation: Any) -> str | None:
    """The recheck's verdict: "银行内部评估值 X 元，外部评估值 Y 元，偏离度 Z%（阈值 T%）：偏离在
    阈值以内。" The internal value is the bank's own value of the rights (Σ its reference values),
    held against the report's value. None before a recheck."""
    internal = field_of(valuation, "internal_value")
    if internal is None:
        return None
    flagged = bool(field_of(valuation, "flagged"))
    text = _("银行内部评估值 %(internal)s，外部评估值 %(external)s，偏离度 %(deviation)s") % {
        "internal": _amount_text(internal),
        "external": _amount_text(field_of(valuation, "value")),
        "deviation": percent(field_of(valuation, "deviation")),
    }
    threshold = field_of(valuation, "threshold")
    if threshold is not None:
        text += _("（阈值 %(threshold)s）") % {"threshold": percent(threshold)}
    text += "：" if not is_english() else ": "
    text += _("偏离超过阈值，已标记，需复核。") if flagged else _("偏离在阈值以内。")
    return text


def _basis_text(basis: str) -> str:
    """ "given" → 复核时填写; "bank_internal #12" → 本行内部评估 #12 (one or several)."""
    parts = []
    for part in (p.strip() for p in basis.split(",")):
        if part == "given":
            parts.append(_("复核时填写"))
        elif part.startswith("bank_internal"):
            ref = part.removeprefix("bank_internal").strip()
            parts.append(_("本行内部评估 %(ref)s") % {"ref": ref})
        elif part:
            parts.append(part)
    return "、".join(parts) if not is_english() else ", ".join(parts)


def recheck_note(valuation: Any) -> str | None:
    """Where the bank's figures came from, and, for information, the collateral value (haircuts
    and score factor on the bank's values) and the loan it supports. None before a recheck."""
    detail = field_of(valuation, "recheck")
    if field_of(valuation, "internal_value") is None or not isinstance(detail, Mapping):
        return None
    text = _("本行评估值来源：%(basis)s。") % {
        "basis": _basis_text(str(detail.get("basis") or "")) or "—"
    }
    if detail.get("collateral_value") is not None:
        text += " " if is_english() else ""
        text += _(
            "供参考：按本行模型折扣及评分系数计算的押品价值 %(collateral)s，"
            "按产品 %(product)s 的最高质押率可贷 %(loan)s（不影响复核结论）。"
        ) % {
            "collateral": _amount_text(detail.get("collateral_value")),
            "product": detail.get("product") or "—",
            "loan": _amount_text(detail.get("max_loan_amount")),
        }
    return text


def recheck_table(valuation: Any) -> CalculationTable | None:
    """One row per right: the bank's value (what the report is compared with), the report's value
    apportioned by score (a reading aid), the score factor, the haircut and the collateral value."""
    detail = field_of(valuation, "recheck")
    lines = detail.get("lines") if isinstance(detail, Mapping) else None
    if not lines:
        return None
    rows = [
        [
            str(field_of(line, "number") or ""),
            _kind_label(str(field_of(line, "kind") or "")),
            _number(field_of(line, "reference_value"), 2),
            _number(field_of(line, "external_share"), 2),
            _number(field_of(line, "score_factor")),
            percent(field_of(line, "haircut")),
            _number(field_of(line, "collateral_value"), 2),
        ]
        for line in lines
    ]
    return CalculationTable(
        title=_("复核明细：本行评估值与外部评估值（按价值度评分分摊，仅供对照）"),
        headers=[
            _("申请号/注册号"),
            _("类型"),
            _("本行评估值（元）"),
            _("外部评估值分摊（元）"),
            _("评分系数"),
            _("折扣率"),
            _("押品价值（元）"),
        ],
        rows=rows,
        numeric=[False, False, True, True, True, True, True],
    )


# --- the indicator score's cohort and grade, in words --------------------------------------------

COHORT_BASIS_LABELS: Mapping[str, Any] = {
    "subclass_year": gettext_lazy("同小类同年"),
    "subclass_years": gettext_lazy("同小类前后两年"),
    "class_years": gettext_lazy("同大类前后两年"),
    "section_years": gettext_lazy("同部前后两年"),
    "kind": gettext_lazy("同类型全部"),
}


def _years_text(years: Sequence[int | None]) -> str:
    if len(years) != 2 or years[0] is None or years[1] is None:
        return ""
    low, high = int(years[0]), int(years[1])
    if low == high:
        return _("%(year)s 年") % {"year": low}
    return _("%(low)s 至 %(high)s 年") % {"low": low, "high": high}


def cohort_sentence(score: Any) -> str:
    """Which rights a score's percentiles were taken among (the cohort after backoff), in words:
    "与 45 项同为发明专利、IPC小类 G06F、2012 至 2016 年申请的权利比较"."""
    cohort = field_of(score, "cohort") or {}
    if not cohort.get("size"):
        return ""
    basis = cohort.get("basis") or "subclass_year"
    size = int(cohort.get("size") or 0)
    kind = _kind_label(str(cohort.get("kind") or ""))
    years = _years_text(cohort.get("filing_years") or [cohort.get("filing_year")] * 2)
    field = str(cohort.get("tech_field") or "")
    if basis == "kind":
        return _("与全部 %(n)s 项%(kind)s比较（%(years)s申请）") % {
            "n": f"{size:,}",
            "kind": kind,
            "years": years,
        }
    level = {
        "subclass_year": _("IPC小类"),
        "subclass_years": _("IPC小类"),
        "class_years": _("IPC大类"),
        "section_years": _("IPC部"),
    }.get(basis, _("IPC小类"))
    if not field or field.startswith("~"):
        return _("与 %(n)s 项同为%(kind)s、%(years)s申请的权利比较") % {
            "n": f"{size:,}",
            "kind": kind,
            "years": years,
        }
    return _("与 %(n)s 项同为%(kind)s、%(level)s %(field)s、%(years)s申请的权利比较") % {
        "n": f"{size:,}",
        "kind": kind,
        "level": level,
        "field": field,
        "years": years,
    }


def grade_sentence(score: Any) -> str:
    """The grade and where the score stands: "B：高于 68% 的参评权利" with the run's calibration
    ("A 为前 15%，B 为其后 25%，…") or the fixed bounds when no run calibrated them."""
    grade = str(field_of(score, "grade") or "—")
    share = field_of(score, "share_below")
    scale = field_of(score, "grade_scale") or {}
    head = grade
    if share is not None:
        head = _("%(grade)s：高于 %(share)s 的参评权利") % {
            "grade": grade,
            "share": f"{math.floor(float(share) * 100)}%",
        }
    shares = scale.get("shares") if isinstance(scale, Mapping) else None
    if shares:
        rule = _(
            "等级按本批次评分分布划定：A 为前 %(a)s，B 为其后 %(b)s，C 为其后 %(c)s，D 为其余"
        ) % {
            "a": display.percent(Decimal(str(shares["A"])), 0),
            "b": display.percent(Decimal(str(shares["B"])), 0),
            "c": display.percent(Decimal(str(shares["C"])), 0),
        }
    else:
        bounds = scale.get("thresholds") if isinstance(scale, Mapping) else None
        bounds = bounds or dict(zip("ABC", FIXED_GRADE_SCALE.thresholds, strict=True))
        rule = _("等级按固定分数线划定：A ≥ %(a)s，B ≥ %(b)s，C ≥ %(c)s，D 其余") % {
            "a": f"{float(bounds['A']):g}",
            "b": f"{float(bounds['B']):g}",
            "c": f"{float(bounds['C']):g}",
        }
    if is_english():
        return f"{head} ({rule})"
    return f"{head}（{rule}）"
