"""A loan's guarantee and its pledge-financing guarantee insurance inside the risk-compensation
waterfall (issue 16), through the real services: the claim takes the contracts' shares and caps,
its settlement after the disposal fixes the guarantor's part (refund of what it paid beyond it)
and the insurer's (a claim assessed at it, paid split among the co-insurers).

The loan is the risk tests' `npl_loan`: 400,000.00 at 12 % over 3 months from 2025-01-15, 次级 on
CLAIM_DAY with 8,000.00 of interest unpaid; the scheme's shares are 0.4 / 0.3 / 0.2 / 0.1 with
the fund's 300,000.00 cap per loan. Names carry their sources: seed002 (质押+担保), seed004_8
(质押融资保证保险), seed000 (the fund), minfadian_art561 (costs, interest, principal)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, NotFound, PermissionDenied
from ipfin.guarantees import services as guarantees
from ipfin.guarantees.models import Guarantee
from ipfin.insurance import services as insurance
from ipfin.insurance.models import InsuranceClaim, Policy
from ipfin.loans.models import Loan
from ipfin.risk.models import RiskClaim, RiskScheme
from ipfin.risk.services import claim_approve, claim_file, claim_pay, claim_settle
from ipfin.risk.tests.conftest import CLAIM_DAY

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def guarantor_user(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> User:
    return make_user("guarantor_staff", make_org(OrganisationKind.GUARANTOR, "示范融资担保公司"))


@pytest.fixture
def insurer_users(
    make_org: Callable[..., Organisation], make_user: Callable[..., User]
) -> list[User]:
    return [
        make_user(f"insurer_{n}", make_org(OrganisationKind.INSURER, name))
        for n, name in enumerate(("甲财产保险股份有限公司", "乙财产保险股份有限公司"))
    ]


def _guarantee(
    loan: Loan, bank_user: User, guarantor_user: User, *, cap: str, liability: str = "joint"
) -> Guarantee:
    asked = guarantees.guarantee_request(
        actor=bank_user, loan_id=loan.pk, guarantor_id=guarantor_user.organisation_id,
        share="0.3", cap=cap, fee_rate="0.015", liability=liability,
    )  # fmt: skip
    return guarantees.guarantee_decide(actor=guarantor_user, guarantee=asked, decision="issue")


def _bank_user(loan: Loan) -> User:
    """A loan officer of the loan's bank (who accepts a policy on it)."""
    user = User.objects.filter(organisation_id=loan.bank_id).order_by("pk").first()
    assert user is not None
    return user


def _policy(
    loan: Loan, insurers: list[User], sum_insured: str = "100000.00", ends_on: str = "2026-01-14"
) -> Policy:
    """A policy from 2025-01-15 to `ends_on`, issued by the first insurer (the second
    co-insures) and accepted by the bank."""
    lead, second = insurers
    issued = insurance.policy_issue(
        actor=lead,
        data={
            "kind": "pledge_guarantee", "loan_id": loan.pk, "policyholder_id": loan.enterprise_id,
            "beneficiary_id": loan.bank_id, "loss_share": "0.2", "sum_insured": sum_insured,
            "rate": "0.01", "starts_on": "2025-01-15", "ends_on": ends_on,
            "co_insurers": [{"insurer_id": second.organisation_id, "share": "0.4"}],
        },
    )  # fmt: skip
    return insurance.policy_accept(actor=_bank_user(loan), policy_id=issued.pk)


