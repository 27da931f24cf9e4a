"""REST adapters of pledge registration: parse → one selector / service → serialise.

Every endpoint on a pledge first reads it through `pledge_get`, which answers 404 for another
tenant's pledge (never 403), then calls the service, which checks the permission for the action.
Pre-check results carry `message` in the request's language (Chinese unless Accept-Language asks
for English) next to `message_zh` and `message_en`, also inside 422 / 409 error bodies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from ninja import Body, File, Query, Router, Status
from ninja.files import UploadedFile
from pydantic import BaseModel

from ipfin.accounts.auth import ApiAuth
from ipfin.accounts.permissions import Perm, require
from ipfin.accounts.ratelimit import ANON_SEARCH_THROTTLE
from ipfin.common.downloads import attachment
from ipfin.common.errors import DomainError, NotFound
from ipfin.common.money import money_str, money_str_or_none
from ipfin.common.schemas import ErrorOut
from ipfin.jobs.api import accepted
from ipfin.jobs.schemas import ExportPeriodIn, JobRunOut
from ipfin.pledges import selectors, services
from ipfin.pledges.domain import (
    DEFAULT_DUE_WITHIN_DAYS,
    MAX_DUE_WITHIN_DAYS,
    DepositOutcome,
    PledgeAction,
    allowed_actions,
    allowed_change_actions,
    case_query,
)
from ipfin.pledges.exchange import (
    pledge_registrations_export_request,
    pledge_registrations_file,
)
from ipfin.pledges.models import (
    AnnuityDeposit,
    ChangeStateChoices,
    Pledge,
    PledgeChange,
    PledgeStateChoices,
)
from ipfin.pledges.schemas import (
    AnnuityDepositIn,
    AnnuityDepositListOut,
    AnnuityDepositOut,
    CaseAssignIn,
    CasePageOut,
    ChangeDecisionIn,
    ChangeIn,
    ChangeOut,
    CheckOut,
    DecisionIn,
    DeclineIn,
    DocumentOut,
    PledgeIn,
    PledgeOut,
    PledgePageOut,
    PledgeSummaryOut,
    PrecheckIn,
    PublicPledgeOut,
    ReleaseIn,
    ResubmitIn,
)
from ipfin.registry.selectors import MAX_SEARCH_LENGTH

router = Router()
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_OFFSET = 2**31 - 1  # well past any list, and within every database's OFFSET range


# --- serialisation -------------------------------------------------------------------------------


def _english() -> bool:
    return (get_language() or "").lower().startswith("en")


def localise_checks(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored / raised check results with `message` in the request's language."""
    key = "message_en" if _english() else "message_zh"
    return [{**check, "message": check.get(key, "")} for check in checks]


@contextmanager
def _localised_errors() -> Iterator[None]:
    """Give the pre-check results inside a refused request (422 / 409) their `message` too."""
    try:
        yield
    except DomainError as exc:
        checks = exc.extra.get("checks")
        if isinstance(checks, list):
            exc.extra["checks"] = localise_checks(checks)
        raise


def _summary(pledge: Pledge) -> dict[str, Any]:
    return {
        "id": pledge.pk,
        "state": pledge.state,
        "state_label": str(pledge.get_state_display()),
        "initiator": pledge.initiator,
        "confirm_by": pledge.confirm_by,
        "registration_no": pledge.registration_no,
        "pledgee": {"id": pledge.pledgee.pk, "name": pledge.pledgee.name},
        "pledgor": {
            "id": pledge.pledgor.pk,
            "name": pledge.pledgor.name,
            "uscc": pledge.pledgor.uscc,
        },
        "rights": [
            {
                "number": item.right.number,
                "kind": item.right.kind,
                "title": item.right.title,
                "active": item.active,
            }
            for item in pledge.items.all()
        ],
        "debt_amount": money_str(pledge.debt_amount),
        "term_start": pledge.term_start,
        "term_end": pledge.term_end,
        "contract_no": pledge.contract_no,
        "deadline": pledge.deadline,
        "effective_date": pledge.effective_date,
        "released_on": pledge.released_on,
        "submitted_at": pledge.submitted_at,
    }


