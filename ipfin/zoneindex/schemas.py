"""Input and output schemas of the demonstration-zone index (示范区指数): the calculator, and the
published product (indicator systems, the office's values, runs).

Shape and type only. The calculator's: the methods, the weighting and the directions are enums,
every number is a JSON number (a string or a boolean is a 422 `invalid_input`). The bounds and
what the schema cannot say (codes and names not blank and not repeated, a value for each
indicator and for no other, finite numbers, a weight > 0 for fixed weighting) are the rules'
(ipfin.zoneindex.domain), each a 422 with its code and `field`. The bounds are stated here with
the rules' own constants, as JSON schema only (`json_schema_extra`), so that the document says
exactly what the rules hold a request to and the refusal still names the field. The product's:
the texts and choices of a system and its indicators are checked by its services
(ipfin.zoneindex.services, a 422 naming the field), the document listing the choices; a weight is
a decimal, a JSON number or a string of one.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema
from pydantic import StrictFloat

from ipfin.common.schemas import OrganisationRef
from ipfin.zoneindex.domain import (
    MAX_CODE_LENGTH,
    MAX_INDICATORS,
    MAX_ZONE_NAME_LENGTH,
    MAX_ZONES,
    IndexMethod,
    IndexWeighting,
    IndicatorDirection,
)
from ipfin.zoneindex.models import Dimension, IndicatorSource, PlatformMetric


class ZoneIndexIndicatorIn(Schema):
    code: str = Field(
        ...,
        description="the indicator's code, the key of its value in each zone's `values`; not "
        "blank, unique",
        json_schema_extra={"minLength": 1, "maxLength": MAX_CODE_LENGTH},
    )
    direction: IndicatorDirection = Field(
        ..., description="positive: 正向, more is better; negative: 逆向, less is better"
    )
    weight: StrictFloat | None = Field(
        None,
        description="weighting fixed: required, > 0 (the weights are divided by their sum); "
        "weighting entropy: ignored",
    )


class ZoneIndexZoneIn(Schema):
    zone: str = Field(
        ...,
        description="the zone's name (示范区); not blank, unique",
        json_schema_extra={"minLength": 1, "maxLength": MAX_ZONE_NAME_LENGTH},
    )
    values: dict[str, StrictFloat] = Field(
        ..., description="a finite number for every indicator code, and for no other"
    )


class ZoneIndexPreviewIn(Schema):
    method: IndexMethod = Field(
        ..., description="minmax: 极差标准化 to 0..1; zscore: (x − mean) / population sd"
    )
    weighting: IndexWeighting = Field(
        ...,
        description="fixed: the indicators' weights; entropy: 熵权法 from the values (minmax "
        "only, at least 2 zones; a weight given is ignored)",
    )
    indicators: list[ZoneIndexIndicatorIn] = Field(
        ..., json_schema_extra={"minItems": 1, "maxItems": MAX_INDICATORS}
    )
    zones: list[ZoneIndexZoneIn] = Field(
        ..., json_schema_extra={"minItems": 1, "maxItems": MAX_ZONES}
    )


class ZoneIndexZoneOut(Schema):
    zone: str
    score: float = Field(..., description="Σ contributions (minmax: 0 to 100)")
    rank: int = Field(
        ..., description="1 = the highest score; scores within 1e-9 share a rank (1, 2, 2, 4)"
    )
    contributions: dict[str, float] = Field(
        ..., description="by indicator code: 100 × weight × normalised value"
    )


class ZoneIndexPreviewOut(Schema):
    weights: dict[str, float] = Field(
        ..., description="by indicator code, in the order given; they sum to 1"
    )
    zones: list[ZoneIndexZoneOut] = Field(
        ..., description="by rank, zones of one rank in the order given"
    )


# --- the published product: systems, values, runs ---------------------------------------------


class IndexSystemIn(Schema):
    name: str = Field(..., description="the system's name; versions of one name share it")
    method: IndexMethod = Field(..., description="minmax: 极差标准化; zscore: Z-score 标准化")
    weighting: IndexWeighting = Field(
        ..., description="fixed: each indicator's weight; entropy: 熵权法 (minmax only)"
    )


class IndexIndicatorIn(Schema):
    code: str = Field(
        ...,
        description="a letter, then letters, digits or underscores; once per system (the key of "
        "its values in the workbook and in a run's inputs)",
        json_schema_extra={"maxLength": MAX_CODE_LENGTH},
    )
    name_zh: str = Field(..., json_schema_extra={"maxLength": 100})
    name_en: str = Field(..., json_schema_extra={"maxLength": 100})
    dimension: str = Field(
        ...,
        description="industry_base 产业基础, ip 知识产权, finance 金融要素, environment 发展环境",
        json_schema_extra={"enum": Dimension.values},
    )
    source: str = Field(
        ...,
        description="platform: computed from the loans of the zone's member enterprises in the "
        "year; uploaded: the office's workbook (POST /index/systems/{system_id}/values)",
        json_schema_extra={"enum": IndicatorSource.values},
    )
    platform_metric: str = Field(
        "",
        description="source platform: loan_amount (Σ principal disbursed, yuan), loan_count, "
        "borrowers (distinct), first_time_borrowers (no loan before the year); uploaded: empty",
        json_schema_extra={"enum": ["", *PlatformMetric.values]},
    )
    direction: IndicatorDirection = Field(
        ..., description="positive: 正向, more is better; negative: 逆向, less is better"
    )
    weight: Decimal | None = Field(
        None, description="> 0, at most six decimals; required under fixed weighting"
    )


class IndexIndicatorOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    dimension: str
    source: str
    platform_metric: str
    direction: str
    weight: str | None = Field(..., description="a decimal string; None: not given")


class IndexSystemOut(Schema):
    id: int
    name: str
    version: int
    method: str
    weighting: str
    state: str = Field(..., description="draft (edited), active (computed), retired")
    derived_from: int | None = Field(..., description="the version this one was copied from")
    created_at: datetime
    activated_at: datetime | None
    retired_at: datetime | None
    indicators: list[IndexIndicatorOut]


class IndexValuesOut(Schema):
    system_id: int
    year: int
    filename: str
    rows: int = Field(..., description="the data rows stored")
    created: int = Field(..., description="values new for their zone, indicator and year")
    updated: int = Field(..., description="values that replaced the one stored before")


class IndexRunIn(Schema):
    year: int = Field(..., description="the year computed (2000 to 2100)")


class IndexSystemRefOut(Schema):
    id: int
    name: str
    version: int


class IndexRunIndicatorOut(Schema):
    code: str
    name_zh: str
    name_en: str
    dimension: str
    source: str
    platform_metric: str
    direction: str
    weight: float = Field(..., description="the weight used (Σ = 1)")


class IndexRunZoneOut(Schema):
    zone_id: int
    name: str
    score: float = Field(..., description="Σ contributions (minmax: 0 to 100)")
    rank: int = Field(..., description="1 = the highest score; ties share a rank (1, 2, 2, 4)")
    contributions: dict[str, float] = Field(
        ..., description="by indicator code: 100 × weight × normalised value"
    )
    values: dict[str, float] = Field(..., description="by indicator code: the value computed on")


class IndexRunOut(Schema):
    id: int
    system: IndexSystemRefOut
    year: int
    method: str
    weighting: str
    computed_at: datetime
    published: bool
    published_at: datetime | None
    indicators: list[IndexRunIndicatorOut]
    zones: list[IndexRunZoneOut] = Field(..., description="by rank")


class IndexZoneRunOut(Schema):
    run_id: int
    system: IndexSystemRefOut
    year: int
    published_at: datetime | None
    score: float
    rank: int
    zones: int = Field(..., description="how many zones the run ranked")


class IndexZoneHistoryOut(Schema):
    zone: OrganisationRef
    runs: list[IndexZoneRunOut] = Field(..., description="each published run, by year")
