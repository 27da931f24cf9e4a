"""Risk sharing and compensation through the real services and database (ipfin.risk.services):
schemes, budget entries, and a claim's life — filed by the bank on its non-performing loan,
approved by one IP office user, paid by another (maker-checker), settled after the disposal —
each rule both ways; every refusal also shows that nothing changed.

Test names carry their source: `seed000` (the risk-compensation fund of the policy seeds 000-003,
as DOMAIN.md and issue 12 state it: a front-loaded advance on default, settled after disposal),
`issue12` (the claim's life, the double-entry ledger, the per-bank-per-year cap),
`minfadian_art561` (costs, then interest, then principal), `fenlei_banfa_art10` (次级, 可疑, 损失
are non-performing: 《商业银行金融资产风险分类办法》 arts. 10-12)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum

from ipfin.accounts.models import Notification, Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    PreconditionRequired,
    ValidationFailed,
)
from ipfin.loans.models import Loan
from ipfin.risk import selectors
from ipfin.risk.models import LedgerEntry, LedgerLine, RiskClaim, RiskScheme
from ipfin.risk.services import (
    claim_approve,
    claim_file,
    claim_pay,
    claim_refund_receive,
    claim_reject,
    claim_settle,
    fund_budget,
    scheme_update,
)
from ipfin.risk.tests.conftest import CLAIM_DAY, INTEREST, PRINCIPAL, SHARES

pytestmark = pytest.mark.django_db

D = Decimal


def refused(kind: type[DomainError], call: Callable[[], Any]) -> DomainError:
    with pytest.raises(kind) as info:
        call()
    return info.value


def counts() -> tuple[int, int, int, int]:
    return (
        RiskScheme.objects.count(),
        RiskClaim.objects.count(),
        LedgerEntry.objects.count(),
        LedgerLine.objects.count(),
    )


def balance(fund: Organisation) -> Decimal:
    return selectors.fund_balance(fund.pk)


def balanced_postings() -> None:
    """Every posting in the database: two lines or more, Σdebit = Σcredit."""
    for entry in LedgerEntry.objects.all():
        lines = list(entry.lines.all())
        assert len(lines) >= 2
        assert sum(x.debit for x in lines) == sum(x.credit for x in lines), entry.kind


# --- schemes -------------------------------------------------------------------------------------


def test_the_office_creates_a_scheme_of_a_fund_seed000(
    scheme: RiskScheme,
    fund: Organisation,
) -> None:
    scheme.refresh_from_db()
    assert (scheme.fund, scheme.mode, scheme.version) == (fund, "front_loaded", 1)
    assert [scheme.share_fund, scheme.share_bank, scheme.share_guarantor, scheme.share_insurer] == [
        D(SHARES[p]) for p in ("fund", "bank", "guarantor", "insurer")
    ]
    assert scheme.fund_cap_per_loan == D("300000.00") and scheme.fund_cap_per_bank_year is None
    record = AuditRecord.objects.get(action="risk.scheme_create")
    assert record.after["shares"] == SHARES


def test_shares_not_summing_to_exactly_one_are_refused_naming_shares_seed000(
    make_scheme: Callable[..., RiskScheme],
) -> None:
    before = counts()
    error = refused(
        ValidationFailed,
        lambda: make_scheme(shares={**SHARES, "insurer": "0.1000000001"}),
    )
    assert (error.code, error.extra["field"]) == ("shares_sum_invalid", "shares")
    error = refused(ValidationFailed, lambda: make_scheme(shares={**SHARES, "bank": "1.3"}))
    assert (error.code, error.extra["field"]) == ("share_invalid", "shares.bank")
    error = refused(ValidationFailed, lambda: make_scheme(shares="0.4"))
    assert (error.code, error.extra["field"]) == ("shares_invalid", "shares")
    assert counts() == before


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"mode": "upfront"}, "mode_invalid", "mode"),
        ({"name": " "}, "name_required", "name"),
        ({"fund_cap_per_loan": "-1"}, "amount_invalid", "fund_cap_per_loan"),
        ({"fund_cap_per_bank_year": "1.001"}, "amount_invalid", "fund_cap_per_bank_year"),
        ({"eligibility": {"bank_ids": [999999]}}, "eligibility_invalid", "eligibility.bank_ids"),
        (
            {"eligibility": {"product_ids": [999999]}},
            "eligibility_invalid",
            "eligibility.product_ids",
        ),
        ({"eligibility": {"parks": [1]}}, "eligibility_invalid", "eligibility.parks"),
    ],
)
def test_each_bad_term_of_a_scheme_is_a_422_naming_it(
    make_scheme: Callable[..., RiskScheme], change: dict[str, Any], code: str, field: str
) -> None:
    before = counts()
    error = refused(ValidationFailed, lambda: make_scheme(**change))
    assert (error.code, error.extra["field"]) == (code, field)
    assert counts() == before


def test_a_scheme_names_a_risk_fund_not_any_organisation(
    make_scheme: Callable[..., RiskScheme], bank_a: Organisation
) -> None:
    error = refused(ValidationFailed, lambda: make_scheme(fund_id=bank_a.pk))
    assert (error.code, error.extra["field"]) == ("fund_not_found", "fund_id")


def test_only_the_ip_office_manages_schemes(
    make_scheme: Callable[..., RiskScheme], bank_a_user: User, regulator_user: User
) -> None:
    before = counts()
    for user in (bank_a_user, regulator_user):
        assert refused(PermissionDenied, lambda u=user: make_scheme(actor=u)).code == "forbidden"
    assert counts() == before


def _update(scheme: RiskScheme, actor: User, version: int | None, **kw: Any) -> RiskScheme:
    fields: dict[str, Any] = {
        "name": scheme.name,
        "mode": scheme.mode,
        "shares": SHARES,
        "fund_cap_per_loan": "250000.00",
        "fund_cap_per_bank_year": "1000000.00",
        "eligibility": {"right_kinds": ["invention"]},
    }
    return scheme_update(actor=actor, scheme_id=scheme.pk, version=version, **{**fields, **kw})


def test_a_scheme_is_edited_from_its_version_and_claims_keep_their_terms(
    scheme: RiskScheme, office_user: User, bank_a_user: User, file_claim: Callable[..., RiskClaim]
) -> None:
    claim = file_claim()
    updated = _update(scheme, office_user, 1)
    assert (updated.version, updated.fund_cap_per_loan) == (2, D("250000.00"))
    assert updated.eligibility == {"right_kinds": ["invention"]}
    claim.refresh_from_db()
    assert claim.fund_cap_per_loan == D("300000.00")  # filed under the terms of version 1
    # A stale edit: 409 with the current version; none: 428; nothing saved either way.
    stale = refused(Conflict, lambda: _update(scheme, office_user, 1, fund_cap_per_loan="1.00"))
    assert (stale.code, stale.extra["current_version"]) == ("version_conflict", 2)
    blind = refused(PreconditionRequired, lambda: _update(scheme, office_user, None))
    assert blind.code == "version_required"
    scheme.refresh_from_db()
    assert (scheme.version, scheme.fund_cap_per_loan) == (2, D("250000.00"))
    gone = RiskScheme(pk=999999, name="x", mode="front_loaded")
    assert refused(NotFound, lambda: _update(gone, office_user, 1)).code == "scheme_not_found"
    assert refused(PermissionDenied, lambda: _update(scheme, bank_a_user, 2)).code == "forbidden"


# --- budget ----------------------------------------------------------------------------------


def test_a_budget_entry_feeds_the_funds_balance_issue12(
    fund: Organisation, budget: Callable[..., Any]
) -> None:
    entry = budget("1000000.00")
    budget("0.01")
    assert balance(fund) == D("1000000.01")
    assert {(x.account, x.debit, x.credit) for x in entry.lines.all()} == {
        ("fund_cash", D("1000000.00"), D("0.00")),
        ("budget_income", D("0.00"), D("1000000.00")),
    }
    assert (entry.kind, entry.memo, entry.claim) == ("budget", "财预〔2025〕1号", None)
    assert AuditRecord.objects.filter(action="risk.fund_budget").count() == 2
    balanced_postings()


def test_a_budget_entry_is_refused_for_a_non_fund_a_bank_or_a_bad_amount(
    fund: Organisation, office_user: User, bank_a_user: User, bank_a: Organisation
) -> None:
    before = counts()

    def put(actor: User = office_user, **kw: Any) -> Any:
        args = {"fund_id": fund.pk, "amount": "100.00", "memo": "拨款", **kw}
        return fund_budget(actor=actor, **args)

    assert refused(NotFound, lambda: put(fund_id=bank_a.pk)).code == "fund_not_found"
    assert refused(PermissionDenied, lambda: put(actor=bank_a_user)).code == "forbidden"
    assert refused(ValidationFailed, lambda: put(amount="0")).code == "amount_invalid"
    assert refused(ValidationFailed, lambda: put(memo="  ")).code == "memo_required"
    assert counts() == before


# --- filing ----------------------------------------------------------------------------------


def test_the_bank_claims_on_its_non_performing_loan_fenlei_banfa_art10_issue12(
    scheme: RiskScheme,
    bank_a_user: User,
    bank_a: Organisation,
    npl_loan: Callable[..., Loan],
    ip_office: Organisation,
) -> None:
    loan = npl_loan()
    assert loan.classification == "substandard"
    claim = claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=scheme.pk, today=CLAIM_DAY)
    assert (claim.state, claim.bank, claim.loan, claim.scheme) == ("filed", bank_a, loan, scheme)
    assert (claim.principal, claim.interest) == (PRINCIPAL, INTEREST)
    assert (claim.mode, claim.share_fund, claim.fund_cap_per_loan) == (
        "front_loaded",
        D("0.4"),
        D("300000.00"),
    )
    assert AuditRecord.objects.filter(action="risk.claim_file", object_id=str(claim.pk)).exists()
    assert Notification.objects.filter(organisation=ip_office, verb="risk.claim_file").exists()


@pytest.mark.parametrize("category", ["normal", "special_mention"])
def test_a_performing_loan_is_no_claim_fenlei_banfa_art10(
    scheme: RiskScheme, bank_a_user: User, npl_loan: Callable[..., Loan], category: str
) -> None:
    # 关注 while it is at most 90 days past due (办法 art. 9): on the day after the first miss.
    loan = npl_loan(category=None if category == "normal" else category, on=date(2025, 2, 16))
    error = refused(
        Conflict, lambda: claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=scheme.pk)
    )
    assert (error.code, error.extra["classification"]) == ("loan_not_non_performing", category)
    assert not RiskClaim.objects.exists()


@pytest.mark.parametrize("category", ["doubtful", "loss"])
def test_doubtful_and_loss_loans_are_claimed_too_fenlei_banfa_art11_art12(
    scheme: RiskScheme, bank_a_user: User, npl_loan: Callable[..., Loan], category: str
) -> None:
    loan = npl_loan(category=category)
    claim = claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=scheme.pk)
    assert claim.state == "filed"


def test_a_bank_claims_only_on_its_own_loans(
    scheme: RiskScheme, bank_b_user: User, npl_loan: Callable[..., Loan], office_user: User
) -> None:
    loan = npl_loan()
    error = refused(
        ValidationFailed,
        lambda: claim_file(actor=bank_b_user, loan_id=loan.pk, scheme_id=scheme.pk),
    )
    assert (error.code, error.extra["field"]) == ("loan_not_found", "loan_id")
    error = refused(
        PermissionDenied,
        lambda: claim_file(actor=office_user, loan_id=loan.pk, scheme_id=scheme.pk),
    )
    assert error.code == "forbidden"
    error = refused(
        ValidationFailed,
        lambda: claim_file(actor=bank_b_user, loan_id=loan.pk, scheme_id=999999),
    )
    assert error.code == "loan_not_found"  # the loan is looked at first
    assert not RiskClaim.objects.exists()


def test_an_unknown_scheme_is_a_422_naming_it(
    bank_a_user: User, npl_loan: Callable[..., Loan]
) -> None:
    loan = npl_loan()
    error = refused(
        ValidationFailed, lambda: claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=999999)
    )
    assert (error.code, error.extra["field"]) == ("scheme_not_found", "scheme_id")


def test_a_loan_the_scheme_does_not_cover_is_refused_with_the_conditions(
    make_scheme: Callable[..., RiskScheme],
    bank_a_user: User,
    bank_b: Organisation,
    npl_loan: Callable[..., Loan],
) -> None:
    narrow = make_scheme(
        eligibility={
            "bank_ids": [bank_b.pk],
            "right_kinds": ["trademark"],
            "max_principal": "399999.99",
        }
    )
    loan = npl_loan()
    error = refused(
        ValidationFailed,
        lambda: claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=narrow.pk),
    )
    assert error.code == "loan_not_eligible"
    assert error.extra["conditions"] == ["bank_ids", "right_kinds", "max_principal"]
    wide = make_scheme(eligibility={"right_kinds": ["invention"], "max_principal": "400000.00"})
    assert claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=wide.pk).state == "filed"


def test_a_loan_with_a_live_claim_is_claimed_once_issue12(
    scheme: RiskScheme, bank_a_user: User, office_user: User, npl_loan: Callable[..., Loan]
) -> None:
    loan = npl_loan()
    first = claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=scheme.pk)
    error = refused(
        Conflict, lambda: claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=scheme.pk)
    )
    assert (error.code, error.extra["claim_id"]) == ("claim_exists", first.pk)
    # A rejected claim leaves the loan free for another.
    claim_reject(actor=office_user, claim=first, reason="材料不全")
    again = claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=scheme.pk)
    assert again.pk != first.pk and RiskClaim.objects.count() == 2


# --- review ----------------------------------------------------------------------------------


def test_front_loaded_approval_advances_min_of_share_cap_and_balance_seed000(
    fund: Organisation,
    office_user: User,
    file_claim: Callable[..., RiskClaim],
    budget: Callable[..., Any],
) -> None:
    budget("5000000.00")
    claim = file_claim()
    approved = claim_approve(actor=office_user, claim=claim, today=CLAIM_DAY)
    # 0.4 × 400,000.00 = 160,000.00, below the cap per loan (300,000.00) and the balance.
    assert (approved.state, approved.advance) == ("approved", D("160000.00"))
    assert selectors.claim_payable(claim.pk) == D("160000.00")
    assert balance(fund) == D("5000000.00")  # owed, not paid yet
    entry = LedgerEntry.objects.get(kind="advance")
    assert (entry.claim_id, entry.fund_id, entry.posted_on) == (claim.pk, fund.pk, CLAIM_DAY)
    assert {(x.account, x.debit, x.credit) for x in entry.lines.all()} == {
        ("advances_receivable", D("160000.00"), D("0.00")),
        ("bank_payable", D("0.00"), D("160000.00")),
    }
    assert Notification.objects.filter(
        organisation_id=claim.bank_id, verb="risk.claim_approve"
    ).exists()
    balanced_postings()


def test_the_advance_is_bounded_by_the_cap_per_loan_and_by_the_balance_seed000(
    make_scheme: Callable[..., RiskScheme],
    office_user: User,
    file_claim: Callable[..., RiskClaim],
    budget: Callable[..., Any],
) -> None:
    capped = make_scheme(fund_cap_per_loan="100000.00")
    claim = file_claim(capped)
    budget("70000.00")
    assert claim_approve(actor=office_user, claim=claim).advance == D("70000.00")  # the balance
    budget("1000000.00")
    other = file_claim(capped)
    assert claim_approve(actor=office_user, claim=other).advance == D("100000.00")  # the cap


def test_an_empty_fund_and_after_disposal_advance_nothing_seed000(
    make_scheme: Callable[..., RiskScheme],
    office_user: User,
    file_claim: Callable[..., RiskClaim],
    budget: Callable[..., Any],
) -> None:
    empty = file_claim()
    approved = claim_approve(actor=office_user, claim=empty)
    assert (approved.state, approved.advance) == ("awaiting_disposal", D("0.00"))
    budget("1000000.00")
    later = make_scheme(mode="after_disposal")
    claim = file_claim(later)
    approved = claim_approve(actor=office_user, claim=claim)
    assert (approved.state, approved.advance) == ("awaiting_disposal", D("0.00"))
    assert not LedgerEntry.objects.exclude(kind="budget").exists()


def test_the_review_is_the_offices_and_happens_once(
    bank_a_user: User,
    office_user: User,
    regulator_user: User,
    file_claim: Callable[..., RiskClaim],
) -> None:
    claim = file_claim()
    for user in (bank_a_user, regulator_user):
        assert refused(PermissionDenied, lambda u=user: claim_approve(actor=u, claim=claim))
    claim_approve(actor=office_user, claim=claim)
    error = refused(Conflict, lambda: claim_approve(actor=office_user, claim=claim))
    assert (error.code, error.extra["state"]) == ("illegal_transition", "awaiting_disposal")
    error = refused(Conflict, lambda: claim_reject(actor=office_user, claim=claim, reason="x"))
    assert error.code == "illegal_transition"


def test_a_rejection_needs_a_reason(
    office_user: User, file_claim: Callable[..., RiskClaim]
) -> None:
    claim = file_claim()
    error = refused(
        ValidationFailed, lambda: claim_reject(actor=office_user, claim=claim, reason="")
    )
    assert error.code == "reason_required"
    claim.refresh_from_db()
    assert claim.state == "filed"
    rejected = claim_reject(actor=office_user, claim=claim, reason="不符合方案条件")
    assert (rejected.state, rejected.review_reason, rejected.reviewed_by) == (
        "rejected",
        "不符合方案条件",
        office_user,
    )


def test_a_loan_no_longer_non_performing_is_not_approved(
    scheme: RiskScheme,
    bank_a_user: User,
    office_user: User,
    npl_loan: Callable[..., Loan],
) -> None:
    loan = npl_loan()
    claim = claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=scheme.pk)
    Loan.objects.filter(pk=loan.pk).update(classification="special_mention")  # repaid since
    error = refused(Conflict, lambda: claim_approve(actor=office_user, claim=claim))
    assert error.code == "loan_not_non_performing"
    claim.refresh_from_db()
    assert claim.state == "filed"


# --- payment: maker-checker, balance, cap ------------------------------------------------------


@pytest.fixture
def approved_claim(
    office_user: User,
    file_claim: Callable[..., RiskClaim],
    budget: Callable[..., Any],
) -> RiskClaim:
    """A front-loaded claim approved by `office_user`: 160,000.00 owed, the fund at 1,000,000."""
    budget("1000000.00")
    claim = file_claim()
    return claim_approve(actor=office_user, claim=claim, today=CLAIM_DAY)


def test_the_approver_never_releases_the_payment_issue12(
    approved_claim: RiskClaim, office_user: User, fund: Organisation
) -> None:
    before = counts()
    error = refused(PermissionDenied, lambda: claim_pay(actor=office_user, claim=approved_claim))
    assert error.code == "checker_is_maker"
    assert counts() == before and balance(fund) == D("1000000.00")


def test_a_second_office_user_releases_the_advance_seed000_issue12(
    approved_claim: RiskClaim, checker: User, fund: Organisation, bank_a: Organisation
) -> None:
    paid = claim_pay(actor=checker, claim=approved_claim, today=CLAIM_DAY)
    assert (paid.state, paid.paid_by) == ("awaiting_disposal", checker)
    assert balance(fund) == D("840000.00")
    assert selectors.claim_payable(paid.pk) == 0
    assert selectors.paid_to_bank(scheme_id=paid.scheme_id, bank_id=bank_a.pk, year=2025) == D(
        "160000.00"
    )
    record = AuditRecord.objects.get(action="risk.claim_pay")
    assert (record.after["amount"], record.after["balance"]) == ("160000.00", "840000.00")
    assert refused(Conflict, lambda: claim_pay(actor=checker, claim=paid)).code == (
        "illegal_transition"
    )
    balanced_postings()


def test_a_payment_above_the_balance_is_refused_fund_insufficient_issue12(
    office_user: User,
    checker: User,
    fund: Organisation,
    file_claim: Callable[..., RiskClaim],
    budget: Callable[..., Any],
) -> None:
    budget("200000.00")
    first, second = (
        claim_approve(
            actor=office_user,
            claim=file_claim(),
        )
        for _ in range(2)
    )
    assert first.advance == second.advance == D("160000.00")  # each saw the whole balance
    claim_pay(actor=checker, claim=first)
    before = counts()
    error = refused(Conflict, lambda: claim_pay(actor=checker, claim=second))
    assert (error.code, error.extra) == (
        "fund_insufficient",
        {"balance": "40000.00", "amount": "160000.00"},
    )
    assert counts() == before and balance(fund) == D("40000.00")
    second.refresh_from_db()
    assert second.state == "approved"  # it waits for the budget
    budget("120000.00")
    assert claim_pay(actor=checker, claim=second).state == "awaiting_disposal"
    assert balance(fund) == 0


def test_a_fund_paid_down_to_exactly_zero_advances_nothing_more(
    make_scheme: Callable[..., RiskScheme],
    office_user: User,
    checker: User,
    fund: Organisation,
    file_claim: Callable[..., RiskClaim],
    budget: Callable[..., Any],
) -> None:
    # Found by test_ledger_services.py: on SQLite the balance is summed in floating point, and
    # 0.30 − 0.10 − 0.20 came back as -0.00, which the rule's amount check refused (a 422 on the
    # next approval). The balance is 0.00.
    budget("0.30")
    for cap in ("0.10", "0.20"):
        capped = make_scheme(fund_cap_per_loan=cap)
        claim = file_claim(capped)
        claim_pay(actor=checker, claim=claim_approve(actor=office_user, claim=claim))
    assert str(balance(fund)) == "0.00"
    last = file_claim(capped)
    approved = claim_approve(actor=office_user, claim=last)
    assert (approved.state, approved.advance) == ("awaiting_disposal", D("0.00"))


def test_the_per_bank_per_year_cap_holds_across_claims_issue12(
    make_scheme: Callable[..., RiskScheme],
    bank_a: Organisation,
    office_user: User,
    checker: User,
    file_claim: Callable[..., RiskClaim],
    budget: Callable[..., Any],
) -> None:
    budget("5000000.00")
    capped = make_scheme(fund_cap_per_bank_year="200000.00")

    def approved(on: date = CLAIM_DAY) -> RiskClaim:
        claim = file_claim(capped)
        return claim_approve(actor=office_user, claim=claim, today=on)

    first, racing = approved(), approved()  # both approved before either is paid
    claim_pay(actor=checker, claim=first, today=CLAIM_DAY)
    error = refused(Conflict, lambda: claim_pay(actor=checker, claim=racing, today=CLAIM_DAY))
    assert (error.code, error.extra["paid"], error.extra["cap"]) == (
        "bank_year_cap_exceeded",
        "160000.00",
        "200000.00",
    )
    # Approved after the payment: the advance is what is left of the year's cap.
    third = approved()
    assert third.advance == D("40000.00")
    claim_pay(actor=checker, claim=third, today=CLAIM_DAY)
    assert approved().state == "awaiting_disposal"  # nothing left this year: no advance
    assert selectors.paid_to_bank(scheme_id=capped.pk, bank_id=bank_a.pk, year=2025) == D(
        "200000.00"
    )
    # The next year has its own cap: the waiting claim is paid then.
    claim_pay(actor=checker, claim=racing, today=date(2026, 1, 5))
    assert selectors.paid_to_bank(scheme_id=capped.pk, bank_id=bank_a.pk, year=2026) == D(
        "160000.00"
    )


# --- settlement after disposal ---------------------------------------------------------------


@pytest.fixture
def advanced_claim(approved_claim: RiskClaim, checker: User) -> RiskClaim:
    return claim_pay(actor=checker, claim=approved_claim, today=CLAIM_DAY)


def test_settlement_below_the_advance_the_bank_returns_it_seed000_minfadian_art561(
    advanced_claim: RiskClaim, office_user: User, checker: User, fund: Organisation
) -> None:
    # Proceeds 250,000.00: costs 10,000.00, interest 8,000.00, principal 232,000.00; loss
    # 168,000.00, the fund's 0.4 = 67,200.00; settlement 67,200.00 − 160,000.00 = −92,800.00.
    settled = claim_settle(
        actor=office_user, claim=advanced_claim, proceeds="250000.00", disposal_costs="10000.00"
    )
    assert (settled.loss, settled.fund_part, settled.settlement) == (
        D("168000.00"),
        D("67200.00"),
        D("-92800.00"),
    )
    # The bank owes the fund 92,800.00: not the fund's money until it has come in.
    assert settled.state == "refund_due"
    assert selectors.claim_refundable(settled.pk) == D("92800.00")
    assert balance(fund) == D("1000000.00") - D("160000.00")
    entry = LedgerEntry.objects.get(kind="settlement")
    assert {(x.account, x.debit, x.credit) for x in entry.lines.all()} == {
        ("compensation_expense", D("67200.00"), D("0.00")),
        ("advances_receivable", D("0.00"), D("160000.00")),
        ("bank_receivable", D("92800.00"), D("0.00")),
    }
    # Who settled it does not book the money; another office user does, once.
    assert refused(
        PermissionDenied, lambda: claim_refund_receive(actor=office_user, claim=settled)
    ).code == ("checker_is_maker")
    closed = claim_refund_receive(actor=checker, claim=settled)
    assert (closed.state, closed.refund_received_by) == ("closed", checker)
    assert balance(fund) == D("1000000.00") - D("160000.00") + D("92800.00")
    assert selectors.claim_refundable(closed.pk) == D("0.00")
    received = LedgerEntry.objects.get(kind="refund")
    assert {(x.account, x.debit, x.credit) for x in received.lines.all()} == {
        ("fund_cash", D("92800.00"), D("0.00")),
        ("bank_receivable", D("0.00"), D("92800.00")),
    }
    assert refused(Conflict, lambda: claim_refund_receive(actor=checker, claim=closed))
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    audit = AuditRecord.objects.get(action="risk.claim_receive")
    assert audit.after["amount"] == "92800.00" and audit.after["state"] == "closed"
    balanced_postings()


def test_no_return_is_received_on_a_claim_that_owes_none(
    advanced_claim: RiskClaim, office_user: User, checker: User
) -> None:
    for claim in (advanced_claim, claim_settle(actor=office_user, claim=advanced_claim,
                                               proceeds="0.00")):  # fmt: skip
        with pytest.raises(Conflict):
            claim_refund_receive(actor=checker, claim=claim)
    assert not LedgerEntry.objects.filter(kind="refund").exists()


def test_settlement_above_the_advance_is_paid_by_a_checker_seed000(
    make_scheme: Callable[..., RiskScheme],
    office_user: User,
    checker: User,
    fund: Organisation,
    file_claim: Callable[..., RiskClaim],
    budget: Callable[..., Any],
) -> None:
    budget("1000000.00")
    later = make_scheme(mode="after_disposal")
    claim = file_claim(later)
    claim = claim_approve(actor=office_user, claim=claim)
    # Proceeds 100,000.00: interest 8,000.00, principal 92,000.00; loss 308,000.00; the fund's
    # 0.4 = 123,200.00, no advance: the fund owes all of it.
    settled = claim_settle(actor=checker, claim=claim, proceeds="100000.00")
    assert (settled.state, settled.settlement, settled.disposal_costs) == (
        "settled",
        D("123200.00"),
        D("0.00"),
    )
    # The settler is the maker of this payment.
    assert refused(PermissionDenied, lambda: claim_pay(actor=checker, claim=settled)).code == (
        "checker_is_maker"
    )
    closed = claim_pay(actor=office_user, claim=settled)
    assert closed.state == "closed" and balance(fund) == D("876800.00")
    balanced_postings()


def test_the_funds_part_is_capped_per_loan_and_the_excess_is_the_banks_seed000(
    make_scheme: Callable[..., RiskScheme],
    office_user: User,
    file_claim: Callable[..., RiskClaim],
    budget: Callable[..., Any],
) -> None:
    budget("1000000.00")
    capped = make_scheme(mode="after_disposal", fund_cap_per_loan="50000.00")
    claim = file_claim(capped)
    claim = claim_approve(actor=office_user, claim=claim)
    settled = claim_settle(actor=office_user, claim=claim, proceeds="0.00")
    assert (settled.loss, settled.fund_part, settled.settlement) == (
        PRINCIPAL,
        D("50000.00"),
        D("50000.00"),
    )


def test_settlement_waits_for_the_advance_and_is_the_offices(
    approved_claim: RiskClaim, office_user: User, bank_a_user: User
) -> None:
    error = refused(
        Conflict, lambda: claim_settle(actor=office_user, claim=approved_claim, proceeds="1.00")
    )
    assert (error.code, error.extra["state"]) == ("illegal_transition", "approved")
    error = refused(
        PermissionDenied,
        lambda: claim_settle(actor=bank_a_user, claim=approved_claim, proceeds="1.00"),
    )
    assert error.code == "forbidden"
    error = refused(
        ValidationFailed,
        lambda: claim_settle(actor=office_user, claim=approved_claim, proceeds="-1"),
    )
    assert (error.code, error.extra["field"]) == ("amount_invalid", "proceeds")


def test_the_ledger_reconciles_over_a_whole_life_issue12(
    advanced_claim: RiskClaim, office_user: User, fund: Organisation
) -> None:
    claim_settle(actor=office_user, claim=advanced_claim, proceeds="0.00")
    lines = LedgerLine.objects.filter(entry__fund=fund)
    totals = lines.aggregate(debit=Sum("debit"), credit=Sum("credit"))
    assert totals["debit"] == totals["credit"]
    by_account = {
        row["account"]: row["net"]
        for row in lines.values("account").annotate(net=Sum("debit") - Sum("credit"))
    }
    # Budget 1,000,000.00; advance 160,000.00 paid; the fund's part = the advance: settled at 0.
    assert by_account == {
        "fund_cash": D("840000.00"),
        "budget_income": D("-1000000.00"),
        "advances_receivable": D("0.00"),
        "bank_payable": D("0.00"),
        "compensation_expense": D("160000.00"),
    }
    balanced_postings()
