"""Input and output schemas of the registry API. Shape and type only: the rules live in services.

Dates are ISO 8601; money is a string with two decimals; rates and shares are decimal strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from django.db.models import Model
from ninja import Field, Schema
from pydantic import WithJsonSchema

from ipfin.common.schemas import IsoDate, uscc_field
from ipfin.registry.domain import (
    RIGHT_NUMBER_MAX_LENGTH,
    RIGHT_NUMBER_PATTERN,
    AuthorKind,
    CompensationKind,
    RightKind,
)
from ipfin.registry.models import Right, RightOwner
from ipfin.registry.services import CONSENT_DOCUMENT_MAX_LENGTH

# --- input ---------------------------------------------------------------------------------------
# Text stored in a column is limited to the column's length here (a longer value is a 422, not a
# database error on PostgreSQL); NUL characters are refused for every field by the API's parser.


def column_length(model: type[Model], field: str) -> int:
    """The max_length of a model's CharField, for the schema field that fills it."""
    length = model._meta.get_field(field).max_length
    assert length is not None, f"{model.__name__}.{field} has no max_length"
    return length


# 申请号 / 注册号 / 登记号 (patents: ZC 0006-2003; trademarks; copyright; IC layouts): the document
# states the pattern of the characters a number may be typed with and at most
# RIGHT_NUMBER_MAX_LENGTH of them; the service (registry.domain.normalize_number) refuses anything
# else with `number_bad_format` and reads the format, check digit and kind itself, answering with
# its own codes. pydantic does not check the pattern, so that those codes stay the answer.


def _right_number_schema(max_length: int) -> dict[str, Any]:
    return {"pattern": RIGHT_NUMBER_PATTERN, "maxLength": max_length}


# An item of a list of rights (`rights: list[RightNumber]`): the document shows
# `items: {type: string, pattern, maxLength}`; the service answers for each item (an unknown or
# malformed one is a 422 `right_not_found` naming it).
RightNumber = Annotated[
    str, WithJsonSchema({"type": "string", **_right_number_schema(RIGHT_NUMBER_MAX_LENGTH)})
]


def right_number_field(
    default: Any = ...,
    *,
    description: str = "申请号 / 注册号 / 登记号, any accepted spelling",
    max_length: int | None = None,
) -> Any:
    """An input holding one right's number. The document states the pattern and at most
    RIGHT_NUMBER_MAX_LENGTH characters, as the service enforces them. `max_length`: a bound
    pydantic enforces as well (the fields that had one keep it; the document states it then)."""
    return Field(
        default,
        max_length=max_length,
        description=description,
        json_schema_extra=_right_number_schema(max_length or RIGHT_NUMBER_MAX_LENGTH),
    )


class OwnerIn(Schema):
    name: str = Field(..., max_length=column_length(RightOwner, "name"))
    uscc: str | None = uscc_field(None, description="统一社会信用代码 (optional)", empty=True)
    share: Decimal | None = Field(
        None, description="fraction in (0, 1]; all omitted → equal shares; given → sum exactly 1"
    )


class RightIn(Schema):
    number: str = right_number_field(max_length=RIGHT_NUMBER_MAX_LENGTH)
    kind: RightKind
    title: str = Field(..., max_length=column_length(Right, "title"))
    filing_date: IsoDate
    grant_date: IsoDate | None = None
    owners: list[OwnerIn] = Field(..., max_length=100)
    publication_no: str = Field("", max_length=column_length(Right, "publication_no"))
    ipc_main: str = Field("", max_length=column_length(Right, "ipc_main"))
    mark_text: str = Field("", max_length=column_length(Right, "mark_text"))
    nice_classes: list[int] = Field(default_factory=list, max_length=45)
    similar_groups: list[str] = Field(default_factory=list, max_length=500)
    first_commercial_use: IsoDate | None = Field(
        None, description="IC layouts: first commercial exploitation anywhere (条例 art. 12)"
    )
    created_on: IsoDate | None = Field(
        None, description="IC layouts and copyright: the day the creation was completed"
    )
    author_kind: AuthorKind | None = Field(
        None,
        description="copyright: person (自然人: life + 50 years) or organisation "
        "(法人或非法人组织: "
        "50 years after first publication), 著作权法 art. 23",
    )
    author_died_on: IsoDate | None = Field(
        None, description="copyright of a natural person: the author's death"
    )
    first_published_on: IsoDate | None = Field(
        None, description="copyright of an organisation: first publication"
    )
    same_day_invention: str | None = right_number_field(
        None,
        max_length=40,
        description="utility models: the same applicant's invention application for the same "
        "creation filed the same day (申请号)",
    )


class TermFactsIn(Schema):
    """The facts a right's true term depends on; only the fields given change (null clears)."""

    first_commercial_use: IsoDate | None = None
    created_on: IsoDate | None = None
    author_kind: AuthorKind | None = None
    author_died_on: IsoDate | None = None
    first_published_on: IsoDate | None = None
    same_day_invention: str | None = right_number_field(
        None, max_length=40, description="utility models: the same day's invention (申请号)"
    )


