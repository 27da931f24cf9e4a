"""The pledge REST API over the real HTTP stack: every status code, the JSON contract, languages,
tenancy over every endpoint, and the full flow submit → correct → resubmit → approve → change →
release."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ipfin.accounts.models import Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.pledges.domain import Rule
from ipfin.pledges.models import Pledge, PledgeChange, PledgeDocument, PledgeItem
from ipfin.pledges.services import pledge_decide
from ipfin.pledges.services import pledge_submit as submit_service
from ipfin.pledges.services import pledge_withdraw as withdraw_service
from ipfin.registry.models import Right

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
Client = Callable[[User | None], Any]


def body(
    right_numbers: list[str], enterprise: Organisation, today: date, **kw: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "pledgor_uscc": enterprise.uscc,
        "rights": right_numbers,
        "debt_amount": "5000000.00",
        "term_start": today.isoformat(),
        "term_end": (today + timedelta(days=730)).isoformat(),
        "contract_no": "ZY-2026-001",
        "forfeiture_clause": False,
        "co_owner_consent": False,
    }
    data.update(kw)
    return data


@pytest.fixture
def enterprise_a_api(api_client: Callable[..., Any], enterprise_a_user: User) -> Any:
    return api_client(enterprise_a_user)


@pytest.fixture
def awaiting(
    bank_a_api: Any, right: Right, enterprise_a: Organisation, today: date
) -> dict[str, Any]:
    """Filed by bank A: awaiting enterprise A's confirmation (办法 arts. 3, 7)."""
    response = bank_a_api.post_json("/api/v1/pledges", body([right.number], enterprise_a, today))
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def filed(awaiting: dict[str, Any], enterprise_a_api: Any) -> dict[str, Any]:
    """Filed by bank A and confirmed by enterprise A: with the examiner."""
    response = enterprise_a_api.post_json(f"/api/v1/pledges/{awaiting['id']}/confirm")
    assert response.status_code == 200, response.content
    return response.json()


