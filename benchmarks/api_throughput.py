"""Benchmark `api_throughput`: requests per second of the pledge pre-check
(`POST /api/v1/pledges/precheck`, a bank checking one of the demo's rights) against a trivial
authenticated endpoint (`GET /api/v1/me`, the baseline), each under 50 concurrent clients for a
fixed time, through the production server (`ipfin serve`: gunicorn, IPFIN_BENCH_WEB_WORKERS
workers, default 4, each keeping its database connection as `ipfin serve` does unless
IPFIN_DB_CONN_MAX_AGE says otherwise) on PostgreSQL with the demo's data. The issue's goal:
the pre-check at ≥ 0.8× the baseline's rate, its p95 latency under 300 ms.

Creates a PostgreSQL database of its own (ipfin_bench_api_<pid>), migrates it, loads the demo,
issues a bank's token, starts the server, warms both endpoints, then measures each for
IPFIN_BENCH_SECONDS (default 10) with 50 client threads on keep-alive connections, in turns
(five slices of each, one after the other, so that the machine's drift in speed falls on
both). Every answer must be 200, or the benchmark fails. The latencies (p50, p95) of both go to
stderr. The database is dropped and the server stopped at the end; without PostgreSQL it says
so and exits 1.

Prints one JSON line: {"bench", "value" (pre-check requests/s), "unit", "baseline" (the trivial
endpoint's), "ratio"}."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benchmarks._report import bench_line, over_goal
from benchmarks.valuation_score_portfolio import (
    _create_database,
    _drop_database,
    _server_url,
    _setup_django,
    _with_database,
)
from ipfin.common.localnet import free_port

CLIENTS = 50
GOAL_RATIO = 0.8
GOAL_P95_MS = 300.0
ROUNDS = 5


def _measure(
    port: int, method: str, path: str, body: bytes | None, token: str, seconds: float
) -> tuple[float, list[float]]:
    """(requests per second, latencies in ms) of CLIENTS threads for `seconds`."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    failures: list[str] = []
    stop = time.perf_counter() + seconds

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                conn.request(method, path, body=body, headers=headers)
                answer = conn.getresponse()
                answer.read()
                latencies[i].append((time.perf_counter() - started) * 1000)
                if answer.status != 200:
                    failures.append(f"{path}: {answer.status}")
                    return
        except Exception as exc:  # a client that dies is a failure, never a quieter run
            failures.append(f"{path}: {type(exc).__name__}: {exc}")
        finally:
            conn.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"api_throughput: failed requests: {failures[:3]}")
    flat = sorted(x for per in latencies for x in per)
    if not flat:
        raise RuntimeError(f"api_throughput: no request to {path} completed")
    return len(flat) / elapsed, flat


def _percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(share * len(values)))] if values else 0.0


def _precheck_body() -> tuple[str, bytes]:
    """A bank's token and a pre-check of one of its customer's rights in force."""
    from ipfin.accounts.models import User
    from ipfin.accounts.services import api_token_issue
    from ipfin.pledges.models import PledgeItem
    from ipfin.registry.models import RightOwner

    bank = User.objects.get(username="bank_a")
    owner = (
        RightOwner.objects.filter(valid_to__isnull=True, organisation__kind="enterprise")
        .exclude(right_id__in=PledgeItem.objects.filter(active=True).values("right_id"))
        .select_related("organisation", "right")
        .order_by("right__number")
        .first()
    )
    if owner is None or owner.organisation is None:
        raise RuntimeError("api_throughput: the demo has no unpledged right of an enterprise")
    today = date.today()
    body = {
        "pledgor_uscc": owner.organisation.uscc,
        "rights": [owner.right.number],
        "term_start": today.isoformat(),
        "term_end": (today + timedelta(days=365)).isoformat(),
    }
    return api_token_issue(user=bank), json.dumps(body).encode()


def run() -> list[dict[str, Any]]:
    server = _server_url()
    name = f"ipfin_bench_api_{os.getpid()}"
    try:
        _create_database(server, name)
    except Exception as exc:
        print(f"api_throughput: skipped, no PostgreSQL ({exc})", file=sys.stderr)
        raise SystemExit(1) from None
    url = _with_database(server, name)
    proc: subprocess.Popen[bytes] | None = None
    seconds = float(os.environ.get("IPFIN_BENCH_SECONDS", "10"))
    workers = os.environ.get("IPFIN_BENCH_WEB_WORKERS", "4")
    try:
        _setup_django(url)
        from io import StringIO

        from django.core.management import call_command

        call_command("load_demo", stdout=StringIO())
        token, body = _precheck_body()
        port = free_port()
        ipfin = str(Path(sys.executable).with_name("ipfin"))
        env = {**os.environ, "DATABASE_URL": url}
        proc = subprocess.Popen(  # noqa: S603 (our own command)
            [ipfin, "serve", "--bind", f"127.0.0.1:{port}", "--workers", workers],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("api_throughput: the server did not start") from None
                time.sleep(0.3)
        precheck = ("POST", "/api/v1/pledges/precheck", body)
        trivial = ("GET", "/api/v1/me", None)
        for method, path, payload in (trivial, precheck):  # warm every worker
            _measure(port, method, path, payload, token, 2)
        # Taken in turns, ROUNDS slices of each: this machine's speed drifts by a third from
        # one minute to the next (PostgreSQL, the server and the clients share two cores), and
        # one slice of each in a row put that drift into the ratio.
        base_count, base_lat, count, lat = 0, [], 0, []
        base_seconds = pre_seconds = 0.0
        for _ in range(ROUNDS):
            slice_rate, slice_lat = _measure(port, *trivial, token, seconds / ROUNDS)
            base_count += len(slice_lat)
            base_seconds += len(slice_lat) / slice_rate
            base_lat += slice_lat
            slice_rate, slice_lat = _measure(port, *precheck, token, seconds / ROUNDS)
            count += len(slice_lat)
            pre_seconds += len(slice_lat) / slice_rate
            lat += slice_lat
        base_rate, rate = base_count / base_seconds, count / pre_seconds
        base_lat.sort()
        lat.sort()
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
        _drop_database(server, name)
    p95 = _percentile(lat, 0.95)
    detail = {
        "workers": int(workers),
        "clients": CLIENTS,
        "seconds_each": seconds,
        "precheck": {
            "rps": round(rate, 1),
            "p50_ms": round(_percentile(lat, 0.5), 1),
            "p95_ms": round(p95, 1),
        },
        "me": {
            "rps": round(base_rate, 1),
            "p50_ms": round(_percentile(base_lat, 0.5), 1),
            "p95_ms": round(_percentile(base_lat, 0.95), 1),
        },
    }
    print(f"api_throughput: {json.dumps(detail)}", file=sys.stderr)
    over_goal(
        "api_throughput",
        rate >= GOAL_RATIO * base_rate and p95 < GOAL_P95_MS,
        f"the pre-check at {rate / base_rate:.2f}× the trivial endpoint's rate (goal ≥ "
        f"{GOAL_RATIO}×), p95 {p95:.0f} ms (goal < {GOAL_P95_MS:.0f} ms)",
    )
    return [bench_line("api_throughput", rate, "requests/s", base_rate, places=1)]
