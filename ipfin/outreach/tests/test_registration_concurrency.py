"""Registrations under truly concurrent requests: eight organisations register at the same moment
for an event with three places, each thread with its own database connection. The event's row
lock (`select_for_update` in `event_register`) counts them one at a time: three are taken, five
are refused `event_full`, never a fourth place. And two picks of experts at once take turns: the
second sees the first's record and picks the others.

PostgreSQL only (the `postgres_only` hook in conftest.py skips these on SQLite, whose single
writer serialises the transactions anyway); the same refusals one at a time are in
test_services.py and test_expert_pick.py."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.common.tests.concurrency import THREADS, all_at_once, run_at_once
from ipfin.outreach.models import Event, EventRegistration, Expert, ExpertPick
from ipfin.outreach.services import event_register, expert_pick
from ipfin.outreach.tests.conftest import NOW

CAPACITY = 3


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_never_pass_the_capacity(
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    make_event: Callable[..., Event],
) -> None:
    assert connection.vendor == "postgresql"
    event = make_event(capacity=CAPACITY)
    users = [
        make_user(f"firm{i}", make_org(OrganisationKind.ENTERPRISE, f"企业{i}"))
        for i in range(THREADS)
    ]
    ready = threading.Barrier(THREADS)

    def register(i: int) -> int:
        # Each thread loads its user and the event first, then all register together: the
        # registrations overlap, not the connections' set-up.
        actor = User.objects.select_related("organisation").get(pk=users[i].pk)
        target = Event.objects.get(pk=event.pk)
        ready.wait(timeout=30)
        row = event_register(
            actor=actor, event=target, attendee_name="参会人", phone="13800138000", now=NOW
        )
        return row.pk

    results = run_at_once(register)
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["conflict"] * (THREADS - CAPACITY) + ["ok"] * CAPACITY, results
    assert {code for kind, code in results if kind == "conflict"} == {"event_full"}
    assert EventRegistration.objects.filter(event=event).count() == CAPACITY


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_picks_at_once_take_different_experts(
    office_user: User, make_expert: Callable[..., Expert]
) -> None:
    assert connection.vendor == "postgresql"
    for i in range(4):
        make_expert(f"专家{i}", ["G06F"])

    def pick(i: int) -> list[int]:
        actor = User.objects.select_related("organisation").get(pk=office_user.pk)
        picked = expert_pick(actor=actor, field="G06F", count=2, now=NOW + timedelta(seconds=i))
        return [x.pk for x in picked]

    first, second = all_at_once(2, pick)
    assert not set(first) & set(second), (first, second)
    assert ExpertPick.objects.count() == 4
    assert set(Expert.objects.values_list("pick_count", flat=True)) == {1}