def upload_contract(client: Any, pledge_id: int) -> Any:
    """The pledgee uploads the contract PDF (multipart); the examiner may approve only then."""
    response = client.post(
        f"/api/v1/pledges/{pledge_id}/documents",
        {"file": SimpleUploadedFile("合同.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 201, response.content
    return response.json()


def ids(response: Any) -> list[int]:
    """The pledge ids of one page of GET /pledges."""
    assert response.status_code == 200, response.content
    return [p["id"] for p in response.json()["items"]]


@pytest.fixture
def registered(filed: dict[str, Any], bank_a_api: Any, examiner_api: Any) -> dict[str, Any]:
    upload_contract(bank_a_api, filed["id"])
    response = examiner_api.post_json(
        f"/api/v1/pledges/{filed['id']}/decision", {"decision": "approve"}
    )
    assert response.status_code == 200, response.content
    return response.json()


# --- POST /pledges -------------------------------------------------------------------------------


def test_submit_201_contract(filed: dict[str, Any], right: Right, today: date) -> None:
    assert filed["state"] == "submitted"
    assert isinstance(filed["id"], int)
    assert filed["debt_amount"] == "5000000.00"
    assert filed["registration_no"] is None
    assert filed["rights"] == [
        {"number": right.number, "kind": "invention", "title": right.title, "active": True}
    ]
    assert date.fromisoformat(filed["deadline"]) > today
    assert {c["rule"] for c in filed["checks"]} == {r.value for r in Rule}
    check = next(c for c in filed["checks"] if c["rule"] == "pledgor_is_owner")
    assert set(check) == {
        "rule",
        "passed",
        "blocking",
        "message",
        "message_zh",
        "message_en",
        "right",
    }
    assert check["passed"] is True and check["blocking"] is True
    assert check["message"] == check["message_zh"]
    assert check["right"] == right.number


def test_submit_in_english(
    bank_a_api: Any, right: Right, enterprise_a: Organisation, today: date
) -> None:
    response = bank_a_api.post_json(
        "/api/v1/pledges", body([right.number], enterprise_a, today), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 201
    for check in response.json()["checks"]:
        assert check["message"] == check["message_en"]


@pytest.mark.parametrize(
    ("amount", "text"), [(1234.5, "1234.50"), (1000, "1000.00"), ("88.8", "88.80")]
)
def test_debt_amount_string_or_number(
    bank_a_api: Any, right: Right, enterprise_a: Organisation, today: date, amount: Any, text: str
) -> None:
    response = bank_a_api.post_json(
        "/api/v1/pledges", body([right.number], enterprise_a, today, debt_amount=amount)
    )
    assert response.status_code == 201, response.content
    assert response.json()["debt_amount"] == text


@pytest.mark.parametrize(
    "amount", ["0", 0, -1, "1.234", 1.005, "1e3", "abc", True, None, [], "100000000000000"]
)
def test_bad_debt_amount_is_422(
    bank_a_api: Any, right: Right, enterprise_a: Organisation, today: date, amount: Any
) -> None:
    response = bank_a_api.post_json(
        "/api/v1/pledges", body([right.number], enterprise_a, today, debt_amount=amount)
    )
    assert response.status_code == 422, response.content
    assert "detail" in response.json()
    assert Pledge.objects.count() == 0


@pytest.mark.parametrize(
    "change",
    [
        {"term_end": "2026-02-30"},
        {"term_start": "not a date"},
        {"rights": []},
        {"rights": "201910123456.7"},
        {"pledgor_uscc": "91110108MA01ABCD1X"},
        {"contract_no": ""},
    ],
)
def test_bad_input_is_422_never_500(
    bank_a_api: Any, right: Right, enterprise_a: Organisation, today: date, change: dict[str, Any]
) -> None:
    response = bank_a_api.post_json(
        "/api/v1/pledges", body([right.number], enterprise_a, today, **change)
    )
    assert response.status_code == 422, response.content
    assert response.json()["detail"]
    assert Pledge.objects.count() == 0


def test_unknown_right_is_422_naming_it(
    bank_a_api: Any, enterprise_a: Organisation, today: date
) -> None:
    response = bank_a_api.post_json(
        "/api/v1/pledges", body(["201910999999.9"], enterprise_a, today)
    )
    assert response.status_code == 422
    assert response.json()["code"] == "right_not_found"
    assert response.json()["right"] == "201910999999.9"


def test_bad_uscc_422_has_the_validator_code(
    bank_a_api: Any, right: Right, enterprise_a: Organisation, today: date
) -> None:
    response = bank_a_api.post_json(
        "/api/v1/pledges", body([right.number], enterprise_a, today, pledgor_uscc="123")
    )
    assert response.status_code == 422
    assert response.json()["code"] == "uscc_length"


def test_blocking_rule_is_422_with_checks_and_nothing_stored(
    bank_a_api: Any, right: Right, enterprise_a: Organisation, today: date
) -> None:
    response = bank_a_api.post_json(
        "/api/v1/pledges",
        body(
            [right.number],
            enterprise_a,
            today,
            term_end=(today + timedelta(days=40 * 365)).isoformat(),
        ),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    data = response.json()
    assert data["code"] == "precheck_failed"
    assert "after the right expires" in data["detail"]
    failed = [c for c in data["checks"] if not c["passed"] and c["blocking"]]
    assert [c["rule"] for c in failed] == ["term_within_right"]
    assert failed[0]["message"] == failed[0]["message_en"]
    assert len(data["checks"]) == len(Rule)
    assert Pledge.objects.count() == 0
    assert not AuditRecord.objects.filter(action__startswith="pledge.").exists()


def test_already_pledged_is_409_with_checks(
    filed: dict[str, Any], bank_b_api: Any, right: Right, enterprise_a: Organisation, today: date
) -> None:
    response = bank_b_api.post_json("/api/v1/pledges", body([right.number], enterprise_a, today))
    assert response.status_code == 409
    data = response.json()
    assert data["code"] == "right_already_pledged"
    assert data["detail"]
    assert [c["rule"] for c in data["checks"] if not c["passed"]] == ["not_already_pledged"]
    assert all("message" in c for c in data["checks"])
    assert Pledge.objects.count() == 1


def test_precheck_endpoint_files_nothing(
    bank_a_api: Any, right: Right, enterprise_a: Organisation, today: date
) -> None:
    data = body([right.number], enterprise_a, today, forfeiture_clause=True)
    for key in ("debt_amount", "contract_no"):
        data.pop(key)
    response = bank_a_api.post_json("/api/v1/pledges/precheck", data)
    assert response.status_code == 200
    failed = [c["rule"] for c in response.json()["checks"] if not c["passed"]]
    assert failed == ["no_forfeiture_clause"]
    assert Pledge.objects.count() == 0


# --- authentication, permission, tenancy ---------------------------------------------------------


def _endpoints(pledge_id: int) -> list[tuple[str, str, Any]]:
    return [
        ("get", f"/api/v1/pledges/{pledge_id}", None),
        ("post", f"/api/v1/pledges/{pledge_id}/decision", {"decision": "reject", "reason": "x"}),
        ("post", f"/api/v1/pledges/{pledge_id}/release", {}),
        ("post", f"/api/v1/pledges/{pledge_id}/change", {"scope": "x", "reason": "y"}),
        ("post", f"/api/v1/pledges/{pledge_id}/resubmit", {}),
        ("post", f"/api/v1/pledges/{pledge_id}/withdraw", {}),
        ("upload", f"/api/v1/pledges/{pledge_id}/documents", None),
    ]


def _call(client: Any, method: str, path: str, data: Any) -> Any:
    if method == "get":
        return client.get(path)
    if method == "upload":
        return client.post(path, {"file": SimpleUploadedFile("c.pdf", PDF, "application/pdf")})
    return client.post_json(path, data)


def test_anonymous_gets_401_everywhere(api_client: Client, filed: dict[str, Any]) -> None:
    anonymous = api_client(None)
    for method, path, data in [
        *_endpoints(filed["id"]),
        ("get", "/api/v1/pledges", None),
        ("get", "/api/v1/pledges/queue", None),
        ("post", "/api/v1/pledges", {}),
    ]:
        response = _call(anonymous, method, path, data)
        assert response.status_code == 401, (method, path)
        assert response.json()["detail"]


def test_bad_token_is_401(filed: dict[str, Any]) -> None:
    from django.test import Client as DjangoClient

    client = DjangoClient(headers={"Authorization": "Bearer nope"})
    assert client.get(f"/api/v1/pledges/{filed['id']}").status_code == 401


def test_other_bank_gets_404_on_every_endpoint(filed: dict[str, Any], bank_b_api: Any) -> None:
    before = Pledge.objects.values().get(pk=filed["id"])
    for method, path, data in _endpoints(filed["id"]):
        response = _call(bank_b_api, method, path, data)
        assert response.status_code == 404, (method, path, response.content)
        assert response.json()["code"] == "pledge_not_found"
    assert bank_b_api.get("/api/v1/pledges").json() == {
        "total": 0,
        "limit": 50,
        "offset": 0,
        "items": [],
    }
    assert Pledge.objects.values().get(pk=filed["id"]) == before
    assert PledgeDocument.objects.count() == 0


def test_other_bank_gets_404_on_a_registered_pledge(
    registered: dict[str, Any], bank_b_api: Any
) -> None:
    for method, path, data in _endpoints(registered["id"]):
        assert _call(bank_b_api, method, path, data).status_code == 404, (method, path)
    assert Pledge.objects.get(pk=registered["id"]).state == "registered"


def test_pledgor_sees_its_own_and_acts_only_as_a_party(
    filed: dict[str, Any], api_client: Client, enterprise_a_user: User, enterprise_b_user: User
) -> None:
    """The pledgor is a party (办法 art. 3): it reads its applications, but the examiner decides,
    only the pledgee releases and uploads the contract (403), and a submitted application cannot
    be changed or resubmitted (409)."""
    own = api_client(enterprise_a_user)
    assert own.get(f"/api/v1/pledges/{filed['id']}").status_code == 200
    assert ids(own.get("/api/v1/pledges")) == [filed["id"]]
    expected = {"decision": 403, "release": 403, "documents": 403, "change": 409, "resubmit": 409}
    for method, path, data in _endpoints(filed["id"])[1:]:
        if path.endswith("/withdraw"):
            continue  # a party may withdraw: not tried here
        response = _call(own, method, path, data)
        assert response.status_code == expected[path.rsplit("/", 1)[-1]], (method, path)
    stranger = api_client(enterprise_b_user)
    assert stranger.get(f"/api/v1/pledges/{filed['id']}").status_code == 404
    assert ids(stranger.get("/api/v1/pledges")) == []
    assert Pledge.objects.get(pk=filed["id"]).state == "submitted"


def test_pledgee_cannot_decide_and_bank_has_no_queue(
    filed: dict[str, Any], bank_a_api: Any
) -> None:
    response = bank_a_api.post_json(
        f"/api/v1/pledges/{filed['id']}/decision", {"decision": "approve"}
    )
    assert response.status_code == 403
    assert bank_a_api.get("/api/v1/pledges/queue").status_code == 403
    assert Pledge.objects.get(pk=filed["id"]).state == "submitted"


def test_enterprise_files_naming_the_bank_banfa_art3(
    enterprise_a_api: Any,
    bank_a_api: Any,
    bank_a: Organisation,
    right: Right,
    enterprise_a: Organisation,
    today: date,
) -> None:
    """An enterprise may start the joint application, naming the pledgee bank; the bank confirms."""
    missing = enterprise_a_api.post_json(
        "/api/v1/pledges", body([right.number], enterprise_a, today)
    )
    assert missing.status_code == 422 and missing.json()["code"] == "pledgee_required"
    response = enterprise_a_api.post_json(
        "/api/v1/pledges", body([right.number], enterprise_a, today, pledgee_uscc=bank_a.uscc)
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["state"], data["initiator"]) == ("awaiting_confirmation", "pledgor")
    assert data["pledgee"]["id"] == bank_a.pk
    own = enterprise_a_api.post_json(f"/api/v1/pledges/{data['id']}/confirm")
    assert own.status_code == 403 and own.json()["code"] == "awaiting_other_party"
    confirmed = bank_a_api.post_json(f"/api/v1/pledges/{data['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "submitted"


def test_awaiting_confirmation_then_confirm_over_the_api_banfa_art3_art7(
    awaiting: dict[str, Any],
    enterprise_a_api: Any,
    bank_b_api: Any,
    examiner_api: Any,
    api_client: Client,
    enterprise_b_user: User,
    today: date,
) -> None:
    assert awaiting["state"] == "awaiting_confirmation"
    assert awaiting["deadline"] is None and awaiting["confirm_by"] > today.isoformat()
    assert "confirm" in awaiting["allowed_actions"] and "lapse" not in awaiting["allowed_actions"]
    # The pledgor reads the pre-check results before it signs.
    seen = enterprise_a_api.get(f"/api/v1/pledges/{awaiting['id']}").json()
    assert {c["rule"] for c in seen["checks"]} == {r.value for r in Rule}
    assert examiner_api.get("/api/v1/pledges/queue").json() == []
    undecidable = examiner_api.post_json(
        f"/api/v1/pledges/{awaiting['id']}/decision", {"decision": "reject", "reason": "x"}
    )
    assert undecidable.status_code == 409
    for stranger in (bank_b_api, api_client(enterprise_b_user)):
        assert stranger.post_json(f"/api/v1/pledges/{awaiting['id']}/confirm").status_code == 404
    confirmed = enterprise_a_api.post_json(f"/api/v1/pledges/{awaiting['id']}/confirm")
    assert confirmed.status_code == 200
    assert confirmed.json()["state"] == "submitted" and confirmed.json()["deadline"]
    assert [p["id"] for p in examiner_api.get("/api/v1/pledges/queue").json()] == [awaiting["id"]]
    again = enterprise_a_api.post_json(f"/api/v1/pledges/{awaiting['id']}/confirm")
    assert again.status_code == 409


def test_decline_over_the_api(awaiting: dict[str, Any], enterprise_a_api: Any) -> None:
    response = enterprise_a_api.post_json(
        f"/api/v1/pledges/{awaiting['id']}/decline", {"reason": "合同金额与约定不符"}
    )
    assert response.status_code == 200
    assert response.json()["state"] == "declined"
    assert response.json()["rights"][0]["active"] is False


def test_back_dated_effective_date_is_422_minfadian_art444(
    filed: dict[str, Any], bank_a_api: Any, examiner_api: Any, today: date
) -> None:
    upload_contract(bank_a_api, filed["id"])
    response = examiner_api.post_json(
        f"/api/v1/pledges/{filed['id']}/decision",
        {"decision": "approve", "effective_date": (today - timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "effective_date_invalid"
    assert "第四百四十四条" in response.json()["detail"]
    assert Pledge.objects.get(pk=filed["id"]).state == "submitted"
    approved = examiner_api.post_json(
        f"/api/v1/pledges/{filed['id']}/decision", {"decision": "approve"}
    )
    assert approved.json()["effective_date"] == today.isoformat()


def test_missing_pledge_is_404(examiner_api: Any) -> None:
    assert examiner_api.get("/api/v1/pledges/999999").status_code == 404


# --- lists and the queue -------------------------------------------------------------------------


def test_lists_are_per_tenant_and_examiner_sees_all(
    filed: dict[str, Any],
    enterprise_a_api: Any,
    bank_b_api: Any,
    bank_a_api: Any,
    examiner_api: Any,
    make_right: Callable[..., Right],
    enterprise_a: Organisation,
    today: date,
) -> None:
    other = bank_b_api.post_json(
        "/api/v1/pledges", body([make_right().number], enterprise_a, today)
    ).json()
    other = enterprise_a_api.post_json(f"/api/v1/pledges/{other['id']}/confirm").json()
    assert ids(bank_a_api.get("/api/v1/pledges")) == [filed["id"]]
    assert ids(bank_b_api.get("/api/v1/pledges")) == [other["id"]]
    assert ids(examiner_api.get("/api/v1/pledges")) == [other["id"], filed["id"]]  # newest first
    queue = examiner_api.get("/api/v1/pledges/queue")
    assert queue.status_code == 200
    assert [p["id"] for p in queue.json()] == [filed["id"], other["id"]]
    assert ids(bank_a_api.get("/api/v1/pledges?state=registered")) == []
    assert bank_a_api.get("/api/v1/pledges?state=bogus").status_code == 422


def test_list_query_count_is_pinned_per_page(
    bank_a_api: Any,
    make_right: Callable[..., Right],
    enterprise_a: Organisation,
    today: date,
    django_assert_num_queries: Any,
) -> None:
    for _ in range(4):
        bank_a_api.post_json("/api/v1/pledges", body([make_right().number], enterprise_a, today))
    # token lookup (its last use is written at most once a minute: not in these calls), the
    # total (COUNT), the page (with pledgee / pledgor), its items (with rights): four, whether
    # the page holds 1 pledge or 4.
    for limit in (1, 4):
        with django_assert_num_queries(4):
            response = bank_a_api.get("/api/v1/pledges", {"limit": limit})
        assert response.json()["total"] == 4
        assert len(response.json()["items"]) == limit
    # Past the end: the count only, no page query.
    with django_assert_num_queries(2):
        response = bank_a_api.get("/api/v1/pledges", {"offset": 4})
    assert response.json() == {"total": 4, "limit": 50, "offset": 4, "items": []}


def test_list_pages_never_mix_tenants(
    bank_a_api: Any,
    bank_b_api: Any,
    examiner_api: Any,
    make_right: Callable[..., Right],
    enterprise_a: Organisation,
    today: date,
) -> None:
    filed: dict[str, list[int]] = {"a": [], "b": []}
    for n in range(7):  # interleaved: A B A B A B B (3 for bank A, 4 for bank B)
        bank, client = ("b", bank_b_api) if n in (1, 3, 5, 6) else ("a", bank_a_api)
        response = client.post_json(
            "/api/v1/pledges", body([make_right().number], enterprise_a, today)
        )
        assert response.status_code == 201
        filed[bank].append(response.json()["id"])
    newest_first = {k: sorted(v, reverse=True) for k, v in filed.items()}
    for key, client in (("a", bank_a_api), ("b", bank_b_api)):
        seen: list[int] = []
        for offset in range(0, 6, 2):
            page = client.get("/api/v1/pledges", {"limit": 2, "offset": offset}).json()
            assert (page["total"], page["limit"], page["offset"]) == (len(filed[key]), 2, offset)
            seen += [p["id"] for p in page["items"]]
        assert seen == newest_first[key]  # every own row once, in order, never the other's
    everything = examiner_api.get("/api/v1/pledges", {"limit": 3, "offset": 3}).json()
    assert everything["total"] == 7
    assert [p["id"] for p in everything["items"]] == sorted(
        [*filed["a"], *filed["b"]], reverse=True
    )[3:6]
    # The state filter and the total agree.
    assert bank_b_api.get("/api/v1/pledges", {"state": "awaiting_confirmation", "limit": 1}).json()[
        "total"
    ] == len(filed["b"])


def test_list_default_page_is_50_and_at_most_500(
    bank_a_api: Any,
    bank_a_user: User,
    right: Right,
    enterprise_a: Organisation,
    today: date,
) -> None:
    # 51 applications over one right: each withdrawn before the next is filed (a withdrawn
    # application stays in the list and frees the right).
    for _ in range(51):
        pledge, _checks = submit_service(
            actor=bank_a_user,
            pledgor_uscc=enterprise_a.uscc or "",
            rights=[right.number],
            debt_amount="1000000.00",
            term_start=today,
            term_end=today + timedelta(days=365),
            contract_no="ZY-PAGE",
        )
        withdraw_service(actor=bank_a_user, pledge=pledge)
    first = bank_a_api.get("/api/v1/pledges").json()
    assert (first["total"], first["limit"], first["offset"], len(first["items"])) == (51, 50, 0, 50)
    rest = bank_a_api.get("/api/v1/pledges", {"offset": 50}).json()
    assert len(rest["items"]) == 1
    assert rest["items"][0]["id"] == min(p.pk for p in Pledge.objects.all())
    whole = bank_a_api.get("/api/v1/pledges", {"limit": 500}).json()
    assert (whole["limit"], len(whole["items"])) == (500, 51)


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 501},
        {"limit": -5},
        {"limit": "ten"},
        {"offset": -1},
        {"offset": 2**31},
        {"offset": "1.5"},
    ],
)
def test_list_bad_paging_is_422(filed: dict[str, Any], bank_a_api: Any, params: Any) -> None:
    response = bank_a_api.get("/api/v1/pledges", params)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_input"


def test_list_paging_in_the_openapi_schema(api_client: Client) -> None:
    schema = api_client(None).get("/api/schema").json()
    operation = schema["paths"]["/api/v1/pledges"]["get"]
    params = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert params["limit"]["default"] == 50
    assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, 500)
    assert (params["offset"]["default"], params["offset"]["minimum"]) == (0, 0)
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert set(page["required"]) == {"total", "limit", "offset", "items"}
    assert page["properties"]["items"]["items"]["$ref"].endswith("/PledgeSummaryOut")


# --- decisions, documents, change, release -------------------------------------------------------


def test_decision_approve_returns_state_and_registration_no(
    registered: dict[str, Any], today: date
) -> None:
    assert registered["state"] == "registered"
    assert registered["registration_no"] == f"Y{today.year}000000001"
    assert registered["effective_date"] == today.isoformat()


def test_decision_errors(filed: dict[str, Any], examiner_api: Any, bank_a_api: Any) -> None:
    path = f"/api/v1/pledges/{filed['id']}/decision"
    assert examiner_api.post_json(path, {"decision": "maybe"}).status_code == 422
    response = examiner_api.post_json(path, {"decision": "reject"})
    assert response.status_code == 422
    assert response.json()["code"] == "reason_required"
    assert (
        examiner_api.post_json(
            path, {"decision": "approve", "effective_date": "2026-13-01"}
        ).status_code
        == 422
    )
    # No contract uploaded yet: approval is refused (zh / en) and nothing changes.
    before = Pledge.objects.values().get(pk=filed["id"])
    missing = examiner_api.post_json(path, {"decision": "approve"})
    assert missing.status_code == 422
    assert missing.json()["code"] == "contract_missing"
    assert "质押合同" in missing.json()["detail"]
    missing_en = examiner_api.post_json(path, {"decision": "approve"}, HTTP_ACCEPT_LANGUAGE="en")
    assert missing_en.status_code == 422
    assert "contract" in missing_en.json()["detail"]
    assert Pledge.objects.values().get(pk=filed["id"]) == before
    # What may happen next says the same: no approval offered until the contract is stored.
    detail = f"/api/v1/pledges/{filed['id']}"
    assert "approve" not in examiner_api.get(detail).json()["allowed_actions"]
    assert "reject" in examiner_api.get(detail).json()["allowed_actions"]
    upload_contract(bank_a_api, filed["id"])
    assert "approve" in examiner_api.get(detail).json()["allowed_actions"]
    assert examiner_api.post_json(path, {"decision": "approve"}).status_code == 200
    again = examiner_api.post_json(path, {"decision": "approve"})
    assert again.status_code == 409
    assert again.json()["code"] == "illegal_transition"


def test_upload_document(filed: dict[str, Any], bank_a_api: Any) -> None:
    path = f"/api/v1/pledges/{filed['id']}/documents"
    response = bank_a_api.post(
        path, {"file": SimpleUploadedFile("质押合同.pdf", PDF, "application/pdf")}
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["original_name"] == "质押合同.pdf"
    assert data["size"] == len(PDF)
    assert len(data["sha256"]) == 64
    detail = bank_a_api.get(f"/api/v1/pledges/{filed['id']}").json()
    assert [d["sha256"] for d in detail["documents"]] == [data["sha256"]]
    bad = bank_a_api.post(path, {"file": SimpleUploadedFile("x.pdf", b"<html>", "application/pdf")})
    assert bad.status_code == 422
    assert bad.json()["code"] == "file_not_pdf"
    assert bank_a_api.post(path, {}).status_code == 422  # no file field


def test_upload_too_large_is_413(filed: dict[str, Any], bank_a_api: Any, settings: Any) -> None:
    settings.IPFIN_CONTRACT_MAX_BYTES = 10
    response = bank_a_api.post(
        f"/api/v1/pledges/{filed['id']}/documents",
        {"file": SimpleUploadedFile("c.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert PledgeDocument.objects.count() == 0


def test_release_without_a_body_and_bad_dates(
    registered: dict[str, Any], bank_a_api: Any, today: date
) -> None:
    path = f"/api/v1/pledges/{registered['id']}/release"
    assert bank_a_api.post_json(path, {"released_on": "2026-02-30"}).status_code == 422
    response = bank_a_api.post(path, "", content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "released"
    assert response.json()["released_on"] == today.isoformat()
    assert bank_a_api.post_json(path, {}).status_code == 409


def test_public_register(
    registered: dict[str, Any],
    api_client: Client,
    right: Right,
    make_right: Callable[..., Right],
    bank_b_api: Any,
    enterprise_a: Organisation,
    today: date,
) -> None:
    bank_b_api.post_json(
        "/api/v1/pledges", body([make_right().number], enterprise_a, today)
    )  # pending
    anonymous = api_client(None)
    for q in (registered["registration_no"], right.number, "甲科技", "甲银行"):
        response = anonymous.get("/api/v1/pledges/public", {"q": q})
        assert response.status_code == 200
        rows = response.json()
        assert [r["registration_no"] for r in rows] == [registered["registration_no"]], q
        assert "debt_amount" not in rows[0]
    assert len(anonymous.get("/api/v1/pledges/public").json()) == 1  # the pending one is not public


# --- the whole flow ------------------------------------------------------------------------------


def test_full_flow(
    bank_a_api: Any,
    examiner_api: Any,
    api_client: Client,
    enterprise_a_user: User,
    make_right: Callable[..., Right],
    enterprise_a: Organisation,
    today: date,
) -> None:
    r1, r2 = make_right(), make_right()
    pledgor = api_client(enterprise_a_user)
    created = bank_a_api.post_json(
        "/api/v1/pledges", body([r1.number], enterprise_a, today, debt_amount="3000000")
    )
    assert created.status_code == 201
    pledge_id = created.json()["id"]
    assert pledgor.post_json(f"/api/v1/pledges/{pledge_id}/confirm").status_code == 200
    upload_contract(bank_a_api, pledge_id)

    correct = examiner_api.post_json(
        f"/api/v1/pledges/{pledge_id}/decision",
        {"decision": "correct", "reason": "请将第二项专利一并列入"},
    )
    assert correct.json()["state"] == "correction_requested"
    assert correct.json()["registration_no"] is None

    resubmitted = bank_a_api.post_json(
        f"/api/v1/pledges/{pledge_id}/resubmit",
        {"rights": [r1.number, r2.number], "debt_amount": 3500000},
    )
    assert resubmitted.status_code == 200, resubmitted.content
    # Corrected particulars: the pledgor signs the corrected application again.
    assert resubmitted.json()["state"] == "awaiting_confirmation"
    resubmitted = pledgor.post_json(f"/api/v1/pledges/{pledge_id}/confirm")
    assert resubmitted.json()["state"] == "submitted"
    assert resubmitted.json()["debt_amount"] == "3500000.00"
    assert [r["number"] for r in resubmitted.json()["rights"]] == [r1.number, r2.number]
    assert [p["id"] for p in examiner_api.get("/api/v1/pledges/queue").json()] == [pledge_id]

    approved = examiner_api.post_json(
        f"/api/v1/pledges/{pledge_id}/decision", {"decision": "approve", "reason": ""}
    )
    assert approved.status_code == 200
    assert approved.json()["state"] == "registered"
    registration_no = approved.json()["registration_no"]
    assert registration_no.startswith(f"Y{today.year}")
    assert examiner_api.get("/api/v1/pledges/queue").json() == []

    changed = bank_a_api.post_json(
        f"/api/v1/pledges/{pledge_id}/change", {"debt_amount": "4000000.00", "reason": "增加授信"}
    )
    assert changed.status_code == 201, changed.content
    change_id = changed.json()["change_id"]
    assert changed.json()["state"] == "awaiting_confirmation"
    assert changed.json()["after"] == {"debt_amount": "4000000.00"}
    # Until the office registers the change, the registered terms stand.
    assert pledgor.get(f"/api/v1/pledges/{pledge_id}").json()["debt_amount"] == "3500000.00"
    confirmed = pledgor.post_json(f"/api/v1/pledge-changes/{change_id}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "submitted"
    assert [c["change_id"] for c in examiner_api.get("/api/v1/pledge-changes/queue").json()] == [
        change_id
    ]
    decided = examiner_api.post_json(
        f"/api/v1/pledge-changes/{change_id}/decision", {"decision": "approve", "reason": ""}
    )
    assert decided.status_code == 200, decided.content
    assert decided.json()["state"] == "approved"
    assert decided.json()["effective_date"] == today.isoformat()
    after = bank_a_api.get(f"/api/v1/pledges/{pledge_id}").json()
    assert after["debt_amount"] == "4000000.00"
    assert after["changes"][0]["after"] == {"debt_amount": "4000000.00"}

    released = bank_a_api.post_json(
        f"/api/v1/pledges/{pledge_id}/release",
        {"released_on": today.isoformat(), "basis": "debt_discharged"},
    )
    assert released.status_code == 200
    assert released.json()["state"] == "released"
    assert released.json()["release_basis"] == "debt_discharged"
    assert released.json()["registration_no"] == registration_no

    seen = api_client(enterprise_a_user).get(f"/api/v1/pledges/{pledge_id}").json()
    assert seen["state"] == "released"
    assert not PledgeItem.objects.filter(pledge_id=pledge_id, active=True).exists()
    assert PledgeChange.objects.filter(pledge_id=pledge_id).count() == 1
    actions = list(
        AuditRecord.objects.filter(object_type="pledges.pledge", object_id=str(pledge_id))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "pledge.submit",
        "pledge.confirm",
        "pledge.document_upload",
        "pledge.request_correction",
        "pledge.amend",
        "pledge.confirm",
        "pledge.approve",
        "pledge.notice_generate",  # the registration notice, with the approval
        "pledge.change_approve",
        "pledge.release",
    ]
    change_actions = list(
        AuditRecord.objects.filter(object_type="pledges.pledgechange", object_id=str(change_id))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert change_actions == ["pledge.change_file", "pledge.change_confirm"]
    public = api_client(None).get("/api/v1/pledges/public", {"q": registration_no}).json()
    assert [(p["state"], p["released_on"]) for p in public] == [("released", today.isoformat())]


def test_service_and_api_agree_on_the_state_machine(
    filed: dict[str, Any], examiner: User, bank_a_api: Any
) -> None:
    pledge_decide(
        actor=examiner,
        pledge=Pledge.objects.get(pk=filed["id"]),
        decision="reject",
        reason="不符合要求",
    )
    response = bank_a_api.post_json(f"/api/v1/pledges/{filed['id']}/withdraw", {})
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert response.json()["state"] == "rejected"


def test_joint_release_over_the_api(
    registered: dict[str, Any], enterprise_a_api: Any, bank_a_api: Any, today: date
) -> None:
    not_asked = bank_a_api.post_json(
        f"/api/v1/pledges/{registered['id']}/release", {"basis": "joint"}
    )
    assert not_asked.status_code == 409
    assert not_asked.json()["code"] == "joint_release_not_requested"
    bank_asks = bank_a_api.post_json(f"/api/v1/pledges/{registered['id']}/release-request")
    assert bank_asks.status_code == 403
    asked = enterprise_a_api.post_json(f"/api/v1/pledges/{registered['id']}/release-request")
    assert asked.status_code == 200
    assert asked.json()["release_requested_on"] == today.isoformat()
    released = bank_a_api.post_json(
        f"/api/v1/pledges/{registered['id']}/release", {"basis": "joint"}
    )
    assert released.status_code == 200
    assert (released.json()["state"], released.json()["release_basis"]) == ("released", "joint")
    back_dated = bank_a_api.post_json(
        f"/api/v1/pledges/{registered['id']}/release",
        {"released_on": (today - timedelta(days=1)).isoformat()},
    )
    assert back_dated.status_code == 409  # already released: the state machine says no first


def test_precheck_query_count_is_pinned_whatever_the_rights(
    bank_a_api: Any,
    make_right: Callable[..., Right],
    enterprise_a: Organisation,
    today: date,
    django_assert_num_queries: Any,
) -> None:
    """The pre-check reads two queries for one right or five: the token, then the rights with
    their events (their status and exclusive licences both come from them), their owners, and
    whether a pledge holds them, in one (`register_reads`) — never a query per right."""
    rights = [make_right().number for _ in range(5)]
    # The token's last use is written at most once a minute: on this first call, not the next.
    bank_a_api.post_json("/api/v1/pledges/precheck", body(rights[:1], enterprise_a, today))
    for numbers in (rights[:1], rights):
        data = body(numbers, enterprise_a, today)
        with django_assert_num_queries(2):
            response = bank_a_api.post_json("/api/v1/pledges/precheck", data)
        assert response.status_code == 200
        assert all(c["passed"] for c in response.json()["checks"] if c["rule"] != "co_owners")
