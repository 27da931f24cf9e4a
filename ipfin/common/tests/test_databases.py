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
