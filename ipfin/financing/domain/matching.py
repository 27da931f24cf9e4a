"""Matching a financing demand (融资需求) against the product catalogue (产品资源库).

Pure: no Django, no clock, no database. The caller (`ipfin.financing.selectors.demand_matches`)
gathers the facts — the demand, the enterprise's region / park / industry, the valuation of the
offered rights, the enterprise's "IP + credit" score, every product's current terms with its annual
rate (LPR + spread) — and this module decides.

Two stages, both explained:

1. Hard eligibility rules (`Rule`), every rule evaluated for every product (not only up to the
   first failure), each a `RuleResult` with Chinese and English text. A product is eligible when
   all pass:
   - `product_active`: the product is on sale (上架);
   - `product_kind_loan`: it is a loan (insurance and guarantees are not matched to demands);
   - `rights_free`: the offered rights already held by a pledge (registered, or an application
     pending; a co-owner's too) are not offered: matching counts only the others (their kinds,
     their valuation), and fails when none is left (专利权质押登记办法 art. 12: a right already
     pledged is refused registration);
   - `amount_in_range`, `term_in_range`: the demand's amount and term within the product's ranges
     (a missing bound is no bound);
   - `right_kinds_accepted`: every offered right is of a kind the product accepts (an empty list
     accepts every kind);
   - `package_allowed`: more than one right needs a product that takes a package (组合质押);
   - `region_allowed`, `park_allowed`, `industry_allowed`: the product's restrictions (empty:
     none); regions and industries match by prefix, so "江苏省" admits "江苏省苏州市" and
     industry "C39" admits "C3911";
   - `valuation_coverage`: demand amount ≤ valuation × the product's maximum pledge rate
     (最高质押率), when a valuation of the offered rights exists and the product sets a rate;
     otherwise the rule passes and says it was not checked.

2. A score of 0–100 for eligible products, the sum of four components (`ScoreComponent`), each
   rounded to 0.01 point (ROUND_HALF_UP):
   - valuation coverage, 30 points: coverage = valuation × max pledge rate / amount; points =
     30 × min(coverage, 2) / 2 (covered twice or more: 30; exactly covered: 15). Unknown (no
     valuation, or no pledge rate): 15, neutral.
   - rate, 30 points: lower is better, measured from the 1-year LPR (the reference): points =
     30 × (reference + 3% − rate) / 3%, clamped to [0, 30] (at or below the LPR: 30; 300 bp above
     it or more: 0). Unknown rate: 15, neutral.
   - term fit, 20 points: a product is designed around the middle of its term range; points =
     20 × (1 − |term − mid| / (max − min)) (centre: 20, at either end: 10); a range of one term:
     20; an open range (a bound missing): 20.
   - enterprise score, 20 points: the "IP + credit" total (0–100) × 20 / 100. No profile: 10,
     neutral, and the component says so.

Ranking (`match_products`): eligible products first, by score descending, ties broken by product id
ascending; then the ineligible ones by product id. The order depends on nothing else (not on the
order the products come in).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

__all__ = [
    "COMPONENT_MAX",
    "KIND_LABELS",
    "RATE_WINDOW",
    "DemandFacts",
    "Match",
    "ProductTerms",
    "Rule",
    "RuleResult",
    "ScoreComponent",
    "check_rules",
    "match_products",
    "score_product",
]

POINT = Decimal("0.01")
RATE_WINDOW = Decimal("0.03")  # 300 bp above the reference rate earns no rate points
COMPONENT_MAX: dict[str, int] = {
    "valuation_coverage": 30,
    "rate": 30,
    "term_fit": 20,
    "enterprise_score": 20,
}
LOAN = "loan"
# The register's right kinds (ipfin.registry.domain.RightKind) as messages name them.
KIND_LABELS: dict[str, tuple[str, str]] = {
    "invention": ("发明专利", "invention patent"),
    "utility_model": ("实用新型专利", "utility model"),
    "design": ("外观设计专利", "design patent"),
    "trademark": ("商标", "trademark"),
    "copyright": ("著作权", "copyright"),
    "ic_layout": ("集成电路布图设计", "IC layout design"),
}


class Rule(StrEnum):
    PRODUCT_ACTIVE = "product_active"
    PRODUCT_KIND_LOAN = "product_kind_loan"
    RIGHTS_FREE = "rights_free"
    AMOUNT_IN_RANGE = "amount_in_range"
    TERM_IN_RANGE = "term_in_range"
    RIGHT_KINDS_ACCEPTED = "right_kinds_accepted"
    PACKAGE_ALLOWED = "package_allowed"
    REGION_ALLOWED = "region_allowed"
    PARK_ALLOWED = "park_allowed"
    INDUSTRY_ALLOWED = "industry_allowed"
    VALUATION_COVERAGE = "valuation_coverage"


@dataclass(frozen=True)
class DemandFacts:
    """What matching needs to know about a demand and its enterprise.

    `right_kinds`: the kind of each offered right free to pledge (one entry per right).
    `held_rights`: the numbers of the offered rights held by a pledge or a pending application,
    left out of matching. `valuation`: the value of the free rights from issued valuations (None:
    none exists). `credit_score`: the enterprise's "IP + credit" total, 0–100 (None: no
    profile). `dishonesty_on`: the day of a 失信被执行人 / 严重失信主体 record that grades the
    enterprise D (一票否决, ipfin.valuation.domain.credit): its score then earns no points.
    `reference_rate`: the 1-year LPR on the day.
    """

    amount: Decimal
    term_months: int
    right_kinds: tuple[str, ...]
    region: str = ""
    park_id: int | None = None
    industry: str = ""
    valuation: Decimal | None = None
    credit_score: int | None = None
    reference_rate: Decimal = Decimal("0.03")
    held_rights: tuple[str, ...] = ()
    dishonesty_on: date | None = None

    def __post_init__(self) -> None:
        # The database refuses these too (demand_amount_positive, demand_term_positive).
        if self.amount <= 0 or self.term_months <= 0:
            raise ValueError("a demand needs a positive amount and term")


@dataclass(frozen=True)
class ProductTerms:
    """A product's current version as matching sees it; `rate` is LPR + spread (None: unknown)."""

    product_id: int
    version_id: int
    provider_id: int
    kind: str
    active: bool
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    term_min_months: int | None = None
    term_max_months: int | None = None
    rate: Decimal | None = None
    accepted_right_kinds: tuple[str, ...] = ()
    package_allowed: bool = True
    max_pledge_rate: Decimal | None = None
    regions: tuple[str, ...] = ()
    park_ids: tuple[int, ...] = ()
    industries: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    passed: bool
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule.value,
            "passed": self.passed,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


