"""Reads of the demonstration-zone index (示范区指数).

Who sees what: the indicator systems, the uploaded values and the runs not yet published are the
IP office's working material (`Perm.ZONE_INDEX_MANAGE`: 401 / 403 for anyone else); the
published runs, their rankings and each zone's history are public.

A zone is a park (an `Organisation` of kind park) for now. The platform's figures of a zone and a
year (`platform_values`) are read over the loans disbursed in that year to the enterprises that
are the park's members when the run is computed, one GROUP BY per metric:

- `loan_amount`: Σ principal disbursed, summed in integer fen (each principal rounded to the fen
  first, so that SQLite's floating point gives exact sums), in yuan;
- `loan_count`: the number of those loans;
- `borrowers`: the distinct enterprises among their borrowers;
- `first_time_borrowers`: those of them with no loan disbursed before the year (首贷).
A zone with no such loan has 0 for each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast, Round

from ipfin.accounts.models import Organisation, OrganisationKind
from ipfin.accounts.permissions import Actor, Perm, require
from ipfin.common.errors import NotFound
from ipfin.loans.models import Loan
from ipfin.zoneindex.models import (
    IndexRun,
    IndicatorDef,
    IndicatorSystem,
    PlatformMetric,
    ZoneValue,
)

__all__ = [
    "ZoneHistoryEntry",
    "all_zones",
    "index_run_get",
    "index_run_list",
    "indicator_get",
    "platform_values",
    "published_latest",
    "system_get",
    "system_list",
    "uploaded_values",
    "value_years",
    "zone_get",
    "zone_history",
    "zones_with_values",
]


# --- the office's material -----------------------------------------------------------------------


def system_list(*, actor: Actor) -> QuerySet[IndicatorSystem]:
    """Every indicator system, each name's versions newest first, with its indicators (the
    office only)."""
    require(actor, Perm.ZONE_INDEX_MANAGE)
    return (
        IndicatorSystem.objects.select_related("created_by")
        .prefetch_related("indicators")
        .order_by("name", "-version")
    )


def system_get(*, actor: Actor, pk: int) -> IndicatorSystem:
    require(actor, Perm.ZONE_INDEX_MANAGE)
    system = system_list(actor=actor).filter(pk=pk).first()
    if system is None:
        raise NotFound("未找到该指标体系。", "No such indicator system.", code="system_not_found")
    return system


def indicator_get(*, actor: Actor, pk: int) -> IndicatorDef:
    require(actor, Perm.ZONE_INDEX_MANAGE)
    indicator = IndicatorDef.objects.select_related("system").filter(pk=pk).first()
    if indicator is None:
        raise NotFound("未找到该指标。", "No such indicator.", code="indicator_not_found")
    return indicator


def value_years(*, actor: Actor, system: IndicatorSystem) -> list[dict[str, Any]]:
    """The years the system has uploaded values for, newest first: {year, zones, values}."""
    require(actor, Perm.ZONE_INDEX_MANAGE)
    rows = (
        ZoneValue.objects.filter(system=system)
        .order_by("-year")
        .values("year")
        .annotate(zones=Count("zone", distinct=True), values=Count("pk"))
    )
    return [dict(row) for row in rows]


def index_run_list(*, actor: Actor, system: IndicatorSystem | None = None) -> QuerySet[IndexRun]:
    require(actor, Perm.ZONE_INDEX_MANAGE)
    runs = IndexRun.objects.select_related("system", "computed_by", "published_by")
    if system is not None:
        runs = runs.filter(system=system)
    return runs.order_by("-computed_at", "-id")


def index_run_get(*, actor: Actor, pk: int) -> IndexRun:
    run = index_run_list(actor=actor).filter(pk=pk).first()
    if run is None:
        raise NotFound("未找到该次计算。", "No such index run.", code="index_run_not_found")
    return run


# --- what a run reads -----------------------------------------------------------------------------


def zones_with_values(*, system: IndicatorSystem, year: int) -> list[tuple[int, str]]:
    """The zones (id, name) that have an uploaded value of the system for the year, in the order
    they were registered (the same on every database; ties of a run keep it)."""
    return list(
        Organisation.objects.filter(
            kind=OrganisationKind.PARK,
            pk__in=ZoneValue.objects.filter(system=system, year=year).values("zone"),
        )
        .order_by("pk")
        .values_list("pk", "name")
    )


def all_zones() -> list[tuple[int, str]]:
    """Every park (id, name), in the order they were registered."""
    return list(
        Organisation.objects.filter(kind=OrganisationKind.PARK)
        .order_by("pk")
        .values_list("pk", "name")
    )


def uploaded_values(
    *, system: IndicatorSystem, year: int, codes: Iterable[str]
) -> dict[tuple[int, str], Decimal]:
    """{(zone id, code): value} of the system's uploaded values for the year and the codes."""
    rows = ZoneValue.objects.filter(system=system, year=year, code__in=list(codes))
    return {(zone, code): value for zone, code, value in rows.values_list("zone", "code", "value")}


