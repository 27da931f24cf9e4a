"""The risk scan's findings (ipfin.risk.scanning) over real pledges, loans and register events:
each alert kind both ways, and the scan as of a day reading nothing dated after it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, User
from ipfin.loans import services as loans_services
from ipfin.loans.models import Loan
from ipfin.loans.services import loan_classify_manual

# The loans app's builders, as fixtures here too.
from ipfin.loans.tests.conftest import lend, pledge_over, pledged, product, value_right  # noqa: F401
from ipfin.pledges.models import Pledge
from ipfin.registry.domain import annuity_due_date, grace_end
from ipfin.registry.models import Right, RightEvent
from ipfin.registry.services import right_event_record
from ipfin.risk.domain.alerts import AlertKind, Finding, Severity, alert_message
from ipfin.risk.scanning import scan_findings

pytestmark = pytest.mark.django_db


@pytest.fixture
def pledged_right(pledged: tuple[Pledge, Any]) -> tuple[Pledge, Right]:  # noqa: F811
    """bank_a's registered pledge over enterprise_a's right (valued: a loan may rest on it)."""
    pledge, _valuation = pledged
    item = pledge.items.get()
    return pledge, item.right


def _kinds(on: date, right: Right | None = None) -> dict[AlertKind, Finding]:
    findings, _read = scan_findings(on)
    return {f.kind: f for f in findings if right is None or f.right_id == right.pk}


def _event(examiner: User, right: Right, type: str, on: date, **payload: Any) -> None:
    right_event_record(actor=examiner, right=right, type=type, date=on, payload=payload or None)


def _next_annuity(right: Right) -> tuple[int, date]:
    paid = [e.payload["year"] for e in RightEvent.objects.filter(right=right, type="annuity_paid")]
    year = max(paid) + 1
    return year, annuity_due_date(right.filing_date, right.grant_date, year)


def test_a_pledged_right_in_good_standing_raises_nothing(
    pledged_right: tuple[Pledge, Right], today: date
) -> None:
    findings, read = scan_findings(today)
    assert read.pledged_rights == 1
    assert [f for f in findings if f.kind is not AlertKind.ANNUITY_DUE] == []


def test_implementing_rules_115_116_annuity_due_then_grace_then_lapsed(
    pledged_right: tuple[Pledge, Right],
) -> None:
    pledge, right = pledged_right
    year, due = _next_annuity(right)
    assert AlertKind.ANNUITY_DUE not in _kinds(due - timedelta(days=61), right)
    soon = _kinds(due - timedelta(days=30), right)[AlertKind.ANNUITY_DUE]
    assert (soon.date, soon.year, soon.pledge_id, soon.bank_id) == (
        due,
        year,
        pledge.pk,
        pledge.pledgee_id,
    )
    assert soon.severity is Severity.MEDIUM
    grace = _kinds(due + timedelta(days=10), right)
    assert AlertKind.ANNUITY_DUE not in grace
    assert grace[AlertKind.GRACE_PERIOD].date == grace_end(due)
    assert grace[AlertKind.GRACE_PERIOD].severity is Severity.HIGH
    lapsed = _kinds(grace_end(due) + timedelta(days=1), right)
    assert lapsed[AlertKind.LAPSED].date == due and AlertKind.GRACE_PERIOD not in lapsed
    zh, en = alert_message(lapsed[AlertKind.LAPSED])
    assert right.number in zh and f"year-{year}" in en


def test_procedures_open_and_close_preservation_dispute_invalidation(
    pledged_right: tuple[Pledge, Right], examiner: User, today: date
) -> None:
    _pledge, right = pledged_right
    frozen_on = today - timedelta(days=20)
    _event(examiner, right, "preservation", frozen_on)
    _event(examiner, right, "dispute", today - timedelta(days=15))
    _event(examiner, right, "invalidation_requested", today - timedelta(days=10))
    found = _kinds(today, right)
    assert found[AlertKind.PRESERVATION].date == frozen_on
    assert AlertKind.DISPUTE in found and AlertKind.INVALIDATION_REQUESTED in found
    # Before the ruling, nothing: the scan as of a day reads nothing dated after it.
    assert AlertKind.PRESERVATION not in _kinds(frozen_on - timedelta(days=1), right)

    _event(examiner, right, "preservation_lifted", today - timedelta(days=5))
    _event(examiner, right, "dispute_resolved", today - timedelta(days=5))
    _event(examiner, right, "invalidated", today - timedelta(days=2), scope="whole")
    found = _kinds(today, right)
    assert AlertKind.PRESERVATION not in found and AlertKind.DISPUTE not in found
    assert AlertKind.INVALIDATION_REQUESTED not in found
    assert found[AlertKind.INVALIDATED].date == today - timedelta(days=2)


def test_a_partial_invalidation_closes_the_request_and_is_no_invalidated_alert(
    pledged_right: tuple[Pledge, Right], examiner: User, today: date
) -> None:
    _pledge, right = pledged_right
    _event(examiner, right, "invalidation_requested", today - timedelta(days=10))
    _event(examiner, right, "invalidated", today - timedelta(days=1), scope="partial")
    found = _kinds(today, right)
    assert AlertKind.INVALIDATED not in found and AlertKind.INVALIDATION_REQUESTED not in found


def test_civil_code_art_444_a_transfer_or_licence_while_pledged_is_flagged(
    pledged_right: tuple[Pledge, Right], examiner: User, today: date
) -> None:
    pledge, right = pledged_right
    licensed_on = today - timedelta(days=3)
    # Recorded with the pledgee's written consent (the register refuses it without): the bank is
    # still told at once, its collateral is now licensed.
    _event(
        examiner,
        right,
        "licence",
        licensed_on,
        licensee="丙公司",
        licence_type="exclusive",
        pledgee_consent=True,
        consent_document="同意函-2026-001",
    )
    found = _kinds(today, right)[AlertKind.TRANSFER_ATTEMPT]
    assert found.date == licensed_on and found.severity is Severity.HIGH
    assert pledge.effective_date is not None and licensed_on >= pledge.effective_date


def test_borrower_overdue_from_the_first_unpaid_instalment_and_from_the_classification(
    pledged_right: tuple[Pledge, Right],
    lend: Callable[..., Loan],  # noqa: F811
    bank_a_user: User,
) -> None:
    pledge, right = pledged_right
    loan = lend(pledge)  # disbursed 2025-01-15, instalments due on the 15th of Feb, Mar, Apr
    # Due on Saturday 2025-02-15, payable on Monday the 17th (民法典 art. 203): not overdue
    # before the 18th; the alert names the instalment's due date.
    assert AlertKind.BORROWER_OVERDUE not in _kinds(date(2025, 2, 15))
    assert AlertKind.BORROWER_OVERDUE not in _kinds(date(2025, 2, 17))
    overdue = _kinds(date(2025, 2, 18))[AlertKind.BORROWER_OVERDUE]
    assert (overdue.loan_id, overdue.date, overdue.right_id) == (
        loan.pk,
        date(2025, 2, 15),
        right.pk,
    )
    before_disbursal = _kinds(date(2025, 1, 10))
    assert AlertKind.BORROWER_OVERDUE not in before_disbursal
    loan_classify_manual(
        actor=bank_a_user,
        loan=loan,
        category="substandard",
        reason="经营困难",
        today=date(2025, 2, 10),
    )
    assert _kinds(date(2025, 2, 12))[AlertKind.BORROWER_OVERDUE].date == date(2025, 2, 10)


def test_borrower_overdue_is_dated_from_the_classification_history_not_the_last_repayment(
    pledged_right: tuple[Pledge, Right],
    lend: Callable[..., Loan],  # noqa: F811
    bank_a_user: User,
) -> None:
    """A 次级 of 10 Feb stays the same alert (same date, same key) after the instalment paid
    when due on the 15th moves the loan's `classified_on`; a scan as of a day before the loan
    was reclassified 关注 still sees it non-performing since 10 Feb (the category in force)."""
    pledge, _right = pledged_right
    loan = lend(pledge)  # disbursed 2025-01-15, instalments due on the 15th of Feb, Mar, Apr
    loan_classify_manual(
        actor=bank_a_user, loan=loan, category="substandard", reason="经营困难",
        today=date(2025, 2, 10),
    )  # fmt: skip
    first = loan.installments.get(n=1)
    loans_services.loan_repay(
        actor=bank_a_user, loan=loan, amount=first.principal + first.interest,
        paid_on=date(2025, 2, 15), today=date(2025, 2, 15),
    )  # fmt: skip
    loan.refresh_from_db()
    assert (loan.classification, loan.classified_on) == ("substandard", date(2025, 2, 15))
    bad = _kinds(date(2025, 2, 20))[AlertKind.BORROWER_OVERDUE]
    assert (bad.loan_id, bad.date) == (loan.pk, date(2025, 2, 10))
    loan_classify_manual(
        actor=bank_a_user, loan=loan, category="special_mention", reason="已补充担保",
        today=date(2025, 3, 1),
    )  # fmt: skip
    assert _kinds(date(2025, 2, 20))[AlertKind.BORROWER_OVERDUE].date == date(2025, 2, 10)
    assert AlertKind.BORROWER_OVERDUE not in _kinds(date(2025, 3, 5))
    # Bad again from 10 March: a new run, a new date.
    loan_classify_manual(
        actor=bank_a_user, loan=loan, category="doubtful", reason="停产",
        today=date(2025, 3, 10),
    )  # fmt: skip
    assert _kinds(date(2025, 3, 12))[AlertKind.BORROWER_OVERDUE].date == date(2025, 3, 10)


def test_a_right_expiring_before_the_loan_matures_is_flagged(
    pledged_right: tuple[Pledge, Right],
    lend: Callable[..., Loan],  # noqa: F811
) -> None:
    pledge, right = pledged_right
    loan = lend(pledge)  # matures 2025-04-15
    # A utility model filed 2015-03-01 ends on 2025-03-01 (专利法 art. 42: 10 years). Set on the
    # stored right directly: the register would not take a pledge of such a right today.
    Right.objects.filter(pk=right.pk).update(
        kind="utility_model", filing_date=date(2015, 3, 1), grant_date=date(2016, 1, 4)
    )
    found = _kinds(date(2025, 1, 20), right)[AlertKind.EXPIRES_BEFORE_MATURITY]
    assert (found.date, found.loan_id, found.maturity) == (
        date(2025, 3, 1),
        loan.pk,
        loan.maturity_date,
    )


def test_value_decline_beyond_the_line_and_the_pledge_rate_exceeded(
    pledged_right: tuple[Pledge, Right],
    lend: Callable[..., Loan],  # noqa: F811
    value_right: Callable[..., Any],  # noqa: F811
    product: Any,  # noqa: F811 - the loans app's product: maximum pledge rate 50%
    today: date,
) -> None:
    pledge, right = pledged_right
    # 400,000.00 on a collateral valued 880,000.00: a pledge rate of 45.45%, within 50%.
    loan = lend(pledge, principal="400000.00", product_version_id=product.pk)
    quiet = _kinds(today)
    assert AlertKind.VALUE_DECLINE not in quiet and AlertKind.PLEDGE_RATE_EXCEEDED not in quiet
    # A new valuation 5% lower (836,000.00): within the 20% line, and 400,000 ≤ 50% × 836,000.
    value_right(right, cost="950000")
    quiet = _kinds(today)
    assert AlertKind.VALUE_DECLINE not in quiet and AlertKind.PLEDGE_RATE_EXCEEDED not in quiet
    # Half the value (440,000.00): 50% below the approved value, and 400,000 > 50% × 440,000.
    value_right(right, cost="500000")
    found = _kinds(today)
    decline = found[AlertKind.VALUE_DECLINE]
    assert (decline.loan_id, decline.date, decline.right_id) == (loan.pk, today, right.pk)
    assert found[AlertKind.PLEDGE_RATE_EXCEEDED].severity is Severity.HIGH
    # The same facts with a 60% line: no decline reported.
    lenient, _ = scan_findings(today, decline=Decimal("0.60"))
    assert AlertKind.VALUE_DECLINE not in {f.kind for f in lenient}


def test_concentration_of_a_banks_balance_in_one_industry(
    pledged_right: tuple[Pledge, Right],
    lend: Callable[..., Loan],  # noqa: F811
    enterprise_a: Organisation,
    today: date,
) -> None:
    pledge, _right = pledged_right
    Organisation.objects.filter(pk=enterprise_a.pk).update(industry="软件和信息技术服务业")
    lend(pledge)
    found = [f for f in scan_findings(today)[0] if f.kind is AlertKind.CONCENTRATION]
    assert [(f.subject, f.share, f.bank_id) for f in found] == [
        ("industry:软件和信息技术服务业", Decimal("1.0000"), pledge.pledgee_id)
    ]
    assert found[0].severity is Severity.LOW
    zh, en = alert_message(found[0])
    assert "100.00%" in zh and "industry" in en
    # Above any share below 100%; with the whole balance allowed in one industry, nothing.
    assert not [
        f
        for f in scan_findings(today, concentration=Decimal("1"))[0]
        if f.kind is AlertKind.CONCENTRATION
    ]


def test_a_grace_alert_stays_one_alert_when_the_office_enters_its_holidays_shishi_xize_r6(
    pledged_right: tuple[Pledge, Right], office_admin: User
) -> None:
    """The grace period's last day moves past rest days (专利法实施细则 r. 6); when the office
    enters a year's holidays that move it further, the scan finds the same alert (the six months
    identify it), still open, and gives it the new day — no alert closed and raised again, no
    second message to the bank."""
    from ipfin.holidays.domain import ArrangementDay, DayKind
    from ipfin.holidays.selectors import working_calendar, year_view
    from ipfin.holidays.services import arrangement_save
    from ipfin.risk.models import RiskAlert
    from ipfin.risk.services import risk_scan

    _pledge, right = pledged_right
    _year, due = _next_annuity(right)
    on = due + timedelta(days=10)
    risk_scan(on=on)
    first = RiskAlert.objects.get(kind="grace_period", right_id=right.pk)
    assert first.date == grace_end(due, working_calendar())
    arrangement_save(
        actor=office_admin,
        year=first.date.year,
        version=year_view(first.date.year).version,
        notice="国务院办公厅关于部分节假日安排的通知（测试）",
        published_on=None,
        days=[ArrangementDay(first.date, DayKind.HOLIDAY, "测试")],
    )
    risk_scan(on=on + timedelta(days=1))
    again = RiskAlert.objects.get(kind="grace_period", right_id=right.pk)
    assert (again.pk, again.status, again.key) == (first.pk, first.status, first.key)
    assert again.date == working_calendar().working_day_from(first.date) > first.date
    assert again.date.isoformat() in again.message_zh + again.message_en