# Done by the platform itself (the daily job), never offered to a user.
_SYSTEM_ACTIONS = frozenset({PledgeAction.LAPSE})


def _allowed(pledge: Pledge, documents: list[Any]) -> list[str]:
    """What may happen next: the state machine's actions, less approval while no contract is
    stored (the service refuses that with `contract_missing`)."""
    actions = allowed_actions(pledge.state) - _SYSTEM_ACTIONS
    if not any(doc.kind == "contract" for doc in documents):
        actions -= {PledgeAction.APPROVE}
    return sorted(a.value for a in actions)


def _detail(pledge: Pledge) -> dict[str, Any]:
    documents = list(pledge.documents.all())
    return {
        **_summary(pledge),
        "scope": pledge.scope,
        "forfeiture_clause": pledge.forfeiture_clause,
        "co_owner_consent": pledge.co_owner_consent,
        "proceed_despite_invalidation": pledge.proceed_despite_invalidation,
        "proceed_despite_same_day": pledge.proceed_despite_same_day,
        "confirmed_at": pledge.confirmed_at,
        "release_basis": pledge.release_basis or None,
        "release_requested_on": pledge.release_requested_on,
        "checks": localise_checks(list(pledge.checks or [])),
        "decision_reason": pledge.decision_reason,
        "decided_at": pledge.decided_at,
        "approval_proposed_by": (
            pledge.approval_proposed_by.get_username() if pledge.approval_proposed_by else None
        ),
        "approval_proposed_at": pledge.approval_proposed_at,
        **_holder(pledge),
        "documents": documents,
        "changes": [
            change_out(c)
            for c in pledge.changes.select_related("assignee", "approval_proposed_by").order_by(
                "created_at", "id"
            )
        ],
        "allowed_actions": _allowed(pledge, documents),
    }


def _holder(case: Pledge | PledgeChange) -> dict[str, Any]:
    """Who holds an examination case (the examiner's desk)."""
    holder = case.assignee
    return {
        "assignee": holder.get_username() if holder is not None else None,
        "assigned_at": case.assigned_at,
    }


def change_out(change: PledgeChange) -> dict[str, Any]:
    return {
        "change_id": change.pk,
        "pledge_id": change.pledge_id,
        "state": change.state,
        "state_label": str(change.get_state_display()),
        "initiator": change.initiator,
        "changed_on": change.changed_on,
        "before": change.before,
        "after": change.after,
        "reason": change.reason,
        "confirm_by": change.confirm_by,
        "deadline": change.deadline,
        "effective_date": change.effective_date,
        "decision_reason": change.decision_reason,
        "approval_proposed_by": (
            change.approval_proposed_by.get_username() if change.approval_proposed_by else None
        ),
        "approval_proposed_at": change.approval_proposed_at,
        **_holder(change),
        "allowed_actions": sorted(
            a.value for a in allowed_change_actions(change.state) - _SYSTEM_ACTIONS
        ),
    }


def _fresh(request: HttpRequest, pledge_id: int) -> dict[str, Any]:
    return _detail(selectors.pledge_get(actor=request.user, pledge_id=pledge_id))


# --- endpoints -----------------------------------------------------------------------------------


_WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.post("/pledges", response={201: PledgeOut, **_WRITE})
def submit(request: HttpRequest, payload: PledgeIn) -> Status[dict[str, Any]]:
    """File a joint pledge application (专利权质押登记办法 arts. 3, 7): a bank names the pledgor
    (`pledgor_uscc`), an enterprise the pledgee bank (`pledgee_uscc`). The answer's state is
    `awaiting_confirmation`: the other party confirms (POST /pledges/{id}/confirm) before the
    examiner sees it. 422 / 409 with every check when the pre-check refuses it."""
    with _localised_errors():
        pledge, _checks = services.pledge_submit(actor=request.user, **payload.dict())
    return Status(201, _fresh(request, pledge.pk))


class ChecksOut(BaseModel):  # from a dict, as CheckOut
    checks: list[CheckOut]