@dataclass(frozen=True)
class ScoreComponent:
    name: str
    points: Decimal
    max_points: int
    neutral: bool
    detail_zh: str
    detail_en: str

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "points": self.points,
            "max_points": self.max_points,
            "neutral": self.neutral,
            "detail_zh": self.detail_zh,
            "detail_en": self.detail_en,
        }


@dataclass(frozen=True)
class Match:
    """One product's outcome: the rules, and for an eligible product its score and components.
    `rank` is 1, 2, ... among eligible products, None for ineligible ones."""

    product: ProductTerms
    eligible: bool
    rules: tuple[RuleResult, ...]
    score: Decimal | None = None
    components: tuple[ScoreComponent, ...] = field(default=())
    rank: int | None = None

    @property
    def failures(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.rules if not r.passed)


# --- formatting ----------------------------------------------------------------------------------


def _yuan(x: Decimal) -> str:
    return f"{x.quantize(POINT, rounding=ROUND_HALF_UP):,.2f}"


def _pct(x: Decimal) -> str:
    return f"{(x * 100).quantize(POINT, rounding=ROUND_HALF_UP)}%"


def _points(x: Decimal) -> Decimal:
    return x.quantize(POINT, rounding=ROUND_HALF_UP)


def _range_text(low: object, high: object, unit_zh: str, unit_en: str) -> tuple[str, str]:
    lo_zh = "不限" if low is None else f"{low}"
    hi_zh = "不限" if high is None else f"{high}"
    lo_en = "any" if low is None else f"{low}"
    hi_en = "any" if high is None else f"{high}"
    return f"{lo_zh}–{hi_zh}{unit_zh}", f"{lo_en}–{hi_en}{unit_en}"


