"""API tokens: each user lists, issues and revokes their own; tokens expire (90 days by default)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ipfin.accounts.models import ApiToken, User
from ipfin.accounts.services import api_token_issue
from ipfin.audit.models import AuditRecord

pytestmark = pytest.mark.django_db


class _Bearer:
    def __init__(self, client: Any, raw: str) -> None:
        self.client, self.headers = client, {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def get(self, path: str) -> Any:
        return self.client.get(path, **self.headers)


def test_a_token_expires_after_90_days_by_default_and_is_refused_then(
    client: Any, bank_a_user: User
) -> None:
    raw = api_token_issue(user=bank_a_user)
    token = ApiToken.objects.get(prefix=raw[:8])
    assert timedelta(days=89, hours=23) < token.expires_at - timezone.now() <= timedelta(days=90)
    api = _Bearer(client, raw)
    assert api.get("/api/v1/me").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api.get("/api/v1/me").status_code == 401


def test_the_user_lists_issues_and_revokes_their_own_tokens_over_the_api(
    client: Any, bank_a_user: User
) -> None:
    api = _Bearer(client, api_token_issue(user=bank_a_user, name="core"))
    issued = client.post(
        "/api/v1/tokens", {"name": "信贷系统", "days": 30}, content_type="application/json",
        **api.headers,
    )  # fmt: skip
    assert issued.status_code == 201
    body = issued.json()
    assert body["token"][:8] == body["prefix"] and body["usable"] is True
    assert (
        timedelta(days=29)
        < (ApiToken.objects.get(pk=body["id"]).expires_at - timezone.now())
        <= timedelta(days=30)
    )
    listed = api.get("/api/v1/tokens").json()
    assert [t["name"] for t in listed] == ["信贷系统", "core"]
    assert all("token" not in t for t in listed)
    revoked = client.post(f"/api/v1/tokens/{body['id']}/revoke", **api.headers)
    assert (revoked.status_code, revoked.json()["usable"]) == (200, False)
    assert _Bearer(client, body["token"]).get("/api/v1/me").status_code == 401
    assert AuditRecord.objects.filter(action="api_token.revoke").count() == 1


def test_another_users_token_is_404_and_stays_usable(
    client: Any, bank_a_user: User, bank_b_user: User
) -> None:
    theirs = api_token_issue(user=bank_b_user)
    token_id = ApiToken.objects.get(prefix=theirs[:8]).pk
    mine = _Bearer(client, api_token_issue(user=bank_a_user))
    response = client.post(f"/api/v1/tokens/{token_id}/revoke", **mine.headers)
    assert (response.status_code, response.json()["code"]) == (404, "token_not_found")
    assert _Bearer(client, theirs).get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("days", [0, 366])
def test_a_validity_outside_1_to_365_days_is_422(client: Any, bank_a_user: User, days: int) -> None:
    api = _Bearer(client, api_token_issue(user=bank_a_user))
    response = client.post(
        "/api/v1/tokens", {"days": days}, content_type="application/json", **api.headers
    )
    assert response.status_code == 422


def test_the_commands_issue_for_some_days_list_and_revoke(bank_a_user: User) -> None:
    out = StringIO()
    call_command("issue_token", "bank_a", "--days", "7", "--name", "batch", stdout=out)
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(prefix=raw[:8])
    assert token.name == "batch" and token.expires_at - timezone.now() <= timedelta(days=7)
    with pytest.raises(CommandError, match="1 to 365"):
        call_command("issue_token", "bank_a", "--days", "400", stdout=StringIO())
    listing = StringIO()
    # `--` ends the options: a prefix may begin with "-" (token_urlsafe's alphabet has it).
    call_command("revoke_token", "bank_a", "--", raw[:8], stdout=listing)
    assert f"{raw[:8]}  batch" in listing.getvalue() and "revoked" in listing.getvalue()
    token.refresh_from_db()
    assert token.revoked_at is not None
    with pytest.raises(CommandError, match="no token"):
        call_command("revoke_token", "bank_a", "nosuchpx", stdout=StringIO())


def test_the_users_page_issues_a_token_once_and_revokes_only_with_confirmation(
    client_for: Any, bank_a_user: User, bank_b_user: User
) -> None:
    page = client_for(bank_a_user)
    issued = page.post("/account/tokens/", {"name": "信贷系统", "days": "30"})
    html = issued.content.decode()
    assert issued.status_code == 200 and 'data-testid="token-issued"' in html
    token = ApiToken.objects.get(user=bank_a_user)
    assert f"{token.prefix}" in html
    # Shown once: the list afterwards has the prefix, never the token.
    listed = page.get("/account/tokens/").content.decode()
    assert 'data-testid="token-issued"' not in listed and "信贷系统" in listed
    page.post(f"/account/tokens/{token.pk}/revoke/", {})  # not confirmed
    token.refresh_from_db()
    assert token.revoked_at is None
    assert (
        client_for(bank_b_user)
        .post(f"/account/tokens/{token.pk}/revoke/", {"confirm": "on"})
        .status_code
        == 404
    )
    page.post(f"/account/tokens/{token.pk}/revoke/", {"confirm": "on"})
    token.refresh_from_db()
    assert token.revoked_at is not None
    bad = page.post("/account/tokens/", {"days": "400"})
    assert bad.status_code == 400


def test_a_prefix_beginning_with_a_dash_is_revoked_after_the_double_dash(bank_a_user: User) -> None:
    ApiToken.objects.create(
        user=bank_a_user, token_hash="0" * 64, prefix="-H7N4RfI", expires_at=timezone.now()
    )
    call_command("revoke_token", "bank_a", "--", "-H7N4RfI", stdout=StringIO())
    assert ApiToken.objects.get(prefix="-H7N4RfI").revoked_at is not None


def test_last_used_is_kept_to_the_minute_without_a_write_per_request(
    client: Any, bank_a_user: User, count_queries: Any
) -> None:
    raw = api_token_issue(user=bank_a_user)
    api = _Bearer(client, raw)
    first = count_queries(lambda: api.get("/api/v1/me"))  # never used: recorded now
    token = ApiToken.objects.get(prefix=raw[:8])
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < timedelta(seconds=5)
    again = count_queries(lambda: api.get("/api/v1/me"))  # within the minute: no write
    assert again == first - 1
    assert ApiToken.objects.get(pk=token.pk).last_used_at == token.last_used_at
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    api.get("/api/v1/me")  # a minute later: recorded again
    assert timezone.now() - ApiToken.objects.get(pk=token.pk).last_used_at < timedelta(seconds=5)
