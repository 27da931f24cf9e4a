"""Scenario `risk`: the post-lending side as a bank meets it on its first morning.

A court froze one of bank A's pledged patents ten days ago (财产保全, recorded by the office from
the court's notice: bank A was told at once), then the daily early-warning scan runs as of today
over every pledge in force and every loan — it finds that preservation, the overdue loans of the
lending scenario, annuities falling due, and whatever else the demo's facts call for."""

from __future__ import annotations

from datetime import timedelta

from ipfin.demo.scenarios.base import History
from ipfin.demo.scenarios.parties import Cast
from ipfin.pledges.models import Pledge, PledgeStateChoices
from ipfin.registry.services import right_event_record
from ipfin.risk.services import ScanSummary, risk_scan


def watch_risks(cast: Cast, history: History) -> ScanSummary:
    pledge = (
        Pledge.objects.filter(pledgee=cast.bank_a.organisation, state=PledgeStateChoices.REGISTERED)
        .order_by("pk")
        .first()
    )
    if pledge is not None:
        item = pledge.items.order_by("pk").first()
        if item is not None:
            right_event_record(
                actor=cast.examiner,
                right=item.right,
                type="preservation",
                date=history.today - timedelta(days=10),
                payload={"court": "北京知识产权法院"},
            )
    return risk_scan(on=history.today)
