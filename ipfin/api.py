"""The REST API: one NinjaAPI mounted at /api/, with version-1 routers under /api/v1/.

django-ninja was chosen over DRF + drf-spectacular because its Pydantic schemas are the OpenAPI
document (no second description to keep in step), input and output schemas are plain typed classes,
and it adds no serializer layer of its own between the endpoints and our services.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict
from django.utils.translation import get_language
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from ipfin.accounts.auth import ApiAuth
from ipfin.accounts.ratelimit import retry_after
from ipfin.common.errors import DomainError, ValidationFailed, invalid
from ipfin.common.inputs import MAX_FILE_NAME_LENGTH, unstorable
from ipfin.openapi import complete_document

# --- request parsing: every JSON body, query string and form of the API comes through here --------


# The integers a database column of ours holds (BigAutoField ids, counts): 64-bit signed. A JSON
# number beyond them would reach the database driver as an overflow (a 500), never a row.
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


def _find_unstorable(data: Any, root: str) -> list[str | int] | None:
    """The location (as pydantic writes it: ["body", "owners", 1, "name"]) of the first string in
    `data`, a key or a value at any depth, that cannot be stored, or of the first integer beyond
    64 bits; None if there is none."""
    stack: list[tuple[Any, list[str | int]]] = [(data, [root])]
    while stack:  # iterative: a deeply nested body cannot exhaust the interpreter's stack
        value, loc = stack.pop()
        if isinstance(value, str):
            if unstorable(value):
                return loc
        elif isinstance(value, int) and not isinstance(value, bool):
            if not _INT_MIN <= value <= _INT_MAX:
                return loc
        elif isinstance(value, dict):
            for key in value:
                if isinstance(key, str) and unstorable(key):
                    return [*loc, key]
            # Pushed in reverse, so that the first offending field in document order is reported.
            stack.extend((item, [*loc, key]) for key, item in reversed(value.items()))
        elif isinstance(value, list | tuple):
            stack.extend((item, [*loc, i]) for i, item in reversed(list(enumerate(value))))
    return None


def _reject_unstorable(data: Any, root: str) -> None:
    loc = _find_unstorable(data, root)
    if loc is None:
        return
    field = ".".join(str(part) for part in loc[1:]) or root
    if _is_int_at(data, loc[1:]):
        raise ValidationFailed(
            f"“{field}”的数值超出可保存的范围。",
            f"{field!r} is a number beyond what can be stored (64-bit).",
            code="number_out_of_range",
            extra={"loc": loc},
        )
    raise ValidationFailed(
        f"“{field}”含有无法保存的字符（NUL 控制字符或无效的 Unicode 代理字符）。",
        f"{field!r} contains a character that cannot be stored (NUL or an unpaired surrogate).",
        code="invalid_text",
        extra={"loc": loc},
    )


def _is_int_at(data: Any, path: list[str | int]) -> bool:
    for part in path:
        data = data[part]
    return isinstance(data, int) and not isinstance(data, bool)


_JSON_KIND = {list: "数组", str: "字符串", int: "数字", float: "数字", bool: "布尔值"}


class InvalidJson(ValidationFailed):
    code = "invalid_json"


class ApiParser(Parser):
    """JSON bodies, query strings and forms, checked once for every endpoint.

    - A body that is not JSON (malformed, not UTF-8, or form-encoded) is a 422 `invalid_json`; the
      API contract knows 401/403/404/409/422, not the 400 django-ninja answers by default.
    - Text that cannot be stored (NUL, unpaired surrogates) is a 422 `invalid_text` naming the
      field, whatever the field and however deep, before any service or query sees it.
    Column lengths are the schemas' business (`max_length` on each field, matching the model).
    """

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
            reason = (
                f" ({exc.msg}, line {exc.lineno} column {exc.colno})"
                if isinstance(exc, json.JSONDecodeError)
                else ""
            )
            content_type = request.content_type or "none"
            raise InvalidJson(
                f"请求体不是有效的 JSON{reason}。请以 Content-Type: application/json 发送 JSON 对象"
                f"（本次为 {content_type}）。",
                f"The request body is not valid JSON{reason}. Send a JSON object with "
                f"Content-Type: application/json (this request: {content_type}).",
            ) from exc
        if not isinstance(data, dict):
            # Every body of this API is an object; a list or a scalar would otherwise be read as
            # an empty object (all fields defaulted) and, for a partial update, accepted.
            raise ValidationFailed(
                f"请求体须为 JSON 对象（{{…}}），不能是{_JSON_KIND.get(type(data), '其他值')}。",
                f"The request body must be a JSON object ({{…}}), not {type(data).__name__}.",
                code="body_not_object",
            )
        _reject_unstorable(data, "body")
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        result: dict[str, Any] = super().parse_querydict(data, list_fields, request)
        root = "query" if data is request.GET else "form"
        _reject_unstorable(result, root)
        return result


class IpfinApi(NinjaAPI):
    """The NinjaAPI whose OpenAPI document is completed by ipfin.openapi (errors, security,
    idempotency) so that it says what the server answers."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return complete_document(self, document)


