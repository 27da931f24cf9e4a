"""API authentication: `ApiAuth`, the one authenticator every router of ipfin/api.py uses.

Kept apart from ipfin/api.py so that an app's api module can import it without importing the
NinjaAPI itself (which imports every app's router: importing it from a router was circular).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError, HttpError
from ninja.security.base import AuthBase
from ninja.utils import check_csrf

from ipfin.accounts.models import ApiToken, hash_token

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def bearer_tokens(request: HttpRequest) -> QuerySet[ApiToken] | None:
    """The usable token the request's `Authorization: Bearer <token>` names (at most one row):
    None when the request has no Authorization header; no row when the header is malformed or
    the token unknown, revoked or expired. The one reading of the header, shared by the
    authenticator and the idempotency layer."""
    header = request.headers.get("Authorization")
    if not header:
        return None
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return ApiToken.objects.none()
    return ApiToken.objects.usable().filter(token_hash=hash_token(raw.strip()))


# How exactly a token's `last_used_at` is kept (ApiAuth).
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiAuth(AuthBase):
    """`Authorization: Bearer <token>` for system clients, the session for the web UI.

    With `optional=True` an anonymous caller gets through as AnonymousUser (public register reads);
    a bad bearer token is still a 401, never silently anonymous.
    """

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __init__(self, *, optional: bool = False) -> None:
        super().__init__()
        self.optional = optional

    def __call__(self, request: HttpRequest) -> Any:
        tokens = bearer_tokens(request)
        if tokens is not None:
            token = tokens.select_related("user__organisation").first()
            if token is None or not token.user.is_active:
                raise AuthenticationError()
            now = timezone.now()
            # To the minute: one write a minute for a busy client, not one per request (a bank's
            # system calls many times a second; each write is a transaction on the primary).
            if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
                ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            request.user = token.user
            return token.user
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # A session is a browser: unsafe methods need the CSRF token, as for any form.
            if request.method not in _SAFE_METHODS and check_csrf(request) is not None:
                raise HttpError(403, "CSRF verification failed.")
            return user
        if self.optional:
            return AnonymousUser()
        return None
