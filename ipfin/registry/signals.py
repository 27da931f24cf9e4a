"""What the register announces to the apps above it, which it may not import (Django signals, sent
inside the recording service's transaction, so that a receiver's writes commit or roll back with
the event's).

- `right_transferred(sender=Right, right=..., event=..., actor=...)`: a transfer was recorded on
  `right` (by the office, a sale of its pledge, a deal on the trading board); its owners are the
  event's from now. The trading board withdraws the former holders' open listings of it.
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["right_transferred"]

right_transferred = Signal()
