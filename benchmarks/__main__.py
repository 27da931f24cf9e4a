"""`python -m benchmarks [NAME ...]` (what `make bench` runs): every benchmark, one JSON line each.

A benchmark is a module `benchmarks/<name>.py` with a top-level `def run() -> list[dict]`. Each runs
in its own subprocess, so each gets a fresh Django setup (its own settings and database). Their
JSON lines go to stdout, anything else they print to stderr. The exit status is 1 if any failed.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_CHILD = (
    "import importlib, json, sys\n"
    "for line in importlib.import_module(sys.argv[1]).run():\n"
    "    print(json.dumps(line, ensure_ascii=False), flush=True)\n"
)


def discover() -> list[str]:
    """Names of the modules in benchmarks/ that define a top-level run()."""
    names = []
    for path in sorted(HERE.glob("*.py")):
        if path.name.startswith("_"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        if any(isinstance(node, ast.FunctionDef) and node.name == "run" for node in tree.body):
            names.append(path.stem)
    return names


def run_one(name: str) -> tuple[list[dict[str, object]], int]:
    """(the benchmark's JSON lines, its exit status), run in a fresh interpreter."""
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module names
        [sys.executable, "-c", _CHILD, f"benchmarks.{name}"],
        cwd=HERE.parent,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    lines = []
    for raw in completed.stdout.splitlines():
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            print(raw, file=sys.stderr)  # stray output: keep stdout pure JSON lines
            continue
        if isinstance(value, dict):
            lines.append(value)
    return lines, completed.returncode


def main(argv: list[str]) -> int:
    available = discover()
    selected = argv or available
    unknown = sorted(set(selected) - set(available))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; have: {', '.join(available)}",
              file=sys.stderr)  # fmt: skip
        return 2
    failed = []
    for name in selected:
        lines, status = run_one(name)
        for line in lines:
            print(json.dumps(line, ensure_ascii=False), flush=True)
        if status != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
