"""Fee and premium subsidies (贴费, issue 16; seeds 000 §13 and 004 (二)) through the real services:
a policy pays a share of the guarantee fees and insurance premiums an enterprise paid in a year,
within a cap per enterprise and the year's budget, allocated exactly as the interest subsidies
are (ipfin.loans.domain.subsidy.allocate_subsidy, the same review and maker-checker). The fees
come from the guarantees and policies themselves, never typed in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.common.errors import ValidationFailed
from ipfin.financing.services import policy_publish
from ipfin.guarantees import services as guarantees
from ipfin.insurance import services as insurance
from ipfin.loans.models import Loan
from ipfin.loans.services import (
    subsidy_allocate,
    subsidy_allocation_confirm,
    subsidy_claim_review,
    subsidy_claim_submit,
)
from ipfin.valuation.services.valuations import valuation_create, valuation_issue

pytestmark = pytest.mark.django_db
D = Decimal
CLAIMED_ON = date(2026, 1, 10)


@pytest.fixture
def contracts(
    npl_loan: Callable[..., Loan],
    bank_a_user: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> Loan:
    """Enterprise A's loan of 400,000.00 (3 months, disbursed 2025-01-15) with an issued guarantee
    (fee 1.5 % a year: 1,500.00, charged on 2025-01-15) and a policy it holds (premium 1,000.00,
    cover from 2025-01-15)."""
    loan = npl_loan(category=None)
    guarantor = make_user("guarantor_staff", make_org(OrganisationKind.GUARANTOR, "担保公司"))
    insurer = make_user("insurer_staff", make_org(OrganisationKind.INSURER, "财产保险公司"))
    asked = guarantees.guarantee_request(
        actor=bank_a_user, loan_id=loan.pk, guarantor_id=guarantor.organisation_id,
        share="0.5", cap="200000.00", fee_rate="0.015",
    )  # fmt: skip
    guarantees.guarantee_decide(actor=guarantor, guarantee=asked, decision="issue")
    issued = insurance.policy_issue(
        actor=insurer,
        data={
            "kind": "pledge_guarantee", "loan_id": loan.pk, "policyholder_id": loan.enterprise_id,
            "beneficiary_id": loan.bank_id, "loss_share": "0.2", "sum_insured": "100000.00",
            "rate": "0.01", "starts_on": "2025-01-15", "ends_on": "2026-01-14",
        },
    )  # fmt: skip
    insurance.policy_accept(actor=bank_a_user, policy_id=issued.pk)
    return loan


def _policy(office_user: User, **change: Any) -> Any:
    fields: dict[str, Any] = {
        "kind": "fee_subsidy",
        "title": "2025年知识产权质押融资担保费、保险费补贴",
        "conditions": {"fees": ["guarantee_fee", "premium"]},
        "subsidy_share": "0.5",
        "cap_per_enterprise": "1000.00",
        "annual_budget": "10000.00",
        "year": 2025,
    }
    return policy_publish(actor=office_user, **{**fields, **change})


def test_the_fees_paid_are_read_capped_per_enterprise_and_allocated_seed000_13_seed004_2(
    contracts: Loan, office_user: User, checker: User, enterprise_a_user: User
) -> None:
    policy = _policy(office_user)
    claim = subsidy_claim_submit(
        actor=enterprise_a_user, policy_id=policy.pk, year=2025, today=CLAIMED_ON
    )
    # 1,500.00 of guarantee fee + 1,000.00 of premium, both from their records.
    assert (claim.basis, claim.fees_paid, claim.interest_paid) == ("fees", D("2500.00"), D("0"))
    assert [(f["kind"], f["amount"], f["on"]) for f in claim.fees] == [
        ("guarantee_fee", "1500.00", "2025-01-15"),
        ("premium", "1000.00", "2025-01-15"),
    ]
    subsidy_claim_review(actor=office_user, claim=claim, decision="approve")
    run = subsidy_allocate(actor=office_user, policy_id=policy.pk, year=2025)
    subsidy_allocation_confirm(actor=checker, run_id=run.pk)
    claim.refresh_from_db()
    # 50 % of 2,500.00 is 1,250.00; the cap per enterprise, 1,000.00, is what is awarded.
    assert (claim.state, claim.eligible, claim.capped, claim.awarded) == (
        "allocated", D("1250.00"), D("1000.00"), D("1000.00"),
    )  # fmt: skip


def test_a_policy_for_premiums_only_reads_the_premiums_only_seed004_2(
    contracts: Loan, office_user: User, enterprise_a_user: User
) -> None:
    policy = _policy(office_user, conditions={"fees": ["premium"]})
    claim = subsidy_claim_submit(
        actor=enterprise_a_user, policy_id=policy.pk, year=2025, today=CLAIMED_ON
    )
    assert (claim.fees_paid, [f["kind"] for f in claim.fees]) == (D("1000.00"), ["premium"])


def test_a_premium_counts_once_the_bank_has_accepted_the_policy_on_its_loan_seed004_2(
    contracts: Loan,
    npl_loan: Callable[..., Loan],
    office_user: User,
    enterprise_a_user: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> None:
    """Policies the bank never accepted cover nothing, and any number of them may be issued on
    one loan over the same days: their premiums are no subsidy's base (three more were issued
    here on another loan of the enterprise, 1,000.00 of premium each; before, the claim read
    4,000.00)."""
    other = npl_loan(category=None)
    assert other.enterprise_id == contracts.enterprise_id
    for n in range(3):
        insurer = make_user(f"insurer_x{n}", make_org(OrganisationKind.INSURER, f"保险{n}公司"))
        issued = insurance.policy_issue(
            actor=insurer,
            data={
                "kind": "pledge_guarantee", "loan_id": other.pk,
                "policyholder_id": other.enterprise_id, "beneficiary_id": other.bank_id,
                "loss_share": "0.2", "sum_insured": "100000.00", "rate": "0.01",
                "starts_on": "2025-02-01", "ends_on": "2026-01-14",
            },
        )  # fmt: skip
        assert issued.accepted_at is None
    policy = _policy(office_user, conditions={"fees": ["premium"]})
    claim = subsidy_claim_submit(
        actor=enterprise_a_user, policy_id=policy.pk, year=2025, today=CLAIMED_ON
    )
    assert (claim.fees_paid, len(claim.fees)) == (D("1000.00"), 1)  # the accepted one alone


def test_no_fee_paid_in_the_year_is_refused_naming_the_year(
    contracts: Loan, office_user: User, enterprise_a_user: User
) -> None:
    policy = _policy(office_user, year=2026)
    with pytest.raises(ValidationFailed) as refused:
        subsidy_claim_submit(
            actor=enterprise_a_user, policy_id=policy.pk, year=2026, today=date(2026, 12, 1)
        )
    assert (refused.value.code, refused.value.extra["field"]) == ("no_eligible_fees", "year")


@pytest.mark.parametrize("fees", [["annuity"], [], "premium", ["premium", "premium"]])
def test_a_fee_subsidy_names_the_fees_it_pays_part_of(office_user: User, fees: Any) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _policy(office_user, conditions={"fees": fees})
    assert refused.value.code == "fees_invalid"


def test_a_fee_subsidy_needs_its_share_budget_and_year(office_user: User) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _policy(office_user, annual_budget=None)
    assert refused.value.code == "subsidy_terms_required"


def test_an_evaluation_fee_stated_on_an_issued_report_is_a_fee_subsidys_base_seed004_2(
    make_right: Callable[..., Any],
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    enterprise_a: Organisation,
    enterprise_b: Organisation,
    office_user: User,
    enterprise_a_user: User,
    today: date,
) -> None:
    agency = make_user("agency_staff", make_org(OrganisationKind.VALUATION_AGENCY, "甲评估公司"))
    right = make_right()
    draft = valuation_create(
        actor=agency, rights=[right.number], method="cost",
        inputs={"cost": "1000000", "profit_rate": "0.1", "used_years": "2", "remaining_years": "8"},
    )  # fmt: skip
    signed = {"appraisers": ["张三", "李四"]}
    # The payer is a holder of a right valued: enterprise B is none.
    with pytest.raises(ValidationFailed) as refused:
        valuation_issue(
            actor=agency, valuation=draft, fee="8000.00", fee_payer_uscc=enterprise_b.uscc,
            **signed,
        )  # fmt: skip
    assert (refused.value.code, refused.value.extra["field"]) == (
        "fee_payer_invalid", "fee_payer_uscc",
    )  # fmt: skip
    issued = valuation_issue(
        actor=agency, valuation=draft, fee="8000.00", fee_payer_uscc=enterprise_a.uscc, **signed
    )
    assert (issued.fee, issued.fee_payer_id) == (D("8000.00"), enterprise_a.pk)
    policy = _policy(office_user, conditions={"fees": ["evaluation_fee"]}, year=today.year)
    claim = subsidy_claim_submit(
        actor=enterprise_a_user, policy_id=policy.pk, year=today.year, today=today
    )
    assert (claim.fees_paid, [f["ref"] for f in claim.fees]) == (
        D("8000.00"), [f"valuation:{issued.pk}"],
    )  # fmt: skip


def test_a_banks_own_valuation_states_no_evaluation_fee(
    make_right: Callable[..., Any], bank_a_user: User, enterprise_a: Organisation
) -> None:
    right = make_right()
    draft = valuation_create(
        actor=bank_a_user, rights=[right.number], method="cost",
        inputs={"cost": "1000000", "profit_rate": "0.1", "used_years": "2", "remaining_years": "8"},
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        valuation_issue(
            actor=bank_a_user, valuation=draft, fee="8000.00", fee_payer_uscc=enterprise_a.uscc
        )
    assert (refused.value.code, refused.value.extra["field"]) == ("fee_not_agency", "fee")
