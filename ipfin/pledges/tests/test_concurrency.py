"""Never two active pledges or pending applications on one right, also under truly concurrent
requests: N threads, each with its own database connection, file at the same moment.

PostgreSQL only (the `postgres_only` hook in conftest.py skips these on SQLite, whose single writer
serialises the transactions anyway); the database constraint itself is tested on both back ends in
test_services.py (test_database_alone_rejects_a_second_active_item).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection

from ipfin.accounts.models import Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.tests.concurrency import THREADS, run_at_once
from ipfin.pledges.models import Pledge, PledgeChange, PledgeItem
from ipfin.pledges.samples import other_party_confirms
from ipfin.pledges.services import pledge_change, pledge_confirm, pledge_decide, pledge_submit
from ipfin.registry.models import Right


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_applications_for_one_right_exactly_one_wins(
    make_right: Callable[..., Right],
    bank_a_user: User,
    bank_b_user: User,
    enterprise_a: Organisation,
    today: date,
) -> None:
    assert connection.vendor == "postgresql"
    contested, second = make_right(), make_right()
    user_ids = [bank_a_user.pk, bank_b_user.pk]

    def submit(i: int) -> int:
        actor = User.objects.select_related("organisation").get(pk=user_ids[i % 2])
        # Half ask for (contested, second), half for (second, contested): the locks are taken in
        # id order, so overlapping applications queue up instead of deadlocking.
        numbers = [contested.number, second.number]
        pledge, _ = pledge_submit(
            actor=actor,
            pledgor_uscc=enterprise_a.uscc or "",
            rights=numbers if i % 2 else numbers[::-1],
            debt_amount="1000000.00",
            term_start=today,
            term_end=today + timedelta(days=365),
            contract_no=f"RACE-{i}",
        )
        return pledge.pk

    results = run_at_once(submit)
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["conflict"] * (THREADS - 1) + ["ok"], results
    assert {value for kind, value in results if kind == "conflict"} == {"right_already_pledged"}
    winner = next(value for kind, value in results if kind == "ok")
    assert Pledge.objects.count() == 1
    assert list(
        PledgeItem.objects.filter(right=contested, active=True).values_list("pledge_id", flat=True)
    ) == [winner]
    assert PledgeItem.objects.filter(active=True).count() == 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_get_distinct_registration_numbers(
    make_right: Callable[..., Right],
    bank_a_user: User,
    examiner: User,
    enterprise_a: Organisation,
    enterprise_a_user: User,
    today: date,
    upload_contract: Callable[..., Any],
) -> None:
    pledge_ids = [
        pledge_submit(
            actor=bank_a_user,
            pledgor_uscc=enterprise_a.uscc or "",
            rights=[make_right().number],
            debt_amount="10.00",
            term_start=today,
            term_end=today + timedelta(days=30),
            contract_no=f"C-{i}",
        )[0].pk
        for i in range(THREADS)
    ]
    for pledge_id in pledge_ids:
        # A joint application: the pledgor confirms before the examiner may decide (办法 art. 3).
        other_party_confirms(Pledge.objects.get(pk=pledge_id), user=enterprise_a_user)
        upload_contract(Pledge.objects.get(pk=pledge_id))

    def approve(i: int) -> str:
        actor = User.objects.select_related("organisation").get(pk=examiner.pk)
        pledge = Pledge.objects.get(pk=pledge_ids[i])
        return pledge_decide(actor=actor, pledge=pledge, decision="approve").registration_no or ""

    results = run_at_once(approve)
    assert all(kind == "ok" for kind, _ in results), results
    numbers = sorted(value for _, value in results)
    assert numbers == [f"Y{today.year}{seq:09d}" for seq in range(1, THREADS + 1)]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_confirm_once_banfa_art3(
    make_right: Callable[..., Right],
    bank_a_user: User,
    enterprise_a: Organisation,
    enterprise_a_user: User,
    today: date,
) -> None:
    """The pledgor's users press "confirm" at the same moment: one confirmation, one audit record,
    the others a 409; the examiner's deadline is set once."""
    pledge, _ = pledge_submit(
        actor=bank_a_user,
        pledgor_uscc=enterprise_a.uscc or "",
        rights=[make_right().number],
        debt_amount="10.00",
        term_start=today,
        term_end=today + timedelta(days=30),
        contract_no="C-CONFIRM",
    )

    def confirm(i: int) -> str:
        actor = User.objects.select_related("organisation").get(pk=enterprise_a_user.pk)
        return pledge_confirm(actor=actor, pledge=Pledge.objects.get(pk=pledge.pk)).state

    results = run_at_once(confirm)
    assert sorted(kind for kind, _ in results) == ["conflict"] * (THREADS - 1) + ["ok"], results
    assert AuditRecord.objects.filter(action="pledge.confirm").count() == 1
    assert Pledge.objects.get(pk=pledge.pk).state == "submitted"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_change_applications_one_open_at_a_time_banfa_art3(
    make_right: Callable[..., Right],
    bank_a_user: User,
    enterprise_a: Organisation,
    enterprise_a_user: User,
    examiner: User,
    today: date,
    upload_contract: Callable[..., Any],
) -> None:
    pledge, _ = pledge_submit(
        actor=bank_a_user,
        pledgor_uscc=enterprise_a.uscc or "",
        rights=[make_right().number],
        debt_amount="10.00",
        term_start=today,
        term_end=today + timedelta(days=30),
        contract_no="C-CHANGE",
    )
    other_party_confirms(pledge, user=enterprise_a_user)
    upload_contract(pledge)
    pledge_decide(actor=examiner, pledge=pledge, decision="approve")
    user_ids = [bank_a_user.pk, enterprise_a_user.pk]

    def change(i: int) -> int:
        actor = User.objects.select_related("organisation").get(pk=user_ids[i % 2])
        return pledge_change(
            actor=actor, pledge=Pledge.objects.get(pk=pledge.pk), scope=f"范围 {i}", reason="x"
        ).pk

    results = run_at_once(change)
    assert sorted(kind for kind, _ in results) == ["conflict"] * (THREADS - 1) + ["ok"], results
    assert {value for kind, value in results if kind == "conflict"} == {"change_pending"}
    assert PledgeChange.objects.filter(pledge_id=pledge.pk).count() == 1