def test_guarantee_and_policy_share_the_loss_in_the_waterfall_seed002_seed004_8_seed000(
    npl_loan: Callable[..., Loan],
    scheme: RiskScheme,
    budget: Callable[..., Any],
    bank_a_user: User,
    office_user: User,
    checker: User,
    guarantor_user: User,
    insurer_users: list[User],
) -> None:
    loan = npl_loan()
    g = _guarantee(loan, bank_a_user, guarantor_user, cap="60000.00")
    policy = _policy(loan, insurer_users)
    budget("1000000.00")
    claim = claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=scheme.pk, today=CLAIM_DAY)
    # The contracts' shares replace the scheme's guarantor and insurer shares (0.3 and 0.2), the
    # bank bears the rest: 0.1.
    assert (claim.share_fund, claim.share_bank, claim.share_guarantor, claim.share_insurer) == (
        D("0.4"), D("0.1"), D("0.3"), D("0.2"),
    )  # fmt: skip
    assert (claim.guarantor_cap, claim.insurer_cap) == (D("60000.00"), D("100000.00"))
    assert {c["ref"] for c in claim.cover} == {f"guarantee:{g.pk}", f"policy:{policy.pk}"}
    # On default the bank calls the guarantee: 0.3 × 400,000.00 = 120,000.00, capped at 60,000.00.
    called = guarantees.guarantee_call(actor=bank_a_user, guarantee=g, today=CLAIM_DAY)
    guarantees.guarantee_pay(actor=guarantor_user, guarantee=called, today=CLAIM_DAY)
    claim = claim_approve(actor=office_user, claim=claim, today=CLAIM_DAY)
    claim = claim_pay(actor=checker, claim=claim, today=CLAIM_DAY)
    assert claim.advance == D("160000.00")
    # Proceeds 250,000.00: costs 10,000.00, interest 8,000.00, principal 232,000.00 (民法典 art.
    # 561); loss 168,000.00: fund 0.4 = 67,200.00, guarantor 0.3 = 50,400.00 (within its
    # 60,000.00), insurer 0.2 = 33,600.00, bank 0.1 = 16,800.00.
    settled = claim_settle(
        actor=office_user, claim=claim, proceeds="250000.00", disposal_costs="10000.00"
    )
    assert (settled.loss, settled.fund_part, settled.guarantor_part) == (
        D("168000.00"), D("67200.00"), D("50400.00"),
    )  # fmt: skip
    assert (settled.insurer_part, settled.bank_part) == (D("33600.00"), D("16800.00"))
    # The guarantor paid 60,000.00; its part is 50,400.00: 9,600.00 comes back to it.
    g.refresh_from_db()
    assert (g.state, g.due, g.paid, g.refund, g.loss) == (
        "settled", D("50400.00"), D("60000.00"), D("9600.00"), D("168000.00"),
    )  # fmt: skip
    # The insurer owes its part: a claim in the bank's name, assessed at it, split 0.6 / 0.4.
    ins = InsuranceClaim.objects.get(policy=policy)
    lead, second = insurer_users
    assert (ins.state, ins.payout, ins.claimant_id) == ("assessed", D("33600.00"), loan.bank_id)
    assert ins.parts == {
        str(lead.organisation_id): "20160.00",
        str(second.organisation_id): "13440.00",
    }
    paid = insurance.claim_pay(actor=lead, claim_id=ins.pk, today=CLAIM_DAY)
    policy.refresh_from_db()
    assert (paid.state, policy.paid_out) == ("paid", D("33600.00"))
    # Both settlements are on the audit trail.
    assert {"guarantee.settle_by_claim", "insurance.claim_by_settlement"} <= set(
        AuditRecord.objects.values_list("action", flat=True)
    )


def test_the_caps_bind_and_the_bank_bears_the_excess_and_an_uncalled_guarantee_is_called_seed002(
    npl_loan: Callable[..., Loan],
    make_scheme: Callable[..., RiskScheme],
    budget: Callable[..., Any],
    bank_a_user: User,
    office_user: User,
    guarantor_user: User,
    insurer_users: list[User],
) -> None:
    loan = npl_loan()
    g = _guarantee(loan, bank_a_user, guarantor_user, cap="20000.00")
    policy = _policy(loan, insurer_users, sum_insured="10000.00")
    later = make_scheme(mode="after_disposal")
    budget("1000000.00")
    claim = claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=later.pk, today=CLAIM_DAY)
    claim = claim_approve(actor=office_user, claim=claim, today=CLAIM_DAY)
    # Nothing recovered: loss 400,000.00 (民法典 art. 561: the 8,000.00 of interest is not part of
    # it). Guarantor 120,000.00 → its cap 20,000.00; insurer 80,000.00 → 10,000.00 left of the
    # sum insured; the bank's 40,000.00 + 100,000.00 + 70,000.00 of excess.
    settled = claim_settle(actor=office_user, claim=claim, proceeds="0.00")
    assert (settled.fund_part, settled.guarantor_part, settled.insurer_part, settled.bank_part) == (
        D("160000.00"), D("20000.00"), D("10000.00"), D("210000.00"),
    )  # fmt: skip
    assert (
        sum(
            (settled.fund_part, settled.guarantor_part, settled.insurer_part, settled.bank_part),
            D(0),
        )
        == settled.loss
    )
    # The guarantee was never called: the settlement calls it for the guarantor's part.
    g.refresh_from_db()
    assert (g.state, g.due, g.paid) == ("called", D("20000.00"), None)
    paid = guarantees.guarantee_pay(actor=guarantor_user, guarantee=g, today=CLAIM_DAY)
    assert (paid.state, paid.paid) == ("paid", D("20000.00"))
    # Its separate recovery settlement would count the loss a second time: refused.
    with pytest.raises(Conflict) as refused:
        guarantees.guarantee_recover(actor=bank_a_user, guarantee=g, proceeds="0.00")
    assert refused.value.code == "settled_by_claim"
    assert InsuranceClaim.objects.get(policy=policy).payout == D("10000.00")


