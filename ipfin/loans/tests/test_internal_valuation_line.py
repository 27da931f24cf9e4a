"""A loan approval may rest on the bank's internal valuation up to 10,000,000.00 yuan, that figure
included: seed 000 (知识产权质押融资) encourages banks to value internally for loans of
1000万元以下, and 民法典 art. 1259 reads 以下 as including the figure. Above it an external
valuation report is the platform's rule.

The registered pledge is written with the ORM (not through the pledge services, whose workflow is
changing): these tests are about the approval's valuation rule, not about how a pledge comes to be.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest

from ipfin.accounts.models import Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import ValidationFailed
from ipfin.loans import selectors, services
from ipfin.loans.models import Loan
from ipfin.loans.tests.conftest import REGISTERED_ON
from ipfin.pledges.models import Pledge, PledgeItem
from ipfin.registry.models import Right
from ipfin.valuation.models import Valuation
from ipfin.valuation.services.valuations import valuation_create, valuation_issue

pytestmark = pytest.mark.django_db

D = Decimal
APPROVED_ON = date(2025, 1, 15)
AT_THE_LINE = "10000000.00"
ONE_FEN_ABOVE = "10000000.01"


@pytest.fixture
def right(make_right: Callable[..., Right]) -> Right:
    return make_right()


@pytest.fixture
def pledge(
    right: Right, bank_a: Organisation, bank_a_user: User, enterprise_a: Organisation
) -> Pledge:
    """bank_a's registered pledge over enterprise_a's right, securing 20,000,000.00."""
    pledge = Pledge.objects.create(
        state="registered",
        registration_no="Y2024000000777",
        pledgee=bank_a,
        pledgor=enterprise_a,
        debt_amount=D("20000000.00"),
        term_start=REGISTERED_ON,
        term_end=REGISTERED_ON + timedelta(days=3 * 365),
        contract_no="C-LINE",
        created_by=bank_a_user,
        effective_date=REGISTERED_ON,
    )
    PledgeItem.objects.create(pledge=pledge, right=right, active=True)
    return pledge


def _value_internally(right: Right, bank_a_user: User) -> Valuation:
    """bank_a's own issued valuation with its internal model (no external report):
    30,000,000 × (1 − 0.20, invention) × 0.5 (unscored: the floor) = 12,000,000.00."""
    valuation = valuation_create(
        actor=bank_a_user,
        rights=[right.number],
        method="bank_internal",
        inputs={"reference_values": {right.number: "30000000"}},
    )
    issued = valuation_issue(actor=bank_a_user, valuation=valuation)
    assert issued.value == D("12000000.00")
    return issued


@pytest.fixture
def internal(right: Right, bank_a_user: User) -> Valuation:
    return _value_internally(right, bank_a_user)


def _applied(bank_a_user: User, enterprise_a: Organisation, principal: str) -> Loan:
    return services.loan_apply(
        actor=bank_a_user,
        enterprise_uscc=enterprise_a.uscc or "",
        product_version_id=None,
        amount=principal,
        months=12,
        method="equal_principal",
    )


def _approve(
    bank_a_user: User, loan: Loan, pledge: Pledge, principal: str, valuation_id: int
) -> Loan:
    return services.loan_approve(
        actor=bank_a_user,
        loan=loan,
        principal=principal,
        months=12,
        pledge_id=pledge.pk,
        annual_rate="0.04",
        valuation_id=valuation_id,
        today=APPROVED_ON,
    )


def test_a_loan_of_exactly_ten_million_rests_on_the_internal_valuation_minfadian_art1259(
    bank_a_user: User,
    enterprise_a: Organisation,
    pledge: Pledge,
    internal: Valuation,
) -> None:
    loan = _applied(bank_a_user, enterprise_a, AT_THE_LINE)
    approved = _approve(bank_a_user, loan, pledge, AT_THE_LINE, valuation_id=internal.pk)
    assert (approved.state, approved.principal) == ("approved", D(AT_THE_LINE))
    assert approved.valuation == internal
    # 10,000,000.00 / 12,000,000.00 = 0.833333
    assert approved.pledge_rate == D("0.833333")


def test_one_fen_above_ten_million_needs_an_external_report_minfadian_art1259(
    bank_a_user: User,
    enterprise_a: Organisation,
    pledge: Pledge,
    internal: Valuation,
) -> None:
    loan = _applied(bank_a_user, enterprise_a, ONE_FEN_ABOVE)
    audits = AuditRecord.objects.count()
    with pytest.raises(ValidationFailed) as info:
        _approve(bank_a_user, loan, pledge, ONE_FEN_ABOVE, valuation_id=internal.pk)
    error = info.value
    assert (error.code, error.extra["field"]) == ("internal_valuation_not_allowed", "valuation_id")
    # The message says the rule and cites the seed, in both languages.
    assert "10,000,000.01" in error.detail_zh and "外部评估报告" in error.detail_zh
    assert "鼓励银行对1000万元以下的知识产权质押贷款采用内部评估" in error.detail_zh
    assert "seed 000" in error.detail_zh and "民法典第一千二百五十九条" in error.detail_zh
    assert "above 10,000,000.00 yuan" in error.detail_en
    assert "external valuation report is the platform's rule" in error.detail_en
    assert "seed 000" in error.detail_en and "Civil Code art. 1259" in error.detail_en
    # Nothing changed.
    loan.refresh_from_db()
    assert (loan.state, loan.valuation_id, loan.principal) == ("applied", None, None)
    assert AuditRecord.objects.count() == audits


def test_above_ten_million_the_banks_own_cost_valuation_is_internal_too_minfadian_art1259(
    bank_a_user: User,
    enterprise_a: Organisation,
    right: Right,
    pledge: Pledge,
    value_right: Callable[..., Valuation],
) -> None:
    """内部评估 is the bank valuing the collateral itself, whatever the approach: its own cost
    valuation (20,000,000 × 1.1 × 8/10 = 17,600,000.00) carries a loan up to the line, not above
    it (judged by the method alone, it once carried a loan of any size)."""
    own = value_right(right, cost="20000000")
    assert own.value == D("17600000.00") and own.method == "cost"
    # The loan one fen above first: once the one at the line is approved, the registration's
    # debt would hold no room for a second loan on it (pledge_debt_exceeded).
    loan = _applied(bank_a_user, enterprise_a, ONE_FEN_ABOVE)
    with pytest.raises(ValidationFailed) as info:
        _approve(bank_a_user, loan, pledge, ONE_FEN_ABOVE, valuation_id=own.pk)
    assert info.value.code == "internal_valuation_not_allowed"
    loan.refresh_from_db()
    assert (loan.state, loan.valuation_id) == ("applied", None)
    at_the_line = _approve(
        bank_a_user, _applied(bank_a_user, enterprise_a, AT_THE_LINE), pledge, AT_THE_LINE, own.pk
    )
    assert at_the_line.valuation == own


def test_above_ten_million_an_agency_report_the_bank_rechecked_backs_the_loan_minfadian_art1259(
    bank_a_user: User,
    enterprise_a: Organisation,
    right: Right,
    pledge: Pledge,
    internal: Valuation,
    agency_report: Callable[..., Valuation],
) -> None:
    """Above the line the approval names the external report (17,600,000.00, rechecked against
    bank_a's 16,000,000.00: 10 % off, within its 30 % threshold); both are offered to it, newest
    first, and none is taken for it."""
    external = agency_report(right, cost="20000000", bank_value="16000000")
    assert (external.state, external.flagged) == ("rechecked", False)
    assert selectors.pledge_valuations(actor=bank_a_user, pledge=pledge) == [external, internal]
    above = _approve(
        bank_a_user,
        _applied(bank_a_user, enterprise_a, ONE_FEN_ABOVE),
        pledge,
        ONE_FEN_ABOVE,
        external.pk,
    )
    assert above.valuation == external
    assert above.valuation_value == D("17600000.00")
