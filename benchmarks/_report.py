"""What every benchmark prints: its one JSON line, and a message on stderr when it misses its
goal (the line and the message were written out anew in each benchmark before)."""

from __future__ import annotations

import sys
from typing import Any


def bench_line(
    name: str, value: float, unit: str, baseline: float, *, places: int = 3
) -> dict[str, Any]:
    """`{"bench", "value", "unit", "baseline", "ratio"}`, the ratio value / baseline."""
    ratio = value / baseline if baseline else float("inf")
    return {
        "bench": name,
        "value": round(value, places),
        "unit": unit,
        "baseline": round(baseline, places),
        "ratio": round(ratio, 4),
    }


def over_goal(name: str, met: bool, message: str) -> None:
    """Say on stderr that `name` missed its goal (`met` False), with what the goal is."""
    if not met:
        print(f"{name}: over the goal: {message}", file=sys.stderr)
