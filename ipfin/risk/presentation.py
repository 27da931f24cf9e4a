"""How risk records read outside the database: a compensation claim's figures as strings (money
with two decimals, None for what is not known yet), the same in the API's answers and in the
audit trail's records."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from ipfin.common.display import percent, yuan
from ipfin.common.money import money_str, money_str_or_none
from ipfin.risk.models import RiskClaim
from ipfin.web.language import is_english

__all__ = ["claim_cover_lines", "claim_figures"]


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
        "bank_part": money_str_or_none(claim.bank_part),
        "guarantor_part": money_str_or_none(claim.guarantor_part),
        "insurer_part": money_str_or_none(claim.insurer_part),
        "settlement": money_str_or_none(claim.settlement),
    }


def claim_cover_lines(claim: RiskClaim) -> list[dict[str, Any]]:
    """The loan's guarantee and policy as the claim found them, in words for its page: which
    contract, the share it covers, the share applied (when less) and its cap."""
    lines = []
    for c in claim.cover or []:
        kind, _sep, number = str(c["ref"]).partition(":")
        if c["party"] == "guarantor":
            label = _("融资担保 #%(id)s") % {"id": number}
        else:
            label = _("质押融资保证保险保单 #%(id)s") % {"id": number}
        text = _("承担损失的 %(share)s") % {"share": percent(Decimal(c["share"]))}
        if Decimal(c["applied"]) != Decimal(c["share"]):
            text += _("（基金与在先合同分担后仅余 %(applied)s）") % {
                "applied": percent(Decimal(c["applied"]))
            }
        if c.get("cap") is not None:
            cap = yuan(Decimal(c["cap"]), english=is_english(), exact=True)
            text += _("，上限 %(cap)s") % {"cap": cap}
        lines.append({"party": c["party"], "kind": kind, "label": label, "text": text})
    return lines
