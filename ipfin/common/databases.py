"""Which database a read goes to. Every write, and every read that must see the caller's own
writes, goes to the primary (`default`); the reports and the public query of the register read
the replica when one is configured (DATABASE_REPLICA_URL, a PostgreSQL streaming replica: a
second or so behind the primary, which those reads can afford), else the primary too."""

from __future__ import annotations

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
