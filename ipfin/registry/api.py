"""REST adapters of the register: parse → one service or selector → serialise.

Reads are public (the register is open to inspection); writes are the IP office's.
"""

from __future__ import annotations

import math
from typing import Any

from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from ninja import Query, Router, Status

from ipfin.accounts.auth import ApiAuth
from ipfin.accounts.ratelimit import ANON_SEARCH_THROTTLE
from ipfin.common import versioning
from ipfin.common.databases import reporting_db
from ipfin.common.money import money_str
from ipfin.common.schemas import ErrorOut, IsoDate
from ipfin.common.workdays import WorkingCalendar
from ipfin.holidays.selectors import working_calendar
from ipfin.registry.domain import RightKind, StatusResult, annuity_amount
from ipfin.registry.encumbrances import public_pledges_for_right
from ipfin.registry.models import Right, RightOwner
from ipfin.registry.schemas import (
    AnnuityOut,
    EventConflictOut,
    EventCreatedOut,
    EventIn,
    EventOut,
    OwnerOut,
    PledgeEntryOut,
    RightIn,
    RightOut,
    RightPageOut,
    StatusOnOut,
    StatusOut,
    TermFactsIn,
)
from ipfin.registry.selectors import (
    MAX_SEARCH_LENGTH,
    annuity_payable_until,
    current_owners,
    owner_history,
    right_get,
    right_status,
    right_term_note,
    rights_search,
    rights_status_bulk,
    share_str,
)
from ipfin.registry.services import right_create, right_event_record, right_term_facts_set

router = Router()
_public = ApiAuth(optional=True)
MAX_PAGE_SIZE = 100
# Pages beyond this are refused (422): 10 million rights at the largest page size, and an offset
# that no database overflows (page=2**63-1 was a 500).
MAX_PAGE = 100_000


def _status_out(
    right: Right, result: StatusResult, calendar: WorkingCalendar | None = None
) -> StatusOut:
    annuity: AnnuityOut | None = None
    if result.next_annuity is not None:
        year, due = result.next_annuity
        try:
            amount: str | None = money_str(annuity_amount(RightKind(right.kind), year))
        except ValueError:
            amount = None
        annuity = AnnuityOut(
            year=year,
            due_date=due,
            payable_until=annuity_payable_until(result, calendar) or due,
            amount=amount,
        )
    note = right_term_note(right) if result.expiry_date is None else None
    english = (get_language() or "").startswith("en")
    return StatusOut(
        status=result.status.value,
        since=result.since,
        expiry_date=result.expiry_date,
        term_note=(note[1] if english else note[0]) if note else None,
        renewal_pending=result.renewal_pending,
        grace_until=result.grace_until,
        unpaid_year=result.unpaid_year,
        late_fee_rate=str(result.late_fee_rate) if result.late_fee_rate is not None else None,
        invalidation_pending=result.invalidation_pending,
        preserved=result.preserved,
        disputed=result.disputed,
        next_annuity=annuity,
    )


def _owner_out(owner: RightOwner) -> OwnerOut:
    return OwnerOut(
        name=owner.name,
        uscc=owner.uscc,
        share=share_str(owner.share),
        organisation_id=owner.organisation_id,
        valid_from=owner.valid_from,
        valid_to=owner.valid_to,
    )


def _right_out(right: Right, *, pledges: list[dict[str, Any]]) -> RightOut:
    today = timezone.localdate()
    events = list(right.events.all())
    return RightOut(
        number=right.number,
        kind=right.kind,
        title=right.title,
        filing_date=right.filing_date,
        grant_date=right.grant_date,
        publication_no=right.publication_no,
        ipc_main=right.ipc_main,
        mark_text=right.mark_text,
        nice_classes=right.nice_classes or [],
        similar_groups=right.similar_groups or [],
        first_commercial_use=right.first_commercial_use,
        created_on=right.created_on,
        author_kind=right.author_kind or None,
        author_died_on=right.author_died_on,
        first_published_on=right.first_published_on,
        same_day_invention=right.same_day_invention or None,
        owners=[_owner_out(o) for o in current_owners(right, on=today)],
        holder_history=[_owner_out(o) for o in owner_history(right)],
        events=[EventOut(id=e.pk, type=e.type, date=e.date, payload=e.payload) for e in events],
        status=_status_out(right, right_status(right, on=today)),
        pledges=[PledgeEntryOut(**p) for p in pledges],
        version=right.version,
    )


def _versioned(response: HttpResponse, right: Right) -> RightOut:
    """The right as answered to a read or an edit of it, with its version as the ETag."""
    prefetch_related_objects([right], "events")  # read once: for the log and for the status
    response[versioning.ETAG] = versioning.etag(right.version)
    return _right_out(right, pledges=list(public_pledges_for_right(right)))


