"""REST adapter of the demonstration-zone index (示范区指数): parse → one service / selector →
serialise.

- POST /index/preview: the zones' scores, ranks and each indicator's contribution under the
  method and weighting given (ipfin.zoneindex.domain), nothing saved.
- The IP office's (`Perm.ZONE_INDEX_MANAGE`; 401 / 403 for anyone else): GET and POST
  /index/systems, POST /index/systems/{system_id}/indicators (a draft's), …/activate,
  …/versions (a new draft version, a copy), …/values (the workbook of the uploaded indicators'
  values for a year, multipart), …/runs (a run of the active version over a year), POST
  /index/runs/{index_run_id}/publish.
- Public: GET /index/published (the latest published run of each system, with ranks and
  contributions), GET /index/zones/{zone_id}/history (a zone's score and rank in each published
  run).

The calculator and the public reads are open to anyone (no security in the document; a bad
bearer token is still a 401).
Anonymous callers share the calculators' count per address, IPFIN_ANON_CALCULATOR_RATE
(ipfin.accounts.ratelimit: 429 `rate_limited` with Retry-After), with the other previews. A field
the schema refuses is a 422 `invalid_input`; a rule the schema cannot state is a 422 with its code
and `field`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from ipfin.accounts.auth import ApiAuth
from ipfin.accounts.ratelimit import ANON_CALCULATOR_THROTTLE, ANON_READ_THROTTLE
from ipfin.zoneindex import presentation, selectors, services
from ipfin.zoneindex.domain import IndicatorSpec, zone_index
from ipfin.zoneindex.models import IndexRun, IndicatorDef, IndicatorSystem
from ipfin.zoneindex.schemas import (
    IndexIndicatorIn,
    IndexIndicatorOut,
    IndexRunIn,
    IndexRunOut,
    IndexSystemIn,
    IndexSystemOut,
    IndexValuesOut,
    IndexZoneHistoryOut,
    ZoneIndexPreviewIn,
    ZoneIndexPreviewOut,
)

router = Router()
LIST_LIMIT = 500


@router.post(
    "/index/preview",
    response=ZoneIndexPreviewOut,
    auth=ApiAuth(optional=True),
    throttle=ANON_CALCULATOR_THROTTLE,
)
def zone_index_preview(request: HttpRequest, payload: ZoneIndexPreviewIn) -> dict[str, Any]:
    """示范区指数: each indicator normalised over the zones — minmax x' = (x − min)/(max − min),
    negative (max − x)/(max − min); zscore x' = (x − mean)/population sd, sign flipped for a
    negative indicator; all values equal: 0 — then weighted: fixed, the weights given (> 0) over
    their sum; entropy (熵权法, minmax only, at least 2 zones; any weight given is ignored),
    p = x'/Σx', e = −Σ p ln p / ln n, w = (1 − e)/Σ(1 − e). contribution = 100 × w × x', score =
    Σ contributions, rank by score descending (scores within 1e-9 share a rank: 1, 2, 2, 4);
    the zones come by rank, those of one rank in the order given.
    Refused with a 422 naming the field: a zone without a value for an indicator or with one
    for an unknown code, a non-finite number, a missing or non-positive fixed weight, blank or
    repeated codes and zone names, and more than the bounds the schema states. Nothing is
    saved."""
    zones = payload.zones
    return zone_index(
        method=payload.method,
        weighting=payload.weighting,
        indicators=[IndicatorSpec(i.code, i.direction, i.weight) for i in payload.indicators],
        zone_names=[zone.zone for zone in zones],
        zone_values=[zone.values for zone in zones],
    ).ranked()


# --- the published product --------------------------------------------------------------------


def _indicator(indicator: IndicatorDef) -> dict[str, Any]:
    return {
        "id": indicator.pk,
        "code": indicator.code,
        "name_zh": indicator.name_zh,
        "name_en": indicator.name_en,
        "dimension": indicator.dimension,
        "source": indicator.source,
        "platform_metric": indicator.platform_metric,
        "direction": indicator.direction,
        "weight": None if indicator.weight is None else str(indicator.weight),
    }


def _system(system: IndicatorSystem) -> dict[str, Any]:
    return {
        "id": system.pk,
        "name": system.name,
        "version": system.version,
        "method": system.method,
        "weighting": system.weighting,
        "state": system.state,
        "derived_from": system.derived_from_id,
        "created_at": system.created_at,
        "activated_at": system.activated_at,
        "retired_at": system.retired_at,
        "indicators": [_indicator(i) for i in system.indicators.all()],
    }


def _run(run: IndexRun) -> dict[str, Any]:
    table = presentation.run_table(run)
    return {
        "id": run.pk,
        "system": {"id": run.system_id, "name": run.system.name, "version": run.system.version},
        "year": run.year,
        "method": table.method,
        "weighting": table.weighting,
        "computed_at": run.computed_at,
        "published": run.published,
        "published_at": run.published_at,
        "indicators": [
            {
                "code": i.code,
                "name_zh": i.name_zh,
                "name_en": i.name_en,
                "dimension": i.dimension,
                "source": i.source,
                "platform_metric": i.platform_metric,
                "direction": i.direction,
                "weight": i.weight,
            }
            for i in table.indicators
        ],
        "zones": [
            {
                "zone_id": z.zone_id,
                "name": z.name,
                "score": z.score,
                "rank": z.rank,
                "contributions": z.contributions,
                "values": z.values,
            }
            for z in table.zones
        ],
    }


@router.get("/index/systems", response=list[IndexSystemOut])
def index_system_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Every indicator system, each name's versions newest first, with its indicators."""
    return [_system(s) for s in selectors.system_list(actor=request.user)[:LIST_LIMIT]]


