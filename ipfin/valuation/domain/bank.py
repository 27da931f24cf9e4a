"""A bank's internal valuation of pledged rights, the loan it supports, and the recheck.

Policy: the IP pledge financing notices (e.g. 银保监发〔2019〕34号) encourage banks to build their
own valuation capability; for loans of up to 10 million yuan, that figure included (seed 000:
鼓励银行对1000万元以下的知识产权质押贷款采用内部评估; 民法典 art. 1259: 以下 includes the figure),
a bank may rely on its internal valuation instead of an external appraisal report, and an
external report may be rechecked against the bank's own figure (评估复核).

Internal value of one right (`internal_valuation`):

    value_i = to_fen(reference_value_i · (1 − haircut[kind_i]) · score_factor_i)
    score_factor_i = max(score_floor, score_i / 100)      (score_floor when the score is unknown)
    internal value = Σ value_i                            (the lines already to the fen)

- `reference_value`: the value the bank starts from (an income/cost/market result, a recorded
  transaction price, or the external report's figure being rechecked).
- `haircut` by right kind (折扣率): how much of the value the bank does not count on, for the
  kind's enforceability and liquidity in a disposal (an invention patent is examined in
  substance; a utility model or design is not, and is easier to invalidate).
- `score_factor`: the 价值度 indicator score (0–100, `indicator.py`) scales the value down for a
  right weak against its peers; `score_floor` bounds that cut, and an unscored right gets the
  floor (the conservative choice: no evidence, the largest cut the model allows).

Loan supported (`max_loan_amount`): internal value × the product's maximum pledge rate (质押率),
rounded down to the fen (a bank never lends the fen the rate does not cover).

Recheck (`recheck`): deviation = |external − internal| / internal; the report is flagged when the
deviation exceeds the bank's threshold, compared exactly (|external − internal| > threshold ·
internal), so the rounding of the shown deviation (six decimals) never decides a flag.

All amounts `Decimal` yuan; rates `Decimal`. Floats are refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from types import MappingProxyType

from ipfin.common.money import FEN, MAX_AMOUNT, to_fen
from ipfin.valuation.domain.errors import ValuationInputError, decimal_input

__all__ = [
    "RIGHT_KINDS",
    "SMALL_LOAN_LIMIT",
    "BankModel",
    "CollateralRight",
    "InternalLine",
    "InternalValuation",
    "RecheckResult",
    "internal_valuation",
    "internal_valuation_allowed",
    "max_loan_amount",
    "recheck",
]

# Loans up to and including this may rest on the bank's internal valuation: the seed (知识产权质押
# 融资 seed 000) encourages internal valuation for loans of "1000万元以下", and 民法典 art. 1259
# reads 以下 as including the figure itself, so 10,000,000.00 is within. Above it, an external
# valuation report is the platform's rule. Kept in this one constant and
# `internal_valuation_allowed`.
SMALL_LOAN_LIMIT = Decimal("10000000")
RIGHT_KINDS: tuple[str, ...] = (
    "invention",
    "utility_model",
    "design",
    "trademark",
    "copyright",
    "ic_layout",
)
DEVIATION_PLACES = Decimal("0.000001")
_ZERO = Decimal(0)
_ONE = Decimal(1)
_HUNDRED = Decimal(100)

# A starting point for a bank's model; every bank sets its own.
DEFAULT_HAIRCUTS: Mapping[str, Decimal] = MappingProxyType(
    {
        "invention": Decimal("0.20"),  # examined in substance: the most stable patent right
        "utility_model": Decimal("0.35"),  # not examined in substance (专利法 art. 40)
        "design": Decimal("0.45"),  # narrow protection, not examined in substance
        "trademark": Decimal("0.25"),  # renewable indefinitely; value tied to the business
        "copyright": Decimal("0.40"),  # registration is voluntary: title harder to prove
        "ic_layout": Decimal("0.40"),  # 10-year term, thin market
    }
)
DEFAULT_MAX_PLEDGE_RATES: Mapping[str, Decimal] = MappingProxyType(
    {
        "ip_pledge": Decimal("0.50"),  # pledge alone
        "ip_pledge_guaranteed": Decimal("0.70"),  # with a guarantor / risk compensation fund
    }
)


def _rate(field: str, value: object, *, zero_allowed: bool) -> Decimal:
    """A rate in [0, 1] (or (0, 1] when zero is not allowed)."""
    rate = decimal_input(field, value, text=True)
    if rate < 0 or rate > _ONE or (rate == 0 and not zero_allowed):
        interval = "[0, 1]" if zero_allowed else "(0, 1]"
        raise ValuationInputError(
            field, f"{field} 须在 {interval} 之间，实为 {rate}", f"{field} must lie in {interval}"
        )
    return rate


@dataclass(frozen=True)
class BankModel:
    """One bank's internal valuation model, checked on construction."""

    haircuts: Mapping[str, Decimal]
    max_pledge_rates: Mapping[str, Decimal]
    recheck_threshold: Decimal
    score_floor: Decimal

    def __post_init__(self) -> None:
        for kind, haircut in self.haircuts.items():
            if kind not in RIGHT_KINDS:
                raise ValuationInputError(
                    "haircuts",
                    f"未知的权利类型：{kind}",
                    f"unknown right kind: {kind} (known: {', '.join(RIGHT_KINDS)})",
                )
            _rate(f"haircuts.{kind}", haircut, zero_allowed=True)
        if not self.max_pledge_rates:
            raise ValuationInputError(
                "max_pledge_rates", "至少需要一个产品的最高质押率", "at least one product is needed"
            )
        for product, rate in self.max_pledge_rates.items():
            if not product:
                raise ValuationInputError(
                    "max_pledge_rates", "产品代码不能为空", "a product code cannot be empty"
                )
            _rate(f"max_pledge_rates.{product}", rate, zero_allowed=False)
        threshold = decimal_input("recheck_threshold", self.recheck_threshold, text=True)
        if threshold < 0:
            raise ValuationInputError(
                "recheck_threshold", "复核阈值不能为负", "the recheck threshold cannot be negative"
            )
        _rate("score_floor", self.score_floor, zero_allowed=True)

    @classmethod
    def default(cls) -> BankModel:
        """`DEFAULT_HAIRCUTS`, `DEFAULT_MAX_PLEDGE_RATES`, recheck at 30%, score floor 0.5."""
        return cls(
            haircuts=dict(DEFAULT_HAIRCUTS),
            max_pledge_rates=dict(DEFAULT_MAX_PLEDGE_RATES),
            recheck_threshold=Decimal("0.30"),
            score_floor=Decimal("0.5"),
        )


