"""The audit trail over the API: the office's and the regulator's read (Perm.AUDIT_READ)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from ipfin.audit import selectors

router = Router()

PAGE_SIZE, MAX_PAGE_SIZE, MAX_OFFSET = 50, 500, 1_000_000


class AuditRecordOut(Schema):
    id: int
    seq: int = Field(description="the record's place in the hash chain, from 1")
    at: datetime
    actor: str = Field(description="the user's name at the time, or `system`")
    organisation_id: int | None
    action: str
    object_type: str
    object_id: str
    before: Any = None
    after: Any = None
    prev_hash: str
    hash: str = Field(description="SHA-256 of prev_hash and the record's canonical JSON")


class AuditPageOut(Schema):
    total: int
    limit: int
    offset: int
    items: list[AuditRecordOut]


class AuditFilter(Schema):
    object_type: str | None = Field(None, max_length=64)
    object_id: str | None = Field(None, max_length=64)
    action: str | None = Field(None, max_length=64)
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class VerificationOut(Schema):
    at: datetime
    intact: bool
    checked: int = Field(description="records walked")
    broken_seq: int | None
    broken_record_id: int | None
    reason: str | None = Field(description="why the chain is broken there (null when intact)")


@router.get("/audit", response=AuditPageOut)
def audit_page(request: HttpRequest, filters: Query[AuditFilter]) -> dict[str, Any]:
    """The audit trail, newest first (IP office and regulator). Each record carries its place in
    the hash chain and its hashes, so that a reader can check the chain itself."""
    qs = selectors.audit_list(
        actor=request.user,
        object_type=filters.object_type,
        object_id=filters.object_id,
        action=filters.action,
    )
    rows = list(qs[filters.offset : filters.offset + filters.limit])
    items = [
        {
            "id": r.pk, "seq": r.seq, "at": r.at, "actor": r.actor_username,
            "organisation_id": r.organisation_id, "action": r.action,
            "object_type": r.object_type, "object_id": r.object_id, "before": r.before,
            "after": r.after, "prev_hash": r.prev_hash, "hash": r.hash,
        }
        for r in rows
    ]  # fmt: skip
    return {"total": qs.count(), "limit": filters.limit, "offset": filters.offset, "items": items}


@router.get("/audit/verification", response=VerificationOut | None)
def audit_verification(request: HttpRequest) -> dict[str, Any] | None:
    """The last walk of the hash chain (the daily `ipfin audit_verify`); null before the first."""
    latest = selectors.audit_verification_latest(actor=request.user)
    if latest is None:
        return None
    english = (request.LANGUAGE_CODE or "").startswith("en")
    return {
        "at": latest.at,
        "intact": latest.intact,
        "checked": latest.checked,
        "broken_seq": latest.broken_seq,
        "broken_record_id": latest.broken_record_id,
        "reason": (latest.reason_en if english else latest.reason_zh) or None,
    }
