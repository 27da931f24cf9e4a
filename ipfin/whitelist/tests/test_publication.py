"""Publication re-reads 信用中国: an enterprise with a 失信被执行人 / 严重失信主体 record dated on
or before the day of publication (within two years) is left out of the batch, though the batch
was drawn up before the record came in (一票否决, as the screening and the office's acceptance
of a bank's recommendation apply it). The office sees who before it publishes, and after."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ipfin.accounts.models import Notification, Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import ValidationFailed
from ipfin.whitelist import services
from ipfin.whitelist.models import ScreeningRule
from ipfin.whitelist.tests.test_screening import _dishonest

API = "/api/v1/whitelist"


@pytest.fixture
def firms(make_enterprise: Callable[..., Organisation]) -> dict[str, Organisation]:
    return {
        "honest": make_enterprise("守信科技有限公司", {"credit_rating": "AAA"}),
        "later_dishonest": make_enterprise("后失信科技有限公司", {"credit_rating": "AAA"}),
    }


def _office_page(office_user: User, batch_id: int) -> str:
    client = Client()
    client.force_login(office_user)
    response = client.get(f"/whitelist/batches/{batch_id}/")
    assert response.status_code == 200
    return response.content.decode()


def test_publication_leaves_out_an_enterprise_found_dishonest_after_the_batch_was_drawn_up(
    firms: dict[str, Organisation],
    make_rule: Callable[..., ScreeningRule],
    office_user: User,
    office_api: Any,
) -> None:
    day = timezone.localdate()
    batch = services.batch_create(actor=office_user, rule=make_rule(name="全部"), title="第一批")
    entered = set(batch.entries.values_list("enterprise_id", flat=True))
    assert {firms["honest"].pk, firms["later_dishonest"].pk} <= entered
    # The 信用中国 file comes in after the batch was drawn up.
    _dishonest(firms["later_dishonest"], office_user, day)

    draft = _office_page(office_user, batch.pk)
    assert 'data-testid="leaving-out"' in draft
    assert "后失信科技有限公司" in draft.split('data-testid="leaving-out"')[1].split("</div>")[0]
    assert (day - timedelta(days=10)).isoformat() in draft
    assert "有失信记录的 1 家企业将移出名单" in draft  # the publish button's confirmation
    left_out = {
        "enterprise_id": firms["later_dishonest"].pk,
        "name": "后失信科技有限公司",
        "uscc": firms["later_dishonest"].uscc,
        "dishonesty_on": (day - timedelta(days=10)).isoformat(),
    }
    # The API says it of the draft too, to the office only.
    shown = office_api.get(f"{API}/batches/{batch.pk}")
    assert shown.status_code == 200 and shown.json()["state"] == "draft"
    assert shown.json()["left_out"] == [left_out]
    batch.refresh_from_db()
    assert batch.left_out == []  # nothing stored before the publication

    answer = office_api.post(f"{API}/batches/{batch.pk}/publish")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["state"] == "published"
    kept = {e["enterprise"]["id"] for e in body["entries"]}
    assert firms["honest"].pk in kept and firms["later_dishonest"].pk not in kept
    assert body["entry_count"] == len(entered) - 1
    assert body["left_out"] == [left_out]
    batch.refresh_from_db()
    assert batch.left_out == [left_out]
    record = AuditRecord.objects.get(action="whitelist.batch_publish", object_id=str(batch.pk))
    assert record.after["left_out"] == [left_out]
    assert record.after["entries"] == len(entered) - 1

    published = _office_page(office_user, batch.pk)
    assert 'data-testid="leaving-out"' not in published
    assert "后失信科技有限公司" in published.split('data-testid="left-out"')[1].split("</div>")[0]


def test_a_batch_whose_every_enterprise_is_now_dishonest_is_not_published(
    firms: dict[str, Organisation],
    make_rule: Callable[..., ScreeningRule],
    office_user: User,
) -> None:
    day = timezone.localdate()
    batch = services.batch_create(actor=office_user, rule=make_rule(name="全部"))
    assert batch.entries.exists()
    for entry in batch.entries.select_related("enterprise"):
        _dishonest(entry.enterprise, office_user, day)
    count = batch.entries.count()
    with pytest.raises(ValidationFailed) as refused:
        services.batch_publish(actor=office_user, batch=batch)
    assert refused.value.code == "batch_empty"
    assert "失信" in refused.value.detail_zh
    batch.refresh_from_db()
    assert batch.state == "draft" and batch.left_out == []
    assert batch.entries.count() == count  # nothing removed by the refused publication


def test_a_bank_whose_recommended_enterprise_is_left_out_is_told(
    firms: dict[str, Organisation],
    make_rule: Callable[..., ScreeningRule],
    office_user: User,
    bank_a_user: User,
    bank_a: Organisation,
) -> None:
    day = timezone.localdate()
    batch = services.batch_create(
        actor=office_user, rule=make_rule(name="全部", min_credit_score=100), title="推荐批"
    )
    recommended = services.recommendation_create(
        actor=bank_a_user, enterprise_uscc=firms["later_dishonest"].uscc, reason="经营良好"
    )
    services.recommendation_decide(
        actor=office_user, recommendation=recommended, decision="accept", batch=batch
    )
    services.recommendation_decide(
        actor=office_user,
        recommendation=services.recommendation_create(
            actor=bank_a_user, enterprise_uscc=firms["honest"].uscc, reason="经营良好"
        ),
        decision="accept",
        batch=batch,
    )
    _dishonest(firms["later_dishonest"], office_user, day)
    services.batch_publish(actor=office_user, batch=batch)
    told = Notification.objects.filter(
        organisation=bank_a, verb="whitelist.recommendation_left_out"
    )
    assert [n.message_zh for n in told] == [
        "您推荐的企业 后失信科技有限公司 因信用中国的失信记录，未随白名单批次“推荐批”发布。"
    ]
    assert list(batch.entries.values_list("enterprise_id", flat=True)) == [firms["honest"].pk]
    recommended.refresh_from_db()
    assert recommended.state == "declined" and recommended.batch_id == batch.pk
    assert "失信记录" in recommended.decision_reason
    record = AuditRecord.objects.get(action="whitelist.recommendation_left_out")
    assert record.after["state"] == "declined"
