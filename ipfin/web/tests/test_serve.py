"""`ipfin serve`: the production server started for real (gunicorn, two workers) on the test
database: it answers fifty clients at once, serves the static files through WhiteNoise, restarts
its workers gracefully on HUP and stops on TERM; its workers keep their database connections."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

from ipfin.common.localnet import free_port
from ipfin.web.management.commands.serve import gunicorn_argv

pytestmark = pytest.mark.django_db(transaction=True)

Server = tuple[str, "subprocess.Popen[bytes]"]


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=20) as answer:  # noqa: S310 (our own loopback server)
        return answer.status, dict(answer.headers.items()), answer.read()


def _wait_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}")
        try:
            _get(url)
            return
        except urllib.error.HTTPError as exc:
            proc.kill()
            out = proc.stdout.read().decode() if proc.stdout else ""
            raise AssertionError(f"{url}: {exc.code}\n{out[-3000:]}") from exc
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the server did not come up")


@pytest.fixture
def server(
    process_env: Callable[[], dict[str, str]],
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    ipfin = str(Path(sys.executable).with_name("ipfin"))
    cmd = [ipfin, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4"]
    env = process_env()
    # Serve's own default whatever this shell says (an empty value is no value).
    env["IPFIN_DB_CONN_MAX_AGE"] = ""
    proc = subprocess.Popen(  # noqa: S603 (our own command)
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base + "/api/v1/products", proc)
        yield base, proc
    finally:
        if proc.poll() is None:
            # TERM first: the workers close their kept database connections as they exit (a
            # connection left behind would keep the test database from being dropped).
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
        proc.wait(timeout=30)


def test_the_command_line_is_gunicorn_with_graceful_restarts() -> None:
    argv = gunicorn_argv(bind="0.0.0.0:80", workers=5, threads=1)
    assert argv[1:4] == ["-m", "gunicorn", "config.wsgi:application"]
    assert argv[argv.index("--workers") + 1] == "5"
    assert argv[argv.index("--graceful-timeout") + 1] == "30"
    assert "--worker-class" not in argv
    threaded = gunicorn_argv(bind="127.0.0.1:1", workers=2, threads=4)
    assert threaded[threaded.index("--worker-class") + 1] == "gthread"


@pytest.mark.parametrize(
    ("variable", "value", "refusal"),
    [
        *(
            ("IPFIN_DB_CONN_MAX_AGE", value, "must be a whole number of seconds")
            for value in ["sixty", "-1", "1.5", "²"]
        ),
        *(("IPFIN_DB_PREPARED_STATEMENTS", value, "must be 0 or 1") for value in ["yes", "2"]),
    ],
)
def test_a_database_setting_out_of_its_range_stops_the_start(
    variable: str, value: str, refusal: str
) -> None:
    env = {**os.environ, variable: value}
    proc = subprocess.run(
        [sys.executable, "-m", "ipfin", "check"], env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode != 0
    assert f"{variable} {refusal}" in proc.stderr


@pytest.mark.skipif(shutil.which("true") is None, reason="needs a POSIX system")
def test_serve_answers_fifty_clients_serves_static_files_and_restarts_gracefully(
    server: Server,
) -> None:
    base, proc = server
    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(lambda _: _get(base + "/api/v1/products")[0], range(200)))
    assert statuses == [200] * 200

    status, headers, body = _get(base + "/static/web/ipfin.css")
    assert status == 200 and len(body) > 100
    assert "max-age" in headers.get("Cache-Control", "")  # WhiteNoise's caching headers
    # The pages link the stylesheet by a name hashed from its content: cached for good, and
    # sent compressed to a browser that takes it (the app directories' copies had won: plain,
    # cached for 60 s).
    page = _get(base + "/login/")[2].decode()
    hashed = re.search(r"/static/web/ipfin\.[0-9a-f]{12}\.css", page)
    assert hashed is not None, page[:2000]
    request = urllib.request.Request(  # noqa: S310 (our own loopback server)
        base + hashed[0], headers={"Accept-Encoding": "gzip"}
    )
    with urllib.request.urlopen(request, timeout=20) as answer:  # noqa: S310 (our own server)
        assert answer.headers["Content-Encoding"] == "gzip"
        assert "immutable" in answer.headers["Cache-Control"]
        assert len(answer.read()) < len(body)

    proc.send_signal(signal.SIGHUP)  # graceful restart: new workers, no request refused
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert _get(base + "/api/v1/products")[0] == 200
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=40) == 0
    out = proc.stdout.read().decode() if proc.stdout else ""
    # Two workers at the start, two more after the HUP replaced them.
    assert out.count("Booting worker") >= 4, out[-3000:]


def _sessions_opened(database: str) -> int:
    """Sessions PostgreSQL has opened on `database` so far (pg_stat_database.sessions, PG 14+)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", [database])
        return int(cursor.fetchone()[0])


@pytest.mark.postgres_only
def test_serve_workers_keep_their_database_connections_between_requests(server: Server) -> None:
    """200 requests from 50 clients on 2 workers × 4 threads open at most one connection per
    thread (IPFIN_DB_CONN_MAX_AGE, 60 s under `ipfin serve`), not one per request."""
    base, _proc = server
    database = connection.settings_dict["NAME"]
    before = _sessions_opened(database)
    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(lambda _: _get(base + "/api/v1/products")[0], range(200)))
    assert statuses == [200] * 200
    # A backend reports its session at the latest when it exits (a closed connection) and
    # within a second otherwise: wait until the count stops moving.
    opened, deadline = _sessions_opened(database) - before, time.monotonic() + 5
    while time.monotonic() < deadline:
        time.sleep(1.2)
        now = _sessions_opened(database) - before
        if now == opened:
            break
        opened = now
    assert opened <= 2 * 4 + 2, f"{opened} connections opened for 200 requests"