@dataclass(frozen=True)
class CollateralRight:
    number: str
    kind: str
    reference_value: Decimal
    score: Decimal | None = None


@dataclass(frozen=True)
class InternalLine:
    number: str
    kind: str
    reference_value: Decimal
    score_factor: Decimal
    haircut: Decimal
    value: Decimal


@dataclass(frozen=True)
class InternalValuation:
    value: Decimal
    lines: tuple[InternalLine, ...]


def internal_valuation(rights: Sequence[CollateralRight], model: BankModel) -> InternalValuation:
    """The bank's internal value of a right or a package of rights (see the module docstring)."""
    if not rights:
        raise ValuationInputError("rights", "至少需要一项权利", "at least one right is needed")
    lines = []
    for i, right in enumerate(rights):
        reference = decimal_input(f"rights[{i}].reference_value", right.reference_value, text=True)
        if reference < 0:
            raise ValuationInputError(
                f"rights[{i}].reference_value",
                "参考价值不能为负",
                "the reference value cannot be negative",
            )
        if right.kind not in model.haircuts:
            raise ValuationInputError(
                f"rights[{i}].kind",
                f"银行模型未设置 {right.kind} 类权利的折扣率",
                f"the bank's model has no haircut for right kind {right.kind!r}",
            )
        haircut = Decimal(model.haircuts[right.kind])
        floor = Decimal(model.score_floor)
        if right.score is None:
            factor = floor
        else:
            score = decimal_input(f"rights[{i}].score", right.score, text=True)
            if not _ZERO <= score <= _HUNDRED:
                raise ValuationInputError(
                    f"rights[{i}].score",
                    "价值度评分须在 0 至 100 之间",
                    "the score must lie in 0–100",
                )
            factor = max(floor, score / _HUNDRED)
        value = to_fen(reference * (_ONE - haircut) * factor)
        lines.append(InternalLine(right.number, right.kind, reference, factor, haircut, value))
    total = sum((line.value for line in lines), _ZERO)
    if total > MAX_AMOUNT:
        # Each line within the largest amount, the package's sum not: refused, as the approaches
        # refuse a result past it, rather than a database error on storing it.
        raise ValuationInputError(
            "rights",
            f"内部评估值合计超出可记录的金额上限 {MAX_AMOUNT:,} 元，请检查参考价值。",
            f"the internal values sum past the largest amount that can be recorded "
            f"({MAX_AMOUNT:,} yuan); check the reference values",
        )
    return InternalValuation(value=total, lines=tuple(lines))


