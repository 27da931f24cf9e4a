"""Guarantees on loans over the real HTTP stack and the real loan services (issue 16, 质押+担保):
the bank asks, the guarantor issues (the fee charged on disbursement) or declines, the bank calls
it on default, the guarantor pays its share within the cap, a disposal's recovery comes back in
part; each party sees only its own; every step audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.audit.models import AuditRecord
from ipfin.guarantees.models import Guarantee
from ipfin.loans import services as loans
from ipfin.loans.models import Loan
from ipfin.loans.tests.factories import bank_valuation, lend_on
from ipfin.registry.domain import add_months
from ipfin.stats.tests.conftest import _pledge

pytestmark = pytest.mark.django_db
URL = "/api/v1/guarantees"


@pytest.fixture
def guarantor(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(OrganisationKind.GUARANTOR, "示范融资担保有限公司")


@pytest.fixture
def guarantor_user(make_user: Callable[..., User], guarantor: Organisation) -> User:
    return make_user("guarantor_staff", guarantor)


@pytest.fixture
def approved(
    make_org: Callable[..., Organisation],
    bank_a_user: User,
    examiner: User,
    make_right: Callable[..., Any],
    upload_contract: Callable[..., Any],
    today: date,
) -> Loan:
    """Bank A's loan of 1,000,000.00 yuan over 12 months to 甲, approved ten days ago."""
    borrower = make_org(name="甲科技有限公司")
    kw = {"examiner": examiner, "make_right": make_right, "upload_contract": upload_contract}
    pledge, right = _pledge(bank_user=bank_a_user, enterprise=borrower, today=today, **kw)
    return lend_on(
        bank_user=bank_a_user, enterprise=borrower, pledge=pledge,
        valuation=bank_valuation(bank_a_user, right), principal="1000000.00", months=12,
        annual_rate="0.05", start=today - timedelta(days=10), disburse=False,
    )  # fmt: skip


def ask(client: Any, loan: Loan, guarantor: Organisation, **change: Any) -> Any:
    body = {
        "loan_id": loan.pk,
        "guarantor_id": guarantor.pk,
        "share": "0.6",
        "cap": "500000.00",
        "fee_rate": "0.015",
        **change,
    }
    return client.post_json(URL, body)


