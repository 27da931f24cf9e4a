"""Input and output schemas of the pledge API. Shape and type only: the rules live in the services.

Money is a string with exactly two decimals (yuan); on input `debt_amount` may also be a JSON
number. Dates are ISO 8601.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BaseModel, BeforeValidator

from ipfin.common.schemas import IsoDate, OrganisationRef, uscc_field
from ipfin.pledges.models import Pledge
from ipfin.registry.schemas import RightNumber, column_length, right_number_field


def _money_input(value: Any) -> str:
    """A string or JSON number as text for the service's money parser (which refuses more than
    two decimals, negatives and the like with a 422 naming the field). A float is taken by its
    shortest repr, so 1234.5 arrives as "1234.5", never as a binary approximation."""
    if isinstance(value, bool):
        raise ValueError("debt_amount must be a string or a number")
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return value
    raise ValueError("debt_amount must be a string or a number")


MoneyIn = Annotated[str, BeforeValidator(_money_input)]
# Text stored in a column is limited to the column's length (a longer value is a 422, not a
# database error on PostgreSQL); NUL characters are refused for every field by the API's parser.
_CONTRACT_NO_LENGTH = column_length(Pledge, "contract_no")


# --- input ---------------------------------------------------------------------------------------


class PledgeIn(Schema):
    """A joint application (专利权质押登记办法 arts. 3, 7) filed by one party: a bank names the
    pledgor (`pledgor_uscc`), an enterprise names the pledgee bank (`pledgee_uscc`). It awaits the
    other party's confirmation (state awaiting_confirmation)."""

    pledgor_uscc: str | None = uscc_field(
        None, description="出质人统一社会信用代码 (required when a bank files)", empty=True
    )
    pledgee_uscc: str | None = uscc_field(
        None,
        description="质权人（银行）统一社会信用代码 (required when an enterprise files)",
        empty=True,
    )
    rights: list[RightNumber] = Field(
        ..., min_length=1, max_length=200, description="申请号 / 注册号 / 登记号"
    )
    debt_amount: MoneyIn = Field(..., description='被担保主债权数额 (yuan), e.g. "5000000.00"')
    term_start: IsoDate
    term_end: IsoDate
    contract_no: str = Field(..., max_length=_CONTRACT_NO_LENGTH)
    scope: str = Field("", max_length=2000, description="担保范围")
    forfeiture_clause: bool = Field(False, description="合同含流质条款")
    co_owner_consent: bool = Field(False, description="全体共有人同意出质")
    proceed_despite_invalidation: bool = Field(
        False, description="双方知悉无效宣告程序仍请求登记 (both parties' declaration)"
    )
    proceed_despite_same_day: bool = Field(
        False,
        description="双方知悉同一申请人同日就同样的发明创造申请了发明专利，仍请求登记实用新型的"
        "质押 (both parties' declaration)",
    )


class PrecheckIn(Schema):
    pledgor_uscc: str = uscc_field(
        "", description="出质人统一社会信用代码; an enterprise's own by default", empty=True
    )
    rights: list[RightNumber] = Field(..., min_length=1, max_length=200)
    term_start: IsoDate
    term_end: IsoDate
    forfeiture_clause: bool = False
    co_owner_consent: bool = False
    proceed_despite_invalidation: bool = False
    proceed_despite_same_day: bool = False


class DecisionIn(Schema):
    decision: Literal["approve", "reject", "correct"]
    reason: str = Field("", max_length=2000)
    effective_date: IsoDate | None = Field(
        None,
        description="the day of the approval if given: a pledge arises on registration (民法典 "
        "art. 444), any other date is a 422",
    )


class CaseAssignIn(Schema):
    assignee: str = Field(
        ...,
        min_length=1,
        max_length=150,
        description="the username of an active examiner (or administrator) of the caller's own "
        "IP office; anyone else is a 422 assignee_invalid",
    )


class DeclineIn(Schema):
    reason: str = Field("", max_length=2000)


class ChangeDecisionIn(Schema):
    decision: Literal["approve", "reject", "correct"]
    reason: str = Field("", max_length=2000)


