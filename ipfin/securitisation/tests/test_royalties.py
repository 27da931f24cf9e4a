"""Licence-royalty receivables as a pool's assets (issue 16: "licence-royalty receivables (the
licence-back structure of the Pudong IP ABS deals)"), over the real HTTP stack: a bank records
the royalties a licensee owes on a licence the register records, and pools them; the pool's cash
flows are the royalties by month (no interest part), its balance what is still to come; each
refusal names its field; a bank sees only its own receivables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, User
from ipfin.registry.domain import add_months
from ipfin.registry.models import Right
from ipfin.registry.services import right_event_record
from ipfin.securitisation.tests.test_pool_api import body

pytestmark = pytest.mark.django_db
URL = "/api/v1/abs/royalties"


@pytest.fixture
def licensed(
    make_right: Callable[..., Right],
    examiner: User,
    enterprise_b: Organisation,
    today: date,
    submit: Callable[..., Any],
) -> Right:
    """Enterprise A's right, licensed (ordinary) to enterprise B, recorded today; enterprise A
    signed a pledge of another of its rights with bank A, none with bank B."""
    submit([make_right()])
    right = make_right()
    right_event_record(
        actor=examiner, right=right, type="licence", date=today,
        payload={
            "licence_type": "ordinary", "licensee": enterprise_b.name,
            "licensee_uscc": enterprise_b.uscc, "price": "360000.00",
        },
    )  # fmt: skip
    return right


def _payments(today: date, *amounts: str) -> list[dict[str, str]]:
    return [
        {"due_on": add_months(today, n).isoformat(), "amount": amount}
        for n, amount in enumerate(amounts, start=1)
    ]


def test_royalties_recorded_on_a_registered_licence_make_a_pool_issue16(
    licensed: Right,
    enterprise_a: Organisation,
    enterprise_b: Organisation,
    bank_a_user: User,
    bank_b_user: User,
    api_client: Callable[..., Any],
    today: date,
) -> None:
    bank = api_client(bank_a_user)
    made = bank.post_json(
        URL,
        {
            "number": licensed.number,
            "licensee_uscc": enterprise_b.uscc,
            "payments": _payments(today, "100000.00", "100000.00", "160000.00"),
        },
    )
    assert made.status_code == 201, made.content
    got = made.json()
    assert (got["licensor"]["id"], got["licensee"]["id"], got["total"]) == (
        enterprise_a.pk, enterprise_b.pk, "360000.00",
    )  # fmt: skip
    assert [r["id"] for r in bank.get(URL).json()] == [got["id"]]
    assert api_client(bank_b_user).get(URL).json() == []  # another bank's are not its
    pool = bank.post_json(
        "/api/v1/abs/pools/preview",
        body(assets="royalties", rules={"max_obligor_share": "1", "max_industry_share": "1"}),
    ).json()
    assert (pool["assets"], pool["loans"], pool["balance"]) == (
        "royalties", [got["id"]], "360000.00",
    )  # fmt: skip
    flows = [(c["principal"], c["interest"]) for c in pool["cash_flows"]]
    assert flows == [("100000.00", "0.00"), ("100000.00", "0.00"), ("160000.00", "0.00")]
    assert [t["balance"] for t in pool["tranches"]] == ["288000.00", "72000.00"]


def test_a_receivable_needs_the_registered_licence_and_future_dates_each_once(
    licensed: Right,
    make_right: Callable[..., Right],
    enterprise_b: Organisation,
    enterprise_a: Organisation,
    bank_a_user: User,
    enterprise_a_user: User,
    api_client: Callable[..., Any],
    today: date,
) -> None:
    bank = api_client(bank_a_user)
    good = {"number": licensed.number, "licensee_uscc": enterprise_b.uscc}
    # No licence of this right to enterprise A, nor of an unlicensed right to enterprise B.
    for wrong in (
        {"licensee_uscc": enterprise_a.uscc},
        {"number": make_right().number},
    ):
        refused = bank.post_json(URL, {**good, **wrong, "payments": _payments(today, "1.00")})
        assert (refused.status_code, refused.json()["code"]) == (422, "licence_not_recorded")
    past = [{"due_on": today.isoformat(), "amount": "1.00"}]
    refused = bank.post_json(URL, {**good, "payments": past})
    assert (refused.status_code, refused.json()["field"]) == (422, "payments[0].due_on")
    # Fifty years and a day ahead: a pool's columns would be as long as the caller liked.
    far = [{"due_on": add_months(today, 601).isoformat(), "amount": "1.00"}]
    refused = bank.post_json(URL, {**good, "payments": far})
    assert (refused.status_code, refused.json()["field"]) == (422, "payments[0].due_on")
    twice = _payments(today, "1.00") * 2
    refused = bank.post_json(URL, {**good, "payments": twice})
    assert (refused.status_code, refused.json()["field"]) == (422, "payments[1].due_on")
    assert (
        api_client(enterprise_a_user)
        .post_json(URL, {**good, "payments": _payments(today, "1.00")})
        .status_code
        == 403
    )
    assert bank.get(URL).json() == []


def test_a_licences_royalties_are_recorded_once_whichever_bank(
    licensed: Right,
    enterprise_b: Organisation,
    bank_a_user: User,
    bank_b_user: User,
    api_client: Callable[..., Any],
    today: date,
    submit: Callable[..., Any],
    make_right: Callable[..., Right],
) -> None:
    submit([make_right()], actor=bank_b_user)  # the licensor signed a pledge with each
    body = {
        "number": licensed.number,
        "licensee_uscc": enterprise_b.uscc,
        "payments": _payments(today, "1000.00"),
    }
    assert api_client(bank_a_user).post_json(URL, body).status_code == 201
    for bank in (bank_a_user, bank_b_user):
        again = api_client(bank).post_json(URL, body)
        assert (again.status_code, again.json()["code"]) == (409, "receivable_exists")


def test_only_a_bank_the_licensor_dealt_with_records_its_royalties_minfadian_art545(
    licensed: Right,
    enterprise_b: Organisation,
    bank_a_user: User,
    bank_b_user: User,
    api_client: Callable[..., Any],
    today: date,
    submit: Callable[..., Any],
    make_right: Callable[..., Right],
) -> None:
    """The royalties are the licensor's claim on the licensee (民法典 art. 545: the creditor
    assigns its claims): a bank the licensor never dealt with by its own act (a pledge it
    signed, a loan disbursed to it) is refused, naming the right, and records nothing; else it
    would hold the one receivable of the licence (409 `receivable_exists`) and keep the
    licensor's own bank out. A pledge application the bank files alone, unconfirmed, does not
    make the licensor one it dealt with."""
    good = {
        "number": licensed.number,
        "licensee_uscc": enterprise_b.uscc,
        "payments": _payments(today, "1000.00"),
    }
    stranger = api_client(bank_b_user)
    for attempt in ("no dealings", "an application of its own"):
        refused = stranger.post_json(URL, good)
        assert (refused.status_code, refused.json()["code"], refused.json()["field"]) == (
            422, "licensor_not_customer", "number",
        ), attempt  # fmt: skip
        submit([make_right()], actor=bank_b_user, confirm=False)
    assert stranger.get(URL).json() == []
    assert api_client(bank_a_user).post_json(URL, good).status_code == 201


def test_a_loan_counts_as_the_licensors_own_dealing_once_disbursed_not_when_only_recorded(
    enterprise_a: Organisation, bank_b_user: User, today: date
) -> None:
    """A loan application a bank records for an enterprise is the bank's act alone; a loan the
    bank disbursed to it is a dealing the enterprise took part in (`dealt_with_by_its_own_act`)."""
    from ipfin.loans.models import Loan
    from ipfin.loans.services import loan_apply
    from ipfin.securitisation.selectors import dealt_with_by_its_own_act

    bank = bank_b_user.organisation
    assert bank is not None
    loan = loan_apply(
        actor=bank_b_user, enterprise_uscc=enterprise_a.uscc or "", product_version_id=None,
        amount="100000.00", months=12, method="annuity",
    )  # fmt: skip
    assert not dealt_with_by_its_own_act(bank_id=bank.pk, enterprise_id=enterprise_a.pk)
    # Disbursed: the one step not through the services (the loan's approval and contract are
    # the loans app's tests' business).
    Loan.objects.filter(pk=loan.pk).update(disbursed_on=today)
    assert dealt_with_by_its_own_act(bank_id=bank.pk, enterprise_id=enterprise_a.pk)


def test_a_co_owned_rights_royalties_are_not_recorded_in_one_co_owners_name_zhuanlifa_art14(
    enterprise_a: Organisation,
    enterprise_b: Organisation,
    bank_a_user: User,
    examiner: User,
    api_client: Callable[..., Any],
    make_org: Callable[..., Organisation],
    make_right: Callable[..., Right],
    submit: Callable[..., Any],
    today: date,
) -> None:
    """专利法 art. 14: the royalties of a co-owned patent's licence are shared among the
    co-owners. The receivable named the first co-owner alone (and asked only its consent): it
    sold the others' shares too. Refused, naming the right; nothing recorded."""
    submit([make_right()])  # enterprise A deals with bank A by its own act
    partner = make_org("enterprise", "丙科技有限公司")
    shared = make_right(owners=[enterprise_a, partner])
    right_event_record(
        actor=examiner, right=shared, type="licence", date=today,
        payload={"licence_type": "ordinary", "licensee": enterprise_b.name,
                 "licensee_uscc": enterprise_b.uscc, "price": "100000.00"},
    )  # fmt: skip
    refused = api_client(bank_a_user).post_json(
        URL,
        {
            "number": shared.number,
            "licensee_uscc": enterprise_b.uscc,
            "payments": _payments(today, "1000.00"),
        },
    )
    assert (refused.status_code, refused.json()["code"], refused.json()["field"]) == (
        422, "co_owned_right", "number",
    )  # fmt: skip
    assert api_client(bank_a_user).get(URL).json() == []


