"""What a loan approval may rest on: the valuation it names, never one picked for it — the bank's
own, or a valuation agency's report for the bank that the bank rechecked and the recheck did not
flag (`ipfin.valuation.selectors.loan_backing_refusal`).

The finding these tests hold: bank B issued a valuation naming bank A as client bank (81,000,000.00
on a cost approach) and bank A's approval without a `valuation_id` silently took it, recording a
1.2 % pledge rate.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from ipfin.accounts.models import Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import PermissionDenied, ValidationFailed
from ipfin.loans import selectors, services
from ipfin.loans.models import Loan
from ipfin.pledges.models import Pledge
from ipfin.registry.models import Right
from ipfin.valuation.models import Valuation
from ipfin.valuation.services.valuations import (
    valuation_create,
    valuation_issue,
    valuation_recheck,
)

pytestmark = pytest.mark.django_db

D = Decimal
APPROVED_ON = date(2025, 1, 15)
# 90,000,000 × (1 + 0.125) × 8/10 = 81,000,000.00: the figure of the finding.
INFLATED = {"cost": "90000000", "profit_rate": "0.125", "used_years": "2", "remaining_years": "8"}


def _approve(bank_user: User, loan: Loan, pledge: Pledge, valuation_id: int | None) -> Loan:
    return services.loan_approve(
        actor=bank_user,
        loan=loan,
        principal="1000000",
        months=12,
        pledge_id=pledge.pk,
        valuation_id=valuation_id,
        annual_rate="0.04",
        today=APPROVED_ON,
    )


def _unchanged(loan: Loan) -> None:
    loan.refresh_from_db()
    assert (loan.state, loan.valuation_id, loan.pledge_rate) == ("applied", None, None)


@pytest.fixture
def collateral(
    enterprise_a: Organisation, pledge_over: Callable[..., tuple[Pledge, Right]]
) -> tuple[Pledge, Right]:
    """bank_a's registered pledge over a right of enterprise_a, which nobody has valued yet."""
    return pledge_over(enterprise_a)


def test_another_banks_valuation_naming_the_bank_does_not_back_its_loan(
    bank_a: Organisation,
    bank_a_user: User,
    bank_b_user: User,
    collateral: tuple[Pledge, Right],
    lend: Callable[..., Loan],
) -> None:
    pledge, right = collateral
    made = Valuation.objects.count()
    # Bank B may not name bank A as client bank: only a valuation agency is engaged by a bank.
    with pytest.raises(PermissionDenied) as err:
        valuation_create(
            actor=bank_b_user,
            rights=[right.number],
            method="cost",
            inputs=INFLATED,
            client_bank_uscc=bank_a.uscc,
        )
    assert (err.value.status, err.value.code) == (403, "client_bank_not_allowed")
    assert Valuation.objects.count() == made
    assert not AuditRecord.objects.filter(action="valuation.create").exists()
    # A row such as the platform stored before that rule: bank B's 81,000,000.00, naming bank A.
    theirs = valuation_issue(
        actor=bank_b_user,
        valuation=valuation_create(
            actor=bank_b_user, rights=[right.number], method="cost", inputs=INFLATED
        ),
    )
    Valuation.objects.filter(pk=theirs.pk).update(client_bank=bank_a)
    assert theirs.value == D("81000000.00")
    assert selectors.pledge_valuations(actor=bank_a_user, pledge=pledge) == []  # not offered
    loan = lend(pledge, principal="1000000", months=12, until="applied")
    with pytest.raises(ValidationFailed) as refused:
        _approve(bank_a_user, loan, pledge, theirs.pk)
    assert (refused.value.code, refused.value.extra["field"]) == (
        "valuation_other_bank",
        "valuation_id",
    )
    _unchanged(loan)
    # Without a valuation_id nothing is picked for the bank (it took bank B's: 1.2 %).
    with pytest.raises(ValidationFailed) as refused:
        _approve(bank_a_user, loan, pledge, None)
    assert refused.value.code == "valuation_required"
    _unchanged(loan)


def test_approval_without_a_valuation_id_is_422_even_with_a_usable_valuation(
    bank_a_user: User, pledged: tuple[Pledge, Valuation], lend: Callable[..., Loan]
) -> None:
    pledge, own = pledged
    assert selectors.pledge_valuations(actor=bank_a_user, pledge=pledge) == [own]
    loan = lend(pledge, until="applied")
    audits = AuditRecord.objects.count()
    for omitted in (None, ""):
        with pytest.raises(ValidationFailed) as refused:
            _approve(bank_a_user, loan, pledge, omitted)  # type: ignore[arg-type]
        assert (refused.value.status, refused.value.code) == (422, "valuation_required")
        assert refused.value.extra["field"] == "valuation_id"
    _unchanged(loan)
    assert AuditRecord.objects.count() == audits


