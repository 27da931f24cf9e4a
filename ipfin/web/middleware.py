"""Response headers set in one place for every page, API answer and download.

`ContentSecurityPolicyMiddleware`: the Content-Security-Policy header on every HTML response, the
policy being `settings.IPFIN_CONTENT_SECURITY_POLICY` (Django 5.2 has no CSP support of its own;
django.middleware.csp comes with Django 6.0). The policy admits scripts and style sheets from our
own origin only, so an injected <script>, on…="" handler or style="" attribute does not run; the
templates carry none (ipfin/web/tests/test_headers.py reads them all): the two behaviours they had
inline, a confirmation before an irreversible form and the language select that submits itself,
are `data-confirm` and `data-autosubmit` in web/static/web/ipfin.js. htmx comes from django_htmx's
static files and is told (meta htmx-config in web/base.html) neither to add its indicator <style>
nor to evaluate code. A response that already has the header keeps its own.

`ChineseFirstLocaleMiddleware` (in place of Django's LocaleMiddleware): the pages are in Simplified
Chinese unless the user has chosen English with the language switch (Django's set_language view,
remembered in the `LANGUAGE_COOKIE_NAME` cookie for a year); the browser's Accept-Language is
ignored for pages, so an English browser still meets the Chinese platform first. The API keeps
Accept-Language (its documented way for a client to ask for English messages), cookie first.

`NoStoreForAuthenticatedMiddleware`: `Cache-Control: no-store` on every response to a request that
presents credentials, so that no browser or proxy cache keeps a page, an API answer or a download
(a pledge contract, an Excel export, a valuation report) of a logged-in user: a request with a
session whose user is logged in, or one with an `Authorization` header (a bearer token; also when
the answer is an idempotent replay, which never reaches the authenticator, and when the token is
refused). It replaces any Cache-Control a view set. It sits after WhiteNoise, whose static files
stay cacheable, and after authentication. Anonymous visitors' responses are left as they are.

`RequestSizeLimitMiddleware`: a request whose declared body (Content-Length) is over
`settings.IPFIN_MAX_REQUEST_BYTES` (the largest upload the platform takes, a 20 MB contract,
and room for the form around it) is refused with 413 before anything reads it. Django's own
limit (DATA_UPLOAD_MAX_MEMORY_SIZE) leaves uploaded files out, so a multipart body of gigabytes
was streamed to a temporary file before the endpoint's size check refused it. A front proxy
should still cap bodies sent without a length (chunked).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers

from ipfin.common.errors import DomainError

__all__ = [
    "ChineseFirstLocaleMiddleware",
    "ContentSecurityPolicyMiddleware",
    "NoStoreForAuthenticatedMiddleware",
    "RequestSizeLimitMiddleware",
]

API_PREFIX = "/api/"

HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if content_type.startswith("text/html") and HEADER not in response:
            response[HEADER] = settings.IPFIN_CONTENT_SECURITY_POLICY
        return response


class NoStoreForAuthenticatedMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Read after the view: the API's authenticator sets request.user from a bearer token, and
        # a login or logout has changed it.
        user = getattr(request, "user", None)
        if "Authorization" in request.headers or (user is not None and user.is_authenticated):
            response["Cache-Control"] = "no-store"
        return response


def chosen_language(request: HttpRequest) -> str | None:
    """The language the user chose with the switch (its cookie), if it is one we offer."""
    raw = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if not raw:
        return None
    try:
        return translation.get_supported_language_variant(raw)
    except LookupError:
        return None


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith(API_PREFIX):
            super().process_request(request)
            return
        language = chosen_language(request) or settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            return super().process_response(request, response)
        # The page depends on the cookie only (no Accept-Language in Vary: it changes nothing).
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit: int = settings.IPFIN_MAX_REQUEST_BYTES
        raw = request.META.get("CONTENT_LENGTH") or "0"
        declared = int(raw) if raw.isascii() and raw.isdigit() else 0
        if declared <= limit:
            return self.get_response(request)
        zh = f"请求过大：最多 {limit // (1024 * 1024)} MB。"
        en = f"The request is too large: at most {limit // (1024 * 1024)} MB."
        if request.path.startswith(API_PREFIX):
            # The API's error body, in the language the locale middleware (before this one)
            # chose for the request, as every API error is.
            error = DomainError(zh, en, code="body_too_large", extra={"max_bytes": limit})
            return JsonResponse(
                {
                    "detail": error.detail(translation.get_language()),
                    "code": error.code,
                    **error.extra,
                },
                status=413,
            )
        return HttpResponse(f"{zh}\n{en}\n", status=413, content_type="text/plain; charset=utf-8")
