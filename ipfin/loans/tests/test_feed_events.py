"""The daily classification tells the change feed (ipfin.feed) of each loan whose category
changed: its bank reads `loan.classified`, no other bank does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
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
    # Due on Saturday 2025-02-15, payable on Monday the 17th (民法典 art. 203).
    services.loan_classify(today=date(2025, 5, 19))  # 91 days past due: 次级
    services.loan_classify(today=date(2025, 5, 20))  # the same category: no event
    items = bank_a_api.get(f"/api/v1/events?after={after}").json()["items"]
    assert [(i["type"], i["data"]["loan_id"]) for i in items] == [("loan.classified", loan.pk)]
    data = items[0]["data"]
    assert (data["before"], data["classification"], data["days_past_due"], data["on"]) == (
        "normal",
        "substandard",
        91,
        "2025-05-19",
    )
    assert bank_b_api.get(f"/api/v1/events?after={after}").json()["items"] == []


def test_every_service_that_changes_the_category_tells_the_feed(
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
    bank_a_api: Any,
    bank_a_user: Any,
) -> None:
    """Not only the daily job: the bank's own assessment and the repayment that brings an
    overdue loan back to 正常 change the category too, and the bank's system must hear of it
    (the daily job, finding nothing changed, would never tell it)."""
    loan = lend(pledged[0])  # disbursed 2025-01-15, instalments due on the 15th of each month
    after = bank_a_api.get("/api/v1/events").json()["next"]
    services.loan_classify_manual(
        actor=bank_a_user, loan=loan, category="doubtful", reason="停产",
        today=date(2025, 2, 10),
    )  # fmt: skip
    services.loan_classify(today=date(2025, 2, 11))  # still 可疑: nothing to tell
    services.loan_classify_manual(
        actor=bank_a_user, loan=loan, category="normal", reason="恢复生产",
        today=date(2025, 2, 12),
    )  # fmt: skip
    services.loan_classify(today=date(2025, 3, 20))  # the 15 Feb instalment unpaid: 关注
    overdue = list(loan.installments.filter(due_date__lt=date(2025, 3, 21)))
    owed = sum((i.principal + i.interest for i in overdue), Decimal("1000.00"))  # + penalty
    services.loan_repay(
        actor=bank_a_user, loan=loan, amount=owed, paid_on=date(2025, 3, 21),
        today=date(2025, 3, 21),
    )  # fmt: skip
    items = bank_a_api.get(f"/api/v1/events?after={after}").json()["items"]
    told = [(i["data"]["before"], i["data"]["classification"], i["data"]["on"]) for i in items]
    assert {i["type"] for i in items} == {"loan.classified"}
    assert told[:3] == [
        ("normal", "doubtful", "2025-02-10"),
        ("doubtful", "normal", "2025-02-12"),
        ("normal", "special_mention", "2025-03-20"),
    ]
    loan.refresh_from_db()
    # The repayment settled what was overdue: back to 正常, and told.
    assert len(overdue) == 2 and loan.classification == "normal"
    assert not loan.installments.filter(due_date__lt=date(2025, 3, 21), settled_on=None).exists()
    assert told[3:] == [("special_mention", "normal", "2025-03-21")]
