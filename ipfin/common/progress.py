"""Progress bars for long management commands (import, scoring): tqdm on the command's stderr.

`command_progress` adds the `--progress/--no-progress` option's behaviour: shown when asked, or by
default only when stderr is a terminal (so that logs and CI output stay clean).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tqdm import tqdm

__all__ = ["TqdmProgress", "add_progress_argument", "command_progress"]


class TqdmProgress:
    """One tqdm bar per stage (a file, a step), each started with its label and total."""

    def __init__(self, stream: Any, unit: str) -> None:
        self.stream = stream
        self.unit = unit
        self.bar: tqdm[Any] | None = None

    def start(self, label: str, total: int) -> None:
        self.finish()
        self.bar = tqdm(total=total, desc=label, unit=self.unit, file=self.stream, leave=True)

    def advance(self, n: int) -> None:
        if self.bar is not None and n:
            self.bar.update(n)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def add_progress_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="显示进度条（默认：仅当 stderr 是终端时）",
    )


def command_progress(command: Any, show: bool | None, unit: str) -> TqdmProgress | None:
    """The bar for `command` (a BaseCommand), or None when it is not to be shown."""
    stream = getattr(command.stderr, "_out", sys.stderr)
    if show is None:
        show = bool(getattr(stream, "isatty", lambda: False)())
    return TqdmProgress(stream, unit) if show else None
