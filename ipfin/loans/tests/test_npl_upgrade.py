"""A non-performing loan is not upgraded the day its arrears are paid (《商业银行金融资产风险分类
办法》, 不良资产上调至正常类或关注类: the arrears repaid, then at least two consecutive repayment
periods or six months, the longer, of normal repayment), through the repayment, the daily
classification and the bank's own classification; from review."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from ipfin.accounts.models import User
from ipfin.common.errors import ValidationFailed
from ipfin.loans import services
from ipfin.loans.domain.schedules import add_months
from ipfin.loans.models import Loan, LoanClassification
from ipfin.loans.selectors import loan_position
from ipfin.pledges.models import Pledge
from ipfin.valuation.models import Valuation


def _pay_everything_due(loan: Loan, bank: User, day: date) -> None:
    position = loan_position(loan, day)
    assert position is not None
    if position.amount_due > 0:
        services.loan_repay(actor=bank, loan=loan, amount=position.amount_due, paid_on=day,
                            today=day)  # fmt: skip
    loan.refresh_from_db()


def test_a_non_performing_loan_stays_substandard_until_six_months_of_normal_repayment(
    pledged: tuple[Pledge, Valuation], lend: Callable[..., Loan], bank_a_user: User
) -> None:
    pledge, _valuation = pledged
    loan = lend(pledge, months=12, start=date(2025, 1, 15))
    cure = date(2025, 5, 30)  # instalment 1 (payable Mon 17 Feb) 102 days late
    services.loan_classify(today=cure)
    loan.refresh_from_db()
    assert loan.classification == "substandard"
    _pay_everything_due(loan, bank_a_user, cure)
    assert (loan.days_past_due, loan.classification) == (0, "substandard")  # not 正常 that day
    # The bank may not classify it better meanwhile.
    with pytest.raises(ValidationFailed) as refused:
        services.loan_classify_manual(
            actor=bank_a_user, loan=loan, category="normal", reason="已结清欠款", today=cure
        )
    assert refused.value.code == "classification_below_floor"
    assert refused.value.extra["floor"] == "substandard"
    # Each later instalment paid on its day (June to November): still held before six months.
    for n in range(5, 11):
        due = add_months(date(2025, 1, 15), n)
        _pay_everything_due(loan, bank_a_user, due)
        assert loan.classification == "substandard", due
    services.loan_classify(today=date(2025, 11, 29))
    loan.refresh_from_db()
    assert loan.classification == "substandard"
    # Six months after the cure (30 Nov), six instalments paid on time since: upgraded.
    assert add_months(cure, 6) == date(2025, 11, 30)
    services.loan_classify(today=date(2025, 11, 30))
    loan.refresh_from_db()
    assert loan.classification == "normal"
    history = list(
        LoanClassification.objects.filter(loan=loan)
        .order_by("effective_on", "pk")
        .values_list("effective_on", "category")
    )
    assert history[-2:] == [(cure, "substandard"),
                            (date(2025, 11, 30), "normal")], history  # fmt: skip


def test_the_daily_classification_reads_the_schedules_of_non_performing_loans_at_once(
    pledged: tuple[Pledge, Valuation], lend: Callable[..., Loan]
) -> None:
    """The hold (商业银行金融资产风险分类办法: not upgraded before six months of normal repayment)
    reads each non-performing loan's schedule: in one query for every such loan of the run, not
    one per loan (it had been a query per non-performing loan of the register every night)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pledge, _valuation = pledged
    day = date(2025, 5, 30)  # instalment 1 (payable Mon 17 Feb) 102 days late
    lend(pledge, months=12, start=date(2025, 1, 15))
    services.loan_classify(today=day)
    with CaptureQueriesContext(connection) as one:
        counts = services.loan_classify(today=day)
    assert counts == {"checked": 1, "changed": 0, "non_performing": 1}
    for _ in range(2):
        lend(pledge, months=12, start=date(2025, 1, 15))
    services.loan_classify(today=day)
    with CaptureQueriesContext(connection) as three:
        counts = services.loan_classify(today=day)
    assert counts == {"checked": 3, "changed": 0, "non_performing": 3}
    assert len(three.captured_queries) == len(one.captured_queries)
    assert set(Loan.objects.values_list("classification", flat=True)) == {"substandard"}