def max_loan_amount(internal_value: Decimal, product: str, model: BankModel) -> Decimal:
    """internal value × the product's maximum pledge rate, rounded down to the fen."""
    value = decimal_input("internal_value", internal_value, text=True)
    if value < 0:
        raise ValuationInputError(
            "internal_value", "内部评估值不能为负", "the internal value cannot be negative"
        )
    if product not in model.max_pledge_rates:
        raise ValuationInputError(
            "product",
            f"银行模型未设置产品 {product} 的最高质押率",
            f"the bank's model has no maximum pledge rate for product {product!r}",
        )
    return (value * Decimal(model.max_pledge_rates[product])).quantize(FEN, rounding=ROUND_DOWN)


def internal_valuation_allowed(loan_amount: Decimal) -> bool:
    """May this loan rest on the bank's internal valuation? Up to `SMALL_LOAN_LIMIT` inclusive
    (seed 000: 1000万元以下; 民法典 art. 1259: 以下 includes the figure)."""
    amount = decimal_input("loan_amount", loan_amount, text=True)
    if amount <= 0:
        raise ValuationInputError(
            "loan_amount", "贷款金额须大于 0", "the loan amount must be greater than 0"
        )
    return amount <= SMALL_LOAN_LIMIT


@dataclass(frozen=True)
class RecheckResult:
    external_value: Decimal
    internal_value: Decimal
    deviation: Decimal
    threshold: Decimal
    flagged: bool


def recheck(external_value: Decimal, internal_value: Decimal, threshold: Decimal) -> RecheckResult:
    """Flag an external report deviating from the internal value by more than `threshold`."""
    external = decimal_input("external_value", external_value, text=True)
    internal = decimal_input("internal_value", internal_value, text=True)
    limit = decimal_input("threshold", threshold, text=True)
    if external < 0:
        raise ValuationInputError(
            "external_value", "外部评估值不能为负", "the external value cannot be negative"
        )
    if internal <= 0:
        raise ValuationInputError(
            "internal_value",
            "内部评估值须大于 0 才能计算偏离度",
            "the internal value must be greater than 0 to measure a deviation",
        )
    if limit < 0:
        raise ValuationInputError(
            "threshold", "复核阈值不能为负", "the threshold cannot be negative"
        )
    gap = abs(external - internal)
    return RecheckResult(
        external_value=external,
        internal_value=internal,
        deviation=(gap / internal).quantize(DEVIATION_PLACES, rounding=ROUND_HALF_UP),
        threshold=limit,
        flagged=gap > limit * internal,
    )
