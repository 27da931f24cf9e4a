"""The audit trail as a hash chain: each record hashes the previous record's hash and its own
canonical JSON; `ipfin audit_verify` names the first record changed, removed or inserted."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from ipfin.accounts.models import User
from ipfin.audit.domain import GENESIS, ChainLink, canonical_json, chain_hash, first_break
from ipfin.audit.models import AuditChainHead, AuditRecord, AuditVerification
from ipfin.audit.services import audit_record, audit_verify

AT = datetime(2026, 12, 3, 8, 30, 1, 123456, tzinfo=UTC)
FIELDS: dict[str, Any] = {
    "at": AT,
    "actor_id": 7,
    "actor_username": "bank_a",
    "organisation_id": 3,
    "action": "pledge.submit",
    "object_type": "pledges.pledge",
    "object_id": "12",
    "before": None,
    "after": {"debt": "5000000.00", "rights": ["2021100000001.X"], "n": 2},
}

# --- the pure rules ------------------------------------------------------------------------------


def test_canonical_json_sorts_keys_and_writes_numbers_as_their_digits() -> None:
    text = canonical_json({**FIELDS, "after": {"b": 1e16, "a": 2.50, "c": True}})
    assert text.index('"action"') < text.index('"actor_id"') < text.index('"after"')
    assert '"after":{"a":"2.5","b":"10000000000000000","c":true}' in text
    assert '"at":"2026-12-03T08:30:01.123456+00:00"' in text
    # The same record as PostgreSQL's jsonb may return it (an int for 1e16, keys reordered).
    again = canonical_json({**FIELDS, "after": {"c": True, "b": 10**16, "a": Decimal("2.500")}})
    assert again == text


def test_chain_hash_is_sha256_of_the_previous_hash_and_the_canonical_json() -> None:
    import hashlib

    expected = hashlib.sha256((GENESIS + canonical_json(FIELDS)).encode()).hexdigest()
    assert chain_hash(GENESIS, FIELDS) == expected


@given(
    field=st.sampled_from(sorted(set(FIELDS) - {"at"})),
    value=st.one_of(st.text(max_size=20), st.integers(), st.none()),
)
def test_changing_any_field_changes_the_hash(field: str, value: Any) -> None:
    changed = {**FIELDS, field: value}
    if changed[field] == FIELDS[field] or (
        str(changed[field]) == str(FIELDS[field]) and field.endswith("_id")
    ):
        return
    assert chain_hash(GENESIS, changed) != chain_hash(GENESIS, FIELDS)


@given(st.integers(min_value=1, max_value=10**6))
def test_changing_the_time_by_a_microsecond_changes_the_hash(us: int) -> None:
    moved = {**FIELDS, "at": AT + timedelta(microseconds=us)}
    assert chain_hash(GENESIS, moved) != chain_hash(GENESIS, FIELDS)


def _links(n: int) -> list[ChainLink]:
    links, previous = [], GENESIS
    for i in range(1, n + 1):
        fields = {**FIELDS, "object_id": str(i)}
        digest = chain_hash(previous, fields)
        links.append(ChainLink(i, 100 + i, previous, digest, fields))
        previous = digest
    return links


def test_first_break_names_a_changed_a_removed_and_an_inserted_record() -> None:
    links = _links(5)
    assert first_break(links) == (5, None)
    changed = [*links[:2], ChainLink(3, 103, links[2].prev_hash, links[2].hash, FIELDS), *links[3:]]
    checked, broken = first_break(changed)
    assert (checked, broken and broken.record_id, broken and broken.reason_en) == (
        3, 103, "The record's content does not match its hash: the record was changed.",
    )  # fmt: skip
    _, removed = first_break([*links[:2], *links[3:]])
    assert removed is not None and (removed.seq, removed.record_id) == (4, 104)
    relinked = ChainLink(3, 999, links[1].hash, chain_hash(links[1].hash, FIELDS), FIELDS)
    _, inserted = first_break([*links[:2], relinked, *links[3:]])
    assert inserted is not None and inserted.record_id == 104  # its previous hash is not 999's


@given(
    n=st.integers(3, 12),
    split=st.integers(1, 11),
    tamper=st.sampled_from(["none", "change", "remove"]),
    at=st.integers(1, 12),
)
def test_a_walk_from_the_middle_finds_what_the_whole_walk_finds_after_the_split(
    n: int, split: int, tamper: str, at: int
) -> None:
    """The chunked verification's rule (ipfin.jobs.jobs): a walk starting after the link before
    the split, with that link's hash and seq, checks every later link as the whole walk does."""
    links = _links(n)
    at = min(at, n)
    if tamper == "change":
        old = links[at - 1]
        links[at - 1] = ChainLink(old.seq, old.record_id, old.prev_hash, old.hash, FIELDS)
    elif tamper == "remove":
        del links[at - 1]
    split = min(split, len(links) - 1)
    head, tail = links[:split], links[split:]
    _, whole = first_break(links)
    _, first = first_break(head)
    _, second = first_break(tail, previous=head[-1].hash, expected_seq=head[-1].seq + 1)
    found = [b for b in (first, second) if b is not None]
    assert (min(found, key=lambda b: b.seq) if found else None) == whole


