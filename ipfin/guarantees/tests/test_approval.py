"""A loan approval records the guarantee it rests on (issue 16: "A loan approval records the
guarantee it rests on"): the guarantee issued on the application by then, as it stood, on the
loan, in the approval's audit record, in the API and on the loan's page; a guarantee asked for but
not issued is no security; one issued after the approval is not rewritten into it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.audit.models import AuditRecord
from ipfin.guarantees import services as guarantees
from ipfin.loans import services as loans
from ipfin.loans.models import Loan
from ipfin.pledges.models import Pledge

pytestmark = pytest.mark.django_db


@pytest.fixture
def guarantor_user(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> User:
    return make_user("guarantor_staff", make_org(OrganisationKind.GUARANTOR, "示范融资担保公司"))


def _ask(loan: Loan, bank_user: User, guarantor_user: User) -> Any:
    return guarantees.guarantee_request(
        actor=bank_user, loan_id=loan.pk, guarantor_id=guarantor_user.organisation_id,
        share="0.5", cap="60000.00", fee_rate="0.015",
    )  # fmt: skip


def _approve(loan: Loan, bank_user: User, pledged: tuple[Pledge, Any]) -> Loan:
    pledge, valuation = pledged
    return loans.loan_approve(
        actor=bank_user, loan=loan, principal="120000.00", months=3, pledge_id=pledge.pk,
        valuation_id=valuation.pk, annual_rate="0.12", today=date(2025, 1, 15),
    )  # fmt: skip


def test_the_approval_records_the_guarantee_issued_on_the_application_issue16_seed002(
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Any],
    bank_a_user: User,
    guarantor_user: User,
    client_for: Callable[[User], Client],
    api_client: Callable[..., Any],
) -> None:
    loan = lend(pledged[0], until="applied")
    asked = _ask(loan, bank_a_user, guarantor_user)
    g = guarantees.guarantee_decide(actor=guarantor_user, guarantee=asked, decision="issue")
    approved = _approve(loan, bank_a_user, pledged)
    expected = {
        "kind": "guarantee", "ref": f"guarantee:{g.pk}", "label": "示范融资担保公司",
        "share": "0.5", "cap": "60000.00",
    }  # fmt: skip
    assert approved.securities == [expected]
    record = AuditRecord.objects.get(action="loan.approve", object_id=str(loan.pk))
    assert record.after["securities"] == [expected]
    assert api_client(bank_a_user).get(f"/api/v1/loans/{loan.pk}").json()["securities"] == [
        expected
    ]
    page = client_for(bank_a_user).get(f"/loans/{loan.pk}/").content.decode()
    assert "示范融资担保公司" in page and "50.00%" in page


def test_a_guarantee_asked_for_but_not_issued_is_no_security_nor_rewritten_in_later(
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Any],
    bank_a_user: User,
    guarantor_user: User,
) -> None:
    loan = lend(pledged[0], until="applied")
    asked = _ask(loan, bank_a_user, guarantor_user)
    assert _approve(loan, bank_a_user, pledged).securities == []
    guarantees.guarantee_decide(actor=guarantor_user, guarantee=asked, decision="issue")
    loan.refresh_from_db()
    assert loan.securities == []  # the approval as it was given
