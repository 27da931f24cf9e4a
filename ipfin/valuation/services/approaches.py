"""The three approaches of GB/T 42748-2023 from loosely typed input (an API body, a form), with
one parser for both, so that the API and the UI accept and refuse exactly the same inputs.

`compute(data, remaining_legal_years=None)` parses `data` (field names as the API spells them,
decimals as strings or JSON numbers), runs the engine and returns an `ApproachResult`: the inputs
as parsed (decimals as canonical strings: what a saved valuation keeps), the value and a JSON-able
explanation. Every impossible or malformed input is a `ValuationInputError` (422 `valuation_input`)
naming the field; nothing here can end in a 500.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ipfin.common.money import MAX_AMOUNT, money_str
from ipfin.valuation.domain.cost import CostInputs, cost_value
from ipfin.valuation.domain.errors import ValuationInputError
from ipfin.valuation.domain.income import (
    MAX_LIFE_YEARS,
    DiscountRateParts,
    IncomeInputs,
    income_value,
)
from ipfin.valuation.domain.market import Comparable, market_value
from ipfin.valuation.domain.montecarlo import MonteCarloInputs, Range, income_monte_carlo

__all__ = [
    "APPROACHES",
    "MAX_COMPARABLES",
    "MAX_REVENUE_YEARS",
    "ApproachResult",
    "compute",
    "parse_bool",
    "parse_decimal",
    "preview",
]

APPROACHES = ("income", "cost", "market")
# Plain decimal text: optional sign, digits, optional fraction (no exponent, no separators, no
# NaN / Infinity), the same shape the UI's fields accept.
_DECIMAL_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
# Bounds of any number an approach takes: 15 integer digits (the largest amount a column holds)
# and 12 decimals; nothing that can be valued needs more, and a bound keeps every intermediate
# result inside the decimal context (a 1e999999 would otherwise reach the database as an error).
_MAX_ABS = Decimal(10) ** 15
_MAX_PLACES = 12
# One revenue a year of the longest economic life (n = ⌈N⌉ ≤ MAX_LIFE_YEARS), and comparables
# well beyond any market approach's handful; the API's schema documents both.
MAX_REVENUE_YEARS = MAX_LIFE_YEARS
MAX_COMPARABLES = 200
_RATE_PLACES = 6


@dataclass(frozen=True)
class ApproachResult:
    method: str
    value: Decimal
    inputs: dict[str, Any]  # as parsed, decimals as canonical strings
    details: dict[str, Any]  # JSON-able explanation (no `method` / `value` keys)

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "value": money_str(self.value), **self.details}


def _refuse(field: str, zh: str, en: str) -> ValuationInputError:
    return ValuationInputError(field, zh, en)


def parse_decimal(raw: Any, field: str) -> Decimal:
    """A finite decimal from a string ("0.25", " 12 "), an int or a JSON number (by its shortest
    repr: 0.1 is "0.1"). Anything else is a 422 naming `field`."""
    if isinstance(raw, bool) or raw is None:
        raise _refuse(field, f"“{field}”应为数值。", f"{field!r} must be a number.")
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
    elif isinstance(raw, str):
        text = raw.strip()
        if not _DECIMAL_RE.fullmatch(text):
            raise _refuse(
                field,
                f"“{field}”的值“{raw[:40]}”不是数值（请使用阿拉伯数字与小数点）。",
                f"{field!r} is not a number: {raw[:40]!r} (digits and a decimal point only).",
            )
        try:
            value = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            raise _refuse(field, f"“{field}”不是数值。", f"{field!r} is not a number.") from None
    else:
        raise _refuse(field, f"“{field}”应为数值。", f"{field!r} must be a number.")
    if not value.is_finite() or abs(value) >= _MAX_ABS:
        raise _refuse(
            field,
            f"“{field}”超出可计算的范围（绝对值须小于 10^15）。",
            f"{field!r} is out of range (its absolute value must be below 10^15).",
        )
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -_MAX_PLACES:
        raise _refuse(
            field,
            f"“{field}”最多 {_MAX_PLACES} 位小数。",
            f"{field!r} has more than {_MAX_PLACES} decimal places.",
        )
    return value + 0  # normalises -0 to 0


def parse_bool(raw: Any, field: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if raw is None:
        return False
    if isinstance(raw, str) and raw.strip().lower() in {"true", "1", "on", "yes"}:
        return True
    if isinstance(raw, str) and raw.strip().lower() in {"false", "0", "off", "no", ""}:
        return False
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    raise _refuse(field, f"“{field}”应为 true 或 false。", f"{field!r} must be true or false.")


def _int(raw: Any, field: str, default: int) -> int:
    if raw is None or raw == "":
        return default
    value = parse_decimal(raw, field)
    if value != value.to_integral_value():
        raise _refuse(field, f"“{field}”应为整数。", f"{field!r} must be a whole number.")
    return int(value)


def _mapping(raw: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise _refuse(field, f"“{field}”应为对象。", f"{field!r} must be an object.")
    return raw


def _required(data: Mapping[str, Any], key: str, prefix: str = "") -> Any:
    value = data.get(key)
    field = f"{prefix}{key}"
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _refuse(field, f"缺少“{field}”。", f"{field!r} is required.")
    return value


def _dec(
    data: Mapping[str, Any], key: str, *, prefix: str = "", default: str | None = None
) -> Decimal:
    raw = data.get(key)
    if (raw is None or (isinstance(raw, str) and not raw.strip())) and default is not None:
        return Decimal(default)
    return parse_decimal(_required(data, key, prefix), f"{prefix}{key}")


def dec_str(value: Decimal, places: int = _RATE_PLACES) -> str:
    """A rate or factor for display: rounded half-up to `places`, trailing zeros kept."""
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"


def _check_amount(value: Decimal, field: str) -> Decimal:
    if value > MAX_AMOUNT:
        raise _refuse(
            field,
            f"评估结果超出可记录的金额上限 {MAX_AMOUNT:,} 元，请检查输入。",
            f"The result exceeds the largest amount that can be recorded ({MAX_AMOUNT:,} "
            "yuan): check the inputs.",
        )
    return value


# --- income --------------------------------------------------------------------------------------


def _discount_rate(data: Mapping[str, Any]) -> tuple[Decimal, DiscountRateParts | None]:
    """r as given, or built up from `discount_rate_parts` (累加法); both given must agree."""
    raw_parts = data.get("discount_rate_parts")
    if raw_parts is None:
        return _dec(data, "discount_rate"), None
    parts_data = _mapping(raw_parts, "discount_rate_parts")
    prefix = "discount_rate_parts."
    parts = DiscountRateParts(
        risk_free=_dec(parts_data, "risk_free", prefix=prefix),
        technology=_dec(parts_data, "technology", prefix=prefix, default="0"),
        market=_dec(parts_data, "market", prefix=prefix, default="0"),
        management=_dec(parts_data, "management", prefix=prefix, default="0"),
        legal=_dec(parts_data, "legal", prefix=prefix, default="0"),
    )
    total = parts.total
    if data.get("discount_rate") not in (None, "") and _dec(data, "discount_rate") != total:
        raise _refuse(
            "discount_rate",
            f"折现率与各组成部分之和（{total}）不一致。",
            f"discount_rate differs from the sum of its parts ({total}).",
        )
    return total, parts


def _revenues(data: Mapping[str, Any]) -> tuple[Decimal, ...]:
    raw = _required(data, "revenues")
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise _refuse("revenues", "“revenues”应为数组。", "'revenues' must be a list.")
    if len(raw) > MAX_REVENUE_YEARS:
        raise _refuse(
            "revenues",
            f"收益额最多 {MAX_REVENUE_YEARS} 个年度。",
            f"At most {MAX_REVENUE_YEARS} yearly revenues.",
        )
    return tuple(parse_decimal(item, f"revenues[{i}]") for i, item in enumerate(raw))


def _range(data: Mapping[str, Any], key: str, point: Decimal) -> Range:
    raw = data.get(key)
    if raw is None:
        return Range(point, point)
    spec = _mapping(raw, f"monte_carlo.{key}")
    prefix = f"monte_carlo.{key}."
    return Range(_dec(spec, "low", prefix=prefix), _dec(spec, "high", prefix=prefix))


def _monte_carlo(raw: Any, inputs: IncomeInputs) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = _mapping(raw, "monte_carlo")
    first = (
        parse_decimal(spec["first_year_revenue"], "monte_carlo.first_year_revenue")
        if spec.get("first_year_revenue") not in (None, "")
        else (inputs.revenues[0] if inputs.revenues else Decimal(0))
    )
    mc = MonteCarloInputs(
        first_year_revenue=first,
        growth=_range(spec, "growth", Decimal(0)),
        share_rate=_range(spec, "share_rate", inputs.share_rate),
        discount_rate=_range(spec, "discount_rate", inputs.discount_rate),
        life_years=_range(spec, "life_years", inputs.life_years),
        tax_rate=inputs.tax_rate,
        share_decay=inputs.share_decay,
        mid_year=inputs.mid_year,
        draws=_int(spec.get("draws"), "monte_carlo.draws", 10_000),
        seed=_int(spec.get("seed"), "monte_carlo.seed", 0),
    )
    if (
        inputs.remaining_legal_years is not None
        and mc.life_years.high > inputs.remaining_legal_years
    ):
        raise _refuse(
            "monte_carlo.life_years",
            f"收益期限上限不能超过剩余法定保护期限（{inputs.remaining_legal_years} 年）。",
            f"The high end of the economic life cannot exceed the remaining legal term "
            f"({inputs.remaining_legal_years} years).",
        )
    try:
        result = income_monte_carlo(mc)
    except ValuationInputError as exc:
        # The engine names its own fields ("draws", "life_years"); here they are the block's, not
        # the point estimates' of the same name.
        raise _refuse(f"monte_carlo.{exc.field}", exc.detail_zh, exc.detail_en) from None

    def rng(r: Range) -> dict[str, str]:
        return {"low": str(r.low), "high": str(r.high)}

    echo = {
        "first_year_revenue": str(mc.first_year_revenue),
        "growth": rng(mc.growth),
        "share_rate": rng(mc.share_rate),
        "discount_rate": rng(mc.discount_rate),
        "life_years": rng(mc.life_years),
        "draws": mc.draws,
        "seed": mc.seed,
    }
    out = {
        "p10": money_str(result.p10),
        "p50": money_str(result.p50),
        "p90": money_str(result.p90),
        "mean": money_str(result.mean),
        "draws": result.draws,
        "seed": result.seed,
    }
    return echo, out


def _income(data: Mapping[str, Any], remaining_legal_years: Decimal | None) -> ApproachResult:
    revenues = _revenues(data)
    discount_rate, parts = _discount_rate(data)
    inputs = IncomeInputs(
        revenues=revenues,
        share_rate=_dec(data, "share_rate"),
        tax_rate=_dec(data, "tax_rate"),
        discount_rate=discount_rate,
        life_years=_dec(data, "life_years"),
        share_decay=_dec(data, "share_decay", default="0"),
        mid_year=parse_bool(data.get("mid_year"), "mid_year"),
        remaining_legal_years=remaining_legal_years,
    )
    result = income_value(inputs)
    echo: dict[str, Any] = {
        "revenues": [str(r) for r in inputs.revenues],
        "share_rate": str(inputs.share_rate),
        "share_decay": str(inputs.share_decay),
        "tax_rate": str(inputs.tax_rate),
        "discount_rate": str(inputs.discount_rate),
        "life_years": str(inputs.life_years),
        "mid_year": inputs.mid_year,
    }
    details: dict[str, Any] = {
        "discount_rate": dec_str(inputs.discount_rate),
        "discount_rate_parts": None,
        "remaining_legal_years": (
            str(remaining_legal_years) if remaining_legal_years is not None else None
        ),
        "years": [
            {
                "t": y.t,
                "revenue": money_str(y.revenue),
                "share_rate": dec_str(y.share_rate),
                "fraction": dec_str(y.fraction, 4),
                "income_after_tax": money_str(y.income_after_tax),
                "discount_time": dec_str(y.discount_time, 1),
                "discount_factor": dec_str(y.discount_factor),
                "present_value": money_str(y.present_value),
            }
            for y in result.years
        ],
        "monte_carlo": None,
    }
    if parts is not None:
        echo["discount_rate_parts"] = {name: str(rate) for name, _zh, _en, rate in parts.parts()}
        details["discount_rate_parts"] = [
            {"name": name, "label_zh": zh, "label_en": en, "rate": dec_str(rate)}
            for name, zh, en, rate in parts.parts()
        ]
    if data.get("monte_carlo") is not None:
        echo["monte_carlo"], details["monte_carlo"] = _monte_carlo(data["monte_carlo"], inputs)
    return ApproachResult("income", _check_amount(result.value, "revenues"), echo, details)


# --- cost ----------------------------------------------------------------------------------------


def _cost(data: Mapping[str, Any]) -> ApproachResult:
    inputs = CostInputs(
        cost=_dec(data, "cost"),
        profit_rate=_dec(data, "profit_rate"),
        used_years=_dec(data, "used_years"),
        remaining_years=_dec(data, "remaining_years"),
        obsolescence=_dec(data, "obsolescence", default="0"),
        price_index=_dec(data, "price_index", default="1"),
    )
    result = cost_value(inputs)
    echo = {
        "cost": str(inputs.cost),
        "profit_rate": str(inputs.profit_rate),
        "used_years": str(inputs.used_years),
        "remaining_years": str(inputs.remaining_years),
        "obsolescence": str(inputs.obsolescence),
        "price_index": str(inputs.price_index),
    }
    details = {
        "replacement_cost": money_str(result.replacement_cost),
        "newness_rate": dec_str(result.newness_rate),
        "obsolescence": dec_str(result.obsolescence),
    }
    return ApproachResult("cost", _check_amount(result.value, "cost"), echo, details)


# --- market --------------------------------------------------------------------------------------


def _market(data: Mapping[str, Any]) -> ApproachResult:
    raw = _required(data, "comparables")
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise _refuse("comparables", "“comparables”应为数组。", "'comparables' must be a list.")
    if len(raw) > MAX_COMPARABLES:
        raise _refuse(
            "comparables",
            f"可比案例最多 {MAX_COMPARABLES} 个。",
            f"At most {MAX_COMPARABLES} comparables.",
        )
    comparables = []
    for i, item in enumerate(raw):
        prefix = f"comparables[{i}]."
        spec = _mapping(item, f"comparables[{i}]")
        label = spec.get("label") or ""
        comparables.append(
            Comparable(
                price=_dec(spec, "price", prefix=prefix),
                technical=_dec(spec, "technical", prefix=prefix),
                economic=_dec(spec, "economic", prefix=prefix),
                remaining_life_ratio=_dec(spec, "remaining_life_ratio", prefix=prefix),
                time=_dec(spec, "time", prefix=prefix),
                weight=_dec(spec, "weight", prefix=prefix),
                label=str(label)[:200],
            )
        )
    result = market_value(comparables)
    echo = {
        "comparables": [
            {
                "price": str(c.price),
                "technical": str(c.technical),
                "economic": str(c.economic),
                "remaining_life_ratio": str(c.remaining_life_ratio),
                "time": str(c.time),
                "weight": str(c.weight),
                "label": c.label,
            }
            for c in comparables
        ]
    }
    details = {
        "comparables": [
            {
                "label": a.label,
                "price": money_str(a.price),
                "adjusted_price": money_str(a.adjusted_price),
                "normalised_weight": dec_str(a.normalised_weight),
                "contribution": money_str(a.contribution),
            }
            for a in result.comparables
        ]
    }
    return ApproachResult("market", _check_amount(result.value, "comparables"), echo, details)


# --- entry points --------------------------------------------------------------------------------


def compute(
    data: Mapping[str, Any], remaining_legal_years: Decimal | None = None
) -> ApproachResult:
    """Run the approach `data["method"]` names on `data` (see the module docstring)."""
    if not isinstance(data, Mapping):
        raise _refuse("method", "请求体应为对象。", "The input must be an object.")
    method = data.get("method")
    try:
        if method == "income":
            return _income(data, remaining_legal_years)
        if method == "cost":
            return _cost(data)
        if method == "market":
            return _market(data)
    except (ValueError, ArithmeticError) as exc:
        # Only reachable for results beyond the decimal context (e.g. r close to −1 over many
        # years): the inputs are valid numbers, but no amount can be recorded for them.
        raise _refuse(
            "method",
            "输入导致评估结果超出可计算的范围，请检查输入。",
            f"The inputs give a result out of the computable range: check them ({exc}).",
        ) from None
    raise _refuse(
        "method",
        "评估方法应为 income（收益法）、cost（成本法）或 market（市场法）。",
        "method must be income, cost or market.",
    )


def preview(*, data: Mapping[str, Any]) -> dict[str, Any]:
    """`compute` without saving: {method, value: "123.45", ...explanation}."""
    return compute(data).as_dict()
