"""Closing a released pledge's open change applications (used by the release)."""

from __future__ import annotations

from ipfin.accounts.models import User
from ipfin.audit.services import audit_record
from ipfin.pledges.models import OPEN_CHANGE_STATES, ChangeStateChoices, Pledge, PledgeChange


def close_open_changes(pledge: Pledge, actor: User) -> None:
    """A released pledge has nothing left to change: its open change applications are withdrawn,
    each with an audit record. Called inside the release's transaction."""
    for change in PledgeChange.objects.select_for_update().filter(
        pledge=pledge, state__in=OPEN_CHANGE_STATES
    ):
        before = change.state
        change.state = ChangeStateChoices.WITHDRAWN
        change.decision_reason = "质押登记已注销 / the pledge was released"
        change.save(update_fields=["state", "decision_reason"])
        audit_record(
            actor=actor,
            action="pledge.change_close",
            obj=change,
            before={"state": before},
            after={"state": change.state, "reason": "released"},
        )
