"""The loan life cycle through the services, on the real database.

Reference loan (see test_domain): 120,000.00 at 12 %, equal principal, 3 months, 30/360, disbursed
2025-01-15: 40,000.00 principal a month, interest 1,200.00 / 800.00 / 400.00.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from ipfin.accounts.models import Notification, Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ipfin.financing.models import DemandState, ProductVersion
from ipfin.financing.services import demand_file
from ipfin.loans import services
from ipfin.loans.models import Installment, Loan, Repayment
from ipfin.pledges.models import Pledge
from ipfin.pledges.services import pledge_release
from ipfin.valuation.models import Valuation

D = Decimal


def test_schedule_made_at_disbursement(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation]
) -> None:
    loan = lend(pledged[0])
    rows = list(Installment.objects.filter(loan=loan).order_by("n"))
    assert [(r.due_date, r.principal, r.interest) for r in rows] == [
        (date(2025, 2, 15), D("40000.00"), D("1200.00")),
        (date(2025, 3, 15), D("40000.00"), D("800.00")),
        (date(2025, 4, 15), D("40000.00"), D("400.00")),
    ]
    assert (loan.state, loan.outstanding_principal, loan.maturity_date) == (
        "disbursed",
        D("120000.00"),
        date(2025, 4, 15),
    )
    # Recorded at approval: valuation, its value and the pledge rate 120,000 / 880,000.
    assert loan.valuation == pledged[1]
    assert loan.valuation_value == D("880000.00")
    assert loan.pledge_rate == D("0.136364")


def test_life_cycle_partial_late_then_early_repayment_and_close(
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
    bank_a_user: User,
    enterprise_a: Organisation,
    bank_a: Organisation,
) -> None:
    loan = lend(pledged[0])
    # 02-15: 20,000.00 on the due date: interest 1,200.00, principal 18,800.00.
    services.loan_repay(
        actor=bank_a_user,
        loan=loan,
        amount="20000",
        paid_on=date(2025, 2, 15),
        today=date(2025, 3, 1),
    )
    loan.refresh_from_db()
    # Instalment 1 still open on 03-01: due on Saturday 02-15, payable on Monday 02-17 (民法典
    # art. 203), so 12 days past due → 关注.
    assert (loan.state, loan.days_past_due, loan.classification) == (
        "repaying",
        12,
        "special_mention",
    )
    # 03-10: 21,200.00 overdue 21 days from the payable day: 21,200 × 18 % × 21/360 = 222.60.
    r = services.loan_repay(
        actor=bank_a_user,
        loan=loan,
        amount="21422.60",
        paid_on=date(2025, 3, 10),
        today=date(2025, 3, 10),
    )
    assert (r.penalty_part, r.interest_part, r.principal_part) == (D("222.60"), 0, D("21200.00"))
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.classification) == (0, "normal")
    # 03-12: settle early. 80,000.00 outstanding; interest 02-15 → 03-12 is 27 days (30/360):
    # 80,000 × 12 % × 27/360 = 720.00 (instalment 2's 800.00 less 80.00 for 03-12 → 03-15).
    r = services.loan_repay(
        actor=bank_a_user,
        loan=loan,
        amount="80720.00",
        paid_on=date(2025, 3, 12),
        today=date(2025, 3, 12),
    )
    assert r.full_repayment and r.prepaid_principal == D("80000.00")
    assert r.interest_part == D("720.00")
    loan.refresh_from_db()
    assert loan.outstanding_principal == 0
    assert not Installment.objects.filter(loan=loan, settled_on__isnull=True).exists()
    # Repaid, not closed: closure is the bank's act, which asks for the pledge's release.
    assert loan.state == "repaying"
    closed = services.loan_close(actor=bank_a_user, loan=loan, today=date(2025, 3, 13))
    assert (closed.state, closed.closed_on) == ("closed", date(2025, 3, 13))
    ask = Notification.objects.get(organisation=bank_a, verb="loan.release_request")
    assert ask.object_type == "pledges.pledge" and ask.object_id == str(pledged[0].pk)
    assert Notification.objects.filter(organisation=enterprise_a, verb="loan.close").exists()
    actions = list(
        AuditRecord.objects.filter(object_type="loans.loan", object_id=str(loan.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "loan.apply",
        "loan.approve",
        "loan.disburse",
        "loan.repay",
        "loan.repay",
        "loan.repay",
        "loan.close",
    ]
    # The bank then releases the pledge through the pledges app.
    released = pledge_release(actor=bank_a_user, pledge=pledged[0])
    assert released.state == "released"


def test_repayment_above_the_settlement_amount_changes_nothing(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_user: User
) -> None:
    loan = lend(pledged[0])
    with pytest.raises(ValidationFailed) as err:
        services.loan_repay(
            actor=bank_a_user,
            loan=loan,
            amount="120000.01",
            paid_on=date(2025, 1, 15),
            today=date(2025, 1, 15),
        )
    assert err.value.code == "overpayment"
    assert not Repayment.objects.exists()
    loan.refresh_from_db()
    assert (loan.state, loan.outstanding_principal) == ("disbursed", D("120000.00"))


def test_repayments_are_recorded_in_date_order(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_user: User
) -> None:
    loan = lend(pledged[0])
    services.loan_repay(
        actor=bank_a_user,
        loan=loan,
        amount="100",
        paid_on=date(2025, 2, 1),
        today=date(2025, 2, 2),
    )
    with pytest.raises(ValidationFailed) as err:
        services.loan_repay(
            actor=bank_a_user,
            loan=loan,
            amount="100",
            paid_on=date(2025, 1, 31),
            today=date(2025, 2, 2),
        )
    assert err.value.extra["field"] == "paid_on"
    with pytest.raises(ValidationFailed):  # the future
        services.loan_repay(
            actor=bank_a_user,
            loan=loan,
            amount="100",
            paid_on=date(2025, 2, 3),
            today=date(2025, 2, 2),
        )


def test_close_refused_while_anything_is_owed(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_user: User
) -> None:
    loan = lend(pledged[0])
    services.loan_repay(
        actor=bank_a_user,
        loan=loan,
        amount="41200",
        paid_on=date(2025, 2, 15),
        today=date(2025, 2, 15),
    )
    with pytest.raises(Conflict) as err:
        services.loan_close(actor=bank_a_user, loan=loan)
    assert err.value.code == "loan_not_repaid"
    loan.refresh_from_db()
    assert loan.state == "repaying"


def test_classification_at_the_90_day_boundary(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation]
) -> None:
    loan = lend(pledged[0])  # first instalment due 2025-02-15, never paid
    # Due on a Saturday: payable on Monday 2025-02-17 (民法典 art. 203), and late from the 18th.
    # 2025-02-17 → 2025-05-18 is 90 days (11 + 31 + 30 + 18): still 关注, not non-performing.
    out = StringIO()
    call_command("classify_loans", "--today", "2025-05-18", stdout=out)
    assert '"non_performing": 0' in out.getvalue()
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.classification) == (90, "special_mention")
    # One day later, 91 days: 次级 (substandard), non-performing.
    counts = services.loan_classify(today=date(2025, 5, 19))
    assert counts == {"checked": 1, "changed": 1, "non_performing": 1}
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.classification) == (91, "substandard")
    # 2026-02-13 is 361 days: 损失.
    services.loan_classify(today=date(2026, 2, 13))
    loan.refresh_from_db()
    assert loan.classification == "loss"
    changes = AuditRecord.objects.filter(action="loan.classify", object_id=str(loan.pk))
    assert [c.after["classification"] for c in changes.order_by("id")] == [
        "special_mention",
        "substandard",
        "loss",
    ]
    # Unchanged figures write nothing.
    assert services.loan_classify(today=date(2026, 2, 13))["changed"] == 0


def test_rate_from_the_product_is_lpr_on_the_approval_day_plus_spread(
    bank_a_user: User,
    enterprise_a: Organisation,
    product: ProductVersion,
    pledged: tuple[Pledge, Valuation],
) -> None:
    loan = services.loan_apply(
        actor=bank_a_user,
        enterprise_uscc=enterprise_a.uscc or "",
        product_version_id=product.pk,
        amount="300000",
        months=12,
        method="annuity",
    )
    approved = services.loan_approve(
        actor=bank_a_user,
        loan=loan,
        principal="300000",
        months=12,
        pledge_id=pledged[0].pk,
        valuation_id=pledged[1].pk,
        today=date(2025, 6, 1),
    )
    # 1-year LPR from 2025-05-20: 3.00 %; + 50 bp = 3.50 %.
    assert (approved.lpr_rate, approved.rate_spread_bp, approved.annual_rate) == (
        D("0.03"),
        50,
        D("0.035"),
    )


def test_pledge_rate_above_the_product_maximum_is_refused(
    bank_a_user: User,
    enterprise_a: Organisation,
    product: ProductVersion,
    pledged: tuple[Pledge, Valuation],
) -> None:
    loan = services.loan_apply(
        actor=bank_a_user,
        enterprise_uscc=enterprise_a.uscc or "",
        product_version_id=product.pk,
        amount="500000",
        months=12,
        method="annuity",
    )
    # Max 50 % of 880,000.00 = 440,000.00: 440,000.01 is refused, 440,000.00 allowed.
    with pytest.raises(ValidationFailed) as err:
        services.loan_approve(
            actor=bank_a_user,
            loan=loan,
            principal="440000.01",
            months=12,
            pledge_id=pledged[0].pk,
            valuation_id=pledged[1].pk,
            annual_rate="0.04",
        )
    assert err.value.code == "pledge_rate_exceeded"
    assert err.value.extra["max_pledge_rate"] == "0.5000"
    loan.refresh_from_db()
    assert (loan.state, loan.principal, loan.pledge_id) == ("applied", None, None)
    approved = services.loan_approve(
        actor=bank_a_user,
        loan=loan,
        principal="440000.00",
        months=12,
        pledge_id=pledged[0].pk,
        valuation_id=pledged[1].pk,
        annual_rate="0.04",
    )
    assert approved.pledge_rate == D("0.500000")


def test_approval_needs_a_registered_pledge_of_this_bank_over_the_borrower(
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
    pledge_over: Callable[..., tuple[Pledge, object]],
    enterprise_b: Organisation,
    bank_a_user: User,
) -> None:
    loan = lend(pledged[0], until="applied")
    other_pledge, _right = pledge_over(enterprise_b)
    with pytest.raises(ValidationFailed) as err:
        services.loan_approve(
            actor=bank_a_user,
            loan=loan,
            principal="120000",
            months=3,
            pledge_id=other_pledge.pk,
            valuation_id=pledged[1].pk,
            annual_rate="0.05",
        )
    assert err.value.code == "pledge_other_pledgor"
    pledge_release(actor=bank_a_user, pledge=pledged[0])
    with pytest.raises(ValidationFailed) as err:
        services.loan_approve(
            actor=bank_a_user,
            loan=loan,
            principal="120000",
            months=3,
            pledge_id=pledged[0].pk,
            valuation_id=pledged[1].pk,
            annual_rate="0.05",
        )
    assert err.value.code == "pledge_not_registered"
    # Above the debt the pledge secures.
    big, _right = pledge_over(loan.enterprise, debt="100000.00")
    with pytest.raises(ValidationFailed) as err:
        services.loan_approve(
            actor=bank_a_user,
            loan=loan,
            principal="120000",
            months=3,
            pledge_id=big.pk,
            valuation_id=pledged[1].pk,
            annual_rate="0.05",
        )
    assert err.value.code == "pledge_debt_exceeded"


def test_approval_without_a_valuation_of_the_pledged_rights_is_refused(
    lend: Callable[..., Loan],
    pledge_over: Callable[..., tuple[Pledge, object]],
    enterprise_a: Organisation,
    bank_a_user: User,
) -> None:
    pledge, _right = pledge_over(enterprise_a)
    loan = lend(pledge, until="applied")
    with pytest.raises(ValidationFailed) as err:
        services.loan_approve(
            actor=bank_a_user,
            loan=loan,
            principal="120000",
            months=3,
            pledge_id=pledge.pk,
            valuation_id=None,
            annual_rate="0.05",
        )
    assert err.value.code == "valuation_required"


def test_a_valuation_flagged_by_the_recheck_cannot_back_an_approval(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_user: User
) -> None:
    pledge, valuation = pledged
    # The report deviates from the bank's own value beyond its threshold (what the recheck sets).
    Valuation.objects.filter(pk=valuation.pk).update(flagged=True)
    loan = lend(pledge, until="applied")
    for chosen in (None, valuation.pk):  # neither by default nor when named explicitly
        with pytest.raises(ValidationFailed) as err:
            services.loan_approve(
                actor=bank_a_user,
                loan=loan,
                principal="120000",
                months=3,
                pledge_id=pledge.pk,
                annual_rate="0.05",
                valuation_id=chosen,
            )
        expected = "valuation_required" if chosen is None else "valuation_flagged"
        assert err.value.code == expected
    loan.refresh_from_db()
    assert loan.state == "applied" and loan.valuation_id is None


def test_another_bank_gets_404_and_changes_nothing(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_b_user: User
) -> None:
    loan = lend(pledged[0], until="applied")
    with pytest.raises(NotFound):
        services.loan_decline(actor=bank_b_user, loan=loan, reason="x")
    loan.refresh_from_db()
    assert loan.state == "applied"


def test_a_decline_with_a_long_reason_is_told_to_the_enterprise_cut_to_its_notice(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_user: User
) -> None:
    """A reason of 1,500 characters is kept whole on the loan; the enterprise's notice (500
    characters a language) quotes what fits and links to the loan. Quoted whole, PostgreSQL
    refused the notice and the decline with it."""
    from ipfin.accounts.models import Notification

    loan = lend(pledged[0], until="applied")
    reason = "经审查，" + "企业近三年经营性现金流持续为负，" * 100
    assert len(reason) > 1500
    declined = services.loan_decline(actor=bank_a_user, loan=loan, reason=reason)
    assert (declined.state, declined.decline_reason) == ("declined", reason[:2000])
    notice = Notification.objects.get(verb="loan.decline", object_id=str(loan.pk))
    assert len(notice.message_zh) == 500 and notice.message_zh.endswith("…")
    assert len(notice.message_en) == 500 and notice.message_en.endswith("…")
    assert "经审查，企业近三年经营性现金流持续为负" in notice.message_zh


def test_enterprise_may_not_approve(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], enterprise_a_user: User
) -> None:
    loan = lend(pledged[0], until="applied")
    with pytest.raises(PermissionDenied):
        services.loan_approve(
            actor=enterprise_a_user,
            loan=loan,
            principal="1",
            months=3,
            pledge_id=pledged[0].pk,
            valuation_id=pledged[1].pk,
        )


def test_illegal_transition_is_a_conflict(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_user: User
) -> None:
    loan = lend(pledged[0])
    with pytest.raises(Conflict) as err:
        services.loan_decline(actor=bank_a_user, loan=loan, reason="late")
    assert err.value.code == "illegal_transition"


def test_enterprise_applies_from_its_demand_and_disbursement_marks_it_financed(
    enterprise_a_user: User,
    enterprise_a: Organisation,
    bank_a_user: User,
    product: ProductVersion,
    pledged: tuple[Pledge, Valuation],
) -> None:
    right = pledged[0].items.get().right
    demand = demand_file(
        actor=enterprise_a_user,
        enterprise_uscc=enterprise_a.uscc or "",
        amount="300000",
        term_months=12,
        purpose="研发投入",
        rights=[right.number],
    )
    loan = services.loan_apply(
        actor=enterprise_a_user,
        enterprise_uscc=enterprise_a.uscc or "",
        product_version_id=product.pk,
        amount="300000",
        months=12,
        method="annuity",
        demand_id=demand.pk,
    )
    assert (loan.bank_id, loan.demand_id, loan.purpose) == (
        product.product.provider_id,
        demand.pk,
        "研发投入",
    )
    assert list(loan.rights.all()) == [right]
    assert Notification.objects.filter(organisation_id=loan.bank_id, verb="loan.apply").exists()
    services.loan_approve(
        actor=bank_a_user,
        loan=loan,
        principal="300000",
        months=12,
        pledge_id=pledged[0].pk,
        valuation_id=pledged[1].pk,
        annual_rate="0.035",
    )
    services.loan_disburse(actor=bank_a_user, loan=loan)
    demand.refresh_from_db()
    assert (demand.state, demand.financed_loan_id) == (DemandState.FINANCED, loan.pk)


def test_enterprise_applies_only_for_itself(
    enterprise_b_user: User, enterprise_a: Organisation, product: ProductVersion
) -> None:
    with pytest.raises(ValidationFailed) as err:
        services.loan_apply(
            actor=enterprise_b_user,
            enterprise_uscc=enterprise_a.uscc or "",
            product_version_id=product.pk,
            amount="300000",
            months=12,
            method="annuity",
        )
    assert err.value.code == "enterprise_not_yours"
    assert not Loan.objects.exists()


def test_application_outside_the_product_ranges_names_the_field(
    enterprise_a_user: User, enterprise_a: Organisation, product: ProductVersion
) -> None:
    for kw, field in [
        ({"amount": "99999.99"}, "amount"),
        ({"months": 48}, "months"),
        ({"method": "balloon"}, "method"),
    ]:
        args = {"amount": "300000", "months": 12, "method": "annuity", **kw}
        with pytest.raises(ValidationFailed) as err:
            services.loan_apply(
                actor=enterprise_a_user,
                enterprise_uscc=enterprise_a.uscc or "",
                product_version_id=product.pk,
                **args,
            )
        assert err.value.extra["field"] == field


def test_a_second_loan_on_the_same_pledge_defers_the_release(
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
    bank_a_user: User,
    bank_a: Organisation,
) -> None:
    first = lend(pledged[0])
    second = lend(pledged[0], until="approved")
    services.loan_repay(
        actor=bank_a_user,
        loan=first,
        amount="120000",
        paid_on=date(2025, 1, 15),
        today=date(2025, 1, 15),
    )
    services.loan_close(actor=bank_a_user, loan=first)
    assert not Notification.objects.filter(verb="loan.release_request").exists()
    note = Notification.objects.get(organisation=bank_a, verb="loan.close")
    assert f"#{second.pk}" in note.message_zh


def test_a_written_off_loan_the_pledge_still_secures_defers_the_release(
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
    bank_a_user: User,
) -> None:
    """Two loans on one pledge: B classified loss and written off (账销案存: the bank keeps its
    claim, the pledge still secures it), then A repaid and closed. The bank is not asked to
    release the pledge; it had been, the written-off loan left out of those relying on it."""
    from ipfin.holidays.selectors import working_calendar
    from ipfin.loans.domain import amount_to_settle
    from ipfin.loans.selectors import (
        instalment_states,
        loan_terms,
        release_pledge_due,
        secured_loans,
    )

    pledge = pledged[0]
    first, second = lend(pledge), lend(pledge)
    day = date(2025, 3, 1)
    services.loan_classify_manual(
        actor=bank_a_user, loan=second, category="loss", reason="借款人破产", today=day
    )
    services.loan_write_off(actor=bank_a_user, loan=second, reason="核销", today=day)
    first.refresh_from_db()
    states = instalment_states(list(first.installments.order_by("n")), working_calendar())
    owed = amount_to_settle(states, loan_terms(first), day)
    services.loan_repay(actor=bank_a_user, loan=first, amount=owed, paid_on=day, today=day)
    first = services.loan_close(actor=bank_a_user, loan=first, today=day)
    assert [s.loan_id for s in secured_loans(pledge)] == [second.pk]
    assert not Notification.objects.filter(verb="loan.release_request").exists()
    assert not release_pledge_due(first)


def test_a_park_applies_for_its_member_enterprise(
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    enterprise_a: Organisation,
    enterprise_b: Organisation,
    product: ProductVersion,
) -> None:
    park = make_org("park", "高新区", uscc=None)
    Organisation.objects.filter(pk=enterprise_a.pk).update(park=park)
    park_user = make_user("park", park)
    loan = services.loan_apply(
        actor=park_user,
        enterprise_uscc=enterprise_a.uscc or "",
        product_version_id=product.pk,
        amount="300000",
        months=12,
        method="annuity",
    )
    assert (loan.enterprise_id, loan.created_by) == (enterprise_a.pk, park_user)
    from ipfin.loans.selectors import loan_list

    assert list(loan_list(actor=park_user)) == [loan]
    with pytest.raises(ValidationFailed) as err:  # not its member
        services.loan_apply(
            actor=park_user,
            enterprise_uscc=enterprise_b.uscc or "",
            product_version_id=product.pk,
            amount="300000",
            months=12,
            method="annuity",
        )
    assert err.value.code == "enterprise_not_yours"
