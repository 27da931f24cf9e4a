"""The financing REST API over the real HTTP stack: the JSON contract, every status code of each
endpoint, public catalogue reads, and tenancy (another tenant's demand or ledger row is a 404)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.financing.models import Demand, DemandResponse, Product, ProductVersion
from ipfin.registry.models import Right

pytestmark = pytest.mark.django_db
Client = Callable[[User | None], Any]

PRODUCT = {
    "code": "IP-LOAN",
    "kind": "loan",
    "name": "知识产权质押贷",
    "terms": {
        "amount_min": "100000",
        "amount_max": 5000000,
        "term_min_months": 6,
        "term_max_months": 36,
        "lpr_tenor": "1y",
        "rate_spread_bp": 50,
        "accepted_right_kinds": ["invention"],
        "max_pledge_rate": "0.5",
        "repayment_methods": ["annuity"],
    },
}


def demand_body(enterprise: Organisation, right: Right, **kw: Any) -> dict[str, Any]:
    data = {
        "enterprise_uscc": enterprise.uscc,
        "amount": "1000000.00",
        "term_months": 12,
        "purpose": "研发",
        "rights": [right.number],
    }
    data.update(kw)
    return data


# --- the catalogue -------------------------------------------------------------------------------


def test_publish_and_read_products(api_client: Client, bank_a_user: User) -> None:
    bank = api_client(bank_a_user)
    response = bank.post_json("/api/v1/products", PRODUCT)
    assert response.status_code == 201, response.content
    first = response.json()
    assert first["current"]["version"] == 1
    assert first["current"]["amount_max"] == "5000000.00"
    assert first["current"]["max_pledge_rate"] == "0.5000"
    assert first["current"]["annual_rate"] is not None
    second = bank.post_json(
        "/api/v1/products", {**PRODUCT, "terms": {**PRODUCT["terms"], "rate_spread_bp": 80}}
    ).json()
    assert second["id"] == first["id"] and second["current"]["version"] == 2

    anonymous = api_client(None)
    listed = anonymous.get("/api/v1/products").json()
    assert [(p["id"], p["current"]["rate_spread_bp"]) for p in listed] == [(first["id"], 80)]
    detail = anonymous.get(f"/api/v1/products/{first['id']}").json()
    assert [v["rate_spread_bp"] for v in detail["versions"]] == [80, 50]  # v1 intact
    assert anonymous.get("/api/v1/products?kind=insurance").json() == []
    assert len(anonymous.get("/api/v1/products?amount=200000&term=12").json()) == 1
    assert anonymous.get("/api/v1/products?amount=20000").json() == []
    assert anonymous.get("/api/v1/products/999999").status_code == 404


def test_the_catalogue_and_a_products_history_read_the_same_queries_at_two_sizes(
    api_client: Client,
    bank_a_user: User,
    publish: Callable[..., ProductVersion],
    count_queries: Callable[[Callable[[], object]], int],
) -> None:
    anonymous = api_client(None)
    first = publish(bank_a_user, "P-0")
    listing = partial(anonymous.get, "/api/v1/products")
    history = partial(anonymous.get, f"/api/v1/products/{first.product_id}")
    small = (count_queries(listing), count_queries(history))
    for i in range(1, 7):
        publish(bank_a_user, f"P-{i}")  # six more products
        publish(bank_a_user, "P-0", rate_spread_bp=50 + i)  # and six more versions of the first
    assert (count_queries(listing), count_queries(history)) == small
    assert len(listing().json()) == 7 and len(history().json()["versions"]) == 7


def test_publish_errors(api_client: Client, bank_a_user: User, enterprise_a_user: User) -> None:
    response = api_client(None).post_json("/api/v1/products", PRODUCT)
    assert response.status_code == 401
    response = api_client(enterprise_a_user).post_json("/api/v1/products", PRODUCT)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    bad = {**PRODUCT, "terms": {**PRODUCT["terms"], "term_min_months": 48}}
    response = api_client(bank_a_user).post_json("/api/v1/products", bad)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed" and response.json()["field"] == (
        "term_min_months"
    )
    response = api_client(bank_a_user).post_json("/api/v1/products", {**PRODUCT, "kind": "bond"})
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"
    assert not Product.objects.exists()


def test_compare(api_client: Client, bank_a_user: User, bank_b_user: User) -> None:
    a = api_client(bank_a_user).post_json("/api/v1/products", PRODUCT).json()
    b = api_client(bank_b_user).post_json("/api/v1/products", PRODUCT).json()
    anonymous = api_client(None)
    response = anonymous.get(f"/api/v1/products/compare?ids={b['id']},{a['id']}")
    assert response.status_code == 200, response.content
    data = response.json()
    assert [p["id"] for p in data["products"]] == [b["id"], a["id"]]
    rows = {r["key"]: r for r in data["rows"]}
    assert rows["max_pledge_rate"]["values"] == ["50.00%", "50.00%"]
    assert rows["term"]["label"] == "期限范围（月）"
    english = anonymous.get(
        f"/api/v1/products/compare?ids={a['id']},{b['id']}", HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert {r["key"]: r["label"] for r in english["rows"]}["term"] == "Term range (months)"
    assert anonymous.get(f"/api/v1/products/compare?ids={a['id']}").status_code == 422
    assert anonymous.get("/api/v1/products/compare?ids=x,y").status_code == 422
    assert anonymous.get(f"/api/v1/products/compare?ids={a['id']},999999").status_code == 404


def test_policies(api_client: Client, office_user: User, bank_a_user: User) -> None:
    body = {
        "kind": "subsidy",
        "title": "贴息政策",
        "subsidy_share": "0.5",
        "cap_per_enterprise": "100000",
        "annual_budget": "5000000.00",
        "year": 2026,
    }
    response = api_client(office_user).post_json("/api/v1/policies", body)
    assert response.status_code == 201, response.content
    assert response.json()["cap_per_enterprise"] == "100000.00"
    assert api_client(bank_a_user).post_json("/api/v1/policies", body).status_code == 403
    response = api_client(office_user).post_json("/api/v1/policies", {**body, "subsidy_share": "2"})
    assert response.status_code == 422
    listed = api_client(None).get("/api/v1/policies").json()
    assert [p["title"] for p in listed] == ["贴息政策"]


def test_lpr(api_client: Client) -> None:
    anonymous = api_client(None)
    assert anonymous.get("/api/v1/lpr?tenor=5y&on=2025-01-02").json()["rate"] == "0.03600"
    assert anonymous.get("/api/v1/lpr?tenor=1y&on=2019-01-02").status_code == 422
    assert anonymous.get("/api/v1/lpr?tenor=9y").status_code == 422


# --- demands, matches and the ledger -------------------------------------------------------------


def test_demand_flow_and_tenancy(
    api_client: Client,
    enterprise_a_user: User,
    enterprise_b_user: User,
    park_user: User,
    bank_a_user: User,
    bank_b_user: User,
    office_user: User,
    enterprise_a: Organisation,
    right: Right,
    bank_a_loan: ProductVersion,
) -> None:
    enterprise = api_client(enterprise_a_user)
    bank_a, bank_b = api_client(bank_a_user), api_client(bank_b_user)
    response = enterprise.post_json("/api/v1/demands", demand_body(enterprise_a, right))
    assert response.status_code == 201, response.content
    demand = response.json()
    assert demand["amount"] == "1000000.00" and demand["rights"][0]["number"] == right.number
    url = f"/api/v1/demands/{demand['id']}"

    # Before the push no bank sees it.
    for bank in (bank_a, bank_b):
        assert bank.get(url).status_code == 404
        assert bank.get(f"{url}/matches").status_code == 404
        assert bank.get("/api/v1/demands").json() == []

    matches = enterprise.get(f"{url}/matches").json()
    (first,) = [m for m in matches["matches"] if m["eligible"]]
    assert first["rank"] == 1 and first["product"]["id"] == bank_a_loan.product_id
    assert {c["name"] for c in first["components"]} == {
        "valuation_coverage",
        "rate",
        "term_fit",
        "enterprise_score",
    }
    assert all(r["passed"] and r["message"] for r in first["rules"])
    assert matches["credit_score"] is None and matches["valuation"] is None

    assert bank_a.post_json(f"{url}/push").status_code == 404  # not its demand
    response = enterprise.post_json(f"{url}/push")
    assert response.status_code == 201, response.content
    (row,) = response.json()
    assert row["bank"]["id"] == bank_a_user.organisation_id and row["overdue"] is False

    # bank_a now sees the demand; bank_b still does not (404, never 403).
    assert bank_a.get(url).status_code == 200
    assert [d["id"] for d in bank_a.get("/api/v1/demands").json()] == [demand["id"]]
    assert bank_b.get(url).status_code == 404
    assert bank_b.get("/api/v1/ledger").json() == []
    respond = f"/api/v1/ledger/{row['id']}/respond"
    assert bank_b.post_json(respond, {"response": "interested"}).status_code == 404
    assert api_client(enterprise_b_user).get(url).status_code == 404
    assert api_client(park_user).get(url).status_code == 200
    assert api_client(office_user).get(url).status_code == 200

    response = bank_a.post_json(respond, {"response": "declined"})
    assert response.status_code == 422 and response.json()["field"] == "reason"
    response = bank_a.post_json(respond, {"response": "maybe"})
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"
    response = bank_a.post_json(respond, {"response": "need_info", "reason": "请补充财报"})
    assert response.status_code == 200, response.content
    assert response.json()["response"] == "need_info"
    assert enterprise.post_json(respond, {"response": "interested"}).status_code == 403

    ledger = enterprise.get("/api/v1/ledger").json()
    assert [(r["id"], r["response"]) for r in ledger] == [(row["id"], "need_info")]
    assert enterprise.get("/api/v1/ledger?overdue=true").json() == []

    response = enterprise.post_json(f"{url}/withdraw")
    assert response.status_code == 200 and response.json()["state"] == "withdrawn"
    assert enterprise.post_json(f"{url}/withdraw").status_code == 409
    response = bank_a.post_json(respond, {"response": "interested"})
    assert response.status_code == 409 and response.json()["code"] == "demand_not_open"
    assert AuditRecord.objects.filter(action="ledger.respond").count() == 1


def test_demand_errors(
    api_client: Client,
    enterprise_a_user: User,
    bank_a_user: User,
    enterprise_a: Organisation,
    enterprise_b: Organisation,
    right: Right,
) -> None:
    enterprise = api_client(enterprise_a_user)
    assert api_client(None).get("/api/v1/demands").status_code == 401
    response = api_client(bank_a_user).post_json(
        "/api/v1/demands", demand_body(enterprise_a, right)
    )
    assert response.status_code == 403
    response = enterprise.post_json("/api/v1/demands", demand_body(enterprise_b, right))
    assert response.status_code == 403 and response.json()["code"] == "not_your_enterprise"
    response = enterprise.post_json(
        "/api/v1/demands", demand_body(enterprise_a, right, rights=["CN000"])
    )
    assert response.status_code == 422 and response.json()["code"] == "right_not_found"
    response = enterprise.post_json(
        "/api/v1/demands", demand_body(enterprise_a, right, amount="-1")
    )
    assert response.status_code == 422 and response.json()["field"] == "amount"
    response = enterprise.post_json("/api/v1/demands", demand_body(enterprise_a, right, amount=2.5))
    assert response.status_code == 201  # a JSON number is taken by its shortest repr
    assert Demand.objects.get().amount == Decimal("2.50")
    demand_id = Demand.objects.get().pk
    response = enterprise.post_json(f"/api/v1/demands/{demand_id}/push")
    assert response.status_code == 422 and response.json()["code"] == "no_eligible_product"
    assert enterprise.get("/api/v1/demands/999999").status_code == 404
    assert enterprise.get("/api/v1/demands?state=lost").status_code == 422
    assert not DemandResponse.objects.exists()


def test_ledger_overdue_flag_over_api(
    api_client: Client,
    enterprise_a_user: User,
    bank_a_user: User,
    file_demand: Callable[..., Demand],
    bank_a_loan: ProductVersion,
) -> None:
    from datetime import date

    from ipfin.financing.services import demand_push

    demand_push(actor=enterprise_a_user, demand=file_demand(), today=date(2025, 6, 3))
    (row,) = api_client(bank_a_user).get("/api/v1/ledger?overdue=true").json()
    assert row["overdue"] is True and row["due_date"] == "2025-06-10"


def test_a_republish_drawn_from_a_stale_version_is_a_409_and_publishes_nothing(
    api_client: Client, bank_a_user: User
) -> None:
    """Two clerks edit the product's terms from version 1: the first publishes version 2, the
    second's If-Match "1" is refused (issue 11: no lost update); without If-Match publishing
    appends as before."""
    bank = api_client(bank_a_user)
    first = bank.post_json("/api/v1/products", PRODUCT, HTTP_IF_MATCH='"0"').json()
    assert first["current"]["version"] == 1
    clerk_a = {**PRODUCT, "terms": {**PRODUCT["terms"], "rate_spread_bp": 80}}
    clerk_b = {**PRODUCT, "terms": {**PRODUCT["terms"], "rate_spread_bp": 95}}
    assert bank.post_json("/api/v1/products", clerk_a, HTTP_IF_MATCH='"1"').status_code == 201
    stale = bank.post_json("/api/v1/products", clerk_b, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 409
    assert (stale.json()["code"], stale.json()["current_version"]) == ("version_conflict", 2)
    listed = api_client(None).get("/api/v1/products").json()
    assert [p["current"]["rate_spread_bp"] for p in listed] == [80]
    new_again = bank.post_json("/api/v1/products", clerk_b, HTTP_IF_MATCH='"0"')
    assert new_again.status_code == 409  # "a new product" — but it exists
    operation = bank.get("/api/schema").json()["paths"]["/api/v1/products"]["post"]
    if_match = next(p for p in operation["parameters"] if p["name"] == "If-Match")
    assert if_match["required"] is False and "428" not in operation["responses"]
    assert "409" in operation["responses"]