@router.post("/pledges/precheck", response=ChecksOut)
def precheck(request: HttpRequest, payload: PrecheckIn) -> dict[str, Any]:
    """Run the pre-check without filing (the application form's live results)."""
    with _localised_errors():
        checks = selectors.pledge_precheck(
            actor=request.user, today=timezone.localdate(), **payload.dict()
        )
    return {"checks": localise_checks([c.as_dict() for c in checks])}


@router.get("/pledges", response=PledgePageOut)
def pledge_list(
    request: HttpRequest,
    state: str | None = None,
    limit: int = Query(
        PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"page size, 1–{MAX_PAGE_SIZE}"
    ),
    offset: int = Query(0, ge=0, le=MAX_OFFSET, description="rows to skip before the page"),
) -> dict[str, Any]:
    """The caller's own pledges (as pledgee or pledgor), newest first, one page at a time with
    the total; the IP office sees all. A limit or offset out of range is a 422 (`invalid_input`).
    """
    page = selectors.pledge_page(actor=request.user, state=state, limit=limit, offset=offset)
    items = [_summary(p) for p in page.items]
    return {"total": page.total, "limit": limit, "offset": offset, "items": items}


@router.get(
    "/pledges/public",
    response=list[PublicPledgeOut],
    auth=ApiAuth(optional=True),
    throttle=ANON_SEARCH_THROTTLE,
)
def public_search(
    request: HttpRequest, q: str = Query("", max_length=MAX_SEARCH_LENGTH)
) -> list[dict[str, Any]]:
    """The public register of pledges: registered and released ones (no amounts, no pending
    applications), by registration number, right number, pledgor or pledgee name. Anonymous
    callers: at most IPFIN_ANON_SEARCH_RATE requests per address, with the register's searches
    (429 `rate_limited` with Retry-After)."""
    return selectors.pledges_public_search(q=q)


@router.get("/pledges/queue", response=list[PledgeSummaryOut])
def queue(request: HttpRequest) -> list[dict[str, Any]]:
    """Applications waiting for an examiner's decision, the nearest deadline first."""
    return [_summary(p) for p in selectors.examiner_queue(actor=request.user)]


@router.get("/pledges/cases", response={200: CasePageOut, 401: ErrorOut, 403: ErrorOut})
def cases(
    request: HttpRequest,
    status: str = Query(
        "submitted",
        description="submitted (waiting for a decision) | awaiting_check (an approval proposed) "
        "| correction_requested | decided | all",
    ),
    deadline: str = Query(
        "all", description="all | overdue (before today) | due (today or within `within_days`)"
    ),
    within_days: int = Query(
        DEFAULT_DUE_WITHIN_DAYS,
        ge=1,
        le=MAX_DUE_WITHIN_DAYS,
        description="with deadline=due: working days from today, on the office's calendar",
    ),
    kind: str = Query("", description="registration | change; empty: both"),
    right_kind: str = Query("", description="patent | trademark | copyright | ic_layout"),
    bank: int | None = Query(None, ge=1, le=MAX_OFFSET, description="the pledgee's id"),
    claim: str = Query("all", description="all | mine | unclaimed"),
    sort: str = Query(
        "deadline",
        description="deadline | -deadline | filed | -filed | bank | -bank | amount | -amount",
    ),
    limit: int = Query(
        PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"page size, 1–{MAX_PAGE_SIZE}"
    ),
    offset: int = Query(0, ge=0, le=MAX_OFFSET, description="rows to skip before the page"),
) -> dict[str, Any]:
    """The examiner's desk (the office's examiners and administrators; anyone else 403): the
    registrations and change applications the filters ask for, in the order asked, one page at a
    time with the total — the queue of /examiner/queue/, with the same vocabulary. A value
    outside it is a 422 naming the parameter (`status_invalid`, `deadline_invalid`,
    `kind_invalid`, `right_kind_invalid`, `claim_invalid`, `sort_invalid`) with the values
    allowed; a fixed number of queries whatever the page size."""
    require(request.user, Perm.PLEDGE_DECIDE)
    query = case_query(
        status=status,
        deadline=deadline,
        within_days=within_days,
        kind=kind or None,
        right_kind=right_kind or None,
        bank_id=bank,
        claim=claim,
        sort=sort,
    )
    rows = selectors.examiner_cases(actor=request.user, query=query, today=timezone.localdate())
    total = rows.count()
    page = list(rows[offset : offset + limit]) if offset < total else []
    details = selectors.case_details(page)
    return {"total": total, "limit": limit, "offset": offset, "items": _cases(page, details)}


