"""Input and output schemas of the valuation API. Shape and type only: the rules (ranges, sums,
life within the legal term...) live in the services and the engine, so that the API and the UI
refuse exactly the same inputs, with a 422 {detail, code: "valuation_input", field}.

Decimals are strings ("0.25"); on input a JSON number is accepted too (taken by its shortest
repr: 0.1 is "0.1", never a binary approximation). Money out: strings with two decimals (yuan).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BaseModel, BeforeValidator, ConfigDict, WithJsonSchema

from ipfin.common.schemas import IsoDate, OrganisationRef, uscc_field
from ipfin.pledges.schemas import MoneyIn
from ipfin.registry.schemas import RightNumber
from ipfin.valuation.domain.income import MAX_LIFE_YEARS
from ipfin.valuation.domain.montecarlo import MAX_DRAWS
from ipfin.valuation.services.approaches import MAX_COMPARABLES, MAX_REVENUE_YEARS


def _decimal_text(value: Any) -> Any:
    """A string or JSON number as text for the service's decimal parser (which names the field
    of anything that is not a plain decimal); other JSON types are left for the type check."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return value


DecimalIn = Annotated[
    str,
    BeforeValidator(_decimal_text),
    WithJsonSchema({"type": "string", "format": "decimal", "examples": ["0.25"]}),
]


# --- preview input -------------------------------------------------------------------------------
# One flat schema for the three approaches: `method` picks the approach and the service checks the
# fields it needs (a missing, non-numeric or impossible one is a 422 naming it, e.g. "life_years"
# or "comparables[2].weight"), so that every refusal has the same {detail, code, field} shape.
# The JSON schema below documents the types and the bounds; validation of the values is the
# engine's, with the same constants (MAX_DRAWS, MAX_LIFE_YEARS, MAX_REVENUE_YEARS,
# MAX_COMPARABLES), so that the document and the server cannot disagree. (pydantic's `le=` on these
# `Any` fields would be a TypeError, a 500, for a value it cannot compare, such as "abc".)

_DEC = {"type": "string", "format": "decimal"}
_RANGE = {"type": "object", "properties": {"low": _DEC, "high": _DEC}, "required": ["low", "high"]}
_LIFE = f"0 < N ≤ {MAX_LIFE_YEARS} years, and at most the remaining legal term of the right valued"


_PARTS = {
    "type": "object",
    "properties": {k: _DEC for k in ("risk_free", "technology", "market", "management", "legal")},
    "required": ["risk_free"],
}
_MONTE_CARLO = {
    "type": "object",
    "properties": {
        "growth": _RANGE,
        "share_rate": _RANGE,
        "discount_rate": _RANGE,
        "life_years": {**_RANGE, "description": _LIFE},
        "first_year_revenue": _DEC,
        "draws": {"type": "integer", "minimum": 1, "maximum": MAX_DRAWS, "default": 10_000},
        "seed": {"type": "integer", "minimum": 0},
    },
}
_FACTORS = ("price", "technical", "economic", "remaining_life_ratio", "time", "weight")
_COMPARABLES = {
    "type": "array",
    "maxItems": MAX_COMPARABLES,
    "items": {
        "type": "object",
        "properties": {**{k: _DEC for k in _FACTORS}, "label": {"type": "string"}},
        "required": list(_FACTORS),
    },
}
# Any JSON value, documented with the given schema (the service checks and names the field).
LooseDecimal = Annotated[Any, WithJsonSchema(_DEC)]
LooseMethod = Annotated[
    Any, WithJsonSchema({"type": "string", "enum": ["income", "cost", "market"]})
]
LooseRevenues = Annotated[
    Any, WithJsonSchema({"type": "array", "items": _DEC, "maxItems": MAX_REVENUE_YEARS})
]
LooseBool = Annotated[Any, WithJsonSchema({"type": "boolean"})]
LooseParts = Annotated[Any, WithJsonSchema(_PARTS)]
LooseMonteCarlo = Annotated[Any, WithJsonSchema(_MONTE_CARLO)]
LooseComparables = Annotated[Any, WithJsonSchema(_COMPARABLES)]


