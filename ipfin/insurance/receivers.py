"""The insurance's answers to the risk claims' signals (ipfin.risk.signals), connected when the
app is ready: a compensation claim takes the loan's pledge-financing guarantee insurance's share
and what is left of its sum insured, and its settlement opens (or assesses) the insurance claim."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from ipfin.risk.signals import claim_settled, loss_cover


@receiver(loss_cover, dispatch_uid="insurance.policy_cover")
def _cover(sender: Any, loan: Any, day: Any, **_: Any) -> Any:
    from ipfin.insurance.services import policy_cover

    return policy_cover(loan=loan, day=day)


@receiver(claim_settled, dispatch_uid="insurance.claim_from_settlement")
def _settled(sender: Any, claim: Any, actor: Any, **_: Any) -> None:
    from ipfin.insurance.services import claim_from_settlement

    claim_from_settlement(claim=claim, actor=actor)