def test_a_contract_past_what_the_fund_leaves_covers_only_what_is_left_seed002(
    npl_loan: Callable[..., Loan],
    make_scheme: Callable[..., RiskScheme],
    bank_a_user: User,
    guarantor_user: User,
    insurer_users: list[User],
) -> None:
    # Fund 0.6: the guarantee's 0.3 fits, the policy's 0.2 gets the 0.1 left, the bank none.
    heavy = make_scheme(shares={"fund": "0.6", "bank": "0.4", "guarantor": "0", "insurer": "0"})
    loan = npl_loan()
    _guarantee(loan, bank_a_user, guarantor_user, cap="60000.00")
    _policy(loan, insurer_users)
    claim = claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=heavy.pk, today=CLAIM_DAY)
    assert (claim.share_fund, claim.share_guarantor, claim.share_insurer, claim.share_bank) == (
        D("0.6"), D("0.3"), D("0.1"), D("0"),
    )  # fmt: skip
    insurer = next(c for c in claim.cover if c["party"] == "insurer")
    assert (insurer["share"], insurer["applied"]) == ("0.2", "0.1")


def test_without_contracts_the_schemes_shares_stand_and_nothing_is_opened_seed000(
    npl_loan: Callable[..., Loan],
    scheme: RiskScheme,
    bank_a_user: User,
    office_user: User,
) -> None:
    loan = npl_loan()
    claim: RiskClaim = claim_file(
        actor=bank_a_user, loan_id=loan.pk, scheme_id=scheme.pk, today=CLAIM_DAY
    )
    assert (claim.share_bank, claim.share_guarantor, claim.cover) == (D("0.3"), D("0.2"), [])
    claim = claim_approve(actor=office_user, claim=claim, today=date(2025, 6, 2))
    assert not InsuranceClaim.objects.exists() and not Guarantee.objects.exists()


def test_what_the_policy_paid_before_counts_towards_its_part_never_paid_twice_seed004_8(
    npl_loan: Callable[..., Loan],
    scheme: RiskScheme,
    budget: Callable[..., Any],
    bank_a_user: User,
    office_user: User,
    checker: User,
    insurer_users: list[User],
) -> None:
    loan = npl_loan()
    policy = _policy(loan, insurer_users)
    lead = insurer_users[0]
    # The bank claimed the usual way and was paid 20,000.00 before any compensation claim.
    early = InsuranceClaim.objects.create(
        policy=policy, claimant_id=loan.bank_id, amount_claimed=D("100000.00"),
        description="逾期报案", notified_by=bank_a_user,
    )  # fmt: skip
    insurance.claim_assess(actor=lead, claim_id=early.pk, decision="pay", loss=D("100000.00"))
    insurance.claim_pay(actor=lead, claim_id=early.pk, today=CLAIM_DAY)
    budget("1000000.00")
    claim = claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=scheme.pk, today=CLAIM_DAY)
    # While the compensation claim stands the insurer assesses no claim on the policy itself.
    notice = InsuranceClaim.objects.create(
        policy=policy, claimant_id=loan.bank_id, amount_claimed=D("1.00"),
        description="再次报案", notified_by=bank_a_user,
    )  # fmt: skip
    with pytest.raises(Conflict) as refused:
        insurance.claim_assess(actor=lead, claim_id=notice.pk, decision="pay", loss=D("1.00"))
    assert refused.value.code == "settled_by_claim"
    claim = claim_approve(actor=office_user, claim=claim, today=CLAIM_DAY)
    claim = claim_pay(actor=checker, claim=claim, today=CLAIM_DAY)
    # Loss 168,000.00: the insurer's part is 0.2 of it, 33,600.00; it paid 20,000.00 already, so
    # the settlement assesses the bank's open notice at the 13,600.00 left.
    settled = claim_settle(
        actor=office_user, claim=claim, proceeds="250000.00", disposal_costs="10000.00"
    )
    assert settled.insurer_part == D("33600.00")
    notice.refresh_from_db()
    assert (notice.state, notice.payout) == ("assessed", D("13600.00"))
    paid = insurance.claim_pay(actor=lead, claim_id=notice.pk, today=CLAIM_DAY)
    policy.refresh_from_db()
    assert paid.state == "paid" and policy.paid_out == D("33600.00")


