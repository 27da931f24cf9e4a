"""Login throttling: after LOGIN_FAILURE_LIMIT failures for a username or from an address within
LOGIN_LOCKOUT_SECONDS, further attempts are refused until the window has passed. Failures are kept
in the database, so the limit holds across processes without a cache server."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from ipfin.accounts.models import LoginFailure


def client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


def login_locked(request: HttpRequest, username: str) -> bool:
    since = timezone.now() - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    recent = LoginFailure.objects.filter(at__gte=since)
    by_user = recent.filter(username=username.lower()).count()
    # An address may try a few usernames (shared office NAT), but not endlessly.
    by_address = recent.filter(ip_address=client_address(request)).count()
    limit = settings.LOGIN_FAILURE_LIMIT
    return by_user >= limit or by_address >= limit * 4


def login_failed(request: HttpRequest, username: str) -> None:
    LoginFailure.objects.create(username=username.lower(), ip_address=client_address(request))


def login_succeeded(request: HttpRequest, username: str) -> None:
    LoginFailure.objects.filter(Q(username=username.lower())).delete()
