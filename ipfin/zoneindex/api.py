"""REST adapter of the demonstration-zone index (示范区指数): parse → the rule → serialise.

- POST /index/preview: the zones' scores, ranks and each indicator's contribution under the
  method and weighting given (ipfin.zoneindex.domain), nothing saved.

A calculator open to anyone (no security in the document; a bad bearer token is still a 401).
Anonymous callers share the calculators' count per address, IPFIN_ANON_CALCULATOR_RATE
(ipfin.accounts.ratelimit: 429 `rate_limited` with Retry-After), with the other previews. A field
the schema refuses is a 422 `invalid_input`; a rule the schema cannot state is a 422 with its code
and `field`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from ipfin.accounts.auth import ApiAuth
from ipfin.accounts.ratelimit import ANON_CALCULATOR_THROTTLE
from ipfin.zoneindex.domain import IndicatorSpec, zone_index
from ipfin.zoneindex.schemas import ZoneIndexPreviewIn, ZoneIndexPreviewOut

router = Router()


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
    result = zone_index(
        method=payload.method,
        weighting=payload.weighting,
        indicators=[IndicatorSpec(i.code, i.direction, i.weight) for i in payload.indicators],
        zone_names=[zone.zone for zone in zones],
        zone_values=[zone.values for zone in zones],
    )
    codes = result.codes
    scores = result.scores.tolist()
    ranks = result.ranks.tolist()
    contributions = result.contributions.tolist()
    return {
        "weights": dict(zip(codes, result.weights.tolist(), strict=True)),
        "zones": [
            {
                "zone": result.zones[i],
                "score": scores[i],
                "rank": ranks[i],
                "contributions": dict(zip(codes, contributions[i], strict=True)),
            }
            for i in result.order.tolist()
        ],
    }
