"""Every response to a logged-in request says `Cache-Control: no-store` (ipfin.web.middleware):
pages, API answers (a bearer token or the session), downloads (the pledge contract, the Excel
exports), an idempotent replay; anonymous visitors' pages and static files stay cacheable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ipfin.accounts.models import User
from ipfin.pledges.models import Pledge, PledgeDocument

pytestmark = pytest.mark.django_db


def _no_store(response: Any) -> bool:
    return response.get("Cache-Control") == "no-store"


def test_a_logged_in_users_pages_are_no_store(
    client_for: Callable[[User], Client], bank_a_user: User, pledge: Pledge
) -> None:
    client = client_for(bank_a_user)
    for path in ("/", f"/pledges/{pledge.pk}/", "/pledges/", "/public/", "/nowhere/"):
        response = client.get(path)
        assert _no_store(response), (path, response.status_code, response.get("Cache-Control"))


def test_an_anonymous_visitors_public_pages_stay_cacheable() -> None:
    client = Client()
    for path in ("/public/", "/login/", "/rights/", "/financing/products/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" not in response.get("Cache-Control", ""), path


def test_static_files_stay_cacheable_for_a_logged_in_user(
    client_for: Callable[[User], Client], bank_a_user: User
) -> None:
    response = client_for(bank_a_user).get("/static/web/ipfin.css")
    assert response.status_code == 200
    assert not _no_store(response)


def test_the_contract_download_is_no_store(
    client_for: Callable[[User], Client],
    enterprise_a_user: User,
    pledge: Pledge,
    upload_contract: Callable[..., PledgeDocument],
) -> None:
    document = upload_contract(pledge)
    page = client_for(enterprise_a_user).get(f"/pledges/{pledge.pk}/documents/{document.pk}/")
    assert page.status_code == 200
    assert page["Content-Type"] == "application/pdf"
    assert _no_store(page)


def test_excel_exports_are_no_store(
    client_for: Callable[[User], Client], api_client: Callable[..., Any], office_user: User
) -> None:
    page = client_for(office_user).get("/whitelist/figures.xlsx")
    assert page.status_code == 200 and page["Content-Type"].startswith("application/vnd.openxml")
    assert _no_store(page)
    api = api_client(office_user).get("/api/v1/whitelist/figures/export.xlsx")
    assert api.status_code == 200
    assert _no_store(api)


def test_api_answers_to_a_token_or_a_session_are_no_store_and_anonymous_ones_are_not(
    api_client: Callable[..., Any], client_for: Callable[[User], Client], bank_a_user: User
) -> None:
    assert _no_store(api_client(bank_a_user).get("/api/v1/pledges"))
    assert _no_store(client_for(bank_a_user).get("/api/v1/lpr"))
    refused = Client(headers={"Authorization": "Bearer not-a-token"}).get("/api/v1/lpr")
    assert refused.status_code == 401 and _no_store(refused)
    anonymous = Client().get("/api/v1/lpr")
    assert anonymous.status_code == 200 and not _no_store(anonymous)


def test_an_idempotent_replay_is_no_store(
    api_client: Callable[..., Any], bank_a_user: User
) -> None:
    api = api_client(bank_a_user)
    body = {
        "principal": "12000",
        "annual_rate": "0.12",
        "months": 3,
        "method": "annuity",
        "start_date": "2025-01-31",
    }
    first = api.post_json("/api/v1/schedules/preview", body, HTTP_IDEMPOTENCY_KEY="no-store-1")
    again = api.post_json("/api/v1/schedules/preview", body, HTTP_IDEMPOTENCY_KEY="no-store-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert _no_store(first) and _no_store(again)
