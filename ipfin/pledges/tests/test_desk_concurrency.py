"""Concurrent claims of one case on PostgreSQL: N examiners, each on its own connection, claim the
same application at the same moment; exactly one holds it, every other is refused (409
`case_already_claimed`), and one claim is audited. The claim is a conditional UPDATE (services/
assignment.py): without its `assignee IS NULL` condition every claim would succeed in turn and the
last would win."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection

from ipfin.accounts.models import Organisation, Role, User
from ipfin.audit.models import AuditRecord
from ipfin.common.tests.concurrency import THREADS, run_at_once
from ipfin.pledges.models import Pledge
from ipfin.pledges.services import case_claim


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_of_one_case_exactly_one_wins(
    make_pledge: Callable[..., Pledge],
    make_user: Callable[..., User],
    ip_office: Organisation,
) -> None:
    assert connection.vendor == "postgresql"
    pledge = make_pledge()
    examiner_ids = [
        make_user(f"racing_examiner_{i}", ip_office, Role.EXAMINER).pk for i in range(THREADS)
    ]

    def claim(i: int) -> int:
        actor = User.objects.select_related("organisation").get(pk=examiner_ids[i])
        case = Pledge.objects.get(pk=pledge.pk)
        return int(case_claim(actor=actor, case=case).assignee_id or 0)

    results = run_at_once(claim)
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["conflict"] * (THREADS - 1) + ["ok"], results
    assert {value for kind, value in results if kind == "conflict"} == {"case_already_claimed"}
    winner = next(value for kind, value in results if kind == "ok")
    pledge.refresh_from_db()
    assert pledge.assignee_id == winner and winner in examiner_ids
    assert list(
        AuditRecord.objects.filter(action="pledge.claim").values_list("actor_id", flat=True)
    ) == [winner]