def test_no_guarantee_is_asked_for_or_issued_once_a_claim_split_the_loss_seed002_seed000(
    npl_loan: Callable[..., Loan],
    scheme: RiskScheme,
    bank_a_user: User,
    guarantor_user: User,
) -> None:
    """The claim filed without a guarantee gave the scheme's guarantor share (0.2) to its
    parties; a guarantee issued afterwards would be called for its own share too (0.6 × the
    principal), the guarantor charged twice on two bases. Refused, nothing changed: one asked
    for before the claim and issued after it, and one asked for after it."""
    loan = npl_loan()
    asked = guarantees.guarantee_request(
        actor=bank_a_user, loan_id=loan.pk, guarantor_id=guarantor_user.organisation_id,
        share="0.6", cap="500000.00", fee_rate="0.015",
    )  # fmt: skip
    claim = claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=scheme.pk, today=CLAIM_DAY)
    assert claim.cover == [] and claim.share_guarantor == D("0.2")
    with pytest.raises(Conflict) as refused:
        guarantees.guarantee_decide(actor=guarantor_user, guarantee=asked, decision="issue")
    assert refused.value.code == "settled_by_claim"
    asked.refresh_from_db()
    assert asked.state == "requested" and asked.fee is None
    assert not AuditRecord.objects.filter(action="guarantee.issue").exists()
    # Declining it stays possible: the bank's request ends without a guarantee.
    guarantees.guarantee_decide(
        actor=guarantor_user, guarantee=asked, decision="decline", reason="已申请风险补偿"
    )
    with pytest.raises(Conflict) as refused:
        guarantees.guarantee_request(
            actor=bank_a_user, loan_id=loan.pk, guarantor_id=guarantor_user.organisation_id,
            share="0.6", cap="500000.00", fee_rate="0.015",
        )  # fmt: skip
    assert refused.value.code == "settled_by_claim"
    assert Guarantee.objects.filter(loan=loan).count() == 1


@pytest.mark.parametrize(
    ("sum_insured", "part", "left_to_pay"),
    [
        ("100000.00", "80000.00", "30000.00"),  # 0.2 × 400,000.00 within the sum insured
        ("60000.00", "60000.00", "10000.00"),  # the sum insured binds
    ],
)
def test_an_earlier_payout_is_taken_off_the_insurers_part_once_seed004_8(
    npl_loan: Callable[..., Loan],
    make_scheme: Callable[..., RiskScheme],
    budget: Callable[..., Any],
    bank_a_user: User,
    office_user: User,
    insurer_users: list[User],
    sum_insured: str,
    part: str,
    left_to_pay: str,
) -> None:
    """The policy paid 50,000.00 of the bank's loss the usual way before the compensation claim;
    the disposal recovers nothing (loss 400,000.00). The insurer's part is its share of the loss
    within the whole sum insured, and the settlement assesses what is left of it after the
    50,000.00. The cover used to be capped at the sum insured less the 50,000.00 as well: the
    part came out 50,000.00, all paid, and the bank was 30,000.00 short."""
    loan = npl_loan()
    policy = _policy(loan, insurer_users, sum_insured=sum_insured)
    lead = insurer_users[0]
    early = insurance.claim_notify(
        actor=bank_a_user, policy_id=policy.pk, amount="50000.00", description="逾期报案",
        today=CLAIM_DAY,
    )  # fmt: skip
    insurance.claim_assess(actor=lead, claim_id=early.pk, decision="pay", loss="250000.00")
    insurance.claim_pay(actor=lead, claim_id=early.pk, today=CLAIM_DAY)
    budget("1000000.00")
    scheme = make_scheme(mode="after_disposal")
    claim = claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=scheme.pk, today=CLAIM_DAY)
    claim = claim_approve(actor=office_user, claim=claim, today=CLAIM_DAY)
    settled = claim_settle(actor=office_user, claim=claim, proceeds="0.00")
    assert settled.loss == D("400000.00")
    assert settled.insurer_part == D(part)
    opened = InsuranceClaim.objects.get(policy=policy, state="assessed")
    assert opened.payout == D(left_to_pay)
    insurance.claim_pay(actor=lead, claim_id=opened.pk, today=CLAIM_DAY)
    policy.refresh_from_db()
    assert policy.paid_out == D(part)


def test_no_policy_is_issued_on_a_loan_whose_loss_a_claim_shares_seed004_8(
    npl_loan: Callable[..., Loan],
    scheme: RiskScheme,
    budget: Callable[..., Any],
    bank_a_user: User,
    insurer_users: list[User],
) -> None:
    """A policy issued once a compensation claim shares the loan's loss could never pay (409
    `settled_by_claim` on every assessment) while its premium would be owed: refused, 409
    `loan_has_claim`, and nothing stored."""
    loan = npl_loan()
    budget("1000000.00")
    claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=scheme.pk, today=CLAIM_DAY)
    with pytest.raises(Conflict) as refused:
        _policy(loan, insurer_users)
    assert refused.value.code == "loan_has_claim"
    assert not Policy.objects.filter(loan=loan).exists()


