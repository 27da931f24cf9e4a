"""The loans a pledge secures, as the pledge's release needs them, without this app importing
ipfin.loans (which is built on it): the loans app provides the reader and the writer when Django
starts (`LoansConfig.ready`), and the release asks through here.

- `outstanding_loans(pledge, lock=)`: the loans of the pledgee bank that the pledge still secures
  (approved and not yet disbursed, or with something still owed), each with what is owed; with
  `lock=True` their rows are locked (the caller's transaction), so that a repayment, a closure
  or a write-off waits for the release, and the release decides on figures that cannot change
  under it.
- `record_waiver(...)`: the loans record that they are now unsecured (the pledgee released the
  pledge while they were outstanding, declaring that it waives the security: 民法典 arts. 393(3),
  435), with the reason, the day and the user, each audited.

No reader provided is a configuration error, never "no loan": the release must not pass silently
because the loans app did not start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from ipfin.accounts.models import User
from ipfin.pledges.models import Pledge


@dataclass(frozen=True)
class SecuredLoan:
    """A loan the pledge secures and what of it is owed: `disbursed` False for a loan approved
    and not yet disbursed (`owed` is then the principal approved, to be disbursed), True once
    disbursed (`owed` is the principal outstanding; a written-off loan's too, 账销案存)."""

    loan_id: int
    state: str
    disbursed: bool
    owed: Decimal


class WaiverWriter(Protocol):
    def __call__(
        self,
        *,
        actor: User,
        pledge: Pledge,
        loans: Sequence[SecuredLoan],
        reason: str,
        on: date,
    ) -> None: ...


OutstandingReader = Callable[[Pledge, bool], list[SecuredLoan]]


@dataclass(frozen=True)
class _Provided:
    outstanding: OutstandingReader
    waive: WaiverWriter


_provided: list[_Provided] = []


def provide(*, outstanding: OutstandingReader, waive: WaiverWriter) -> None:
    """Install the loans app's reader and writer (once; a second call replaces them)."""
    _provided[:] = [_Provided(outstanding=outstanding, waive=waive)]


def _get() -> _Provided:
    if not _provided:
        raise RuntimeError(
            "No loan readers: ipfin.loans must be installed (it provides them when Django "
            "starts, LoansConfig.ready)."
        )
    return _provided[0]


def outstanding_loans(pledge: Pledge, *, lock: bool = False) -> list[SecuredLoan]:
    return _get().outstanding(pledge, lock)


def record_waiver(
    *, actor: User, pledge: Pledge, loans: Sequence[SecuredLoan], reason: str, on: date
) -> None:
    _get().waive(actor=actor, pledge=pledge, loans=loans, reason=reason, on=on)
