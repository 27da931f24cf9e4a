"""The OpenAPI document tells the truth about what the server answers.

django-ninja writes each operation's success schema and the bearer security of every operation
with an authenticator. Completed here, in one place, from what the API's own layers do:

- public operations (no authenticator, or `ApiAuth(optional=True)`) declare no security; the rest
  declare the bearer token or the session cookie;
- every operation declares the errors it can answer, each with the shared error body `Error`
  (`{detail, code, ...}`): 401 where a token is read (a bad token is a 401 even on a public read),
  403 where auth applies (a role or organisation that may not), 404 where a path or a query
  parameter (`…_id`, `ids`, `…_ids`) names an object,
  409 for a write (a state conflict, an idempotency key in use), 422 for any input (the ApiParser's
  and the services' validation), 413 for a body over the upload limit;
- every authenticated POST takes the optional `Idempotency-Key` header (ipfin.accounts.idempotency)
  and says that a replay carries `Idempotent-Replayed: true`;
- an edit of a versioned record declares its required `If-Match` header itself
  (ipfin.common.versioning) and answers 428 without it.
A 202 (a request run in the background) declares its `Location` header, the run's address. A
download (a path ending in .pdf, .xlsx or .csv) declares its 200 as that file.
An operation that already declares a status keeps its own declaration. An authenticated read
whose every refusal is a 404 (it tells nobody what exists) says so with `openapi_extra=
NO_FORBIDDEN` and declares no 403. An operation with a throttle (the anonymous calculators,
ipfin.accounts.ratelimit) also declares 429 with `Retry-After`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from ninja import NinjaAPI

__all__ = ["NO_FORBIDDEN", "complete_document"]

# The `openapi_extra` of an authenticated read that never answers 403: whom it refuses it tells
# "no such object" (404), so that another organisation's ids reveal nothing. Taken out of the
# operation by the completion, which then declares no 403.
_NO_FORBIDDEN_KEY = "x-ipfin-no-forbidden"
NO_FORBIDDEN: dict[str, Any] = {_NO_FORBIDDEN_KEY: True}

ERROR = {
    "title": "Error",
    "type": "object",
    "description": "Every refusal: a message (in the request's language; a list of problems for "
    "input validation) and a stable code, with extra fields some codes add.",
    "properties": {
        "detail": {"title": "Detail", "description": "text, or a list of problems"},
        "code": {"title": "Code", "type": "string"},
    },
    "required": ["detail", "code"],
    "additionalProperties": True,
}
ERROR_TEXT = {
    "400": "The request cannot be read (too many fields or files)",
    "401": "Not authenticated, or a bad bearer token",
    "403": "Not allowed for this user or organisation (or a session without its CSRF token)",
    "404": "No such object, or not visible to this caller",
    "409": "Conflicts with the object's state, the idempotency key's request is still running "
    "or was answered with a secret shown once (idempotency_answer_not_kept, with the object's "
    "id), or If-Match names another version than the stored one (version_conflict, "
    "current_version)",
    "413": "The request body is over the upload limit",
    "429": "Too many requests from this address for an anonymous caller (rate_limited): retry "
    "after Retry-After seconds",
    "422": "The input is invalid (schema or business rules); `code` says which",
    "428": "The edit names no version: send If-Match with the ETag of the read (version_required)",
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Retry safely: the first answer to this key is replayed for 24 hours (header "
    "Idempotent-Replayed: true) and the write happens once. The same key with another body: 422 "
    "idempotency_key_reused. An answer showing a secret once (a webhook's secret, an API token) "
    "is not kept: its replay is 409 idempotency_answer_not_kept with the object's id.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}
WRITE_METHODS = {"post", "put", "patch", "delete"}
RETRY_AFTER = {
    "description": "Seconds until the address may call again",
    "schema": {"type": "integer", "minimum": 1},
}


def _public_operation_ids(api: NinjaAPI) -> tuple[set[str], set[str]]:
    """(operations without any authenticator, operations whose authenticator is optional)."""
    no_auth: set[str] = set()
    optional: set[str] = set()
    for router in api._get_bound_routers():  # the routers as bound to the API (auth inherited)
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                op_id = api.get_openapi_operation_id(operation)
                callbacks = operation.auth_callbacks
                if not callbacks:
                    no_auth.add(op_id)
                elif all(getattr(cb, "optional", False) for cb in callbacks):
                    optional.add(op_id)
    return no_auth, optional


def _throttled_operation_ids(api: NinjaAPI) -> set[str]:
    """Operations with a django-ninja throttle: they can answer 429."""
    return {
        api.get_openapi_operation_id(operation)
        for router in api._get_bound_routers()
        for path_view in router.path_operations.values()
        for operation in path_view.operations
        if operation.throttle_objects
    }


def _error_response(status: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": ERROR_TEXT[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if status == "429":
        response["headers"] = {"Retry-After": RETRY_AFTER}
    return response


# A download's address ends in its file's type: what its success answers (the operations return
# an HttpResponse, of which django-ninja knows nothing).
FILE_TYPES = {
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv",
}


def _declare_file(path: str, op: dict[str, Any]) -> None:
    """An operation whose path ends in .pdf, .xlsx or .csv declares its 200 as that file (a
    binary string), unless it declares its content itself."""
    media = next((kind for end, kind in FILE_TYPES.items() if path.endswith(end)), None)
    if media is None:
        return
    ok = op.setdefault("responses", {}).setdefault("200", {"description": "OK"})
    if not ok.get("content"):
        ok["content"] = {media: {"schema": {"type": "string", "format": "binary"}}}


def complete_document(api: NinjaAPI, document: dict[str, Any]) -> dict[str, Any]:
    """`document` (django-ninja's) completed as the module's docstring says; returned."""
    no_auth, optional = _public_operation_ids(api)
    components = document.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR
    components.setdefault("securitySchemes", {})["session"] = {
        "type": "apiKey",
        "in": "cookie",
        "name": settings.SESSION_COOKIE_NAME,
        "description": "the web UI's session (unsafe methods also need the CSRF token)",
    }
    for path, operations in document.get("paths", {}).items():
        for method, op in operations.items():
            _complete_operation(method, op, op["operationId"], no_auth, optional)
            _declare_file(path, op)
    # A 202 is a background run's (ipfin.jobs): its address is in Location.
    for operations in document.get("paths", {}).values():
        for op in operations.values():
            accepted = op.get("responses", {}).get("202")
            if accepted is not None:
                accepted.setdefault("headers", {})["Location"] = {
                    "description": "the run's address (GET /api/v1/jobs/{job_id}): poll it",
                    "schema": {"type": "string"},
                }
    throttled = _throttled_operation_ids(api)
    for operations in document.get("paths", {}).values():
        for op in operations.values():
            if op["operationId"] in throttled:
                op["responses"].setdefault("429", _error_response("429"))
    components["schemas"].pop("ErrorOut", None)
    return document


def _complete_operation(
    method: str, op: dict[str, Any], op_id: str, no_auth: set[str], optional: set[str]
) -> None:
    public = op_id in no_auth or op_id in optional
    never_forbidden = bool(op.pop(_NO_FORBIDDEN_KEY, False))
    statuses: list[str] = []
    if public:
        op.pop("security", None)
        if op_id in optional:
            statuses.append("401")  # a bad token is refused even where none is needed
    else:
        op["security"] = [{"ApiAuth": []}, {"session": []}]
        statuses += ["401"] if never_forbidden and method not in WRITE_METHODS else ["401", "403"]
    parameters = op.setdefault("parameters", [])
    if op_id in optional and method in WRITE_METHODS:
        statuses.append("403")  # a session's write without its CSRF token
    names_objects = ("_id", "_ids")
    if any(
        p.get("in") == "path" or p.get("name", "").endswith(names_objects) or p.get("name") == "ids"
        for p in parameters
    ):
        statuses.append("404")  # a path, or a query naming objects by id
    if method in WRITE_METHODS and not public:
        statuses.append("409")
    if parameters or "requestBody" in op:
        statuses.append("422")
    if "requestBody" in op:
        statuses.append("413")
    if any(
        p.get("in") == "header" and p.get("name") == "If-Match" and p.get("required")
        for p in parameters
    ):
        statuses.append("428")  # only where the header is required: none, no edit
    if method == "post" and not public:
        parameters.append(dict(IDEMPOTENCY_KEY))
    # django-ninja keys its statuses by int: one key per status, as JSON writes them.
    responses = op["responses"] = {str(k): v for k, v in op.get("responses", {}).items()}
    for status, response in responses.items():
        # The apps' own `ErrorOut` declarations are the shared error body, under one name.
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        if int(status) >= 400 and schema.get("$ref") == "#/components/schemas/ErrorOut":
            schema["$ref"] = "#/components/schemas/Error"
    for status in statuses:
        responses.setdefault(status, _error_response(status))
