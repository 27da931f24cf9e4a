"""REST adapters of the risk rules: parse → one service → serialise.

- POST /risk/compensation/preview: the compensation of a defaulted loan under a scheme (the
  fund's advance, the proceeds applied, the loss and its split, the settlement), nothing saved.
- POST /risk/npl-tolerance/preview: a bank's IP-pledge NPL ratio against its tolerance.

Both are calculators open to anyone (no security in the document; a bad bearer token is still a
401). Anonymous callers share the calculators' count per address, IPFIN_ANON_CALCULATOR_RATE
(ipfin.accounts.ratelimit: 429 `rate_limited` with Retry-After), with POST /valuations/preview
and POST /schedules/preview. A field the schema refuses is a 422 `invalid_input`; a rule the
schema cannot state is a 422 with its code and `field`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from ninja import Router

from ipfin.accounts.auth import ApiAuth
from ipfin.accounts.ratelimit import ANON_CALCULATOR_THROTTLE
from ipfin.common.money import money_str, money_str_or_none
from ipfin.risk import services
from ipfin.risk.domain.compensation import ByParty, ProceedsApplied
from ipfin.risk.domain.npl import ratio_6
from ipfin.risk.schemas import (
    CompensationPreviewIn,
    CompensationPreviewOut,
    NplTolerancePreviewIn,
    NplTolerancePreviewOut,
)

router = Router()


def _amounts(figures: ByParty | ProceedsApplied | None) -> dict[str, str] | None:
    return None if figures is None else {k: money_str(v) for k, v in asdict(figures).items()}


@router.post(
    "/risk/compensation/preview",
    response=CompensationPreviewOut,
    auth=ApiAuth(optional=True),
    throttle=ANON_CALCULATOR_THROTTLE,
)
def compensation_preview(request: HttpRequest, payload: CompensationPreviewIn) -> dict[str, Any]:
    """风险补偿: front_loaded advance = min(fund share × principal to the fen, fund_cap_per_loan,
    fund_balance); proceeds to disposal costs, unpaid interest, principal, the rest to the
    pledgor; loss = principal − proceeds applied to principal, split by the shares to the fen
    (largest remainder, ties fund, bank, guarantor, insurer), the fund's part capped and the
    excess the bank's; settlement = fund's part − advance. Without proceeds (before disposal)
    proceeds, loss, shares and settlement are null. Shares not summing to exactly 1: 422
    `shares_sum_invalid` naming `shares`. Nothing is saved."""
    result = services.compensation_preview(data=payload.model_dump())
    return {
        "advance": money_str(result.advance),
        "proceeds": _amounts(result.proceeds),
        "loss": money_str_or_none(result.loss),
        "shares": _amounts(result.shares),
        "settlement": money_str_or_none(result.settlement),
    }


@router.post(
    "/risk/npl-tolerance/preview",
    response=NplTolerancePreviewOut,
    auth=ApiAuth(optional=True),
    throttle=ANON_CALCULATOR_THROTTLE,
)
def npl_tolerance_preview(request: HttpRequest, payload: NplTolerancePreviewIn) -> dict[str, Any]:
    """不良容忍度: ip_npl_ratio = ip_npl_balance ÷ ip_balance (0 when ip_balance is 0), limit =
    bank_npl_ratio + 0.03, tolerated when ip_npl_ratio ≤ limit compared exactly (the ratios are
    shown with six decimals, rounded half up). ip_npl_balance above ip_balance: 422
    `npl_above_balance`. Nothing is saved."""
    result = services.npl_tolerance_preview(data=payload.model_dump())
    return {
        "ip_npl_ratio": f"{ratio_6(result.ip_npl_ratio):f}",
        "limit": f"{ratio_6(result.limit):f}",
        "tolerated": result.tolerated,
    }
