"""Optimistic locking of the records that are edited in place: no lost updates.

Two editors (a bank's system retrying, a clerk with an old page open) must not silently overwrite
each other. Each record edited in place — a bank's internal valuation model, an enterprise's credit
profile, a year's holiday arrangement, a right's term facts, a risk-compensation scheme — carries
`version`: 1 when first saved, one more on every save. Reads answer it, as `version` in the JSON
and as the header `ETag: "<version>"`. An edit carries the version it was made from: on the API the
header `If-Match: "<version>"` (the one mechanism there), on a web form a hidden `version` input (a
browser's form sends no headers); both reach the service's `version` argument, and the service,
holding the row's lock, compares it with the stored one (`check_version`):

- the same: the edit is saved and the version goes up by one;
- another: 409 `version_conflict` with `current_version`, and nothing is saved (someone saved
  in between: read again, apply the change again, send the new version);
- none: 428 `version_required` — an edit that does not say what it replaces is refused, never
  taken as "last write wins".

A record never saved (the default bank model, an empty credit profile, a year the office has not
recorded) is at version 0 (`UNSAVED`): its first save sends 0 and makes it 1.

The If-Match header takes one entity tag of this form: `"3"` (the ETag as read), the bare `3`, or
`W/"3"` (a compressing proxy between the server and the client weakens the ETag it passes on; the
tag still names the version). `*`, a list or anything else is a 422 `if_match_invalid`: none says
which one version the edit was made from.

Pure: no Django. The API parses the header (`if_match_version`), the services check.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ipfin.common.errors import Conflict, PreconditionRequired, ValidationFailed, invalid

__all__ = [
    "ETAG",
    "IF_MATCH",
    "UNSAVED",
    "check_version",
    "etag",
    "if_match_version",
    "openapi_read",
    "openapi_write",
    "version_conflict",
]

IF_MATCH = "If-Match"
ETAG = "ETag"
UNSAVED = 0
# A PositiveIntegerField holds at most 2,147,483,647: ten digits.
_TAG = re.compile(r'(?:W/)?"([0-9]{1,10})"|([0-9]{1,10})')


def etag(version: int) -> str:
    """The ETag header's value for a record at `version`: `"3"`."""
    return f'"{version}"'


def _if_match_invalid(header: str) -> ValidationFailed:
    return invalid(
        IF_MATCH,
        "if_match_invalid",
        f'If-Match 请求头“{header[:40]}”无效：应为读取时 ETag 给出的版本，如 "3"。',
        f"The If-Match header {header[:40]!r} is invalid: send the version the ETag gave when "
        'the record was read, e.g. "3".',
    )


def if_match_version(header: str | None) -> int | None:
    """The version an If-Match header names; None when there is none (the service then answers
    428). A malformed header, `*` or a list is a 422 `if_match_invalid`."""
    if header is None or not header.strip():
        return None
    match = _TAG.fullmatch(header.strip())
    if match is None:
        raise _if_match_invalid(header)
    return int(match.group(1) or match.group(2))


def version_conflict(current: int) -> Conflict:
    """409 `version_conflict`: the record was saved by someone else since it was read."""
    return Conflict(
        f"该记录已被他人修改（当前版本 {current}），您的修改未保存。请重新读取最新内容后再修改。",
        f"The record was changed by someone else (it is now at version {current}); your change "
        "was not saved. Read it again and apply your change to the current version.",
        code="version_conflict",
        extra={"current_version": current},
    )


def check_version(*, current: int, expected: int | None) -> None:
    """Refuse an edit made from another version than the stored one (`current`, read under the
    row's lock): 428 `version_required` when the edit names none (without the current version:
    the client is to read the record, not to overwrite it blindly), 409 `version_conflict` (with
    `current_version`) when it names another."""
    if expected is None:
        raise PreconditionRequired(
            "修改须注明所依据的版本（请求头 If-Match，取自读取时的 ETag）。",
            "An edit must name the version it was made from: the If-Match header, from the ETag "
            "of the read.",
            code="version_required",
        )
    if expected != current:
        raise version_conflict(current)


# --- the OpenAPI document ------------------------------------------------------------------------

_ETAG_HEADER = {
    "description": 'The record\'s version, as an entity tag ("3"): send it back as If-Match to '
    "edit the record.",
    "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
}
_IF_MATCH_PARAMETER = {
    "name": IF_MATCH,
    "in": "header",
    "required": True,
    "description": 'The version the edit was made from: the ETag of the read ("3"; 0 for a '
    "record never saved). Another version than the stored one: 409 version_conflict with "
    "current_version, nothing saved. None: 428 version_required.",
    "schema": {"type": "string", "pattern": '^(W/)?"[0-9]{1,10}"$|^[0-9]{1,10}$'},
}


def openapi_read() -> dict[str, Any]:
    """`openapi_extra` of a read of a versioned record: its 200 answer carries the ETag."""
    return {"responses": {200: {"headers": {ETAG: copy.deepcopy(_ETAG_HEADER)}}}}


def openapi_optional_write() -> dict[str, Any]:
    """`openapi_extra` of a write that appends a new version (a product's next terms): If-Match
    optional — sent, a version published in between is a 409 `version_conflict`; not sent, the
    write proceeds (nothing is overwritten either way)."""
    parameter = copy.deepcopy(_IF_MATCH_PARAMETER)
    parameter["required"] = False
    parameter["description"] = (
        'The version the new terms were drawn from ("3"; "0" for a new product). Another version '
        "than the latest: 409 version_conflict, nothing published. Optional."
    )
    return {"parameters": [parameter]}


def openapi_write() -> dict[str, Any]:
    """`openapi_extra` of an edit of a versioned record: the required If-Match header, and the
    ETag of the new version on its 200 answer (ipfin.openapi adds the 409 and 428 refusals)."""
    return {**openapi_read(), "parameters": [copy.deepcopy(_IF_MATCH_PARAMETER)]}