class EventIn(Schema):
    """A legal event; the type-specific fields sit at the top level next to `type` and `date`."""

    type: str = Field(
        ...,
        description="annuity_paid, term_compensation, invalidation_requested, transfer, licence, "
        "renewal_filed, renewed, ...",
    )
    date: IsoDate
    year: int | None = Field(None, description="annuity_paid: the patent year paid")
    days: int | None = Field(
        None,
        ge=1,
        le=36500,
        description="term_compensation: the days granted (专利法 art. 42; drug_approval at most "
        "5 years)",
    )
    kind: CompensationKind | None = Field(
        None, description="term_compensation: grant_delay (art. 42 ¶2) | drug_approval (¶3)"
    )
    scope: str | None = Field(None, description="invalidated: whole (default) | partial")
    licence_type: str | None = Field(None, description="licence: exclusive | sole | ordinary")
    licensee: str | None = Field(None, max_length=300, description="licence: the licensee")
    licensee_uscc: str | None = uscc_field(None, description="被许可人统一社会信用代码", empty=True)
    owners: list[OwnerIn] | None = Field(None, max_length=100, description="transfer: new owners")
    requester: str | None = Field(None, max_length=300, description="invalidation_requested")
    court: str | None = Field(None, max_length=300, description="preservation: the court")
    price: str | None = Field(
        None,
        max_length=40,
        description="transfer: 转让价款 / licence: 许可使用费, yuan as a string with at most two "
        'decimals ("1200000.00"); optional; stored as payload.price; a bad amount is a 422 '
        "amount_invalid (amount_too_large above 9999999999999.99) with field price",
        examples=["1200000.00"],
    )
    pledgee_consent: bool | None = Field(
        None,
        description="transfer, licence, surrender: the pledgee agreed in writing (质权人书面同意). "
        "Required, with consent_document, while the right is under a registered pledge "
        "(民法典 art. 444 ¶2; a pledged patent is not surrendered without the pledgee's "
        "agreement): a 409 pledgee_consent_required naming the pledges otherwise",
    )
    consent_document: str | None = Field(
        None,
        max_length=CONSENT_DOCUMENT_MAX_LENGTH,
        description="transfer, licence, surrender: the pledgee's consent letter, its number or "
        "title (同意文件编号); stored in the payload with pledgee_consent",
        examples=["甲银行质权人同意函〔2026〕12号"],
    )
    note: str | None = Field(None, max_length=1000)

    def payload(self) -> dict[str, Any]:
        """The type-specific fields that were given, as the service takes them."""
        return self.model_dump(exclude={"type", "date"}, exclude_none=True)


# --- output --------------------------------------------------------------------------------------


class AnnuityOut(Schema):
    year: int
    due_date: IsoDate
    payable_until: IsoDate = Field(
        ...,
        description="the last day it is paid in time: due_date, or the first working day after "
        "when that is a weekend or a statutory holiday (专利法实施细则 2023 r. 6 ¶1); until then "
        "no grace period begins",
    )
    amount: str | None = Field(None, description="official annuity in yuan, before 费减")


class StatusOut(Schema):
    status: str
    since: IsoDate | None
    expiry_date: IsoDate | None = Field(
        ...,
        description="first day no longer in force by the term (term compensation and renewals "
        "included); null when the register lacks what the term depends on (term_note says what)",
    )
    term_note: str | None = Field(
        None, description="why the term cannot be computed, in the request's language"
    )
    renewal_pending: bool = Field(
        False, description="trademarks: a renewal filed in time and not yet approved"
    )
    grace_until: IsoDate | None = Field(
        ...,
        description="the grace period's last day (inclusive): six months after the unpaid due "
        "date or the term's end, moved to the first working day when it falls on a weekend or "
        "statutory holiday (专利法实施细则 r. 6, 商标法实施条例 art. 12)",
    )
    unpaid_year: int | None
    late_fee_rate: str | None
    invalidation_pending: bool
    preserved: bool
    disputed: bool
    next_annuity: AnnuityOut | None


class StatusOnOut(StatusOut):
    number: str
    on: IsoDate


class OwnerOut(Schema):
    name: str
    uscc: str
    share: str
    organisation_id: int | None
    valid_from: IsoDate
    valid_to: IsoDate | None


class EventOut(Schema):
    id: int
    type: str
    date: IsoDate
    payload: dict[str, Any]


class EventCreatedOut(EventOut):
    status: StatusOut


class EventConflictOut(Schema):
    """A 409 refusing an event: pledgee_consent_required (a transfer, licence or surrender of a
    right under a registered pledge without the pledgee's consent on record), or another conflict
    with the register (renewal_already_pending, compensation_already_recorded)."""

    detail: str
    code: str
    pledges: list[str] | None = Field(
        None,
        description="pledgee_consent_required: the registration numbers of the registered "
        "pledges holding the right",
    )


class PledgeEntryOut(Schema):
    """An entry of the public pledge register (公告)."""

    registration_no: str | None
    state: str
    effective_date: IsoDate | None
    released_on: IsoDate | None
    pledgee: str | None
    pledgor: str | None


class RightSummaryOut(Schema):
    number: str
    kind: str
    title: str
    filing_date: IsoDate
    grant_date: IsoDate | None
    publication_no: str
    mark_text: str
    owners: list[str]
    status: StatusOut


class RightOut(Schema):
    number: str
    kind: str
    title: str
    filing_date: IsoDate
    grant_date: IsoDate | None
    publication_no: str
    ipc_main: str
    mark_text: str
    nice_classes: list[int]
    similar_groups: list[str]
    first_commercial_use: IsoDate | None
    created_on: IsoDate | None
    author_kind: str | None
    author_died_on: IsoDate | None
    first_published_on: IsoDate | None
    same_day_invention: str | None
    owners: list[OwnerOut] = Field(..., description="current owners")
    holder_history: list[OwnerOut] = Field(..., description="every owner over time")
    events: list[EventOut]
    status: StatusOut = Field(..., description="legal status today")
    pledges: list[PledgeEntryOut] = Field(..., description="public pledge register entries")
    version: int = Field(
        ...,
        description="The right's version, also the ETag: send it as If-Match to correct its "
        "term facts (PATCH).",
    )


class RightPageOut(Schema):
    items: list[RightSummaryOut]
    count: int
    page: int
    page_size: int
    pages: int