def test_no_royalty_of_a_dead_right_nor_past_its_term_is_recorded_zhuanlifa_art47(
    licensed: Right,
    enterprise_b: Organisation,
    bank_a_user: User,
    examiner: User,
    api_client: Callable[..., Any],
    today: date,
) -> None:
    """200,000.00 of royalties on a patent invalidated as a whole were recorded and pooled as
    performing (专利法 art. 47: deemed never to have existed, nothing more is owed on its
    licence); a royalty due after the right's term was taken too. Both are 422s naming the
    field now."""
    from ipfin.registry.selectors import right_status

    bank = api_client(bank_a_user)
    good = {"number": licensed.number, "licensee_uscc": enterprise_b.uscc}
    expiry = right_status(licensed, on=today).expiry_date
    assert expiry is not None
    late = [{"due_on": expiry.isoformat(), "amount": "1.00"}]
    refused = bank.post_json(URL, {**good, "payments": late})
    assert (refused.status_code, refused.json()["code"], refused.json()["field"]) == (
        422,
        "due_after_expiry",
        "payments[0].due_on",
    )
    right_event_record(
        actor=examiner, right=licensed, type="invalidated", date=today, payload={"scope": "whole"}
    )
    refused = bank.post_json(URL, {**good, "payments": _payments(today, "200000.00")})
    assert (refused.status_code, refused.json()["code"], refused.json()["field"]) == (
        422,
        "right_not_in_force",
        "number",
    )
    assert bank.get(URL).json() == []
