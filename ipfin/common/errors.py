"""Errors that services raise and that the API and the UI map to responses.

Every error carries a stable machine-readable `code`, an HTTP status, a human `detail` (Chinese and
English) and optional `extra` data (for example the pre-check results of a refused pledge).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 400
    code: str = "error"

    def __init__(
        self,
        detail_zh: str,
        detail_en: str | None = None,
        *,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail_en or detail_zh)
        self.detail_zh = detail_zh
        self.detail_en = detail_en or detail_zh
        if code is not None:
            self.code = code
        self.extra = extra or {}

    def detail(self, language: str | None) -> str:
        return self.detail_en if (language or "").startswith("en") else self.detail_zh


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"


class NotFound(DomainError):
    """Also raised for another tenant's object, so that its existence is not revealed."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class PreconditionRequired(DomainError):
    """A write that must say which state it was made from (If-Match) and did not: 428."""

    status = 428
    code = "precondition_required"


class TooManyAttempts(DomainError):
    """Refused before anything was checked: too many recent failures (login throttle): 429."""

    status = 429
    code = "too_many_attempts"


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"


def invalid(field: str | None, code: str, zh: str, en: str, **extra: Any) -> ValidationFailed:
    """The one way to say "this input is wrong": a 422 with its stable `code`, the input it is
    about in `extra["field"]` (None: the request as a whole) and any further `extra` data."""
    data = {"field": field, **extra} if field is not None else extra
    return ValidationFailed(zh, en, code=code, extra=data or None)
