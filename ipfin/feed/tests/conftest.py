"""A real HTTP receiver on a loopback port for the webhook tests: it answers each delivery with
the next status of a script (then 200), and keeps what it received."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    script: list[int] = field(default_factory=list)  # statuses to answer first, in order
    delay: float = 0.0  # seconds to wait before answering (a slow receiver)
    received: list[Received] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            rec = state["r"]
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            rec.received.append(Received(self.path, dict(self.headers.items()), body))
            if rec.delay:
                threading.Event().wait(rec.delay)
            status = rec.script.pop(0) if rec.script else 200
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", "2")
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["r"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/ipfin-hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["r"]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def local_webhooks(settings: Any) -> None:
    """Let webhooks call the loopback receiver over http (refused by default)."""
    settings.IPFIN_WEBHOOK_ALLOW_HTTP = True
    settings.IPFIN_WEBHOOK_ALLOW_PRIVATE = True
    settings.IPFIN_WEBHOOK_FIRST_RETRY_SECONDS = 0
    settings.IPFIN_WEBHOOK_TIMEOUT = 2