@router.post("/index/systems", response={201: IndexSystemOut})
def index_system_create(request: HttpRequest, payload: IndexSystemIn) -> Status[dict[str, Any]]:
    """Version 1 of a new system, a draft (409 `system_name_taken` for a name in use)."""
    system = services.system_create(
        actor=request.user, name=payload.name, method=payload.method, weighting=payload.weighting
    )
    return Status(201, _system(selectors.system_get(actor=request.user, pk=system.pk)))


@router.post("/index/systems/{int:system_id}/indicators", response={201: IndexIndicatorOut})
def index_indicator_add(
    request: HttpRequest, system_id: int, payload: IndexIndicatorIn
) -> Status[dict[str, Any]]:
    """An indicator of a draft (409 `system_not_draft` for an active or retired version: make a
    new version)."""
    system = selectors.system_get(actor=request.user, pk=system_id)
    indicator = services.indicator_add(actor=request.user, system=system, **payload.dict())
    return Status(201, _indicator(indicator))


@router.post("/index/systems/{int:system_id}/activate", response=IndexSystemOut)
def index_system_activate(request: HttpRequest, system_id: int) -> dict[str, Any]:
    """The draft becomes the active version of its name; the one active before is retired."""
    system = selectors.system_get(actor=request.user, pk=system_id)
    services.system_activate(actor=request.user, system=system)
    return _system(selectors.system_get(actor=request.user, pk=system_id))


@router.post("/index/systems/{int:system_id}/versions", response={201: IndexSystemOut})
def index_system_new_version(request: HttpRequest, system_id: int) -> Status[dict[str, Any]]:
    """A new draft version of the system's name, a copy of this version (its indicators and its
    uploaded values)."""
    system = selectors.system_get(actor=request.user, pk=system_id)
    copy = services.system_new_version(actor=request.user, system=system)
    return Status(201, _system(selectors.system_get(actor=request.user, pk=copy.pk)))


@router.post("/index/systems/{int:system_id}/values", response=IndexValuesOut)
def index_values_upload(
    request: HttpRequest, system_id: int, file: File[UploadedFile], year: Form[str]
) -> dict[str, Any]:
    """The values of the system's uploaded indicators for `year` (multipart: `file`, an .xlsx of
    ≤ 2 MB — columns zone name or credit code, indicator code, value — and `year`). Every row is
    checked first: a wrong row is a 422 `values_rows_invalid` listing each wrong row's number in
    `problems`, and nothing is stored; else all rows are, replacing earlier values."""
    system = selectors.system_get(actor=request.user, pk=system_id)
    upload = services.zone_values_upload(
        actor=request.user, system=system, year=year, uploaded_file=file
    )
    return {
        "system_id": upload.system_id,
        "year": upload.year,
        "filename": upload.filename,
        "rows": upload.rows,
        "created": upload.created,
        "updated": upload.updated,
    }


@router.post("/index/systems/{int:system_id}/runs", response={201: IndexRunOut})
def index_run_compute(
    request: HttpRequest, system_id: int, payload: IndexRunIn
) -> Status[dict[str, Any]]:
    """A run of the active version over `year`, stored with its inputs, not yet published
    (409 `system_not_active`; 422 `index_no_zones`, `zone_values_missing`)."""
    system = selectors.system_get(actor=request.user, pk=system_id)
    run = services.index_compute(actor=request.user, system=system, year=payload.year)
    return Status(201, _run(selectors.index_run_get(actor=request.user, pk=run.pk)))


@router.post("/index/runs/{int:index_run_id}/publish", response=IndexRunOut)
def index_run_publish(request: HttpRequest, index_run_id: int) -> dict[str, Any]:
    """Publish the run, once (409 `index_run_published`), after reproducing it from its stored
    inputs (409 `index_run_not_reproduced`)."""
    run = selectors.index_run_get(actor=request.user, pk=index_run_id)
    services.index_publish(actor=request.user, run=run)
    return _run(selectors.index_run_get(actor=request.user, pk=index_run_id))


@router.get(
    "/index/published",
    response=list[IndexRunOut],
    auth=ApiAuth(optional=True),
    throttle=ANON_READ_THROTTLE,
)
def index_published(request: HttpRequest) -> list[dict[str, Any]]:
    """The latest published run of each system (of any of its versions), by name: each zone's
    score, rank, values and each indicator's contribution. Anonymous callers: at most
    IPFIN_ANON_READ_RATE requests per address (429 `rate_limited` with Retry-After)."""
    return [_run(run) for run in selectors.published_latest()]


@router.get(
    "/index/zones/{int:zone_id}/history",
    response=IndexZoneHistoryOut,
    auth=ApiAuth(optional=True),
    throttle=ANON_READ_THROTTLE,
)
def index_zone_history(request: HttpRequest, zone_id: int) -> dict[str, Any]:
    """The zone's score and rank in each published run that ranked it, by year (404 for an id
    that is no zone). Anonymous callers: at most IPFIN_ANON_READ_RATE requests per address, with
    the ranking's (429 `rate_limited` with Retry-After)."""
    zone = selectors.zone_get(pk=zone_id)
    return {
        "zone": {"id": zone.pk, "name": zone.name},
        "runs": [
            {
                "run_id": h.run.pk,
                "system": {"id": h.run.system_id, "name": h.run.system.name,
                           "version": h.run.system.version},
                "year": h.run.year,
                "published_at": h.run.published_at,
                "score": h.score,
                "rank": h.rank,
                "zones": h.zones,
            }
            for h in selectors.zone_history(zone=zone)
        ],
    }  # fmt: skip
