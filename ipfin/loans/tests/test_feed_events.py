"""The daily classification tells the change feed (ipfin.feed) of each loan whose category
changed: its bank reads `loan.classified`, no other bank does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from ipfin.loans import services
from ipfin.loans.models import Loan
from ipfin.pledges.models import Pledge
from ipfin.valuation.models import Valuation

pytestmark = pytest.mark.django_db


def test_a_classification_change_is_an_event_for_the_loan_s_bank_only(
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
    bank_a_api: Any,
    bank_b_api: Any,
) -> None:
    loan = lend(pledged[0])
    after = bank_a_api.get("/api/v1/events").json()["next"]
    services.loan_classify(today=date(2025, 5, 17))  # 91 days past due: 次级
    services.loan_classify(today=date(2025, 5, 18))  # the same category: no event
    items = bank_a_api.get(f"/api/v1/events?after={after}").json()["items"]
    assert [(i["type"], i["data"]["loan_id"]) for i in items] == [("loan.classified", loan.pk)]
    data = items[0]["data"]
    assert (data["before"], data["classification"], data["days_past_due"], data["on"]) == (
        "normal",
        "substandard",
        91,
        "2025-05-17",
    )
    assert bank_b_api.get(f"/api/v1/events?after={after}").json()["items"] == []
