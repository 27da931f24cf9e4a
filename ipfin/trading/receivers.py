"""The trading board's answers to the register's signals (ipfin.registry.signals), connected when
the app is ready: a right transferred takes its former holders' open listings off the board."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from ipfin.registry.signals import right_transferred


@receiver(right_transferred, dispatch_uid="trading.withdraw_after_transfer")
def _transferred(sender: Any, right: Any, actor: Any, **_: Any) -> None:
    from ipfin.trading.services import listings_withdraw_after_transfer

    listings_withdraw_after_transfer(right=right, actor=actor)
