"""Several loans resting on one pledge registration (issue 8's loans, from review): together they
stay within the debt the registration secures and the product's maximum pledge rate of the
pledged rights' value, and none falls due after the registered debt term (民法典 art. 427: the
pledge contract states the debt secured and its term; art. 425 ff.)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest

from ipfin.accounts.models import Organisation, User
from ipfin.common.errors import Conflict, ValidationFailed
from ipfin.financing.models import ProductVersion
from ipfin.loans import services
from ipfin.loans.models import Loan
from ipfin.pledges.models import Pledge
from ipfin.registry.models import Right
from ipfin.valuation.models import Valuation

D = Decimal


def test_loans_on_one_registration_stay_within_its_secured_debt_minfadian_art427(
    enterprise_a: Organisation,
    pledge_over: Callable[..., tuple[Pledge, Right]],
    value_right: Callable[..., Valuation],
    lend: Callable[..., Loan],
) -> None:
    pledge, right = pledge_over(enterprise_a, debt="500000.00")
    value_right(right)  # 880,000.00; no product: no pledge-rate cap
    first = lend(pledge, principal="300000.00", months=12)
    assert first.state == "disbursed"
    with pytest.raises(ValidationFailed) as refused:
        lend(pledge, principal="250000.00", months=12)
    assert refused.value.code == "pledge_debt_exceeded"
    assert refused.value.extra["secured_by_others"] == "300000.00"
    assert "本笔最多 200,000.00 元" in refused.value.detail_zh
    assert "at most CNY 200,000.00" in refused.value.detail_en
    refused_loan = Loan.objects.order_by("-pk").first()
    assert refused_loan is not None and refused_loan.state == "applied"
    # Within what is left (500,000.00 − 300,000.00 owed): approved.
    second = lend(pledge, principal="200000.00", months=12)
    assert second.state == "disbursed"


def test_split_loans_stay_within_the_products_pledge_rate(
    enterprise_a: Organisation,
    pledge_over: Callable[..., tuple[Pledge, Right]],
    value_right: Callable[..., Valuation],
    lend: Callable[..., Loan],
    product: ProductVersion,
) -> None:
    """The product lends at most 50 % of the rights' 880,000.00 (440,000.00): two loans of
    300,000.00 and 200,000.00 on one registration would lend 500,000.00 against them."""
    pledge, right = pledge_over(enterprise_a, debt="5000000.00")
    value_right(right)
    lend(pledge, principal="300000.00", months=12, product_version_id=product.pk)
    with pytest.raises(ValidationFailed) as refused:
        lend(pledge, principal="200000.00", months=12, product_version_id=product.pk)
    assert refused.value.code == "pledge_rate_exceeded"
    assert refused.value.extra["secured_by_others"] == "300000.00"
    lend(pledge, principal="140000.00", months=12, product_version_id=product.pk)


def test_a_loan_may_not_fall_due_after_the_registered_debt_term_minfadian_art427(
    bank_a_user: User,
    enterprise_a: Organisation,
    pledge_over: Callable[..., tuple[Pledge, Right]],
    value_right: Callable[..., Valuation],
    lend: Callable[..., Loan],
) -> None:
    pledge, right = pledge_over(enterprise_a)
    value_right(right)
    with pytest.raises(ValidationFailed) as refused:
        lend(pledge, months=60, start=date(2025, 1, 15))  # the term ends within three years
    assert refused.value.code == "pledge_term_exceeded"
    assert refused.value.extra["field"] == "months"
    assert refused.value.extra["term_end"] == pledge.term_end.isoformat()
    # Approved a year before the term ends for twelve months: it falls due on the last day...
    approved_on = pledge.term_end - timedelta(days=400)
    loan = lend(pledge, months=12, start=approved_on, until="approved")
    assert loan.state == "approved"
    # ...but disbursed two months later, its schedule would end after the registered term.
    late = approved_on + timedelta(days=61)
    with pytest.raises(Conflict) as conflict:
        services.loan_disburse(actor=bank_a_user, loan=loan, disbursed_on=late, today=late)
    assert conflict.value.code == "pledge_term_exceeded"
    loan.refresh_from_db()
    assert loan.state == "approved" and not loan.installments.exists()
    services.loan_disburse(actor=bank_a_user, loan=loan, disbursed_on=approved_on, today=late)
    loan.refresh_from_db()
    assert loan.state == "disbursed" and loan.maturity_date <= pledge.term_end
