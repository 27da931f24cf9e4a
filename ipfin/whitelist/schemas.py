"""Input and output schemas of the white-list API. Shape and type only: the rules live in the
services. Money is a string with exactly two decimals (yuan), rates a string with four decimals
(a ratio: "0.2500" = 25 %), dates ISO 8601. `message` / `reason` texts are in the request's
language (Chinese unless Accept-Language asks for English)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator

from ipfin.common.schemas import IsoDate, OrganisationRef, uscc_field


def _money_input(value: Any) -> str | None:
    """A string or JSON number as text for the service's money parser (a float by its shortest
    repr: 1234.5 arrives as "1234.5", never as a binary approximation)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("an amount must be a string or a number")
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return value
    raise ValueError("an amount must be a string or a number")


MoneyIn = Annotated[str | None, BeforeValidator(_money_input)]


# --- input ---------------------------------------------------------------------------------------


class RuleIn(Schema):
    name: str = Field(..., max_length=200)
    min_credit_score: int | None = Field(None, ge=0, le=100, description="最低“知识产权+信用”评分")
    industries: list[str] = Field(default_factory=list, max_length=100)
    park_ids: list[int] = Field(default_factory=list, max_length=100)
    regions: list[str] = Field(
        default_factory=list, max_length=100, description="行政区划码或地区名称，按前缀匹配"
    )
    sizes: list[Literal["micro", "small", "medium", "large"]] = Field(default_factory=list)
    required_list_kinds: list[str] = Field(default_factory=list, max_length=10)


class BatchPreviewIn(Schema):
    rule_id: int
    on: IsoDate | None = Field(None, description="score date (default today)")


class BatchIn(Schema):
    rule_id: int
    title: str = Field("", max_length=200)


class PushIn(Schema):
    bank_ids: list[int] = Field(..., min_length=1, max_length=200)


class FollowUpIn(Schema):
    status: Literal["contacted", "credit_granted", "loan_disbursed", "declined"]
    amount: MoneyIn = Field(None, description="required for credit_granted / loan_disbursed")
    reason: str = Field("", max_length=500, description="required for declined")
    note: str = Field("", max_length=500)


class RecommendationIn(Schema):
    enterprise_uscc: str = uscc_field(description="企业统一社会信用代码")
    reason: str = Field(..., max_length=1000)
    intended_amount: MoneyIn = None


class RecommendationDecisionIn(Schema):
    decision: Literal["accept", "decline"]
    batch_id: int | None = None
    reason: str = Field("", max_length=1000)


# --- output --------------------------------------------------------------------------------------


class EnterpriseRefOut(Schema):
    id: int
    name: str
    uscc: str | None


class ImportRowOut(Schema):
    row_no: int
    uscc: str
    name: str
    matched: bool
    matched_by: str
    enterprise: EnterpriseRefOut | None
    reason: str = Field(..., description="stable code; '' when matched")
    message: str


class ImportOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    version: int
    is_current: bool
    filename: str
    rows_total: int
    rows_matched: int
    rows_unmatched: int
    imported_at: dt.datetime
    imported_by: str


class ImportReportOut(ImportOut):
    unmatched: list[ImportRowOut]
    matched: list[ImportRowOut]


class RuleOut(Schema):
    id: int
    name: str
    owner: OrganisationRef
    min_credit_score: int | None
    industries: list[str]
    park_ids: list[int]
    regions: list[str]
    sizes: list[str]
    required_list_kinds: list[str]
    created_at: dt.datetime


class ReasonOut(Schema):
    code: str
    message: str


class ScreenedOut(Schema):
    enterprise: EnterpriseRefOut
    industry: str
    region: str
    credit_score: int | None
    credit_grade: str | None
    met: list[ReasonOut]
    failed: list[ReasonOut]


class PreviewOut(Schema):
    rule_id: int
    on: IsoDate
    included_count: int
    excluded_count: int
    included: list[ScreenedOut]
    excluded: list[ScreenedOut]


class FollowUpOut(Schema):
    id: int
    entry_id: int
    bank: OrganisationRef
    status: str
    status_label: str
    amount: str | None
    reason: str
    note: str
    recorded_at: dt.datetime


class EntryOut(Schema):
    id: int
    enterprise: EnterpriseRefOut
    credit_score: int | None
    credit_grade: str
    source: str
    reasons: list[ReasonOut]
    follow_ups: list[FollowUpOut] = Field(..., description="latest per bank (a bank: its own)")


class PushOut(Schema):
    bank: OrganisationRef
    pushed_at: dt.datetime


class BatchSummaryOut(Schema):
    id: int
    title: str
    state: str
    rule: OrganisationRef
    scored_on: IsoDate
    entry_count: int
    created_at: dt.datetime
    published_at: dt.datetime | None


class LeftOutOut(Schema):
    """An enterprise the publication left out of the batch: 信用中国 listed it as a dishonest
    judgment debtor or seriously dishonest entity on `dishonesty_on` (一票否决)."""

    enterprise_id: int
    name: str
    uscc: str
    dishonesty_on: IsoDate


class BatchOut(BatchSummaryOut):
    criteria: dict[str, Any]
    pushes: list[PushOut]
    entries: list[EntryOut]
    left_out: list[LeftOutOut] = Field(
        description="The enterprises the publication left out for a 失信 record dated after the "
        "batch was drawn up; of a draft, those a publication today would leave out. The IP "
        "office's view only (empty for a bank)."
    )


class PushResultOut(Schema):
    pushed: list[int]
    already_pushed: list[int]


class RecommendationOut(Schema):
    id: int
    bank: OrganisationRef
    enterprise: EnterpriseRefOut
    reason: str
    intended_amount: str | None
    state: str
    batch_id: int | None
    decision_reason: str
    created_at: dt.datetime
    decided_at: dt.datetime | None


class FigureRowOut(Schema):
    batch_id: int | None = None
    batch_name: str | None = None
    bank_id: int | None = None
    bank_name: str | None = None
    pushed: int
    contacted: int
    credit_granted: int
    credit_granted_amount: str
    loan_disbursed: int
    loan_disbursed_amount: str
    declined: int
    contacted_rate: str | None
    credit_granted_rate: str | None
    loan_disbursed_rate: str | None
    declined_rate: str | None


class RecommendationFigureOut(Schema):
    bank_id: int
    bank_name: str
    received: int
    accepted: int
    declined: int
    open: int


class FiguresOut(Schema):
    total: FigureRowOut
    by_batch: list[FigureRowOut]
    by_bank: list[FigureRowOut]
    recommendations: list[RecommendationFigureOut]
