"""The demand library under truly concurrent requests (PostgreSQL only: SQLite's single writer
serialises them anyway)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from ipfin.accounts.models import User
from ipfin.common.errors import Conflict
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
    withdrawing, go_on = threading.Event(), threading.Event()
    audit = services.audit_record

    def audit_then_hold(**kw: Any) -> Any:
        record = audit(**kw)
        if kw.get("action") == "demand.withdraw":
            withdrawing.set()
            go_on.wait(10)  # the withdrawal's transaction stays open here
        return record

    monkeypatch.setattr(services, "audit_record", audit_then_hold)
    outcome: dict[str, Any] = {}
    enterprise_id, bank_id = enterprise_a_user.pk, bank_a_user.pk

    def withdraw() -> None:
        try:
            actor = User.objects.select_related("organisation").get(pk=enterprise_id)
            services.demand_withdraw(actor=actor, demand=Demand.objects.get(pk=demand.pk))
        finally:
            connection.close()

    def answer() -> None:
        try:
            actor = User.objects.select_related("organisation").get(pk=bank_id)
            services.demand_respond(actor=actor, response_id=row.pk, response="interested")
            outcome["answer"] = "recorded"
        except Conflict as exc:
            outcome["answer"] = exc.code
        finally:
            connection.close()

    first = threading.Thread(target=withdraw)
    first.start()
    assert withdrawing.wait(10)
    second = threading.Thread(target=answer)
    second.start()
    time.sleep(1.0)  # the answer is under way while the withdrawal is uncommitted
    go_on.set()
    first.join(20)
    second.join(20)
    assert outcome["answer"] != "recorded"
    assert DemandResponse.objects.get(pk=row.pk).response == ""
    assert Demand.objects.get(pk=demand.pk).state == "withdrawn"