def _cases(rows: list[dict[str, Any]], details: Any) -> list[dict[str, Any]]:
    labels = {
        "registration": dict(PledgeStateChoices.choices),
        "change": dict(ChangeStateChoices.choices),
    }
    return [
        {
            "kind": row["c_kind"],
            "id": row["c_id"],
            "pledge_id": row["c_pledge"],
            "state": row["c_state"],
            "state_label": str(labels[row["c_kind"]].get(row["c_state"], "")),
            "approval_proposed": row["c_proposed"] is not None,
            "deadline": row["c_deadline"],
            "filed_at": row["c_filed"],
            "pledgee": {"id": row["c_bank"], "name": row["c_bank_name"]},
            "pledgor": row["c_pledgor_name"],
            "debt_amount": money_str(row["c_amount"]),
            "registration_no": row["c_regno"],
            "assignee": row["c_assignee_username"],
            "rights": [
                {"number": number, "kind": kind}
                for number, kind in details.rights.get(row["c_pledge"], [])
            ],
            "declared_risks": [
                {"rule": rule, "right": right}
                for rule, right in details.declared.get(row["c_pledge"], [])
            ],
            "change": row["c_after"],
        }
        for row in rows
    ]


@router.get("/pledges/{int:pledge_id}", response=PledgeOut)
def pledge_detail(request: HttpRequest, pledge_id: int) -> dict[str, Any]:
    return _fresh(request, pledge_id)


@router.post(
    "/pledges/{int:pledge_id}/documents",
    response={201: DocumentOut, 400: ErrorOut, 413: ErrorOut, **_WRITE},
)
def upload_document(request: HttpRequest, pledge_id: int, file: File[UploadedFile]) -> Status[Any]:
    """Upload the pledge contract (multipart field `file`; PDF only; a name of at most 200
    characters, else 422 `file_name_too_long`; too large: 413 `file_too_large`)."""
    pledge = selectors.pledge_get(actor=request.user, pledge_id=pledge_id)
    document = services.pledge_document_upload(
        actor=request.user, pledge=pledge, uploaded_file=file
    )
    return Status(201, document)


@router.post("/pledges/{int:pledge_id}/confirm", response={200: PledgeOut, **_WRITE})
def confirm(request: HttpRequest, pledge_id: int) -> dict[str, Any]:
    """The other party signs the joint application (办法 arts. 3, 7) after reading its pre-check:
    it reaches the examiner (state submitted) and the examination deadline starts. The party that
    filed gets 403 (`awaiting_other_party`), anyone else 404; past the confirmation deadline the
    application has lapsed (409)."""
    pledge = selectors.pledge_get(actor=request.user, pledge_id=pledge_id)
    with _localised_errors():
        services.pledge_confirm(actor=request.user, pledge=pledge)
    return _fresh(request, pledge_id)


@router.post("/pledges/{int:pledge_id}/decline", response={200: PledgeOut, **_WRITE})
def decline(
    request: HttpRequest, pledge_id: int, payload: Body[DeclineIn | None] = None
) -> dict[str, Any]:
    """The other party refuses to sign: the application ends (state declined), its rights free."""
    pledge = selectors.pledge_get(actor=request.user, pledge_id=pledge_id)
    reason = payload.reason if payload is not None else ""
    services.pledge_decline(actor=request.user, pledge=pledge, reason=reason)
    return _fresh(request, pledge_id)


