"""The registry's REST API over Django's test client, real token auth and the real database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from ipfin.accounts.domain import make_uscc
from ipfin.accounts.models import Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.holidays.selectors import working_calendar
from ipfin.registry.domain import add_years
from ipfin.registry.models import Right, RightEvent
from ipfin.registry.tests.conftest import REAL_UTILITY_MODEL_NO
from ipfin.registry.tests.factories import patent_no

pytestmark = pytest.mark.django_db

MakeRight = Callable[..., Right]
RIGHTS = "/api/v1/rights"


def _right_body(**kw: Any) -> dict[str, Any]:
    body = {
        "number": "CN2012202497674",
        "kind": "utility_model",
        "title": "一种散热器",
        "filing_date": "2012-05-28",
        "grant_date": "2013-01-02",
        "owners": [{"name": "甲科技有限公司"}],
    }
    return body | kw


def _fresh_invention(make_right: MakeRight, **kw: Any) -> Right:
    """An invention whose first annuity (patent year 3) fell due 50 days ago, unpaid: in grace."""
    today = timezone.localdate()
    filing = add_years(today, -2) - timedelta(days=100)
    return make_right(filing_date=filing, grant_date=today - timedelta(days=50), **kw)


def _status(client: Any, number: str, on: str) -> dict[str, Any]:
    response = client.get(f"{RIGHTS}/{number}/status", {"on": on})
    assert response.status_code == 200, response.content
    return response.json()


# --- create --------------------------------------------------------------------------------------


def test_create_right(office: Any, enterprise_a: Organisation):
    body = _right_body(
        owners=[
            {"name": "甲科技有限公司", "uscc": enterprise_a.uscc, "share": "0.7"},
            {"name": "张三", "share": 0.3},
        ],
        publication_no="CN202999888U",
    )
    response = office.post_json(RIGHTS, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"] == REAL_UTILITY_MODEL_NO
    assert (data["kind"], data["title"], data["filing_date"]) == (
        "utility_model",
        "一种散热器",
        "2012-05-28",
    )
    assert data["publication_no"] == "CN202999888U"
    assert [(o["name"], o["uscc"], o["share"]) for o in data["owners"]] == [
        ("甲科技有限公司", enterprise_a.uscc, "0.7"),
        ("张三", "", "0.3"),
    ]
    assert data["owners"][0]["organisation_id"] == enterprise_a.pk
    assert data["events"] == [] and data["pledges"] == []
    assert data["status"]["status"] == "lapsed"  # year-1 annuity (due at grant) never paid
    assert data["status"]["since"] == "2013-01-02"
    assert Right.objects.get().number == REAL_UTILITY_MODEL_NO
    assert AuditRecord.objects.filter(action="right.create").count() == 1


def test_create_trademark(office: Any):
    body = _right_body(
        number="第0012345号",
        kind="trademark",
        title="青松",
        mark_text="青松",
        filing_date="2014-01-01",
        grant_date="2015-02-14",
        nice_classes=[9],
        similar_groups=["0901"],
    )
    response = office.post_json(RIGHTS, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["number"], data["mark_text"], data["nice_classes"]) == ("12345", "青松", [9])
    # Registered 2015-02-14 for 10 years; never renewed → expired after the 6 months' grace.
    assert data["status"]["status"] == "expired"
    assert data["status"]["expiry_date"] == "2025-02-14"


def test_create_requires_authentication(public: Any):
    response = public.post_json(RIGHTS, _right_body())
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert not Right.objects.exists()


def test_create_forbidden_for_a_bank(api_client: Callable[..., Any], bank_a_user: User):
    response = api_client(bank_a_user).post_json(RIGHTS, _right_body())
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not Right.objects.exists()


def test_create_bad_token_is_401(api_client: Callable[..., Any]):
    response = api_client().post_json(
        RIGHTS, _right_body(), headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"number": "201220249767.5"}, "number_bad_check_digit"),
        ({"number": "20122024976"}, "number_bad_format"),
        ({"kind": "invention"}, "number_kind_mismatch"),
        ({"kind": "plant"}, "invalid_input"),
        ({"filing_date": "2012-13-01"}, "invalid_input"),
        ({"grant_date": "2012-05-27"}, "grant_before_filing"),
        ({"owners": [{"name": "甲", "uscc": "91110108MA0000000X"}]}, None),
        ({"owners": [{"name": "甲", "uscc": "ABC"}]}, "uscc_length"),
        ({"owners": [{"name": "甲", "share": "0.5"}]}, "owner_shares_sum"),
        ({"owners": [{"name": "甲", "share": "half"}]}, "invalid_input"),
        ({"owners": []}, "owners_required"),
        ({"nice_classes": [9]}, "nice_classes_not_trademark"),
    ],
)
def test_create_bad_input_is_422_never_500(office: Any, changes: dict[str, Any], code: str | None):
    response = office.post_json(RIGHTS, _right_body(**changes))
    assert response.status_code == 422, response.content
    data = response.json()
    assert data["detail"]
    if code is not None:
        assert data["code"] == code
    else:  # a bad credit code: whichever of its checks fails, it is one of the uscc codes
        assert data["code"].startswith("uscc_")
    assert not Right.objects.exists()


def test_bad_check_digit_message_in_both_languages(office: Any):
    zh = office.post_json(RIGHTS, _right_body(number="201220249767.5")).json()
    en = office.post_json(
        RIGHTS, _right_body(number="201220249767.5"), headers={"Accept-Language": "en"}
    ).json()
    assert zh["code"] == en["code"] == "number_bad_check_digit"
    assert "校验位" in zh["detail"]
    assert "check digit" in en["detail"]


def test_create_duplicate_is_409(office: Any):
    assert office.post_json(RIGHTS, _right_body()).status_code == 201
    response = office.post_json(RIGHTS, _right_body(number="ZL201220249767.4"))
    assert response.status_code == 409
    assert response.json()["code"] == "right_exists"
    assert Right.objects.count() == 1


# --- events --------------------------------------------------------------------------------------


def test_record_event_returns_status_today(office: Any, make_right: MakeRight):
    right = _fresh_invention(make_right)
    assert (
        _status(office, right.number, timezone.localdate().isoformat())["status"] == "grace_period"
    )
    response = office.post_json(
        f"{RIGHTS}/{right.number}/events",
        {"type": "annuity_paid", "date": timezone.localdate().isoformat(), "year": 3},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["type"] == "annuity_paid"
    assert data["payload"]["year"] == 3
    assert data["payload"]["amount"] == "900.00"
    assert data["status"]["status"] == "in_force"
    due = add_years(right.filing_date, 3)
    assert data["status"]["next_annuity"] == {
        "year": 4,
        "due_date": due.isoformat(),
        # The last day in time: the due date, moved past rest days (专利法实施细则 r. 6 ¶1).
        "payable_until": working_calendar().working_day_from(due).isoformat(),
        "amount": "1200.00",
    }
    assert RightEvent.objects.get(pk=data["id"]).right_id == right.pk


def test_every_event_type_through_the_api(office: Any, make_right: MakeRight):
    """Each event type is accepted and shows in the status as of its date."""
    number = make_right().number  # invention filed 2015-03-10, granted 2018-05-20 (year 4)
    url = f"{RIGHTS}/{number}/events"
    steps: list[tuple[dict[str, Any], str, Callable[[dict[str, Any]], bool]]] = [
        ({"type": "annuity_paid", "year": 4}, "2018-05-20", lambda s: s["status"] == "in_force"),
        ({"type": "annuity_paid", "year": 5}, "2019-03-01", lambda s: s["status"] == "in_force"),
        ({"type": "invalidation_requested"}, "2019-04-01", lambda s: s["invalidation_pending"]),
        (
            {"type": "invalidation_dismissed"},
            "2019-05-01",
            lambda s: not s["invalidation_pending"],
        ),
        (
            {"type": "preservation", "court": "北京知识产权法院"},
            "2019-06-01",
            lambda s: s["preserved"],
        ),
        ({"type": "preservation_lifted"}, "2019-07-01", lambda s: not s["preserved"]),
        ({"type": "dispute"}, "2019-08-01", lambda s: s["disputed"]),
        ({"type": "dispute_resolved"}, "2019-09-01", lambda s: not s["disputed"]),
        (
            {"type": "licence", "licence_type": "ordinary", "licensee": "丙公司"},
            "2019-10-01",
            lambda s: s["status"] == "in_force",
        ),
        (
            {"type": "transfer", "owners": [{"name": "乙公司", "uscc": make_uscc(seq=99)}]},
            "2019-11-01",
            lambda s: s["status"] == "in_force",
        ),
        (
            {"type": "invalidated", "scope": "partial"},
            "2019-12-01",
            lambda s: s["status"] == "in_force",
        ),
        # Year 6 (due 2020-03-10) never paid: lapsed from the due date once the grace has passed.
        (
            {"type": "restored"},
            "2020-10-01",
            lambda s: s["status"] == "in_force" and s["since"] == "2020-10-01",
        ),
        (
            {"type": "surrender"},
            "2020-11-01",
            lambda s: s["status"] == "surrendered" and s["since"] == "2020-11-01",
        ),
    ]
    for fields, on, check in steps:
        response = office.post_json(url, {**fields, "date": on})
        assert response.status_code == 201, (fields, response.content)
        status = _status(office, number, on)
        assert check(status), (fields, status)
    assert _status(office, number, "2020-09-30")["status"] == "lapsed"
    # The log as recorded, in date order, with every type.
    detail = office.get(f"{RIGHTS}/{number}").json()
    assert [e["type"] for e in detail["events"]] == [f["type"] for f, _, _ in steps]
    assert [o["name"] for o in detail["owners"]] == ["乙公司"]
    assert [(o["name"], o["valid_to"]) for o in detail["holder_history"]] == [
        ("甲科技有限公司", "2019-11-01"),
        ("乙公司", None),
    ]
    assert AuditRecord.objects.filter(action__startswith="right.event.").count() == len(steps)


def test_trademark_renewal_through_the_api(office: Any, make_right: MakeRight):
    mark = make_right(
        kind="trademark",
        number="556677",
        filing_date=date(2013, 1, 1),
        grant_date=date(2014, 1, 10),
    )
    url = f"{RIGHTS}/{mark.number}/events"
    response = office.post_json(url, {"type": "renewed", "date": "2023-12-01"})
    assert response.status_code == 201, response.content
    status = _status(office, mark.number, "2024-03-01")
    assert (status["status"], status["expiry_date"]) == ("in_force", "2034-01-10")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"type": "expired", "date": "2019-01-01"}, "unknown_event_type"),
        ({"type": "annuity_paid", "date": "2019-01-01", "year": 3}, "annuity_year_invalid"),
        ({"type": "annuity_paid", "date": "2019-01-01", "year": 21}, "annuity_year_invalid"),
        ({"type": "annuity_paid", "date": "2019-01-01"}, "annuity_year_invalid"),
        ({"type": "annuity_paid", "date": "2019-01-01", "year": "x"}, "invalid_input"),
        ({"type": "renewed", "date": "2019-01-01"}, "event_not_for_kind"),
        (
            {"type": "invalidated", "date": "2019-01-01", "scope": "half"},
            "invalidation_scope_invalid",
        ),
        ({"type": "licence", "date": "2019-01-01", "licensee": "丙"}, "licence_type_invalid"),
        (
            {"type": "transfer", "date": "2019-01-01", "owners": [{"name": "乙", "uscc": "X"}]},
            "uscc_length",
        ),
        ({"type": "transfer", "date": "2019-01-01"}, "owners_required"),
        ({"type": "dispute", "date": "2015-03-09"}, "event_before_filing"),
        ({"type": "dispute", "date": "2019-02-30"}, "invalid_input"),
        ({"type": "dispute", "date": "2019-01-01", "year": 5}, "event_field_not_allowed"),
    ],
)
def test_event_bad_input_is_422(
    office: Any, make_right: MakeRight, body: dict[str, Any], code: str
):
    right = make_right()
    response = office.post_json(f"{RIGHTS}/{right.number}/events", body)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code
    assert not RightEvent.objects.exists()


def test_event_permissions_and_404(
    office: Any,
    public: Any,
    api_client: Callable[..., Any],
    bank_a_user: User,
    make_right: MakeRight,
):
    right = make_right()
    body = {"type": "preservation", "date": "2019-01-01"}
    assert public.post_json(f"{RIGHTS}/{right.number}/events", body).status_code == 401
    bank = api_client(bank_a_user)
    assert bank.post_json(f"{RIGHTS}/{right.number}/events", body).status_code == 403
    missing = office.post_json(f"{RIGHTS}/{patent_no()}/events", body)
    assert missing.status_code == 404
    assert missing.json()["code"] == "right_not_found"
    assert not RightEvent.objects.exists()


# --- reads ---------------------------------------------------------------------------------------


def test_status_on_a_date_ignores_later_events(office: Any, public: Any, make_right: MakeRight):
    right = make_right()  # invention filed 2015-03-10, granted 2018-05-20
    url = f"{RIGHTS}/{right.number}/events"
    assert (
        office.post_json(url, {"type": "annuity_paid", "date": "2018-05-20", "year": 4}).status_code
        == 201
    )
    # Year 5 fell due 2019-03-10 and was never paid: in grace on 2019-06-01, lapsed later.
    on_d = _status(public, right.number, "2019-06-01")
    assert on_d == {
        "number": right.number,
        "on": "2019-06-01",
        "status": "grace_period",
        "since": "2019-03-10",
        "expiry_date": "2035-03-10",
        "grace_until": "2019-09-10",
        "unpaid_year": 5,
        "late_fee_rate": "0.10",
        "invalidation_pending": False,
        "preserved": False,
        "disputed": False,
        "next_annuity": None,
        "term_note": None,
        "renewal_pending": False,
    }
    # A preservation recorded after D does not show on D.
    assert office.post_json(url, {"type": "preservation", "date": "2019-07-01"}).status_code == 201
    assert _status(public, right.number, "2019-06-01")["preserved"] is False
    assert _status(public, right.number, "2019-07-01")["preserved"] is True
    later = _status(public, right.number, "2019-09-11")
    assert (later["status"], later["since"], later["unpaid_year"]) == ("lapsed", "2019-03-10", 5)
    # Before the grant: pending since the filing date.
    early = _status(public, right.number, "2016-01-01")
    assert (early["status"], early["since"]) == ("pending", "2015-03-10")


def test_status_defaults_to_today_and_rejects_bad_dates(public: Any, make_right: MakeRight):
    right = _fresh_invention(make_right)
    response = public.get(f"{RIGHTS}/{right.number}/status")
    assert response.status_code == 200
    data = response.json()
    assert data["on"] == timezone.localdate().isoformat()
    assert data["status"] == "grace_period"
    assert data["since"] == right.grant_date.isoformat()
    assert data["unpaid_year"] == 3
    for bad in ("2019-02-30", "yesterday", "2019/06/01"):
        bad_response = public.get(f"{RIGHTS}/{right.number}/status", {"on": bad})
        assert bad_response.status_code == 422, bad
        assert bad_response.json()["code"] == "invalid_input"


@pytest.mark.parametrize(
    "spelling",
    ["201220249767.4", "CN201220249767.4", "2012202497674", "ZL2012202497674", "cn201220249767.4"],
)
def test_non_canonical_numbers_in_paths(public: Any, make_right: MakeRight, spelling: str):
    make_right(number=REAL_UTILITY_MODEL_NO, kind="utility_model", filing_date=date(2012, 5, 28))
    detail = public.get(f"{RIGHTS}/{spelling}")
    assert detail.status_code == 200, detail.content
    assert detail.json()["number"] == REAL_UTILITY_MODEL_NO
    status = public.get(f"{RIGHTS}/{spelling}/status", {"on": "2012-06-01"})
    assert status.json()["number"] == REAL_UTILITY_MODEL_NO
    assert status.json()["status"] == "pending"


def test_unknown_right_is_404(public: Any):
    for path in (
        f"{RIGHTS}/{patent_no()}",
        f"{RIGHTS}/201220249767.5/status",
        f"{RIGHTS}/nonsense",
    ):
        response = public.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "right_not_found"


def test_detail_is_public_and_complete(public: Any, examiner: User, make_right: MakeRight):
    right = _fresh_invention(
        make_right, owners=[{"name": "甲", "share": "0.5"}, {"name": "乙", "share": "0.5"}]
    )
    response = public.get(f"{RIGHTS}/{right.number}")
    assert response.status_code == 200
    data = response.json()
    assert [(o["name"], o["share"], o["valid_to"]) for o in data["owners"]] == [
        ("甲", "0.5", None),
        ("乙", "0.5", None),
    ]
    assert len(data["holder_history"]) == 2
    assert data["events"] == []
    assert data["pledges"] == []  # no pledge on this right
    status = data["status"]
    assert status["status"] == "grace_period"
    assert status["grace_until"] is not None
    assert status["late_fee_rate"] in {"0.00", "0.05"}  # 50 days late: second month at most


def test_list_rights_paginated_with_status(public: Any, examiner: User, make_right: MakeRight):
    fresh = _fresh_invention(
        make_right, title="一种储能装置", owners=[{"name": "青松电子有限公司"}]
    )
    old = [make_right(title=f"旧专利{i}") for i in range(3)]
    response = public.get(RIGHTS, {"page_size": 2})
    assert response.status_code == 200
    data = response.json()
    assert (data["count"], data["page"], data["page_size"], data["pages"]) == (4, 1, 2, 2)
    assert len(data["items"]) == 2
    page2 = public.get(RIGHTS, {"page_size": 2, "page": 2}).json()
    numbers = [i["number"] for i in data["items"] + page2["items"]]
    assert numbers == sorted(r.number for r in [fresh, *old])

    found = public.get(RIGHTS, {"q": "青松"}).json()
    assert [i["number"] for i in found["items"]] == [fresh.number]
    item = found["items"][0]
    assert item["owners"] == ["青松电子有限公司"]
    assert item["status"]["status"] == "grace_period"
    assert public.get(RIGHTS, {"q": "旧专利"}).json()["count"] == 3
    assert public.get(RIGHTS, {"kind": "trademark"}).json()["count"] == 0
    assert public.get(RIGHTS, {"kind": "plant"}).status_code == 422
    assert public.get(RIGHTS, {"page": 0}).status_code == 422
    assert public.get(RIGHTS, {"page": 9}).json()["items"] == []


@pytest.mark.parametrize("n", [3, 30])
def test_list_rights_query_count_is_constant(
    public: Any, examiner: User, make_right: MakeRight, django_assert_max_num_queries, n: int
):
    for i in range(n):
        right = make_right(owners=[{"name": f"甲{i}"}, {"name": f"乙{i}"}])
        RightEvent.objects.create(right=right, type="dispute", date=date(2019, 1, 1))
    # count + page of rights + their current owners + all their events: four, whatever the size.
    with django_assert_max_num_queries(4):
        response = public.get(RIGHTS, {"page_size": 100})
    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == n
    assert all(i["status"]["disputed"] for i in items)
    assert all(len(i["owners"]) == 2 for i in items)


def test_openapi_schema_lists_the_registry(public: Any):
    paths = public.get("/api/schema").json()["paths"]
    assert {"/api/v1/rights", "/api/v1/rights/{number}", "/api/v1/rights/{number}/status"} <= set(
        paths
    )


# --- prices of transfers and licences ------------------------------------------------------------


def test_priced_licence_and_transfer_through_the_api(
    office: Any, public: Any, make_right: MakeRight
):
    number = make_right().number
    url = f"{RIGHTS}/{number}/events"
    licence = office.post_json(
        url,
        {
            "type": "licence",
            "date": "2019-10-01",
            "licence_type": "exclusive",
            "licensee": "丙公司",
            "price": "800000",
        },
    )
    assert licence.status_code == 201, licence.content
    assert licence.json()["payload"]["price"] == "800000.00"
    transfer = office.post_json(
        url,
        {"type": "transfer", "date": "2019-11-01", "owners": [{"name": "乙"}], "price": "2.5"},
    )
    assert transfer.status_code == 201, transfer.content
    events = public.get(f"{RIGHTS}/{number}").json()["events"]
    assert [e["payload"].get("price") for e in events] == ["800000.00", "2.50"]


@pytest.mark.parametrize(
    ("price", "code"),
    [("12.345", "amount_invalid"), ("-3", "amount_invalid"), ("1,000", "amount_invalid"),
     (1000, "invalid_input")],
)  # fmt: skip
def test_a_bad_price_through_the_api_is_422(
    office: Any, make_right: MakeRight, price: Any, code: str
):
    number = make_right().number
    response = office.post_json(
        f"{RIGHTS}/{number}/events",
        {"type": "licence", "date": "2019-10-01", "licence_type": "sole", "licensee": "丙",
         "price": price},
    )  # fmt: skip
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code
    if code == "amount_invalid":
        assert response.json()["field"] == "price"
    assert not RightEvent.objects.exists()
