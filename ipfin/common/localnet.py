"""The machine's own network, for what starts servers and workers of ours and talks to them (the
tests, the benchmarks): a free port to bind, and whether a service answers at a URL (the
brokers at their standard ports). No Django."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

# The standard ports of the URL schemes the platform's services use.
DEFAULT_PORTS = {"amqp": 5672, "redis": 6379, "postgres": 5432, "postgresql": 5432}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def url_reachable(url: str, seconds: float = 2.0) -> bool:
    """Whether something accepts a TCP connection at `url`'s host and port (the scheme's
    standard port when the URL names none), within `seconds`."""
    parts = urlsplit(url)
    port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    if port is None:
        raise ValueError(f"no port in {url!r} and none standard for {parts.scheme!r}")
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), seconds):
            return True
    except OSError:
        return False
