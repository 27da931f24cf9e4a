"""Login throttling: after LOGIN_FAILURE_LIMIT failures for a username or from an address within
LOGIN_LOCKOUT_SECONDS, further attempts are refused until the window has passed. Failures are kept
in the database, so the limit holds across processes without a cache server."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from ipfin.accounts.models import LoginFailure


def throttle_key(username: str) -> str:
    """The name an attempt is counted under: what was typed, without NUL (PostgreSQL refuses it),
    lowercased, cut to the column's length, so any input, valid or not, counts against the
    account it names."""
    max_length = LoginFailure._meta.get_field("username").max_length or 150
    return username.replace("\x00", "").strip().lower()[:max_length]


def client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


def login_locked(request: HttpRequest, username: str) -> bool:
    since = timezone.now() - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    recent = LoginFailure.objects.filter(at__gte=since)
    by_user = recent.filter(username=throttle_key(username)).count()
    # An address may try a few usernames (shared office NAT), but not endlessly.
    by_address = recent.filter(ip_address=client_address(request)).count()
    limit = settings.LOGIN_FAILURE_LIMIT
    return by_user >= limit or by_address >= limit * 4


def login_failed(request: HttpRequest, username: str) -> None:
    LoginFailure.objects.create(username=throttle_key(username), ip_address=client_address(request))


def login_succeeded(request: HttpRequest, username: str) -> None:
    LoginFailure.objects.filter(username=throttle_key(username)).delete()
