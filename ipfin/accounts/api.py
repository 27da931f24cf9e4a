from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from ipfin.accounts.idempotency import shown_once
from ipfin.accounts.models import (
    ApiToken,
    Notification,
    Organisation,
    OrganisationKind,
    SupervisionCase,
    hash_token,
)
from ipfin.accounts.permissions import Perm, permissions_of, require, require_login
from ipfin.accounts.selectors import (
    api_token_get,
    api_tokens_of,
    notification_list,
    supervision_case_get,
    supervision_case_list,
)
from ipfin.accounts.services import (
    MAX_TOKEN_DAYS,
    api_token_issue,
    api_token_revoke,
    organisation_create,
    supervision_case_close,
    supervision_case_open,
)
from ipfin.common.schemas import ErrorOut, OrganisationRef, uscc_field

router = Router()


class MeOut(Schema):
    username: str
    organisation: str | None
    organisation_id: int | None
    # The organisation's 统一社会信用代码, so that an integrating system learns its own; null for
    # organisations without one (the IP office, regulators).
    organisation_uscc: str | None
    organisation_kind: str | None
    role: str
    permissions: list[str]


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> MeOut:
    user = request.user
    org = user.organisation  # type: ignore[union-attr]
    return MeOut(
        username=user.get_username(),
        organisation=org.name if org else None,
        organisation_id=org.pk if org else None,
        organisation_uscc=(org.uscc or None) if org else None,
        organisation_kind=org.kind if org else None,
        role=user.role,  # type: ignore[union-attr]
        permissions=sorted(p.value for p in permissions_of(user)),
    )


class NotificationOut(Schema):
    id: int
    verb: str
    message_zh: str
    message_en: str
    object_type: str
    object_id: str
    created_at: datetime
    read_at: datetime | None


@router.get("/notifications", response=list[NotificationOut])
def notifications(request: HttpRequest) -> list[Notification]:
    return notification_list(actor=request.user)


def _column_length(field: str) -> int:
    length = Organisation._meta.get_field(field).max_length
    assert length is not None
    return length


class OrganisationIn(Schema):
    # Lengths are the columns' (a longer value is a 422, not a database error on PostgreSQL); NUL
    # characters are refused for every field by the API's parser (ipfin/api.py).
    kind: OrganisationKind
    name: str = Field(..., max_length=_column_length("name"))
    # Validated and normalised to its 18 characters by the service.
    uscc: str | None = uscc_field(None, empty=True)
    region: str = Field("", max_length=_column_length("region"))


class OrganisationOut(Schema):
    id: int
    kind: str
    name: str
    uscc: str | None


@router.post("/organisations", response={201: OrganisationOut})
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Status[Organisation]:
    # Registering organisations is the IP office's administration task.
    require(request.user, Perm.REGISTRY_WRITE)
    org = organisation_create(actor=request.user, **payload.dict())
    return Status(201, org)


# --- the caller's own API tokens -----------------------------------------------------------------


class TokenOut(Schema):
    id: int
    prefix: str = Field(description="the token's first 8 characters, to tell tokens apart")
    name: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    usable: bool = Field(description="neither revoked nor expired")


class TokenIssueIn(Schema):
    name: str = Field("", max_length=100, description="what uses it, e.g. the core system's name")
    days: int | None = Field(
        None, ge=1, le=MAX_TOKEN_DAYS, description="validity in days (default: the setting, 90)"
    )


class TokenIssuedOut(TokenOut):
    token: str = Field(description="the bearer token itself: shown once, only its hash is stored")


def _token_out(token: ApiToken) -> dict[str, Any]:
    now = timezone.now()
    return {
        "id": token.pk,
        "prefix": token.prefix,
        "name": token.name,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "usable": token.revoked_at is None and token.expires_at > now,
    }


@router.get("/tokens", response=list[TokenOut])
def token_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's own API tokens, newest first (never the tokens themselves)."""
    return [_token_out(t) for t in api_tokens_of(actor=request.user)]


@router.post("/tokens", response={201: TokenIssuedOut})
def token_issue(request: HttpRequest, payload: TokenIssueIn) -> Status[dict[str, Any]]:
    """A new token for the caller, valid for `days` (default 90): the answer is the only time the
    token is shown."""
    user = require_login(request.user)
    raw = api_token_issue(user=user, days=payload.days, name=payload.name)
    token = ApiToken.objects.get(token_hash=hash_token(raw))
    shown_once(request)
    return Status(201, {**_token_out(token), "token": raw})


@router.post("/tokens/{int:token_id}/revoke", response=TokenOut)
def token_revoke(request: HttpRequest, token_id: int) -> dict[str, Any]:
    """Revoke one of the caller's tokens (another user's: 404). A system using it is refused
    from now on (401)."""
    token = api_token_get(actor=request.user, token_id=token_id)
    return _token_out(api_token_revoke(actor=require_login(request.user), token=token))


# --- supervision cases (a regulator's reads of single records) ----------------------------------


class SupervisionCaseIn(Schema):
    subject_uscc: str = uscc_field(description="检查对象（银行、企业、园区等）统一社会信用代码")
    reason: str = Field(..., min_length=4, max_length=500, description="立案事由")


class SupervisionCaseCloseIn(Schema):
    note: str = Field("", max_length=500, description="结案说明")


class SupervisionCaseOut(Schema):
    id: int
    subject: OrganisationRef
    reason: str
    opened_by: str
    opened_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    close_note: str
    open: bool


def _case_out(case: SupervisionCase) -> dict[str, Any]:
    return {
        "id": case.pk,
        "subject": {"id": case.subject_id, "name": case.subject.name},
        "reason": case.reason,
        "opened_by": case.opened_by.username,
        "opened_at": case.opened_at,
        "closed_by": case.closed_by.username if case.closed_by else None,
        "closed_at": case.closed_at,
        "close_note": case.close_note,
        "open": case.closed_at is None,
    }


@router.get("/supervision/cases", response=list[SupervisionCaseOut])
def supervision_cases(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's regulator's supervision cases, open ones first. While a case is open, the
    regulator reads the subject's single records (loans, valuations, demands, subsidy claims,
    credit profile, white-list pushes and follow-ups); every such request leaves a
    `supervision.read` audit record. Regulators only (403 otherwise)."""
    return [_case_out(case) for case in supervision_case_list(actor=request.user)]


@router.post("/supervision/cases", response={201: SupervisionCaseOut, 404: ErrorOut})
def supervision_case_create(
    request: HttpRequest, payload: SupervisionCaseIn
) -> Status[dict[str, Any]]:
    """Open a case on an organisation (404 `organisation_not_found` for no bank, enterprise, park,
    insurer, guarantor or agency with that code; 409 `supervision_case_open` when one is open
    on it already)."""
    case = supervision_case_open(
        actor=require_login(request.user), subject_uscc=payload.subject_uscc, reason=payload.reason
    )
    return Status(201, _case_out(case))


@router.post("/supervision/cases/{int:case_id}/close", response=SupervisionCaseOut)
def supervision_case_end(
    request: HttpRequest, case_id: int, payload: SupervisionCaseCloseIn
) -> dict[str, Any]:
    """Close a case: the subject's single records are out of reach again (closing a closed case
    changes nothing)."""
    case = supervision_case_get(actor=request.user, case_id=case_id)
    closed = supervision_case_close(actor=require_login(request.user), case=case, note=payload.note)
    return _case_out(closed)
