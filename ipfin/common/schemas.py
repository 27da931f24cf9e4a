"""API schemas every app shares. One class per name: the OpenAPI document keys its components by
class name, so two different classes of one name would silently describe each other."""

from __future__ import annotations

from typing import Any

from ninja import Schema

__all__ = ["ErrorOut", "OrganisationRef"]


class OrganisationRef(Schema):
    """An organisation named in an answer: its id and name."""

    id: int
    name: str


class ErrorOut(Schema):
    """The shared error body: `detail` in the request's language, a stable `code` (the document
    names it `Error`, see ipfin.openapi)."""

    detail: Any
    code: str
