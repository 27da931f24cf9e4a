"""Benchmark `valuation_income_batch`: the 收益分成法 vectorised over 100,000 rights, in rights/s.

Seeded random inputs (fixed seed) for 100,000 rights: a remaining life of 5–10 whole years, one
revenue per year (1–100 million yuan), share rate K 2–30 %, income tax rate T 15–25 %, discount
rate r 8–20 %, end-of-year discounting and no share-rate decay (d = 0): the peer library models
neither decay nor fractional years, so these are the inputs on which both compute the same value.

- value: `ipfin.valuation.domain.income.income_value_batch` over all 100,000 rights at once
  (float64 arrays, input validation included), best of 5 runs;
- baseline: the peer library `intangible-valuation` (PyPI; the optional `bench` extra, never
  imported by ipfin), whose closest equivalent is its Relief-from-Royalty method
  (`intangible_valuation.income_methods.relief_from_royalty.relief_from_royalty`, with the tax
  amortisation benefit off: V = Σ R_t·K·(1 − T)/(1 + r)^t), called once per right in a loop over
  a sample of 2,000 rights (its per-call cost does not depend on the sample), best of 3 runs,
  scaled to rights per second. Its inputs are turned into Python lists before the clock starts.

Before timing counts, both must agree on every sampled right to within 1e-6 relative (the peer
rounds its present value to the cent, far below that), so the comparison is of the same figure.

Prints one JSON line: {"bench", "value", "unit", "baseline", "ratio" (value / baseline), "peer",
...}.
Run it alone with `python -m benchmarks.valuation_income_batch`, or all with `make bench`. Exits
non-zero, with a message on stderr, when the peer library is not installed.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

RIGHTS = 100_000
SAMPLE = 2_000
SEED = 20_260_104
MAX_YEARS = 10
PEER = "intangible-valuation"


def generate_inputs(n: int = RIGHTS, seed: int = SEED) -> dict[str, Any]:
    """The seeded inputs: revenues (n, 10) zero-padded after each right's life, and (n,) columns."""
    rng = np.random.default_rng(seed)
    life = rng.integers(5, MAX_YEARS + 1, size=n).astype(np.float64)
    revenues = rng.uniform(1e6, 1e8, size=(n, MAX_YEARS))
    revenues[np.arange(MAX_YEARS)[None, :] >= life[:, None]] = 0.0
    return {
        "revenues": revenues,
        "share_rate": rng.uniform(0.02, 0.30, size=n),
        "share_decay": np.zeros(n),
        "tax_rate": rng.uniform(0.15, 0.25, size=n),
        "discount_rate": rng.uniform(0.08, 0.20, size=n),
        "life_years": life,
    }


def _peer() -> tuple[Callable[..., Any], str]:
    try:
        from importlib.metadata import version

        from intangible_valuation.income_methods.relief_from_royalty import (
            relief_from_royalty,
        )
    except ImportError as exc:
        print(
            f"valuation_income_batch: the peer library {PEER!r} is not importable ({exc}); "
            f"install the benchmark extra: .venv/bin/pip install -e '.[bench]'",
            file=sys.stderr,
        )
        raise SystemExit(1) from exc
    return relief_from_royalty, f"{PEER} {version(PEER)}"


def _best_of(runs: int, call: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def run() -> list[dict[str, Any]]:
    from ipfin.valuation.domain.income import income_value_batch

    relief_from_royalty, peer_name = _peer()
    inputs = generate_inputs()

    seconds, values = _best_of(5, lambda: income_value_batch(**inputs))

    # The peer's inputs as the Python objects it takes, prepared before the clock starts.
    peer_args = [
        (
            inputs["revenues"][i, : int(inputs["life_years"][i])].tolist(),
            float(inputs["share_rate"][i]),
            float(inputs["discount_rate"][i]),
            float(inputs["tax_rate"][i]),
            int(inputs["life_years"][i]),
        )
        for i in range(SAMPLE)
    ]

    def peer_loop() -> list[float]:
        return [
            relief_from_royalty(
                revenue_projections=revenues,
                royalty_rate=k,
                discount_rate=r,
                tax_rate=t,
                useful_life=life,
                tab_enabled=False,
            ).value
            for revenues, k, r, t, life in peer_args
        ]

    peer_seconds, peer_values = _best_of(3, peer_loop)

    ours = values[:SAMPLE]
    theirs = np.asarray(peer_values, dtype=np.float64)
    worst = float(np.max(np.abs(ours - theirs) / np.abs(theirs)))
    if not worst < 1e-6:
        raise RuntimeError(
            f"income_value_batch and {peer_name} disagree: max relative difference {worst:.3g}"
        )

    value = RIGHTS / seconds
    baseline = SAMPLE / peer_seconds
    detail = {
        "rights": RIGHTS,
        "seconds": round(seconds, 5),
        "peer_sample": SAMPLE,
        "peer_seconds": round(peer_seconds, 4),
        "max_relative_difference": worst,
    }
    print(f"valuation_income_batch: {json.dumps(detail)}", file=sys.stderr)
    return [
        {
            "bench": "valuation_income_batch",
            "value": round(value, 1),
            "unit": "rights/s",
            "baseline": round(baseline, 1),
            "ratio": round(value / baseline, 2),
            "peer": peer_name,
            "peer_function": "income_methods.relief_from_royalty(tab_enabled=False)",
            "max_relative_difference": float(f"{worst:.3g}"),
        }
    ]


if __name__ == "__main__":
    for line in run():
        print(json.dumps(line, ensure_ascii=False))
