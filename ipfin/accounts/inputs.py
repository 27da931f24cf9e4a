"""Parsing what callers type about organisations into clean values or a 422: the input layer of
the accounts app (pure: no database). Services and selectors both use it."""

from __future__ import annotations

from ipfin.accounts.domain import UsccError, validate_uscc
from ipfin.common.errors import ValidationFailed

__all__ = ["clean_uscc"]


def clean_uscc(raw: str) -> str:
    """Validate a unified social credit code (GB 32100-2015, with its check characters); a bad
    one is a 422 with the validator's code and reason, never a 500."""
    try:
        return validate_uscc(raw)
    except UsccError as exc:
        raise ValidationFailed(exc.message_zh, exc.message_en, code=exc.code) from exc
