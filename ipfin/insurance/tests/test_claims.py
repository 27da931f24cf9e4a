"""Claims on one policy against its sum insured (ipfin.insurance.services): what was paid and what
was assessed and not yet paid both count, so that every assessed claim can be paid."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

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