def _kinds_zh(kinds: Iterable[str]) -> str:
    return "、".join(KIND_LABELS.get(k, (k, k))[0] for k in kinds)


def _kinds_en(kinds: Iterable[str]) -> str:
    return ", ".join(KIND_LABELS.get(k, (k, k))[1] for k in kinds)


def _prefix_match(value: str, allowed: Iterable[str]) -> bool:
    return bool(value) and any(value.startswith(a) for a in allowed if a)


def admits(
    p: ProductTerms,
    *,
    right_kind: str | None = None,
    region: str | None = None,
    industry: str | None = None,
    park: int | None = None,
) -> bool:
    """The catalogue's filters on a product's listed terms, as the matching rules read them: a
    product without a list admits every value; a region or an industry is admitted by prefix
    (江苏省苏州市 by 江苏省, C3911 by C39)."""
    if right_kind and p.accepted_right_kinds and right_kind not in p.accepted_right_kinds:
        return False
    if region and p.regions and not _prefix_match(region, p.regions):
        return False
    if industry and p.industries and not _prefix_match(industry, p.industries):
        return False
    return park is None or not p.park_ids or park in p.park_ids


# --- stage 1: hard rules -------------------------------------------------------------------------


def _rule(rule: Rule, passed: bool, zh: str, en: str) -> RuleResult:
    return RuleResult(rule=rule, passed=passed, message_zh=zh, message_en=en)


def _free_rule(d: DemandFacts) -> RuleResult:
    """专利权质押登记办法 art. 12: a right already pledged (or under a pending application) is
    not registered again, so it is not offered; the other offered rights are matched."""
    held_zh, held_en = "、".join(d.held_rights), ", ".join(d.held_rights)
    if not d.held_rights:
        return _rule(
            Rule.RIGHTS_FREE,
            True,
            "所提供的知识产权均未质押，也无待决的质押登记申请。",
            "None of the offered rights is pledged or under a pending pledge application.",
        )
    if not d.right_kinds:
        return _rule(
            Rule.RIGHTS_FREE,
            False,
            f"所提供的知识产权（{held_zh}）均已质押或正在办理质押登记，没有可质押的权利。",
            f"Every offered right ({held_en}) is pledged or under a pending pledge application: "
            "none is left to pledge.",
        )
    n = len(d.right_kinds)
    return _rule(
        Rule.RIGHTS_FREE,
        True,
        f"{held_zh} 已质押或正在办理质押登记，不计入匹配；按其余 {n} 项权利匹配。",
        f"{held_en}: pledged or under a pending pledge application, left out; "
        + (f"the other {n} rights are matched." if n > 1 else "the other right is matched."),
    )


def _amount_rule(d: DemandFacts, p: ProductTerms) -> RuleResult:
    low_ok = p.amount_min is None or d.amount >= p.amount_min
    high_ok = p.amount_max is None or d.amount <= p.amount_max
    lo = None if p.amount_min is None else _yuan(p.amount_min)
    hi = None if p.amount_max is None else _yuan(p.amount_max)
    zh, en = _range_text(lo, hi, " 元", " yuan")
    ok = low_ok and high_ok
    return _rule(
        Rule.AMOUNT_IN_RANGE,
        ok,
        f"融资金额 {_yuan(d.amount)} 元{'在' if ok else '不在'}产品额度 {zh}内。",
        f"The amount of {_yuan(d.amount)} yuan is {'within' if ok else 'outside'} the product's "
        f"range of {en}.",
    )


