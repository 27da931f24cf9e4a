"""The batch life: draft (snapshot) → publish → push to banks → follow-ups; recommendations from
banks and the office's decisions. Refused actions change nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from ipfin.accounts.models import Notification, Organisation, User
from ipfin.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ipfin.valuation.models import EnterpriseCreditProfile
from ipfin.whitelist import selectors, services
from ipfin.whitelist.models import (
    BankRecommendation,
    EntrySource,
    ScreeningRule,
    WhitelistBatch,
    WhitelistFollowUp,
    WhitelistPush,
)


def test_batch_is_a_snapshot_of_criteria_and_scores(
    office_user: User, make_rule: Callable[..., ScreeningRule], scored: dict[str, Organisation]
) -> None:
    rule = make_rule(min_credit_score=30)
    batch = services.batch_create(actor=office_user, rule=rule, title="")
    assert batch.state == "draft"
    assert batch.title == f"{rule.name} {batch.scored_on.isoformat()}"
    assert batch.criteria["min_credit_score"] == 30
    assert batch.criteria["rule_id"] == rule.pk
    scores = {e.enterprise_id: (e.credit_score, e.credit_grade) for e in batch.entries.all()}
    assert scores == {scored["high"].pk: (37, "D"), scored["mid"].pk: (34, "D")}
    # The profile changes later: the batch keeps the score it was made with.
    EnterpriseCreditProfile.objects.filter(organisation=scored["mid"]).update(high_tech=False)
    assert batch.entries.get(enterprise=scored["mid"]).credit_score == 34
    reasons = batch.entries.get(enterprise=scored["high"]).reasons
    assert reasons == [{"code": "credit_score", "zh": "评分 37 ≥ 30", "en": "score 37 ≥ 30"}]


def test_publish_and_push(
    office_user: User,
    make_rule: Callable[..., ScreeningRule],
    scored: dict[str, Organisation],
    bank_a: Organisation,
    bank_b: Organisation,
    enterprise_a: Organisation,
) -> None:
    batch = services.batch_create(actor=office_user, rule=make_rule(), title="一批")
    with pytest.raises(Conflict) as caught:
        services.batch_push(actor=office_user, batch=batch, bank_ids=[bank_a.pk])
    assert caught.value.code == "batch_not_published"
    services.batch_publish(actor=office_user, batch=batch)
    batch.refresh_from_db()
    assert batch.state == "published" and batch.published_by == office_user
    with pytest.raises(Conflict):
        services.batch_publish(actor=office_user, batch=batch)
    with pytest.raises(ValidationFailed) as bad:
        services.batch_push(actor=office_user, batch=batch, bank_ids=[enterprise_a.pk])
    assert bad.value.code == "bank_unknown"
    assert not WhitelistPush.objects.exists()
    new, already = services.batch_push(actor=office_user, batch=batch, bank_ids=[bank_a.pk])
    assert ([p.bank for p in new], already) == ([bank_a], [])
    new, already = services.batch_push(
        actor=office_user, batch=batch, bank_ids=[bank_a.pk, bank_b.pk]
    )
    assert ([p.bank for p in new], already) == ([bank_b], [bank_a.pk])
    assert Notification.objects.filter(organisation=bank_a, verb="whitelist.push").count() == 1
    assert Notification.objects.filter(organisation=bank_b, verb="whitelist.push").count() == 1


def test_an_empty_batch_cannot_be_published(
    office_user: User, make_rule: Callable[..., ScreeningRule], scored: dict[str, Organisation]
) -> None:
    batch = services.batch_create(actor=office_user, rule=make_rule(min_credit_score=100))
    with pytest.raises(ValidationFailed) as caught:
        services.batch_publish(actor=office_user, batch=batch)
    assert caught.value.code == "batch_empty"
    batch.refresh_from_db()
    assert batch.state == "draft"


def test_a_bank_cannot_manage(
    bank_a_user: User, make_rule: Callable[..., ScreeningRule], published_batch: WhitelistBatch
) -> None:
    with pytest.raises(PermissionDenied):
        services.rule_create(actor=bank_a_user, name="x")
    with pytest.raises(PermissionDenied):
        services.batch_push(actor=bank_a_user, batch=published_batch, bank_ids=[1])


def test_follow_ups_are_history_and_the_latest_counts(
    bank_a_user: User, office_user: User, published_batch: WhitelistBatch
) -> None:
    entry = published_batch.entries.first()
    assert entry is not None
    services.follow_up_record(actor=bank_a_user, entry=entry, status="contacted")
    services.follow_up_record(
        actor=bank_a_user, entry=entry, status="credit_granted", amount="1000000"
    )
    services.follow_up_record(
        actor=bank_a_user, entry=entry, status="loan_disbursed", amount=Decimal("800000.50")
    )
    assert WhitelistFollowUp.objects.filter(entry=entry).count() == 3
    (latest,) = selectors.latest_follow_ups(actor=office_user, batch=published_batch)
    assert (latest.status, latest.amount) == ("loan_disbursed", Decimal("800000.50"))
    assert Notification.objects.filter(verb="whitelist.follow_up").count() == 2  # 授信, 放款


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"status": "credit_granted"}, "amount_invalid"),
        ({"status": "loan_disbursed", "amount": "0"}, "amount_invalid"),
        ({"status": "credit_granted", "amount": "1.234"}, "amount_invalid"),
        ({"status": "contacted", "amount": "5"}, "amount_not_allowed"),
        ({"status": "declined"}, "reason_required"),
        ({"status": "declined", "reason": "   "}, "reason_required"),
        ({"status": "won"}, "status_invalid"),
    ],
)
def test_follow_up_rules(
    bank_a_user: User, published_batch: WhitelistBatch, kwargs: dict[str, str], code: str
) -> None:
    entry = published_batch.entries.first()
    assert entry is not None
    with pytest.raises(ValidationFailed) as caught:
        services.follow_up_record(actor=bank_a_user, entry=entry, **kwargs)
    assert caught.value.code == code
    assert not WhitelistFollowUp.objects.exists()


def test_a_bank_the_batch_was_not_pushed_to_gets_a_404(
    bank_b_user: User, published_batch: WhitelistBatch
) -> None:
    entry = published_batch.entries.first()
    assert entry is not None
    with pytest.raises(NotFound):
        services.follow_up_record(actor=bank_b_user, entry=entry, status="contacted")
    with pytest.raises(NotFound):
        selectors.batch_get(actor=bank_b_user, pk=published_batch.pk)
    assert list(selectors.batch_list(actor=bank_b_user)) == []
    assert not WhitelistFollowUp.objects.exists()


def test_a_draft_is_invisible_to_banks_even_if_once_named(
    office_user: User,
    make_rule: Callable[..., ScreeningRule],
    scored: dict[str, Organisation],
    bank_a_user: User,
) -> None:
    batch = services.batch_create(actor=office_user, rule=make_rule())
    with pytest.raises(NotFound):
        selectors.batch_get(actor=bank_a_user, pk=batch.pk)


def test_database_constraints_back_the_follow_up_rules(
    bank_a_user: User, bank_a: Organisation, published_batch: WhitelistBatch
) -> None:
    entry = published_batch.entries.first()
    for fields in (
        {"status": "credit_granted", "amount": None},
        {"status": "contacted", "amount": Decimal("1.00")},
        {"status": "declined", "reason": ""},
        {"status": "bogus"},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            WhitelistFollowUp.objects.create(
                entry=entry, bank=bank_a, recorded_by=bank_a_user, **fields
            )


def test_recommendation_accepted_into_a_draft_batch(
    office_user: User,
    bank_a_user: User,
    bank_a: Organisation,
    make_rule: Callable[..., ScreeningRule],
    scored: dict[str, Organisation],
    make_enterprise: Callable[..., Organisation],
) -> None:
    outsider = make_enterprise("被推荐企业", {"high_tech": True})
    rec = services.recommendation_create(
        actor=bank_a_user,
        enterprise_uscc=outsider.uscc or "",
        reason="长期合作客户",
        intended_amount="3000000",
    )
    assert (rec.state, rec.intended_amount) == ("received", Decimal("3000000.00"))
    with pytest.raises(Conflict) as caught:
        services.recommendation_create(
            actor=bank_a_user, enterprise_uscc=outsider.uscc or "", reason="再次推荐"
        )
    assert caught.value.code == "recommendation_open"
    draft = services.batch_create(actor=office_user, rule=make_rule(min_credit_score=35))
    services.recommendation_decide(
        actor=office_user, recommendation=rec, decision="accept", batch=draft
    )
    rec.refresh_from_db()
    assert (rec.state, rec.batch) == ("accepted_into_batch", draft)
    entry = draft.entries.get(enterprise=outsider)
    assert (entry.source, entry.credit_score) == (EntrySource.RECOMMENDATION, 34)
    assert Notification.objects.filter(
        organisation=bank_a, verb="whitelist.recommendation_accept"
    ).exists()
    with pytest.raises(Conflict):
        services.recommendation_decide(
            actor=office_user, recommendation=rec, decision="decline", reason="x"
        )


def test_recommendation_decline_needs_a_reason_and_a_published_batch_takes_nothing(
    office_user: User,
    bank_a_user: User,
    published_batch: WhitelistBatch,
    make_enterprise: Callable[..., Organisation],
) -> None:
    outsider = make_enterprise("被推荐企业", None)
    rec = services.recommendation_create(
        actor=bank_a_user, enterprise_uscc=outsider.uscc or "", reason="优质客户"
    )
    with pytest.raises(Conflict) as caught:
        services.recommendation_decide(
            actor=office_user, recommendation=rec, decision="accept", batch=published_batch
        )
    assert caught.value.code == "batch_not_draft"
    with pytest.raises(ValidationFailed):
        services.recommendation_decide(actor=office_user, recommendation=rec, decision="decline")
    rec.refresh_from_db()
    assert rec.state == "received"
    services.recommendation_decide(
        actor=office_user, recommendation=rec, decision="decline", reason="暂不符合条件"
    )
    rec.refresh_from_db()
    assert (rec.state, rec.decision_reason) == ("declined", "暂不符合条件")
    # Declined: the bank may recommend it again.
    services.recommendation_create(
        actor=bank_a_user, enterprise_uscc=outsider.uscc or "", reason="补充材料后再推荐"
    )
    assert BankRecommendation.objects.count() == 2


def test_recommendation_of_an_unknown_enterprise(bank_a_user: User, bank_b: Organisation) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.recommendation_create(
            actor=bank_a_user, enterprise_uscc=bank_b.uscc or "", reason="x"
        )
    assert caught.value.code == "enterprise_unknown"
    with pytest.raises(ValidationFailed) as caught:
        services.recommendation_create(actor=bank_a_user, enterprise_uscc="123", reason="x")
    assert caught.value.code == "uscc_length"
