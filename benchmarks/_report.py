"""What every benchmark prints: its one JSON line, and a message on stderr when it misses its
goal (the line and the message were written out anew in each benchmark before)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

_PROC_STAT = Path("/proc/stat")


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


def machine_cpu_seconds() -> tuple[float, float] | None:
    """(busy, idle) CPU seconds of the whole machine since boot, every core and every process
    (the database and the broker too), from Linux's /proc/stat; None elsewhere.

    Why: on a machine whose database shares the cores, a run's speed-up from more workers is
    bounded by how much of the cores its one-worker run left idle; `cores_busy` of two readings
    shows that bound."""
    try:
        first = _PROC_STAT.read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    if not first or first[0] != "cpu":
        return None
    # user nice system idle iowait irq softirq steal (guest time is already in user).
    ticks = [int(x) for x in first[1:9]]
    hz = os.sysconf("SC_CLK_TCK")
    idle = ticks[3] + ticks[4]
    return (sum(ticks) - idle) / hz, idle / hz


def cores_busy(
    before: tuple[float, float] | None, after: tuple[float, float] | None, seconds: float
) -> float | None:
    """How many cores were busy on average between two `machine_cpu_seconds` readings taken
    `seconds` apart (None without them)."""
    if before is None or after is None or seconds <= 0:
        return None
    return (after[0] - before[0]) / seconds
