"""Who reads an enterprise's credit profile and "IP + credit" score (GET/PUT
/api/v1/enterprises/{uscc}/credit-score): the enterprise itself, the supervisors (IP office,
regulators), and a bank only for an enterprise it deals with — a pledge or pledge application
naming it as pledgee that the enterprise filed or confirmed, a loan application the enterprise
made to it, a demand pushed to it, an entry of a published white-list batch pushed to it
(`ipfin.accounts.permissions.customer_scope`). Any other bank gets the 404 an unknown credit code
gets, and its update changes nothing. Before, any bank read any enterprise's profile by its credit
code; later, a bank still could by filing a pledge application or recording a loan application
naming it, alone."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from ipfin.accounts import customers
from ipfin.accounts.domain import make_uscc
from ipfin.accounts.models import Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import NotFound
from ipfin.demo.scenarios.catalogue import BANK_A_LOAN
from ipfin.financing.services import demand_file, demand_push, product_publish
from ipfin.loans.services import loan_apply
from ipfin.pledges.models import Pledge
from ipfin.pledges.samples import other_party_confirms
from ipfin.pledges.tests.factories import signer_for
from ipfin.registry.models import Right
from ipfin.valuation.models import EnterpriseCreditProfile
from ipfin.valuation.selectors import credit_score_get
from ipfin.whitelist import services as whitelist

pytestmark = pytest.mark.django_db

RELATIONS = ("pledge", "loan", "demand", "whitelist")


def _url(uscc: str | None) -> str:
    return f"/api/v1/enterprises/{uscc}/credit-score"


def _put(api: Any, uscc: str | None, body: dict[str, Any]) -> Any:
    return api.put(_url(uscc), json.dumps(body), content_type="application/json")


@pytest.fixture
def profiled(enterprise_a: Organisation) -> Organisation:
    """enterprise_a with a credit profile (rating A), as the white-list tests make one."""
    EnterpriseCreditProfile.objects.create(organisation=enterprise_a, credit_rating="A")
    return enterprise_a


@pytest.fixture
def deal(
    bank_a_user: User,
    enterprise_a_user: User,
    office_user: User,
    bank_a: Organisation,
    make_right: Callable[..., Right],
    submit: Callable[..., Any],
) -> Callable[[str], None]:
    """Makes enterprise_a bank_a's customer by one relation, through the real services."""

    def make(relation: str) -> None:
        org = enterprise_a_user.organisation
        assert org is not None and org.uscc is not None
        if relation == "pledge":  # filed by the bank, confirmed by the enterprise, not registered
            submit([make_right()])
        elif relation == "loan":
            loan_apply(
                actor=enterprise_a_user,
                enterprise_uscc=org.uscc,
                product_version_id=None,
                bank_id=bank_a.pk,
                amount="500000",
                months=12,
                method="annuity",
            )
        elif relation == "demand":
            terms = {**BANK_A_LOAN, "description": "知识产权质押贷款"}
            product_publish(actor=bank_a_user, code="A", kind="loan", name="质押贷", terms=terms)
            demand = demand_file(
                actor=enterprise_a_user,
                enterprise_uscc=org.uscc,
                amount="1000000.00",
                term_months=12,
                purpose="研发投入",
                rights=[make_right().number],
            )
            assert [r.bank_id for r in demand_push(actor=enterprise_a_user, demand=demand)] == [
                bank_a.pk
            ]
        else:
            rule = whitelist.rule_create(actor=office_user, name="全部有画像企业")
            batch = whitelist.batch_create(actor=office_user, rule=rule, title="第一批")
            assert list(batch.entries.values_list("enterprise_id", flat=True)) == [org.pk]
            whitelist.batch_publish(actor=office_user, batch=batch)
            whitelist.batch_push(actor=office_user, batch=batch, bank_ids=[bank_a.pk])

    return make


def test_every_relation_is_provided() -> None:
    assert customers.provided() == ("financing", "loans", "pledges", "whitelist")


def test_a_bank_with_no_dealings_gets_404_for_the_credit_profile(
    profiled: Organisation, bank_b_api: Any, bank_b_user: User
) -> None:
    unknown = bank_b_api.get(_url(make_uscc(seq=515_151)))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "enterprise_not_found")
    resp = bank_b_api.get(_url(profiled.uscc))
    assert (resp.status_code, resp.json()["code"]) == (404, "enterprise_not_found")
    resp = _put(bank_b_api, profiled.uscc, {"credit_rating": "C"})
    assert (resp.status_code, resp.json()["code"]) == (404, "enterprise_not_found")
    assert EnterpriseCreditProfile.objects.get(organisation=profiled).credit_rating == "A"
    assert not AuditRecord.objects.filter(action="valuation.credit_profile_update").exists()
    with pytest.raises(NotFound):
        credit_score_get(actor=bank_b_user, uscc=profiled.uscc or "")


