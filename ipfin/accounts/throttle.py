"""Login throttling: every attempt is counted, atomically, before its password is checked.

Names. An attempt counts under its username (`throttle_key`: what was typed, lowercased, without
NUL, cut to the column, so any input counts against the account it names) and under its client
address (`client_address`: REMOTE_ADDR; with IPFIN_TRUSTED_PROXY_COUNT = N > 0, the Nth entry from
the right of X-Forwarded-For, the one the outermost of our own N proxies wrote; entries further left
are whatever the client sent and are ignored; REMOTE_ADDR if the header has fewer than N entries).

Records. Each attempt is a LoginAttempt row written before the password is checked: `pending`, then
`failed` or `succeeded`; `refused` when it was turned away unchecked. No login deletes them (a
success included): the history stays for audit and analysis. Below, L = LOGIN_FAILURE_LIMIT,
W = LOGIN_LOCKOUT_SECONDS, and an attempt is *open* if it is pending or failed and under W seconds
old.

Rule 1, per username. An attempt goes on to the password check only if fewer than L open attempts
name its username; otherwise it is refused (429) without its password being checked, right or
wrong. The decision and the pending record are one transaction holding the username's LoginThrottle
row (locked by an UPDATE: PostgreSQL's row lock until commit, SQLite's write lock), so concurrent
attempts for one username are admitted one at a time. Hence, whatever the concurrency: within any
W seconds at most L wrong passwords are checked for a username.

Rule 2, success. A success turns its own attempt from pending to succeeded: it frees its own place
and nothing else. Failures keep counting until they are W seconds old, and attempts still being
checked keep their places, so a success racing with failures reopens no guesses: the password checks
for a username within any W seconds are at most L plus those that were the right password. (A user
who mistyped and then logged in has the mistypes counted for the rest of W.)

Rule 3, per address. An address with at least 4·L open attempts (any usernames) is *limited*: it is
refused the usernames it has an open attempt for, and may still try the others. So made-up names
failing from a shared proxy or NAT address never lock a colleague's correct password out of that
address (their own limit, rule 1, still holds), while a guesser at one address gets one guess per
username per W once it is limited, instead of L. The address's row is locked after the username's
(always in that order: no deadlock), so the count is exact.

Lockouts are audited (ipfin.audit): `login.locked` when a failure brings a username's failures
within W to L, `login.address_limited` when one brings an address's to 4·L (each time the count
reaches the mark). Refused attempts are recorded but not audited, so that a flood of them cannot
fill the audit trail.

An attempt whose check never finished (the process died) stays pending and counts until it is W
seconds old: the throttle fails closed.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from ipfin.accounts.models import LoginAttempt, LoginOutcome, LoginThrottle, ThrottleScope
from ipfin.audit.services import audit_record

ADDRESS_LIMIT_FACTOR = 4  # an address (a shared office NAT) may try a few usernames
_OPEN = (LoginOutcome.PENDING, LoginOutcome.FAILED)


def throttle_key(username: str) -> str:
    """The name an attempt is counted under: what was typed, without NUL (PostgreSQL refuses it),
    lowercased, cut to the column's length, so any input, valid or not, counts against the
    account it names."""
    max_length = LoginAttempt._meta.get_field("username").max_length or 150
    return username.replace("\x00", "").strip().lower()[:max_length]


def _address_key(raw: str) -> str:
    max_length = LoginAttempt._meta.get_field("ip_address").max_length or 64
    raw = raw.replace("\x00", "").strip()
    try:
        return ipaddress.ip_address(raw).compressed  # one spelling per address
    except ValueError:
        return raw[:max_length] or "unknown"


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind IPFIN_TRUSTED_PROXY_COUNT = N proxies of our
    own the Nth entry from the right of X-Forwarded-For (each proxy appends the address it was
    reached from, so the N rightmost entries are ours and anything left of them is the client's
    say). A header with fewer than N entries did not come through our proxies: REMOTE_ADDR."""
    remote = _address_key(str(request.META.get("REMOTE_ADDR", "") or ""))
    proxies = int(getattr(settings, "IPFIN_TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies <= 0:
        return remote
    header = str(request.META.get("HTTP_X_FORWARDED_FOR", "") or "")
    forwarded = [entry.strip() for entry in header.split(",") if entry.strip()]
    if len(forwarded) < proxies:
        return remote
    return _address_key(forwarded[-proxies])


def _lock(scope: str, key: str, now: datetime) -> None:
    """Lock the (scope, key) row for the rest of the transaction, creating it on first use. An
    UPDATE, not a read: on PostgreSQL it holds the row lock until commit, on SQLite the write lock
    (so two admissions can never both count before either records itself)."""
    rows = LoginThrottle.objects.filter(scope=scope, key=key)
    if not rows.update(last_attempt_at=now):
        # Two first attempts at once: the second insert waits for the first, then does nothing.
        LoginThrottle.objects.bulk_create(
            [LoginThrottle(scope=scope, key=key, last_attempt_at=now)], ignore_conflicts=True
        )
        rows.update(last_attempt_at=now)


def _open_attempts(now: datetime) -> QuerySet[LoginAttempt]:
    since = now - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    return LoginAttempt.objects.filter(at__gte=since, outcome__in=_OPEN)


def _address_limit() -> int:
    return int(settings.LOGIN_FAILURE_LIMIT) * ADDRESS_LIMIT_FACTOR


def login_attempt_start(request: HttpRequest, username: str) -> LoginAttempt | None:
    """Count an attempt before its password is checked (rules 1 and 3). Returns the pending
    attempt to check, or None: refused, check nothing."""
    name, address = throttle_key(username), client_address(request)
    with transaction.atomic():
        now = timezone.now()
        _lock(ThrottleScope.USERNAME, name, now)
        _lock(ThrottleScope.ADDRESS, address, now)
        open_attempts = _open_attempts(now)
        refused = open_attempts.filter(username=name).count() >= settings.LOGIN_FAILURE_LIMIT
        if not refused and (open_attempts.filter(ip_address=address).count() >= _address_limit()):
            refused = open_attempts.filter(ip_address=address, username=name).exists()
        attempt = LoginAttempt.objects.create(
            username=name,
            ip_address=address,
            outcome=LoginOutcome.REFUSED if refused else LoginOutcome.PENDING,
        )
    return None if refused else attempt


def login_attempt_failed(attempt: LoginAttempt) -> None:
    """The password was wrong: the attempt keeps its place (rule 1) and is kept. Audits the lockout
    when this failure is the one that reaches the username's or the address's mark."""
    with transaction.atomic():
        now = timezone.now()
        _lock(ThrottleScope.USERNAME, attempt.username, now)
        _lock(ThrottleScope.ADDRESS, attempt.ip_address, now)
        LoginAttempt.objects.filter(pk=attempt.pk).update(outcome=LoginOutcome.FAILED)
        failures = LoginAttempt.objects.filter(
            at__gte=now - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS),
            outcome=LoginOutcome.FAILED,
        )
        window = {"window_seconds": settings.LOGIN_LOCKOUT_SECONDS}
        by_username = failures.filter(username=attempt.username).count()
        if by_username == settings.LOGIN_FAILURE_LIMIT:
            audit_record(
                actor=None,
                action="login.locked",
                obj=attempt,
                after={
                    "username": attempt.username,
                    "ip_address": attempt.ip_address,
                    "failures": by_username,
                    **window,
                },
            )
        by_address = failures.filter(ip_address=attempt.ip_address).count()
        if by_address == _address_limit():
            audit_record(
                actor=None,
                action="login.address_limited",
                obj=attempt,
                after={"ip_address": attempt.ip_address, "failures": by_address, **window},
            )
    attempt.outcome = LoginOutcome.FAILED


def login_attempt_succeeded(attempt: LoginAttempt) -> None:
    """The password was right: the attempt frees its own place and nothing else (rule 2)."""
    LoginAttempt.objects.filter(pk=attempt.pk, outcome=LoginOutcome.PENDING).update(
        outcome=LoginOutcome.SUCCEEDED
    )
    attempt.outcome = LoginOutcome.SUCCEEDED