def _second_policy(loan: Loan, insurer: User, starts_on: str, ends_on: str) -> Policy:
    return insurance.policy_issue(
        actor=insurer,
        data={
            "kind": "pledge_guarantee", "loan_id": loan.pk, "policyholder_id": loan.enterprise_id,
            "beneficiary_id": loan.bank_id, "loss_share": "0.5", "sum_insured": "300000.00",
            "rate": "0.01", "starts_on": starts_on, "ends_on": ends_on,
        },
    )  # fmt: skip


def test_one_guarantee_insurance_on_a_loan_at_a_time_a_backdated_one_displaces_none_seed004_8(
    npl_loan: Callable[..., Loan],
    bank_a_user: User,
    insurer_users: list[User],
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> None:
    """The waterfall takes one policy's share of the loss (`policy_cover`): a second insurer's
    policy over the same days — dated earlier, so that it would come first — is refused (409
    `loan_already_insured`, naming the policy in force), nothing stored, and the first stays the
    one the claim reads; a policy for the days after the first ends is issued."""
    loan = npl_loan()
    first = _policy(loan, insurer_users)  # 2025-01-15 to 2026-01-14
    other = make_user("insurer_c", make_org(OrganisationKind.INSURER, "丙财产保险股份有限公司"))
    for starts_on, ends_on in (("2025-01-01", "2025-01-15"), ("2024-06-01", "2027-06-01")):
        with pytest.raises(Conflict) as refused:
            _second_policy(loan, other, starts_on, ends_on)
        assert (refused.value.code, refused.value.extra["policy_id"]) == (
            "loan_already_insured",
            first.pk,
        )
    assert list(Policy.objects.filter(loan=loan)) == [first]
    cover = insurance.policy_cover(loan=loan, day=date(2025, 6, 1))
    assert cover is not None and cover.ref == f"policy:{first.pk}"
    later = _second_policy(loan, other, "2026-01-15", "2027-01-14")
    assert Policy.objects.filter(loan=loan).count() == 2 and later.pk != first.pk


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_insurer_that_insures_a_loan_first_covers_nothing_until_the_bank_accepts_seed004_8(
    npl_loan: Callable[..., Loan],
    bank_a_user: User,
    bank_b_user: User,
    insurer_users: list[User],
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> None:
    """An insurer that knows a loan's ids issues on it first: the policy covers nothing (no share
    in the waterfall, no notice of a claim: 409 `policy_not_accepted`) and keeps no one off the
    loan. The insurer the bank chose issues over the same days; the bank accepts that one, and
    the first can no longer be accepted (409 `loan_already_insured`)."""
    loan = npl_loan()
    squatter = make_user("insurer_s", make_org(OrganisationKind.INSURER, "丁财产保险股份有限公司"))
    first = _second_policy(loan, squatter, "2025-01-15", "2026-01-14")
    assert first.accepted_at is None
    assert insurance.policy_cover(loan=loan, day=date(2025, 6, 1)) is None
    with pytest.raises(Conflict) as early:
        insurance.claim_notify(actor=bank_a_user, policy_id=first.pk, amount="1000.00",
                               description="逾期", today=date(2025, 6, 1))  # fmt: skip
    assert early.value.code == "policy_not_accepted"
    chosen = _second_policy(loan, insurer_users[0], "2025-02-01", "2026-01-31")
    # Only the loan's bank accepts, and not an insurer.
    with pytest.raises(NotFound):
        insurance.policy_accept(actor=bank_b_user, policy_id=chosen.pk)
    with pytest.raises(PermissionDenied):
        insurance.policy_accept(actor=insurer_users[0], policy_id=chosen.pk)
    accepted = insurance.policy_accept(actor=bank_a_user, policy_id=chosen.pk)
    assert accepted.accepted_by == bank_a_user and accepted.accepted_at is not None
    cover = insurance.policy_cover(loan=loan, day=date(2025, 6, 1))
    assert cover is not None and cover.ref == f"policy:{chosen.pk}"
    with pytest.raises(Conflict) as again:
        insurance.policy_accept(actor=bank_a_user, policy_id=chosen.pk)
    assert again.value.code == "policy_accepted"
    with pytest.raises(Conflict) as second:
        insurance.policy_accept(actor=bank_a_user, policy_id=first.pk)
    assert (second.value.code, second.value.extra["policy_id"]) == (
        "loan_already_insured",
        chosen.pk,
    )
    first.refresh_from_db()
    assert first.accepted_at is None
    assert AuditRecord.objects.filter(action="insurance.policy_accept").count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_bank_accepts_one_of_overlapping_guarantee_insurances_at_once_seed004_8(
    npl_loan: Callable[..., Loan],
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> None:
    """Eight insurers issue on the same loan over the same days (none accepted: all issued), then
    eight acceptances at the same moment: the loan's row lock lets one through, the others are
    refused 409 `loan_already_insured`."""
    from django.db import connection

    from ipfin.common.tests.concurrency import THREADS, run_at_once

    assert connection.vendor == "postgresql"
    loan = npl_loan()
    insurers = [
        make_user(f"insurer_r{i}", make_org(OrganisationKind.INSURER, f"并发{i}财产保险有限公司"))
        for i in range(THREADS)
    ]
    issued = [_second_policy(loan, insurer, "2025-01-15", "2026-01-14").pk for insurer in insurers]
    bank_user_pk = _bank_user(loan).pk

    def accept(i: int) -> int:
        actor = User.objects.select_related("organisation").get(pk=bank_user_pk)
        return insurance.policy_accept(actor=actor, policy_id=issued[i]).pk

    results = run_at_once(accept)
    assert sorted(outcome for outcome, _ in results) == ["conflict"] * (THREADS - 1) + ["ok"]
    assert {value for outcome, value in results if outcome == "conflict"} == {
        "loan_already_insured"
    }
    assert Policy.objects.filter(loan=loan, accepted_at__isnull=False).count() == 1


def test_a_guarantee_never_called_in_its_period_bears_no_share_of_a_later_claim_minfadian_art693(
    npl_loan: Callable[..., Loan],
    scheme: RiskScheme,
    bank_a_user: User,
    guarantor_user: User,
) -> None:
    """The loan fell due on 2025-04-15; its guarantee's period (six months, none agreed) ended on
    2025-10-15 without a call: the guarantor is discharged (民法典 art. 693 ¶2). A compensation
    claim filed after that splits the loss without it; one filed within it counts it. A general
    guarantee stays in a claim filed after its period: the bank's suit of the borrower within the
    period keeps its guarantor bound (art. 693 ¶1), and it can still be called then."""
    late_loan, loan, general_loan = npl_loan(), npl_loan(), npl_loan()
    for each in (late_loan, loan):
        _guarantee(each, bank_a_user, guarantor_user, cap="60000.00")
    _guarantee(general_loan, bank_a_user, guarantor_user, cap="60000.00", liability="general")
    late = claim_file(
        actor=bank_a_user, loan_id=late_loan.pk, scheme_id=scheme.pk, today=date(2025, 10, 16)
    )
    assert late.cover == [] and late.guarantor_cap is None
    assert late.share_guarantor == D("0.2")  # the scheme's own share, as with no guarantee
    claim = claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=scheme.pk, today=CLAIM_DAY)
    assert [c["party"] for c in claim.cover] == ["guarantor"]
    general = claim_file(
        actor=bank_a_user, loan_id=general_loan.pk, scheme_id=scheme.pk, today=date(2025, 10, 16)
    )
    assert [c["party"] for c in general.cover] == ["guarantor"]


def _paid_then_assessed(
    loan: Loan,
    insurers: list[User],
    bank_user: User,
    notices: tuple[str, str],
    losses: tuple[str, str],
) -> tuple[Policy, InsuranceClaim, InsuranceClaim]:
    """The bank's two notices on a new policy of the loan before any compensation claim: the
    first assessed at its loss and paid, the second assessed and left unpaid."""
    policy = _policy(loan, insurers)
    lead = insurers[0]
    first, second = (
        insurance.claim_notify(
            actor=bank_user,
            policy_id=policy.pk,
            amount=amount,
            description="报案",
            today=CLAIM_DAY,
        )
        for amount in notices
    )
    insurance.claim_assess(actor=lead, claim_id=first.pk, decision="pay", loss=losses[0])
    insurance.claim_pay(actor=lead, claim_id=first.pk, today=CLAIM_DAY)
    second = insurance.claim_assess(actor=lead, claim_id=second.pk, decision="pay", loss=losses[1])
    return policy, first, second


def _settled_after_sale(
    loan: Loan, scheme: RiskScheme, bank_user: User, office_user: User
) -> RiskClaim:
    """A compensation claim on the loan, approved and settled after a sale of 250,000.00 that
    cost 10,000.00: a loss of 168,000.00."""
    claim = claim_file(actor=bank_user, loan_id=loan.pk, scheme_id=scheme.pk, today=CLAIM_DAY)
    claim = claim_approve(actor=office_user, claim=claim, today=CLAIM_DAY)
    return claim_settle(
        actor=office_user, claim=claim, proceeds="250000.00", disposal_costs="10000.00"
    )


def _owing_back(
    loan: Loan,
    make_scheme: Callable[..., RiskScheme],
    budget: Callable[..., Any],
    bank_user: User,
    office_user: User,
    insurers: list[User],
) -> tuple[Loan, Policy, InsuranceClaim, RiskClaim]:
    """80,000.00 paid and 20,000.00 assessed on the loan's policy, then a compensation claim
    settled after the pledge's sale: the insurers' part 33,600.00, 46,400.00 owed back."""
    policy, _first, second = _paid_then_assessed(
        loan, insurers, bank_user, ("80000.00", "80000.00"), ("400000.00", "400000.00")
    )
    assert (second.state, second.payout) == ("assessed", D("20000.00"))
    budget("1000000.00")
    claim = _settled_after_sale(loan, make_scheme(mode="after_disposal"), bank_user, office_user)
    policy.refresh_from_db()
    return loan, policy, second, claim


def test_what_the_policy_paid_beyond_its_settled_part_is_owed_back_by_the_bank_seed004_8(
    npl_loan: Callable[..., Loan],
    make_scheme: Callable[..., RiskScheme],
    budget: Callable[..., Any],
    bank_a_user: User,
    office_user: User,
    insurer_users: list[User],
    api_client: Callable[..., Any],
) -> None:
    """The insurer paid 80,000.00 (0.2 of the whole 400,000.00) on the bank's first notice and
    assessed 20,000.00 more on a second, before any compensation claim; the pledge's sale then
    left a loss of 168,000.00, the insurer's part 33,600.00. It kept the 80,000.00 and the
    20,000.00 was still to be paid (a guarantor in its place is refunded). Now the settlement
    rejects the assessed claim the part no longer leaves room for and records the 46,400.00 the
    bank owes back (audited; the insurers and the bank told; on the policy's page and API)."""
    from ipfin.accounts.models import Notification

    loan, policy, second, claim = _owing_back(
        npl_loan(), make_scheme, budget, bank_a_user, office_user, insurer_users
    )
    assert (claim.loss, claim.insurer_part) == (D("168000.00"), D("33600.00"))
    assert (policy.paid_out, policy.refund_due) == (D("80000.00"), D("46400.00"))
    second.refresh_from_db()
    assert (second.state, second.payout) == ("rejected", None)
    assert f"#{claim.pk}" in second.reject_reason
    assert "保险应分担的 33,600.00 元 已由" in second.reject_reason  # amounts as shown
    assert InsuranceClaim.objects.filter(policy=policy).count() == 2  # none opened
    record = AuditRecord.objects.get(action="insurance.refund_by_settlement")
    assert (record.before["refund_due"], record.after["refund_due"]) == (None, "46400.00")
    assert record.after["risk_claim"] == claim.pk
    told = set(
        Notification.objects.filter(verb="insurance.refund_by_settlement").values_list(
            "organisation_id", flat=True
        )
    )
    assert told == {loan.bank_id, *(u.organisation_id for u in insurer_users)}
    shown = api_client(bank_a_user).get(f"/api/v1/insurance/policies/{policy.pk}")
    assert shown.status_code == 200 and shown.json()["refund_due"] == "46400.00"


def test_the_lead_insurer_records_the_banks_refund_as_received_once_not_before_the_settlement(
    npl_loan: Callable[..., Loan],
    make_scheme: Callable[..., RiskScheme],
    budget: Callable[..., Any],
    bank_a_user: User,
    office_user: User,
    insurer_users: list[User],
    api_client: Callable[..., Any],
) -> None:
    """The 46,400.00 the bank owes back (the test above) is recorded as received by the lead
    insurer, once, on a day not after today, nor before the policy began, nor before the
    settlement that fixed the refund (the day kept as `refund_due_on`); a co-insurer is not
    the one to record it (404), nor the bank (403). The bank and the co-insurer are told, the
    record is audited, and the policy's page says so."""
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    from ipfin.accounts.models import Notification

    lead, co_insurer = insurer_users
    owing_nothing = _policy(npl_loan(), insurer_users)
    early = api_client(lead).post_json(
        f"/api/v1/insurance/policies/{owing_nothing.pk}/refund-received", {}
    )
    assert early.status_code == 409 and early.json()["code"] == "no_refund_due"
    loan, policy, _second, _claim = _owing_back(
        npl_loan(), make_scheme, budget, bank_a_user, office_user, insurer_users
    )
    assert policy.refund_due == D("46400.00")
    path = f"/api/v1/insurance/policies/{policy.pk}/refund-received"

    page = Client()
    page.force_login(lead)
    before = page.get(f"/insurance/{policy.pk}/").content.decode()
    assert 'data-testid="refund-form"' in before and "尚未收到" in before

    assert api_client(co_insurer).post_json(path, {}).status_code == 404
    assert api_client(bank_a_user).post_json(path, {}).status_code == 403
    today = timezone.localdate()
    assert policy.refund_due_on == today  # the settlement's day
    assert policy.starts_on < today - timedelta(days=1)
    for day, code in (
        (today + timedelta(days=1), "date_in_future"),
        (policy.starts_on - timedelta(days=1), "date_before_policy"),
        (today - timedelta(days=1), "date_before_settlement"),
    ):
        refused = api_client(lead).post_json(path, {"received_on": day.isoformat()})
        assert refused.status_code == 422 and refused.json()["code"] == code
    policy.refresh_from_db()
    assert policy.refund_received_on is None

    done = api_client(lead).post_json(path, {})
    assert done.status_code == 200, done.content
    assert done.json()["refund_received_on"] == today.isoformat()
    assert done.json()["refund_due"] == "46400.00"
    assert done.json()["refund_due_on"] == today.isoformat()
    again = api_client(lead).post_json(path, {"received_on": today.isoformat()})
    assert again.status_code == 409 and again.json()["code"] == "refund_received"

    record = AuditRecord.objects.get(action="insurance.refund_receive")
    assert record.before["refund_received_on"] is None
    assert record.after["refund_received_on"] == today.isoformat()
    told = set(
        Notification.objects.filter(verb="insurance.refund_receive").values_list(
            "organisation_id", flat=True
        )
    )
    assert told == {loan.bank_id, co_insurer.organisation_id}
    message = Notification.objects.filter(verb="insurance.refund_receive").first()
    assert message is not None and "返还款 46,400.00 元" in message.message_zh
    assert "CNY 46,400.00" in message.message_en
    after = page.get(f"/insurance/{policy.pk}/").content.decode()
    assert 'data-testid="refund-form"' not in after
    assert f"已于 {today.isoformat()} 收到" in after
    assert f"{today.isoformat()} 结算确定" in after


def test_an_assessed_claim_is_cut_to_what_the_settled_part_leaves_seed004_8(
    npl_loan: Callable[..., Loan],
    make_scheme: Callable[..., RiskScheme],
    budget: Callable[..., Any],
    bank_a_user: User,
    office_user: User,
    insurer_users: list[User],
) -> None:
    """Paid 20,000.00, then 80,000.00 assessed and not paid, before the compensation claim; the
    settled part is 33,600.00: the assessed claim is cut to the 13,600.00 left (split among the
    co-insurers again), nothing is owed back."""
    loan = npl_loan()
    policy, _first, second = _paid_then_assessed(
        loan, insurer_users, bank_a_user, ("20000.00", "80000.00"), ("100000.00", "400000.00")
    )
    lead = insurer_users[0]
    budget("1000000.00")
    _settled_after_sale(loan, make_scheme(mode="after_disposal"), bank_a_user, office_user)
    second.refresh_from_db()
    assert (second.state, second.payout) == ("assessed", D("13600.00"))
    assert sum(D(v) for v in second.parts.values()) == D("13600.00")
    assert len(second.parts) == 2
    paid = insurance.claim_pay(actor=lead, claim_id=second.pk, today=CLAIM_DAY)
    policy.refresh_from_db()
    assert paid.state == "paid" and policy.paid_out == D("33600.00")
    assert policy.refund_due is None


def test_baoxianfa_art14_21_a_notice_after_the_term_is_assessed_beside_a_claim_that_found_no_policy(
    npl_loan: Callable[..., Loan],
    make_scheme: Callable[..., RiskScheme],
    budget: Callable[..., Any],
    bank_a_user: User,
    office_user: User,
    insurer_users: list[User],
) -> None:
    """The policy ran to 2025-05-31; the loan's loss happened on 2025-05-20, within it; the
    compensation claim filed on 2025-06-01 found no policy in force and split the loss without
    it. The bank's notice of the loss, given after the term (保险法 art. 21), was taken but could
    never be assessed (409 `settled_by_claim`: "the claim's settlement fixes the insurer's
    part"), and the settlement never reached it. Now a claim that did not take the policy into
    its cover leaves the insurer to assess the notice, as any other."""
    loan = npl_loan()
    lead = insurer_users[0]
    policy = _policy(loan, insurer_users, ends_on="2025-05-31")
    budget("1000000.00")
    scheme = make_scheme(mode="after_disposal")
    claim = claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=scheme.pk, today=CLAIM_DAY)
    assert not [c for c in claim.cover or [] if c["party"] == "insurer"]
    notice = insurance.claim_notify(
        actor=bank_a_user,
        policy_id=policy.pk,
        amount="80000.00",
        description="期内违约",
        loss_on=date(2025, 5, 20),
        today=CLAIM_DAY,
    )
    assessed = insurance.claim_assess(
        actor=lead, claim_id=notice.pk, decision="pay", loss="400000.00"
    )
    assert (assessed.state, assessed.payout) == ("assessed", D("80000.00"))
    paid = insurance.claim_pay(actor=lead, claim_id=notice.pk, today=CLAIM_DAY)
    assert paid.state == "paid"
