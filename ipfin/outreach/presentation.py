"""What the library's pages and API show of an event beyond its columns: whether registration is
open now and how many places are left, from the one rule the services apply
(`domain.registration_refusal`), so that a page never offers a form the service would refuse for
the event's sake."""

from __future__ import annotations

from datetime import datetime

from ipfin.outreach.domain import RegistrationRefusal, registration_refusal
from ipfin.outreach.models import Event

__all__ = ["places_left", "registration_closed_reason", "registration_open"]


def _taken(event: Event) -> int:
    """The places registered: the selectors' `taken` annotation, else a count."""
    taken = getattr(event, "taken", None)
    return int(taken) if taken is not None else event.registrations.count()


def places_left(event: Event) -> int:
    return max(0, event.capacity - _taken(event))


def registration_closed_reason(event: Event, now: datetime) -> RegistrationRefusal | None:
    """Why nobody may register for `event` at `now` (not open, past the deadline, full), or
    None while registration is open."""
    return registration_refusal(
        state=event.state,
        deadline=event.registration_deadline,
        now=now,
        taken=_taken(event),
        capacity=event.capacity,
        duplicate=False,
    )


def registration_open(event: Event, now: datetime) -> bool:
    return registration_closed_reason(event, now) is None