@pytest.mark.parametrize("relation", RELATIONS)
def test_a_bank_reads_the_credit_profile_of_an_enterprise_it_deals_with(
    relation: str,
    profiled: Organisation,
    deal: Callable[[str], None],
    bank_a_api: Any,
    bank_b_api: Any,
) -> None:
    assert bank_a_api.get(_url(profiled.uscc)).status_code == 404  # not yet its customer
    deal(relation)
    resp = bank_a_api.get(_url(profiled.uscc))
    assert resp.status_code == 200, resp.content
    assert resp.json()["profile"]["credit_rating"] == "A"
    assert bank_b_api.get(_url(profiled.uscc)).status_code == 404  # still not bank B's


def test_the_enterprise_the_office_and_a_regulator_with_a_case_read_it_another_does_not(
    profiled: Organisation,
    api_client: Callable[..., Any],
    enterprise_a_user: User,
    enterprise_b_user: User,
    examiner: User,
    regulator_user: User,
    open_case: Callable[[Organisation], Any],
) -> None:
    # DOMAIN.md, Roles: a regulator reads aggregates; one enterprise's profile only under a case.
    assert api_client(regulator_user).get(_url(profiled.uscc)).status_code == 404
    open_case(profiled)
    for reader in (enterprise_a_user, examiner, regulator_user):
        assert api_client(reader).get(_url(profiled.uscc)).status_code == 200
    assert api_client(enterprise_b_user).get(_url(profiled.uscc)).status_code == 404
    assert api_client().get(_url(profiled.uscc)).status_code == 401


def test_an_application_the_bank_files_or_records_alone_reads_nothing_banjfa_art3(
    profiled: Organisation,
    bank_a_api: Any,
    bank_a_user: User,
    enterprise_a_user: User,
    make_right: Callable[..., Right],
    submit: Callable[..., Any],
) -> None:
    """专利权质押登记办法 art. 3: a pledge is registered on the two parties' joint application. A
    pledge application the bank filed and the enterprise has not confirmed, or a loan
    application the bank recorded, is the bank's word alone: it makes no customer of the
    enterprise named, else any bank could read any enterprise's credit profile by naming it."""
    from ipfin.pledges.services import pledge_decline, pledges_lapse_unconfirmed

    uscc = profiled.uscc or ""
    late = make_right()
    awaiting, _checks = submit([make_right()], confirm=False)
    declined, _checks = submit([make_right()], confirm=False)
    lapsed, _checks = submit([late], confirm=False)
    pledge_decline(actor=enterprise_a_user, pledge=declined, reason="未授权")
    assert pledges_lapse_unconfirmed(on=lapsed.confirm_by + timedelta(days=1), right_ids=[late.pk])
    assert set(Pledge.objects.values_list("state", flat=True)) == {
        "awaiting_confirmation",
        "declined",
        "lapsed",
    }
    loan_apply(
        actor=bank_a_user,
        enterprise_uscc=uscc,
        product_version_id=None,
        amount="500000",
        months=12,
        method="annuity",
    )
    resp = bank_a_api.get(_url(uscc))
    assert (resp.status_code, resp.json()["code"]) == (404, "enterprise_not_found")
    with pytest.raises(NotFound):
        credit_score_get(actor=bank_a_user, uscc=uscc)
    # The enterprise confirms the waiting one: now they deal with each other.
    signer_for(profiled)
    other_party_confirms(awaiting)
    assert bank_a_api.get(_url(uscc)).status_code == 200


def test_a_loan_application_the_enterprise_makes_through_its_park_relates_it(
    profiled: Organisation,
    bank_a: Organisation,
    bank_a_api: Any,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> None:
    park = make_org("park", "高新区管委会")
    Organisation.objects.filter(pk=profiled.pk).update(park=park)
    loan_apply(
        actor=make_user("park_staff", park),
        enterprise_uscc=profiled.uscc or "",
        product_version_id=None,
        bank_id=bank_a.pk,
        amount="500000",
        months=12,
        method="annuity",
    )
    assert bank_a_api.get(_url(profiled.uscc)).status_code == 200
