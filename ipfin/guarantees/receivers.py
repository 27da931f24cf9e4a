"""The guarantees' answers to the loans' signals (ipfin.loans.signals), connected when the app is
ready: a disbursement charges the fee of the loan's issued guarantee."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from ipfin.loans.signals import loan_disbursed


@receiver(loan_disbursed, dispatch_uid="guarantees.charge_fee_on_disbursement")
def _charge_fee(sender: Any, loan: Any, actor: Any, **_: Any) -> None:
    from ipfin.guarantees.services import charge_fee_on_disbursement

    charge_fee_on_disbursement(loan=loan, actor=actor)