class PreviewIn(Schema):
    """income: V = Σ R_t·K·(1−d)^(t−1)·(1−T)·f_t / (1+r)^(t or t−½), len(revenues) =
    ⌈life_years⌉ (a fractional last year counts pro rata); cost: V = C·I·(1+p)·n_rem/(n_used +
    n_rem)·(1−f); market: V = Σ w_i·P_i·a_i·b_i·c_i·d_i / Σ w_i (weights normalised by Σ w)."""

    method: LooseMethod = Field(..., description="income | cost | market")
    # income (收益分成法)
    revenues: LooseRevenues = Field(
        None, description="income: R_1..R_n, n = ⌈life_years⌉ (required)"
    )
    share_rate: LooseDecimal = Field(None, description="income: 分成率 K (required)")
    share_decay: LooseDecimal = Field(None, description="income: 分成率年衰减 d (default 0)")
    tax_rate: LooseDecimal = Field(None, description="income: 所得税税率 T (required)")
    discount_rate: LooseDecimal = Field(
        None, description="income: 折现率 r (required unless discount_rate_parts)"
    )
    life_years: LooseDecimal = Field(
        None, description=f"income: 收益期限 N, years (required): {_LIFE}"
    )
    mid_year: LooseBool = Field(
        None, description="income: 期中折现, every year at t − ½ (default false)"
    )
    discount_rate_parts: LooseParts = Field(
        None, description="income: 折现率累加法, r = the sum of the parts"
    )
    monte_carlo: LooseMonteCarlo = Field(None, description="income: uniform ranges → P10/P50/P90")
    # cost (成本法)
    cost: LooseDecimal = Field(None, description="cost: 开发成本 C, yuan (required)")
    profit_rate: LooseDecimal = Field(None, description="cost: 合理利润率 p (required)")
    used_years: LooseDecimal = Field(None, description="cost: 已使用年限 (required)")
    remaining_years: LooseDecimal = Field(None, description="cost: 剩余经济寿命 (required)")
    obsolescence: LooseDecimal = Field(None, description="cost: 经济性贬值率 f (default 0)")
    price_index: LooseDecimal = Field(None, description="cost: 价格指数 I (default 1)")
    # market (市场法)
    comparables: LooseComparables = Field(
        None, description="market: 可比案例 (required, weight > 0)"
    )
    # the rights valued and the valuation date: the rules of saving (issue 13)
    rights: list[RightNumber] | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="申请号 / 注册号 / 登记号 of the rights valued (optional). Given, the preview "
        "applies the rules of saving a valuation of them (POST /valuations): the income period "
        "may not exceed the remaining legal term on the valuation date (422 valuation_input on "
        "life_years, the message giving the term; term_unknown when the register cannot compute "
        "it), an unknown number is a 422 right_not_found, and `warnings` name a pending "
        "invalidation or a grace period",
    )
    valuation_date: IsoDate | None = Field(
        None,
        description="评估基准日 with `rights` (default today; not after today: 422 "
        "valuation_date_invalid)",
    )


class ValuationWarningOut(Schema):
    code: Literal["invalidation_pending", "grace_period"] = Field(
        ...,
        description="invalidation_pending: an invalidation request undecided on the valuation "
        "date (专利法 arts. 45, 47); grace_period: an annuity unpaid in its 6 months' grace "
        "(专利法 art. 44) or a trademark in its renewal grace (商标法 art. 40)",
    )
    right: str = Field(..., description="the right's number")
    message: str = Field(..., description="what it means for the value, in the request's language")


class PreviewOut(BaseModel):
    """The approach's value and its explanation (the keys of the method: `years`,
    `discount_rate_parts`, `monte_carlo`, `comparables`, `replacement_cost`, ...), and the
    warnings of the rights valued (empty without `rights`). A plain pydantic model: the
    explanation's keys pass through (`extra="allow"`)."""

    model_config = ConfigDict(extra="allow")

    method: Literal["income", "cost", "market"]
    value: str
    warnings: list[ValuationWarningOut]
    rights: list[str] = Field(default_factory=list, description="the rights valued, if given")
    valuation_date: IsoDate | None = Field(None, description="评估基准日, with `rights`")


# --- valuations ----------------------------------------------------------------------------------


class ValuationIn(Schema):
    rights: list[RightNumber] = Field(
        ..., min_length=1, max_length=200, description="申请号 / 注册号 / 登记号"
    )
    method: Literal["income", "cost", "market", "bank_internal"]
    inputs: dict[str, Any] = Field(
        ...,
        description="the preview's fields for income / cost / market (without `method`); "
        "bank_internal: {reference_values: {number: amount}, loan_amount, product}",
    )
    client_bank_uscc: str | None = uscc_field(
        None, description="委托银行统一社会信用代码", empty=True
    )
    valuation_date: IsoDate | None = Field(None, description="评估基准日 (default today)")


class RecheckIn(Schema):
    reference_values: dict[str, DecimalIn] | None = Field(
        None,
        description="the bank's own value of each right of the report {number: amount}, as its "
        "internal model takes them (method bank_internal); omitted: the bank's latest "
        "bank_internal valuation of each right",
    )


