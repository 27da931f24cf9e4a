"""Benchmarks: one module per workload, each exposing `run() -> list[dict]` (JSON lines).

`make bench` runs them all (`python -m benchmarks`); they are not tests.
"""
