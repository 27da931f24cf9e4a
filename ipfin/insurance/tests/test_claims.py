"""Claims on one policy against its sum insured (ipfin.insurance.services): what was paid and what
was assessed and not yet paid both count, so that every assessed claim can be paid."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.insurance import services
from ipfin.insurance.models import Policy

pytestmark = pytest.mark.django_db
D = Decimal


def test_a_claim_is_assessed_within_what_the_paid_and_the_assessed_claims_leave(
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    enterprise_a: Organisation,
    enterprise_a_user: User,
    today: date,
) -> None:
    """Two notices of 80,000.00 on a policy of 100,000.00, both assessed before either is paid:
    the second is assessed at the 20,000.00 the first leaves, and both are paid. It was assessed
    at 80,000.00 against the sum insured as it stood, could not be paid (409: "assess the claim
    again") and could not be assessed again: stuck for good."""
    lead = make_user("ins_lead", make_org(OrganisationKind.INSURER, "领保财险"))
    policy = services.policy_issue(
        actor=lead,
        data={
            "kind": "infringed_loss", "policyholder_id": enterprise_a.pk,
            "sum_insured": "100000.00", "rate": "0.01", "deductible": "0",
            "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=365)).isoformat(),
            "co_insurers": [],
        },
    )  # fmt: skip
    first, second = (
        services.claim_notify(
            actor=enterprise_a_user,
            policy_id=policy.pk,
            amount="80000.00",
            description=text,
            today=today,
        )
        for text in ("第一次侵权损失", "第二次侵权损失")
    )
    first = services.claim_assess(actor=lead, claim_id=first.pk, decision="pay", loss="80000.00")
    second = services.claim_assess(actor=lead, claim_id=second.pk, decision="pay", loss="80000.00")
    assert (first.payout, second.payout) == (D("80000.00"), D("20000.00"))
    for claim in (second, first):  # in either order
        assert services.claim_pay(actor=lead, claim_id=claim.pk, today=today).state == "paid"
    assert Policy.objects.get(pk=policy.pk).paid_out == D("100000.00")


def test_baoxianfa_art14_21_a_loss_within_the_term_is_notified_after_it_and_one_outside_is_not(
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    enterprise_a: Organisation,
    enterprise_a_user: User,
    api_client: Callable[..., Any],
    today: date,
) -> None:
    """A policy that ran its year and ended yesterday: an infringement found on its last day
    and notified today was refused ("today is outside the term"), though the insurer is liable
    for an insured event within the term (保险法 art. 14) and notice follows knowledge of it
    (art. 21). Now the notice names the loss day: within the term it is taken, after the term's
    end, or after today, it is not; with no loss day, the loss is today's, as before."""
    from ipfin.insurance.models import InsuranceClaim

    lead = make_user("ins_lead", make_org(OrganisationKind.INSURER, "领保财险"))
    starts, ends = today - timedelta(days=366), today - timedelta(days=1)
    policy = services.policy_issue(
        actor=lead,
        data={
            "kind": "infringed_loss", "policyholder_id": enterprise_a.pk,
            "sum_insured": "100000.00", "rate": "0.01", "deductible": "0",
            "starts_on": starts.isoformat(), "ends_on": ends.isoformat(), "co_insurers": [],
        },
    )  # fmt: skip
    client = api_client(enterprise_a_user)
    url = f"/api/v1/insurance/policies/{policy.pk}/claims"
    body = {"amount": "30000.00", "description": "期末发现侵权"}
    late_loss = client.post_json(url, body)
    assert (late_loss.status_code, late_loss.json()["code"]) == (409, "policy_not_in_force")
    assert late_loss.json()["loss_on"] == today.isoformat()
    after = client.post_json(url, {**body, "loss_on": (ends + timedelta(days=1)).isoformat()})
    assert (after.status_code, after.json()["code"]) == (409, "policy_not_in_force")
    future = client.post_json(url, {**body, "loss_on": (today + timedelta(days=1)).isoformat()})
    assert (future.status_code, future.json()["code"]) == (422, "loss_in_future")
    assert future.json()["field"] == "loss_on"
    assert not InsuranceClaim.objects.exists()
    notice = client.post_json(url, {**body, "loss_on": ends.isoformat()})
    assert notice.status_code == 201, notice.content
    assert notice.json()["loss_on"] == ends.isoformat()
    assert InsuranceClaim.objects.get().loss_on == ends
    paid = services.claim_assess(
        actor=lead, claim_id=notice.json()["id"], decision="pay", loss="30000.00"
    )
    assert paid.payout == D("30000.00")