class ReleaseIn(Schema):
    released_on: IsoDate | None = Field(
        None, description="today if given: a release is registered at once, never back-dated"
    )
    basis: Literal["debt_discharged", "pledge_waived", "joint"] = Field(
        "debt_discharged",
        description="主债务已履行完毕 / 质权人放弃质权 (the pledgee's declaration) / 双方共同申请 "
        "(joint: needs the pledgor's request, POST /pledges/{id}/release-request)",
    )
    waive_security: bool = Field(
        False,
        description="放弃担保: while the pledge still secures an outstanding loan of the pledgee "
        "bank the release is refused (409 pledge_secures_outstanding_loan, naming the loans) "
        "unless the bank declares that it waives the security (民法典 arts. 393(3), 435): true, "
        "with a `reason`; the loans then record that they are unsecured",
    )
    reason: str | None = Field(
        None,
        max_length=2000,
        description="why the security is waived (required with waive_security: 422 "
        "waiver_reason_required)",
    )


class ChangeIn(Schema):
    debt_amount: MoneyIn | None = None
    term_end: IsoDate | None = None
    scope: str | None = Field(None, max_length=2000)
    reason: str = Field(..., max_length=2000)


class ResubmitIn(Schema):
    rights: list[RightNumber] | None = Field(None, min_length=1, max_length=200)
    debt_amount: MoneyIn | None = None
    term_start: IsoDate | None = None
    term_end: IsoDate | None = None
    contract_no: str | None = Field(None, max_length=_CONTRACT_NO_LENGTH)
    scope: str | None = Field(None, max_length=2000)
    forfeiture_clause: bool | None = None
    co_owner_consent: bool | None = None
    proceed_despite_invalidation: bool | None = None
    proceed_despite_same_day: bool | None = None


class AnnuityDepositIn(Schema):
    """预缴年费: the right of the pledge whose annuities, due until the end of the debt term, the
    caller's organisation (the pledgor or the pledgee bank) deposits."""

    right_number: str = right_number_field(
        description="申请号 of a patent of the pledge, any accepted spelling"
    )


# --- output --------------------------------------------------------------------------------------


# A plain pydantic model, not a ninja Schema: always built from a dict (a check's `as_dict`, a
# stored result), never read off a model's attributes; a Schema's attribute reader around each of
# a pre-check's dozen results took a tenth of the pre-check's time (issue 17's api_throughput).
class CheckOut(BaseModel):
    rule: str
    passed: bool
    blocking: bool = Field(..., description="false: a warning, which never stops the application")
    message: str = Field(..., description="in the request's language (Chinese by default)")
    message_zh: str
    message_en: str
    right: str | None = Field(None, description="the right the result is about, if any")


class PledgorRef(Schema):
    id: int
    name: str
    uscc: str | None


class PledgeRightOut(Schema):
    number: str
    kind: str
    title: str
    active: bool


class DocumentOut(Schema):
    id: int
    kind: str
    original_name: str
    size: int
    sha256: str
    uploaded_at: dt.datetime


class ChangeOut(Schema):
    """A change registration application (变更登记): the registered terms change on approval."""

    change_id: int
    pledge_id: int
    state: str
    state_label: str
    initiator: str = Field(..., description="pledgee | pledgor: who filed it")
    changed_on: IsoDate = Field(..., description="the day it was filed")
    before: dict[str, Any]
    after: dict[str, Any]
    reason: str
    confirm_by: IsoDate | None
    deadline: IsoDate | None
    effective_date: IsoDate | None = Field(..., description="the approval day")
    decision_reason: str
    approval_proposed_by: str | None = Field(
        ...,
        description="dual control: the examiner who proposed approving a change whose secured "
        "debt is above the threshold; a second examiner approves it (null: none proposed)",
    )
    approval_proposed_at: dt.datetime | None
    assignee: str | None = Field(
        ..., description="the examiner holding the change application (null: no one)"
    )
    assigned_at: dt.datetime | None
    allowed_actions: list[str]


class PledgeSummaryOut(Schema):
    id: int
    state: str
    state_label: str
    initiator: str = Field(..., description="pledgee | pledgor: who filed the joint application")
    confirm_by: IsoDate | None = Field(
        ..., description="the other party confirms by this day, or the application lapses"
    )
    registration_no: str | None
    pledgee: OrganisationRef
    pledgor: PledgorRef
    rights: list[PledgeRightOut]
    debt_amount: str
    term_start: IsoDate
    term_end: IsoDate
    contract_no: str
    deadline: IsoDate | None
    effective_date: IsoDate | None
    released_on: IsoDate | None
    submitted_at: dt.datetime


