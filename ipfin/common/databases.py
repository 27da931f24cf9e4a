"""Which database a read goes to. Every write, and every read that must see the caller's own
writes, goes to the primary (`default`); the reports and the public query of the register read
the replica when one is configured (DATABASE_REPLICA_URL, a PostgreSQL streaming replica: a
second or so behind the primary, which those reads can afford), else the primary too."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connections
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

    Only where the connection allows prepared statements: `prepare_threshold` set in the
    database's OPTIONS, as settings set it unless IPFIN_DB_PREPARED_STATEMENTS=0 (behind a pooler
    in transaction mode that does not carry prepared statements, such as PgBouncer before 1.21).
    Elsewhere, and on SQLite, Django's usual cursor."""
    raw = _psycopg_connection(db)
    if raw is None or raw.prepare_threshold is None:
        with db.cursor() as cursor:
            yield cursor
        return
    wrapper: Any = db  # Django's PostgreSQL wrapper (its timezone, its cursor wrapping)
    with wrapper.wrap_database_errors:
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
