"""The pledges over a right, as the register needs them, without the register importing
ipfin.pledges (which is built on the register): the pledge app provides the two readers when
Django starts (`PledgesConfig.ready`), and the register asks through here.

- `registered_pledges_of(right, on)`: (registration_no, pledgee's name) of each pledge holding the
  right on `on`; the register's dealings rule needs it (民法典 art. 444 ¶2: no transfer or licence
  of a pledged right without the pledgee's consent).
- `public_pledges_for_right(right)`: the pledge register's public rows of the right, for its page.
- `pledgees_of(right, on)`: the organisation ids of the pledgees holding the right on `on`: who
  is told at once of an event recorded on it (the bank's collateral changed).

No reader provided is a configuration error, never "no pledge": the consent rule must not pass
silently because the pledge app did not start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ipfin.registry.models import Right

RegisteredPledges = Callable[[Right, date], list[tuple[str, str]]]
PublicPledges = Callable[[Right], list[dict[str, Any]]]
PledgeeIds = Callable[[Right, date], list[int]]


@dataclass(frozen=True)
class _Readers:
    registered: RegisteredPledges
    public: PublicPledges
    pledgees: PledgeeIds


_provided: list[_Readers] = []


def provide(*, registered: RegisteredPledges, public: PublicPledges, pledgees: PledgeeIds) -> None:
    """Install the pledge app's readers (once; a second call replaces them)."""
    _provided[:] = [_Readers(registered=registered, public=public, pledgees=pledgees)]


def _readers() -> _Readers:
    if not _provided:
        raise RuntimeError(
            "No pledge readers: ipfin.pledges must be installed (it provides them when Django "
            "starts, PledgesConfig.ready)."
        )
    return _provided[0]


def registered_pledges_of(right: Right, on: date) -> list[tuple[str, str]]:
    return _readers().registered(right, on)


def public_pledges_for_right(right: Right) -> list[dict[str, Any]]:
    return _readers().public(right)


def pledgees_of(right: Right, on: date) -> list[int]:
    return _readers().pledgees(right, on)
