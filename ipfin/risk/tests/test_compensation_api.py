"""Compensation schemes, the fund's ledger and the claims over the real HTTP stack: every status
each endpoint answers (201/200, 401, 403, 404, 409, 422, and 428 for an edit without If-Match),
another bank's claim a 404, a replayed payment paying once, money as strings with two decimals,
and the query count of the lists flat in their rows.

Test names carry their source: `seed000` (the fund's front-loaded advance settled after disposal,
as DOMAIN.md and issue 12 state seeds 000-003), `issue12` (the claim's life, maker-checker, the
ledger, the per-bank-per-year cap)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, User
from ipfin.loans.models import Loan
from ipfin.risk.models import LedgerEntry, RiskClaim, RiskScheme
from ipfin.risk.services import claim_approve, claim_file
from ipfin.risk.tests.conftest import SHARES

pytestmark = pytest.mark.django_db

SCHEMES = "/api/v1/risk/schemes"
CLAIMS = "/api/v1/risk/claims"


def scheme_body(fund: Organisation, **kw: Any) -> dict[str, Any]:
    return {
        "fund_id": fund.pk,
        "name": "知识产权质押贷款风险补偿（前置代偿）",
        "mode": "front_loaded",
        "shares": SHARES,
        "fund_cap_per_loan": "300000.00",
        "fund_cap_per_bank_year": "1000000.00",
        "eligibility": {"right_kinds": ["invention", "utility_model"]},
        **kw,
    }


def fund_url(fund: Organisation, what: str) -> str:
    return f"/api/v1/risk/funds/{fund.pk}/{what}"


def claim_url(claim: RiskClaim | int, what: str = "") -> str:
    pk = claim if isinstance(claim, int) else claim.pk
    return f"{CLAIMS}/{pk}" + (f"/{what}" if what else "")


@pytest.fixture
def office(api_client: Callable[..., Any], office_user: User) -> Any:
    return api_client(office_user)


@pytest.fixture
def second(api_client: Callable[..., Any], checker: User) -> Any:
    return api_client(checker)


@pytest.fixture
def anonymous(api_client: Callable[..., Any]) -> Any:
    return api_client()


# --- schemes -------------------------------------------------------------------------------------


def test_the_office_creates_a_scheme_and_anyone_reads_it_seed000(
    office: Any, anonymous: Any, fund: Organisation
) -> None:
    created = office.post_json(SCHEMES, scheme_body(fund))
    assert created.status_code == 201, created.content
    body = created.json()
    assert {k: body[k] for k in ("mode", "shares", "fund_cap_per_loan", "version")} == {
        "mode": "front_loaded",
        "shares": SHARES,
        "fund_cap_per_loan": "300000.00",
        "version": 1,
    }
    assert body["fund"] == {"id": fund.pk, "name": fund.name}
    assert body["eligibility"] == {
        "bank_ids": None,
        "product_ids": None,
        "right_kinds": ["invention", "utility_model"],
        "max_principal": None,
    }
    listed = anonymous.get(SCHEMES)
    assert listed.status_code == 200 and [s["id"] for s in listed.json()] == [body["id"]]
    one = anonymous.get(f"{SCHEMES}/{body['id']}")
    assert (one.status_code, one["ETag"], one.json()) == (200, '"1"', body)


def test_shares_not_summing_to_exactly_one_are_a_422_naming_shares_seed000(
    office: Any, fund: Organisation
) -> None:
    response = office.post_json(SCHEMES, scheme_body(fund, shares={**SHARES, "fund": "0.5"}))
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("shares_sum_invalid", "shares")
    assert not RiskScheme.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"shares": {**SHARES, "fund": 0.4}},  # a JSON number, never
        {"fund_cap_per_loan": "300000.001"},
        {"mode": "upfront"},
        {"eligibility": {"bank_id": [1]}},  # a misspelt condition is refused, never ignored
        {"eligibility": {"right_kinds": ["patent"]}},
        {"eligibility": {"bank_ids": []}},
    ],
)
def test_what_the_schema_refuses_is_a_422_invalid_input(
    office: Any, fund: Organisation, change: dict[str, Any]
) -> None:
    response = office.post_json(SCHEMES, scheme_body(fund, **change))
    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")
    assert not RiskScheme.objects.exists()


def test_a_scheme_needs_a_fund_and_the_office(
    office: Any, bank_a_api: Any, anonymous: Any, fund: Organisation, bank_a: Organisation
) -> None:
    response = office.post_json(SCHEMES, scheme_body(fund, fund_id=bank_a.pk))
    assert (response.status_code, response.json()["code"]) == (422, "fund_not_found")
    assert bank_a_api.post_json(SCHEMES, scheme_body(fund)).status_code == 403
    assert anonymous.post_json(SCHEMES, scheme_body(fund)).status_code == 401
    bad_token = type(anonymous)("not-a-token")
    assert bad_token.get(SCHEMES).status_code == 401
    assert not RiskScheme.objects.exists()


def _put(client: Any, scheme: RiskScheme, if_match: str | None, **kw: Any) -> Any:
    body = {k: v for k, v in scheme_body(scheme.fund, **kw).items() if k != "fund_id"}
    headers = {"HTTP_IF_MATCH": if_match} if if_match is not None else {}
    return client.put(f"{SCHEMES}/{scheme.pk}", body, content_type="application/json", **headers)


def test_a_scheme_is_edited_with_if_match(
    office: Any, bank_a_api: Any, anonymous: Any, scheme: RiskScheme
) -> None:
    read = office.get(f"{SCHEMES}/{scheme.pk}")
    edited = _put(office, scheme, read["ETag"], fund_cap_per_loan="250000.00")
    assert (edited.status_code, edited["ETag"], edited.json()["version"]) == (200, '"2"', 2)
    assert edited.json()["fund_cap_per_loan"] == "250000.00"
    stale = _put(office, scheme, read["ETag"], fund_cap_per_loan="1.00")
    assert (stale.status_code, stale.json()["code"], stale.json()["current_version"]) == (
        409,
        "version_conflict",
        2,
    )
    blind = _put(office, scheme, None)
    assert (blind.status_code, blind.json()["code"]) == (428, "version_required")
    malformed = _put(office, scheme, "*")
    assert (malformed.status_code, malformed.json()["code"]) == (422, "if_match_invalid")
    assert _put(bank_a_api, scheme, '"2"').status_code == 403
    assert _put(anonymous, scheme, '"2"').status_code == 401
    assert office.get(f"{SCHEMES}/999999").status_code == 404
    gone = RiskScheme(pk=999999, fund=scheme.fund)
    assert _put(office, gone, '"1"').status_code == 404
    scheme.refresh_from_db()
    assert (scheme.version, str(scheme.fund_cap_per_loan)) == (2, "250000.00")


# --- the fund's ledger -------------------------------------------------------------------------


def test_budget_entries_and_the_ledger_with_its_running_balance_issue12(
    office: Any, api_client: Callable[..., Any], regulator_user: User, fund: Organisation
) -> None:
    first = office.post_json(fund_url(fund, "budget"), {"amount": "1000000.00", "memo": "财预1号"})
    assert first.status_code == 201, first.content
    assert {k: first.json()[k] for k in ("kind", "memo", "claim_id", "balance")} == {
        "kind": "budget",
        "memo": "财预1号",
        "claim_id": None,
        "balance": "1000000.00",
    }
    assert first.json()["lines"] == [
        {
            "account": "fund_cash",
            "account_label": "基金存款",
            "debit": "1000000.00",
            "credit": "0.00",
        },
        {
            "account": "budget_income",
            "account_label": "财政预算注资",
            "debit": "0.00",
            "credit": "1000000.00",
        },
    ]
    office.post_json(fund_url(fund, "budget"), {"amount": "0.50", "memo": "财预2号"})
    for reader in (office, api_client(regulator_user)):
        ledger = reader.get(fund_url(fund, "ledger"))
        assert ledger.status_code == 200, ledger.content
        body = ledger.json()
        assert (body["balance"], body["count"]) == ("1000000.50", 2)
        assert [(e["memo"], e["balance"]) for e in body["items"]] == [
            ("财预2号", "1000000.50"),
            ("财预1号", "1000000.00"),
        ]


def test_the_ledger_and_the_budget_are_refused_to_others(
    office: Any,
    bank_a_api: Any,
    anonymous: Any,
    api_client: Callable[..., Any],
    regulator_user: User,
    fund: Organisation,
    bank_a: Organisation,
) -> None:
    entry = {"amount": "100.00", "memo": "拨款"}
    assert bank_a_api.get(fund_url(fund, "ledger")).status_code == 403
    assert anonymous.get(fund_url(fund, "ledger")).status_code == 401
    assert office.get(fund_url(bank_a, "ledger")).status_code == 404  # no fund
    assert bank_a_api.post_json(fund_url(fund, "budget"), entry).status_code == 403
    regulator = api_client(regulator_user)
    assert regulator.post_json(fund_url(fund, "budget"), entry).status_code == 403  # reads only
    assert anonymous.post_json(fund_url(fund, "budget"), entry).status_code == 401
    assert office.post_json(fund_url(bank_a, "budget"), entry).status_code == 404
    zero = office.post_json(fund_url(fund, "budget"), {**entry, "amount": "0"})
    assert (zero.status_code, zero.json()["code"]) == (422, "amount_invalid")
    assert office.post_json(fund_url(fund, "budget"), {"amount": "1.00"}).status_code == 422
    assert not LedgerEntry.objects.exists()


def test_the_ledger_reads_in_a_fixed_number_of_queries(
    office: Any,
    fund: Organisation,
    budget: Callable[..., Any],
    count_queries: Callable[[Callable[[], object]], int],
) -> None:
    budget("1.00")
    one = count_queries(lambda: office.get(fund_url(fund, "ledger")))
    for _ in range(4):
        budget("1.00")
    assert count_queries(lambda: office.get(fund_url(fund, "ledger"))) == one


# --- claims -------------------------------------------------------------------------------------


def test_a_claims_life_over_the_api_seed000_issue12(
    bank_a_api: Any,
    office: Any,
    second: Any,
    scheme: RiskScheme,
    fund: Organisation,
    budget: Callable[..., Any],
    npl_loan: Callable[..., Loan],
) -> None:
    budget("1000000.00")
    loan = npl_loan()
    filed = bank_a_api.post_json(CLAIMS, {"loan_id": loan.pk, "scheme_id": scheme.pk})
    assert filed.status_code == 201, filed.content
    claim = filed.json()
    assert {k: claim[k] for k in ("state", "loan_id", "principal", "advance", "payable")} == {
        "state": "filed",
        "loan_id": loan.pk,
        "principal": "400000.00",
        "advance": None,
        "payable": "0.00",
    }
    assert claim["allowed_actions"] == ["approve", "reject"]
    approved = office.post_json(claim_url(claim["id"], "approve"))
    assert approved.status_code == 200, approved.content
    assert {k: approved.json()[k] for k in ("state", "advance", "granted", "payable")} == {
        "state": "approved",
        "advance": "160000.00",
        "granted": "160000.00",
        "payable": "160000.00",
    }
    maker = office.post_json(claim_url(claim["id"], "pay"))
    assert (maker.status_code, maker.json()["code"]) == (403, "checker_is_maker")
    paid = second.post_json(claim_url(claim["id"], "pay"))
    assert paid.status_code == 200, paid.content
    assert {k: paid.json()[k] for k in ("state", "paid", "payable", "paid_by")} == {
        "state": "awaiting_disposal",
        "paid": "160000.00",
        "payable": "0.00",
        "paid_by": "office_checker",
    }
    settled = office.post_json(
        claim_url(claim["id"], "settle"), {"proceeds": "250000.00", "disposal_costs": "10000.00"}
    )
    assert settled.status_code == 200, settled.content
    fields = ("state", "loss", "fund_part", "settlement", "refund_due", "allowed_actions")
    assert {k: settled.json()[k] for k in fields} == {
        "state": "refund_due",
        "loss": "168000.00",
        "fund_part": "67200.00",
        "settlement": "-92800.00",
        "refund_due": "92800.00",
        "allowed_actions": ["receive"],
    }
    # Owed by the bank, not yet the fund's money.
    assert office.get(fund_url(fund, "ledger")).json()["balance"] == "840000.00"
    maker = office.post_json(claim_url(claim["id"], "refund-received"))
    assert (maker.status_code, maker.json()["code"]) == (403, "checker_is_maker")
    received = second.post_json(claim_url(claim["id"], "refund-received"))
    assert received.status_code == 200, received.content
    fields = ("state", "refund_due", "refund_received_by", "allowed_actions")
    assert {k: received.json()[k] for k in fields} == {
        "state": "closed",
        "refund_due": "0.00",
        "refund_received_by": "office_checker",
        "allowed_actions": [],
    }
    again = second.post_json(claim_url(claim["id"], "refund-received"))
    assert (again.status_code, again.json()["code"]) == (409, "illegal_transition")
    ledger = office.get(fund_url(fund, "ledger")).json()
    assert ledger["balance"] == "932800.00"
    kinds = ["refund", "settlement", "payment", "advance", "budget"]
    assert [e["kind"] for e in ledger["items"]] == kinds
    assert [e["balance"] for e in ledger["items"]] == [
        "932800.00",
        "840000.00",
        "840000.00",
        "1000000.00",
        "1000000.00",
    ]


def test_filing_refusals_over_the_api(
    bank_a_api: Any,
    bank_b_api: Any,
    office: Any,
    anonymous: Any,
    scheme: RiskScheme,
    npl_loan: Callable[..., Loan],
) -> None:
    performing = npl_loan(category=None)
    loan = npl_loan()
    body = {"loan_id": loan.pk, "scheme_id": scheme.pk}
    not_npl = bank_a_api.post_json(CLAIMS, {**body, "loan_id": performing.pk})
    assert (not_npl.status_code, not_npl.json()["code"]) == (409, "loan_not_non_performing")
    foreign = bank_b_api.post_json(CLAIMS, body)  # bank A's loan
    assert (foreign.status_code, foreign.json()["code"], foreign.json()["field"]) == (
        422,
        "loan_not_found",
        "loan_id",
    )
    unknown = bank_a_api.post_json(CLAIMS, {**body, "scheme_id": 999999})
    assert (unknown.status_code, unknown.json()["code"]) == (422, "scheme_not_found")
    assert bank_a_api.post_json(CLAIMS, {"loan_id": "x", "scheme_id": 1}).status_code == 422
    assert office.post_json(CLAIMS, body).status_code == 403
    assert anonymous.post_json(CLAIMS, body).status_code == 401
    assert not RiskClaim.objects.exists()
    assert bank_a_api.post_json(CLAIMS, body).status_code == 201
    again = bank_a_api.post_json(CLAIMS, body)
    assert (again.status_code, again.json()["code"]) == (409, "claim_exists")


def test_a_loan_the_scheme_does_not_cover_is_a_422_with_its_conditions(
    bank_a_api: Any, make_scheme: Callable[..., RiskScheme], npl_loan: Callable[..., Loan]
) -> None:
    narrow = make_scheme(eligibility={"max_principal": "100000.00"})
    response = bank_a_api.post_json(CLAIMS, {"loan_id": npl_loan().pk, "scheme_id": narrow.pk})
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["conditions"]) == (
        "loan_not_eligible",
        ["max_principal"],
    )


def test_a_bank_sees_its_own_claims_the_office_all_a_regulator_under_a_case(
    bank_a_api: Any,
    bank_b_api: Any,
    office: Any,
    anonymous: Any,
    api_client: Callable[..., Any],
    regulator_user: User,
    open_case: Callable[[Organisation], Any],
    bank_a: Organisation,
    file_claim: Callable[..., RiskClaim],
) -> None:
    claim = file_claim()
    for reader in (bank_a_api, office):
        listed = reader.get(CLAIMS)
        assert listed.status_code == 200 and [c["id"] for c in listed.json()] == [claim.pk]
        assert reader.get(claim_url(claim)).status_code == 200
    assert bank_b_api.get(CLAIMS).json() == []
    assert bank_b_api.get(claim_url(claim)).status_code == 404  # another bank's: not found
    # A regulator reads a bank's claims only under an open supervision case on that bank.
    regulator = api_client(regulator_user)
    assert regulator.get(CLAIMS).json() == []
    assert regulator.get(claim_url(claim)).status_code == 404
    open_case(bank_a)
    assert [c["id"] for c in regulator.get(CLAIMS).json()] == [claim.pk]
    assert regulator.get(claim_url(claim)).status_code == 200
    assert anonymous.get(CLAIMS).status_code == 401
    assert office.get(CLAIMS, {"state": "filed"}).json()[0]["id"] == claim.pk
    assert office.get(CLAIMS, {"state": "closed"}).json() == []
    assert office.get(CLAIMS, {"state": "open"}).status_code == 422
    assert office.get(claim_url(999999)).status_code == 404


def test_another_banks_claim_is_a_404_for_every_action(
    bank_b_api: Any, file_claim: Callable[..., RiskClaim]
) -> None:
    claim = file_claim()
    bodies = {"reject": {"reason": "x"}, "settle": {"proceeds": "1.00"}}
    for action in ("approve", "reject", "pay", "settle", "refund-received"):
        response = bank_b_api.post_json(claim_url(claim, action), bodies.get(action, {}))
        assert (response.status_code, response.json()["code"]) == (404, "risk_claim_not_found")
    claim.refresh_from_db()
    assert claim.state == "filed"


def test_the_review_actions_refuse_the_bank_a_replay_and_bad_input(
    bank_a_api: Any, office: Any, anonymous: Any, file_claim: Callable[..., RiskClaim]
) -> None:
    claim = file_claim()
    for action in ("approve", "pay"):
        assert bank_a_api.post_json(claim_url(claim, action)).status_code == 403
        assert anonymous.post_json(claim_url(claim, action)).status_code == 401
    early = office.post_json(claim_url(claim, "pay"))
    assert (early.status_code, early.json()["code"]) == (409, "illegal_transition")
    no_reason = office.post_json(claim_url(claim, "reject"), {})
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "invalid_input")
    rejected = office.post_json(claim_url(claim, "reject"), {"reason": "材料不全"})
    assert (rejected.status_code, rejected.json()["state"]) == (200, "rejected")
    twice = office.post_json(claim_url(claim, "approve"))
    assert (twice.status_code, twice.json()["code"]) == (409, "illegal_transition")


def test_settle_refuses_before_the_advance_and_bad_proceeds(
    office: Any,
    second: Any,
    bank_a_api: Any,
    file_claim: Callable[..., RiskClaim],
    budget: Callable[..., Any],
    office_user: User,
) -> None:
    budget("1000000.00")
    claim = claim_approve(actor=office_user, claim=file_claim())
    early = office.post_json(claim_url(claim, "settle"), {"proceeds": "1.00"})
    assert (early.status_code, early.json()["code"]) == (409, "illegal_transition")
    assert second.post_json(claim_url(claim, "pay")).status_code == 200
    bad = office.post_json(claim_url(claim, "settle"), {"proceeds": "-1"})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_input")
    assert bank_a_api.post_json(claim_url(claim, "settle"), {"proceeds": "1.00"}).status_code == 403


def test_a_payment_the_fund_cannot_make_is_a_409(
    second: Any,
    office_user: User,
    file_claim: Callable[..., RiskClaim],
    budget: Callable[..., Any],
) -> None:
    budget("160000.00")
    first, other = (claim_approve(actor=office_user, claim=file_claim()) for _ in range(2))
    assert second.post_json(claim_url(first, "pay")).status_code == 200
    refused = second.post_json(claim_url(other, "pay"))
    assert (refused.status_code, refused.json()["code"]) == (409, "fund_insufficient")
    assert (refused.json()["balance"], refused.json()["amount"]) == ("0.00", "160000.00")


def test_a_replayed_payment_pays_once_issue12(
    second: Any,
    office_user: User,
    fund: Organisation,
    file_claim: Callable[..., RiskClaim],
    budget: Callable[..., Any],
) -> None:
    budget("1000000.00")
    claim = claim_approve(actor=office_user, claim=file_claim())
    key = {"HTTP_IDEMPOTENCY_KEY": "pay-claim-0001"}
    first = second.post_json(claim_url(claim, "pay"), **key)
    again = second.post_json(claim_url(claim, "pay"), **key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert LedgerEntry.objects.filter(kind="payment", claim=claim).count() == 1
    ledger = second.get(fund_url(fund, "ledger")).json()
    assert ledger["balance"] == "840000.00"
    # Without the key the retry is a new request: refused by the claim's state, nothing paid.
    assert second.post_json(claim_url(claim, "pay")).status_code == 409


def test_the_claims_list_reads_in_a_fixed_number_of_queries(
    office: Any,
    bank_a_user: User,
    scheme: RiskScheme,
    npl_loan: Callable[..., Loan],
    count_queries: Callable[[Callable[[], object]], int],
) -> None:
    loans = [npl_loan() for _ in range(3)]
    claim_file(actor=bank_a_user, loan_id=loans[0].pk, scheme_id=scheme.pk)
    one = count_queries(lambda: office.get(CLAIMS))
    for loan in loans[1:]:
        claim_file(actor=bank_a_user, loan_id=loan.pk, scheme_id=scheme.pk)
    assert len(office.get(CLAIMS).json()) == 3
    assert count_queries(lambda: office.get(CLAIMS)) == one


# --- the document ----------------------------------------------------------------------------


def test_the_document_states_the_routes_their_refusals_and_the_public_reads(
    anonymous: Any,
) -> None:
    paths = anonymous.get("/api/schema").json()["paths"]
    schemes, one = paths[SCHEMES], paths[SCHEMES + "/{scheme_id}"]
    assert "security" not in schemes["get"] and "security" not in one["get"]
    assert {"401", "403", "404", "409", "422", "428"} <= set(one["put"]["responses"])
    assert any(p["name"] == "If-Match" and p["required"] for p in one["put"]["parameters"])
    assert "ETag" in one["get"]["responses"]["200"]["headers"]
    pay = paths[CLAIMS + "/{risk_claim_id}/pay"]["post"]
    assert {"401", "403", "404", "409"} <= set(pay["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in pay["parameters"])
    money = "RiskClaimSettleIn"
    settle_schema = anonymous.get("/api/schema").json()["components"]["schemas"][money]
    assert settle_schema["properties"]["proceeds"]["pattern"].startswith("^[0-9]")
