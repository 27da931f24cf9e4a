"""Which enterprises a bank deals with, as the permission layer needs them, without accounts
importing the apps that record the dealings (they are built on it): each of those apps provides
its part when Django starts (its `AppConfig.ready`), and `permissions.customer_scope` asks
through here — the same kind of port as `ipfin.registry.encumbrances`.

A part is a function of the bank's id giving a `Q` over `Organisation` (the enterprises it
relates to that bank), e.g. `Q(pk__in=Pledge.objects.filter(pledgee_id=bank_id).values(...))`:
the parts are OR-ed into one filter, so the question stays one query whatever the number of
parts. The parts provided: pledges (a pledge or pledge application naming the bank as pledgee
that the enterprise filed or confirmed), loans (a loan application the enterprise, or its park,
made to the bank), financing (a demand pushed to the bank: a feedback ledger row), whitelist (an
entry of a published white-list batch pushed to the bank). Never what the bank did alone: it
could name any credit code.

No part provided is a configuration error, never "no customers" nor "everyone".
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q

CustomerPart = Callable[[int], Q]

_parts: dict[str, CustomerPart] = {}


def provide(name: str, part: CustomerPart) -> None:
    """Install one app's part under `name` (a second call with the same name replaces it)."""
    _parts[name] = part


def provided() -> tuple[str, ...]:
    """The names of the parts provided, sorted (for the tests)."""
    return tuple(sorted(_parts))


def customers_of(bank_id: int) -> Q:
    """A `Q` over `Organisation`: the enterprises related to the bank `bank_id` by any part."""
    if not _parts:
        raise RuntimeError(
            "No customer relations: the apps that record them (pledges, loans, financing, "
            "whitelist) provide them when Django starts (their AppConfig.ready)."
        )
    q = Q(pk__in=[])
    for part in _parts.values():
        q |= part(bank_id)
    return q
