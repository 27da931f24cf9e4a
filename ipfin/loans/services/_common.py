"""Helpers shared by the loan and subsidy services: input parsing, transitions, notifications."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from ipfin.common.workflow import transition_conflict
from ipfin.loans.domain.status import IllegalTransition, LoanAction, LoanState, next_state


def today_or(today: date | None) -> date:
    return today if today is not None else timezone.localdate()


def transition(state: str | None, action: LoanAction) -> LoanState:
    try:
        return next_state(state, action)
    except IllegalTransition as exc:
        raise transition_conflict(exc) from exc