def test_issue_then_disbursement_charges_the_fee_then_default_call_pay_and_recovery_issue16(
    approved: Loan,
    guarantor: Organisation,
    guarantor_user: User,
    bank_a_user: User,
    api_client: Callable[..., Any],
    today: date,
) -> None:
    bank, issuer = api_client(bank_a_user), api_client(guarantor_user)
    asked = ask(bank, approved, guarantor)
    assert asked.status_code == 201, asked.content
    gid = asked.json()["id"]
    issued = issuer.post_json(f"{URL}/{gid}/decision", {"decision": "issue"}).json()
    assert (issued["state"], issued["fee"]) == ("issued", None)  # not disbursed yet
    loans.loan_disburse(actor=bank_a_user, loan=approved, today=today)
    charged = bank.get(f"{URL}/{gid}").json()
    # 1,000,000 × 1.5 % × 12 / 12, dated the disbursement.
    assert (charged["fee"], charged["fee_charged_on"]) == ("15000.00", today.isoformat())
    early = bank.post_json(f"{URL}/{gid}/call", {})
    assert (early.status_code, early.json()["code"]) == (409, "loan_not_non_performing")
    loans.loan_classify_manual(
        actor=bank_a_user, loan=Loan.objects.get(pk=approved.pk), category="substandard",
        reason="借款人停产，现金流中断", today=today,
    )  # fmt: skip
    called = bank.post_json(f"{URL}/{gid}/call", {}).json()
    # 60 % of the 1,000,000.00 outstanding is 600,000.00: the cap, 500,000.00, is what is due.
    assert (called["state"], called["loss"], called["due"]) == ("called", "1000000.00", "500000.00")
    paid = issuer.post_json(f"{URL}/{gid}/pay", {}).json()
    assert (paid["state"], paid["paid"], paid["paid_on"]) == (
        "paid",
        "500000.00",
        today.isoformat(),
    )
    # The borrower repays 400,000.00 of principal after the call; the loan is still being
    # recovered, so the guarantee is not settled yet: what comes later would never reach the
    # guarantor.
    repaid = loans.loan_repay(
        actor=bank_a_user, loan=Loan.objects.get(pk=approved.pk), amount="400000.00", today=today
    )
    assert repaid.principal_part == Decimal("400000.00")
    pending = bank.post_json(f"{URL}/{gid}/recovery", {})
    assert (pending.status_code, pending.json()["code"]) == (409, "recovery_pending")
    loans.loan_classify_manual(
        actor=bank_a_user, loan=Loan.objects.get(pk=approved.pk), category="loss",
        reason="借款人已破产清算", today=today,
    )  # fmt: skip
    loans.loan_write_off(
        actor=bank_a_user, loan=Loan.objects.get(pk=approved.pk), reason="破产清算终结",
        today=today,
    )  # fmt: skip
    # Written off, its pledge may still be sold: not settled until the bank gives it up.
    still = bank.post_json(f"{URL}/{gid}/recovery", {})
    assert (still.status_code, still.json()["code"]) == (409, "recovery_pending")
    from ipfin.pledges.models import ReleaseBasisChoices
    from ipfin.pledges.services import pledge_release

    written_off = Loan.objects.select_related("pledge").get(pk=approved.pk)
    assert written_off.pledge is not None
    pledge_release(
        actor=bank_a_user, pledge=written_off.pledge, basis=ReleaseBasisChoices.PLEDGE_WAIVED,
        waive_security=True, reason="专利已无处置价值，放弃质权", today=today,
    )  # fmt: skip
    # A figure typed in is checked against the loan's record, nothing settled on it.
    typed = bank.post_json(f"{URL}/{gid}/recovery", {"proceeds": "0.00"})
    assert (typed.status_code, typed.json()["code"], typed.json()["recovered"]) == (
        422,
        "proceeds_mismatch",
        "400000.00",
    )
    settled = bank.post_json(f"{URL}/{gid}/recovery", {"proceeds": "400000.00"}).json()
    # The loss is now 600,000.00: 60 % is 360,000.00, so 140,000.00 goes back to the guarantor.
    assert (settled["state"], settled["proceeds"], settled["refund"]) == (
        "settled",
        "400000.00",
        "140000.00",
    )
    actions = list(
        AuditRecord.objects.filter(action__startswith="guarantee.").values_list("action", flat=True)
    )
    assert sorted(actions) == sorted(
        ["guarantee.request", "guarantee.issue", "guarantee.fee_charge", "guarantee.call",
         "guarantee.pay", "guarantee.recover"]
    )  # fmt: skip

    # The bank's refund comes in two instalments, each recorded by the guarantor; the bank is
    # not the one to record it, and no more than is owed back is taken.
    refund = f"{URL}/{gid}/refund-received"
    assert bank.post_json(refund, {"amount": "1.00"}).status_code == 403
    over = issuer.post_json(refund, {"amount": "140000.01"})
    assert (over.status_code, over.json()["code"], over.json()["outstanding"]) == (
        422,
        "refund_exceeds_due",
        "140000.00",
    )
    tomorrow = (today + timedelta(days=1)).isoformat()
    late = issuer.post_json(refund, {"amount": "1.00", "received_on": tomorrow})
    assert (late.status_code, late.json()["code"]) == (422, "date_in_future")
    first = issuer.post_json(refund, {"amount": "100000.00"}).json()
    assert (first["refund_received"], first["refund_received_on"]) == (
        "100000.00",
        today.isoformat(),
    )
    from django.test import Client

    page = Client()
    page.force_login(guarantor_user)
    shown = page.get(f"/guarantees/{gid}/").content.decode()
    assert "尚待返还 40,000.00 元" in shown and 'data-testid="refund-form"' in shown
    rest = issuer.post_json(refund, {"amount": "40000.00"}).json()
    assert rest["refund_received"] == "140000.00"
    done = issuer.post_json(refund, {"amount": "1.00"})
    assert (done.status_code, done.json()["code"]) == (409, "no_refund_due")
    assert 'data-testid="refund-form"' not in page.get(f"/guarantees/{gid}/").content.decode()
    receipts = AuditRecord.objects.filter(action="guarantee.refund_receive").order_by("id")
    assert [r.after["amount"] for r in receipts] == ["100000.00", "40000.00"]
    assert [r.after["refund_received"] for r in receipts] == ["100000.00", "140000.00"]
    from ipfin.accounts.models import Notification

    told = Notification.objects.filter(verb="guarantee.refund_receive")
    assert {n.organisation_id for n in told} == {approved.bank_id}
    assert told.count() == 2


