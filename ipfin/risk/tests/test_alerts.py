"""The early-warning alerts as the daily scan keeps them (ipfin.risk.services.risk_scan): created
once, seen again, closed by the scan when the cause is gone, acknowledged and resolved by the bank
with a note; the bank and the office told once per scan; every scan audited."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from ipfin.accounts.models import Notification, Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

# The loans app's builders, as fixtures here too.
from ipfin.loans.tests.conftest import lend, pledge_over, pledged, value_right  # noqa: F401
from ipfin.pledges.models import Pledge
from ipfin.registry.models import Right
from ipfin.registry.services import right_event_record
from ipfin.risk.models import RiskAlert
from ipfin.risk.services import alert_acknowledge, alert_resolve, risk_scan

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen(pledged: tuple[Pledge, Any], examiner: User, today: date) -> tuple[Pledge, Right]:  # noqa: F811
    """bank_a's pledge whose right a court froze 20 days ago."""
    pledge, _valuation = pledged
    right = pledge.items.get().right
    right_event_record(
        actor=examiner, right=right, type="preservation", date=today - timedelta(days=20)
    )
    return pledge, right


def _preservations() -> Any:
    return RiskAlert.objects.filter(kind="preservation")


def test_a_scan_raises_an_alert_once_and_a_later_scan_sees_it_again(
    frozen: tuple[Pledge, Right], today: date, bank_a: Organisation
) -> None:
    pledge, right = frozen
    first = risk_scan(on=today)
    alert = _preservations().get()
    assert (alert.bank_id, alert.pledge_id, alert.right_id, alert.severity) == (
        bank_a.pk,
        pledge.pk,
        right.pk,
        "high",
    )
    assert alert.status == "open" and alert.first_seen == alert.last_seen == today
    assert right.number in alert.message_zh and right.number in alert.message_en
    assert first.created >= 1 and first.by_kind["preservation"] == 1

    again = risk_scan(on=today)  # the same day: nothing new
    assert again.created == 0 and _preservations().count() == 1
    later = risk_scan(on=today + timedelta(days=1))
    assert later.seen_again >= 1 and _preservations().count() == 1
    alert.refresh_from_db()
    assert alert.last_seen == today + timedelta(days=1) and alert.first_seen == today


def test_the_scan_closes_an_alert_whose_cause_is_gone_with_the_reason(
    frozen: tuple[Pledge, Right], today: date, examiner: User
) -> None:
    _pledge, right = frozen
    risk_scan(on=today)
    right_event_record(actor=examiner, right=right, type="preservation_lifted", date=today)
    summary = risk_scan(on=today)
    alert = _preservations().get()
    assert summary.resolved >= 1
    assert alert.status == "resolved" and alert.resolved_by_scan
    assert "cause gone" in alert.resolution


def test_a_scan_of_an_earlier_day_rewrites_no_history(
    frozen: tuple[Pledge, Right], today: date
) -> None:
    risk_scan(on=today)
    risk_scan(on=today - timedelta(days=30))  # before the ruling: no preservation then
    assert _preservations().get().status == "open"


def test_the_bank_and_the_office_are_told_once_per_scan_and_the_scan_is_audited(
    frozen: tuple[Pledge, Right], today: date, bank_a: Organisation, ip_office: Organisation
) -> None:
    risk_scan(on=today)
    risk_scan(on=today)  # the same facts: no new alert, no new message
    told = Notification.objects.filter(verb="risk.alerts")
    assert told.filter(organisation=bank_a).count() == 1
    assert told.filter(organisation=ip_office).count() == 1
    assert AuditRecord.objects.filter(action="risk.scan").count() == 2


