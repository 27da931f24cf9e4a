"""Releasing a pledge that still secures a loan (issue 13): refused unless the bank declares that
it waives the security, and then the loan records that it is unsecured.

民法典 art. 393: a pledge right ends when the debt is discharged (1) or when the creditor waives it
(3); art. 435: the pledgee may waive its pledge; art. 436: once the debt is paid the pledgee
returns the pledge. So a release while the pledgee's own loan is still owed is a waiver, and must
be declared as one. Reference loan (conftest `lend`): 120,000.00, three months from 2025-01-15.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ipfin.accounts.models import Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, ValidationFailed
from ipfin.loans import services
from ipfin.loans.models import Loan
from ipfin.loans.tests.factories import pledge_with_loan
from ipfin.pledges.models import Pledge, PledgeItem
from ipfin.pledges.securing import outstanding_loans
from ipfin.pledges.services import pledge_release
from ipfin.registry.models import Right
from ipfin.valuation.models import Valuation

D = Decimal


def _unchanged(pledge: Pledge, loan: Loan) -> None:
    """A refused release changed nothing: the pledge registered and holding its rights, the loan
    secured, no release or waiver audited."""
    pledge.refresh_from_db()
    loan.refresh_from_db()
    assert pledge.state == "registered" and pledge.released_on is None
    assert PledgeItem.objects.filter(pledge=pledge, active=True).count() == 1
    assert (loan.security_waived_on, loan.security_waiver_reason) == (None, "")
    assert loan.security_waived_by is None
    assert not AuditRecord.objects.filter(
        action__in=["pledge.release", "loan.security_waive"]
    ).exists()


def test_a_release_under_an_outstanding_loan_is_refused_minfadian_art393_436(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_user: User
) -> None:
    pledge = pledged[0]
    loan = lend(pledge)
    with pytest.raises(Conflict) as err:
        pledge_release(actor=bank_a_user, pledge=pledge)
    assert err.value.code == "pledge_secures_outstanding_loan"
    assert f"贷款 #{loan.pk} 未偿本金 120,000.00 元" in err.value.detail_zh
    assert f"Loan #{loan.pk}: CNY 120,000.00 principal outstanding" in err.value.detail_en
    assert err.value.extra["loans"] == [
        {"id": loan.pk, "state": "disbursed", "disbursed": True, "outstanding": "120000.00"}
    ]
    # A basis of "pledge waived" is no declaration about the loan: refused the same.
    with pytest.raises(Conflict):
        pledge_release(actor=bank_a_user, pledge=pledge, basis="pledge_waived")
    _unchanged(pledge, loan)


def test_a_waiver_needs_a_reason_minfadian_art393(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_user: User
) -> None:
    pledge = pledged[0]
    loan = lend(pledge)
    for reason in (None, "", "   "):
        with pytest.raises(ValidationFailed) as err:
            pledge_release(actor=bank_a_user, pledge=pledge, waive_security=True, reason=reason)
        assert err.value.code == "waiver_reason_required"
        assert err.value.extra["field"] == "reason"
    with pytest.raises(ValidationFailed) as err:
        pledge_release(actor=bank_a_user, pledge=pledge, waive_security=True, reason="x" * 2001)
    assert err.value.code == "waiver_reason_too_long"
    _unchanged(pledge, loan)


def test_with_the_waiver_the_release_proceeds_and_the_loan_is_unsecured_minfadian_art393_435(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_user: User
) -> None:
    pledge = pledged[0]
    loan = lend(pledge)
    today = timezone.localdate()
    released = pledge_release(
        actor=bank_a_user,
        pledge=pledge,
        basis="pledge_waived",
        waive_security=True,
        reason="  借款人以保证金替代质押担保  ",
    )
    assert (released.state, released.released_on) == ("released", today)
    assert not PledgeItem.objects.filter(pledge=pledge, active=True).exists()
    loan.refresh_from_db()
    assert loan.security_waived_on == today
    assert loan.security_waiver_reason == "借款人以保证金替代质押担保"
    assert loan.security_waived_by == bank_a_user
    assert (loan.state, loan.outstanding_principal) == ("disbursed", D("120000.00"))  # owed still
    waiver = AuditRecord.objects.get(action="loan.security_waive", object_id=str(loan.pk))
    assert waiver.actor == bank_a_user
    assert waiver.before is not None and waiver.before["security_waived_on"] is None
    assert waiver.after is not None
    assert waiver.after["security_waived_on"] == today.isoformat()
    assert waiver.after["reason"] == "借款人以保证金替代质押担保"
    assert (waiver.after["owed"], waiver.after["registration_no"]) == (
        "120000.00",
        pledge.registration_no,
    )
    release = AuditRecord.objects.get(action="pledge.release", object_id=str(pledge.pk))
    assert release.after is not None
    assert release.after["security_waived"] == {
        "reason": "借款人以保证金替代质押担保",
        "loans": [{"id": loan.pk, "owed": "120000.00"}],
    }


def test_a_closed_or_repaid_loan_does_not_block_the_release_minfadian_art436(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_user: User
) -> None:
    pledge = pledged[0]
    closed = lend(pledge)
    services.loan_repay(
        actor=bank_a_user,
        loan=closed,
        amount="120000",
        paid_on=date(2025, 1, 15),
        today=date(2025, 1, 15),
    )
    services.loan_close(actor=bank_a_user, loan=closed, today=date(2025, 1, 16))
    repaid = lend(pledge)  # repaid in full, not yet closed (closure is the bank's own act)
    services.loan_repay(
        actor=bank_a_user,
        loan=repaid,
        amount="120000",
        paid_on=date(2025, 1, 15),
        today=date(2025, 1, 15),
    )
    repaid.refresh_from_db()
    assert (repaid.state, repaid.outstanding_principal) == ("repaying", D("0.00"))
    lend(pledge, until="applied")  # an application relies on no pledge yet
    assert outstanding_loans(pledge) == []
    released = pledge_release(actor=bank_a_user, pledge=pledge)
    assert released.state == "released"
    assert not Loan.objects.filter(security_waived_on__isnull=False).exists()
    assert not AuditRecord.objects.filter(action="loan.security_waive").exists()


def test_an_approved_loan_not_yet_disbursed_and_a_written_off_one_still_block_minfadian_art393(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_user: User
) -> None:
    pledge = pledged[0]
    approved = lend(pledge, principal="100000.00", until="approved")
    written_off = lend(pledge)
    services.loan_classify_manual(
        actor=bank_a_user, loan=written_off, category="loss", reason="借款人破产清算"
    )
    services.loan_write_off(actor=bank_a_user, loan=written_off, reason="破产清算，回收无望")
    found = outstanding_loans(pledge)
    assert [(x.loan_id, x.state, x.disbursed, x.owed) for x in found] == [
        (approved.pk, "approved", False, D("100000.00")),
        (written_off.pk, "written_off", True, D("120000.00")),
    ]
    with pytest.raises(Conflict) as err:
        pledge_release(actor=bank_a_user, pledge=pledge)
    assert f"贷款 #{approved.pk} 已审批、尚未放款（授信额度 100,000.00 元）" in err.value.detail_zh
    assert f"贷款 #{written_off.pk} 未偿本金 120,000.00 元" in err.value.detail_zh
    pledge_release(actor=bank_a_user, pledge=pledge, waive_security=True, reason="核销后放弃")
    assert set(
        Loan.objects.filter(security_waived_on__isnull=False).values_list("pk", flat=True)
    ) == {
        approved.pk,
        written_off.pk,
    }


def test_another_banks_loan_does_not_count_minfadian_art393(
    pledged: tuple[Pledge, Valuation],
    bank_a_user: User,
    bank_b_user: User,
    examiner: User,
    enterprise_a: Organisation,
    make_right: Callable[..., Right],
) -> None:
    """Bank B lends to the same enterprise on its own pledge: bank A's pledge secures no loan of
    bank A, and bank A releases it without any declaration."""
    pledge = pledged[0]
    _b_pledge, b_loan = pledge_with_loan(
        examiner=examiner,
        bank_user=bank_b_user,
        enterprise=enterprise_a,
        right=make_right(),
        principal="100000.00",
    )
    assert b_loan.state == "disbursed" and b_loan.outstanding_principal == D("100000.00")
    assert outstanding_loans(pledge) == []
    assert pledge_release(actor=bank_a_user, pledge=pledge).state == "released"
    b_loan.refresh_from_db()
    assert b_loan.security_waived_on is None


# --- over the API ---------------------------------------------------------------------------------


def test_the_api_answers_409_without_the_waiver_and_200_with_it_minfadian_art393_435(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_api: Any
) -> None:
    pledge = pledged[0]
    loan = lend(pledge)
    path = f"/api/v1/pledges/{pledge.pk}/release"
    refused = bank_a_api.post_json(path, {})
    assert refused.status_code == 409, refused.content
    body = refused.json()
    assert body["code"] == "pledge_secures_outstanding_loan"
    assert body["loans"] == [
        {"id": loan.pk, "state": "disbursed", "disbursed": True, "outstanding": "120000.00"}
    ]
    assert f"#{loan.pk}" in body["detail"] and "120,000.00" in body["detail"]
    no_reason = bank_a_api.post_json(path, {"waive_security": True})
    assert no_reason.status_code == 422
    assert (no_reason.json()["code"], no_reason.json()["field"]) == (
        "waiver_reason_required",
        "reason",
    )
    _unchanged(pledge, loan)
    done = bank_a_api.post_json(path, {"waive_security": True, "reason": "改为信用贷款"})
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "released"
    shown = bank_a_api.get(f"/api/v1/loans/{loan.pk}").json()
    assert shown["security_waived_on"] == timezone.localdate().isoformat()
    assert shown["security_waiver_reason"] == "改为信用贷款"


def test_the_document_declares_the_409_and_the_waiver_fields(client: Client) -> None:
    document = client.get("/api/schema").json()
    op = document["paths"]["/api/v1/pledges/{pledge_id}/release"]["post"]
    assert "pledge_secures_outstanding_loan" in op["responses"]["409"]["description"]
    assert op["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert "waiver_reason_required" in op["responses"]["422"]["description"]
    fields = document["components"]["schemas"]["ReleaseIn"]["properties"]
    assert fields["waive_security"]["type"] == "boolean"
    assert fields["reason"]["anyOf"][0]["maxLength"] == 2000
    loan = document["components"]["schemas"]["LoanOut"]["properties"]
    assert {"security_waived_on", "security_waiver_reason"} <= set(loan)


# --- in the pages ---------------------------------------------------------------------------------


def test_the_release_form_shows_the_loan_and_asks_for_the_waiver_minfadian_art393_435(
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
    bank_a_user: User,
    client_for: Callable[[User], Client],
) -> None:
    pledge = pledged[0]
    loan = lend(pledge)
    client = client_for(bank_a_user)
    page = client.get(f"/pledges/{pledge.pk}/").content.decode()
    assert 'data-testid="secured-loans"' in page
    assert f'data-loan-id="{loan.pk}"' in page and "120,000.00 元" in page
    assert 'name="release-waive_security"' in page and 'name="release-reason"' in page
    assert (
        f"注销质押登记 {pledge.registration_no} 后，知识产权即解除质押，不能恢复；本行放弃担保，"
        f"贷款 #{loan.pk}（未偿 120,000.00 元）成为无担保贷款。确定注销？" in page
    )
    form = {"release-basis": "debt_discharged", "release-acknowledge": "on"}
    refused = client.post(f"/pledges/{pledge.pk}/release/", form)
    assert refused.status_code == 409
    text = refused.content.decode()
    assert "仍为本行贷款提供担保" in text and "120,000.00 元" in text
    _unchanged(pledge, loan)
    no_reason = client.post(
        f"/pledges/{pledge.pk}/release/", {**form, "release-waive_security": "on"}
    )
    assert no_reason.status_code == 422 and "放弃担保须说明理由" in no_reason.content.decode()
    _unchanged(pledge, loan)
    done = client.post(
        f"/pledges/{pledge.pk}/release/",
        {**form, "release-waive_security": "on", "release-reason": "借款人提供其他担保"},
    )
    assert done.status_code == 302
    pledge.refresh_from_db()
    assert pledge.state == "released"
    loan_page = client.get(f"/loans/{loan.pk}/").content.decode()
    assert 'data-testid="loan-unsecured"' in loan_page
    assert "无担保贷款" in loan_page and "借款人提供其他担保" in loan_page


def test_a_pledge_without_a_loan_asks_only_to_confirm_the_release(
    pledged: tuple[Pledge, Valuation],
    bank_a_user: User,
    client_for: Callable[[User], Client],
) -> None:
    pledge = pledged[0]
    page = client_for(bank_a_user).get(f"/pledges/{pledge.pk}/").content.decode()
    assert 'data-testid="secured-loans"' not in page
    assert 'name="release-waive_security"' not in page
    assert (
        f"注销质押登记 {pledge.registration_no} 后，知识产权即解除质押，不能恢复。确定注销？"
        in page
    )


def test_the_release_date_of_a_waiver_is_the_day_of_the_release(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_user: User
) -> None:
    """Never back-dated (民法典 art. 444): the loan is unsecured from the day of the release."""
    pledge = pledged[0]
    loan = lend(pledge)
    day = timezone.localdate() + timedelta(days=3)
    pledge_release(actor=bank_a_user, pledge=pledge, waive_security=True, reason="r", today=day)
    loan.refresh_from_db()
    assert loan.security_waived_on == day
