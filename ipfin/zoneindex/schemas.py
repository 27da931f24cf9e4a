"""Input and output schemas of the demonstration-zone index (示范区指数) calculator.

Shape and type only: the methods, the weighting and the directions are enums, every number is a
JSON number (a string or a boolean is a 422 `invalid_input`). The bounds and what the schema
cannot say (codes and names not blank and not repeated, a value for each indicator and for no
other, finite numbers, a weight > 0 for fixed weighting) are the rules' (ipfin.zoneindex.domain),
each a 422 with its code and `field`. The bounds are stated here with the rules' own constants,
as JSON schema only (`json_schema_extra`), so that the document says exactly what the rules hold
a request to and the refusal still names the field.
"""

from __future__ import annotations

from ninja import Field, Schema
from pydantic import StrictFloat

from ipfin.zoneindex.domain import (
    MAX_CODE_LENGTH,
    MAX_INDICATORS,
    MAX_ZONE_NAME_LENGTH,
    MAX_ZONES,
    IndexMethod,
    IndexWeighting,
    IndicatorDirection,
)


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
