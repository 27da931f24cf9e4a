"""How risk records read outside the database: a compensation claim's figures as strings (money
with two decimals, None for what is not known yet), the same in the API's answers and in the
audit trail's records."""

from __future__ import annotations

from ipfin.common.money import money_str, money_str_or_none
from ipfin.risk.models import RiskClaim

__all__ = ["claim_figures"]


def claim_figures(claim: RiskClaim) -> dict[str, str | None]:
    """The claim's figures: when filed (principal, interest), approved (advance) and settled
    (proceeds, disposal costs, loss, the fund's part, the settlement)."""
    return {
        "principal": money_str(claim.principal),
        "interest": money_str(claim.interest),
        "advance": money_str_or_none(claim.advance),
        "proceeds": money_str_or_none(claim.proceeds),
        "disposal_costs": money_str_or_none(claim.disposal_costs),
        "loss": money_str_or_none(claim.loss),
        "fund_part": money_str_or_none(claim.fund_part),
        "settlement": money_str_or_none(claim.settlement),
    }