def test_issued_on_a_disbursed_loan_the_fee_is_charged_at_once_dated_the_disbursement(
    approved: Loan,
    guarantor: Organisation,
    guarantor_user: User,
    bank_a_user: User,
    api_client: Callable[..., Any],
    today: date,
) -> None:
    start = today - timedelta(days=3)
    loans.loan_disburse(actor=bank_a_user, loan=approved, disbursed_on=start, today=today)
    gid = ask(api_client(bank_a_user), approved, guarantor, fee_rate="0.02").json()["id"]
    issued = api_client(guarantor_user).post_json(f"{URL}/{gid}/decision", {"decision": "issue"})
    assert (issued.json()["fee"], issued.json()["fee_charged_on"]) == (
        "20000.00",
        start.isoformat(),
    )


def test_a_guarantee_is_not_issued_on_a_loan_repaid_and_closed_since_the_request_issue16(
    approved: Loan,
    guarantor: Organisation,
    guarantor_user: User,
    bank_a_user: User,
    api_client: Callable[..., Any],
    today: date,
) -> None:
    """The borrower repays in full and the bank closes the loan while the request waits: the
    guarantor's issue is refused (409 `loan_state_invalid`), nothing issued, no fee charged for
    cover never given, nothing audited."""
    from ipfin.loans.selectors import loan_position

    start = today - timedelta(days=3)
    loans.loan_disburse(actor=bank_a_user, loan=approved, disbursed_on=start, today=today)
    gid = ask(api_client(bank_a_user), approved, guarantor).json()["id"]
    position = loan_position(Loan.objects.get(pk=approved.pk), today)
    assert position is not None
    loans.loan_repay(
        actor=bank_a_user,
        loan=Loan.objects.get(pk=approved.pk),
        amount=position.amount_to_settle,
        paid_on=today,
        today=today,
    )
    loans.loan_close(actor=bank_a_user, loan=Loan.objects.get(pk=approved.pk), today=today)
    refused = api_client(guarantor_user).post_json(f"{URL}/{gid}/decision", {"decision": "issue"})
    assert (refused.status_code, refused.json()["code"]) == (409, "loan_state_invalid")
    g = Guarantee.objects.get(pk=gid)
    assert (g.state, g.fee, g.fee_charged_on) == ("requested", None, None)
    assert not AuditRecord.objects.filter(action="guarantee.issue").exists()


def test_a_refusal_needs_its_reason_and_frees_the_loan_for_another_request(
    approved: Loan,
    guarantor: Organisation,
    guarantor_user: User,
    bank_a_user: User,
    api_client: Callable[..., Any],
) -> None:
    bank, issuer = api_client(bank_a_user), api_client(guarantor_user)
    gid = ask(bank, approved, guarantor).json()["id"]
    again = ask(bank, approved, guarantor)
    assert (again.status_code, again.json()["code"]) == (409, "guarantee_exists")
    bare = issuer.post_json(f"{URL}/{gid}/decision", {"decision": "decline"})
    assert (bare.status_code, bare.json()["field"]) == (422, "reason")
    declined = issuer.post_json(
        f"{URL}/{gid}/decision", {"decision": "decline", "reason": "反担保措施不足"}
    ).json()
    assert (declined["state"], declined["decline_reason"]) == ("declined", "反担保措施不足")
    assert ask(bank, approved, guarantor).status_code == 201
    twice = issuer.post_json(f"{URL}/{gid}/decision", {"decision": "issue"})
    assert (twice.status_code, twice.json()["code"]) == (409, "guarantee_state_invalid")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"share": "0"}, "share"),
        ({"share": "1.5"}, "share"),
        ({"cap": "0"}, "cap"),
        ({"cap": "1.005"}, "cap"),
        ({"fee_rate": "2"}, "fee_rate"),
    ],
)
def test_bad_terms_are_a_422_naming_the_field(
    approved: Loan,
    guarantor: Organisation,
    bank_a_user: User,
    api_client: Callable[..., Any],
    change: dict[str, str],
    field: str,
) -> None:
    response = ask(api_client(bank_a_user), approved, guarantor, **change)
    assert response.status_code == 422, response.content
    got = response.json()
    assert got.get("field") == field or field in str(got["detail"])


def test_each_party_sees_only_its_own(
    approved: Loan,
    guarantor: Organisation,
    guarantor_user: User,
    bank_a_user: User,
    bank_b_user: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    enterprise_a_user: User,
    api_client: Callable[..., Any],
) -> None:
    gid = ask(api_client(bank_a_user), approved, guarantor).json()["id"]
    other = make_user("other_guarantor", make_org(OrganisationKind.GUARANTOR, "另一担保公司"))
    for stranger in (bank_b_user, other, enterprise_a_user):
        client = api_client(stranger)
        assert client.get(f"{URL}/{gid}").status_code == 404
        assert client.get(URL).json() == []
    assert (
        api_client(other).post_json(f"{URL}/{gid}/decision", {"decision": "issue"}).status_code
        == 404
    )
    # Bank B may not ask for a guarantee on bank A's loan, nor a guarantor ask at all; the
    # document declares that 404 (the loan is named in the body, not the path).
    refused = ask(api_client(bank_b_user), approved, guarantor)
    assert (refused.status_code, refused.json()["code"]) == (404, "loan_not_found")
    declared = api_client().get("/api/schema").json()["paths"][URL]["post"]["responses"]
    assert "404" in declared
    assert ask(api_client(guarantor_user), approved, guarantor).status_code == 403
    assert api_client(guarantor_user).get(URL).json()[0]["id"] == gid
    assert Guarantee.objects.count() == 1


