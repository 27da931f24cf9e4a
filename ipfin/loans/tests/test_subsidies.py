"""Interest subsidy end to end on the real database: repayments → claims → review → allocation
within the budget, to the fen.

Policy (conftest `subsidy_policy`): 50 % of the interest paid in 2025, cap 1,000.00 per
enterprise, budget 1,000.01, sizes micro/small/medium. Interest-only loans at 12 % (1 % a month):
- A: 120,000.00, one instalment paid in 2025: 1,200.00 → eligible   600.00
- B: 120,000.00, two instalments paid:       2,400.00 → eligible 1,200.00 → capped 1,000.00
- C:  80,000.00 from 2024-11-15, paid 2024-12-15 (another year) and 2025-01-15: 800.00 → 400.00
Capped total 2,000.00 > budget 1,000.01: scaled by 100,001 / 200,000 = 0.500005:
  A 300.003 → 300.00, B 500.005 → 500.00, C 200.002 → 200.00; one fen left over goes to the
  largest remainder (B's 0.5 fen): B 500.01. Total 1,000.01 = the budget exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, PermissionDenied, ValidationFailed
from ipfin.financing.models import Policy
from ipfin.loans import services
from ipfin.loans.models import Loan, SubsidyAllocationRun, SubsidyClaim
from ipfin.pledges.models import Pledge
from ipfin.registry.models import Right
from ipfin.valuation.models import Valuation

D = Decimal


@pytest.fixture
def borrowers(
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    pledge_over: Callable[..., tuple[Pledge, Right]],
    value_right: Callable[..., Valuation],
    lend: Callable[..., Loan],
    bank_a_user: User,
) -> dict[str, tuple[Organisation, User]]:
    out: dict[str, tuple[Organisation, User]] = {}
    plans = {
        "A": ("small", "120000.00", date(2025, 1, 15), [("1200.00", date(2025, 2, 15))]),
        "B": (
            "medium",
            "120000.00",
            date(2025, 1, 15),
            [("1200.00", date(2025, 2, 15)), ("1200.00", date(2025, 3, 15))],
        ),
        "C": (
            "micro",
            "80000.00",
            date(2024, 11, 15),
            [("800.00", date(2024, 12, 15)), ("800.00", date(2025, 1, 15))],
        ),
        "D": ("large", "120000.00", date(2025, 1, 15), [("1200.00", date(2025, 2, 15))]),
    }
    for key, (size, principal, start, payments) in plans.items():
        org = make_org(OrganisationKind.ENTERPRISE, f"企业{key}", size=size, region="江苏省南京市")
        pledge, right = pledge_over(org)
        value_right(right)
        loan = lend(
            pledge, principal=principal, method="interest_only", start=start, enterprise=org
        )
        for amount, paid_on in payments:
            services.loan_repay(
                actor=bank_a_user, loan=loan, amount=amount, paid_on=paid_on, today=paid_on
            )
        out[key] = (org, make_user(f"ent-{key}", org))
    return out


def test_subsidy_end_to_end_scaled_to_the_budget(
    api_client: Callable[..., Any],
    borrowers: dict[str, tuple[Organisation, User]],
    subsidy_policy: Policy,
    office_user: User,
    make_user: Callable[..., User],
) -> None:
    office = api_client(office_user)
    office_checker = make_user("office_checker", office_user.organisation)
    claim_ids = {}
    for key in "ABC":
        resp = api_client(borrowers[key][1]).post_json(
            "/api/v1/subsidies/claims", {"policy_id": subsidy_policy.pk, "year": 2025}
        )
        assert resp.status_code == 201, resp.content
        claim_ids[key] = resp.json()["id"]
    assert {k: SubsidyClaim.objects.get(pk=pk).interest_paid for k, pk in claim_ids.items()} == {
        "A": D("1200.00"),
        "B": D("2400.00"),
        "C": D("800.00"),
    }
    # D is a large enterprise: outside the policy.
    resp = api_client(borrowers["D"][1]).post_json(
        "/api/v1/subsidies/claims", {"policy_id": subsidy_policy.pk, "year": 2025}
    )
    assert resp.status_code == 422 and resp.json()["code"] == "policy_size"
    # A second claim for the same year is a conflict.
    resp = api_client(borrowers["A"][1]).post_json(
        "/api/v1/subsidies/claims", {"policy_id": subsidy_policy.pk, "year": 2025}
    )
    assert resp.status_code == 409 and resp.json()["code"] == "claim_exists"
    # An enterprise sees its own claims only.
    mine = api_client(borrowers["A"][1]).get("/api/v1/subsidies/claims").json()
    assert [c["id"] for c in mine] == [claim_ids["A"]]

    allocate = {"policy_id": subsidy_policy.pk, "year": 2025}
    resp = office.post_json("/api/v1/subsidies/allocate", allocate)
    assert resp.status_code == 409 and resp.json()["code"] == "claims_pending_review"
    for key in "ABC":
        resp = office.post_json(
            f"/api/v1/subsidies/claims/{claim_ids[key]}/review", {"decision": "approve"}
        )
        assert resp.status_code == 200, resp.content
    resp = office.post_json("/api/v1/subsidies/allocate", allocate)
    assert resp.status_code == 201, resp.content
    run = resp.json()
    assert (run["scaled"], run["total_awarded"], run["scale_factor"]) == (
        True,
        "1000.01",
        "0.5000050000",
    )
    awards = {
        c["enterprise"]["name"][-1]: (c["eligible"], c["capped"], c["awarded"])
        for c in run["claims"]
    }
    assert awards == {
        "A": ("600.00", "600.00", "300.00"),
        "B": ("1200.00", "1000.00", "500.01"),
        "C": ("400.00", "400.00", "200.00"),
    }
    total = sum(D(c["awarded"]) for c in run["claims"])
    assert total == subsidy_policy.annual_budget  # never over budget, exact
    assert all(D(c["awarded"]) <= D("1000.00") for c in run["claims"])  # never over the cap
    # Maker-checker: proposed, not yet allocated; the maker may not confirm its own proposal.
    assert (run["proposed_by"], run["confirmed_by"]) == ("office", None)
    assert set(SubsidyClaim.objects.values_list("state", flat=True)) == {"approved"}
    resp = office.post_json("/api/v1/subsidies/allocate", allocate)
    assert resp.status_code == 409 and resp.json()["code"] == "allocation_proposed"
    confirm = f"/api/v1/subsidies/allocations/{run['id']}/confirm"
    resp = office.post_json(confirm)
    assert resp.status_code == 403 and resp.json()["code"] == "checker_is_maker"
    resp = api_client(office_checker).post_json(confirm)
    assert (resp.status_code, resp.json()["confirmed_by"]) == (200, "office_checker")
    assert set(SubsidyClaim.objects.values_list("state", flat=True)) == {"allocated"}
    resp = api_client(office_checker).post_json(confirm)  # confirmed already
    assert resp.status_code == 409 and resp.json()["code"] == "allocation_done"
    # Final: one run per policy and year.
    resp = office.post_json("/api/v1/subsidies/allocate", allocate)
    assert resp.status_code == 409 and resp.json()["code"] == "allocation_done"
    assert SubsidyAllocationRun.objects.count() == 1


def test_under_budget_every_claim_gets_its_capped_amount(
    borrowers: dict[str, tuple[Organisation, User]],
    subsidy_policy: Policy,
    office_user: User,
) -> None:
    Policy.objects.filter(pk=subsidy_policy.pk).update(annual_budget=D("5000.00"))
    for key in "AB":
        claim = services.subsidy_claim_submit(
            actor=borrowers[key][1], policy_id=subsidy_policy.pk, year=2025, today=date(2026, 1, 5)
        )
        services.subsidy_claim_review(actor=office_user, claim=claim, decision="approve")
    run = services.subsidy_allocate(actor=office_user, policy_id=subsidy_policy.pk, year=2025)
    assert (run.scaled, run.total_awarded, run.scale_factor) == (False, D("1600.00"), D(1))
    assert sorted(SubsidyClaim.objects.values_list("awarded", flat=True)) == [
        D("600.00"),
        D("1000.00"),
    ]


def test_rejection_needs_a_reason_and_excludes_the_claim(
    borrowers: dict[str, tuple[Organisation, User]],
    subsidy_policy: Policy,
    office_user: User,
) -> None:
    claim = services.subsidy_claim_submit(
        actor=borrowers["A"][1], policy_id=subsidy_policy.pk, year=2025
    )
    with pytest.raises(ValidationFailed) as err:
        services.subsidy_claim_review(actor=office_user, claim=claim, decision="reject")
    assert err.value.code == "reason_required"
    services.subsidy_claim_review(
        actor=office_user, claim=claim, decision="reject", reason="材料不全"
    )
    claim.refresh_from_db()
    assert claim.state == "rejected"
    # Rejected: the enterprise may claim again.
    again = services.subsidy_claim_submit(
        actor=borrowers["A"][1], policy_id=subsidy_policy.pk, year=2025
    )
    assert again.pk != claim.pk


def test_no_interest_paid_in_the_year_is_refused(
    borrowers: dict[str, tuple[Organisation, User]], subsidy_policy: Policy
) -> None:
    Policy.objects.filter(pk=subsidy_policy.pk).update(year=None)
    with pytest.raises(ValidationFailed) as err:
        services.subsidy_claim_submit(
            actor=borrowers["A"][1], policy_id=subsidy_policy.pk, year=2024
        )
    assert err.value.code == "no_eligible_interest"
    assert not SubsidyClaim.objects.exists()


def test_only_the_office_reviews_and_allocates(
    api_client: Callable[..., Any],
    borrowers: dict[str, tuple[Organisation, User]],
    subsidy_policy: Policy,
    bank_a_user: User,
) -> None:
    claim = services.subsidy_claim_submit(
        actor=borrowers["A"][1], policy_id=subsidy_policy.pk, year=2025
    )
    enterprise = api_client(borrowers["A"][1])
    resp = enterprise.post_json(
        f"/api/v1/subsidies/claims/{claim.pk}/review", {"decision": "approve"}
    )
    assert resp.status_code == 403
    # A bank cannot even see the claim.
    resp = api_client(bank_a_user).post_json(
        f"/api/v1/subsidies/claims/{claim.pk}/review", {"decision": "approve"}
    )
    assert resp.status_code == 404
    resp = enterprise.post_json(
        "/api/v1/subsidies/allocate", {"policy_id": subsidy_policy.pk, "year": 2025}
    )
    assert resp.status_code == 403
    claim.refresh_from_db()
    assert claim.state == "submitted"


def test_a_discarded_proposal_is_removed_and_can_be_proposed_again(
    borrowers: dict[str, tuple[Organisation, User]],
    subsidy_policy: Policy,
    office_user: User,
    make_user: Callable[..., User],
) -> None:
    checker = make_user("office_checker", office_user.organisation)
    claim = services.subsidy_claim_submit(
        actor=borrowers["A"][1], policy_id=subsidy_policy.pk, year=2025, today=date(2026, 1, 5)
    )
    services.subsidy_claim_review(actor=office_user, claim=claim, decision="approve")
    run = services.subsidy_allocate(actor=office_user, policy_id=subsidy_policy.pk, year=2025)
    with pytest.raises(PermissionDenied) as refused:
        services.subsidy_allocation_discard(actor=office_user, run_id=run.pk)
    assert refused.value.code == "checker_is_maker"
    services.subsidy_allocation_discard(actor=checker, run_id=run.pk)
    claim.refresh_from_db()
    assert (claim.state, claim.allocation_run_id, claim.awarded) == ("approved", None, None)
    assert not SubsidyAllocationRun.objects.exists()
    again = services.subsidy_allocate(actor=checker, policy_id=subsidy_policy.pk, year=2025)
    confirmed = services.subsidy_allocation_confirm(actor=office_user, run_id=again.pk)
    claim.refresh_from_db()
    assert (confirmed.confirmed_by, claim.state) == (office_user, "allocated")
    actions = list(
        AuditRecord.objects.filter(action__startswith="subsidy.allocate")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "subsidy.allocate_proposed", "subsidy.allocate_discarded",
        "subsidy.allocate_proposed", "subsidy.allocate",
    ]  # fmt: skip


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_claim_filed_while_the_year_is_being_allocated_is_refused_not_left_unpaid(
    borrowers: dict[str, tuple[Organisation, User]],
    subsidy_policy: Policy,
    office_user: User,
) -> None:
    """The allocation of 2025 commits a second after A files its claim: the claim waits for it
    under the policy's lock and is refused. Checked apart from the lock, it was stored for a
    year already allocated, approvable, and never paid."""
    import threading

    from django.db import connection, transaction

    from ipfin.common.errors import Conflict

    day = date(2026, 1, 5)
    claim = services.subsidy_claim_submit(
        actor=borrowers["B"][1], policy_id=subsidy_policy.pk, year=2025, today=day
    )
    services.subsidy_claim_review(actor=office_user, claim=claim, decision="approve")
    allocated, release, errors = threading.Event(), threading.Event(), []

    def allocate() -> None:
        try:
            with transaction.atomic():
                services.subsidy_allocate(actor=office_user, policy_id=subsidy_policy.pk, year=2025)
                allocated.set()
                release.wait(10)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    allocating = threading.Thread(target=allocate)
    allocating.start()
    assert allocated.wait(10)
    threading.Timer(1.0, release.set).start()
    try:
        with pytest.raises(Conflict) as refused:
            services.subsidy_claim_submit(
                actor=borrowers["A"][1], policy_id=subsidy_policy.pk, year=2025, today=day
            )
    finally:
        release.set()
        allocating.join()
    assert errors == [] and refused.value.code == "allocation_done"
    assert not SubsidyClaim.objects.filter(enterprise=borrowers["A"][0]).exists()


def test_a_claim_outside_the_policys_window_is_refused_minfadian_art1259(
    api_client: Callable[..., Any],
    borrowers: dict[str, tuple[Organisation, User]],
    subsidy_policy: Policy,
) -> None:
    """A policy takes claims from valid_from to valid_to, both days included (民法典 art. 1259):
    a claim a day before or a day after is refused (409), through the service as through
    POST /subsidies/claims, not only by the claim form's proposal."""
    subsidy_policy.valid_from, subsidy_policy.valid_to = date(2026, 1, 1), date(2026, 3, 31)
    subsidy_policy.save(update_fields=["valid_from", "valid_to"])
    _org, user = borrowers["A"]
    for day, code in ((date(2025, 12, 31), "policy_not_open"), (date(2026, 4, 1), "policy_closed")):
        with pytest.raises(Conflict) as refused:
            services.subsidy_claim_submit(
                actor=user, policy_id=subsidy_policy.pk, year=2025, today=day
            )
        assert refused.value.code == code
    assert not SubsidyClaim.objects.exists()
    # Today (2026-12-06 or later) is past its end: the API answers 409 with the code.
    resp = api_client(user).post_json(
        "/api/v1/subsidies/claims", {"policy_id": subsidy_policy.pk, "year": 2025}
    )
    assert resp.status_code == 409 and resp.json()["code"] == "policy_closed"
    # Its first and its last day both take claims.
    claim = services.subsidy_claim_submit(
        actor=user, policy_id=subsidy_policy.pk, year=2025, today=date(2026, 3, 31)
    )
    assert claim.interest_paid == D("1200.00")
    claim.delete()
    services.subsidy_claim_submit(
        actor=user, policy_id=subsidy_policy.pk, year=2025, today=date(2026, 1, 1)
    )
