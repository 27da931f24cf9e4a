"""The demo's index (ipfin/demo/scenarios/zone_index.py), written through the services on the
demo's parties: one active system of four dimensions and six indicators (two computed by the
platform, four uploaded), two more parks beside the demo's own, the office's values and one
published run that its stored inputs reproduce — each write with its audit record."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ipfin.accounts.models import Organisation, OrganisationKind
from ipfin.audit.models import AuditRecord
from ipfin.demo.scenarios.base import History
from ipfin.demo.scenarios.parties import PARK, cast_parties
from ipfin.demo.scenarios.zone_index import publish_zone_index
from ipfin.zoneindex import selectors, services
from ipfin.zoneindex.models import IndicatorSystem, ZoneValue

pytestmark = pytest.mark.django_db


def test_the_demo_publishes_an_index_over_three_parks_through_the_services() -> None:
    history = History.ending(timezone.localdate())
    run = publish_zone_index(cast_parties(), history)
    system = IndicatorSystem.objects.get()
    assert (system.state, system.method, system.weighting) == ("active", "minmax", "fixed")
    indicators = list(system.indicators.all())
    assert len(indicators) == 6
    assert {i.dimension for i in indicators} == {"industry_base", "ip", "finance", "environment"}
    assert sorted(i.platform_metric for i in indicators if i.source == "platform") == [
        "borrowers",
        "loan_amount",
    ]
    parks = list(Organisation.objects.filter(kind=OrganisationKind.PARK).order_by("pk"))
    assert len(parks) == 3 and parks[0].name == PARK[1]
    assert ZoneValue.objects.filter(system=system).count() == 12  # 4 uploaded × 3 parks
    assert run.published and run.year == history.loan_a_disbursed.year
    assert selectors.published_latest() == [run]
    assert services.index_run_reproduce(run=run) == run.results
    # No loans in this test: the platform's columns are all 0 and weigh nothing. By hand:
    # 15·(860 − 710)/530 + 20·1 + 10·0.4 + 15·1 = 43.245…; 15 + 20·22.2/75.9 + 10 = 30.85…; 7.5.
    scores = [(z["name"], round(z["score"], 2), z["rank"]) for z in run.results["zones"]]
    assert scores == [(PARK[1], 43.25, 1), (parks[1].name, 30.85, 2), (parks[2].name, 7.5, 3)]
    for action in ("index.system_create", "index.system_activate", "index.values_upload",
                   "index.run_compute", "index.run_publish"):  # fmt: skip
        assert AuditRecord.objects.filter(action=action).count() == 1, action
    assert AuditRecord.objects.filter(action="index.indicator_add").count() == 6
