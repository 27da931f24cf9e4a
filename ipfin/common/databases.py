"""Which database a read goes to. Every write, and every read that must see the caller's own
writes, goes to the primary (`default`); the reports and the public query of the register read
the replica when one is configured (DATABASE_REPLICA_URL, a PostgreSQL streaming replica: a
second or so behind the primary, which those reads can afford), else the primary too."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.conf import settings
from django.db import NotSupportedError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

PRIMARY = "default"
REPLICA = "replica"


def reporting_db() -> str:
    """The alias the reports and the public query read."""
    return REPLICA if REPLICA in settings.DATABASES else PRIMARY


def reporting_connection() -> BaseDatabaseWrapper:
    return connections[reporting_db()]


@contextmanager
def prepared_cursor(db: BaseDatabaseWrapper) -> Iterator[Any]:
    """A cursor on `db` whose statements PostgreSQL keeps prepared on the connection: parsed and
    analysed once, then only bound and run. For a query run on almost every request with other
    values (the pre-check's `register_reads`): its SQL is long (three subqueries), and parsing
    and planning it took as long as running it (0.11 ms of about 0.17 ms on the demo's data).

    Django's own cursors bind values in the client (psycopg's ClientCursor), which never
    prepares; this one binds them on the server (`%s` placeholders as usual, sent as $1, $2, …)
    and asks psycopg to prepare each statement on its first run. It is still Django's cursor
    wrapper: the query is logged and counted, and database errors come as Django's.

    The first time on a connection, outside a transaction, the session is set to plan such
    statements once for any values (`plan_cache_mode = force_generic_plan`): re-planned for each
    call, the read's planning cost as much as running it. It concerns only prepared statements:
    Django's own queries are never prepared. (Set by a statement, not as a startup option,
    which PgBouncer refuses.) Inside a transaction the setting is left for a later call, since
    a rollback would undo it.

    Only where the connection allows prepared statements: `prepare_threshold` set in the
    database's OPTIONS, as settings set it unless IPFIN_DB_PREPARED_STATEMENTS=0 (behind a pooler
    in transaction mode that does not carry prepared statements, such as PgBouncer before 1.21
    or without `max_prepared_statements`). Elsewhere, and on SQLite, Django's usual cursor."""
    raw = _psycopg_connection(db)
    if raw is None or raw.prepare_threshold is None:
        with db.cursor() as cursor:
            yield cursor
        return
    wrapper: Any = db  # Django's PostgreSQL wrapper (its timezone, its cursor wrapping)
    with wrapper.wrap_database_errors:
        if not getattr(raw, _GENERIC_PLANS, False) and wrapper.get_autocommit():
            raw.execute("SET plan_cache_mode = force_generic_plan")
            setattr(raw, _GENERIC_PLANS, True)
        preparing = _preparing_cursor_class()(raw)
        # As Django's create_cursor: the cursor reads timestamps in the connection's time zone.
        from django.db.backends.postgresql.psycopg_any import register_tzloader
        from psycopg.postgres import types
        from psycopg.pq import Format

        loader = raw.adapters.get_loader(types["timestamptz"].oid, Format.TEXT)
        if wrapper.timezone != loader.timezone:
            register_tzloader(wrapper.timezone, preparing)
        cursor = wrapper._prepare_cursor(preparing)
    with cursor:
        yield cursor


# Marks a psycopg connection whose session plans prepared statements generically.
_GENERIC_PLANS = "_ipfin_generic_plans"


def prepared_rows(db: BaseDatabaseWrapper, sql: str, params: Sequence[Any]) -> list[Any]:
    """The rows of `sql` run through `prepared_cursor`. A prepared statement whose result's
    columns changed type under it (a deploy's migration altered a column while this connection
    was kept) fails once with "cached plan must not change result type", and psycopg would run
    it under the same name again: outside a transaction the connection is dropped and the query
    run once more on a new one; inside one, the error stands (the transaction is lost anyway)."""

    def run() -> list[Any]:
        with prepared_cursor(db) as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    try:
        return run()
    except NotSupportedError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != _PLAN_CHANGED or db.in_atomic_block:
            raise
    db.close()
    return run()


_PLAN_CHANGED = "0A000"  # feature_not_supported: "cached plan must not change result type"


@cache
def _preparing_cursor_class() -> type:
    """Django's server-binding psycopg cursor, preparing every statement it runs."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            kwargs.setdefault("prepare", True)
            return super().execute(query, params, **kwargs)  # type: ignore[misc]

    return PreparingCursor


def _psycopg_connection(db: BaseDatabaseWrapper) -> Any:
    """`db`'s open psycopg 3 connection, or None (another database or driver)."""
    if db.vendor != "postgresql":
        return None
    db.close_if_health_check_failed()
    db.ensure_connection()
    raw = db.connection
    return raw if hasattr(raw, "prepare_threshold") else None
