"""Concentration alerts are each bank's own: two banks concentrated in one industry are each
told, and each alert ends with its own bank's concentration."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from ipfin.accounts.models import Organisation, User
from ipfin.loans.models import Loan
from ipfin.risk.domain.alerts import AlertKind
from ipfin.risk.models import RiskAlert
from ipfin.risk.scanning import scan_findings
from ipfin.risk.services import risk_scan
from ipfin.risk.tests import lenders

pytestmark = pytest.mark.django_db
lender = lenders.lender  # the fixture, in this module's scope


def test_two_banks_concentrated_in_one_industry_each_get_their_own_alert(
    lender: Callable[[User], Callable[..., Loan]],
    bank_a_user: User,
    bank_b_user: User,
) -> None:
    """Each bank's whole IP-pledge balance in one industry: a concentration alert for each.
    The key had named no bank, so the two findings made one key and one alert: bank B was never
    told, and bank A's alert was kept alive by bank B's concentration."""
    first = lender(bank_a_user)(start=date(2025, 1, 15))
    second = lender(bank_b_user)(start=date(2025, 1, 15))
    Organisation.objects.filter(pk__in=[first.enterprise_id, second.enterprise_id]).update(
        industry="软件和信息技术服务业"
    )
    on = date(2025, 1, 20)
    found = [f for f in scan_findings(on)[0] if f.kind is AlertKind.CONCENTRATION]
    assert len({f.key for f in found}) == len(found) == 2
    risk_scan(on=on)
    banks = RiskAlert.objects.filter(kind="concentration").values_list("bank_id", flat=True)
    assert sorted(banks) == sorted([first.bank_id, second.bank_id])
    # Bank B's borrower moves to another industry: bank B's alert on the first industry ends
    # (its balance is now all in the other one: an alert on that), bank A's stands.
    Organisation.objects.filter(pk=second.enterprise_id).update(industry="专用设备制造业")
    risk_scan(on=date(2025, 1, 21))
    live = RiskAlert.objects.filter(kind="concentration", status__in=("open", "acknowledged"))
    assert sorted(live.values_list("bank_id", "subject")) == sorted(
        [
            (first.bank_id, "industry:软件和信息技术服务业"),
            (second.bank_id, "industry:专用设备制造业"),
        ]
    )


def test_the_migration_names_the_bank_in_the_concentration_keys_already_stored(
    lender: Callable[[User], Callable[..., Loan]], bank_a_user: User
) -> None:
    """risk/0005: a live concentration alert stored under the old key is given its bank, so that
    the next scan finds it as its own (not closed and raised again)."""
    from importlib import import_module

    from django.apps import apps

    from ipfin.risk.domain.alerts import concentration_key_base

    loan = lender(bank_a_user)(start=date(2025, 1, 15))
    Organisation.objects.filter(pk=loan.enterprise_id).update(industry="软件和信息技术服务业")
    on = date(2025, 1, 20)
    risk_scan(on=on)
    alert = RiskAlert.objects.get(kind="concentration")
    RiskAlert.objects.filter(pk=alert.pk).update(key=concentration_key_base(alert.subject))
    migration = import_module("ipfin.risk.migrations.0005_concentration_alert_key_bank")
    migration.name_the_bank(apps, None)
    migration.name_the_bank(apps, None)  # twice: no change the second time
    alert.refresh_from_db()
    assert alert.key.endswith(f"|bank:{bank_a_user.organisation_id}")
    assert alert.key.count("|bank:") == 1
    risk_scan(on=date(2025, 1, 21))
    assert list(RiskAlert.objects.filter(kind="concentration").values_list("pk", flat=True)) == [
        alert.pk
    ]
