"""How the disposal pages present a listing: where its bidding stands now (`Phase`; the words are
the templates') and the row of the board (`BoardRow`). No query: the listing comes with what the
selectors loaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from ipfin.disposals.domain import DisposalState, minimum_bid
from ipfin.disposals.models import Disposal
from ipfin.disposals.selectors import board_of

__all__ = ["BoardRow", "Phase", "board_row", "phase"]


class Phase(StrEnum):
    UPCOMING = "upcoming"  # listed, before the listing day begins
    OPEN = "open"  # bids taken now
    CLOSED = "closed"  # listed, the close passed: the pledgee completes (or the centre backstops)
    OVER = "over"  # backstopped, completed or withdrawn: no bid is taken


def phase(disposal: Disposal, now: datetime) -> Phase:
    if disposal.state != DisposalState.LISTED:
        return Phase.OVER
    board = board_of(disposal)
    if now < board.opens_at:
        return Phase.UPCOMING
    return Phase.OPEN if now < board.closes_at else Phase.CLOSED


@dataclass(frozen=True)
class BoardRow:
    disposal: Disposal
    phase: Phase
    minimum: Decimal | None  # the lowest bid taken now; None when none is


def board_row(disposal: Disposal, now: datetime) -> BoardRow:
    now_phase = phase(disposal, now)
    minimum = minimum_bid(board_of(disposal)) if now_phase is Phase.OPEN else None
    return BoardRow(disposal=disposal, phase=now_phase, minimum=minimum)