class PledgeOut(PledgeSummaryOut):
    scope: str
    forfeiture_clause: bool
    co_owner_consent: bool
    proceed_despite_invalidation: bool
    proceed_despite_same_day: bool
    confirmed_at: dt.datetime | None
    release_basis: str | None
    release_requested_on: IsoDate | None = Field(
        ..., description="the pledgor's request for a joint release, if any"
    )
    checks: list[CheckOut]
    decision_reason: str
    decided_at: dt.datetime | None
    approval_proposed_by: str | None = Field(
        ...,
        description="dual control: the examiner who proposed the approval of an application above "
        "IPFIN_DUAL_CONTROL_ABOVE; a second examiner registers it (null: no open proposal)",
    )
    approval_proposed_at: dt.datetime | None
    assignee: str | None = Field(
        ...,
        description="the examiner holding the case (the username; it claimed the case or an "
        "administrator of the office assigned it; kept after the decision): only it decides the "
        "case while it holds it. null: no one holds it",
    )
    assigned_at: dt.datetime | None
    documents: list[DocumentOut]
    changes: list[ChangeOut]
    allowed_actions: list[str]


class CaseRightOut(Schema):
    number: str
    kind: str


class DeclaredRiskOut(Schema):
    rule: str = Field(
        ..., description="no_invalidation_pending | no_same_day_invention: the ground declared"
    )
    right: str


class CaseOut(Schema):
    """One case of the examiner's desk: a registration or a change application."""

    kind: str = Field(..., description="registration | change")
    id: int = Field(..., description="the pledge's id (registration) or the change's (change)")
    pledge_id: int
    state: str
    state_label: str
    approval_proposed: bool = Field(
        ..., description="dual control: an approval proposed, a second examiner to approve it"
    )
    deadline: IsoDate | None
    filed_at: dt.datetime = Field(..., description="when the application (or change) was filed")
    pledgee: OrganisationRef
    pledgor: str = Field(..., description="the pledgor's name")
    debt_amount: str = Field(..., description="the pledge's secured debt, two decimals")
    registration_no: str | None
    assignee: str | None = Field(..., description="the examiner holding it (null: no one)")
    rights: list[CaseRightOut]
    declared_risks: list[DeclaredRiskOut] = Field(
        ...,
        description="grounds of refusal the parties declared they proceed past (办法 art. 12): "
        "not passed, not blocking — warnings for the examiner",
    )
    change: dict[str, Any] | None = Field(..., description="a change's new terms; null otherwise")


class CasePageOut(Schema):
    total: int = Field(..., description="the cases matching the filters, over all pages")
    limit: int
    offset: int
    items: list[CaseOut]


class PledgePageOut(Schema):
    total: int = Field(..., description="pledges the caller may see (in `state`), over all pages")
    limit: int = Field(..., description="the page size asked for")
    offset: int = Field(..., description="rows skipped before this page")
    items: list[PledgeSummaryOut] = Field(..., description="newest first")


class PublicPledgeOut(Schema):
    registration_no: str | None
    state: str
    effective_date: IsoDate | None
    released_on: IsoDate | None
    pledgee: str
    pledgor: str
    rights: list[dict[str, str]]


class AnnuityDepositYearOut(Schema):
    year: int = Field(..., description="the patent year (专利法实施细则 r. 115)")
    due_date: IsoDate = Field(..., description="paid from the deposit on this day")
    amount: str = Field(..., description="the full official fee (专利收费标准; 费减 not applied)")
    outcome: Literal["paid", "paid_otherwise", "not_payable"] | None = Field(
        ...,
        description="null until its due date; paid (from the deposit), paid_otherwise (the "
        "register had it paid: refunded), not_payable (the register refused it: refunded)",
    )
    drawn_on: IsoDate | None = Field(..., description="the day it was settled (its due date)")
    event_id: int | None = Field(..., description="the register's annuity_paid event, if paid")


class AnnuityDepositOut(Schema):
    """An annuity deposit (预缴年费) of one right of a pledge: the years it covers, what it paid
    and, once the pledge is released, what was refunded. Money: strings with two decimals."""

    id: int
    pledge_id: int
    right_number: str
    depositor: OrganisationRef = Field(..., description="the pledgor or the pledgee bank")
    created_on: IsoDate
    total: str = Field(..., description="the amount deposited: the sum of the years' fees")
    paid: str = Field(..., description="the fees paid from the deposit so far")
    live: bool = Field(..., description="false once refunded (the pledge released)")
    refunded_on: IsoDate | None
    refund_amount: str | None = Field(..., description="total − paid, set at the release")
    years: list[AnnuityDepositYearOut]


class AnnuityDepositListOut(Schema):
    items: list[AnnuityDepositOut] = Field(..., description="oldest first")
    count: int