# --- the stored chain ----------------------------------------------------------------------------


pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_records_are_chained_in_order_and_the_walk_finds_the_chain_intact(
    bank_a_user: User,
) -> None:
    for i in range(5):
        audit_record(actor=bank_a_user, action="thing.change", object_type="x", object_id=i,
                     after={"amount": Decimal("12.30"), "on": AT.date()})  # fmt: skip
    records = list(AuditRecord.objects.order_by("seq"))
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(records))
    head = AuditChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (records[-1].seq, records[-1].hash)
    assert records[-1].after == {"amount": "12.30", "on": "2026-12-03"}
    result = audit_verify()
    assert (result.intact, result.checked) == (True, len(records))
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert '"intact": true' in out.getvalue()


def _tamper(sql: str, params: list[Any]) -> None:
    """Change the audit table by hand, as someone with database access would (on PostgreSQL the
    trigger refuses it; a superuser can switch triggers off for the session)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")


@pytestmark_db
def test_a_record_changed_in_the_database_is_found_and_named(bank_a_user: User) -> None:
    made = [
        audit_record(actor=bank_a_user, action="loan.approve", object_type="x", object_id=i,
                     after={"principal": "1000000.00"})
        for i in range(4)
    ]  # fmt: skip
    _tamper(
        "UPDATE audit_auditrecord SET after = %s WHERE id = %s",
        ['{"principal": "9000000.00"}', made[2].pk],
    )
    result = audit_verify()
    assert (result.intact, result.broken_record_id, result.broken_seq) == (
        False, made[2].pk, made[2].seq,
    )  # fmt: skip
    assert "changed" in result.reason_en
    with pytest.raises(CommandError, match=f"record #{made[2].pk}"):
        call_command("audit_verify", stdout=StringIO())
    assert AuditVerification.objects.filter(intact=False).count() == 2


@pytestmark_db
def test_a_record_removed_in_the_middle_or_at_the_end_is_found(bank_a_user: User) -> None:
    made = [
        audit_record(actor=bank_a_user, action="a", object_type="x", object_id=i) for i in range(4)
    ]
    _tamper("DELETE FROM audit_auditrecord WHERE id = %s", [made[-1].pk])
    tail = audit_verify()
    assert not tail.intact and "end" in tail.reason_en
    _tamper("DELETE FROM audit_auditrecord WHERE id = %s", [made[1].pk])
    middle = audit_verify()
    assert (middle.intact, middle.broken_record_id) == (False, made[2].pk)


@pytestmark_db
def test_a_rolled_back_write_leaves_no_record_and_no_gap(bank_a_user: User) -> None:
    audit_record(actor=bank_a_user, action="a", object_type="x", object_id=1)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=bank_a_user, action="b", object_type="x", object_id=2)
        raise RuntimeError("the service failed after auditing")
    audit_record(actor=bank_a_user, action="c", object_type="x", object_id=3)
    assert list(AuditRecord.objects.order_by("seq").values_list("action", flat=True))[-2:] == [
        "a", "c",
    ]  # fmt: skip
    assert audit_verify().intact


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_postgresql_refuses_update_and_delete_of_a_record(bank_a_user: User) -> None:
    record = audit_record(actor=bank_a_user, action="a", object_type="x", object_id=1)
    for sql in (
        "UPDATE audit_auditrecord SET action = 'b' WHERE id = %s",
        "DELETE FROM audit_auditrecord WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="cannot be changed or deleted"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [record.pk])
    assert AuditRecord.objects.get(pk=record.pk).action == "a"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_32_concurrent_writers_never_fork_the_chain(bank_a_user: User) -> None:
    writers, barrier, errors = 32, threading.Barrier(32), []
    before = AuditRecord.objects.count()

    def write(i: int) -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                audit_record(actor=None, action="race", object_type="x", object_id=i)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = list(AuditRecord.objects.order_by("seq").values_list("seq", flat=True))
    assert len(seqs) == before + writers and seqs == list(range(1, len(seqs) + 1))
    assert AuditRecord.objects.filter(action="race").count() == writers
    assert audit_verify().intact


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_write_committed_while_the_head_is_compared_is_no_tampering() -> None:
    """Audited writes go on (another request, every few milliseconds) while the outcome of a
    walk is recorded: the head and the last record are read as one, so an intact chain is never
    recorded as cut short (read apart, a record committed between them did so, about one time
    in ten here)."""
    from ipfin.audit.services import audit_verify_record

    audit_record(actor=None, action="seed", object_type="x", object_id=0)
    stop, errors = threading.Event(), []

    def write() -> None:
        try:
            for i in itertools.count(1):
                if stop.is_set():
                    break
                with transaction.atomic():
                    audit_record(actor=None, action="busy", object_type="x", object_id=i)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        outcomes = [audit_verify_record(0, None).intact for _ in range(300)]
    finally:
        stop.set()
        writer.join()
    assert errors == []
    assert AuditRecord.objects.filter(action="busy").count() > 50  # the writes did go on
    assert all(outcomes), f"{outcomes.count(False)} of 300 recorded as cut short"
