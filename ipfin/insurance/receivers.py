"""The insurance's answers to the risk claims' signals (ipfin.risk.signals), connected when the
app is ready: a compensation claim takes the loan's pledge-financing guarantee insurance's share
and what is left of its sum insured, and its settlement opens (or assesses) the insurance claim;
a fee-subsidy claim (贴费) reads the premiums the enterprise paid as policyholder."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from ipfin.loans.signals import FeePaid, subsidy_fees
from ipfin.risk.signals import claim_settled, loss_cover


@receiver(loss_cover, dispatch_uid="insurance.policy_cover")
def _cover(sender: Any, loan: Any, day: Any, **_: Any) -> Any:
    from ipfin.insurance.services import policy_cover

    return policy_cover(loan=loan, day=day)


@receiver(claim_settled, dispatch_uid="insurance.claim_from_settlement")
def _settled(sender: Any, claim: Any, actor: Any, **_: Any) -> None:
    from ipfin.insurance.services import claim_from_settlement

    claim_from_settlement(claim=claim, actor=actor)


@receiver(subsidy_fees, dispatch_uid="insurance.premiums_paid")
def _premiums(sender: Any, enterprise: Any, year: int, kinds: tuple[str, ...], **_: Any) -> Any:
    """The premiums of the policies the enterprise holds that began in `year` (a premium is paid
    when the cover begins; a park's policy, 一园一保, is the park's, not a member's). A policy on a
    loan counts once its bank has accepted it: before, it covers nothing, and any number of them
    may be issued on one loan over the same days, each premium subsidised."""
    if "premium" not in kinds:
        return []
    from ipfin.insurance.models import COVERING, Policy

    rows = Policy.objects.filter(
        COVERING, policyholder_id=enterprise.pk, premium__gt=0, starts_on__year=year
    ).values_list("pk", "premium", "starts_on")
    return [FeePaid("premium", f"policy:{pk}", premium, on) for pk, premium, on in rows]
