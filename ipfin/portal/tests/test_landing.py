"""First contact (issue 13): the landing page at `/`, Chinese first whatever the browser says, the
login page (the name typed kept; the demo logins on a demo server only), the guide, the favicon."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from ipfin.common import display
from ipfin.pledges.models import Pledge, PledgeStateChoices
from ipfin.pledges.tests.factories import approve
from ipfin.portal.demo_accounts import DEMO_LOGINS, DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def _html(resp) -> str:
    return resp.content.decode()


def test_the_landing_page_is_the_root_not_a_redirect_and_names_everyone_it_serves():
    resp = Client().get("/")
    assert resp.status_code == 200
    html = _html(resp)
    assert 'data-testid="landing"' in html
    for audience in (
        "企业",
        "银行",
        "保险机构",
        "担保机构",
        "评估机构",
        "产业园区",
        "知识产权局",
        "金融监管部门",
    ):
        assert f"<strong>{audience}</strong>" in html
    # The public query box, the ways in.
    assert 'action="/public/"' in html and 'name="q"' in html
    for href in ("/financing/products/", "/financing/policies/", "/guide/", "/login/"):
        assert f'href="{href}"' in html


def test_the_headline_figures_are_the_registers_own(examiner, make_pledge):
    registered = approve(examiner, make_pledge(debt_amount=Decimal("1200000.00")))
    make_pledge(debt_amount=Decimal("300000.00"))  # filed, not registered: not counted
    assert registered.state == PledgeStateChoices.REGISTERED
    count = Pledge.objects.filter(state=PledgeStateChoices.REGISTERED).count()
    html = _html(Client().get("/"))
    assert f'data-testid="figure-pledges">{count}<' in html
    assert f'data-testid="figure-secured">{display.yuan_scaled(Decimal("1200000.00"))}<' in html
    assert "120.00 万元" in html


def test_the_headline_is_cached_so_an_anonymous_visitor_costs_no_query(count_queries):
    client = Client()
    assert count_queries(lambda: client.get("/")) > 0
    assert count_queries(lambda: client.get("/")) == 0


def test_an_english_browser_still_meets_the_platform_in_chinese():
    resp = Client().get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-hans">' in _html(resp)
    assert "知识产权金融服务平台" in _html(resp)
    assert resp["Content-Language"] == "zh-hans"


def test_the_language_chosen_is_remembered_for_a_year():
    client = Client()
    chosen = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    cookie = chosen.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert int(cookie["max-age"]) >= 365 * 24 * 3600
    html = _html(client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN"))
    assert '<html lang="en">' in html
    assert "IP Finance Service Platform" in html


def test_the_api_keeps_accept_language_for_its_messages():
    body = Client().get("/api/v1/rights/bad-number", HTTP_ACCEPT_LANGUAGE="en")
    assert body["Content-Language"] == "en"


def test_a_failed_login_keeps_the_username_never_the_password(bank_a_user):
    resp = Client().post("/login/", {"username": "bank_a", "password": "wrong-password-1"})
    assert resp.status_code == 401
    html = _html(resp)
    assert 'value="bank_a"' in html
    assert "wrong-password-1" not in html


def test_the_demo_logins_show_on_a_demo_server_with_the_demo_loaded(settings, make_user, bank_a):
    settings.IPFIN_DEMO = True
    assert 'data-testid="demo-logins"' not in _html(Client().get("/login/"))  # not loaded
    make_user(DEMO_LOGINS[0][0], bank_a)
    html = _html(Client().get("/login/"))
    assert 'data-testid="demo-logins"' in html
    assert DEMO_PASSWORD in html
    for username, _who in DEMO_LOGINS:
        assert f"<code>{username}</code>" in html


def test_a_real_deployment_never_prints_a_password(settings, make_user, bank_a):
    settings.IPFIN_DEMO = False
    make_user(DEMO_LOGINS[0][0], bank_a)
    html = _html(Client().get("/login/"))
    assert 'data-testid="demo-logins"' not in html
    assert DEMO_PASSWORD not in html


def test_the_guide_cites_the_rules_it_follows():
    html = _html(Client().get("/guide/"))
    assert "专利权质押登记办法" in html and "第四百四十四条" in html
    assert "注册商标专用权质押登记程序规定" in html


def test_a_favicon_exists():
    resp = Client().get("/favicon.ico")
    assert resp.status_code == 301
    assert resp["Location"] == "/static/web/favicon.svg"
    icon = Path(settings.BASE_DIR) / "ipfin" / "web" / "static" / "web" / "favicon.svg"
    assert icon.read_text().startswith("<svg")
    assert 'rel="icon"' in _html(Client().get("/"))


def test_the_readme_names_every_demo_login_its_password_and_the_reset():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# ") and "make demo" in readme.split("\n\n", 2)[1]
    assert f"`{DEMO_PASSWORD}`" in readme
    for username, _who in DEMO_LOGINS:
        assert f"`{username}`" in readme, username
    assert "`make clean` resets the demo" in readme