@router.post("/rights", response={201: RightOut})
def create_right(request: HttpRequest, payload: RightIn) -> Status[RightOut]:
    data = payload.model_dump()
    data["owners"] = [o.model_dump(exclude_none=True) for o in payload.owners]
    right = right_create(actor=request.user, **data)
    # A right just entered in the register has no pledges yet.
    return Status(201, _right_out(right, pledges=[]))


@router.patch(
    "/rights/{number}",
    response={200: RightOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    openapi_extra=versioning.openapi_write(),
)
def set_term_facts(
    request: HttpRequest, response: HttpResponse, number: str, payload: TermFactsIn
) -> RightOut:
    """Record or correct what a right's true term depends on (the IP office): first commercial
    use and creation of an IC layout (条例 art. 12), the author, the author's death, creation and
    first publication of a copyright (著作权法 art. 23), a utility model's same-day invention
    application. Only the fields sent change; null clears one. The answer's status shows the
    term that follows. `If-Match` names the right's version as read (its ETag): a stale one is a
    409 `version_conflict` with `current_version`, none a 428 `version_required`."""
    right = right_get(number=number)
    right = right_term_facts_set(
        actor=request.user,
        right=right,
        version=versioning.if_match_version(request.headers.get(versioning.IF_MATCH)),
        **payload.model_dump(exclude_unset=True),
    )
    return _versioned(response, right)


@router.post(
    "/rights/{number}/events",
    response={
        201: EventCreatedOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: EventConflictOut,
        422: ErrorOut,
    },
)
def record_event(request: HttpRequest, number: str, payload: EventIn) -> Status[dict[str, Any]]:
    """Record a legal event (the IP office). A transfer or a licence may carry its `price`
    (转让价款 / 许可使用费, yuan, "1200000.00"): stored in the payload, it makes the event a
    comparable of the market approach (GET /rights/{number}/comparables). A transfer, licence or
    surrender of a right under a registered pledge needs the pledgee's consent on record
    (`pledgee_consent` true and `consent_document`; 民法典 art. 444 ¶2): a 409
    `pledgee_consent_required` listing the pledges' registration numbers otherwise."""
    right = right_get(number=number)
    event = right_event_record(
        actor=request.user,
        right=right,
        type=payload.type,
        date=payload.date,
        payload=payload.payload(),
    )
    status = right_status(right, on=timezone.localdate())
    return Status(
        201,
        {
            "id": event.pk,
            "type": event.type,
            "date": event.date,
            "payload": event.payload,
            "status": _status_out(right, status),
        },
    )


@router.get("/rights", response=RightPageOut, auth=_public, throttle=ANON_SEARCH_THROTTLE)
def list_rights(
    request: HttpRequest,
    q: str = Query("", max_length=MAX_SEARCH_LENGTH),
    kind: RightKind | None = None,
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(20, ge=1, le=MAX_PAGE_SIZE),
) -> dict[str, Any]:
    """The public query of the register: rights matching `q` (number, publication number,
    title, mark, a current owner's name), a page at a time with the count. Anonymous callers: at
    most IPFIN_ANON_SEARCH_RATE requests per address (429 `rate_limited` with Retry-After); a
    bank's system calls with its token."""
    # The public query: the replica when one is configured (ipfin.common.databases).
    rights = rights_search(q=q, kind=kind.value if kind else None, using=reporting_db())
    count = rights.count()
    start = (page - 1) * page_size
    current = Prefetch(
        "owners", queryset=RightOwner.objects.filter(valid_to__isnull=True), to_attr="current"
    )
    items = list(rights.prefetch_related(current)[start : start + page_size])
    calendar = working_calendar()  # the office's days, read once for the page
    statuses = rights_status_bulk(items, on=timezone.localdate(), calendar=calendar)
    return {
        "items": [
            {
                "number": r.number,
                "kind": r.kind,
                "title": r.title,
                "filing_date": r.filing_date,
                "grant_date": r.grant_date,
                "publication_no": r.publication_no,
                "mark_text": r.mark_text,
                "owners": [o.name for o in r.current],  # type: ignore[attr-defined]
                "status": _status_out(r, statuses[r.pk], calendar),
            }
            for r in items
        ],
        "count": count,
        "page": page,
        "page_size": page_size,
        "pages": max(1, math.ceil(count / page_size)),
    }


@router.get(
    "/rights/{number}", response=RightOut, auth=_public, openapi_extra=versioning.openapi_read()
)
def get_right(request: HttpRequest, response: HttpResponse, number: str) -> RightOut:
    return _versioned(response, right_get(number=number))


@router.get("/rights/{number}/status", response=StatusOnOut, auth=_public)
def get_status(request: HttpRequest, number: str, on: IsoDate | None = None) -> StatusOnOut:
    right = right_get(number=number)
    day = on or timezone.localdate()
    status = _status_out(right, right_status(right, on=day))
    return StatusOnOut(number=right.number, on=day, **status.model_dump())
