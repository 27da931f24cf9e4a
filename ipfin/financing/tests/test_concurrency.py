"""The demand library under truly concurrent requests (PostgreSQL only: SQLite's single writer
serialises them anyway)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection

from ipfin.accounts.models import User
from ipfin.common.tests.concurrency import while_held_open
from ipfin.financing import services
from ipfin.financing.models import Demand, DemandResponse, ProductVersion


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_answer_during_the_withdrawal_waits_for_it_and_is_refused(
    file_demand: Callable[..., Demand],
    enterprise_a_user: User,
    bank_a_user: User,
    bank_a_loan: ProductVersion,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bank answers while the enterprise's withdrawal is committing (its transaction held
    open at its audit record): the answer waits for it and is refused (409, the demand no
    longer open). It had read the demand unlocked, still open, and recorded the answer on a
    withdrawn demand."""
    assert connection.vendor == "postgresql"
    demand = file_demand()
    (row,) = services.demand_push(actor=enterprise_a_user, demand=demand)
    enterprise_id, bank_id = enterprise_a_user.pk, bank_a_user.pk

    def withdraw() -> None:
        actor = User.objects.select_related("organisation").get(pk=enterprise_id)
        services.demand_withdraw(actor=actor, demand=Demand.objects.get(pk=demand.pk))

    def answer() -> None:
        actor = User.objects.select_related("organisation").get(pk=bank_id)
        services.demand_respond(actor=actor, response_id=row.pk, response="interested")

    withdrawn, answered = while_held_open(
        monkeypatch, services, "demand.withdraw", withdraw, answer
    )
    assert withdrawn[0] == "ok"
    assert answered[0] != "ok", answered
    assert DemandResponse.objects.get(pk=row.pk).response == ""
    assert Demand.objects.get(pk=demand.pk).state == "withdrawn"
