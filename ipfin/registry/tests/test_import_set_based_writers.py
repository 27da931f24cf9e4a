"""The import's set-based merge beside other writers and inside a caller's transaction, as the
row-by-row merge behaves (each test runs both): rights locked in id order, a right another import
adds meanwhile never merged unlocked, a batch the database refuses failing alone, and the caller's
transaction and settings left as they were."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import F

from ipfin.common.tests.concurrency import all_at_once
from ipfin.registry.domain import RightKind
from ipfin.registry.import_mapping import Format, RightRecord
from ipfin.registry.importers import FileResult, write_records
from ipfin.registry.models import Right

pytestmark = pytest.mark.postgres_only

_FILED = date(2015, 1, 1)


def _record(row: int, number: str, title: str = "新名称") -> RightRecord:
    return RightRecord(
        row=row, number=number, kind=RightKind.INVENTION, title=title, filing_date=_FILED
    )


def _result() -> FileResult:
    return FileResult(source="x/x.csv", path=Path("x.csv"), format=Format.CNIPR)


def _session() -> psycopg.Connection[Any]:
    """A connection of its own, outside Django's (a rival writer holding locks)."""
    settings = connection.settings_dict
    return psycopg.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"],
        port=settings["PORT"] or 5432, password=settings["PASSWORD"] or None,
    )  # fmt: skip


def _started(work: Callable[[], None]) -> tuple[threading.Thread, list[Any]]:
    """`work` started in a thread of its own, on a connection of its own (closed after), not
    waited for; what it raises is kept in the list. (Waited for: `all_at_once(1, ...)`.)"""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def _until_someone_waits_for_a_lock() -> None:
    with _session() as watcher:
        watcher.autocommit = True
        for _ in range(200):
            (waiting,) = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            ).fetchone() or (0,)
            if waiting:
                return
            time.sleep(0.05)
    raise AssertionError("the import never waited for the lock held")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("set_based", [False, True])
def test_an_import_locks_the_rights_it_names_in_id_order(set_based: bool) -> None:
    """The file names B before A (A the lower id); another writer holds A. While the import
    waits for A it holds nothing else: B is free, so a writer locking A then B (as a pledge does,
    in id order) is never a deadlock's victim. The set-based merge had locked in the file's
    order inside its look-up, and held B while it waited for A."""
    a = Right.objects.create(number="A1", kind="invention", title="t", filing_date=_FILED)
    b = Right.objects.create(number="B1", kind="invention", title="t", filing_date=_FILED)
    assert a.pk < b.pk
    with _session() as holder:
        holder.execute("SELECT id FROM registry_right WHERE id = %s FOR UPDATE", [a.pk])
        importing, errors = _started(
            lambda: write_records(
                _result(), [_record(2, "B1"), _record(3, "A1")], set_based=set_based
            )
        )
        _until_someone_waits_for_a_lock()
        with _session() as probe:
            probe.execute("SELECT id FROM registry_right WHERE id = %s FOR UPDATE NOWAIT", [b.pk])
        holder.rollback()
    importing.join(30)
    assert not errors, errors
    assert set(Right.objects.values_list("title", flat=True)) == {"新名称"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("set_based", [False, True])
def test_a_right_another_import_adds_meanwhile_is_merged_only_once_locked(set_based: bool) -> None:
    """Another import adds N1 just after this batch has locked the rights it found, and an edit of
    N1's abstract commits before this batch writes. The batch's insert of N1 fails on the unique
    number, the batch runs again, locks N1 and merges into the edited right: the abstract stays.
    The set-based merge had merged N1 unlocked, from before the edit, and written the old
    abstract back."""
    state = {"added": False, "edited": False}

    def add() -> None:
        Right.objects.create(number="N1", kind="invention", title="另一导入", filing_date=_FILED)

    def edit() -> None:
        Right.objects.filter(number="N1").update(abstract="已更正", version=F("version") + 1)

    def meanwhile(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if state["added"] and not state["edited"] and sql.startswith("UPDATE registry_right"):
            state["edited"] = True
            all_at_once(1, lambda _i: edit())
        out = execute(sql, params, many, context)
        if not state["added"] and "FOR UPDATE" in sql:
            state["added"] = True
            all_at_once(1, lambda _i: add())
            if not set_based:  # the row-by-row merge writes right after its look-up
                state["edited"] = True
                all_at_once(1, lambda _i: edit())
        return out

    def run() -> None:
        with connection.execute_wrapper(meanwhile):
            write_records(_result(), [_record(2, "N1")], set_based=set_based)

    all_at_once(1, lambda _i: run())
    assert state == {"added": True, "edited": True}
    right = Right.objects.get(number="N1")
    assert (right.title, right.abstract) == ("新名称", "已更正")


@pytest.mark.django_db
@pytest.mark.parametrize("set_based", [False, True])
def test_a_batch_the_database_refuses_fails_alone_in_the_callers_transaction(
    set_based: bool,
) -> None:
    """A record the database refuses (a title over the column's 500 characters, given directly:
    the file check refuses it first) fails its own batch; the batch before it stays, and the
    caller's transaction goes on, its settings as they were. The set-based merge had staged the
    whole file at once, outside any savepoint: nothing was written, the caller's transaction was
    aborted, and the merge's `jit = off` stayed set in it."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        (jit,) = cursor.fetchone()
        result = _result()
        with pytest.raises(DatabaseError):
            write_records(
                result, [_record(2, "OK1"), _record(3, "BAD", "长" * 501)], batch_size=1,
                set_based=set_based,
            )  # fmt: skip
        assert (result.created, Right.objects.filter(number="OK1").count()) == (1, 1)
        write_records(_result(), [_record(2, "OK2")], set_based=set_based)
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == (jit,)
        cursor.execute(
            "SELECT count(*) FROM pg_class WHERE relname LIKE 'ipfin_import_%%' "
            "AND relpersistence = 't' AND pg_table_is_visible(oid)"
        )
        assert cursor.fetchone() == (0,)  # the staging tables are gone
