"""`ipfin serve`: the production server started for real (gunicorn, two workers) on the test
database: it answers fifty clients at once, serves the static files through WhiteNoise, restarts
its workers gracefully on HUP and stops on TERM."""

from __future__ import annotations

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
    proc = subprocess.Popen(  # noqa: S603 (our own command)
        cmd, env=process_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base + "/api/v1/products", proc)
        yield base, proc
    finally:
        if proc.poll() is None:
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
