"""Every HTML response carries the Content-Security-Policy (ipfin.web.middleware), and no template
needs what it forbids: no inline <script>, no on…="" handler, no style="" or <style>."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, RequestFactory

from ipfin.accounts.models import User
from ipfin.pledges.models import Pledge
from ipfin.web.middleware import ContentSecurityPolicyMiddleware

POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
TEMPLATES = sorted(Path(settings.BASE_DIR, "ipfin").glob("*/templates/**/*.html"))
# What the policy blocks: a script element with content, an event handler, a javascript: URL,
# htmx's evaluated attributes, an inline style attribute or element.
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>\s*\S"
    r"|\son[a-z]+\s*="
    r"|javascript:"
    r"|\bhx-on\b|\bhx-on:"
    r"|\bhx-vals\s*=\s*['\"]\s*js:"
    r"|\sstyle\s*="
    r"|<style\b",
    re.IGNORECASE,
)


def test_the_policy_is_the_setting() -> None:
    assert settings.IPFIN_CONTENT_SECURITY_POLICY == POLICY


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/public/",
        "/login/",
        "/loans/calculator/",
        "/rights/",
        "/financing/products/",
        "/nowhere/",
        "/api/docs",
    ],
)
def test_every_html_page_carries_the_policy(path: str) -> None:
    response = Client().get(path)
    assert response["Content-Type"].startswith("text/html"), path
    assert response["Content-Security-Policy"] == POLICY, path


@pytest.mark.django_db
def test_pages_of_a_logged_in_user_carry_it_too(
    client_for: Callable[[User], Client], bank_a_user: User, make_pledge: Callable[..., Pledge]
) -> None:
    pledge = make_pledge()
    client = client_for(bank_a_user)
    for path in ("/", f"/pledges/{pledge.pk}/", "/pledges/new/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Content-Security-Policy"] == POLICY, path


def test_a_response_that_sets_its_own_policy_keeps_it() -> None:
    own = "default-src 'none'"

    def view(request: Any) -> HttpResponse:
        response = HttpResponse("<p>x</p>")
        response["Content-Security-Policy"] = own
        return response

    response = ContentSecurityPolicyMiddleware(view)(RequestFactory().get("/"))
    assert response["Content-Security-Policy"] == own


def test_no_template_has_inline_code_or_style() -> None:
    assert len(TEMPLATES) > 40
    found = [
        f"{path.relative_to(settings.BASE_DIR)}: {match.group(0).strip()}"
        for path in TEMPLATES
        for match in INLINE.finditer(path.read_text())
    ]
    assert found == []


@pytest.mark.django_db
def test_the_behaviour_comes_from_static_files(
    client_for: Callable[[User], Client], bank_a_user: User, make_pledge: Callable[..., Pledge]
) -> None:
    pledge = make_pledge()
    page = client_for(bank_a_user).get(f"/pledges/{pledge.pk}/").content.decode()
    assert '<script src="/static/web/ipfin.js" defer></script>' in page
    assert '"includeIndicatorStyles": false, "allowEval": false' in page
    assert 'id="withdraw-form"' in page and "data-confirm=" in page
    assert "data-autosubmit" in page
    script = Client().get("/static/web/ipfin.js")
    assert script.status_code == 200
    source = b"".join(script.streaming_content).decode()  # type: ignore[attr-defined]
    assert "dataset.confirm" in source and "data-autosubmit" in source
