"""REST adapter of securitisation (知识产权证券化).

- POST /abs/waterfall/preview: the sequential-pay waterfall of the collections, senior fees and
  tranches given (ipfin.securitisation.domain), nothing saved; open to anyone (a calculator,
  counted with the other calculators per address for anonymous callers:
  IPFIN_ANON_CALCULATOR_RATE, 429 `rate_limited` with Retry-After). A field the schema refuses is
  a 422 `invalid_input`; a rule the schema cannot state is a 422 with its code and `field`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from ipfin.accounts.auth import ApiAuth
from ipfin.accounts.ratelimit import ANON_CALCULATOR_THROTTLE
from ipfin.common.money import money_str
from ipfin.securitisation import services
from ipfin.securitisation.domain import Waterfall, yuan
from ipfin.securitisation.schemas import WaterfallPreviewIn, WaterfallPreviewOut

router = Router()


def _yuan(fen: int) -> str:
    return money_str(yuan(fen))


def _waterfall(result: Waterfall) -> dict[str, Any]:
    return {
        "periods": [
            {
                "n": n,
                "collection": _yuan(p.collection),
                "fees": _yuan(p.fees),
                "interest": {k: _yuan(v) for k, v in p.interest.items()},
                "principal": {k: _yuan(v) for k, v in p.principal.items()},
                "shortfall": {k: _yuan(v) for k, v in p.shortfall.items()},
                "residual": _yuan(p.residual),
            }
            for n, p in enumerate(result.periods, start=1)
        ],
        "final": {
            name: {
                "balance": _yuan(end.balance),
                "interest_shortfall": _yuan(end.interest_shortfall),
            }
            for name, end in result.final.items()
        },
        "fees_unpaid": _yuan(result.fees_unpaid),
    }


@router.post(
    "/abs/waterfall/preview",
    response=WaterfallPreviewOut,
    auth=ApiAuth(optional=True),
    throttle=ANON_CALCULATOR_THROTTLE,
)
def waterfall_preview(request: HttpRequest, payload: WaterfallPreviewIn) -> dict[str, Any]:
    """Sequential-pay waterfall (顺序偿付), each period in order: the senior fees due (a fee not
    covered carries to the next period, without interest); each tranche's interest in priority
    order — start-of-period balance × rate per period, rounded half-up to the fen, plus the
    interest it was short of before (no interest on that shortfall); principal to the tranches in
    order until each balance is 0; the rest is residual to the equity holder. Every amount to the
    fen; fees + Σ interest + Σ principal + residual = the period's collection. `shortfall` is the
    interest still owed to each tranche after the period. Refused with a 422 naming the field:
    an amount that is not yuan to the fen, a rate outside 0..1, blank or repeated tranche names,
    more periods or tranches than the schema allows. Nothing is saved."""
    return _waterfall(services.waterfall_preview(data=payload.dict()))