@router.post("/pledges/{int:pledge_id}/decision", response={200: PledgeOut, **_WRITE})
def decide(request: HttpRequest, pledge_id: int, payload: DecisionIn) -> dict[str, Any]:
    """The examiner's decision on a confirmed application: approve (→ registration_no, effective
    the day of approval: 民法典 art. 444), reject or correct (reason needed). An application
    still awaiting the other party's confirmation cannot be decided (409)."""
    pledge = selectors.pledge_get(actor=request.user, pledge_id=pledge_id)
    with _localised_errors():
        services.pledge_decide(actor=request.user, pledge=pledge, **payload.dict())
    return _fresh(request, pledge_id)


# --- the examiner's desk: who holds a case -------------------------------------------------------


@router.post("/pledges/{int:pledge_id}/claim", response={200: PledgeOut, **_WRITE})
def claim(request: HttpRequest, pledge_id: int) -> dict[str, Any]:
    """An examiner takes the application waiting for a decision for itself (`assignee`): while
    it holds it, no other examiner decides it (their decision: 409 case_claimed_by_other). 409
    case_already_claimed when someone holds it (`assignee` in the body names who), 409
    case_not_open when it is not waiting for a decision; 403 for anyone but the office's
    examiners and administrators; 404 for an unknown pledge or another tenant's. Audited."""
    pledge = selectors.pledge_get(actor=request.user, pledge_id=pledge_id)
    services.case_claim(actor=request.user, case=pledge)
    return _fresh(request, pledge_id)


@router.post("/pledges/{int:pledge_id}/assign", response={200: PledgeOut, **_WRITE})
def assign(request: HttpRequest, pledge_id: int, payload: CaseAssignIn) -> dict[str, Any]:
    """An administrator of the office gives the application to an examiner of the office, or to
    another one (a reassignment, also of a claimed case); the examiner is told. 403 for anyone
    but the office's administrators; 422 assignee_invalid for a username that is no active
    examiner of the caller's office; 409 case_not_open when the application is not waiting for a
    decision; 404 for an unknown pledge. Audited with the holder before and after."""
    pledge = selectors.pledge_get(actor=request.user, pledge_id=pledge_id)
    assignee = selectors.case_examiner(actor=request.user, username=payload.assignee)
    services.case_assign(actor=request.user, case=pledge, assignee=assignee)
    return _fresh(request, pledge_id)


@router.post("/pledges/{int:pledge_id}/unclaim", response={200: PledgeOut, **_WRITE})
def unclaim(request: HttpRequest, pledge_id: int) -> dict[str, Any]:
    """The application goes back to the queue, held by no one: by its holder or an
    administrator of the office (another examiner: 403 case_claimed_by_other); 409
    case_not_claimed when no one holds it; 404 for an unknown pledge. Audited."""
    pledge = selectors.pledge_get(actor=request.user, pledge_id=pledge_id)
    services.case_claim_release(actor=request.user, case=pledge)
    return _fresh(request, pledge_id)


@router.post("/pledge-changes/{int:change_id}/claim", response={200: ChangeOut, **_WRITE})
def change_claim(request: HttpRequest, change_id: int) -> dict[str, Any]:
    """As POST /pledges/{pledge_id}/claim, for a change application waiting for a decision."""
    change = selectors.pledge_change_get(actor=request.user, change_id=change_id)
    return change_out(services.case_claim(actor=request.user, case=change))


@router.post("/pledge-changes/{int:change_id}/assign", response={200: ChangeOut, **_WRITE})
def change_assign(request: HttpRequest, change_id: int, payload: CaseAssignIn) -> dict[str, Any]:
    """As POST /pledges/{pledge_id}/assign, for a change application waiting for a decision."""
    change = selectors.pledge_change_get(actor=request.user, change_id=change_id)
    assignee = selectors.case_examiner(actor=request.user, username=payload.assignee)
    return change_out(services.case_assign(actor=request.user, case=change, assignee=assignee))


@router.post("/pledge-changes/{int:change_id}/unclaim", response={200: ChangeOut, **_WRITE})
def change_unclaim(request: HttpRequest, change_id: int) -> dict[str, Any]:
    """As POST /pledges/{pledge_id}/unclaim, for a change application."""
    change = selectors.pledge_change_get(actor=request.user, change_id=change_id)
    return change_out(services.case_claim_release(actor=request.user, case=change))


