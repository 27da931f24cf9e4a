"""The disposal endpoints over the real HTTP stack: every status each answers (201/200, 401, 403,
404, 409, 422), the public board (anonymous reads, bidders by number, the settlement only for the
parties), money as strings with two decimals, the list's query count flat in its rows, and the
document.

Test names carry their source: `issue12` (issue 12, "Disposal (质物处置)"), `minfadian_art438`
(what the price leaves over the debt is the pledgor's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ipfin.accounts.models import User
from ipfin.disposals.models import Bid, Disposal
from ipfin.disposals.tests.conftest import backstop_day, days_ago, listing_body, open_backstop_day
from ipfin.loans.models import Loan
from ipfin.pledges.models import Pledge
from ipfin.registry.models import Right

pytestmark = pytest.mark.django_db

BOARD = "/api/v1/disposals"


def url(disposal: Disposal | int, what: str = "") -> str:
    pk = disposal if isinstance(disposal, int) else disposal.pk
    return f"{BOARD}/{pk}" + (f"/{what}" if what else "")


@pytest.fixture
def bank_a_api(api_client: Callable[..., Any], bank_a_user: User) -> Any:
    return api_client(bank_a_user)


@pytest.fixture
def anonymous(api_client: Callable[..., Any]) -> Any:
    return api_client()


# --- POST /disposals ---------------------------------------------------------------------------


def test_the_pledgee_lists_over_the_api_issue12(
    defaulted: Callable[..., tuple[Pledge, Right, Loan]],
    value_on: Callable[..., Any],
    bank_a_api: Any,
) -> None:
    pledge, right, _loan = defaulted()
    valuation = value_on([right], days_ago(1))
    response = bank_a_api.post_json(BOARD, listing_body(pledge, valuation.pk))
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["state"], data["method"], data["method_label"]) == (
        "listed",
        "listing",
        "挂牌转让",
    )
    assert (data["reserve_price"], data["increment"], data["valuation_value"]) == (
        "616000.00",
        "5000.00",
        "880000.00",
    )
    assert data["rights"] == [{"number": right.number, "kind": right.kind, "title": right.title}]
    assert data["seller"]["id"] == pledge.pledgee_id and data["pledgor"]["id"] == pledge.pledgor_id
    assert (data["bidding_open"], data["minimum_bid"], data["leading_amount"]) == (
        True,
        "616000.00",
        None,
    )
    assert data["backstop_from"] == backstop_day(days_ago(0)).isoformat()
    assert data["bids"] == [] and data["settlement"] is None and data["buyer"] is None


def test_listing_refusals_over_the_api(
    defaulted: Callable[..., tuple[Pledge, Right, Loan]],
    value_on: Callable[..., Any],
    api_client: Callable[..., Any],
    bank_a_api: Any,
    bank_b_user: User,
    enterprise_a_user: User,
    anonymous: Any,
) -> None:
    pledge, right, _loan = defaulted()
    valuation = value_on([right], days_ago(1))
    good = listing_body(pledge, valuation.pk)
    assert anonymous.post_json(BOARD, good).status_code == 401
    assert api_client(enterprise_a_user).post_json(BOARD, good).status_code == 403
    other = api_client(bank_b_user).post_json(BOARD, good)
    assert (other.status_code, other.json()["code"]) == (422, "pledge_not_found")
    for field, value in [
        ("reserve_price", 616000),  # a JSON number is never money
        ("reserve_price", "616000.001"),
        ("closes_at", "2030-01-01T00:00:00"),  # no offset: not guessed
        ("closes_at", 1893456000),
        ("listed_on", "2030-1-1"),
        ("method", "fire_sale"),
    ]:
        refused = bank_a_api.post_json(BOARD, {**good, field: value})
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_input"), field
    low = bank_a_api.post_json(BOARD, {**good, "reserve_price": "615999.99"})
    assert (low.status_code, low.json()["code"], low.json()["floor"]) == (
        422,
        "reserve_below_floor",
        "616000.00",
    )
    assert bank_a_api.post_json(BOARD, good).status_code == 201
    again = bank_a_api.post_json(BOARD, good)
    assert (again.status_code, again.json()["code"]) == (409, "disposal_exists")
    assert Disposal.objects.count() == 1


def test_a_performing_loans_pledge_is_409_over_the_api(
    defaulted: Callable[..., tuple[Pledge, Right, Loan]],
    value_on: Callable[..., Any],
    bank_a_api: Any,
) -> None:
    pledge, right, _loan = defaulted(category=None)
    response = bank_a_api.post_json(BOARD, listing_body(pledge, value_on([right], days_ago(1)).pk))
    assert (response.status_code, response.json()["code"]) == (409, "loan_not_defaulted")


# --- the public board ----------------------------------------------------------------------------


def test_the_board_is_public_bidders_by_number_issue12(
    open_listing: Disposal,
    api_client: Callable[..., Any],
    anonymous: Any,
    enterprise_b_user: User,
    bank_b_user: User,
) -> None:
    firm, bank = api_client(enterprise_b_user), api_client(bank_b_user)
    assert firm.post_json(url(open_listing, "bids"), {"amount": "616000.00"}).status_code == 201
    assert bank.post_json(url(open_listing, "bids"), {"amount": "626000.00"}).status_code == 201
    page = anonymous.get(BOARD)
    assert page.status_code == 200
    (item,) = page.json()["items"]
    assert (item["id"], item["bid_count"], item["leading_amount"], item["bids"]) == (
        open_listing.pk,
        2,
        "626000.00",
        None,
    )
    one = firm.get(url(open_listing)).json()
    assert [(b["bidder_no"], b["amount"], b["mine"]) for b in one["bids"]] == [
        (2, "626000.00", False),
        (1, "616000.00", True),
    ]
    assert "bidder" not in one["bids"][0] and one["minimum_bid"] == "636000.00"
    assert anonymous.get(url(open_listing)).json()["bids"][0]["mine"] is False
    assert anonymous.get(url(99999)).status_code == 404
    assert api_client(None).get(BOARD, HTTP_AUTHORIZATION="Bearer nonsense").status_code == 401


def test_the_list_filters_by_state_and_its_query_count_is_flat(
    list_pledge: Callable[..., Disposal], anonymous: Any, count_queries: Callable[..., int]
) -> None:
    list_pledge()
    one = count_queries(lambda: anonymous.get(BOARD))
    list_pledge()
    list_pledge()
    assert anonymous.get(BOARD).json()["count"] == 3
    assert count_queries(lambda: anonymous.get(BOARD)) == one
    assert anonymous.get(BOARD, {"state": "completed"}).json()["count"] == 0
    assert anonymous.get(BOARD, {"state": "sold"}).status_code == 422


# --- POST /disposals/{id}/bids -----------------------------------------------------------------


def test_bidding_statuses_over_the_api_issue12(
    open_listing: Disposal,
    api_client: Callable[..., Any],
    anonymous: Any,
    enterprise_b_user: User,
    enterprise_a_user: User,
    office_user: User,
) -> None:
    bids = url(open_listing, "bids")
    firm = api_client(enterprise_b_user)
    assert anonymous.post_json(bids, {"amount": "616000.00"}).status_code == 401
    pledgor = api_client(enterprise_a_user).post_json(bids, {"amount": "616000.00"})
    assert (pledgor.status_code, pledgor.json()["code"]) == (403, "party_may_not_bid")
    office = api_client(office_user).post_json(bids, {"amount": "616000.00"})
    assert (office.status_code, office.json()["code"]) == (403, "forbidden")
    assert firm.post_json(url(99999, "bids"), {"amount": "616000.00"}).status_code == 404
    low = firm.post_json(bids, {"amount": "615999.99"})
    assert (low.status_code, low.json()["code"], low.json()["minimum"]) == (
        409,
        "bid_too_low",
        "616000.00",
    )
    number = firm.post_json(bids, {"amount": 616000})
    assert (number.status_code, number.json()["code"]) == (422, "invalid_input")
    placed = firm.post_json(bids, {"amount": "616000.00"})
    assert placed.status_code == 201, placed.content
    data = placed.json()
    assert (data["bidder_no"], data["amount"], data["minimum_bid"]) == (1, "616000.00", "626000.00")
    assert Bid.objects.count() == 1


def test_a_replayed_bid_is_placed_once(
    open_listing: Disposal, api_client: Callable[..., Any], enterprise_b_user: User
) -> None:
    firm = api_client(enterprise_b_user)
    headers = {"HTTP_IDEMPOTENCY_KEY": "bid-0001"}
    first = firm.post_json(url(open_listing, "bids"), {"amount": "616000.00"}, **headers)
    second = firm.post_json(url(open_listing, "bids"), {"amount": "616000.00"}, **headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second["Idempotent-Replayed"] == "true" and Bid.objects.count() == 1


# --- POST /disposals/{id}/backstop ---------------------------------------------------------------


def test_backstop_statuses_over_the_api_issue12(
    list_pledge: Callable[..., Disposal],
    open_listing: Disposal,
    api_client: Callable[..., Any],
    centre_user: User,
    bank_b_user: User,
) -> None:
    centre = api_client(centre_user)
    early = centre.post_json(url(open_listing, "backstop"), {"price": "500000.00"})
    assert (early.status_code, early.json()["code"]) == (409, "backstop_too_early")
    assert early.json()["backstop_from"] == backstop_day(open_listing.listed_on).isoformat()
    day = open_backstop_day()
    old = list_pledge(listed_on=day, today=day)
    bank = api_client(bank_b_user).post_json(url(old, "backstop"), {"price": "500000.00"})
    assert bank.status_code == 403
    assert centre.post_json(url(99999, "backstop"), {"price": "1.00"}).status_code == 404
    assert centre.post_json(url(old, "backstop"), {"price": 500000}).status_code == 422
    bought = centre.post_json(url(old, "backstop"), {"price": "500000.00"})
    assert bought.status_code == 200, bought.content
    data = bought.json()
    assert (data["state"], data["price"], data["buyer"]["id"]) == (
        "backstopped",
        "500000.00",
        centre_user.organisation_id,
    )


# --- POST /disposals/{id}/complete ---------------------------------------------------------------


def test_completion_over_the_api_and_who_reads_the_settlement_minfadian_art438(
    listing: Disposal,
    bid: Callable[..., Any],
    api_client: Callable[..., Any],
    bank_a_api: Any,
    anonymous: Any,
    enterprise_b_user: User,
    enterprise_a_user: User,
    bank_b_user: User,
) -> None:
    bid(enterprise_b_user, "900000.00")
    done_url = url(listing, "complete")
    assert anonymous.post_json(done_url, {}).status_code == 401
    assert api_client(enterprise_a_user).post_json(done_url, {}).status_code == 403
    other = api_client(bank_b_user).post_json(done_url, {})
    assert (other.status_code, other.json()["code"]) == (404, "disposal_not_found")
    costly = bank_a_api.post_json(done_url, {"disposal_costs": "900000.01"})
    assert (costly.status_code, costly.json()["code"]) == (422, "disposal_costs_exceed_price")
    done = bank_a_api.post_json(done_url, {"disposal_costs": "20000.00"})
    assert done.status_code == 200, done.content
    data = done.json()
    assert (data["state"], data["price"], data["buyer"]["id"]) == (
        "completed",
        "900000.00",
        enterprise_b_user.organisation_id,
    )
    settlement = data["settlement"]
    assert settlement["disposal_costs"] == "20000.00"
    assert settlement["to_loan"] == settlement["owed"] and settlement["shortfall"] == "0.00"
    assert settlement["repayment_id"] is not None and settlement["risk_claim_id"] is None
    # The pledgor reads it too; the public board shows the sale without it.
    assert api_client(enterprise_a_user).get(url(listing)).json()["settlement"] == settlement
    assert anonymous.get(url(listing)).json()["settlement"] is None
    assert api_client(bank_b_user).get(url(listing)).json()["settlement"] is None
    twice = bank_a_api.post_json(done_url, {})
    assert (twice.status_code, twice.json()["code"]) == (409, "illegal_transition")


def test_completing_before_the_close_is_409(open_listing: Disposal, bank_a_api: Any) -> None:
    response = bank_a_api.post_json(url(open_listing, "complete"))
    assert (response.status_code, response.json()["code"]) == (409, "bidding_open")
    assert bank_a_api.post_json(url(99999, "complete")).status_code == 404


def test_a_regulator_reads_the_settlement_only_under_a_case(
    listing: Disposal,
    bid: Callable[..., Any],
    bank_a_api: Any,
    api_client: Callable[..., Any],
    enterprise_b_user: User,
    regulator_user: User,
    open_case: Callable[..., Any],
) -> None:
    bid(enterprise_b_user, "900000.00")
    assert bank_a_api.post_json(url(listing, "complete")).status_code == 200
    regulator = api_client(regulator_user)
    assert regulator.get(url(listing)).json()["settlement"] is None
    open_case(listing.bank)
    assert regulator.get(url(listing)).json()["settlement"] is not None


# --- POST /disposals/{id}/withdraw ---------------------------------------------------------------


def test_the_pledgee_withdraws_over_the_api_and_the_board_shows_it_minfadian_art436(
    open_listing: Disposal,
    api_client: Callable[..., Any],
    bank_a_api: Any,
    anonymous: Any,
    enterprise_a_user: User,
    enterprise_b_user: User,
    bank_b_user: User,
) -> None:
    withdraw = url(open_listing, "withdraw")
    firm = api_client(enterprise_b_user)
    assert firm.post_json(url(open_listing, "bids"), {"amount": "616000.00"}).status_code == 201
    body = {"reason": "借款人已全额还款"}
    assert anonymous.post_json(withdraw, body).status_code == 401
    other = api_client(bank_b_user).post_json(withdraw, body)
    assert (other.status_code, other.json()["code"]) == (404, "disposal_not_found")
    pledgor = api_client(enterprise_a_user).post_json(withdraw, body)
    assert (pledgor.status_code, pledgor.json()["code"]) == (403, "forbidden")
    blank = bank_a_api.post_json(withdraw, {"reason": "  "})
    assert (blank.status_code, blank.json()["code"]) == (422, "reason_required")
    long = bank_a_api.post_json(withdraw, {"reason": "理" * 2001})
    assert (long.status_code, long.json()["code"]) == (422, "invalid_input")
    assert bank_a_api.post_json(withdraw, {}).status_code == 422
    assert bank_a_api.post_json(url(99999, "withdraw"), body).status_code == 404
    assert Disposal.objects.get(pk=open_listing.pk).state == "listed"

    done = bank_a_api.post_json(withdraw, body)
    assert done.status_code == 200, done.content
    data = done.json()
    assert (data["state"], data["state_label"], data["withdraw_reason"]) == (
        "withdrawn",
        "已撤回",
        "借款人已全额还款",
    )
    assert data["withdrawn_at"] is not None and data["bid_count"] == 1
    assert (data["bidding_open"], data["minimum_bid"], data["buyer"], data["price"]) == (
        False,
        None,
        None,
        None,
    )
    # The board keeps it, as a completed one, in its state; the reason is the parties'.
    public = anonymous.get(url(open_listing)).json()
    assert (public["state"], public["withdraw_reason"]) == ("withdrawn", None)
    assert firm.get(url(open_listing)).json()["withdraw_reason"] is None
    mine = api_client(enterprise_a_user).get(url(open_listing)).json()
    assert mine["withdraw_reason"] == "借款人已全额还款"
    listed = anonymous.get(BOARD, {"state": "withdrawn"}).json()
    assert [item["id"] for item in listed["items"]] == [open_listing.pk]
    assert anonymous.get(BOARD, {"state": "listed"}).json()["count"] == 0
    late = firm.post_json(url(open_listing, "bids"), {"amount": "700000.00"})
    assert (late.status_code, late.json()["code"]) == (409, "illegal_transition")
    twice = bank_a_api.post_json(withdraw, body)
    assert (twice.status_code, twice.json()["code"]) == (409, "illegal_transition")


# --- the document --------------------------------------------------------------------------------


def test_the_document_states_the_routes_their_refusals_and_the_public_reads(
    anonymous: Any,
) -> None:
    document = anonymous.get("/api/schema").json()
    paths = document["paths"]
    board, one = paths[BOARD], paths[BOARD + "/{disposal_id}"]
    assert "security" not in board["get"] and "security" not in one["get"]
    assert {"200", "401", "422"} <= set(board["get"]["responses"])
    assert {"200", "401", "404"} <= set(one["get"]["responses"])
    assert {"201", "401", "403", "409", "413", "422"} <= set(board["post"]["responses"])
    actions = (("bids", "201"), ("backstop", "200"), ("complete", "200"), ("withdraw", "200"))
    for action, ok in actions:
        op = paths[BOARD + "/{disposal_id}/" + action]["post"]
        assert {ok, "401", "403", "404", "409", "422"} <= set(op["responses"]), action
        assert any(p["name"] == "Idempotency-Key" for p in op["parameters"]), action
    schemas = document["components"]["schemas"]
    listing_in = schemas["DisposalIn"]["properties"]
    assert listing_in["reserve_price"]["pattern"].startswith("^[0-9]")
    assert listing_in["closes_at"]["format"] == "date-time"
    assert schemas["DisposalBidIn"]["properties"]["amount"]["pattern"].startswith("^[0-9]")
    assert schemas["DisposalWithdrawIn"]["properties"]["reason"]["maxLength"] == 2000
    assert "withdrawn" in schemas["DisposalState"]["enum"]
