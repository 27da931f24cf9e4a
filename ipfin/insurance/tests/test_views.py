"""The guarantee and insurance pages over real HTTP (issue 16): a bank asks a guarantor for a
guarantee on its loan, the guarantor issues it, the bank calls it on default, the guarantor pays;
an insurer issues a pledge-financing guarantee insurance policy with a co-insurer; the bank gives
notice of a claim, the insurer assesses and pays it. Refusals show next to their input; strangers
get 404; every irreversible act asks for confirmation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.guarantees.models import Guarantee
from ipfin.insurance.models import InsuranceClaim, Policy
from ipfin.loans.models import Loan
from ipfin.loans.services import loan_classify_manual
from ipfin.risk.tests.conftest import CLAIM_DAY

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def guarantor_user(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> User:
    return make_user("guarantor_staff", make_org(OrganisationKind.GUARANTOR, "示范融资担保公司"))


@pytest.fixture
def insurers(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> list[User]:
    return [
        make_user(f"insurer_{n}", make_org(OrganisationKind.INSURER, name))
        for n, name in enumerate(("甲财产保险股份有限公司", "乙财产保险股份有限公司"))
    ]


def test_bank_asks_guarantor_issues_bank_calls_guarantor_pays_seed002(
    client_for: Callable[[User], Client],
    npl_loan: Callable[..., Loan],
    bank_a_user: User,
    bank_b_user: User,
    guarantor_user: User,
) -> None:
    loan = npl_loan(category=None)
    bank = client_for(bank_a_user)
    page = bank.get("/guarantees/").content.decode()
    assert f'value="{loan.pk}"' in page and "示范融资担保公司" in page
    form = {
        "loan_id": loan.pk, "guarantor_id": guarantor_user.organisation_id,
        "share": "60", "cap": "100000.00", "fee_rate": "1.5", "period_months": "36",
    }  # fmt: skip
    # A share over 100 % is refused next to its input, nothing stored.
    bad = bank.post("/guarantees/", {**form, "share": "160"})
    assert bad.status_code == 400 and "errorlist" in bad.content.decode()
    assert not Guarantee.objects.exists()
    assert bank.post("/guarantees/", form).status_code == 302
    g = Guarantee.objects.get(loan=loan)
    assert (g.share, g.cap, g.fee_rate) == (D("0.6"), D("100000.00"), D("0.015"))
    assert g.period_months == 36
    # The period agreed, and its last day: three years after the loan fell due on 2025-04-15.
    shown = bank.get(f"/guarantees/{g.pk}/").content.decode()
    assert "贷款到期后 36 个月，至 2028-04-15" in shown
    bank.cookies["ipfin_language"] = "en"
    shown = bank.get(f"/guarantees/{g.pk}/").content.decode()
    assert "36 months after the loan falls due, until 2028-04-15" in shown
    del bank.cookies["ipfin_language"]
    # Another bank does not see it, nor can it act on it.
    assert client_for(bank_b_user).get(f"/guarantees/{g.pk}/").status_code == 404

    issuer = client_for(guarantor_user)
    detail = issuer.get(f"/guarantees/{g.pk}/").content.decode()
    assert 'data-testid="guarantee-issue"' in detail and "data-confirm=" in detail
    assert issuer.post(f"/guarantees/{g.pk}/issue/").status_code == 302
    g.refresh_from_db()
    # Disbursed already: the fee is charged at once, 400,000.00 × 1.5 % × 3 / 12 = 1,500.00.
    assert (g.state, g.fee) == ("issued", D("1500.00"))
    # Calling before default is refused with the reason on the page.
    early = bank.post(f"/guarantees/{g.pk}/call/")
    assert early.status_code == 409 and 'data-testid="action-error"' in early.content.decode()
    loan_classify_manual(
        actor=bank_a_user, loan=loan, category="substandard", reason="三期本息逾期未还",
        today=CLAIM_DAY,
    )  # fmt: skip
    assert bank.post(f"/guarantees/{g.pk}/call/").status_code == 302
    assert "guarantee-pay" in issuer.get(f"/guarantees/{g.pk}/").content.decode()
    assert issuer.post(f"/guarantees/{g.pk}/pay/").status_code == 302
    g.refresh_from_db()
    # 60 % of 400,000.00 is 240,000.00: the cap, 100,000.00, is paid.
    assert (g.state, g.paid) == ("paid", D("100000.00"))


def test_insurer_issues_a_co_insured_policy_bank_gives_notice_insurer_assesses_and_pays_seed004_8(
    client_for: Callable[[User], Client],
    npl_loan: Callable[..., Loan],
    bank_a_user: User,
    bank_b_user: User,
    insurers: list[User],
    enterprise_a_user: User,
    today: date,
) -> None:
    loan = npl_loan(category=None)
    lead, second = insurers
    office = client_for(lead)
    assert 'data-testid="policy-form"' in office.get("/insurance/new/").content.decode()
    form = {
        "kind": "pledge_guarantee", "loan_id": loan.pk, "policyholder_id": loan.enterprise_id,
        "beneficiary_id": loan.bank_id, "loss_share": "20", "sum_insured": "100000.00",
        "rate": "1", "starts_on": (today - timedelta(days=30)).isoformat(),
        "ends_on": (today + timedelta(days=335)).isoformat(),
        "co_insurer_id": second.organisation_id, "co_insurer_share": "40",
    }  # fmt: skip
    # Named with another bank, the loan is "not found", next to the loan's input.
    wrong = office.post("/insurance/new/", {**form, "beneficiary_id": bank_b_user.organisation_id})
    assert wrong.status_code == 422 and "errorlist" in wrong.content.decode()
    assert office.post("/insurance/new/", form).status_code == 302
    policy = Policy.objects.get(loan=loan)
    assert policy.premium == D("1000.00")
    assert [m.premium_part for m in policy.members.order_by("position")] == [
        D("600.00"), D("400.00"),
    ]  # fmt: skip
    # The borrower and the bank see it; the bank accepts it (confirmed), then gives notice of a
    # loss. Before its acceptance it offers no notice.
    assert client_for(enterprise_a_user).get(f"/insurance/{policy.pk}/").status_code == 200
    bank = client_for(bank_a_user)
    waiting = bank.get(f"/insurance/{policy.pk}/").content.decode()
    assert 'data-testid="policy-accept"' in waiting and "data-confirm=" in waiting
    assert "待银行确认" in waiting
    assert (
        'data-testid="policy-accept"' not in office.get(f"/insurance/{policy.pk}/").content.decode()
    )
    assert bank.post(f"/insurance/{policy.pk}/accept/").status_code == 302
    policy.refresh_from_db()
    assert policy.accepted_by == bank_a_user
    accepted = bank.get(f"/insurance/{policy.pk}/").content.decode()
    assert 'data-testid="policy-accept"' not in accepted and "待银行确认" not in accepted
    notice = {"amount": "50000.00", "description": "借款企业三期本息逾期，质物处置后仍有损失"}
    assert bank.post(f"/insurance/{policy.pk}/claims/", notice).status_code == 302
    claim = InsuranceClaim.objects.get(policy=policy)
    page = office.get(f"/insurance/{policy.pk}/").content.decode()
    assert f'data-testid="insurance-claim-assess-{claim.pk}"' in page
    assert (
        office.post(f"/insurance/claims/{claim.pk}/assess/", {"loss": "150000.00"}).status_code
        == 302
    )
    claim.refresh_from_db()
    # 20 % of the bank's 150,000.00 loss: 30,000.00, split 60 / 40.
    assert (claim.state, claim.payout) == ("assessed", D("30000.00"))
    assert office.post(f"/insurance/claims/{claim.pk}/pay/").status_code == 302
    policy.refresh_from_db()
    assert policy.paid_out == D("30000.00")
    # Only the lead insurer pays; the bank is refused.
    assert bank.post(f"/insurance/claims/{claim.pk}/pay/").status_code in (403, 404)
    # The co-insurer sees the policy; another bank does not.
    assert client_for(second).get(f"/insurance/{policy.pk}/").status_code == 200
    assert client_for(bank_b_user).get(f"/insurance/{policy.pk}/").status_code == 404
    assert client_for(bank_b_user).post(f"/insurance/claims/{claim.pk}/pay/").status_code == 404