@router.post("/pledges/{int:pledge_id}/resubmit", response={200: PledgeOut, **_WRITE})
def resubmit(request: HttpRequest, pledge_id: int, payload: ResubmitIn) -> dict[str, Any]:
    """Correct and resubmit an application sent back by the examiner (either party). Unchanged
    particulars: back to the examiner; changed ones: the other party confirms again."""
    pledge = selectors.pledge_get(actor=request.user, pledge_id=pledge_id)
    with _localised_errors():
        services.pledge_resubmit(
            actor=request.user, pledge=pledge, **payload.dict(exclude_none=True)
        )
    return _fresh(request, pledge_id)


@router.post("/pledges/{int:pledge_id}/change", response={201: ChangeOut, **_WRITE})
def change(request: HttpRequest, pledge_id: int, payload: ChangeIn) -> Status[dict[str, Any]]:
    """File a change registration (变更登记) of a registered pledge (either party): debt amount,
    term end, scope. The answer is the change application (`change_id`, state
    awaiting_confirmation); the registered terms change only when the examiner approves it, and
    until then the public register shows them unchanged."""
    pledge = selectors.pledge_get(actor=request.user, pledge_id=pledge_id)
    with _localised_errors():
        filed = services.pledge_change(actor=request.user, pledge=pledge, **payload.dict())
    return Status(201, change_out(filed))


@router.get("/pledge-changes/queue", response={200: list[ChangeOut], 401: ErrorOut, 403: ErrorOut})
def change_queue(request: HttpRequest) -> list[dict[str, Any]]:
    """Confirmed change applications waiting for a decision (IP office examiners)."""
    return [change_out(c) for c in selectors.change_queue(actor=request.user)]


@router.get(
    "/pledge-changes/{int:change_id}",
    response={200: ChangeOut, 401: ErrorOut, 404: ErrorOut},
)
def change_detail(request: HttpRequest, change_id: int) -> dict[str, Any]:
    return change_out(selectors.pledge_change_get(actor=request.user, change_id=change_id))


@router.post("/pledge-changes/{int:change_id}/confirm", response={200: ChangeOut, **_WRITE})
def change_confirm(request: HttpRequest, change_id: int) -> dict[str, Any]:
    """The other party signs the change application: it goes to the examiner."""
    found = selectors.pledge_change_get(actor=request.user, change_id=change_id)
    return change_out(services.pledge_change_confirm(actor=request.user, change=found))


@router.post("/pledge-changes/{int:change_id}/decline", response={200: ChangeOut, **_WRITE})
def change_decline(
    request: HttpRequest, change_id: int, payload: Body[DeclineIn | None] = None
) -> dict[str, Any]:
    found = selectors.pledge_change_get(actor=request.user, change_id=change_id)
    reason = payload.reason if payload is not None else ""
    return change_out(
        services.pledge_change_decline(actor=request.user, change=found, reason=reason)
    )


@router.post("/pledge-changes/{int:change_id}/withdraw", response={200: ChangeOut, **_WRITE})
def change_withdraw(request: HttpRequest, change_id: int) -> dict[str, Any]:
    found = selectors.pledge_change_get(actor=request.user, change_id=change_id)
    return change_out(services.pledge_change_withdraw(actor=request.user, change=found))


@router.post("/pledge-changes/{int:change_id}/decision", response={200: ChangeOut, **_WRITE})
def change_decide(
    request: HttpRequest, change_id: int, payload: ChangeDecisionIn
) -> dict[str, Any]:
    """The examiner's decision on a confirmed change: approve (the new terms take effect today),
    reject or correct (reason needed)."""
    found = selectors.pledge_change_get(actor=request.user, change_id=change_id)
    with _localised_errors():
        decided = services.pledge_change_decide(actor=request.user, change=found, **payload.dict())
    return change_out(decided)


_RELEASE_STATUSES = {
    "responses": {
        409: {
            "description": "Not registered (transition_conflict), a joint release the pledgor has "
            "not requested (joint_release_not_requested), or the pledge still secures an "
            "outstanding loan of the pledgee bank and no waiver was declared "
            "(pledge_secures_outstanding_loan: `loans` lists each loan's id, state, disbursed "
            "and outstanding amount, the message names them with the amount)"
        },
        422: {
            "description": "A bad body, released_on other than today (released_on_invalid), or "
            "waive_security without a reason (waiver_reason_required)"
        },
    }
}


