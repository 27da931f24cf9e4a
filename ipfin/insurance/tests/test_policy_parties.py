"""Who may be insured for what, and who claims (保险法 arts. 12, 22, 48): a policy on rights its
policyholder holds (a park's on its members'), and a loan's guarantee insurance on which only the
insured bank gives notice. Each test failed before its check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.common.errors import Conflict, PermissionDenied, ValidationFailed
from ipfin.insurance import services
from ipfin.insurance.models import InsuranceClaim, Policy
from ipfin.loans.models import Loan

pytestmark = pytest.mark.django_db


def _loan_policy(loan: Loan, insurer: User, starts: date, ends: date) -> dict[str, Any]:
    return {
        "kind": "pledge_guarantee", "loan_id": loan.pk, "policyholder_id": loan.enterprise_id,
        "beneficiary_id": loan.bank_id, "loss_share": "0.5", "sum_insured": "200000.00",
        "rate": "0.01", "starts_on": starts.isoformat(), "ends_on": ends.isoformat(),
    }  # fmt: skip


def test_baoxianfa_art22_only_the_insured_bank_claims_on_a_loans_guarantee_insurance(
    npl_loan: Callable[..., Loan],
    bank_a_user: User,
    enterprise_a_user: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> None:
    """The borrower took the policy out against its own default: it gave notice, the insurer
    paid it 200,000.00 and the sum insured was gone for the bank. Now a 403; the bank claims."""
    insurer = make_user("ins", make_org(OrganisationKind.INSURER, "保证保险公司"))
    loan = npl_loan(category=None)
    assert loan.disbursed_on is not None and loan.maturity_date is not None
    issued = services.policy_issue(
        actor=insurer, data=_loan_policy(loan, insurer, loan.disbursed_on, loan.maturity_date)
    )
    policy = services.policy_accept(actor=bank_a_user, policy_id=issued.pk)
    day = loan.maturity_date
    with pytest.raises(PermissionDenied) as refused:
        services.claim_notify(
            actor=enterprise_a_user,
            policy_id=policy.pk,
            amount="200000.00",
            description="本企业无力还款",
            today=day,
        )
    assert refused.value.code == "forbidden" and "须由银行报案" in refused.value.detail_zh
    assert not InsuranceClaim.objects.exists()
    notice = services.claim_notify(
        actor=bank_a_user, policy_id=policy.pk, amount="200000.00", description="借款人违约",
        today=day,
    )  # fmt: skip
    assert notice.claimant_id == loan.bank_id


def test_baoxianfa_art12_art48_a_policy_covers_only_rights_its_policyholder_holds(
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    make_right: Callable[..., Any],
    enterprise_a: Organisation,
    today: date,
) -> None:
    """Enterprise A was insured on enterprise B's patent (its premium then in A's subsidy): a 422
    naming the right now. A's own right is insured; a park insures its members' rights."""
    insurer = make_user("ins", make_org(OrganisationKind.INSURER, "知识产权保险公司"))
    other = make_org(OrganisationKind.ENTERPRISE, "乙科技有限公司")
    theirs, ours = make_right(owners=[other]), make_right(owners=[enterprise_a])

    def issue(holder: Organisation, *rights: Any) -> Policy:
        return services.policy_issue(
            actor=insurer,
            data={
                "kind": "infringed_loss", "policyholder_id": holder.pk,
                "rights": [r.number for r in rights], "sum_insured": "500000.00",
                "rate": "0.02", "starts_on": today.isoformat(),
                "ends_on": (today + timedelta(days=365)).isoformat(),
            },
        )  # fmt: skip

    with pytest.raises(ValidationFailed) as refused:
        issue(enterprise_a, ours, theirs)
    assert refused.value.code == "right_not_held"
    assert refused.value.extra == {"field": "rights", "number": theirs.number}
    assert not Policy.objects.exists()
    assert issue(enterprise_a, ours).subject == "right"
    park = make_org(OrganisationKind.PARK, "高新园区")
    Organisation.objects.filter(pk=enterprise_a.pk).update(park=park)
    assert issue(park, ours).subject == "park"
    with pytest.raises(ValidationFailed):
        issue(park, theirs)


def test_a_guarantee_and_the_loans_guarantee_insurance_bear_at_most_the_whole_loss(
    npl_loan: Callable[..., Loan],
    bank_a_user: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> None:
    """Without a compensation claim each contract pays its own share of the whole loss: a
    guarantee of 60 % and a policy of 60 % paid 480,000.00 on a loss of 400,000.00. The second
    to come is now refused (409 `cover_exceeds_loss`), either way round; 60 % and 40 % stand."""
    from ipfin.guarantees import services as guarantees
    from ipfin.guarantees.models import Guarantee

    insurer = make_user("ins", make_org(OrganisationKind.INSURER, "保证保险公司"))
    guarantor = make_user("gua", make_org(OrganisationKind.GUARANTOR, "融资担保公司"))

    def policy_on(loan: Loan, share: str) -> Policy:
        assert loan.disbursed_on is not None and loan.maturity_date is not None
        data = {
            **_loan_policy(loan, insurer, loan.disbursed_on, loan.maturity_date),
            "loss_share": share,
        }
        return services.policy_issue(actor=insurer, data=data)

    def guarantee_on(loan: Loan, share: str) -> Guarantee:
        asked = guarantees.guarantee_request(
            actor=bank_a_user, loan_id=loan.pk, guarantor_id=guarantor.organisation_id,
            share=share, cap="1000000.00", fee_rate="0.02",
        )  # fmt: skip
        return guarantees.guarantee_decide(actor=guarantor, guarantee=asked, decision="issue")

    first = npl_loan(category=None)
    assert guarantee_on(first, "0.6").state == "issued"
    offered = policy_on(first, "0.6")
    with pytest.raises(Conflict) as refused:
        services.policy_accept(actor=bank_a_user, policy_id=offered.pk)
    assert refused.value.code == "cover_exceeds_loss"
    assert "担保 #" in refused.value.detail_zh and "60.00%" in refused.value.detail_zh
    assert Policy.objects.get(pk=offered.pk).accepted_at is None

    second = npl_loan(category=None)
    services.policy_accept(actor=bank_a_user, policy_id=policy_on(second, "0.6").pk)
    with pytest.raises(Conflict) as refused:
        guarantee_on(second, "0.6")
    assert refused.value.code == "cover_exceeds_loss"
    assert Guarantee.objects.get(loan=second).state == "requested"
    assert guarantee_on(npl_loan(category=None), "0.4").state == "issued"
    third = npl_loan(category=None)
    services.policy_accept(actor=bank_a_user, policy_id=policy_on(third, "0.6").pk)
    assert guarantee_on(third, "0.4").state == "issued"
