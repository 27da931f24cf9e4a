"""The annuity deposits (预缴年费) over the real HTTP stack: POST and GET
/api/v1/pledges/{pledge_id}/annuity-deposits, every status they answer, money as strings with two
decimals, who may read them, and a list read in a fixed number of queries.

Source: issue 12 (seed 000, not on disk; the issue states it) and DOMAIN.md's Annuities rule;
the years and fees of 专利法实施细则 2023 r. 115 and 专利收费标准 (full fees: 费减 not applied).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from ipfin.accounts.models import Organisation, User
from ipfin.pledges.models import AnnuityDeposit
from ipfin.pledges.services import annuity_deposit_create, annuity_deposit_draw, pledge_release
from ipfin.pledges.tests.conftest import DepositCase
from ipfin.registry.models import Right
from ipfin.registry.services import right_event_record

pytestmark = pytest.mark.django_db

Client = Callable[[User | None], Any]


def _url(case: DepositCase) -> str:
    return f"/api/v1/pledges/{case.pledge.pk}/annuity-deposits"


@pytest.fixture
def enterprise_signer(enterprise_a: Organisation, deposit_case: DepositCase) -> User:
    signer = User.objects.filter(organisation=enterprise_a).order_by("pk").first()
    assert signer is not None
    return signer


def test_post_answers_201_with_the_years_due_dates_amounts_and_total_shishi_xize_r115_issue12(
    deposit_case: DepositCase, bank_a_api: Any, bank_a: Organisation
) -> None:
    # Made today: year 3 fell due ten days ago (in its grace period, for the owner to pay with
    # the late fee); year 4 is the one due in the term from today on.
    response = bank_a_api.post_json(_url(deposit_case), {"right_number": deposit_case.right.number})
    assert response.status_code == 201, response.content
    data = response.json()
    deposit = AnnuityDeposit.objects.get()
    assert data == {
        "id": deposit.pk,
        "pledge_id": deposit_case.pledge.pk,
        "right_number": deposit_case.right.number,
        "depositor": {"id": bank_a.pk, "name": bank_a.name},
        "created_on": timezone.localdate().isoformat(),
        "total": "1200.00",
        "paid": "0.00",
        "live": True,
        "refunded_on": None,
        "refund_amount": None,
        "years": [
            {
                "year": 4,
                "due_date": deposit_case.due[4].isoformat(),
                "amount": "1200.00",
                "outcome": None,
                "drawn_on": None,
                "event_id": None,
            }
        ],
    }


def test_get_shows_the_parties_and_the_office_what_was_paid_and_refunded_issue12(
    deposit_case: DepositCase,
    bank_a_user: User,
    enterprise_signer: User,
    examiner: User,
    api_client: Client,
) -> None:
    annuity_deposit_create(
        actor=enterprise_signer,
        pledge=deposit_case.pledge,
        right_number=deposit_case.right.number,
        today=deposit_case.registered_on,
    )
    annuity_deposit_draw(on=timezone.localdate())
    pledge_release(actor=bank_a_user, pledge=deposit_case.pledge)
    for reader in (bank_a_user, enterprise_signer, examiner):
        response = api_client(reader).get(_url(deposit_case))
        assert response.status_code == 200, (reader, response.content)
        data = response.json()
        assert data["count"] == 1
        (item,) = data["items"]
        assert (item["total"], item["paid"], item["refund_amount"]) == (
            "2100.00",
            "900.00",
            "1200.00",
        )
        assert item["live"] is False
        assert item["refunded_on"] == timezone.localdate().isoformat()
        assert [(y["year"], y["amount"], y["outcome"]) for y in item["years"]] == [
            (3, "900.00", "paid"),
            (4, "1200.00", None),
        ]
        assert item["years"][0]["drawn_on"] == deposit_case.due[3].isoformat()
        assert item["years"][0]["event_id"] is not None


def test_the_pledgor_posts_too_issue12(
    deposit_case: DepositCase, enterprise_signer: User, api_client: Client
) -> None:
    response = api_client(enterprise_signer).post_json(
        _url(deposit_case), {"right_number": deposit_case.right.number}
    )
    assert response.status_code == 201, response.content
    assert response.json()["depositor"]["id"] == enterprise_signer.organisation_id


def test_another_tenant_gets_404_and_nobody_401_issue12(
    deposit_case: DepositCase,
    bank_b_api: Any,
    api_client: Client,
    regulator_user: User,
) -> None:
    body = {"right_number": deposit_case.right.number}
    for client in (bank_b_api, api_client(regulator_user)):
        assert client.get(_url(deposit_case)).status_code == 404
        response = client.post_json(_url(deposit_case), body)
        assert response.status_code == 404, response.content
        assert response.json()["code"] == "pledge_not_found"
    anonymous = api_client(None)
    assert anonymous.get(_url(deposit_case)).status_code == 401
    assert anonymous.post_json(_url(deposit_case), body).status_code == 401
    assert not AnnuityDeposit.objects.exists()


def test_refusals_answer_409_and_422_with_their_codes_issue12(
    deposit_case: DepositCase,
    bank_a_api: Any,
    examiner: User,
    make_right: Callable[..., Right],
    make_pledge: Callable[..., Any],
) -> None:
    url = _url(deposit_case)
    other = make_right()
    response = bank_a_api.post_json(url, {"right_number": other.number})
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "right_not_in_pledge"
    assert response.json()["field"] == "right_number"
    assert bank_a_api.post_json(url, {}).status_code == 422  # no right named
    assert bank_a_api.post_json(url, {"right_number": deposit_case.right.number}).status_code == 201
    response = bank_a_api.post_json(url, {"right_number": deposit_case.right.number})
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "annuity_deposit_exists"
    # An application not registered yet (民法典 art. 444: no pledge before registration).
    pending = make_pledge()
    response = bank_a_api.post_json(
        f"/api/v1/pledges/{pending.pk}/annuity-deposits",
        {"right_number": pending.items.get().right.number},
    )
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "pledge_not_in_force"
    assert AnnuityDeposit.objects.count() == 1


def test_nothing_to_cover_is_a_409_issue12(
    deposit_case: DepositCase, bank_a_api: Any, examiner: User
) -> None:
    right_event_record(
        actor=examiner,
        right=deposit_case.right,
        type="annuity_paid",
        date=timezone.localdate(),
        payload={"year": 4},
    )
    response = bank_a_api.post_json(_url(deposit_case), {"right_number": deposit_case.right.number})
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "nothing_to_cover"


def test_the_list_reads_in_the_same_number_of_queries_for_one_or_three_deposits(
    make_deposit_case: Callable[..., DepositCase],
    bank_a_user: User,
    bank_a_api: Any,
    count_queries: Callable[[Callable[[], object]], int],
) -> None:
    def deposited(rights: int) -> str:
        case = make_deposit_case(rights=rights)
        for right in case.rights:
            annuity_deposit_create(
                actor=bank_a_user,
                pledge=case.pledge,
                right_number=right.number,
                today=case.registered_on,
            )
        annuity_deposit_draw(on=timezone.localdate())  # a year of each paid, with its event
        return _url(case)

    def read(url: str, count: int) -> Callable[[], object]:
        def go() -> object:
            response = bank_a_api.get(url)
            assert response.status_code == 200
            assert response.json()["count"] == count
            return response

        return go

    one, three = deposited(1), deposited(3)
    assert count_queries(read(one, 1)) == count_queries(read(three, 3))
