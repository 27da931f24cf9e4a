"""Writing the audit trail. Called by every service that changes something that matters.

Each record is chained (ipfin.audit.domain): the writer locks the chain's head row, takes the next
place and the previous hash, and stores the record with its hash, all in the caller's transaction,
so that a rolled-back write leaves no record and concurrent writers queue for the head instead of
forking the chain."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.audit.domain import GENESIS, ChainBreak, chain_hash, first_break, iter_links
from ipfin.audit.models import AuditChainHead, AuditRecord, AuditVerification

__all__ = [
    "audit_chain_end",
    "audit_record",
    "audit_records_through",
    "audit_verify",
    "audit_verify_range",
    "audit_verify_record",
]


def _as_stored(value: dict[str, Any] | None) -> Any:
    """`value` as the JSON column gives it back (Decimals and dates as strings)."""
    return None if value is None else json.loads(json.dumps(value, cls=DjangoJSONEncoder))


@transaction.atomic
def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRecord:
    user = actor if actor is not None and actor.is_authenticated else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
    fields: dict[str, Any] = {
        "at": timezone.now(),
        "actor_id": user.pk if user is not None else None,
        "actor_username": user.get_username() if user is not None else "system",
        "organisation_id": user.organisation_id if user is not None else None,
        "action": action,
        "object_type": object_type or "",
        "object_id": "" if object_id is None else str(object_id),
        "before": _as_stored(before),
        "after": _as_stored(after),
    }
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:  # an emptied database (the migration creates the row): the chain starts
        AuditChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS})
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    digest = chain_hash(head.hash, fields)
    record = AuditRecord(seq=head.seq + 1, prev_hash=head.hash, hash=digest, **fields)
    record.save()
    AuditChainHead.objects.filter(pk=1).update(seq=record.seq, hash=digest)
    return record


def audit_chain_end() -> int:
    """The highest seq stored (0: no record)."""
    last = AuditRecord.objects.aggregate(seq=models.Max("seq"))["seq"]
    return int(last or 0)


def audit_verify_range(lo: int, hi: int | None = None) -> tuple[int, ChainBreak | None]:
    """Walk the records with seq in [lo, hi] (None: to the end) in order, from the record stored
    before them (ipfin.audit.domain.first_break): (records checked, the first break among them).
    Ranges walked apart, in any order, find what one walk of the whole chain finds: its first
    break is the break of lowest seq among theirs. `lo` ≤ 1 walks from the chain's start."""
    rows = AuditRecord.objects.all()
    previous, expected = GENESIS, 1
    if lo > 1:
        before = (
            AuditRecord.objects.filter(seq__lt=lo).order_by("-seq").values("seq", "hash").first()
        )
        if before is not None:
            previous, expected = before["hash"], before["seq"] + 1
        rows = rows.filter(seq__gte=lo)
    # From the start (lo ≤ 1): every record below `hi`, a forged seq 0 or less among them, is
    # walked from the genesis, as the single walk does, never taken as the start of the walk.
    if hi is not None:
        rows = rows.filter(seq__lte=hi)
    links = iter_links(
        rows.order_by("seq")
        .values("seq", "id", "prev_hash", "hash", *AuditRecord.HASHED)
        .iterator(chunk_size=2000)
    )
    return first_break(links, previous=previous, expected_seq=expected)


def audit_records_through(seq: int) -> int:
    """How many records a walk of the whole chain checks up to the one with `seq`, included."""
    return AuditRecord.objects.filter(seq__lte=seq).count()


def audit_verify_record(checked: int, broken: ChainBreak | None) -> AuditVerification:
    """Record the outcome of a walk of the whole chain: its first break, or, when none, whether
    the chain's head is at the last record (records removed from the end leave no gap)."""
    if broken is None:
        # The head locked, as each audited write locks it: the last record is read with no
        # write between (two plain reads, each seeing the latest commits on PostgreSQL, took
        # a record committed in between for the head's being behind, and an intact chain was
        # recorded as cut short; writers wait the few milliseconds of these two reads).
        with transaction.atomic():
            head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
            last = AuditRecord.objects.order_by("-seq").values("seq", "id", "hash").first()
        head_state = (head.seq, head.hash) if head else (0, GENESIS)
        last_state = (last["seq"], last["hash"]) if last else (0, GENESIS)
        if head_state != last_state:
            return AuditVerification.objects.create(
                checked=checked,
                intact=False,
                broken_seq=head_state[0],
                broken_record_id=last["id"] if last else None,
                reason_zh="链尾与最后一条记录不一致：末尾的记录已被删除。",
                reason_en="The chain's head is not the last record: records at the end were "
                "removed.",
            )
        return AuditVerification.objects.create(checked=checked, intact=True)
    return AuditVerification.objects.create(
        checked=checked,
        intact=False,
        broken_seq=broken.seq,
        broken_record_id=broken.record_id,
        reason_zh=broken.reason_zh,
        reason_en=broken.reason_en,
    )


def audit_verify() -> AuditVerification:
    """Walk the whole chain in order and record the outcome: intact, or the first broken record
    and why (a record changed, removed or inserted; the head not at the last record)."""
    checked, broken = audit_verify_range(1)
    return audit_verify_record(checked, broken)