@router.post(
    "/pledges/{int:pledge_id}/release",
    response={200: PledgeOut, **_WRITE},
    openapi_extra=_RELEASE_STATUSES,
)
def release(
    request: HttpRequest, pledge_id: int, payload: Body[ReleaseIn | None] = None
) -> dict[str, Any]:
    """注销登记, registered at once on the office's behalf, filed by the pledgee (`basis`:
    debt_discharged or pledge_waived) or jointly (`joint`); `released_on` defaults to today.
    While the pledge secures an outstanding loan of the pledgee bank: 409 unless
    `waive_security` is true with a `reason` (the loan then records that it is unsecured)."""
    pledge = selectors.pledge_get(actor=request.user, pledge_id=pledge_id)
    body = payload if payload is not None else ReleaseIn()
    services.pledge_release(
        actor=request.user,
        pledge=pledge,
        released_on=body.released_on,
        basis=body.basis,
        waive_security=body.waive_security,
        reason=body.reason,
    )
    return _fresh(request, pledge_id)


@router.post("/pledges/{int:pledge_id}/release-request", response={200: PledgeOut, **_WRITE})
def release_request(request: HttpRequest, pledge_id: int) -> dict[str, Any]:
    """The pledgor asks for a joint release (注销登记 filed jointly); the pledgee completes it with
    POST /pledges/{id}/release `{"basis": "joint"}`. The pledgee gets 403, a stranger 404."""
    pledge = selectors.pledge_get(actor=request.user, pledge_id=pledge_id)
    services.pledge_release_request(actor=request.user, pledge=pledge)
    return _fresh(request, pledge_id)


@router.post("/pledges/{int:pledge_id}/withdraw", response={200: PledgeOut, **_WRITE})
def withdraw(request: HttpRequest, pledge_id: int) -> dict[str, Any]:
    """Withdraw an application not yet decided (either party)."""
    pledge = selectors.pledge_get(actor=request.user, pledge_id=pledge_id)
    services.pledge_withdraw(actor=request.user, pledge=pledge)
    return _fresh(request, pledge_id)


# --- annuity deposits (预缴年费) ---------------------------------------------------------------


def annuity_deposit_out(deposit: AnnuityDeposit) -> dict[str, Any]:
    years = list(deposit.years.all())
    paid = sum((y.amount for y in years if y.outcome == DepositOutcome.PAID), Decimal("0.00"))
    return {
        "id": deposit.pk,
        "pledge_id": deposit.pledge_id,
        "right_number": deposit.right.number,
        "depositor": {"id": deposit.depositor.pk, "name": deposit.depositor.name},
        "created_on": deposit.created_on,
        "total": money_str(deposit.amount),
        "paid": money_str(paid),
        "live": deposit.refunded_on is None,
        "refunded_on": deposit.refunded_on,
        "refund_amount": money_str_or_none(deposit.refund_amount),
        "years": [
            {
                "year": y.year,
                "due_date": y.due_date,
                "amount": money_str(y.amount),
                "outcome": y.outcome or None,
                "drawn_on": y.drawn_on,
                "event_id": y.event_id,
            }
            for y in years
        ],
    }


@router.post(
    "/pledges/{int:pledge_id}/annuity-deposits", response={201: AnnuityDepositOut, **_WRITE}
)
def annuity_deposit_create(
    request: HttpRequest, pledge_id: int, payload: AnnuityDepositIn
) -> Status[dict[str, Any]]:
    """预缴年费 (issue 12): the pledgor or the pledgee bank deposits the annuities of one patent of
    a registered pledge in force that fall due from today to the end of the debt term and are
    unpaid; each is recorded paid from the deposit on its due date (专利法实施细则 r. 115-116), what
    is left refunded at the release. Fees are the full official ones (费减 not applied). 409
    pledge_not_in_force, annuity_deposit_exists, right_not_in_force, nothing_to_cover; 422
    right_not_in_pledge; anyone but the parties 404."""
    pledge = selectors.pledge_get(actor=request.user, pledge_id=pledge_id)
    deposit = services.annuity_deposit_create(
        actor=request.user, pledge=pledge, right_number=payload.right_number
    )
    found = selectors.annuity_deposit_list(actor=request.user, pledge_id=pledge_id)
    return Status(201, annuity_deposit_out(found.get(pk=deposit.pk)))