def test_an_agency_report_the_bank_has_not_rechecked_cannot_back_a_loan(
    bank_a_user: User,
    collateral: tuple[Pledge, Right],
    agency_report: Callable[..., Valuation],
    lend: Callable[..., Loan],
) -> None:
    pledge, right = collateral
    issued = agency_report(right)
    assert issued.state == "issued"
    assert selectors.pledge_valuations(actor=bank_a_user, pledge=pledge) == []
    loan = lend(pledge, principal="100000", until="applied")
    with pytest.raises(ValidationFailed) as refused:
        _approve(bank_a_user, loan, pledge, issued.pk)
    assert (refused.value.status, refused.value.code) == (422, "valuation_not_rechecked")
    assert refused.value.extra == {"field": "valuation_id", "state": "issued"}
    _unchanged(loan)
    # Rechecked within the threshold (880,000.00 against the bank's 800,000.00: 10 %), it backs.
    rechecked = valuation_recheck(
        actor=bank_a_user, valuation=issued, reference_values={right.number: "800000"}
    )
    assert (rechecked.state, rechecked.flagged) == ("rechecked", False)
    assert selectors.pledge_valuations(actor=bank_a_user, pledge=pledge) == [rechecked]
    approved = services.loan_approve(
        actor=bank_a_user,
        loan=loan,
        principal="100000",
        months=3,
        pledge_id=pledge.pk,
        valuation_id=rechecked.pk,
        annual_rate="0.04",
        today=APPROVED_ON,
    )
    assert (approved.state, approved.valuation, approved.valuation_value) == (
        "approved",
        rechecked,
        D("880000.00"),
    )


def test_an_agency_report_the_recheck_flagged_cannot_back_a_loan(
    bank_a_user: User,
    collateral: tuple[Pledge, Right],
    agency_report: Callable[..., Valuation],
    lend: Callable[..., Loan],
) -> None:
    """880,000.00 against the bank's own 500,000.00: 76 % off, beyond its 30 % threshold. No
    action accepts a flagged report: the bank values the rights itself or has them valued
    again."""
    pledge, right = collateral
    flagged = agency_report(right, bank_value="500000")
    assert (flagged.state, flagged.flagged) == ("rechecked", True)
    assert selectors.pledge_valuations(actor=bank_a_user, pledge=pledge) == []
    loan = lend(pledge, principal="100000", until="applied")
    with pytest.raises(ValidationFailed) as refused:
        _approve(bank_a_user, loan, pledge, flagged.pk)
    assert (refused.value.status, refused.value.code) == (422, "valuation_flagged")
    assert D(refused.value.extra["threshold"]) == D("0.3")
    _unchanged(loan)


def test_the_banks_own_valuation_backs_its_loan_without_a_recheck(
    bank_a: Organisation,
    bank_a_user: User,
    collateral: tuple[Pledge, Right],
    lend: Callable[..., Loan],
) -> None:
    """The bank's own (internal) valuation, also when it names itself as client bank: the
    valuation's maker IS the client bank. Nobody rechecks it, the bank least of all."""
    pledge, right = collateral
    own = valuation_create(
        actor=bank_a_user,
        rights=[right.number],
        method="bank_internal",
        inputs={"reference_values": {right.number: "2000000"}},
        client_bank_uscc=bank_a.uscc,
    )
    assert (own.organisation_id, own.client_bank_id) == (bank_a.pk, bank_a.pk)
    own = valuation_issue(actor=bank_a_user, valuation=own)
    with pytest.raises(PermissionDenied):
        valuation_recheck(
            actor=bank_a_user, valuation=own, reference_values={right.number: "2000000"}
        )
    assert selectors.pledge_valuations(actor=bank_a_user, pledge=pledge) == [own]
    loan = lend(pledge, principal="100000", until="applied")
    approved = _approve(bank_a_user, loan, pledge, own.pk)
    assert (approved.state, approved.valuation) == ("approved", own)


def test_the_approval_page_requires_a_valuation_and_offers_only_those_that_may_back(
    bank_a_user: User,
    pledged: tuple[Pledge, Valuation],
    agency_report: Callable[..., Valuation],
    lend: Callable[..., Loan],
) -> None:
    pledge, own = pledged
    right = pledge.items.get().right
    waiting = agency_report(right)  # issued, not rechecked: not offered
    loan = lend(pledge, until="applied")
    client = Client()
    client.force_login(bank_a_user)
    html = client.get(f"/loans/{loan.pk}/").content.decode()
    assert f'<option value="{own.pk}">' in html
    assert f'<option value="{waiting.pk}">' not in html
    form = {
        "principal": "120000",
        "months": "3",
        "method": "equal_principal",
        "day_count": "30/360",
        "annual_rate": "4.5",
        "pledge_id": str(pledge.pk),
    }
    resp = client.post(f"/loans/{loan.pk}/approve/", {**form, "valuation_id": ""})
    assert resp.status_code == 400  # a required field left empty (the UI kernel's answer)
    assert 'id="id_valuation_id_error"' in resp.content.decode()
    _unchanged(loan)
    resp = client.post(f"/loans/{loan.pk}/approve/", {**form, "valuation_id": str(own.pk)})
    assert resp.status_code == 302
    loan.refresh_from_db()
    assert (loan.state, loan.valuation_id) == ("approved", own.pk)