def _loans_in(year: int, zone_ids: Sequence[int]) -> QuerySet[Loan]:
    return Loan.objects.filter(
        disbursed_on__gte=date(year, 1, 1),
        disbursed_on__lte=date(year, 12, 31),
        enterprise__park_id__in=list(zone_ids),
    ).order_by()


def _metric_sums(metric: str, year: int, zone_ids: Sequence[int]) -> dict[int, Any]:
    loans = _loans_in(year, zone_ids)
    if metric == PlatformMetric.FIRST_TIME_BORROWERS:
        earlier = Loan.objects.filter(
            enterprise=OuterRef("enterprise"), disbursed_on__lt=date(year, 1, 1)
        )
        loans = loans.exclude(Exists(earlier))
    aggregate: Any = {
        PlatformMetric.LOAN_AMOUNT: Sum(
            Cast(Round(F("principal") * 100), output_field=BigIntegerField())
        ),
        PlatformMetric.LOAN_COUNT: Count("pk"),
        PlatformMetric.BORROWERS: Count("enterprise", distinct=True),
        PlatformMetric.FIRST_TIME_BORROWERS: Count("enterprise", distinct=True),
    }[PlatformMetric(metric)]
    rows = loans.values_list("enterprise__park_id").annotate(v=aggregate)
    return {park: value or 0 for park, value in rows if park is not None}


def platform_values(
    *, metrics: Iterable[str], year: int, zone_ids: Sequence[int]
) -> dict[str, dict[int, Decimal]]:
    """{metric: {zone id: value}} for every metric and zone (0 without loans): one GROUP BY per
    metric (the module's docstring); `loan_amount` in yuan, to the fen."""
    out: dict[str, dict[int, Decimal]] = {}
    for metric in dict.fromkeys(metrics):  # at most one query per metric of PlatformMetric
        sums = _metric_sums(metric, year, zone_ids)
        scale = -2 if metric == PlatformMetric.LOAN_AMOUNT else 0
        out[metric] = {z: Decimal(int(sums.get(z, 0))).scaleb(scale) for z in zone_ids}
    return out


# --- the public reads ----------------------------------------------------------------------------


def published_latest() -> list[IndexRun]:
    """The published run of each system name (any version) for its latest year, the last one
    published for that year (a correction replaces it), by name: the public ranking. A run of an
    earlier year published later (history filled in) does not take the current year's place.
    One query."""
    latest = (
        IndexRun.objects.filter(published=True, system__name=OuterRef("system__name"))
        .order_by("-year", "-published_at", "-id")
        .values("pk")[:1]
    )
    return list(
        IndexRun.objects.filter(published=True, pk=Subquery(latest))
        .select_related("system")
        .order_by("system__name", "-published_at")
    )


def zone_get(*, pk: int) -> Organisation:
    """A zone (a park) of the public pages: any other id is a 404."""
    zone = Organisation.objects.filter(pk=pk, kind=OrganisationKind.PARK).first()
    if zone is None:
        raise NotFound("未找到该示范区。", "No such zone.", code="zone_not_found")
    return zone


@dataclass(frozen=True)
class ZoneHistoryEntry:
    run: IndexRun
    score: float
    rank: int
    zones: int  # how many zones the run ranked
    contributions: dict[str, float]


def zone_history(*, zone: Organisation) -> list[ZoneHistoryEntry]:
    """The zone's score and rank in each system name's published run of each year that ranked
    it (the last one published for that year: a correction replaces the first), by year, oldest
    first. One query; each run's stored results are read as stored."""
    runs = (
        IndexRun.objects.filter(published=True)
        .select_related("system")
        .order_by("year", "published_at", "id")
    )
    # Each (name, year) once: the last published (the runs come in publication order).
    last: dict[tuple[str, int], IndexRun] = {}
    for run in runs:
        last[(run.system.name, run.year)] = run
    entries = []
    for run in sorted(last.values(), key=lambda r: (r.year, r.published_at, r.pk)):
        rows = run.results["zones"]
        row = next((r for r in rows if r["zone_id"] == zone.pk), None)
        if row is not None:
            entries.append(
                ZoneHistoryEntry(run, row["score"], row["rank"], len(rows), row["contributions"])
            )
    return entries