@router.get(
    "/pledges/{int:pledge_id}/annuity-deposits",
    response={200: AnnuityDepositListOut, 401: ErrorOut, 404: ErrorOut},
)
def annuity_deposit_list(request: HttpRequest, pledge_id: int) -> dict[str, Any]:
    """The pledge's annuity deposits, oldest first (its parties and the IP office; another
    tenant's pledge 404)."""
    items = [
        annuity_deposit_out(d)
        for d in selectors.annuity_deposit_list(actor=request.user, pledge_id=pledge_id)
    ]
    return {"items": items, "count": len(items)}


_NOTICE_STATUSES = {
    "responses": {
        200: {
            "description": "The office's notice of its decision on the application, as PDF "
            "(专利权质押登记通知书 with the registration number, 商标专用权质权登记证 for "
            "trademarks, or 不予登记通知书 with the reasons), fonts embedded",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        },
        404: {
            "description": "No such pledge or not one of the caller's (pledge_not_found), or "
            "not decided yet: no notice (notice_not_found)"
        },
    }
}


@router.get(
    "/pledges/{int:pledge_id}/notice.pdf",
    response={200: None, 401: ErrorOut, 404: ErrorOut},
    openapi_extra=_NOTICE_STATUSES,
)
def notice_pdf(request: HttpRequest, pledge_id: int) -> FileResponse:
    """The notice made with the examiner's decision (专利权质押登记办法: the parties are sent it),
    for the pledge's two parties and the IP office, through the contract's permission path (any
    other bank or enterprise 404)."""
    pledge = selectors.pledge_get(actor=request.user, pledge_id=pledge_id)
    notices = [d for d in pledge.documents.all() if d.kind in services.NOTICE_KINDS]
    if not notices:
        raise NotFound(
            "该申请尚未作出登记或不予登记的决定，没有审查通知书。",
            "The application has not been registered or refused: there is no notice.",
            code="notice_not_found",
        )
    notice = max(notices, key=lambda d: (d.uploaded_at, d.pk))
    return FileResponse(
        notice.file.open("rb"),
        as_attachment=True,
        filename=notice.original_name,
        content_type="application/pdf",
    )


__all__ = ["localise_checks", "router"]


@router.get(
    "/exports/pledge-registrations.csv",
    auth=ApiAuth(),
    openapi_extra={
        "responses": {
            "200": {
                "description": "CSV, UTF-8 with BOM, a header row of the platform's columns",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def pledge_registrations_export(request: HttpRequest, start: dt.date, end: dt.date) -> HttpResponse:
    """The pledge registrations effective or released from `start` to `end` (inclusive, at most
    366 days) in the national IP pledge information platform's fields, one row per pledged
    right, as CSV (UTF-8 with BOM) for the IP office to send on (422 `period_invalid`)."""
    made = pledge_registrations_file(actor=request.user, start=start, end=end)
    return attachment(made.data, made.content_type, made.name)


@router.post("/exports/pledge-registrations/jobs", auth=ApiAuth(), response={202: JobRunOut})
def pledge_registrations_export_job(
    request: HttpRequest, response: HttpResponse, body: ExportPeriodIn
) -> Status[dict[str, Any]]:
    """The same file built in the background, for a long period: the period is checked now
    (422 `period_invalid`, nothing queued); 202 with the run, `Location` its address (GET
    /jobs/{job_id}), polled until done (`result.rows_exported`), then the file at GET
    /jobs/{job_id}/file (kept a week). 409 `job_running` while the organisation's previous
    export runs."""
    run = pledge_registrations_export_request(actor=request.user, start=body.start, end=body.end)
    return accepted(request, response, run)
