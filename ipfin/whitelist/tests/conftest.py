"""White-list fixtures: the IP office user, enterprises with credit profiles of known scores, lists
built in the test as CSV or .xlsx (openpyxl), and a published batch pushed to bank A.

An empty credit profile scores 29 points (ipfin.valuation.domain.credit, unknown values): average
right score 5 + R&D 2 + rating 4 + overdue 0 → 10 + tax grade 3 + revenue 1 + growth 2 + debt 2,
everything else 0. `high_tech=True` adds 5 (34); `credit_rating="AAA"` adds 12 − 4 = 8.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.valuation.models import EnterpriseCreditProfile
from ipfin.whitelist import services
from ipfin.whitelist.models import ScreeningRule, WhitelistBatch

EMPTY_PROFILE_SCORE = 29


def csv_file(
    rows: Sequence[Sequence[object]], name: str = "list.csv", encoding: str = "utf-8-sig"
) -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def xlsx_file(rows: Sequence[Sequence[object]], name: str = "list.xlsx") -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(
        name,
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@pytest.fixture
def office_api(api_client: Callable[..., Any], office_user: User) -> Any:
    return api_client(office_user)


@pytest.fixture
def make_enterprise(make_org: Callable[..., Organisation]) -> Callable[..., Organisation]:
    """An enterprise; `profile` = None for none, else the EnterpriseCreditProfile fields."""

    def make(
        name: str | None = None, profile: dict[str, Any] | None = None, **kw: Any
    ) -> Organisation:
        org = make_org(OrganisationKind.ENTERPRISE, name, **kw)
        if profile is not None:
            EnterpriseCreditProfile.objects.create(organisation=org, **profile)
        return org

    return make


@pytest.fixture
def make_rule(office_user: User) -> Callable[..., ScreeningRule]:
    def make(**kw: Any) -> ScreeningRule:
        kw.setdefault("name", "测试规则")
        return services.rule_create(actor=office_user, **kw)

    return make


@pytest.fixture
def scored(make_enterprise: Callable[..., Organisation]) -> dict[str, Organisation]:
    """Three enterprises: high (37: AAA), mid (34: high-tech), low (29: empty profile), and one
    without a profile."""
    return {
        "high": make_enterprise("高分科技有限公司", {"credit_rating": "AAA"}, industry="新材料"),
        "mid": make_enterprise("中分科技有限公司", {"high_tech": True}, industry="软件"),
        "low": make_enterprise("低分科技有限公司", {}, industry="新材料"),
        "none": make_enterprise("无画像科技有限公司", None, industry="新材料"),
    }


@pytest.fixture
def published_batch(
    office_user: User,
    make_rule: Callable[..., ScreeningRule],
    scored: dict[str, Organisation],
    bank_a: Organisation,
) -> WhitelistBatch:
    """A batch of every profiled enterprise (high, mid, low), published and pushed to bank A."""
    rule = make_rule(name="全部有画像企业")
    batch = services.batch_create(actor=office_user, rule=rule, title="第一批")
    services.batch_publish(actor=office_user, batch=batch)
    services.batch_push(actor=office_user, batch=batch, bank_ids=[bank_a.pk])
    batch.refresh_from_db()
    return batch
