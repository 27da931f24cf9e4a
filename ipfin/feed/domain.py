"""The change feed's pure rules (no Django): the event types, how a delivery is signed, when a
failed delivery is tried again, and which addresses a webhook may call.

A delivery is signed as Stripe and GitHub sign theirs, so that a bank's system can check it with
any HMAC library: `X-Ipfin-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`,
one `v1` per secret in force (the current one, and each one it replaced within the last 24 hours:
a second rotation within a day does not cut off the first secret's grace). The receiver
recomputes the HMAC over the exact bytes it received, compares in constant time, and refuses a
`t` too far from its clock (replays)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import quote, urlsplit, urlunsplit


class EventType(StrEnum):
    PLEDGE_SUBMITTED = "pledge.submitted"  # an application reaches the examiner
    PLEDGE_DECIDED = "pledge.decided"  # registered, refused, returned; a change decided too
    PLEDGE_RELEASED = "pledge.released"  # 注销登记
    PLEDGE_WITHDRAWN = "pledge.withdrawn"  # an application withdrawn by a party before a decision
    RIGHT_STATUS_CHANGED = "right.status_changed"  # a pledged or owned right's legal status
    RISK_ALERT_RAISED = "risk.alert_raised"  # the daily scan's new early-warning alert
    LOAN_CLASSIFIED = "loan.classified"  # a loan's five-category classification changed


EVENT_TYPES: tuple[str, ...] = tuple(t.value for t in EventType)

# How long a delivery is tried (the issue: "retried with exponential backoff for 24 hours"), and
# how long a rotated secret still signs beside its successor.
RETRY_WINDOW = timedelta(hours=24)
ROTATION_GRACE = timedelta(hours=24)
# The longest wait between two tries: with the default first wait of 30 s the waits run 30 s,
# 1 min, 2 min … 1 h, 1 h …, about 30 tries in the 24 hours.
MAX_RETRY_WAIT = timedelta(hours=1)


# How many replaced secrets may still sign at once: a fifth rotation within 24 hours is refused
# (each one adds a signature to every delivery until its grace ends).
MAX_RETIRED_SECRETS = 4


@dataclass(frozen=True)
class RetiredSecret:
    """A secret replaced by a rotation, still signing until `until`."""

    secret: str
    until: datetime


def in_grace(retired: Iterable[RetiredSecret], now: datetime) -> list[RetiredSecret]:
    """The replaced secrets that still sign at `now`, the most recently replaced first."""
    return sorted((r for r in retired if r.until > now), key=lambda r: r.until, reverse=True)


def secrets_in_force(current: str, retired: Iterable[RetiredSecret], now: datetime) -> list[str]:
    """The secrets a delivery at `now` is signed with: the current one first, then each replaced
    one whose grace has not ended, the most recently replaced first."""
    return [current, *(r.secret for r in in_grace(retired, now))]


class TooManyRotations(ValueError):
    pass


def retire(current: str, retired: Iterable[RetiredSecret], now: datetime) -> list[RetiredSecret]:
    """The replaced secrets after a rotation at `now`: those still in their grace, and `current`
    for ROTATION_GRACE from now. Every secret a receiver may have deployed keeps its 24 hours:
    rotating twice within a day (a lost answer, a leaked secret) leaves the first secret signing
    until its own grace ends, as promised when it was replaced. TooManyRotations when
    MAX_RETIRED_SECRETS are already in their grace."""
    live = in_grace(retired, now)
    if len(live) >= MAX_RETIRED_SECRETS:
        raise TooManyRotations(len(live))
    return [*live, RetiredSecret(secret=current, until=now + ROTATION_GRACE)]


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of "<timestamp>.<body>" under `secret`."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secrets: Iterable[str], timestamp: int, body: bytes) -> str:
    """`t=<timestamp>,v1=<sig>[,v1=<sig>]`: one signature per secret in force, newest first."""
    parts = [f"t={timestamp}"]
    parts.extend(f"v1={signature(secret, timestamp, body)}" for secret in secrets)
    return ",".join(parts)


def signature_valid(secret: str, header: str, body: bytes) -> bool:
    """What a receiver checks: one of the header's `v1` values is the HMAC of its `t` and the
    body under `secret` (constant-time comparison). The clock check is the receiver's."""
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for key, value in fields if key.strip() == "t"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit():
        return False
    expected = signature(secret, int(stamps[0]), body)
    return any(
        hmac.compare_digest(expected, value.strip()) for key, value in fields if key.strip() == "v1"
    )


