"""The examiner's desk over the API (issue 13): POST /pledges/{id}/claim, /assign, /unclaim and
the same for change applications, every status each can answer, and the OpenAPI document
declaring them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, Role, User
from ipfin.api import api
from ipfin.pledges.models import Pledge
from ipfin.pledges.tests.desk_cases import change_waiting

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def examiner_b(make_user: Callable[..., User], ip_office: Organisation) -> User:
    return make_user("examiner_b", ip_office, Role.EXAMINER)


def test_claim_then_a_second_claim_is_a_409_naming_the_holder(
    api_client: Callable[..., Any], examiner: User, examiner_b: User, pledge: Pledge
) -> None:
    first = api_client(examiner).post_json(f"{API}/pledges/{pledge.pk}/claim")
    assert first.status_code == 200
    body = first.json()
    assert body["assignee"] == "examiner" and body["assigned_at"]
    second = api_client(examiner_b).post_json(f"{API}/pledges/{pledge.pk}/claim")
    assert second.status_code == 409
    assert second.json()["code"] == "case_already_claimed"
    assert second.json()["assignee"] == "examiner"
    refused = api_client(examiner_b).post_json(
        f"{API}/pledges/{pledge.pk}/decision", {"decision": "reject", "reason": "不符合条件"}
    )
    assert refused.status_code == 409 and refused.json()["code"] == "case_claimed_by_other"
    pledge.refresh_from_db()
    assert pledge.state == "submitted" and pledge.assignee_id == examiner.pk


def test_claim_refusals(
    api_client: Callable[..., Any],
    examiner: User,
    bank_a_user: User,
    bank_b_user: User,
    make_pledge: Callable[..., Pledge],
    pledge: Pledge,
) -> None:
    assert api_client(None).post_json(f"{API}/pledges/{pledge.pk}/claim").status_code == 401
    assert api_client(bank_a_user).post_json(f"{API}/pledges/{pledge.pk}/claim").status_code == 403
    assert api_client(bank_b_user).post_json(f"{API}/pledges/{pledge.pk}/claim").status_code == 404
    assert api_client(examiner).post_json(f"{API}/pledges/999999/claim").status_code == 404
    unconfirmed = make_pledge(confirm=False)
    not_open = api_client(examiner).post_json(f"{API}/pledges/{unconfirmed.pk}/claim")
    assert not_open.status_code == 409 and not_open.json()["code"] == "case_not_open"
    pledge.refresh_from_db()
    unconfirmed.refresh_from_db()
    assert pledge.assignee_id is None and unconfirmed.assignee_id is None


def test_assign_and_reassign_by_an_administrator(
    api_client: Callable[..., Any],
    examiner: User,
    examiner_b: User,
    office_admin: User,
    office_user: User,
    pledge: Pledge,
) -> None:
    admin = api_client(office_admin)
    api_client(examiner).post_json(f"{API}/pledges/{pledge.pk}/claim")
    moved = admin.post_json(f"{API}/pledges/{pledge.pk}/assign", {"assignee": "examiner_b"})
    assert moved.status_code == 200 and moved.json()["assignee"] == "examiner_b"
    for who in ("office", "bank_a", "nobody"):
        bad = admin.post_json(f"{API}/pledges/{pledge.pk}/assign", {"assignee": who})
        assert bad.status_code == 422, who
        assert bad.json()["code"] == "assignee_invalid"
    empty = admin.post_json(f"{API}/pledges/{pledge.pk}/assign", {"assignee": ""})
    assert empty.status_code == 422
    by_examiner = api_client(examiner).post_json(
        f"{API}/pledges/{pledge.pk}/assign", {"assignee": "examiner"}
    )
    assert by_examiner.status_code == 403
    pledge.refresh_from_db()
    assert pledge.assignee_id == examiner_b.pk


def test_unclaim(
    api_client: Callable[..., Any],
    examiner: User,
    examiner_b: User,
    office_admin: User,
    pledge: Pledge,
) -> None:
    none = api_client(examiner).post_json(f"{API}/pledges/{pledge.pk}/unclaim")
    assert none.status_code == 409 and none.json()["code"] == "case_not_claimed"
    api_client(examiner).post_json(f"{API}/pledges/{pledge.pk}/claim")
    other = api_client(examiner_b).post_json(f"{API}/pledges/{pledge.pk}/unclaim")
    assert other.status_code == 403 and other.json()["code"] == "case_claimed_by_other"
    done = api_client(office_admin).post_json(f"{API}/pledges/{pledge.pk}/unclaim")
    assert done.status_code == 200 and done.json()["assignee"] is None


def test_change_applications_over_the_api(
    api_client: Callable[..., Any],
    examiner: User,
    examiner_b: User,
    office_admin: User,
    bank_a_user: User,
    bank_b_user: User,
    enterprise_a: Organisation,
    pledge: Pledge,
    today: date,
) -> None:
    change = change_waiting(
        examiner=examiner, bank_user=bank_a_user, pledgor=enterprise_a, pledge=pledge
    )
    registered = change.pledge
    url = f"{API}/pledge-changes/{change.pk}"
    assert api_client(bank_b_user).post_json(f"{url}/claim").status_code == 404
    claimed = api_client(examiner).post_json(f"{url}/claim")
    assert claimed.status_code == 200 and claimed.json()["assignee"] == "examiner"
    again = api_client(examiner_b).post_json(f"{url}/claim")
    assert again.status_code == 409
    moved = api_client(office_admin).post_json(f"{url}/assign", {"assignee": "examiner_b"})
    assert moved.status_code == 200 and moved.json()["assignee"] == "examiner_b"
    released = api_client(examiner_b).post_json(f"{url}/unclaim")
    assert released.status_code == 200 and released.json()["assignee"] is None
    detail = api_client(examiner).get(f"{API}/pledges/{registered.pk}").json()
    assert detail["changes"][0]["assignee"] is None and detail["assignee"] is None


@pytest.mark.parametrize(
    "path",
    [
        "/pledges/{pledge_id}/claim",
        "/pledges/{pledge_id}/assign",
        "/pledges/{pledge_id}/unclaim",
        "/pledge-changes/{change_id}/claim",
        "/pledge-changes/{change_id}/assign",
        "/pledge-changes/{change_id}/unclaim",
    ],
)
def test_the_document_declares_every_status_of_the_desk(path: str) -> None:
    operation = api.get_openapi_schema()["paths"][f"{API}{path}"]["post"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(operation["responses"])
    assert operation["description"] or operation.get("summary")


def test_the_desk_over_the_api_with_the_queues_filters(
    api_client: Callable[..., Any],
    examiner: User,
    bank_a_user: User,
    bank_b_user: User,
    enterprise_a: Organisation,
    make_pledge: Callable[..., Pledge],
    count_queries: Callable[[Callable[[], object]], int],
) -> None:
    client = api_client(examiner)
    mine = make_pledge()
    client.post_json(f"{API}/pledges/{mine.pk}/claim")
    change = change_waiting(examiner=examiner, bank_user=bank_a_user, pledgor=enterprise_a)
    both = client.get(f"{API}/pledges/cases")
    assert both.status_code == 200
    body = both.json()
    assert body["total"] == 2
    assert {(c["kind"], c["id"]) for c in body["items"]} == {
        ("registration", mine.pk),
        ("change", change.pk),
    }
    registration = next(c for c in body["items"] if c["kind"] == "registration")
    assert registration["assignee"] == "examiner" and registration["state_label"] == "待审查"
    assert registration["debt_amount"] == "5000000.00" and registration["rights"]
    assert next(c for c in body["items"] if c["kind"] == "change")["change"] == {
        "debt_amount": "6000000.00"
    }
    only_mine = client.get(f"{API}/pledges/cases?claim=mine").json()
    assert [(c["kind"], c["id"]) for c in only_mine["items"]] == [("registration", mine.pk)]
    changes = client.get(f"{API}/pledges/cases?kind=change&sort=-amount&limit=1").json()
    assert changes["total"] == 1 and changes["items"][0]["id"] == change.pk
    bad = client.get(f"{API}/pledges/cases?status=pending")
    assert bad.status_code == 422 and bad.json()["code"] == "status_invalid"
    assert "submitted" in bad.json()["allowed"]
    assert client.get(f"{API}/pledges/cases?within_days=0").status_code == 422
    assert client.get(f"{API}/pledges/cases?sort=price").json()["code"] == "sort_invalid"
    assert api_client(bank_a_user).get(f"{API}/pledges/cases").status_code == 403
    assert api_client(None).get(f"{API}/pledges/cases").status_code == 401
    # A fixed number of queries whatever the number of cases.
    few = count_queries(lambda: client.get(f"{API}/pledges/cases?status=all"))
    for _ in range(3):
        make_pledge()
        change_waiting(examiner=examiner, bank_user=bank_b_user, pledgor=enterprise_a)
    many = count_queries(lambda: client.get(f"{API}/pledges/cases?status=all"))
    assert client.get(f"{API}/pledges/cases?status=all").json()["total"] > 8
    assert few == many
