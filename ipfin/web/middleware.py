"""Response headers that every page of the UI carries, set in one place.

`ContentSecurityPolicyMiddleware`: the Content-Security-Policy header on every HTML response, the
policy being `settings.IPFIN_CONTENT_SECURITY_POLICY` (Django 5.2 has no CSP support of its own;
django.middleware.csp comes with Django 6.0). The policy admits scripts and style sheets from our
own origin only, so an injected <script>, on…="" handler or style="" attribute does not run; the
templates carry none (ipfin/web/tests/test_headers.py reads them all): the two behaviours they had
inline, a confirmation before an irreversible form and the language select that submits itself,
are `data-confirm` and `data-autosubmit` in web/static/web/ipfin.js. htmx comes from django_htmx's
static files and is told (meta htmx-config in web/base.html) neither to add its indicator <style>
nor to evaluate code. A response that already has the header keeps its own.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

__all__ = ["ContentSecurityPolicyMiddleware"]

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