def retry_wait(attempts: int, first_wait: timedelta) -> timedelta:
    """The wait before the next try after `attempts` failed ones (1, 2, …): the first wait
    doubled each time, never more than MAX_RETRY_WAIT."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    if first_wait <= timedelta(0):
        return timedelta(0)
    # Capped before doubling so that a long run of failures cannot overflow timedelta.
    doublings = min(attempts - 1, 32)
    return min(first_wait * (1 << doublings), MAX_RETRY_WAIT)


def next_try(
    *, now: datetime, first_try: datetime, attempts: int, first_wait: timedelta
) -> datetime | None:
    """When a delivery that failed `attempts` times is tried next; None once the retry window
    that began at its first try is over (the delivery has failed for good)."""
    at = now + retry_wait(attempts, first_wait)
    if at > first_try + RETRY_WINDOW:
        return None
    return at


class UrlProblem(StrEnum):
    NOT_HTTP = "not_http"  # neither https nor http
    HTTP_NOT_ALLOWED = "http_not_allowed"  # http where only https is accepted
    NO_HOST = "no_host"
    CREDENTIALS = "credentials"  # user:password@ in the address
    NOT_PUBLIC = "not_public"  # a loopback, private, link-local or reserved address


def url_problem(url: str, *, allow_http: bool) -> UrlProblem | None:
    """What is wrong with a webhook address by its text alone (its host's addresses are checked
    when it is called: `address_public`)."""
    try:
        parts = urlsplit(url)
        port = parts.port  # a malformed port raises here
    except ValueError:
        return UrlProblem.NO_HOST
    del port
    if parts.scheme not in ("https", "http"):
        return UrlProblem.NOT_HTTP
    if parts.scheme == "http" and not allow_http:
        return UrlProblem.HTTP_NOT_ALLOWED
    if not parts.hostname:
        return UrlProblem.NO_HOST
    if parts.username is not None or parts.password is not None:
        return UrlProblem.CREDENTIALS
    return None


# What RFC 3986 lets stand in a path or a query as it is; anything else is percent-encoded.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


def url_as_sent(url: str) -> str:
    """The address with its path and query percent-encoded (UTF-8), as an HTTP request line
    must carry them: a Chinese path (/回调) or a space was accepted as typed, then every try
    failed in the HTTP library before anything was sent, until the delivery was given up a day
    later. Escapes already there stay; the scheme, host and port are not touched."""
    parts = urlsplit(url)
    return urlunsplit(
        parts._replace(
            path=quote(parts.path, safe=_PATH_SAFE), query=quote(parts.query, safe=_QUERY_SAFE)
        )
    )


def address_public(address: str) -> bool:
    """Whether an IP address is one a webhook may reach: not loopback, private (RFC 1918, unique
    local), link-local (cloud metadata at 169.254.169.254), multicast, reserved or unspecified.
    Without this a subscriber could make the platform call its own database or metadata service
    and read the status of each try in the delivery log (server-side request forgery)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address carried inside an IPv6 one reaches that IPv4 host: judge it instead
        # (mapped ::ffff:a.b.c.d, SIIT ::ffff:0:a.b.c.d, 6to4 2002:AABB:CCDD::, NAT64
        # 64:ff9b::a.b.c.d, Teredo).
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and (ip in _NAT64 or ip in _SIIT):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_public(str(embedded))
        # Anything else outside the global unicast block is someone's own network: the
        # local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215), the old IPv4-compatible ::a.b.c.d
        # and site-local fec0::/10, which Python still counts as global.
        if ip not in _GLOBAL_UNICAST:
            return False
    return ip.is_global and not ip.is_multicast


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SIIT = ipaddress.IPv6Network("::ffff:0:0:0/96")
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
