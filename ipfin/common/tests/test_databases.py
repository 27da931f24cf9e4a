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
