"""Index runs through the real services: a run over three parks computed by hand, its stored
inputs reproducing its results exactly, the platform's figures of a zone and a year, publishing.

Test names carry their source: `issue15` ("a computed index stores its inputs and weights,
reproduces exactly from them, is ranked and published")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, PermissionDenied, ValidationFailed
from ipfin.stats.tests import conftest as stats_book
from ipfin.zoneindex import selectors, services
from ipfin.zoneindex.models import IndexRun, IndicatorSystem
from ipfin.zoneindex.tests.conftest import UPLOADED, Parks

pytestmark = pytest.mark.django_db

# The loan book of the monitoring tests: park P's member borrowed 300,000.00 on 2024-11-20 and
# 400,000.00 on 2025-01-15; a borrower outside any park 200,000.00 in 2025.
book = stats_book.book


@pytest.fixture
def uploaded(
    three_indicator_system: IndicatorSystem,
    examiner: User,
    parks: Parks,
    workbook: Callable[..., Any],
) -> IndicatorSystem:
    services.zone_values_upload(
        actor=examiner,
        system=three_indicator_system,
        year=timezone.localdate().year,
        uploaded_file=workbook(UPLOADED),
    )
    return three_indicator_system


def test_a_run_over_three_parks_is_computed_exactly_as_by_hand_issue15(
    uploaded: IndicatorSystem, park_loans: None, parks: Parks, examiner: User
) -> None:
    """minmax, weights 2 : 1 : 1 → 0.5, 0.25, 0.25.
    loans (platform, Σ principal): A 400,000, B 100,000, C 0 → x' 1, 0.25, 0;
    rd (uploaded, positive): A 2, B 4, C 3 → 0, 1, 0.5;
    npl (uploaded, negative): A 1, B 3, C 2 → (3 − x)/2: 1, 0, 0.5.
    contribution = 100 · w · x': A 50 + 0 + 25 = 75; B 12.5 + 25 + 0 = 37.5;
    C 0 + 12.5 + 12.5 = 25."""
    year = timezone.localdate().year
    run = services.index_compute(actor=examiner, system=uploaded, year=year)
    assert run.inputs == {
        "method": "minmax",
        "weighting": "fixed",
        "indicators": [
            {"code": "loans", "direction": "positive", "weight": 2.0, "name_zh": "质押贷款放款额",
             "name_en": "Pledge loans disbursed", "dimension": "finance", "source": "platform",
             "platform_metric": "loan_amount"},
            {"code": "rd", "direction": "positive", "weight": 1.0, "name_zh": "研发投入强度",
             "name_en": "R&D intensity", "dimension": "industry_base", "source": "uploaded",
             "platform_metric": ""},
            {"code": "npl", "direction": "negative", "weight": 1.0, "name_zh": "不良率",
             "name_en": "NPL ratio", "dimension": "environment", "source": "uploaded",
             "platform_metric": ""},
        ],
        "zones": [
            {"zone_id": parks.a.pk, "name": "甲园区",
             "values": {"loans": 400000.0, "rd": 2.0, "npl": 1.0}},
            {"zone_id": parks.b.pk, "name": "乙园区",
             "values": {"loans": 100000.0, "rd": 4.0, "npl": 3.0}},
            {"zone_id": parks.c.pk, "name": "丙园区",
             "values": {"loans": 0.0, "rd": 3.0, "npl": 2.0}},
        ],
    }  # fmt: skip
    assert run.results == {
        "weights": {"loans": 0.5, "rd": 0.25, "npl": 0.25},
        "zones": [
            {"zone_id": parks.a.pk, "name": "甲园区", "score": 75.0, "rank": 1,
             "contributions": {"loans": 50.0, "rd": 0.0, "npl": 25.0}},
            {"zone_id": parks.b.pk, "name": "乙园区", "score": 37.5, "rank": 2,
             "contributions": {"loans": 12.5, "rd": 25.0, "npl": 0.0}},
            {"zone_id": parks.c.pk, "name": "丙园区", "score": 25.0, "rank": 3,
             "contributions": {"loans": 0.0, "rd": 12.5, "npl": 12.5}},
        ],
    }  # fmt: skip
    assert (run.year, run.published, run.computed_by) == (year, False, examiner)
    audit = AuditRecord.objects.get(action="index.run_compute", object_id=str(run.pk))
    assert audit.after["zones"] == 3


def test_the_stored_inputs_reproduce_the_stored_results_exactly_issue15(
    uploaded: IndicatorSystem, park_loans: None, examiner: User
) -> None:
    run = services.index_compute(actor=examiner, system=uploaded, year=timezone.localdate().year)
    stored = IndexRun.objects.get(pk=run.pk)  # as the database gives them back
    assert services.index_run_reproduce(run=stored) == stored.results
    # A stored input changed (here, behind the services' back) no longer gives the results.
    stored.inputs["zones"][1]["values"]["rd"] = 5.0
    with pytest.raises(Conflict) as refused:
        services.index_run_reproduce(run=stored)
    assert refused.value.code == "index_run_not_reproduced"


def test_a_run_reads_the_values_of_its_time_later_uploads_change_only_later_runs_issue15(
    uploaded: IndicatorSystem, park_loans: None, examiner: User, workbook: Callable[..., Any]
) -> None:
    year = timezone.localdate().year
    first = services.index_compute(actor=examiner, system=uploaded, year=year)
    services.zone_values_upload(
        actor=examiner, system=uploaded, year=year, uploaded_file=workbook([("丙园区", "rd", 9)])
    )
    second = services.index_compute(actor=examiner, system=uploaded, year=year)
    first.refresh_from_db()
    assert first.inputs["zones"][2]["values"]["rd"] == 3.0
    assert second.inputs["zones"][2]["values"]["rd"] == 9.0
    assert services.index_run_reproduce(run=first) == first.results
    assert second.results["zones"][0]["name"] == "甲园区"


def test_the_platform_figures_of_a_park_and_a_year_issue15(book: stats_book.Book) -> None:
    """Park P's member E_a: 300,000.00 on 2024-11-20 (its first loan), 400,000.00 on 2025-01-15;
    E_b, in no park, 200,000.00 in 2025 (not P's)."""
    metrics = ["loan_amount", "loan_count", "borrowers", "first_time_borrowers"]
    p = book.park.pk
    in_2025 = selectors.platform_values(metrics=metrics, year=2025, zone_ids=[p])
    assert {m: in_2025[m][p] for m in metrics} == {
        "loan_amount": 400000,
        "loan_count": 1,
        "borrowers": 1,
        "first_time_borrowers": 0,  # E_a borrowed in 2024 already
    }
    assert str(in_2025["loan_amount"][p]) == "400000.00"
    in_2024 = selectors.platform_values(metrics=metrics, year=2024, zone_ids=[p])
    assert [in_2024[m][p] for m in metrics] == [300000, 1, 1, 1]
    in_2023 = selectors.platform_values(metrics=metrics, year=2023, zone_ids=[p])
    assert [in_2023[m][p] for m in metrics] == [0, 0, 0, 0]


def test_the_platform_figures_take_one_query_per_metric_whatever_the_loans(
    book: stats_book.Book, count_queries: Callable[..., int]
) -> None:
    ids = [book.park.pk]
    one = count_queries(lambda: selectors.platform_values(metrics=["loan_amount"], year=2025,
                                                          zone_ids=ids))  # fmt: skip
    four = count_queries(
        lambda: selectors.platform_values(
            metrics=["loan_amount", "loan_count", "borrowers", "first_time_borrowers"],
            year=2025,
            zone_ids=ids,
        )
    )
    assert (one, four) == (1, 4)


def test_a_draft_or_retired_system_is_not_computed(
    draft_system: IndicatorSystem, examiner: User
) -> None:
    with pytest.raises(Conflict) as refused:
        services.index_compute(actor=examiner, system=draft_system, year=2025)
    assert refused.value.code == "system_not_active"
    assert not IndexRun.objects.exists()


def test_a_zone_without_an_uploaded_value_is_named_and_nothing_is_computed(
    three_indicator_system: IndicatorSystem,
    parks: Parks,
    examiner: User,
    workbook: Callable[..., Any],
) -> None:
    services.zone_values_upload(
        actor=examiner,
        system=three_indicator_system,
        year=2025,
        uploaded_file=workbook([r for r in UPLOADED if r != ("乙园区", "npl", 3)]),
    )
    with pytest.raises(ValidationFailed) as refused:
        services.index_compute(actor=examiner, system=three_indicator_system, year=2025)
    assert refused.value.code == "zone_values_missing"
    assert refused.value.extra["missing"] == [{"zone": "乙园区", "code": "npl"}]
    with pytest.raises(ValidationFailed) as empty_year:
        services.index_compute(actor=examiner, system=three_indicator_system, year=2024)
    assert empty_year.value.code == "index_no_zones"
    assert not IndexRun.objects.exists()


def test_publish_once_then_it_is_the_public_ranking_and_the_zones_history_issue15(
    uploaded: IndicatorSystem, park_loans: None, parks: Parks, examiner: User
) -> None:
    year = timezone.localdate().year
    run = services.index_compute(actor=examiner, system=uploaded, year=year)
    assert selectors.published_latest() == []
    published = services.index_publish(actor=examiner, run=run)
    assert published.published and published.published_by == examiner
    assert published.published_at is not None
    with pytest.raises(Conflict) as again:
        services.index_publish(actor=examiner, run=run)
    assert again.value.code == "index_run_published"
    assert selectors.published_latest() == [published]
    history = selectors.zone_history(zone=parks.b)
    assert [(h.run.pk, h.score, h.rank, h.zones) for h in history] == [(run.pk, 37.5, 2, 3)]
    assert AuditRecord.objects.filter(action="index.run_publish", object_id=str(run.pk)).exists()


def test_the_latest_published_run_of_a_name_is_the_ranking_whatever_its_version(
    uploaded: IndicatorSystem, park_loans: None, parks: Parks, examiner: User
) -> None:
    year = timezone.localdate().year
    first = services.index_publish(
        actor=examiner, run=services.index_compute(actor=examiner, system=uploaded, year=year)
    )
    v2 = services.system_new_version(actor=examiner, system=uploaded)
    services.system_activate(actor=examiner, system=v2)
    second = services.index_publish(
        actor=examiner, run=services.index_compute(actor=examiner, system=v2, year=year)
    )
    assert selectors.published_latest() == [second]
    assert second.results == first.results  # the copy computes as the original did
    # The year once in the zone's history: the later publication takes the first's place.
    assert [h.run for h in selectors.zone_history(zone=parks.a)] == [second]


def test_an_earlier_years_run_published_later_fills_in_the_history_not_the_ranking(
    uploaded: IndicatorSystem,
    park_loans: None,
    parks: Parks,
    examiner: User,
    workbook: Callable[..., Any],
) -> None:
    year = timezone.localdate().year
    services.zone_values_upload(
        actor=examiner, system=uploaded, year=year - 2, uploaded_file=workbook(UPLOADED)
    )
    current = services.index_publish(
        actor=examiner, run=services.index_compute(actor=examiner, system=uploaded, year=year)
    )
    earlier = services.index_publish(
        actor=examiner, run=services.index_compute(actor=examiner, system=uploaded, year=year - 2)
    )
    assert selectors.published_latest() == [current]  # it showed the back-filled year
    assert [h.run for h in selectors.zone_history(zone=parks.a)] == [earlier, current]
    # A correction of the current year, published later, replaces it in both.
    correction = services.index_publish(
        actor=examiner, run=services.index_compute(actor=examiner, system=uploaded, year=year)
    )
    assert selectors.published_latest() == [correction]
    assert [h.run for h in selectors.zone_history(zone=parks.a)] == [earlier, correction]


def test_a_run_of_a_retired_version_is_not_published(
    uploaded: IndicatorSystem, park_loans: None, examiner: User
) -> None:
    """A run computed on v1 before v2 was activated would have replaced v2's ranking."""
    year = timezone.localdate().year
    stale = services.index_compute(actor=examiner, system=uploaded, year=year)
    v2 = services.system_new_version(actor=examiner, system=uploaded)
    services.system_activate(actor=examiner, system=v2)  # v1 retired
    fresh = services.index_publish(
        actor=examiner, run=services.index_compute(actor=examiner, system=v2, year=year)
    )
    with pytest.raises(Conflict) as refused:
        services.index_publish(actor=examiner, run=stale)
    assert refused.value.code == "system_not_active"
    stale.refresh_from_db()
    assert not stale.published
    assert selectors.published_latest() == [fresh]


def test_a_bank_may_not_compute_or_publish_and_nothing_changes(
    uploaded: IndicatorSystem, park_loans: None, examiner: User, bank_a_user: User
) -> None:
    year = timezone.localdate().year
    with pytest.raises(PermissionDenied):
        services.index_compute(actor=bank_a_user, system=uploaded, year=year)
    assert not IndexRun.objects.exists()
    run = services.index_compute(actor=examiner, system=uploaded, year=year)
    with pytest.raises(PermissionDenied):
        services.index_publish(actor=bank_a_user, run=run)
    run.refresh_from_db()
    assert not run.published and run.published_at is None


@pytest.mark.parametrize("year", ["1999", "2101", "abc", None, True])
def test_a_year_out_of_range_is_a_422(
    three_indicator_system: IndicatorSystem, examiner: User, year: Any
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.index_compute(actor=examiner, system=three_indicator_system, year=year)
    assert refused.value.extra["field"] == "year"


def test_a_system_without_uploaded_indicators_ranks_every_park(
    examiner: User, parks: Parks, park_loans: None
) -> None:
    system = services.system_create(
        actor=examiner, name="平台指数", method="minmax", weighting="entropy"
    )
    services.indicator_add(
        actor=examiner, system=system, code="loans", name_zh="放款额", name_en="Loans",
        dimension="finance", source="platform", platform_metric="loan_amount",
        direction="positive",
    )  # fmt: skip
    services.indicator_add(
        actor=examiner, system=system, code="firms", name_zh="获贷企业数", name_en="Borrowers",
        dimension="finance", source="platform", platform_metric="borrowers",
        direction="positive",
    )  # fmt: skip
    services.system_activate(actor=examiner, system=system)
    run = services.index_compute(actor=examiner, system=system, year=timezone.localdate().year)
    ranked = [(z["name"], z["rank"]) for z in run.results["zones"]]
    assert ranked == [("甲园区", 1), ("乙园区", 2), ("丙园区", 3)]
    assert run.inputs["indicators"][0]["weight"] is None  # entropy: no weight given
    assert services.index_run_reproduce(run=IndexRun.objects.get(pk=run.pk)) == run.results
