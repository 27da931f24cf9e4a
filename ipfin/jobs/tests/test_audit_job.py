"""The audit chain's verification as a chunked background job (ipfin.jobs.jobs): chunks of seq
walked apart find what one walk of the whole chain finds, records written since the plan are
walked by the last step, and the outcome is recorded once."""

from __future__ import annotations

import contextlib
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from ipfin.accounts.models import User
from ipfin.audit.domain import GENESIS
from ipfin.audit.models import AuditRecord, AuditVerification
from ipfin.audit.services import audit_record, audit_verify
from ipfin.audit.tests.test_chain import _tamper
from ipfin.jobs.models import JobRun, JobState
from ipfin.jobs.registry import job_spec

pytestmark = pytest.mark.django_db


def _outcome(v: AuditVerification) -> tuple[Any, ...]:
    return (v.intact, v.checked, v.broken_seq, v.broken_record_id, v.reason_en)


def _chunked(settings: Any) -> tuple[JobRun, AuditVerification]:
    settings.IPFIN_AUDIT_CHUNK_SIZE = 3
    before = AuditVerification.objects.count()
    # A broken chain fails the run, as the command says (compared below).
    with contextlib.suppress(CommandError):
        call_command("audit_verify", "--async", "--wait", "60", stdout=StringIO())
    run = JobRun.objects.filter(name="audit_verify").order_by("-pk").first()
    assert run is not None and run.chunks_total >= 4  # cut in chunks indeed
    assert AuditVerification.objects.count() == before + 1  # recorded once, by the last step
    return run, AuditVerification.objects.order_by("-pk")[0]


@pytest.mark.parametrize(
    "tamper",
    ["none", "change_middle", "remove_middle", "remove_chunk_first", "remove_end", "forge_seq_0"],
)
def test_the_chunked_walk_finds_what_the_single_walk_finds(
    bank_a_user: User, settings: Any, tamper: str
) -> None:
    made = [
        audit_record(actor=bank_a_user, action="loan.approve", object_type="x", object_id=i,
                     after={"principal": f"{i}000.00"})
        for i in range(11)
    ]  # fmt: skip
    seqs = {r.pk: r.seq for r in made}
    # seq 1.. are chunked by 3: the record at the start of a chunk is (seq - 1) % 3 == 0.
    chunk_first = next(r for r in made[1:] if (r.seq - 1) % 3 == 0)
    if tamper == "change_middle":
        _tamper("UPDATE audit_auditrecord SET after = %s WHERE id = %s",
                ['{"principal": "1.00"}', made[5].pk])  # fmt: skip
    elif tamper == "remove_middle":
        _tamper("DELETE FROM audit_auditrecord WHERE id = %s", [made[4].pk])
    elif tamper == "remove_chunk_first":
        _tamper("DELETE FROM audit_auditrecord WHERE id = %s", [chunk_first.pk])
    elif tamper == "remove_end":
        _tamper("DELETE FROM audit_auditrecord WHERE id = %s", [made[-1].pk])
    elif tamper == "forge_seq_0":
        # A record slipped in before the first, chained from the genesis (its hash the genesis'
        # too, so that the real first record's link to it would hold): walked, never a start.
        _tamper(
            "INSERT INTO audit_auditrecord (at, actor_username, action, object_type, object_id, "
            "seq, prev_hash, hash) VALUES (%s, 'x', 'forged', 'x', '1', 0, %s, %s)",
            [made[0].at, GENESIS, GENESIS],
        )
    single = audit_verify()
    run, chunked = _chunked(settings)
    assert _outcome(chunked) == _outcome(single)
    assert chunked.intact == (tamper == "none") == (run.state == JobState.DONE)
    assert run.result is not None and run.result["intact"] == chunked.intact
    if tamper != "none":
        assert chunked.broken_seq in set(seqs.values()) | {0}
        assert str(chunked.broken_seq) in run.error
    if tamper == "forge_seq_0":
        assert chunked.broken_seq == 0 and "Sequence number 0 where 1" in chunked.reason_en


def test_records_written_after_the_plan_are_walked_by_the_last_step(bank_a_user: User) -> None:
    for i in range(6):
        audit_record(actor=bank_a_user, action="a", object_type="x", object_id=i)
    last = AuditRecord.objects.order_by("-seq")[0]
    finish = job_spec("audit_verify").finish
    assert finish is not None
    # The chunks walked up to three records before the end (the rest written since the plan).
    counts = {"checked": last.seq - 3, "breaks": [], "walked_to": [last.seq - 3]}
    assert finish({}, counts) == {
        "intact": True, "checked": last.seq, "broken_seq": None, "reason": None,
    }  # fmt: skip
    _tamper(
        "UPDATE audit_auditrecord SET action = %s WHERE id = %s", ["z", last.pk]
    )  # changed in the part no chunk walked
    result = finish({}, counts)
    assert (result["intact"], result["broken_seq"]) == (False, last.seq)
