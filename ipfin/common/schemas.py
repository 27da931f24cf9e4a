"""API schemas every app shares. One class per name: the OpenAPI document keys its components by
class name, so two different classes of one name would silently describe each other."""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator

__all__ = ["ErrorOut", "IsoDate", "OrganisationRef"]


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
