"""Index runs: computed from an active system's indicators over a year, stored with their inputs,
reproduced from them, published.

`index_compute(system, year)` is fetch → calculate → save: the zones (the parks with an uploaded
value of the system for the year; every park when the system has no uploaded indicator), their
platform figures (ipfin.zoneindex.selectors.platform_values, one GROUP BY per metric) and their
uploaded values, as floats, with the indicators' directions and weights, are the run's `inputs`,
exactly what the rule (ipfin.zoneindex.domain.stored_index) is given; what it gives are the run's
`results`. `index_run_reproduce(run)` gives the rule the stored inputs again and answers the
results only if they equal the stored ones exactly (409 `index_run_not_reproduced` otherwise).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.accounts.permissions import Perm, require
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, ValidationFailed, invalid
from ipfin.zoneindex import selectors
from ipfin.zoneindex.domain import stored_index
from ipfin.zoneindex.models import (
    IndexRun,
    IndicatorDef,
    IndicatorSource,
    IndicatorSystem,
    SystemState,
)
from ipfin.zoneindex.services.common import locked_system, year_in

__all__ = ["index_compute", "index_inputs", "index_publish", "index_run_reproduce"]

MAX_MISSING_LISTED = 100


def _missing_values(missing: list[tuple[str, str]]) -> ValidationFailed:
    listed = missing[:MAX_MISSING_LISTED]
    return invalid(
        None,
        "zone_values_missing",
        "以下示范区缺少上报数值：" + "；".join(f"{zone}（{code}）" for zone, code in listed) + "。",
        "These zones lack uploaded values: "
        + "; ".join(f"{zone} ({code})" for zone, code in listed)
        + ".",
        missing=[{"zone": zone, "code": code} for zone, code in listed],
        missing_count=len(missing),
    )


def index_inputs(
    system: IndicatorSystem, indicators: list[IndicatorDef], year: int
) -> dict[str, Any]:
    """The inputs of a run of `system` over `year` (the module's docstring), or a 422:
    `index_no_zones` (no zone to rank), `zone_values_missing` (a zone without a value of an
    uploaded indicator, each listed)."""
    uploaded = [i.code for i in indicators if i.source == IndicatorSource.UPLOADED]
    zones = (
        selectors.zones_with_values(system=system, year=year) if uploaded else selectors.all_zones()
    )
    if not zones:
        raise invalid(
            "year",
            "index_no_zones",
            f"{year} 年没有可以排名的示范区：请先上传该年度的指标数值。",
            f"No zone to rank for {year}: upload the year's values first.",
        )
    ids = [pk for pk, _name in zones]
    platform = selectors.platform_values(
        metrics=[i.platform_metric for i in indicators if i.source == IndicatorSource.PLATFORM],
        year=year,
        zone_ids=ids,
    )
    values = selectors.uploaded_values(system=system, year=year, codes=uploaded)
    missing = [(name, code) for pk, name in zones for code in uploaded if (pk, code) not in values]
    if missing:
        raise _missing_values(missing)
    return {
        "method": system.method,
        "weighting": system.weighting,
        "indicators": [
            {
                "code": i.code,
                "direction": i.direction,
                "weight": None if i.weight is None else float(i.weight),
                "name_zh": i.name_zh,
                "name_en": i.name_en,
                "dimension": i.dimension,
                "source": i.source,
                "platform_metric": i.platform_metric,
            }
            for i in indicators
        ],
        "zones": [
            {
                "zone_id": pk,
                "name": name,
                "values": {
                    i.code: float(
                        platform[i.platform_metric][pk]
                        if i.source == IndicatorSource.PLATFORM
                        else values[(pk, i.code)]
                    )
                    for i in indicators
                },
            }
            for pk, name in zones
        ],
    }


def index_compute(*, actor: User, system: IndicatorSystem, year: Any) -> IndexRun:
    """A run of the active `system` over `year` (409 `system_not_active` for a draft or a retired
    version), stored with its inputs and results, not published."""
    require(actor, Perm.ZONE_INDEX_MANAGE)
    year = year_in(year)
    with transaction.atomic():
        locked = locked_system(system)
        if locked.state != SystemState.ACTIVE:
            raise Conflict(
                "只有启用中的指标体系可以计算指数。",
                "Only the active version of an indicator system is computed.",
                code="system_not_active",
                extra={"state": locked.state},
            )
        indicators = list(locked.indicators.order_by("id"))
        inputs = index_inputs(locked, indicators, year)
        results = stored_index(inputs)
        run = IndexRun.objects.create(
            system=locked,
            year=year,
            computed_at=timezone.now(),
            computed_by=actor,
            inputs=inputs,
            results=results,
        )
        audit_record(
            actor=actor,
            action="index.run_compute",
            obj=run,
            after={
                "system": locked.pk,
                "name": locked.name,
                "version": locked.version,
                "year": year,
                "zones": len(results["zones"]),
                "weights": results["weights"],
            },
        )
    return run


def index_run_reproduce(*, run: IndexRun) -> dict[str, Any]:
    """The run's results computed again from its stored inputs; a 409
    `index_run_not_reproduced` if they are not exactly the stored results."""
    recomputed = stored_index(run.inputs)
    if recomputed != run.results:
        raise Conflict(
            "按存储的输入重新计算的结果与存储的结果不一致。",
            "Computed again from its stored inputs, the run does not give its stored results.",
            code="index_run_not_reproduced",
        )
    return recomputed


def index_publish(*, actor: User, run: IndexRun) -> IndexRun:
    """The run published: the public ranking of its system's name and a point of each zone's
    history, after it is reproduced from its stored inputs (`index_run_reproduce`). Once (409
    `index_run_published`); irreversible. Only a run of the version now active (409
    `system_not_active`): a run computed before its version was retired would replace the
    active version's ranking. A later run of a year already published is its correction: it
    takes that year's place in the ranking and the zones' history (`selectors`)."""
    require(actor, Perm.ZONE_INDEX_MANAGE)
    with transaction.atomic():
        system = locked_system(run.system)  # the system before its run, as the computation
        locked = IndexRun.objects.select_for_update().get(pk=run.pk)
        if locked.published:
            raise Conflict(
                "该次计算已发布。",
                "The index run is published already.",
                code="index_run_published",
            )
        if system.state != SystemState.ACTIVE:
            raise Conflict(
                "该次计算所用的指标体系版本已不在启用中，不能发布；请用启用中的版本重新计算。",
                "The run's indicator system version is no longer the active one: compute the "
                "index again with the active version.",
                code="system_not_active",
                extra={"state": system.state},
            )
        index_run_reproduce(run=locked)  # what is published is what its inputs give
        locked.published, locked.published_at, locked.published_by = True, timezone.now(), actor
        locked.save(update_fields=["published", "published_at", "published_by"])
        audit_record(
            actor=actor,
            action="index.run_publish",
            obj=locked,
            after={"system": locked.system_id, "year": locked.year},
        )
    return locked