def _term_rule(d: DemandFacts, p: ProductTerms) -> RuleResult:
    ok = (p.term_min_months is None or d.term_months >= p.term_min_months) and (
        p.term_max_months is None or d.term_months <= p.term_max_months
    )
    zh, en = _range_text(p.term_min_months, p.term_max_months, " 个月", " months")
    return _rule(
        Rule.TERM_IN_RANGE,
        ok,
        f"期限 {d.term_months} 个月{'在' if ok else '不在'}产品期限 {zh}内。",
        f"The term of {d.term_months} months is {'within' if ok else 'outside'} the product's "
        f"range of {en}.",
    )


def _kinds_rule(d: DemandFacts, p: ProductTerms) -> RuleResult:
    if not p.accepted_right_kinds:
        return _rule(
            Rule.RIGHT_KINDS_ACCEPTED,
            True,
            "产品接受各类知识产权。",
            "The product accepts every kind of right.",
        )
    refused = sorted({k for k in d.right_kinds if k not in p.accepted_right_kinds})
    accepted = p.accepted_right_kinds
    if refused:
        return _rule(
            Rule.RIGHT_KINDS_ACCEPTED,
            False,
            f"产品不接受以下类型的权利：{_kinds_zh(refused)}（接受：{_kinds_zh(accepted)}）。",
            f"The product does not accept rights of kind {_kinds_en(refused)} "
            f"(accepted: {_kinds_en(accepted)}).",
        )
    return _rule(
        Rule.RIGHT_KINDS_ACCEPTED,
        True,
        f"所提供权利的类型均为产品接受的类型（{_kinds_zh(accepted)}）。",
        f"Every offered right is of an accepted kind ({_kinds_en(accepted)}).",
    )


def _package_rule(d: DemandFacts, p: ProductTerms) -> RuleResult:
    n = len(d.right_kinds)
    if n <= 1:
        return _rule(Rule.PACKAGE_ALLOWED, True, "单项权利质押。", "A single right is offered.")
    ok = p.package_allowed
    return _rule(
        Rule.PACKAGE_ALLOWED,
        ok,
        f"提供 {n} 项权利组合质押，产品{'接受' if ok else '不接受'}组合质押。",
        f"{n} rights are offered as a package; the product "
        f"{'accepts' if ok else 'does not accept'} packages.",
    )


def _region_rule(d: DemandFacts, p: ProductTerms) -> RuleResult:
    if not p.regions:
        return _rule(Rule.REGION_ALLOWED, True, "产品不限地区。", "No regional restriction.")
    ok = _prefix_match(d.region, p.regions)
    where_zh = d.region or "未登记"
    where_en = d.region or "not recorded"
    return _rule(
        Rule.REGION_ALLOWED,
        ok,
        f"企业所在地区（{where_zh}）{'属于' if ok else '不属于'}产品适用地区（"
        f"{'、'.join(p.regions)}）。",
        f"The enterprise's region ({where_en}) is {'' if ok else 'not '}among the product's "
        f"regions ({', '.join(p.regions)}).",
    )


def _park_rule(d: DemandFacts, p: ProductTerms) -> RuleResult:
    if not p.park_ids:
        return _rule(Rule.PARK_ALLOWED, True, "产品不限园区。", "No park restriction.")
    ok = d.park_id is not None and d.park_id in p.park_ids
    return _rule(
        Rule.PARK_ALLOWED,
        ok,
        "企业位于产品适用的园区。" if ok else "企业不在产品适用的园区内。",
        "The enterprise is in one of the product's parks."
        if ok
        else "The enterprise is not in one of the product's parks.",
    )


def _industry_rule(d: DemandFacts, p: ProductTerms) -> RuleResult:
    if not p.industries:
        return _rule(Rule.INDUSTRY_ALLOWED, True, "产品不限行业。", "No industry restriction.")
    ok = _prefix_match(d.industry, p.industries)
    what_zh = d.industry or "未登记"
    what_en = d.industry or "not recorded"
    return _rule(
        Rule.INDUSTRY_ALLOWED,
        ok,
        f"企业所属行业（{what_zh}）{'属于' if ok else '不属于'}产品适用行业（"
        f"{'、'.join(p.industries)}）。",
        f"The enterprise's industry ({what_en}) is {'' if ok else 'not '}among the product's "
        f"industries ({', '.join(p.industries)}).",
    )


