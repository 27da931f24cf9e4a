"""The anonymous calculators' rate limit: requests per client address, for callers who are not
logged in (POST /api/v1/valuations/preview, POST /api/v1/schedules/preview and the risk
calculators POST /api/v1/risk/compensation/preview and /api/v1/risk/npl-tolerance/preview, which
anyone may call and which compute on every request; GET /api/v1/rights/{number}/score when its
query gives weights or expert assessments, which recompute the score over the right's cohort); and
the anonymous searches of the public register (GET /api/v1/rights, the 公开查询 page with a query),
with a count of their own, IPFIN_ANON_SEARCH_RATE (default "60/m").

Rule. An anonymous request (no bearer token, no session: `request.user` is not authenticated once
the operation's `ApiAuth(optional=True)` has run) counts against its client address. With the
setting IPFIN_ANON_CALCULATOR_RATE = "N/period" (period s, m, h or d; default "30/m"), the N + 1st
request of an address within one period is refused before its body is read: 429 `rate_limited`
with `Retry-After`, the whole seconds until the period ends. Authenticated callers are not limited
by this rule: they are known, and what they compute is bounded by the inputs' own limits.

Addresses. `client_address` (ipfin.accounts.throttle): REMOTE_ADDR, or behind
IPFIN_TRUSTED_PROXY_COUNT proxies of our own the address the outermost of them saw, never one the
client wrote in X-Forwarded-For. An IPv6 address counts as its /64, the block one subscriber gets,
so that the addresses of one network do not each get N.

Counting. Fixed periods aligned on the epoch: one counter per (address, period) in Django's
default cache, created by `add` and raised by `incr`, both atomic in the local-memory cache (it
takes a lock) as in Redis or memcached, so two requests at once never both take the last place.
Each period admits N; a burst across the boundary of two periods can reach 2N in a short time.
The limit bounds the work an address gets, it is not an exact sliding quota.

Where the counts live. The embedded default cache (LocMemCache, config/settings.py CACHES) is per
process: with P server processes an address may make up to P·N requests a period, N in each, and
a restart forgets the counts. A deployment with several processes that wants one count per address
sets a shared cache (Redis, memcached or the database cache) as CACHES["default"].
"""

from __future__ import annotations

import ipaddress
import math
import re
import time

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from ipfin.accounts.throttle import client_address

__all__ = [
    "ANON_CALCULATOR_THROTTLE",
    "ANON_READ_THROTTLE",
    "ANON_SCORE_THROTTLE",
    "ANON_SEARCH_THROTTLE",
    "AnonymousRateThrottle",
    "ComputingRequestThrottle",
    "clock",
    "parse_rate",
    "retry_after",
]

_RATE = re.compile(r"\s*(\d+)\s*/\s*([smhd])\s*")
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# The time, read through this name so that a test can hold it still.
clock = time.time


def parse_rate(text: str, setting: str = "IPFIN_ANON_CALCULATOR_RATE") -> tuple[int, int]:
    """A rate as (requests, seconds): "30/m" is (30, 60). Anything else is an ImproperlyConfigured
    naming the setting."""
    match = _RATE.fullmatch(str(text))
    if match is None or int(match.group(1)) < 1:
        raise ImproperlyConfigured(
            f"{setting} must be N/s, N/m, N/h or N/d with N ≥ 1 (e.g. 30/m), not {text!r}"
        )
    return int(match.group(1)), _PERIODS[match.group(2)]


def retry_after(wait: float | None) -> int:
    """A throttle's wait as Retry-After: whole seconds, at least one (RFC 9110 10.2.3)."""
    return max(1, math.ceil(wait or 1))


def _address_bucket(address: str) -> str:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6 and parsed.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return address


class AnonymousRateThrottle(BaseThrottle):
    """django-ninja throttle of anonymous requests per client address (see the module docstring);
    the rate is read from `setting` on each request, the counts are shared by every operation that
    uses the same `scope`."""

    def __init__(self, *, scope: str, setting: str) -> None:
        self.scope = scope
        self.setting = setting

    def rate(self) -> tuple[int, int]:
        return parse_rate(getattr(settings, self.setting), self.setting)

    def allow_request(self, request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return True
        limit, period = self.rate()
        now = clock()
        window = int(now // period)
        key = (
            f"ipfin:rate:{self.scope}:{period}:{window}:{_address_bucket(client_address(request))}"
        )
        cache = caches["default"]
        # Kept a little past the period's end; `add` does nothing if the counter exists.
        timeout = int((window + 1) * period - now) + 2
        cache.add(key, 0, timeout=timeout)
        try:
            count = cache.incr(key)
        except ValueError:  # culled between add and incr: this request opens it again
            cache.add(key, 1, timeout=timeout)
            count = 1
        return count <= limit

    def wait(self) -> float:
        """Seconds until the current period ends (> 0): when the address may call again."""
        _, period = self.rate()
        return period - clock() % period


class ComputingRequestThrottle(AnonymousRateThrottle):
    """The same count, for an operation that is a plain read unless the query asks it to compute
    (any of `parameters` given): only the computing requests are counted and refused."""

    def __init__(self, *, scope: str, setting: str, parameters: frozenset[str]) -> None:
        super().__init__(scope=scope, setting=setting)
        self.parameters = parameters

    def allow_request(self, request: HttpRequest) -> bool:
        if not any(request.GET.get(name) for name in self.parameters):
            return True
        return super().allow_request(request)


# The public search of the register (GET /api/v1/rights, the 公开查询 page; and of the pledges
# registered, GET /api/v1/pledges/public): each search, and
# the list's count, reads the whole matching set, which for a common word or no word at all is
# most of the register (30 million rights at national scale): a count of its own per address.
ANON_SEARCH_THROTTLE = AnonymousRateThrottle(scope="search", setting="IPFIN_ANON_SEARCH_RATE")
# The public reads that go over many rows whatever is asked (the index's ranking and a zone's
# history read every published run's results, the trading board's figures aggregate every
# listing and deal, the comparables rank the register's priced transfers): a count of their own
# per address, so that an anonymous caller cannot keep a worker computing them.
ANON_READ_THROTTLE = AnonymousRateThrottle(scope="read", setting="IPFIN_ANON_READ_RATE")
# The anonymous calculators share one count per address.
ANON_CALCULATOR_THROTTLE = AnonymousRateThrottle(
    scope="calculator", setting="IPFIN_ANON_CALCULATOR_RATE"
)
# GET /rights/{number}/score recomputes the score with the weights or expert assessments given:
# a calculator then, counted with the others; without them it reads the stored score.
ANON_SCORE_THROTTLE = ComputingRequestThrottle(
    scope="calculator",
    setting="IPFIN_ANON_CALCULATOR_RATE",
    parameters=frozenset(
        {"legal", "technical", "economic", "expert_legal", "expert_technical", "expert_economic"}
    ),
)
