"""IP insurance over the real HTTP stack (issue 16): a co-insured policy's premium split to the
fen; 一园一保 for a park; pledge-financing guarantee insurance on a bank's loan paying its share of
the bank's loss within the sum insured; notice → assessment → payout split among the pool; each
party sees only its own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.audit.models import AuditRecord
from ipfin.insurance.models import Policy
from ipfin.loans.models import Loan
from ipfin.loans.tests.factories import bank_valuation, lend_on
from ipfin.stats.tests.conftest import _pledge

pytestmark = pytest.mark.django_db
URL = "/api/v1/insurance/policies"


@pytest.fixture
def insurers(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> list[User]:
    return [
        make_user(f"insurer_{i}", make_org(OrganisationKind.INSURER, name))
        for i, name in enumerate(("示范财产保险", "第二财险", "第三财险"))
    ]


@pytest.fixture
def disbursed(
    make_org: Callable[..., Organisation],
    bank_a_user: User,
    examiner: User,
    make_right: Callable[..., Any],
    upload_contract: Callable[..., Any],
    today: date,
) -> Loan:
    borrower = make_org(name="甲科技有限公司")
    kw = {"examiner": examiner, "make_right": make_right, "upload_contract": upload_contract}
    pledge, right = _pledge(bank_user=bank_a_user, enterprise=borrower, today=today, **kw)
    return lend_on(
        bank_user=bank_a_user, enterprise=borrower, pledge=pledge,
        valuation=bank_valuation(bank_a_user, right), principal="800000.00", months=12,
        annual_rate="0.05", start=today,
    )  # fmt: skip


def term(today: date) -> dict[str, str]:
    return {"starts_on": today.isoformat(), "ends_on": (today + timedelta(days=365)).isoformat()}


def test_a_co_insured_policy_splits_its_premium_to_the_fen_issue16(
    insurers: list[User],
    enterprise_a: Organisation,
    api_client: Callable[..., Any],
    today: date,
) -> None:
    lead, second, third = insurers
    body = {
        "kind": "infringed_loss",
        "policyholder_id": enterprise_a.pk,
        "sum_insured": "333333.33",
        "rate": "0.015",  # 4,999.99995 → 5,000.00
        "deductible": "10000.00",
        **term(today),
        "co_insurers": [
            {"insurer_id": second.organisation_id, "share": "0.3333333333"},
            {"insurer_id": third.organisation_id, "share": "0.3333333333"},
        ],
    }
    response = api_client(lead).post_json(URL, body)
    assert response.status_code == 201, response.content
    got = response.json()
    assert (got["premium"], got["subject"]) == ("5000.00", "enterprise")
    parts = [(m["share"], m["premium_part"]) for m in got["members"]]
    # 5,000.00 × 0.3333333334 = 1,666.66666…; the two others 1,666.66666…: floors 1,666.66 each
    # and the two fen left go to the largest remainders, the lead's first (its share is largest).
    assert parts == [
        ("0.3333333334", "1666.67"),
        ("0.3333333333", "1666.67"),
        ("0.3333333333", "1666.66"),
    ]
    assert sum(Decimal(p) for _, p in parts) == Decimal("5000.00")
    # Every insurer of the pool and the policyholder see it; another enterprise does not.
    assert api_client(third).get(f"{URL}/{got['id']}").status_code == 200
    assert AuditRecord.objects.filter(action="insurance.policy_issue").count() == 1


def test_one_park_one_policy_and_refusals_naming_the_field(
    insurers: list[User],
    make_org: Callable[..., Organisation],
    api_client: Callable[..., Any],
    today: date,
) -> None:
    park = make_org(OrganisationKind.PARK, "示范园区")
    client = api_client(insurers[0])
    body = {"kind": "application_cost", "policyholder_id": park.pk, "sum_insured": "1000000",
            "rate": "0.002", **term(today)}  # fmt: skip
    got = client.post_json(URL, body).json()
    assert (got["subject"], got["premium"], got["members"][0]["share"]) == ("park", "2000.00", "1")
    for change, field in (
        ({"rate": "1.2"}, "rate"),
        (
            {"co_insurers": [{"insurer_id": insurers[1].organisation_id, "share": "1"}]},
            "co_insurers",
        ),
        ({"ends_on": (today - timedelta(days=1)).isoformat()}, "ends_on"),
        ({"rights": ["CN000000000.0"]}, "rights"),
        ({"kind": "pledge_guarantee"}, "loan_id"),
    ):
        refused = client.post_json(URL, {**body, **change})
        assert refused.status_code == 422, (change, refused.content)
        detail = refused.json()
        assert detail.get("field") == field or field in str(detail["detail"]), detail


def test_pledge_guarantee_insurance_pays_its_share_of_the_banks_loss_issue16(
    insurers: list[User],
    disbursed: Loan,
    bank_a_user: User,
    enterprise_a_user: User,
    api_client: Callable[..., Any],
    today: date,
) -> None:
    lead, second, _third = insurers
    body = {
        "kind": "pledge_guarantee",
        "loan_id": disbursed.pk,
        "policyholder_id": disbursed.enterprise_id,
        "beneficiary_id": disbursed.bank_id,
        "loss_share": "0.4",
        "sum_insured": "300000.00",
        "rate": "0.01",
        **term(today),
        "co_insurers": [{"insurer_id": second.organisation_id, "share": "0.3"}],
    }
    # A loan named with another borrower or bank is "not found", as a missing one is.
    for wrong in ({"beneficiary_id": lead.organisation_id}, {"policyholder_id": 999_999}):
        refused = api_client(lead).post_json(URL, {**body, **wrong})
        assert (refused.status_code, refused.json()["code"]) == (422, "loan_not_found")
    policy = api_client(lead).post_json(URL, body).json()
    assert policy["beneficiary"]["id"] == bank_a_user.organisation_id
    assert (policy["subject"], policy["premium"], policy["accepted_at"]) == (
        "loan",
        "3000.00",
        None,
    )
    pid = policy["id"]
    # Until the bank accepts it the policy covers nothing: no notice of a claim. The insurer
    # cannot accept it for the bank; the bank does, once.
    early = api_client(bank_a_user).post_json(
        f"{URL}/{pid}/claims", {"amount": "1.00", "description": "x"}
    )
    assert (early.status_code, early.json()["code"]) == (409, "policy_not_accepted")
    assert api_client(lead).post_json(f"{URL}/{pid}/accept").status_code == 403
    accepted = api_client(bank_a_user).post_json(f"{URL}/{pid}/accept")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["accepted_at"] is not None
    again = api_client(bank_a_user).post_json(f"{URL}/{pid}/accept")
    assert (again.status_code, again.json()["code"]) == (409, "policy_accepted")
    # The insurer cannot give notice on its own policy; the bank can.
    assert (
        api_client(lead)
        .post_json(f"{URL}/{pid}/claims", {"amount": "1.00", "description": "x"})
        .status_code
        == 403
    )
    notice = api_client(bank_a_user).post_json(
        f"{URL}/{pid}/claims",
        {"amount": "320000.00", "description": "借款人违约，质物处置后仍有损失"},
    )
    assert notice.status_code == 201, notice.content
    cid = notice.json()["id"]
    # The bank lost 800,000.00: 40 % is 320,000.00, within the 300,000.00 insured: 300,000.00,
    # split 70 / 30 between the lead and the co-insurer.
    assessed = (
        api_client(lead)
        .post_json(
            f"/api/v1/insurance/claims/{cid}/assessment", {"decision": "pay", "loss": "800000.00"}
        )
        .json()
    )
    assert (assessed["state"], assessed["payout"]) == ("assessed", "300000.00")
    assert assessed["parts"] == {
        str(lead.organisation_id): "210000.00",
        str(second.organisation_id): "90000.00",
    }
    paid = api_client(lead).post_json(f"/api/v1/insurance/claims/{cid}/pay", {}).json()
    assert (paid["state"], paid["paid_on"]) == ("paid", today.isoformat())
    assert Policy.objects.get(pk=pid).paid_out == Decimal("300000.00")
    # A second claim finds nothing left of the sum insured.
    again = (
        api_client(bank_a_user)
        .post_json(f"{URL}/{pid}/claims", {"amount": "10000.00", "description": "追加损失"})
        .json()
    )
    nothing = (
        api_client(lead)
        .post_json(
            f"/api/v1/insurance/claims/{again['id']}/assessment",
            {"decision": "pay", "loss": "100000.00"},
        )
        .json()
    )
    assert nothing["payout"] == "0.00"
    twice = api_client(lead).post_json(
        f"/api/v1/insurance/claims/{cid}/assessment", {"decision": "reject", "reason": "重复"}
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "claim_state_invalid")


def test_each_party_sees_only_its_own(
    insurers: list[User],
    enterprise_a: Organisation,
    enterprise_b_user: User,
    bank_b_user: User,
    api_client: Callable[..., Any],
    today: date,
) -> None:
    lead, second, _third = insurers
    body = {"kind": "enforcement", "policyholder_id": enterprise_a.pk, "sum_insured": "100000",
            "rate": "0.02", **term(today)}  # fmt: skip
    pid = api_client(lead).post_json(URL, body).json()["id"]
    for stranger in (second, enterprise_b_user, bank_b_user):
        client = api_client(stranger)
        assert client.get(f"{URL}/{pid}").status_code == 404
        assert client.get(URL).json() == []
        notice = client.post_json(f"{URL}/{pid}/claims", {"amount": "1.00", "description": "x"})
        assert notice.status_code in (403, 404)
    assert api_client(bank_b_user).post_json(URL, body).status_code == 403