class IssueIn(Schema):
    appraisers: list[Annotated[str, Field(max_length=50)]] = Field(
        default_factory=list,
        max_length=2,
        description="the two appraisers (资产评估师) who sign the report: required, two "
        "different names, for a valuation agency's report (资产评估法 art. 26; 422 "
        "appraisers_required); optional for a bank's own valuation",
    )
    fee: MoneyIn | None = Field(
        None,
        description="the evaluation fee (评估费) charged for the report, yuan (a 贴费 base)",
    )
    fee_payer_uscc: str | None = uscc_field(
        None,
        description="with fee: the credit code of the enterprise that paid it, a current holder "
        "of a right valued (422 fee_payer_invalid)",
    )


class ValuationRightOut(Schema):
    number: str
    kind: str
    title: str
    reference_value: str | None
    internal_value: str | None


class ValuationOut(Schema):
    id: int
    state: str
    method: str
    value: str
    valuation_date: IsoDate
    organisation: OrganisationRef
    client_bank: OrganisationRef | None
    rights: list[ValuationRightOut]
    inputs: dict[str, Any]
    result: dict[str, Any]
    created_at: dt.datetime
    issued_at: dt.datetime | None
    rechecked_at: dt.datetime | None
    internal_value: str | None
    deviation: str | None
    threshold: str | None
    flagged: bool
    recheck: dict[str, Any]
    appraisers: list[str]
    fee: str | None = Field(..., description="the evaluation fee stated when issued (yuan)")
    fee_payer: OrganisationRef | None = Field(..., description="the enterprise that paid it")
    warnings: list[ValuationWarningOut] = Field(
        ...,
        description="the rights' pending invalidation or grace period on the valuation date "
        "(issue 13): what the value assumes away",
    )


class ValuationSummaryOut(Schema):
    id: int
    state: str
    method: str
    value: str
    valuation_date: IsoDate
    organisation: OrganisationRef
    client_bank: OrganisationRef | None
    flagged: bool
    created_at: dt.datetime


# --- scores --------------------------------------------------------------------------------------


class ContributionOut(Schema):
    name: str
    dimension: str
    label_zh: str
    label_en: str
    source: str
    higher_is_better: bool
    reason_zh: str = Field(..., description="why the indicator signals value, and which way")
    reason_en: str
    raw: float | None = Field(..., description="the indicator's value; null = unknown (neutral)")
    percentile: float | None = Field(
        ..., description="rank within the cohort, 0–1 (null for an indicator of weight 0)"
    )
    points: float = Field(..., description="points added to the score (they sum to it)")


class CohortOut(Schema):
    filing_year: int
    basis: Literal["subclass_year", "subclass_years", "class_years", "section_years", "kind"] = (
        Field(
            ...,
            description="the cohort the percentiles were taken in, backed off until it holds at "
            "least IPFIN_SCORE_MIN_COHORT rights of the kind (default 30): same IPC subclass and "
            "filing year → same subclass, filing years within ±2 → same IPC class (3 characters), "
            "±2 years → same IPC section, ±2 years → every right of the kind",
        )
    )
    kind: str = Field(..., description="the right's kind: cohorts never mix kinds")
    tech_field: str = Field(
        ...,
        description="the technology field at the cohort's level: the IPC subclass, class or "
        'section; "~<kind>" for a right without IPC; empty for the whole kind',
    )
    filing_years: list[int] = Field(
        ..., min_length=2, max_length=2, description="[from, to]: the filing years it spans"
    )
    size: int = Field(..., description="the rights in the cohort, this one included")


class GradeScaleOut(Schema):
    calibrated: bool = Field(
        ..., description="true: the bounds were set from the run's own score distribution"
    )
    shares: dict[str, float] | None = Field(
        ..., description="the shares of the register asked for per grade (A, B, C, D)"
    )
    thresholds: dict[str, float] = Field(
        ..., description="the lowest score of grades A, B and C (D is below C's)"
    )


class RightScoreOut(Schema):
    number: str
    score: float
    grade: str
    share_below: float | None = Field(
        ..., description="the share of the rights scored (same run) whose score is lower, 0–1"
    )
    grade_scale: GradeScaleOut
    dimensions: dict[str, float]
    contributions: list[ContributionOut]
    cohort: CohortOut
    stored: bool = Field(..., description="from the last score_portfolio run, or computed now")
    run_id: int | None
    scored_at: dt.datetime | None
    experts: dict[str, str] = Field(
        ...,
        description="the expert assessments used (expert_legal, expert_technical, "
        "expert_economic: 0–100 as given); those absent count as neutral (½)",
    )


# --- market comparables --------------------------------------------------------------------------


