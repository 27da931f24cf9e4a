"""The reports and the public query read the replica when one is configured, the primary
otherwise; writes never go there."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from ipfin.common.databases import PRIMARY, REPLICA, reporting_db
from ipfin.registry.selectors import rights_search


def test_without_a_replica_everything_reads_the_primary() -> None:
    assert reporting_db() == PRIMARY
    assert rights_search(q="发动机", using=reporting_db()).db == PRIMARY


# Only the settings are read here: no connection to the replica is opened.
@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_with_a_replica_the_public_query_reads_it(settings: Any) -> None:
    databases = {**settings.DATABASES, REPLICA: dict(settings.DATABASES[PRIMARY])}
    with override_settings(DATABASES=databases):
        assert reporting_db() == REPLICA
        # The query is built for the replica (not run: this test has no such connection).
        assert rights_search(q="发动机", kind="invention", using=reporting_db()).db == REPLICA
        # The office's own search reads the primary: what it has just recorded is there.
        assert rights_search(q="发动机").db == PRIMARY


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
@pytest.mark.django_db(transaction=True)
def test_the_public_query_reads_every_row_of_its_answer_from_the_replica(
    settings: Any, right: Any, examiner: Any
) -> None:
    """A replica alias on a real second connection (to the same database, standing in for a
    streaming replica): the public query's rights, owners and the events behind their status are
    all read there, none from the primary, so one answer never mixes a replica a second behind
    with a primary ahead of it."""
    from datetime import timedelta

    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ipfin.registry.services import right_event_record

    right_event_record(
        actor=examiner, right=right, type="preservation", date=right.grant_date + timedelta(1)
    )
    # The replica's connection made here, not from the settings the test run began with: the
    # reads are what is checked, the alias only has to answer (settings.DATABASES names it for
    # reporting_db()).
    connections[REPLICA] = type(connections[PRIMARY])(
        dict(connections[PRIMARY].settings_dict), REPLICA
    )
    settings.DATABASES = {**settings.DATABASES, REPLICA: dict(settings.DATABASES[PRIMARY])}
    try:
        with (
            CaptureQueriesContext(connections[PRIMARY]) as primary,
            CaptureQueriesContext(connections[REPLICA]) as replica,
        ):
            answer = Client().get("/api/v1/rights", {"q": right.number})
        assert answer.status_code == 200
        (item,) = answer.json()["items"]
        assert item["status"]["preserved"] is True  # the event, read from the replica
        tables = " ".join(q["sql"] for q in replica.captured_queries)
        assert all(
            t in tables for t in ("registry_right", "registry_rightowner", "registry_rightevent")
        )
        assert not [q for q in primary.captured_queries if "registry_" in q["sql"]]
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]


# --- statements kept prepared (prepared_cursor) -------------------------------------------------

_PREPARED = (
    "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = %s"
)


def _server_form(sql: str) -> str:
    """`sql` as the server stores it once bound: %s placeholders numbered $1, $2, …"""
    first, *rest = sql.split("%s")
    return first + "".join(f"${i}{part}" for i, part in enumerate(rest, start=1))


@pytest.mark.django_db(transaction=True)  # outside a transaction, as a request reads
def test_on_postgresql_the_pre_checks_read_is_prepared_once_and_planned_once(
    right: Any,
) -> None:
    """register_reads runs through prepared_cursor: on PostgreSQL its statement is prepared on
    the connection at its first run and then only executed, on one generic plan (none made per
    call); the answer is the one Django's usual cursor gives, and the query is still counted."""
    from datetime import date

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ipfin.common.databases import prepared_cursor
    from ipfin.pledges.selectors import _reads_sql, register_reads

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    on = date(2026, 1, 5)
    sql = _reads_sql("postgresql", "number", 0)
    params = [on, on, on, 0, [right.number]]
    with connection.cursor() as plain:
        plain.execute(sql, params)
        expected = plain.fetchall()

    def plans() -> tuple[int, int]:
        """(generic, custom) plans of the statement on this connection so far (an earlier test
        on the same connection may have prepared it already)."""
        with connection.cursor() as cursor:
            cursor.execute(_PREPARED, [_server_form(sql)])
            found = cursor.fetchall()
        assert len(found) <= 1, found
        return (found[0][1], found[0][2]) if found else (0, 0)

    generic_before, custom_before = plans()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            with prepared_cursor(connection) as cursor:
                cursor.execute(sql, params)
                assert cursor.fetchall() == expected
        reads = register_reads(on=on, numbers=[right.number])
    assert len(queries) == 4
    assert [r.pk for r in reads.rights] == [right.pk]
    assert plans() == (generic_before + 4, custom_before)
    assert custom_before == 0


@pytest.mark.django_db
def test_without_prepared_statements_the_read_is_neither_prepared_nor_different(
    right: Any,
) -> None:
    """IPFIN_DB_PREPARED_STATEMENTS=0 (prepare_threshold None, Django's default, for a pooler
    that does not carry them): prepared_cursor is Django's usual cursor, nothing is prepared."""
    from datetime import date

    from django.db import connection

    from ipfin.common.databases import prepared_cursor
    from ipfin.pledges.selectors import _reads_sql, register_reads

    if connection.vendor != "postgresql":
        with prepared_cursor(connection) as cursor:  # SQLite: Django's cursor, as ever
            cursor.execute("SELECT 1")
            assert cursor.fetchall() == [(1,)]
        return
    sql = _server_form(_reads_sql("postgresql", "number", 0))

    def prepared_runs() -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(_PREPARED, [sql])
            return cursor.fetchall()

    connection.ensure_connection()
    raw = connection.connection
    kept = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        before = prepared_runs()  # an earlier test on this connection may have prepared it
        for _ in range(3):
            reads = register_reads(on=date(2026, 1, 5), numbers=[right.number])
            assert [r.pk for r in reads.rights] == [right.pk]
        assert prepared_runs() == before
    finally:
        raw.prepare_threshold = kept


@pytest.mark.django_db(transaction=True)
def test_a_column_altered_under_a_kept_connection_does_not_break_the_pre_checks_read(
    right: Any,
) -> None:
    """A deploy's migration changes a column's type (a longer title) from another connection
    while the servers keep theirs: the read prepared before fails once on PostgreSQL ("cached
    plan must not change result type") and would fail on every call after, psycopg running the
    statement under the same name; register_reads answers on a new connection instead."""
    from datetime import date

    import psycopg
    from django.db import connection

    from ipfin.pledges.selectors import register_reads

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    on = date(2026, 1, 5)
    for _ in range(2):  # prepared on this connection
        assert [r.pk for r in register_reads(on=on, numbers=[right.number]).rights] == [right.pk]
    kept = connection.connection
    settings_dict = connection.settings_dict
    other = psycopg.connect(
        dbname=settings_dict["NAME"], host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None, user=settings_dict["USER"] or None, autocommit=True,
    )  # fmt: skip
    try:
        other.execute("ALTER TABLE registry_right ALTER COLUMN title TYPE varchar(600)")
        for _ in range(2):
            reads = register_reads(on=on, numbers=[right.number])
            assert [r.pk for r in reads.rights] == [right.pk]
        assert connection.connection is not kept  # the kept one was dropped, once
    finally:
        other.execute("ALTER TABLE registry_right ALTER COLUMN title TYPE varchar(500)")
        other.close()
