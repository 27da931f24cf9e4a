"""One webhook delivery over HTTP, safely: the host is resolved once, every address it resolves
to must be public (unless the settings allow private ones), and the connection goes to that
checked address — the name is used only for the TLS certificate check and the Host header, so a
second DNS answer (rebinding) cannot send the request elsewhere. No proxy, no redirect followed,
and one deadline for the whole exchange, the name's lookup included (a receiver dripping its answer
a byte at a time, or a name server that never answers, is cut off at the timeout like a silent
receiver). Every failure is a failed try with a short reason, never
an exception for the deliverer."""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as LookupTimeout
from dataclasses import dataclass
from urllib.parse import urlsplit

from celery.exceptions import SoftTimeLimitExceeded

from ipfin.feed.domain import address_public, url_as_sent

# One reason for every refused or unresolvable host: the log must not tell a subscriber how the
# platform's own network resolves names.
NOT_ALLOWED = "host not resolved to an allowed (public) address"


@dataclass(frozen=True)
class Outcome:
    status: int | None  # the receiver's status code; None: no answer
    error: str  # why the try failed ("" when it got a 2xx)
    ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def resolve_checked(host: str, port: int, *, allow_private: bool) -> str | None:
    """The address to connect to: the first the host resolves to, provided every one is allowed;
    None otherwise (or when it resolves to none)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        return None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        return None
    if not allow_private and not all(address_public(a) for a in addresses):
        return None
    return addresses[0]


# getaddrinfo takes no timeout: the lookup runs on one of these threads and the try waits for it
# only as long as its deadline allows. A lookup left behind ends on its own (the resolver's own
# timeouts); a few threads are enough, as the tries run one after another.
_LOOKUPS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")


def resolve_within(host: str, port: int, *, allow_private: bool, timeout: float) -> str | None:
    """`resolve_checked` within `timeout` seconds; TimeoutError when the lookup takes longer."""
    lookup = _LOOKUPS.submit(resolve_checked, host, port, allow_private=allow_private)
    try:
        return lookup.result(timeout=timeout)
    except LookupTimeout:
        raise TimeoutError(host) from None


class _Deadline:
    """The whole exchange's deadline, shared by the watchdog and the connection: the watchdog
    sets `passed` and shuts the connection's socket down, whatever is then using it, the TLS
    handshake included (the watchdog looked at the connection's socket, which is set only once
    the handshake is done: a handshake begun before the deadline ran on, then each read of a
    dripped answer within its own timeout). A socket opened after the deadline is closed
    before it is used."""

    def __init__(self) -> None:
        self.passed = threading.Event()
        self.sock: socket.socket | None = None

    def opened(self, sock: socket.socket) -> socket.socket:
        self.sock = sock  # before the check: the watchdog either finds it or is seen here
        if self.passed.is_set():
            sock.close()
            raise TimeoutError("deadline passed while connecting")
        return sock

    def cut_off(self) -> None:
        self.passed.set()
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(
        self, host: str, port: int, address: str, timeout: float, deadline: _Deadline
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address
        self._deadline = deadline

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._deadline.opened(sock)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(
        self, host: str, port: int, address: str, timeout: float, deadline: _Deadline
    ) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address
        self._deadline = deadline

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the name, not the address. The TLS socket is
        # handed to the deadline before its handshake: wrapping takes the TCP socket's
        # descriptor over, so only the TLS socket can be shut down once it exists.
        tls = self._tls.wrap_socket(sock, server_hostname=self.host, do_handshake_on_connect=False)
        self.sock = self._deadline.opened(tls)
        tls.do_handshake()


def post(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_private: bool
) -> Outcome:
    """POST `body` to `url` within `timeout` seconds in all."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        # A webhook stored before its address was kept percent-encoded is sent as one now is.
        parts = urlsplit(url_as_sent(url))
        host = parts.hostname or ""
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
    except ValueError:
        return Outcome(None, "invalid address", elapsed())
    try:
        address = resolve_within(host, port, allow_private=allow_private, timeout=timeout)
    except TimeoutError:
        return Outcome(None, f"timed out after {timeout:g} s", elapsed())
    if address is None:
        return Outcome(None, NOT_ALLOWED, elapsed())
    # What the lookup used of the deadline is gone for the exchange.
    timeout_left = max(timeout - (time.monotonic() - started), 0.001)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    deadline = _Deadline()
    timed_out = deadline.passed
    connection: http.client.HTTPConnection = (
        _PinnedHTTPS(host, port, address, timeout_left, deadline)
        if https
        else _PinnedHTTP(host, port, address, timeout_left, deadline)
    )
    watchdog = threading.Timer(timeout_left, deadline.cut_off)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", path, body=body, headers=headers)
        answer = connection.getresponse()
        answer.read(1024)
        status: int | None = answer.status
        error = "" if 200 <= answer.status < 300 else f"HTTP {answer.status}"
    except SoftTimeLimitExceeded:  # the deliverer's task is stopped: not this receiver's failure
        raise
    except Exception as exc:  # any failure of the exchange is a failed try, logged with its kind
        status = None
        error = (
            f"timed out after {timeout:g} s"
            if timed_out.is_set() or isinstance(exc, TimeoutError | socket.timeout)
            else f"{type(exc).__name__}: {exc}"[:300]
        )
    finally:
        watchdog.cancel()
        connection.close()
    if timed_out.is_set() and status is not None and error == "":
        status, error = None, f"timed out after {timeout:g} s"
    return Outcome(status, error, elapsed())
