"""The white-list pages: the office's (imports with report, rules with preview, batches, publish,
push, recommendations, figures, exports) and a bank's (pushed batches, follow-ups, recommend)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.test import Client
from openpyxl import load_workbook

from ipfin.accounts.models import Organisation, User
from ipfin.jobs.models import JobRun
from ipfin.whitelist import services
from ipfin.whitelist.models import (
    BankRecommendation,
    ImportedList,
    ScreeningRule,
    WhitelistBatch,
    WhitelistFollowUp,
)
from ipfin.whitelist.tests.conftest import csv_file


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_office_imports_a_list_and_sees_the_report(
    office_user: User, make_enterprise: Callable[..., Organisation]
) -> None:
    firm = make_enterprise("甲科技有限公司")
    client = _client(office_user)
    assert client.get("/whitelist/imports/").status_code == 200
    upload = csv_file([["企业名称", "统一社会信用代码"], ["", firm.uscc], ["丙公司", ""]])
    response = client.post(
        "/whitelist/imports/", {"kind": "high_tech", "name": "高企", "file": upload}, follow=True
    )
    assert response.status_code == 200
    imported = ImportedList.objects.get()
    # Imported in the background (in-process here): the run's page, then the import's report.
    run = JobRun.objects.get(name="whitelist_import")
    assert response.redirect_chain[-1][0] == f"/jobs/{run.pk}/"
    html = response.content.decode()
    assert "已完成" in html and "数据行数 2" in html and "匹配行数 1" in html
    assert f'href="/whitelist/imports/{imported.pk}/"' in html
    html = client.get(f"/whitelist/imports/{imported.pk}/").content.decode()
    assert 'data-row="3"' in html and "平台无此名称的企业" in html
    bad = client.post(
        "/whitelist/imports/",
        {"kind": "high_tech", "file": csv_file([["x"]], name="a.txt")},
    )
    # A refused form answers the refusal's status, the page again with the error in place.
    assert bad.status_code == 422
    page = bad.content.decode()
    assert 'data-testid="action-error"' in page and "CSV" in page
    assert 'data-testid="import-form"' in page
    assert ImportedList.objects.count() == 1 and JobRun.objects.count() == 1


def test_office_makes_a_rule_previews_and_makes_a_batch(
    office_user: User, scored: dict[str, Organisation], bank_a: Organisation
) -> None:
    client = _client(office_user)
    response = client.post(
        "/whitelist/rules/",
        {"name": "新材料 30 分", "min_credit_score": "30", "industries": "新材料，软件"},
        follow=True,
    )
    rule = ScreeningRule.objects.get()
    assert rule.industries == ["新材料", "软件"]
    html = response.content.decode()
    assert "高分科技有限公司" in html and "评分 29 &lt; 30" in html
    response = client.post(f"/whitelist/rules/{rule.pk}/batch/", {"title": "一批"}, follow=True)
    batch = WhitelistBatch.objects.get()
    assert response.redirect_chain[-1][0] == f"/whitelist/batches/{batch.pk}/"
    assert 'data-testid="batch-publish"' in response.content.decode()
    response = client.post(f"/whitelist/batches/{batch.pk}/publish/", follow=True)
    assert 'data-testid="push-form"' in response.content.decode()
    response = client.post(
        f"/whitelist/batches/{batch.pk}/push/", {"bank_ids": [bank_a.pk]}, follow=True
    )
    assert "甲银行" in response.content.decode()
    assert batch.pushes.get().bank == bank_a
    for path in ("/whitelist/batches/", "/whitelist/recommendations/", "/whitelist/figures/"):
        assert client.get(path).status_code == 200, path
    wb = load_workbook(io.BytesIO(client.get("/whitelist/figures.xlsx").content))
    assert "按银行" in wb.sheetnames


def test_bank_follows_up_and_recommends(
    bank_a_user: User,
    bank_b_user: User,
    published_batch: WhitelistBatch,
    make_enterprise: Callable[..., Organisation],
) -> None:
    client = _client(bank_a_user)
    response = client.get("/whitelist/batches/")
    assert published_batch.title in response.content.decode()
    assert 'data-testid="nav-whitelist"' in response.content.decode()
    detail = client.get(f"/whitelist/batches/{published_batch.pk}/")
    assert detail.status_code == 200
    assert 'data-testid="follow-up-form"' in detail.content.decode()
    assert 'data-testid="batch-publish"' not in detail.content.decode()
    entry = published_batch.entries.first()
    assert entry is not None
    response = client.post(
        f"/whitelist/entries/{entry.pk}/follow-up/",
        {"status": "credit_granted", "amount": "120000"},
        follow=True,
    )
    assert "已授信" in response.content.decode()
    refused = client.post(f"/whitelist/entries/{entry.pk}/follow-up/", {"status": "declined"})
    assert refused.status_code == 422
    assert 'data-testid="action-error"' in refused.content.decode()
    assert "原因" in refused.content.decode()
    assert WhitelistFollowUp.objects.count() == 1
    wb = load_workbook(
        io.BytesIO(client.get(f"/whitelist/batches/{published_batch.pk}/export.xlsx").content)
    )
    assert wb["跟进记录"].max_row == 2

    firm = make_enterprise("被推荐企业")
    response = client.post(
        "/whitelist/recommendations/",
        {"enterprise_uscc": firm.uscc, "reason": "老客户", "intended_amount": ""},
        follow=True,
    )
    assert "被推荐企业" in response.content.decode()
    assert BankRecommendation.objects.get().bank_id == bank_a_user.organisation_id
    assert client.get("/whitelist/figures/").status_code == 200

    other = _client(bank_b_user)
    assert other.get(f"/whitelist/batches/{published_batch.pk}/").status_code == 404
    assert (
        other.post(f"/whitelist/entries/{entry.pk}/follow-up/", {"status": "contacted"}).status_code
        == 404
    )
    assert other.get(f"/whitelist/batches/{published_batch.pk}/export.xlsx").status_code == 404
    assert other.get("/whitelist/rules/").status_code == 403
    assert other.get("/whitelist/imports/").status_code == 403
    assert "被推荐企业" not in other.get("/whitelist/recommendations/").content.decode()


def test_office_decides_a_recommendation(
    office_user: User,
    bank_a_user: User,
    make_rule: Callable[..., ScreeningRule],
    make_enterprise: Callable[..., Organisation],
) -> None:
    firm = make_enterprise("被推荐企业", {})
    rec = services.recommendation_create(
        actor=bank_a_user, enterprise_uscc=firm.uscc or "", reason="老客户"
    )
    draft = services.batch_create(actor=office_user, rule=make_rule(), title="草稿")
    client = _client(office_user)
    page = client.get("/whitelist/recommendations/").content.decode()
    assert 'data-testid="decision-form"' in page and "草稿" in page
    client.post(
        f"/whitelist/recommendations/{rec.pk}/decision/",
        {"decision": "accept", "batch_id": str(draft.pk)},
    )
    rec.refresh_from_db()
    assert rec.state == "accepted_into_batch"
    assert draft.entries.filter(enterprise=firm).exists()


def test_pages_in_english(office_user: User, published_batch: WhitelistBatch) -> None:
    client = _client(office_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # chosen with the language switch
    html = client.get(f"/whitelist/batches/{published_batch.pk}/").content.decode()
    assert "White list" in html and "Latest follow-up" in html


def test_anonymous_is_sent_to_login(client: Client) -> None:
    response = client.get("/whitelist/batches/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_invalid_rule_form_is_a_400_with_the_error_beside_its_field(office_user: User) -> None:
    response = _client(office_user).post("/whitelist/rules/", {"name": "", "min_credit_score": "x"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="action-error"' in html and 'class="errorlist"' in html
    assert not ScreeningRule.objects.exists()