def test_minfadian_art692_art693_a_guarantee_is_called_within_its_period_or_not_at_all(
    approved: Loan,
    guarantor: Organisation,
    guarantor_user: User,
    bank_a_user: User,
    api_client: Callable[..., Any],
    today: date,
) -> None:
    """保证期间: six months after the loan falls due where none was agreed (art. 692 ¶2), the
    months agreed otherwise; a guarantee not called by its last day is discharged (art. 693 ¶2).
    A guarantee was called at any time: 20 months after its loan fell due, the guarantor was
    charged what the law no longer made it owe."""
    from ipfin.common.errors import Conflict
    from ipfin.guarantees.services import guarantee_call

    bank, issuer = api_client(bank_a_user), api_client(guarantor_user)
    for months in (0, 121, "六"):
        refused = ask(bank, approved, guarantor, period_months=months)
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_input")
    asked = ask(bank, approved, guarantor)
    assert asked.status_code == 201, asked.content
    assert (asked.json()["period_months"], asked.json()["period_end"]) == (6, None)
    gid = asked.json()["id"]
    issuer.post_json(f"{URL}/{gid}/decision", {"decision": "issue"})
    loans.loan_disburse(actor=bank_a_user, loan=approved, today=today)
    loan = Loan.objects.get(pk=approved.pk)
    assert loan.maturity_date is not None
    last_day = bank.get(f"{URL}/{gid}").json()["period_end"]
    assert last_day == add_months(loan.maturity_date, 6).isoformat()
    loans.loan_classify_manual(
        actor=bank_a_user, loan=loan, category="substandard", reason="借款人停产", today=today
    )
    g = Guarantee.objects.get(pk=gid)
    with pytest.raises(Conflict) as late:
        guarantee_call(
            actor=bank_a_user, guarantee=g, today=date.fromisoformat(last_day) + timedelta(days=1)
        )
    assert (late.value.code, late.value.extra["period_end"]) == (
        "guarantee_period_expired",
        last_day,
    )
    assert Guarantee.objects.get(pk=gid).state == "issued"
    called = guarantee_call(actor=bank_a_user, guarantee=g, today=date.fromisoformat(last_day))
    assert called.state == "called"
    page = api_client(guarantor_user).get(f"{URL}/{gid}").json()
    assert page["period_end"] == last_day


def _issued_and_defaulted(issuer: Any, gid: int, loan: Loan, bank_user: User, day: date) -> None:
    """The guarantee issued, its loan disbursed on `day` and classified 次级 the same day."""
    issuer.post_json(f"{URL}/{gid}/decision", {"decision": "issue"})
    loans.loan_disburse(actor=bank_user, loan=loan, today=day)
    loans.loan_classify_manual(
        actor=bank_user,
        loan=Loan.objects.get(pk=loan.pk),
        category="substandard",
        reason="借款人停产",
        today=day,
    )


