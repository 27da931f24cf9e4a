"""The risk pages over real HTTP: the bank's home page as its risk dashboard (alerts by severity,
annuity deadlines, collateral coverage, exposure), the alert list with its handling, the office's
scan with its confirmation; who may see what."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from ipfin.accounts.models import Organisation, User

# The loans app's builders, as fixtures here too.
from ipfin.loans.tests.conftest import lend, pledge_over, pledged, value_right  # noqa: F401
from ipfin.pledges.models import Pledge
from ipfin.registry.services import right_event_record
from ipfin.risk.models import RiskAlert
from ipfin.risk.services import risk_scan

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(
    pledged: tuple[Pledge, Any],  # noqa: F811
    lend: Callable[..., Any],  # noqa: F811
    examiner: User,
    enterprise_a: Organisation,
    today: date,
) -> Any:
    """bank_a lends 400,000.00 on a collateral valued 880,000.00 (enterprise_a in software); a
    court froze the pledged right 20 days ago; the scan ran today."""
    pledge, _valuation = pledged
    Organisation.objects.filter(pk=enterprise_a.pk).update(industry="软件和信息技术服务业")
    loan = lend(pledge, principal="400000.00")
    right_event_record(
        actor=examiner,
        right=pledge.items.get().right,
        type="preservation",
        date=today - timedelta(days=20),
    )
    risk_scan(on=today)
    return loan


def _html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_banks_home_page_is_its_risk_dashboard(
    client_for: Callable[[User], Client], book: Any, bank_a_user: User
) -> None:
    html = _html(client_for(bank_a_user).get("/"))
    assert 'data-testid="home-risk"' in html
    high = RiskAlert.objects.filter(bank__users=bank_a_user, severity="high").exclude(
        status="resolved"
    )
    assert f'data-testid="alerts-high">{high.count()}<' in html
    # 880,000.00 ÷ outstanding 400,000.00 (the loan's instalments unpaid) = 220.00%.
    assert f'data-testid="coverage-{book.pk}">220.00%<' in html
    assert "软件和信息技术服务业" in html and "100.00%" in html
    assert ">preservation<" not in html and ">high<" not in html  # labels, never codes


def test_the_alert_list_filters_and_the_bank_handles_an_alert(
    client_for: Callable[[User], Client], book: Any, bank_a_user: User
) -> None:
    client = client_for(bank_a_user)
    alert = RiskAlert.objects.get(kind="preservation")
    listed = _html(client.get("/risk/alerts/", {"kind": "preservation"}))
    assert f'data-alert="{alert.pk}"' in listed and "财产保全" in listed
    assert "没有符合条件的预警" in _html(client.get("/risk/alerts/", {"status": "resolved"}))

    assert client.post(f"/risk/alerts/{alert.pk}/acknowledge/", {"note": ""}).status_code == 302
    alert.refresh_from_db()
    assert alert.status == "acknowledged"

    page = client.get(f"/risk/alerts/{alert.pk}/resolve/")
    assert 'data-confirm="' in _html(page)
    empty = client.post(f"/risk/alerts/{alert.pk}/resolve/", {"note": ""})
    assert empty.status_code == 400
    assert 'class="errorlist' in empty.content.decode()
    done = client.post(f"/risk/alerts/{alert.pk}/resolve/", {"note": "法院已解除保全"})
    assert done.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.resolution == "法院已解除保全"


def test_another_bank_and_the_regulator_do_not_see_the_alerts(
    client_for: Callable[[User], Client],
    book: Any,
    bank_b_user: User,
    regulator_user: User,
) -> None:
    alert = RiskAlert.objects.get(kind="preservation")
    other = client_for(bank_b_user)
    assert f'data-alert="{alert.pk}"' not in _html(other.get("/risk/alerts/"))
    assert other.get(f"/risk/alerts/{alert.pk}/resolve/").status_code == 404
    assert other.post(f"/risk/alerts/{alert.pk}/acknowledge/").status_code == 404
    assert client_for(regulator_user).get("/risk/alerts/").status_code == 403
    assert Client().get("/risk/").status_code == 302  # to the login


def test_the_office_runs_the_scan_from_its_dashboard(
    client_for: Callable[[User], Client],
    book: Any,
    office_user: User,
    bank_a_user: User,
    today: date,
) -> None:
    office = client_for(office_user)
    html = _html(office.get("/risk/"))
    assert 'data-testid="risk-scan"' in html and "data-confirm=" in html
    ran = office.post("/risk/scan/", {"on": today.isoformat()}, follow=True)
    assert "已完成" in ran.content.decode()
    assert 'data-testid="risk-scan"' not in _html(client_for(bank_a_user).get("/risk/"))
    assert client_for(bank_a_user).post("/risk/scan/", {}).status_code == 302  # refused, told
