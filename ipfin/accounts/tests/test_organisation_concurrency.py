"""Organisations registered at the same moment with one credit code (PostgreSQL only: SQLite's
single writer serialises them anyway)."""

from __future__ import annotations

import pytest
from django.db import connection

from ipfin.accounts.domain import make_uscc
from ipfin.accounts.models import Organisation, User
from ipfin.accounts.services import organisation_create
from ipfin.common.tests.concurrency import THREADS, run_at_once


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_one_credit_code_registered_at_once_makes_one_organisation_the_rest_409(
    examiner: User,
) -> None:
    """Eight registrations of one code at once: one organisation; the others 409 `uscc_taken`,
    as one after the other is. Each had looked for the code before any insert was committed,
    and the unique index then refused all but one with a 500."""
    assert connection.vendor == "postgresql"
    code = make_uscc(seq=9191)
    examiner_id = examiner.pk

    def register(i: int) -> int:
        actor = User.objects.select_related("organisation").get(pk=examiner_id)
        made = organisation_create(actor=actor, kind="enterprise", name=f"并发企业{i}", uscc=code)
        return made.pk

    results = run_at_once(register)
    assert sorted(kind for kind, _ in results) == ["conflict"] * (THREADS - 1) + ["ok"], results
    assert {code for kind, code in results if kind == "conflict"} == {"uscc_taken"}
    assert Organisation.objects.filter(uscc=code).count() == 1
