"""The index as a published product over the real HTTP stack: the office configures, uploads,
computes and publishes (/api/v1/index/systems…, /index/runs/…); the published rankings and each
zone's history are read by anyone; a bank is refused (403) and an anonymous caller asked to log
in (401) on every write, nothing changed.

Test names carry their source: `issue15`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from ipfin.accounts.models import Organisation, User
from ipfin.zoneindex import services
from ipfin.zoneindex.models import IndexRun, IndicatorDef, IndicatorSystem, ZoneValue
from ipfin.zoneindex.tests.conftest import UPLOADED, Parks, make_workbook

pytestmark = pytest.mark.django_db

API = "/api/v1/index"
INDICATORS = [
    {"code": "loans", "name_zh": "质押贷款放款额", "name_en": "Pledge loans disbursed",
     "dimension": "finance", "source": "platform", "platform_metric": "loan_amount",
     "direction": "positive", "weight": 2},
    {"code": "rd", "name_zh": "研发投入强度", "name_en": "R&D intensity",
     "dimension": "industry_base", "source": "uploaded", "direction": "positive", "weight": "1"},
    {"code": "npl", "name_zh": "不良率", "name_en": "NPL ratio", "dimension": "environment",
     "source": "uploaded", "direction": "negative", "weight": 1.0},
]  # fmt: skip


def test_the_office_configures_uploads_computes_and_publishes_and_anyone_reads_it_issue15(
    api_client: Callable[..., Any], examiner: User, parks: Parks, park_loans: None
) -> None:
    office = api_client(examiner)
    year = timezone.localdate().year
    created = office.post_json(
        f"{API}/systems", {"name": "示范区指数", "method": "minmax", "weighting": "fixed"}
    )
    assert created.status_code == 201, created.content
    system = created.json()
    assert (system["version"], system["state"], system["indicators"]) == (1, "draft", [])
    sid = system["id"]
    for body in INDICATORS:
        added = office.post_json(f"{API}/systems/{sid}/indicators", body)
        assert added.status_code == 201, added.content
    assert added.json()["weight"] == "1.000000"
    activated = office.post_json(f"{API}/systems/{sid}/activate")
    assert (activated.status_code, activated.json()["state"]) == (200, "active")
    uploaded = office.post(
        f"{API}/systems/{sid}/values", {"file": make_workbook(UPLOADED), "year": str(year)}
    )
    assert uploaded.status_code == 200, uploaded.content
    assert uploaded.json() == {
        "system_id": sid, "year": year, "filename": "values.xlsx", "rows": 6, "created": 6,
        "updated": 0,
    }  # fmt: skip
    computed = office.post_json(f"{API}/systems/{sid}/runs", {"year": year})
    assert computed.status_code == 201, computed.content
    run = computed.json()
    assert run["published"] is False
    assert [(z["name"], z["score"], z["rank"]) for z in run["zones"]] == [
        ("甲园区", 75.0, 1),
        ("乙园区", 37.5, 2),
        ("丙园区", 25.0, 3),
    ]
    assert run["zones"][1]["contributions"] == {"loans": 12.5, "rd": 25.0, "npl": 0.0}
    assert run["zones"][1]["values"] == {"loans": 100000.0, "rd": 4.0, "npl": 3.0}
    assert [(i["code"], i["weight"]) for i in run["indicators"]] == [
        ("loans", 0.5),
        ("rd", 0.25),
        ("npl", 0.25),
    ]
    anonymous = api_client()
    assert anonymous.get(f"{API}/published").json() == []  # not published yet
    published = office.post_json(f"{API}/runs/{run['id']}/publish")
    assert published.status_code == 200 and published.json()["published"] is True
    again = office.post_json(f"{API}/runs/{run['id']}/publish")
    assert (again.status_code, again.json()["code"]) == (409, "index_run_published")
    public = anonymous.get(f"{API}/published")
    assert public.status_code == 200
    (ranking,) = public.json()
    assert ranking["id"] == run["id"] and ranking["zones"] == run["zones"]
    assert ranking["system"] == {"id": sid, "name": "示范区指数", "version": 1}
    history = anonymous.get(f"{API}/zones/{parks.b.pk}/history")
    assert history.status_code == 200
    assert history.json()["zone"] == {"id": parks.b.pk, "name": "乙园区"}
    assert [(h["run_id"], h["year"], h["score"], h["rank"], h["zones"])
            for h in history.json()["runs"]] == [(run["id"], year, 37.5, 2, 3)]  # fmt: skip


def test_an_active_system_takes_no_indicator_over_the_api_409(
    api_client: Callable[..., Any], examiner: User, three_indicator_system: IndicatorSystem
) -> None:
    response = api_client(examiner).post_json(
        f"{API}/systems/{three_indicator_system.pk}/indicators",
        {**INDICATORS[1], "code": "new"},
    )
    assert (response.status_code, response.json()["code"]) == (409, "system_not_draft")
    made = api_client(examiner).post_json(f"{API}/systems/{three_indicator_system.pk}/versions")
    assert made.status_code == 201
    assert (made.json()["version"], made.json()["state"]) == (2, "draft")
    assert [i["code"] for i in made.json()["indicators"]] == ["loans", "rd", "npl"]


def test_a_workbook_with_a_wrong_row_is_a_422_listing_the_row_and_stores_nothing(
    api_client: Callable[..., Any],
    examiner: User,
    parks: Parks,
    three_indicator_system: IndicatorSystem,
) -> None:
    rows = [*UPLOADED[:2], ("丁园区", "rd", 1), *UPLOADED[3:]]
    response = api_client(examiner).post(
        f"{API}/systems/{three_indicator_system.pk}/values",
        {"file": make_workbook(rows), "year": "2025"},
    )
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"], body["rows_invalid"]) == ("values_rows_invalid", "file", 1)
    assert [(p["row"], p["code"]) for p in body["problems"]] == [(4, "zone_unknown")]
    assert not ZoneValue.objects.exists()


def _writes(system: IndicatorSystem, run: IndexRun) -> list[tuple[str, Any]]:
    return [
        (f"{API}/systems", {"name": "银行的体系", "method": "minmax", "weighting": "fixed"}),
        (f"{API}/systems/{system.pk}/indicators", {**INDICATORS[1], "code": "other"}),
        (f"{API}/systems/{system.pk}/activate", {}),
        (f"{API}/systems/{system.pk}/versions", {}),
        (f"{API}/systems/{system.pk}/runs", {"year": 2025}),
        (f"{API}/runs/{run.pk}/publish", {}),
    ]


@pytest.mark.parametrize(("caller", "status"), [("bank", 403), ("anonymous", 401)])
def test_a_bank_is_refused_and_an_anonymous_caller_asked_to_log_in_nothing_changes(
    api_client: Callable[..., Any],
    examiner: User,
    bank_a_user: User,
    parks: Parks,
    park_loans: None,
    three_indicator_system: IndicatorSystem,
    caller: str,
    status: int,
) -> None:
    system = three_indicator_system
    year = timezone.localdate().year
    services.zone_values_upload(
        actor=examiner, system=system, year=year, uploaded_file=make_workbook(UPLOADED)
    )
    run = services.index_compute(actor=examiner, system=system, year=year)
    client = api_client(bank_a_user if caller == "bank" else None)

    def counts() -> tuple[int, ...]:
        models = (IndicatorSystem, IndicatorDef, ZoneValue, IndexRun)
        published = IndexRun.objects.filter(published=True).count()
        return (*(m.objects.count() for m in models), published)

    before = counts()
    for url, body in _writes(system, run):
        response = client.post_json(url, body)
        assert (response.status_code, url) == (status, url)
    upload = client.post(
        f"{API}/systems/{system.pk}/values", {"file": make_workbook(UPLOADED), "year": "2024"}
    )
    assert upload.status_code == status
    assert client.get(f"{API}/systems").status_code == status
    assert counts() == before
    # The public reads answer them both.
    assert client.get(f"{API}/published").status_code == 200
    assert client.get(f"{API}/zones/{parks.a.pk}/history").status_code == 200


def test_the_office_lists_its_systems(
    api_client: Callable[..., Any], examiner: User, three_indicator_system: IndicatorSystem
) -> None:
    response = api_client(examiner).get(f"{API}/systems")
    assert response.status_code == 200
    (system,) = response.json()
    assert (system["name"], system["state"]) == ("示范区指数", "active")
    assert [i["code"] for i in system["indicators"]] == ["loans", "rd", "npl"]


def test_a_zone_that_is_not_a_park_is_a_404(
    api_client: Callable[..., Any], bank_a: Organisation
) -> None:
    for zone_id in (bank_a.pk, 999_999):
        response = api_client().get(f"{API}/zones/{zone_id}/history")
        assert (response.status_code, response.json()["code"]) == (404, "zone_not_found")


def test_the_published_rankings_take_the_same_queries_for_one_system_or_two(
    api_client: Callable[..., Any],
    examiner: User,
    parks: Parks,
    three_indicator_system: IndicatorSystem,
    count_queries: Callable[..., int],
) -> None:
    def publish(system: IndicatorSystem) -> None:
        codes = set(system.indicators.values_list("code", flat=True))
        rows = [row for row in UPLOADED if row[1] in codes]
        services.zone_values_upload(
            actor=examiner, system=system, year=2025, uploaded_file=make_workbook(rows)
        )
        run = services.index_compute(actor=examiner, system=system, year=2025)
        services.index_publish(actor=examiner, run=run)

    anonymous = api_client()
    publish(three_indicator_system)
    one = count_queries(lambda: anonymous.get(f"{API}/published"))
    other = services.system_create(actor=examiner, name="另一指数", method="zscore",
                                   weighting="fixed")  # fmt: skip
    services.indicator_add(
        actor=examiner, system=other, code="rd", name_zh="研发", name_en="R&D",
        dimension="ip", source="uploaded", direction="positive", weight="1",
    )  # fmt: skip
    services.system_activate(actor=examiner, system=other)
    publish(other)
    two = count_queries(lambda: anonymous.get(f"{API}/published"))
    assert len(anonymous.get(f"{API}/published").json()) == 2
    assert one == two