def test_the_bank_acknowledges_and_resolves_its_alert_with_a_note(
    frozen: tuple[Pledge, Right], today: date, bank_a_user: User
) -> None:
    risk_scan(on=today)
    alert = _preservations().get()
    acknowledged = alert_acknowledge(actor=bank_a_user, alert=alert, note="已联系企业")
    assert acknowledged.status == "acknowledged" and acknowledged.acknowledged_by == bank_a_user
    with pytest.raises(Conflict) as twice:
        alert_acknowledge(actor=bank_a_user, alert=alert)
    assert twice.value.code == "alert_not_open"
    with pytest.raises(ValidationFailed) as bare:
        alert_resolve(actor=bank_a_user, alert=alert, note=" ")
    assert bare.value.code == "note_required"
    resolved = alert_resolve(actor=bank_a_user, alert=alert, note="法院已解除保全，见裁定书")
    assert resolved.status == "resolved" and not resolved.resolved_by_scan
    with pytest.raises(Conflict):
        alert_resolve(actor=bank_a_user, alert=alert, note="再次解除")
    assert AuditRecord.objects.filter(action__startswith="risk.alert_").count() == 2
    # The cause is still there: the next scan raises it again, as a new alert.
    risk_scan(on=today + timedelta(days=1))
    assert _preservations().filter(status="open").count() == 1


def test_another_bank_cannot_touch_the_alert_and_the_regulator_handles_none(
    frozen: tuple[Pledge, Right],
    today: date,
    bank_b_user: User,
    regulator_user: User,
    office_user: User,
) -> None:
    risk_scan(on=today)
    alert = _preservations().get()
    with pytest.raises(NotFound):
        alert_acknowledge(actor=bank_b_user, alert=alert)
    with pytest.raises(PermissionDenied):
        alert_acknowledge(actor=regulator_user, alert=alert)
    assert alert_acknowledge(actor=office_user, alert=alert).status == "acknowledged"


def test_only_the_office_runs_a_scan_by_hand(bank_a_user: User, today: date) -> None:
    with pytest.raises(PermissionDenied):
        risk_scan(on=today, actor=bank_a_user)


def test_the_daily_command_prints_its_summary(frozen: tuple[Pledge, Right], today: date) -> None:
    out = StringIO()
    call_command("risk_scan", "--on", today.isoformat(), stdout=out)
    assert '"preservation": 1' in out.getvalue()
    assert '"created": ' in out.getvalue()


def test_an_event_on_a_pledged_right_tells_the_pledgee_at_once(
    frozen: tuple[Pledge, Right], bank_a: Organisation, bank_b: Organisation
) -> None:
    _pledge, right = frozen  # the preservation was recorded by the fixture, before any scan
    told = Notification.objects.filter(verb="right.event.preservation", object_id=str(right.pk))
    assert told.filter(organisation=bank_a).count() == 1
    assert "质押物" in told.get(organisation=bank_a).message_zh
    assert not told.filter(organisation=bank_b).exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_four_scans_at_once_leave_one_live_alert_per_fact(
    frozen: tuple[Pledge, Right], today: date
) -> None:
    from django.db import connection

    from ipfin.common.tests.concurrency import all_at_once

    assert connection.vendor == "postgresql"
    all_at_once(4, lambda _i: risk_scan(on=today))
    live = RiskAlert.objects.exclude(status="resolved")
    assert live.count() == live.values("key").distinct().count()
    assert _preservations().count() == 1
    # The banks and the office are told of the new alerts once, not by every scan.
    told = Notification.objects.filter(verb="risk.alerts")
    assert told.count() == told.values("organisation_id").distinct().count() >= 2


def test_issue12_a_year_covered_by_an_annuity_deposit_raises_no_annuity_alert(
    pledged: tuple[Pledge, Any],  # noqa: F811
    bank_a_user: User,
    today: date,
) -> None:
    from ipfin.pledges.services.deposits import annuity_deposit_create
    from ipfin.risk.scanning import scan_findings

    pledge, _valuation = pledged
    right = pledge.items.get().right
    # The fixture's patent: its next annuity falls due about now (filed three years ago).
    on = today + timedelta(days=20)
    before = {f.kind.value for f in scan_findings(on)[0] if f.right_id == right.pk}
    assert before & {"annuity_due", "grace_period"}, before
    deposit = annuity_deposit_create(actor=bank_a_user, pledge=pledge, right_number=right.number)
    assert deposit.years.count() >= 1
    summary = risk_scan(on=on)
    assert not RiskAlert.objects.filter(
        right=right, kind__in=["annuity_due", "grace_period"]
    ).exists()
    # What fell due by today was paid from the deposit by the scan itself.
    paid = deposit.years.filter(drawn_on__isnull=False).count()
    assert summary.deposit_years_paid == paid
