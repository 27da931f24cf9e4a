"""The guarantees' answers to the loans' and the risk claims' signals (ipfin.loans.signals,
ipfin.risk.signals), connected when the app is ready: a disbursement charges the fee of the loan's
issued guarantee; an approval records the guarantee issued by then; a compensation claim takes
the guarantee's share and cap, and its settlement fixes the guarantor's part; a fee-subsidy
claim (贴费) reads the guarantee fees the borrower paid."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from ipfin.loans.signals import FeePaid, loan_disbursed, loan_securities, subsidy_fees
from ipfin.risk.signals import claim_settled, loss_cover


@receiver(loan_disbursed, dispatch_uid="guarantees.charge_fee_on_disbursement")
def _charge_fee(sender: Any, loan: Any, actor: Any, **_: Any) -> None:
    from ipfin.guarantees.services import charge_fee_on_disbursement

    charge_fee_on_disbursement(loan=loan, actor=actor)


@receiver(loss_cover, dispatch_uid="guarantees.guarantee_cover")
def _cover(sender: Any, loan: Any, day: Any = None, **_: Any) -> Any:
    from ipfin.guarantees.services import guarantee_cover

    return guarantee_cover(loan=loan, day=day)


@receiver(claim_settled, dispatch_uid="guarantees.settle_by_claim")
def _settled(sender: Any, claim: Any, actor: Any, **_: Any) -> None:
    from ipfin.guarantees.services import guarantee_settle_by_claim

    guarantee_settle_by_claim(claim=claim, actor=actor)


@receiver(subsidy_fees, dispatch_uid="guarantees.fees_paid")
def _fees(
    sender: Any,
    enterprise: Any,
    year: int,
    kinds: tuple[str, ...],
    ip_pledge_only: bool = True,
    **_: Any,
) -> Any:
    """The guarantee fees charged in `year` on the enterprise's loans (a fee is charged once, on
    disbursement, and paid by the borrower)."""
    if "guarantee_fee" not in kinds:
        return []
    from ipfin.guarantees.models import Guarantee

    rows = Guarantee.objects.filter(
        loan__enterprise_id=enterprise.pk, fee__gt=0, fee_charged_on__year=year
    )
    if ip_pledge_only:
        rows = rows.filter(loan__pledge__isnull=False)
    rows = rows.values_list("pk", "fee", "fee_charged_on")
    return [FeePaid("guarantee_fee", f"guarantee:{pk}", fee, on) for pk, fee, on in rows]


@receiver(loan_securities, dispatch_uid="guarantees.approval_rests_on")
def _securities(sender: Any, loan: Any, **_: Any) -> Any:
    """The guarantee issued on the loan, as the approval rests on it."""
    from ipfin.common.money import money_str
    from ipfin.guarantees.models import Guarantee
    from ipfin.risk.domain.ratios import ratio_text

    return [
        {
            "kind": "guarantee",
            "ref": f"guarantee:{g.pk}",
            "label": g.guarantor.name,
            "share": ratio_text(g.share),
            "cap": money_str(g.cap),
        }
        for g in Guarantee.objects.filter(loan_id=loan.pk, state="issued").select_related(
            "guarantor"
        )
    ]
