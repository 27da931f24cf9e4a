"""The early-warning alerts over the real API: who reads which alerts (a bank its own, the office
all, the regulator the counts only), acknowledge and resolve with their refusals, the office's scan;
each status an operation answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, User

# The loans app's builders, as fixtures here too.
from ipfin.loans.tests.conftest import lend, pledge_over, pledged, value_right  # noqa: F401
from ipfin.pledges.models import Pledge
from ipfin.registry.services import right_event_record
from ipfin.risk.models import RiskAlert
from ipfin.risk.services import risk_scan

pytestmark = pytest.mark.django_db

ALERTS = "/api/v1/risk/alerts"


@pytest.fixture
def alert(pledged: tuple[Pledge, Any], examiner: User, today: date) -> RiskAlert:  # noqa: F811
    """bank_a's alert: a court froze its pledged right 20 days ago; the scan ran today."""
    pledge, _valuation = pledged
    right_event_record(
        actor=examiner,
        right=pledge.items.get().right,
        type="preservation",
        date=today - timedelta(days=20),
    )
    risk_scan(on=today)
    return RiskAlert.objects.get(kind="preservation")


def test_a_bank_reads_its_alerts_most_severe_first_and_in_its_language(
    api_client: Callable[..., Any], alert: RiskAlert, bank_a_user: User
) -> None:
    api = api_client(bank_a_user)
    page = api.get(ALERTS).json()
    assert page["count"] >= 1 and alert.pk in [item["id"] for item in page["items"]]
    severities = [item["severity"] for item in page["items"]]
    order = {"high": 0, "medium": 1, "low": 2}
    assert severities == sorted(severities, key=order.__getitem__)
    mine = next(item for item in page["items"] if item["id"] == alert.pk)
    assert mine["kind"] == "preservation" and mine["status"] == "open"
    assert "财产保全" in mine["message"]
    english = api.get(ALERTS, {"kind": "preservation"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["count"] == 1 and "froze" in english["items"][0]["message"]
    assert api.get(ALERTS, {"status": "resolved"}).json()["count"] == 0


def test_another_bank_sees_none_the_office_all_the_regulator_counts_only(
    api_client: Callable[..., Any],
    alert: RiskAlert,
    bank_b_user: User,
    office_user: User,
    regulator_user: User,
) -> None:
    assert api_client(bank_b_user).get(ALERTS).json()["count"] == 0
    assert alert.pk in [i["id"] for i in api_client(office_user).get(ALERTS).json()["items"]]
    regulator = api_client(regulator_user)
    assert regulator.get(ALERTS).status_code == 403
    counts = regulator.get(f"{ALERTS}/summary").json()
    assert counts["by_kind"]["preservation"] == 1 and counts["by_severity"]["high"] >= 1
    assert api_client(bank_b_user).get(f"{ALERTS}/summary").json()["by_kind"] == {}
    assert api_client().get(ALERTS).status_code == 401


def test_acknowledge_then_resolve_with_their_refusals(
    api_client: Callable[..., Any], alert: RiskAlert, bank_a_user: User, bank_b_user: User
) -> None:
    api = api_client(bank_a_user)
    url = f"{ALERTS}/{alert.pk}"
    assert api_client(bank_b_user).post_json(f"{url}/acknowledge", {}).status_code == 404
    seen = api.post_json(f"{url}/acknowledge", {"note": "已联系企业核实"})
    assert seen.status_code == 200 and seen.json()["status"] == "acknowledged"
    assert seen.json()["note"] == "已联系企业核实"
    again = api.post_json(f"{url}/acknowledge", {})
    assert again.status_code == 409 and again.json()["code"] == "alert_not_open"
    bare = api.post_json(f"{url}/resolve", {"note": ""})
    assert bare.status_code == 422 and bare.json()["code"] == "note_required"
    done = api.post_json(f"{url}/resolve", {"note": "法院已解除保全"})
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    twice = api.post_json(f"{url}/resolve", {"note": "再次"})
    assert twice.status_code == 409 and twice.json()["code"] == "alert_resolved"
    assert api.post_json(f"{ALERTS}/999999/resolve", {"note": "无此预警"}).status_code == 404


def test_the_office_runs_the_scan_a_bank_may_not(
    api_client: Callable[..., Any],
    alert: RiskAlert,
    office_user: User,
    bank_a_user: User,
    today: date,
) -> None:
    ran = api_client(office_user).post_json("/api/v1/risk/scan", {"on": today.isoformat()})
    assert ran.status_code == 200, ran.content
    assert ran.json()["created"] == 0 and ran.json()["by_kind"]["preservation"] == 1
    refused = api_client(bank_a_user).post_json("/api/v1/risk/scan", {})
    assert refused.status_code == 403
    bad = api_client(office_user).post_json("/api/v1/risk/scan", {"on": "yesterday"})
    assert bad.status_code == 422


def test_the_office_cannot_scan_as_of_a_day_after_today(
    api_client: Callable[..., Any],
    alert: RiskAlert,
    office_user: User,
    today: date,
) -> None:
    """A scan three years ahead was taken: it raised a "lapsed" alert for a patent whose annuity
    was not yet due, told the bank, and today's scan did not resolve it (last seen after today).
    Now a 422 on the day, nothing written, and today's scan finds what it found."""
    live = set(RiskAlert.objects.filter(status__in=["open", "acknowledged"]).values_list("key"))
    future = today + timedelta(days=3 * 365)
    ahead = api_client(office_user).post_json("/api/v1/risk/scan", {"on": future.isoformat()})
    assert ahead.status_code == 422, ahead.content
    assert ahead.json()["code"] == "scan_day_in_future"
    assert ahead.json()["field"] == "on"
    assert ahead.json()["detail"] == f"扫描日期不能晚于今天（{today.isoformat()}）。"
    assert set(RiskAlert.objects.values_list("key")) == live
    again = api_client(office_user).post_json("/api/v1/risk/scan", {"on": today.isoformat()})
    assert again.status_code == 200 and again.json()["created"] == 0


def test_the_document_declares_what_the_alert_operations_answer(
    api_client: Callable[..., Any], bank_a: Organisation
) -> None:
    paths = api_client().get("/api/schema").json()["paths"]
    resolve = paths["/api/v1/risk/alerts/{alert_id}/resolve"]["post"]["responses"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(resolve)
    listing = paths["/api/v1/risk/alerts"]["get"]["responses"]
    assert {"200", "401", "403"} <= set(listing)
