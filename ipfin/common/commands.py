"""What the daily jobs' commands share: the day they run as of (`--today YYYY-MM-DD`), parsed once,
so that a mistyped date is the same clear error from every job."""

from __future__ import annotations

import argparse
from datetime import date

from django.core.management.base import CommandParser

__all__ = ["add_day_argument", "command_date", "iso_or_none"]


def command_date(raw: str) -> date:
    """An ISO date from the command line; argparse reports anything else as a usage error (a
    CommandError under call_command)."""
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be YYYY-MM-DD, got {raw!r}") from None


def add_day_argument(
    parser: CommandParser, name: str = "--today", help: str = "as of this day (YYYY-MM-DD)"
) -> None:
    """`name` (default `--today`): the job's day, None (today) when not given."""
    parser.add_argument(name, type=command_date, default=None, help=f"{help}; default today")


def iso_or_none(day: date | None) -> str | None:
    """A day as a background job's parameter (JSON): ISO text, or None for "today"."""
    return day.isoformat() if day is not None else None