def test_minfadian_art687_art693_a_general_guarantee_is_called_after_suit_and_enforcement(
    approved: Loan,
    guarantor: Organisation,
    guarantor_user: User,
    bank_a_user: User,
    api_client: Callable[..., Any],
    client_for: Callable[[User], Any],
    today: date,
) -> None:
    """The platform knew only joint-liability guarantees: a general guarantee (一般保证), the
    statute's reading of a contract silent on it (art. 686 ¶2), was called on default like a
    joint one, though its guarantor may refuse until the borrower was sued and enforcement left
    the debt unpaid (art. 687 ¶2), and it was refused after the period though the bank had sued
    the borrower within it (art. 693 ¶1: that, not the call, keeps a general guarantor bound).
    Now the request says which it is; a general guarantee's call states the suit's day and the
    enforcement's outcome, checked against the period; a joint one's takes neither."""
    bank, issuer = api_client(bank_a_user), api_client(guarantor_user)
    wrong = ask(bank, approved, guarantor, liability="both")
    assert (wrong.status_code, wrong.json()["code"]) == (422, "invalid_input")
    asked = ask(bank, approved, guarantor, liability="general")
    assert asked.status_code == 201, asked.content
    assert (asked.json()["liability"], asked.json()["liability_label"]) == ("general", "一般保证")
    gid = asked.json()["id"]
    _issued_and_defaulted(issuer, gid, approved, bank_a_user, today)
    call = f"{URL}/{gid}/call"
    bare = bank.post_json(call, {})
    assert (bare.status_code, bare.json()["code"], bare.json()["field"]) == (
        422,
        "sued_on_required",
        "sued_on",
    )
    sued = {"sued_on": today.isoformat()}
    unenforced = bank.post_json(call, sued)
    assert (unenforced.status_code, unenforced.json()["code"]) == (422, "enforcement_required")
    future = {"sued_on": (today + timedelta(days=1)).isoformat(), "enforcement_ref": "x"}
    assert bank.post_json(call, future).json()["code"] == "date_in_future"
    assert Guarantee.objects.get(pk=gid).state == "issued"
    # The UI's call form asks the same, its refusal next to the field.
    page = client_for(bank_a_user)
    form = page.get(f"/guarantees/{gid}/").content.decode()
    assert "一般保证" in form and 'name="sued_on"' in form and 'name="enforcement_ref"' in form
    refused = page.post(f"/guarantees/{gid}/call/", {"sued_on": today.isoformat()})
    assert refused.status_code == 400 and "errorlist" in refused.content.decode()
    called = bank.post_json(call, {**sued, "enforcement_ref": "（2026）京0108执恢123号终本裁定"})
    assert called.status_code == 200, called.content
    body = called.json()
    assert (body["state"], body["sued_on"]) == ("called", today.isoformat())
    assert body["enforcement_ref"] == "（2026）京0108执恢123号终本裁定"
    record = AuditRecord.objects.filter(action="guarantee.call").get()
    assert record.after["sued_on"] == today.isoformat() and record.after["liability"] == "general"


def test_minfadian_art693_a_general_guarantee_sued_within_the_period_is_called_after_it(
    approved: Loan,
    guarantor: Organisation,
    guarantor_user: User,
    bank_a_user: User,
    api_client: Callable[..., Any],
    today: date,
) -> None:
    """Sued within the period, the bank calls after it; sued after it, the guarantor is
    discharged (409 naming the period's end); a joint guarantee takes no suit."""
    from ipfin.common.errors import Conflict
    from ipfin.guarantees.services import guarantee_call

    bank, issuer = api_client(bank_a_user), api_client(guarantor_user)
    gid = ask(bank, approved, guarantor, liability="general").json()["id"]
    _issued_and_defaulted(issuer, gid, approved, bank_a_user, today)
    last_day = date.fromisoformat(bank.get(f"{URL}/{gid}").json()["period_end"])
    later = last_day + timedelta(days=200)
    g = Guarantee.objects.get(pk=gid)
    with pytest.raises(Conflict) as late:
        guarantee_call(
            actor=bank_a_user, guarantee=g, today=later,
            sued_on=last_day + timedelta(days=1), enforcement_ref="终本裁定",
        )  # fmt: skip
    assert (late.value.code, late.value.extra["period_end"]) == (
        "guarantee_period_expired",
        last_day.isoformat(),
    )
    called = guarantee_call(
        actor=bank_a_user, guarantee=g, today=later, sued_on=last_day, enforcement_ref="终本裁定"
    )
    assert called.state == "called" and called.sued_on == last_day


def test_minfadian_art688_a_joint_guarantee_is_called_without_a_suit(
    approved: Loan,
    guarantor: Organisation,
    guarantor_user: User,
    bank_a_user: User,
    api_client: Callable[..., Any],
    today: date,
) -> None:
    """A joint-liability guarantee (the default) is called on default as it was; a suit or an
    enforcement stated with it is refused rather than stored as if it mattered."""
    bank, issuer = api_client(bank_a_user), api_client(guarantor_user)
    asked = ask(bank, approved, guarantor).json()
    assert (asked["liability"], asked["liability_label"]) == ("joint", "连带责任保证")
    _issued_and_defaulted(issuer, asked["id"], approved, bank_a_user, today)
    call = f"{URL}/{asked['id']}/call"
    for extra in ({"sued_on": today.isoformat()}, {"enforcement_ref": "终本裁定"}):
        refused = bank.post_json(call, extra)
        assert (refused.status_code, refused.json()["code"]) == (422, "not_general_guarantee")
    called = bank.post_json(call, {})
    assert called.status_code == 200 and called.json()["sued_on"] is None