class ComparableSourceOut(Schema):
    id: int
    type: str = Field(..., description="transfer (转让) | licence (许可)")
    date: IsoDate
    price: str = Field(..., description="转让价款 / 许可使用费 as recorded, yuan")
    licence_type: str | None = Field(None, description="licence: exclusive | sole | ordinary")


class ComparableFactorsOut(Schema):
    """One entry of the preview's `comparables`, as suggested (decimals as strings)."""

    price: str
    technical: str
    economic: str
    remaining_life_ratio: str
    time: str
    weight: str


class ComparableNoteOut(Schema):
    code: str
    zh: str
    en: str


class ComparableOut(Schema):
    number: str
    title: str
    kind: str
    ipc_main: str
    similarity: str = Field(..., description="subclass | class | section | kind")
    event: ComparableSourceOut
    is_licence: bool = Field(..., description="a licence fee, not the right's price")
    label: str
    subject_remaining_years: str = Field(..., description="n_rem: the right's, on `on`")
    comparable_remaining_years: str = Field(
        ..., description="n_rem,i: the comparable's, on its transaction date"
    )
    comparable: ComparableFactorsOut = Field(
        ..., description="post as an entry of comparables to /valuations/preview"
    )
    notes: list[ComparableNoteOut]


# --- credit --------------------------------------------------------------------------------------


class CreditProfileIn(Schema):
    rd_expense_ratio: DecimalIn | None = None
    high_tech: bool | None = None
    specialised_sme: bool | None = None
    established_on: IsoDate | None = None
    credit_rating: str | None = Field(None, max_length=3)
    overdue_count_24m: int | None = Field(None, ge=0, le=10_000)
    revenue: DecimalIn | None = None
    revenue_growth: DecimalIn | None = None
    debt_ratio: DecimalIn | None = None
    tax_credit_grade: str | None = Field(None, max_length=1)


class CreditFactorOut(Schema):
    factor: str
    group: str
    label_zh: str
    label_en: str
    value: str
    points: int
    max_points: int


class CreditSourceOut(Schema):
    import_id: int
    source: str
    as_of: IsoDate
    filename: str


class CreditProfileOut(Schema):
    rd_expense_ratio: str | None
    high_tech: bool
    specialised_sme: bool
    established_on: IsoDate | None
    credit_rating: str | None
    overdue_count_24m: int
    revenue: str | None
    revenue_growth: str | None
    debt_ratio: str | None
    tax_credit_grade: str | None
    tax_credit_grade_source: CreditSourceOut | None = Field(
        None, description="the imported file the grade comes from (None: entered by hand)"
    )
    updated_at: dt.datetime | None


class CreditRecordOut(Schema):
    kind: str
    kind_label: str
    value: str
    on: IsoDate
    reference: str
    detail: str
    source: CreditSourceOut


class CreditScoreOut(Schema):
    uscc: str | None
    name: str
    on: IsoDate
    total: int
    grade: str
    dishonesty_on: IsoDate | None = Field(
        None,
        description="the day of the 失信被执行人 / 严重失信主体 record of the last two years that "
        "grades the enterprise D whatever its total (一票否决); null: none",
    )
    groups: dict[str, int]
    factors: list[CreditFactorOut]
    profile: CreditProfileOut
    credit_records: list[CreditRecordOut] = Field(
        default_factory=list,
        description="imported records of the last two years (信用中国, court judgments, tax "
        "grades), each with its source",
    )
    version: int = Field(
        ...,
        description="The stored profile's version (0: none stored yet), also the ETag: send it "
        "as If-Match to update the profile.",
    )


# --- banks' models -------------------------------------------------------------------------------


class BankModelIn(Schema):
    haircuts: dict[str, DecimalIn] | None = None
    max_pledge_rates: dict[str, DecimalIn] | None = None
    recheck_threshold: DecimalIn | None = None
    score_floor: DecimalIn | None = None


class BankModelOut(Schema):
    haircuts: dict[str, str]
    max_pledge_rates: dict[str, str]
    recheck_threshold: str
    score_floor: str
    version: int = Field(
        ...,
        description="The bank's stored model's version (0: it has set none, the default model "
        "applies), also the ETag: send it as If-Match to set the model.",
    )


class CreditImportProblemOut(Schema):
    row: int
    column: str
    code: str
    message_zh: str
    message_en: str


class CreditImportListOut(Schema):
    id: int
    kind: str
    source: str
    as_of: IsoDate
    filename: str
    rows_total: int
    rows_applied: int = Field(..., description="records stored for platform enterprises")
    rows_skipped: int = Field(..., description="rows of enterprises not on the platform")
    created_at: dt.datetime


class CreditImportOut(CreditImportListOut):
    skipped: list[dict[str, Any]] = Field(
        ..., description="rows of enterprises not on the platform: {row, uscc, name}"
    )
