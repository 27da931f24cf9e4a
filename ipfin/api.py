"""The REST API: one NinjaAPI mounted at /api/, with version-1 routers under /api/v1/.

django-ninja was chosen over DRF + drf-spectacular because its Pydantic schemas are the OpenAPI
document (no second description to keep in step), input and output schemas are plain typed classes,
and it adds no serializer layer of its own between the endpoints and our services.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security.base import AuthBase
from ninja.utils import check_csrf

from ipfin.accounts.models import ApiToken, hash_token
from ipfin.common.errors import DomainError

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


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
        header = request.headers.get("Authorization")
        if header:
            scheme, _, raw = header.partition(" ")
            if scheme.lower() != "bearer" or not raw.strip():
                raise AuthenticationError()
            token = (
                ApiToken.objects.select_related("user__organisation")
                .filter(token_hash=hash_token(raw.strip()), revoked_at__isnull=True)
                .first()
            )
            if token is None or not token.user.is_active:
                raise AuthenticationError()
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
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


api = NinjaAPI(
    title="ipfin API",
    version="1",
    description="知识产权金融服务平台 — IP registry and pledge registration. "
    "Money is a string with two decimals (yuan); dates are ISO 8601.",
    urls_namespace="api",
    openapi_url="/schema",
    docs_url="/docs",
    auth=ApiAuth(),
)


def _error(request: HttpRequest, status: int, detail: Any, code: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "code": code, **extra}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, exc.status, exc.detail(get_language()), exc.code, **exc.extra)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return _error(request, 422, exc.errors, "invalid_input")


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "Authentication required.", "not_authenticated")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc), "http_error")


def _register_routers() -> None:
    from ipfin.accounts.api import router as accounts_router
    from ipfin.pledges.api import router as pledges_router
    from ipfin.registry.api import router as registry_router

    api.add_router("/v1/", registry_router, tags=["registry"])
    api.add_router("/v1/", pledges_router, tags=["pledges"])
    api.add_router("/v1/", accounts_router, tags=["accounts"])


_register_routers()


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Never a stack trace to the caller; the log keeps it.
    import logging

    logging.getLogger("ipfin.api").exception("unhandled error on %s", request.path)
    return _error(request, 500, "Internal error.", "internal_error")
