"""API schemas every app shares. One class per name: the OpenAPI document keys its components by
class name, so two different classes of one name would silently describe each other."""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BeforeValidator

__all__ = ["USCC_PATTERN", "ErrorOut", "IsoDate", "OrganisationRef", "uscc_field"]


class OrganisationRef(Schema):
    """An organisation named in an answer: its id and name."""

    id: int
    name: str


class ErrorOut(Schema):
    """The shared error body: `detail` in the request's language, a stable `code` (the document
    names it `Error`, see ipfin.openapi)."""

    detail: Any
    code: str


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: Any) -> Any:
    """A date is written YYYY-MM-DD. pydantic would also read a number, or a string of one, as
    seconds since 1970 (`on=-2e-302` became 1970-01-01): refused here, before it can."""
    if isinstance(value, datetime.date) or value is None:
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        return value.strip()
    raise ValueError("a date is written YYYY-MM-DD")


# Every date the API reads: an ISO 8601 calendar date, nothing pydantic would coerce into one.
IsoDate = Annotated[datetime.date, BeforeValidator(_iso_date_only)]


# 统一社会信用代码 (GB 32100-2015): 18 characters of 0-9 and A-Z without I, O, S, V, Z. The service
# (ipfin.accounts.domain.validate_uscc) also reads lower case and whitespace anywhere (a pasted
# "9144 0300 ..."), so the pattern admits them too, and nothing the service would accept is outside
# it. The check characters are the service's to verify (422 with a `uscc_*` code).
USCC_PATTERN = r"^\s*(?:[0-9A-HJ-NP-RTUW-Ya-hj-np-rtuw-y]\s*){18}$"
_USCC_OR_EMPTY_PATTERN = r"^(?:\s*(?:[0-9A-HJ-NP-RTUW-Ya-hj-np-rtuw-y]\s*){18})?$"
USCC_MAX_LENGTH = 40


def uscc_field(
    default: Any = ..., *, description: str = "统一社会信用代码", empty: bool = False
) -> Any:
    """An input holding a credit code. The document states its bounds — at most 40 characters,
    the pattern above — and the service enforces exactly those (validate_uscc refuses more than
    40 characters too), answering with its precise reason (`uscc_length`, `uscc_charset`, ...)
    rather than a bare schema mismatch. `empty`: "" is also accepted (it means "the default")."""
    pattern = _USCC_OR_EMPTY_PATTERN if empty else USCC_PATTERN
    return Field(
        default,
        description=description,
        json_schema_extra={"pattern": pattern, "maxLength": USCC_MAX_LENGTH},
    )
