"""Hostile and out-of-range input to the register's API: always a clear 4xx, never a 500.

Most of these passed on SQLite before they were fixed and failed on PostgreSQL only (a NUL
character or a string longer than its column is a database error there), so the suite must run on
both back ends: the PostgreSQL run is what proves them. Also here, because this app's tests are
where the API's shared request handling is exercised: malformed JSON bodies (ipfin/api.py) and the
organisation endpoint's text limits (ipfin/accounts/api.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from ipfin.accounts.models import Organisation
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import NotFound, ValidationFailed
from ipfin.registry.models import Right, RightEvent, RightOwner
from ipfin.registry.selectors import number_candidates, right_get, rights_search
from ipfin.registry.tests.factories import patent_no

pytestmark = pytest.mark.django_db

MakeRight = Callable[..., Right]
RIGHTS = "/api/v1/rights"
NUL = "\x00"


def _today() -> date:
    return timezone.localdate()


def _body(**kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": patent_no("invention", 2020),
        "kind": "invention",
        "title": "一种测试装置",
        "filing_date": "2020-01-06",
        "grant_date": "2022-03-01",
        "owners": [{"name": "甲科技有限公司"}],
    }
    return body | kw


def _nothing_written() -> None:
    assert not Right.objects.exists()
    assert not RightOwner.objects.exists()
    assert not AuditRecord.objects.filter(action="right.create").exists()


# --- NUL characters and over-long text in request bodies ------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"title": f"一种{NUL}装置"},
        {"owners": [{"name": f"甲{NUL}公司"}]},
        {"number": f"2020{NUL}10999100"},
        {"publication_no": f"CN1{NUL}"},
        {"mark_text": NUL},
        {"title": "\ud800"},  # a lone surrogate: not encodable as UTF-8 by any database driver
    ],
    ids=["title", "owner_name", "number", "publication_no", "mark_text", "surrogate"],
)
def test_create_right_with_unstorable_text_is_422(office: Any, changes: dict[str, Any]):
    response = office.post_json(RIGHTS, _body(**changes))
    assert response.status_code == 422, response.content
    data = response.json()
    assert data["code"] == "invalid_text"
    assert data["detail"]
    assert data["loc"][0] == "body"
    _nothing_written()


def test_invalid_text_error_names_the_field_in_both_languages(office: Any):
    body = _body(owners=[{"name": "甲"}, {"name": f"乙{NUL}"}])
    zh = office.post_json(RIGHTS, body).json()
    en = office.post_json(RIGHTS, body, headers={"Accept-Language": "en"}).json()
    assert zh["loc"] == en["loc"] == ["body", "owners", 1, "name"]
    assert "owners.1.name" in zh["detail"] and "owners.1.name" in en["detail"]
    assert "字符" in zh["detail"]
    assert "character" in en["detail"]


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "长" * 501},
        {"owners": [{"name": "甲" * 301}]},
        {"number": "1" * 61},
        {"publication_no": "C" * 41},
    ],
    ids=["title", "owner_name", "number", "publication_no"],
)
def test_create_right_with_text_longer_than_its_column_is_422(office: Any, changes: dict[str, Any]):
    response = office.post_json(RIGHTS, _body(**changes))
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_input"
    _nothing_written()


def test_longest_title_and_owner_name_fit(office: Any):
    response = office.post_json(RIGHTS, _body(title="长" * 500, owners=[{"name": "甲" * 300}]))
    assert response.status_code == 201, response.content
    right = Right.objects.get()
    assert len(right.title) == 500
    assert len(right.owners.get().name) == 300


@pytest.mark.parametrize(
    "event",
    [
        {"type": "preservation", "date": "2022-06-01", "note": f"(2022)京01{NUL}"},
        {"type": "preservation", "date": "2022-06-01", "court": f"北京{NUL}法院"},
        {"type": "licence", "date": "2022-06-01", "licence_type": "ordinary", "licensee": NUL},
        {"type": f"dispute{NUL}", "date": "2022-06-01"},
        {
            "type": "transfer",
            "date": "2022-06-01",
            "owners": [{"name": f"乙{NUL}"}],
        },
    ],
    ids=["note", "court", "licensee", "type", "transfer_owner"],
)
def test_event_with_nul_is_422(office: Any, make_right: MakeRight, event: dict[str, Any]):
    right = make_right(filing_date=date(2020, 1, 6), grant_date=date(2022, 3, 1))
    response = office.post_json(f"{RIGHTS}/{right.number}/events", event)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_text"
    assert not RightEvent.objects.exists()
    assert list(right.owners.values_list("name", flat=True)) == ["甲科技有限公司"]


def test_event_note_longer_than_allowed_is_422(office: Any, make_right: MakeRight):
    right = make_right()
    response = office.post_json(
        f"{RIGHTS}/{right.number}/events",
        {"type": "dispute", "date": "2019-01-01", "note": "x" * 1001},
    )
    assert response.status_code == 422
    assert not RightEvent.objects.exists()


# --- NUL and over-long values in paths and query strings ------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"{RIGHTS}/a%00b",
        f"{RIGHTS}/a%00b/status",
        f"{RIGHTS}/201220249767.4%00",
        f"{RIGHTS}/{'1' * 41}",
        f"{RIGHTS}/{'1' * 41}/status",
    ],
)
def test_unstorable_number_in_path_is_404(public: Any, path: str):
    response = public.get(path)
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "right_not_found"


def test_unstorable_number_in_event_path_is_404(office: Any):
    response = office.post_json(f"{RIGHTS}/a%00b/events", {"type": "dispute", "date": "2020-01-01"})
    assert response.status_code == 404, response.content
    assert not RightEvent.objects.exists()


def test_nul_in_search_query_is_422(public: Any, make_right: MakeRight):
    make_right(title="一种储能装置")
    response = public.get(f"{RIGHTS}?q=a%00b")
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_text"
    assert response.json()["loc"] == ["query", "q"]


def test_search_query_length_is_bounded(public: Any, make_right: MakeRight):
    make_right(title="一种储能装置")
    assert public.get(RIGHTS, {"q": "储" * 200}).status_code == 200
    too_long = public.get(RIGHTS, {"q": "储" * 201})
    assert too_long.status_code == 422, too_long.content


def test_selectors_guard_unstorable_numbers_and_search_text(make_right: MakeRight):
    right = make_right()
    assert number_candidates(f"{right.number}{NUL}") == []
    assert number_candidates("1" * 41) == []
    assert number_candidates(right.number) == [right.number]
    for bad in (f"a{NUL}b", "1" * 41):
        with pytest.raises(NotFound):
            right_get(number=bad)
    with pytest.raises(ValidationFailed) as exc:
        list(rights_search(q=f"a{NUL}b"))
    assert exc.value.code == "search_invalid"
    with pytest.raises(ValidationFailed) as exc:
        list(rights_search(q="x" * 201))
    assert exc.value.code == "search_invalid"
    assert list(rights_search(q=right.number)) == [right]


# --- paging ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"page": 9223372036854775807},
        {"page": 461168601842738791},
        {"page": 99999999999999999999},
        {"page": 100001},
        {"page": 0},
        {"page_size": 0},
        {"page_size": 101},
        {"page_size": 9223372036854775807},
    ],
)
def test_page_out_of_range_is_422(public: Any, make_right: MakeRight, params: dict[str, int]):
    make_right()
    response = public.get(RIGHTS, params)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_input"


def test_last_allowed_page_is_empty_not_an_error(public: Any, make_right: MakeRight):
    make_right()
    response = public.get(RIGHTS, {"page": 100000, "page_size": 100})
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["items"], data["count"], data["page"]) == ([], 1, 100000)


# --- dates: the register records facts ------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"filing_date": "9999-01-01", "grant_date": None},
        {"kind": "trademark", "number": "70000011", "filing_date": "2020-01-01",
         "grant_date": "9995-01-01"},
        {"kind": "copyright", "number": "2019SR0123456", "filing_date": "9960-01-01",
         "grant_date": None},
        {"kind": "design", "number": patent_no("design", 2021), "filing_date": "9990-01-01",
         "grant_date": None},
        {"filing_date": "2099-01-01", "grant_date": None},
        {"grant_date": "2099-01-01"},
    ],
    ids=["invention_9999", "trademark_grant_9995", "copyright_9960", "design_9990",
         "filing_2099", "grant_2099"],
)  # fmt: skip
def test_future_filing_or_grant_date_is_422(office: Any, changes: dict[str, Any]):
    response = office.post_json(RIGHTS, _body(**changes))
    assert response.status_code == 422, response.content
    data = response.json()
    assert data["code"] == "date_in_future"
    assert data["field"] in {"filing_date", "grant_date"}
    _nothing_written()


def test_filing_and_grant_date_boundaries(office: Any):
    today, tomorrow = _today(), _today() + timedelta(days=1)
    for field in ("filing_date", "grant_date"):
        dates = {"filing_date": "2020-01-06", "grant_date": None} | {field: tomorrow.isoformat()}
        response = office.post_json(RIGHTS, _body(**dates))
        assert response.status_code == 422, field
        assert (response.json()["code"], response.json()["field"]) == ("date_in_future", field)
    assert not Right.objects.exists()
    response = office.post_json(
        RIGHTS, _body(filing_date=today.isoformat(), grant_date=today.isoformat())
    )
    assert response.status_code == 201, response.content


def test_filing_date_floor(office: Any):
    too_early = office.post_json(RIGHTS, _body(filing_date="1899-12-31", grant_date=None))
    assert too_early.status_code == 422, too_early.content
    assert (too_early.json()["code"], too_early.json()["field"]) == (
        "date_too_early",
        "filing_date",
    )
    assert office.post_json(RIGHTS, _body(filing_date="0001-01-01")).status_code == 422
    assert not Right.objects.exists()
    ok = office.post_json(RIGHTS, _body(filing_date="1900-01-01", grant_date="1900-06-01"))
    assert ok.status_code == 201, ok.content


@pytest.mark.parametrize(
    "event",
    [
        {"type": "surrender"},
        {"type": "preservation"},
        {"type": "annuity_paid", "year": 6},
        {"type": "dispute"},
    ],
)
def test_future_event_date_is_422(office: Any, make_right: MakeRight, event: dict[str, Any]):
    right = make_right(filing_date=date(2020, 1, 6), grant_date=date(2022, 3, 1))
    url = f"{RIGHTS}/{right.number}/events"
    for day in ("9999-12-31", (_today() + timedelta(days=1)).isoformat()):
        response = office.post_json(url, {**event, "date": day})
        assert response.status_code == 422, (day, response.content)
        assert response.json()["code"] == "date_in_future"
    assert not RightEvent.objects.exists()


def test_event_dated_today_is_accepted(office: Any, make_right: MakeRight):
    right = make_right(filing_date=date(2020, 1, 6), grant_date=date(2022, 3, 1))
    response = office.post_json(
        f"{RIGHTS}/{right.number}/events", {"type": "dispute", "date": _today().isoformat()}
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("on", ["1900-01-01", "2999-12-31"])
@pytest.mark.parametrize("kind", ["invention", "design", "trademark", "copyright"])
def test_status_at_the_ends_of_the_computable_range(
    public: Any, make_right: MakeRight, kind: str, on: str
):
    number = {"trademark": "70000021", "copyright": "2019SR0123456"}.get(kind)
    right = make_right(kind=kind, **({"number": number} if number else {}))
    response = public.get(f"{RIGHTS}/{right.number}/status", {"on": on})
    assert response.status_code == 200, response.content
    assert response.json()["on"] == on


@pytest.mark.parametrize(
    "on", ["1899-12-31", "3000-01-01", "9999-06-30", "9999-12-31", "0001-01-01"]
)
def test_status_outside_the_computable_range_is_422(public: Any, make_right: MakeRight, on: str):
    right = make_right(kind="trademark", number="70000022")
    response = public.get(f"{RIGHTS}/{right.number}/status", {"on": on})
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "date_out_of_range"


# --- request bodies that are not JSON (ipfin/api.py) ----------------------------------------------


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        ("{", "application/json"),
        ('{"number": ', "application/json"),
        ("number=1&kind=invention", "application/x-www-form-urlencoded"),
        (b'{"title": "\xc3\x28"}', "application/json"),
    ],
    ids=["brace", "truncated", "form_encoded", "not_utf8"],
)
def test_malformed_body_is_422_invalid_json(office: Any, raw: Any, content_type: str):
    response = office.post(RIGHTS, raw, content_type=content_type)
    assert response.status_code == 422, response.content
    data = response.json()
    assert data["code"] == "invalid_json"
    assert "JSON" in data["detail"]
    _nothing_written()


def test_malformed_body_still_needs_authentication(public: Any):
    response = public.post(RIGHTS, "{", content_type="application/json")
    assert response.status_code == 401


# --- organisations (ipfin/accounts/api.py) --------------------------------------------------------


ORGANISATIONS = "/api/v1/organisations"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"name": f"甲{NUL}公司"}, "invalid_text"),
        ({"name": "甲" * 201}, "invalid_input"),
        ({"region": "区" * 101}, "invalid_input"),
        ({"region": f"北京{NUL}"}, "invalid_text"),
    ],
    ids=["name_nul", "name_long", "region_long", "region_nul"],
)
def test_organisation_text_limits(office: Any, changes: dict[str, Any], code: str):
    before = Organisation.objects.count()
    response = office.post_json(ORGANISATIONS, {"kind": "bank", "name": "丙银行"} | changes)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code
    assert Organisation.objects.count() == before


def test_organisation_longest_name_fits(api_client: Any, office_admin: Any):
    # A bank is registered by an office administrator (an examiner registers enterprises).
    response = api_client(office_admin).post_json(
        ORGANISATIONS, {"kind": "bank", "name": "丙" * 200}
    )
    assert response.status_code == 201, response.content
    assert Organisation.objects.filter(name="丙" * 200).exists()