api = IpfinApi(
    title="ipfin API",
    version="1",
    description="知识产权金融服务平台 — IP registry and pledge registration. "
    "Money is a string with two decimals (yuan); dates are ISO 8601. "
    "Errors are JSON {detail, code}. Any request Django cannot read is refused before the "
    "endpoint: 413 `body_too_large` (over the upload limit), 400 `too_many_fields` / "
    "`too_many_files` / `multipart_invalid` / `bad_request`, 422 `file_name_too_long`.",
    urls_namespace="api",
    openapi_url="/schema",
    docs_url="/docs",
    auth=ApiAuth(),
    parser=ApiParser(),
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


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    # An operation's throttle refused the request before its body was read (the anonymous
    # calculators: ipfin.accounts.ratelimit). Retry-After in whole seconds (RFC 9110 10.2.3).
    seconds = retry_after(exc.wait)
    response = _domain_error(
        request,
        RateLimited(
            f"请求过于频繁：未登录的调用方每个地址可调用的次数有限，请 {seconds} 秒后重试"
            "（登录后或以 API 令牌调用不受此限制）。",
            f"Too many requests: an anonymous caller has a limited number of calls per address; "
            f"retry in {seconds} seconds (logged-in callers and API tokens are not limited).",
            extra={"retry_after": seconds},
        ),
    )
    response["Retry-After"] = str(seconds)
    return response


# --- requests Django refuses to read (its limits, a malformed multipart body): 4xx, never a 500 ---
# Django raises these when the endpoint first touches request.body / GET / POST / FILES; the HTML
# side answers them 400 (django.core.handlers.exception), the API with its {detail, code} body.


class BodyTooLarge(DomainError):
    status = 413
    code = "body_too_large"


class RequestUnreadable(DomainError):
    status = 400
    code = "bad_request"


# Django's multipart parser reads at most 1,024 bytes of each part's headers
# (django.http.multipartparser.MAX_TOTAL_HEADER_SIZE); past that it gives up with this message.
# The part headers a client controls are the field name, the file name and the content type: the
# file name is the one that grows.
_PART_HEADERS_TOO_LONG = "Request max total header size exceeded."


def _suspicious(request: HttpRequest, exc: Exception) -> None:
    # The logger Django's own handler uses for these, so that monitoring sees API and UI alike.
    logging.getLogger(f"django.security.{type(exc).__name__}").warning("%s: %s", exc, request.path)


@api.exception_handler(RequestDataTooBig)
def _body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    _suspicious(request, exc)
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _domain_error(
        request,
        BodyTooLarge(
            f"请求体过大：最多 {limit} 字节（上传的文件不计在内）。",
            f"The request body is too large: at most {limit} bytes (uploaded files apart).",
            extra={"max_bytes": limit},
        ),
    )


@api.exception_handler(TooManyFieldsSent)
def _too_many_fields(request: HttpRequest, exc: TooManyFieldsSent) -> HttpResponse:
    _suspicious(request, exc)
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    return _domain_error(
        request,
        RequestUnreadable(
            f"参数过多：查询参数或表单字段最多 {limit} 个。",
            f"Too many parameters: at most {limit} query parameters or form fields.",
            code="too_many_fields",
            extra={"max_fields": limit},
        ),
    )


@api.exception_handler(TooManyFilesSent)
def _too_many_files(request: HttpRequest, exc: TooManyFilesSent) -> HttpResponse:
    _suspicious(request, exc)
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
    return _domain_error(
        request,
        RequestUnreadable(
            f"文件过多：一次最多上传 {limit} 个文件。",
            f"Too many files: at most {limit} files in one request.",
            code="too_many_files",
            extra={"max_files": limit},
        ),
    )


@api.exception_handler(SuspiciousOperation)
@api.exception_handler(BadRequest)
def _bad_request(request: HttpRequest, exc: Exception) -> HttpResponse:
    if isinstance(exc, SuspiciousOperation):
        _suspicious(request, exc)
    return _domain_error(
        request,
        RequestUnreadable(f"请求无法读取：{exc}", f"The request cannot be read: {exc}"),
    )


@api.exception_handler(MultiPartParserError)
def _multipart_invalid(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    if str(exc) == _PART_HEADERS_TOO_LONG:
        return _domain_error(
            request,
            invalid(
                "file",
                "file_name_too_long",
                f"文件名过长：最多 {MAX_FILE_NAME_LENGTH} 个字符。",
                f"The file name is too long: at most {MAX_FILE_NAME_LENGTH} characters "
                "(the multipart part's headers exceed 1,024 bytes).",
                max_length=MAX_FILE_NAME_LENGTH,
            ),
        )
    return _domain_error(
        request,
        RequestUnreadable(
            f"无法读取 multipart/form-data 请求体：{exc}",
            f"The multipart/form-data body cannot be read: {exc}",
            code="multipart_invalid",
        ),
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, DomainError):
        # django-ninja wraps whatever the body parser raises in a 400; ours say what they are.
        return _domain_error(request, exc.__cause__)
    return _error(request, exc.status_code, str(exc), "http_error")


def _register_routers() -> None:
    from ipfin.accounts.api import router as accounts_router
    from ipfin.pledges.api import router as pledges_router
    from ipfin.registry.api import router as registry_router
    from ipfin.valuation.api import router as valuation_router

    api.add_router("/v1/", registry_router, tags=["registry"])
    api.add_router("/v1/", pledges_router, tags=["pledges"])
    api.add_router("/v1/", accounts_router, tags=["accounts"])
    api.add_router("/v1/", valuation_router, tags=["valuation"])
    api.add_router("/v1/", "ipfin.financing.api.router", tags=["financing"])
    api.add_router("/v1/", "ipfin.whitelist.api.router", tags=["whitelist"])
    api.add_router("/v1/", "ipfin.loans.api.router", tags=["loans"])
    api.add_router("/v1/", "ipfin.risk.api.router", tags=["risk"])
    api.add_router("/v1/", "ipfin.disposals.api.router", tags=["disposals"])
    api.add_router("/v1/", "ipfin.holidays.api.router", tags=["calendar"])
    api.add_router("/v1/", "ipfin.audit.api.router", tags=["audit"])
    api.add_router("/v1/", "ipfin.outreach.api.router", tags=["outreach"])
    api.add_router("/v1/", "ipfin.stats.api.router", tags=["stats"])
    api.add_router("/v1/", "ipfin.zoneindex.api.router", tags=["index"])
    api.add_router("/v1/", "ipfin.securitisation.api.router", tags=["securitisation"])
    api.add_router("/v1/", "ipfin.guarantees.api.router", tags=["guarantees"])
    api.add_router("/v1/", "ipfin.trading.api.router", tags=["trading"])
    api.add_router("/v1/", "ipfin.insurance.api.router", tags=["insurance"])
    api.add_router("/v1/", "ipfin.feed.api.router", tags=["feed"])
    api.add_router("/v1/", "ipfin.jobs.api.router", tags=["jobs"])


_register_routers()


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Never a stack trace to the caller; the log keeps it.
    logging.getLogger("ipfin.api").exception("unhandled error on %s", request.path)
    return _error(request, 500, "Internal error.", "internal_error")