def _coverage_rule(d: DemandFacts, p: ProductTerms) -> RuleResult:
    if d.valuation is None:
        return _rule(
            Rule.VALUATION_COVERAGE,
            True,
            "所提供权利尚无已出具的评估，未校验质押率。",
            "No issued valuation of the offered rights yet: the pledge rate was not checked.",
        )
    if p.max_pledge_rate is None:
        return _rule(
            Rule.VALUATION_COVERAGE,
            True,
            "产品未规定最高质押率，未校验。",
            "The product sets no maximum pledge rate: not checked.",
        )
    limit = d.valuation * p.max_pledge_rate
    ok = d.amount <= limit
    return _rule(
        Rule.VALUATION_COVERAGE,
        ok,
        f"评估值 {_yuan(d.valuation)} 元 × 最高质押率 {_pct(p.max_pledge_rate)} = "
        f"{_yuan(limit)} 元，{'足以' if ok else '不足以'}覆盖融资金额 {_yuan(d.amount)} 元。",
        f"Valuation {_yuan(d.valuation)} yuan × maximum pledge rate {_pct(p.max_pledge_rate)} = "
        f"{_yuan(limit)} yuan, which {'covers' if ok else 'does not cover'} the amount of "
        f"{_yuan(d.amount)} yuan.",
    )


def check_rules(d: DemandFacts, p: ProductTerms) -> tuple[RuleResult, ...]:
    """Every hard rule's result for one product, in the order of `Rule`."""
    return (
        _rule(
            Rule.PRODUCT_ACTIVE,
            p.active,
            "产品在架。" if p.active else "产品已下架。",
            "The product is on sale." if p.active else "The product was withdrawn.",
        ),
        _rule(
            Rule.PRODUCT_KIND_LOAN,
            p.kind == LOAN,
            "贷款产品。" if p.kind == LOAN else "非贷款产品（保险、担保不参与需求匹配）。",
            "A loan product."
            if p.kind == LOAN
            else "Not a loan product (insurance and guarantees are not matched to demands).",
        ),
        _free_rule(d),
        _amount_rule(d, p),
        _term_rule(d, p),
        _kinds_rule(d, p),
        _package_rule(d, p),
        _region_rule(d, p),
        _park_rule(d, p),
        _industry_rule(d, p),
        _coverage_rule(d, p),
    )


# --- stage 2: the score --------------------------------------------------------------------------


def _coverage_points(d: DemandFacts, p: ProductTerms) -> ScoreComponent:
    top = COMPONENT_MAX["valuation_coverage"]
    if d.valuation is None or p.max_pledge_rate is None:
        why_zh = "尚无评估" if d.valuation is None else "产品未规定最高质押率"
        why_en = "no valuation yet" if d.valuation is None else "no maximum pledge rate"
        return ScoreComponent(
            "valuation_coverage",
            _points(Decimal(top) / 2),
            top,
            True,
            f"{why_zh}：取中性分 {top // 2}。",
            f"{why_en}: neutral {top // 2} points.",
        )
    coverage = d.valuation * p.max_pledge_rate / d.amount
    points = _points(Decimal(top) * min(coverage, Decimal(2)) / 2)
    return ScoreComponent(
        "valuation_coverage",
        points,
        top,
        False,
        f"覆盖倍数 {coverage.quantize(POINT, rounding=ROUND_HALF_UP)}（评估值 × 质押率 ÷ 金额），"
        f"2 倍及以上得满分。",
        f"Coverage {coverage.quantize(POINT, rounding=ROUND_HALF_UP)}× (valuation × pledge rate "
        f"÷ amount); 2× or more earns full points.",
    )


