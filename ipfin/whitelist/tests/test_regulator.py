"""Regulators read the white list (batches and conversion figures; a bank's pushes and
follow-ups only under a supervision case on that bank) and write nothing: `Perm.WHITELIST_VIEW_ALL`
without MANAGE or FOLLOW_UP. Banks keep seeing only what was pushed to them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.accounts.permissions import Perm, has_perm
from ipfin.whitelist import services
from ipfin.whitelist.models import (
    BankRecommendation,
    ScreeningRule,
    WhitelistBatch,
    WhitelistFollowUp,
    WhitelistPush,
)

API = "/api/v1/whitelist"


@pytest.fixture
def regulator_user(make_user: Callable[..., User], make_org: Callable[..., Organisation]) -> User:
    return make_user("regulator", make_org(OrganisationKind.REGULATOR, "金融监管局", uscc=None))


@pytest.fixture
def granted(published_batch: WhitelistBatch, bank_a_user: User) -> WhitelistBatch:
    """Bank A granted 1,500,000.50 to the first entry of the batch pushed to it."""
    entry = published_batch.entries.order_by("pk").first()
    assert entry is not None
    services.follow_up_record(
        actor=bank_a_user, entry=entry, status="credit_granted", amount="1500000.50"
    )
    return published_batch


def test_view_all_is_granted_to_the_office_and_regulators_only(
    regulator_user: User, office_user: User, bank_a_user: User
) -> None:
    assert has_perm(regulator_user, Perm.WHITELIST_VIEW_ALL)
    assert has_perm(office_user, Perm.WHITELIST_VIEW_ALL)
    assert not has_perm(bank_a_user, Perm.WHITELIST_VIEW_ALL)
    # Read-only: a regulator neither manages nor follows up.
    assert not has_perm(regulator_user, Perm.WHITELIST_MANAGE)
    assert not has_perm(regulator_user, Perm.WHITELIST_FOLLOW_UP)


def test_regulator_reads_batches_and_figures_over_the_api(
    api_client: Callable[..., Any],
    regulator_user: User,
    granted: WhitelistBatch,
    bank_a: Organisation,
    bank_b: Organisation,
    open_case: Callable[[Organisation], Any],
) -> None:
    api = api_client(regulator_user)
    assert [b["id"] for b in api.get(f"{API}/batches").json()] == [granted.pk]
    # A bank's dealings with the listed enterprises are single records: only under a case.
    closed = api.get(f"{API}/batches/{granted.pk}").json()
    assert closed["pushes"] == [] and all(e["follow_ups"] == [] for e in closed["entries"])
    open_case(bank_a)
    detail = api.get(f"{API}/batches/{granted.pk}").json()
    # 3 entries (high, mid, low), the push to bank A and bank A's follow-up with its bank.
    assert len(detail["entries"]) == 3
    assert [p["bank"]["name"] for p in detail["pushes"]] == ["甲银行"]
    follow_ups = [f for e in detail["entries"] for f in e["follow_ups"]]
    assert [(f["bank"]["name"], f["amount"]) for f in follow_ups] == [("甲银行", "1500000.50")]
    figures = api.get(f"{API}/figures").json()
    # 3 entries × 1 bank pushed = 3 pairs; one granted: rate 1/3.
    assert figures["total"]["pushed"] == 3
    assert figures["total"]["credit_granted"] == 1
    assert figures["total"]["credit_granted_amount"] == "1500000.50"
    assert figures["total"]["credit_granted_rate"] == "0.3333"
    assert [r["bank_name"] for r in figures["by_bank"]] == ["甲银行"]
    assert api.get(f"{API}/figures", {"batch_id": granted.pk}).json()["total"]["pushed"] == 3
    assert api.get(f"{API}/figures/export.xlsx").status_code == 200
    assert api.get(f"{API}/batches/{granted.pk}/export.xlsx").status_code == 200


def test_regulator_writes_nothing(
    api_client: Callable[..., Any],
    regulator_user: User,
    granted: WhitelistBatch,
    make_rule: Callable[..., ScreeningRule],
    bank_b: Organisation,
    scored: dict[str, Organisation],
) -> None:
    api = api_client(regulator_user)
    rule = make_rule(name="另一规则")
    entry = granted.entries.order_by("pk").first()
    assert entry is not None
    batches, pushes = WhitelistBatch.objects.count(), WhitelistPush.objects.count()
    follow_ups, rules = WhitelistFollowUp.objects.count(), ScreeningRule.objects.count()
    refused = [
        api.get(f"{API}/imports"),
        api.get(f"{API}/rules"),
        api.get(f"{API}/rules/{rule.pk}"),
        api.post_json(f"{API}/rules", {"name": "监管规则"}),
        api.post_json(f"{API}/batches/preview", {"rule_id": rule.pk}),
        api.post_json(f"{API}/batches", {"rule_id": rule.pk}),
        api.post(f"{API}/batches/{granted.pk}/publish"),
        api.post_json(f"{API}/batches/{granted.pk}/push", {"bank_ids": [bank_b.pk]}),
        api.post_json(f"{API}/entries/{entry.pk}/follow-ups", {"status": "contacted"}),
        api.post_json(
            f"{API}/recommendations",
            {"enterprise_uscc": scored["none"].uscc, "reason": "监管推荐"},
        ),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert WhitelistBatch.objects.count() == batches
    assert WhitelistPush.objects.count() == pushes
    assert WhitelistFollowUp.objects.count() == follow_ups
    assert not BankRecommendation.objects.exists()
    assert ScreeningRule.objects.count() == rules


def test_regulator_pages_show_figures_and_batches_without_forms(
    regulator_user: User,
    granted: WhitelistBatch,
    bank_a: Organisation,
    open_case: Callable[[Organisation], Any],
) -> None:
    open_case(bank_a)
    client = Client()
    client.force_login(regulator_user)
    listing = client.get("/whitelist/batches/")
    assert listing.status_code == 200
    assert f'data-batch="{granted.pk}"' in listing.content.decode()
    detail = client.get(f"/whitelist/batches/{granted.pk}/")
    html = detail.content.decode()
    assert detail.status_code == 200
    assert "甲银行：已授信" in html
    for form in ("follow-up-form", "push-form", "batch-publish"):
        assert f'data-testid="{form}"' not in html
    figures = client.get("/whitelist/figures/")
    assert figures.status_code == 200
    assert 'data-testid="figures-total"' in figures.content.decode()
    recommendations = client.get("/whitelist/recommendations/")
    assert recommendations.status_code == 200
    assert 'data-testid="recommend-form"' not in recommendations.content.decode()
    assert client.get("/whitelist/imports/").status_code == 403
    assert client.get("/whitelist/rules/").status_code == 403


def test_banks_still_see_only_batches_pushed_to_them(
    api_client: Callable[..., Any], bank_b_user: User, bank_a_user: User, granted: WhitelistBatch
) -> None:
    assert api_client(bank_b_user).get(f"{API}/batches").json() == []
    assert api_client(bank_b_user).get(f"{API}/figures").json()["total"]["pushed"] == 0
    detail = api_client(bank_a_user).get(f"{API}/batches/{granted.pk}").json()
    assert detail["criteria"] == {}