def _rate_points(d: DemandFacts, p: ProductTerms) -> ScoreComponent:
    top = COMPONENT_MAX["rate"]
    if p.rate is None:
        return ScoreComponent(
            "rate",
            _points(Decimal(top) / 2),
            top,
            True,
            f"产品未公布利率：取中性分 {top // 2}。",
            f"No published rate: neutral {top // 2} points.",
        )
    share = (d.reference_rate + RATE_WINDOW - p.rate) / RATE_WINDOW
    share = max(Decimal(0), min(Decimal(1), share))
    return ScoreComponent(
        "rate",
        _points(Decimal(top) * share),
        top,
        False,
        f"年利率 {_pct(p.rate)}，1年期LPR {_pct(d.reference_rate)}；不高于LPR得满分，"
        f"高出 300 个基点及以上不得分。",
        f"Annual rate {_pct(p.rate)}, 1-year LPR {_pct(d.reference_rate)}; at or below the LPR "
        f"earns full points, 300 bp above it or more none.",
    )


def _term_points(d: DemandFacts, p: ProductTerms) -> ScoreComponent:
    top = COMPONENT_MAX["term_fit"]
    low, high = p.term_min_months, p.term_max_months
    if low is None or high is None:
        return ScoreComponent(
            "term_fit",
            _points(Decimal(top)),
            top,
            False,
            "产品期限不设上限或下限：得满分。",
            "The product's term range is open: full points.",
        )
    if high == low:
        share = Decimal(1) if d.term_months == low else Decimal(0)
    else:
        mid = Decimal(low + high) / 2
        share = 1 - abs(Decimal(d.term_months) - mid) / Decimal(high - low)
        share = max(Decimal(0), min(Decimal(1), share))
    return ScoreComponent(
        "term_fit",
        _points(Decimal(top) * share),
        top,
        False,
        f"期限 {d.term_months} 个月，产品期限 {low}–{high} 个月，越接近中点得分越高。",
        f"Term {d.term_months} months, product range {low}–{high} months; the nearer the middle, "
        f"the more points.",
    )


def _enterprise_points(d: DemandFacts) -> ScoreComponent:
    top = COMPONENT_MAX["enterprise_score"]
    if d.dishonesty_on is not None:
        return ScoreComponent(
            "enterprise_score",
            _points(Decimal(0)),
            top,
            False,
            f"信用中国记载其为失信被执行人或严重失信主体（{d.dishonesty_on}）：不计分。",
            f"Listed as a dishonest judgment debtor or seriously dishonest entity "
            f"({d.dishonesty_on}): no points.",
        )
    if d.credit_score is None:
        return ScoreComponent(
            "enterprise_score",
            _points(Decimal(top) / 2),
            top,
            True,
            f"企业尚无“知识产权+信用”画像：取中性分 {top // 2}。",
            f'The enterprise has no "IP + credit" profile: neutral {top // 2} points.',
        )
    total = max(0, min(100, d.credit_score))
    return ScoreComponent(
        "enterprise_score",
        _points(Decimal(top) * Decimal(total) / 100),
        top,
        False,
        f"“知识产权+信用”评分 {total}/100。",
        f'"IP + credit" score {total}/100.',
    )


def score_product(d: DemandFacts, p: ProductTerms) -> tuple[Decimal, tuple[ScoreComponent, ...]]:
    """The score (0–100) of a product for a demand and its four components."""
    components = (
        _coverage_points(d, p),
        _rate_points(d, p),
        _term_points(d, p),
        _enterprise_points(d),
    )
    return sum((c.points for c in components), Decimal(0)), components


# --- ranking -------------------------------------------------------------------------------------


def match_products(d: DemandFacts, products: Sequence[ProductTerms]) -> list[Match]:
    """Every product's outcome, ranked: eligible by score (desc), ties by product id; then the
    ineligible ones by product id."""
    eligible: list[Match] = []
    ineligible: list[Match] = []
    for p in products:
        rules = check_rules(d, p)
        if all(r.passed for r in rules):
            score, components = score_product(d, p)
            eligible.append(Match(p, True, rules, score, components))
        else:
            ineligible.append(Match(p, False, rules))
    eligible.sort(key=lambda m: (-(m.score or Decimal(0)), m.product.product_id))
    ineligible.sort(key=lambda m: m.product.product_id)
    ranked = [
        Match(m.product, True, m.rules, m.score, m.components, rank=i)
        for i, m in enumerate(eligible, start=1)
    ]
    return ranked + ineligible
