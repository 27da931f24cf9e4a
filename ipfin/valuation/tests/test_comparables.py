"""The market approach's comparables from the register: priced transfers and licences of other
rights of the same kind, most similar first (IPC subclass > class > section; then the most recent),
with the remaining-life ratio computed by hand below, the API's shape, and the suggestions posted
back to the preview as they are."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ipfin.accounts.models import User
from ipfin.common.errors import ValidationFailed
from ipfin.registry.models import Right
from ipfin.registry.services import right_event_record
from ipfin.valuation.selectors import market_comparables

ON = date(2024, 6, 1)  # the valuation date of these tests


def _priced(examiner: User, right: Right, type: str, on: date, price: str, **kw: Any) -> None:
    payload: dict[str, Any] = {"price": price, **kw}
    if type == "transfer":
        payload.setdefault("owners", [{"name": "受让方有限公司"}])
    else:
        payload.setdefault("licence_type", "ordinary")
        payload.setdefault("licensee", "被许可方有限公司")
    right_event_record(actor=examiner, right=right, type=type, date=on, payload=payload)


@pytest.fixture
def register(
    examiner: User, make_right: Callable[..., Right], pay_annuities: Callable[..., None]
) -> dict[str, Right]:
    """The subject S (an invention in G06F) and the register's transactions around it.

    Remaining legal years (the term of an invention is 20 years from filing; days ÷ 365.25,
    rounded down to 0.01):
    - S, filed 2014-06-01, on 2024-06-01: 3,652 days to 2034-06-01 → 9.99
    - A (G06F17/30), filed 2010-01-01, transferred 2023-01-01 for 1,000,000:
      2,557 days to 2030-01-01 → 7.00; ratio 9.99 / 7.00 = 1.42714… → 1.4271
    - B ("g06f 3/01": same subclass once blanks and case are ignored), filed 2016-03-01,
      exclusively licensed 2021-03-01 for 300,000: 5,479 days to 2036-03-01 → 15.00;
      ratio 9.99 / 15.00 = 0.666
    - C (G06N3/08, class G06), filed 2015-01-01, transferred 2024-01-01 for 500,000:
      4,018 days to 2035-01-01 → 11.00; ratio 9.99 / 11.00 = 0.90818… → 0.9082
    - D (G01R1/073, section G), filed 2012-06-01, transferred 2022-06-01 for 200,000:
      3,653 days to 2032-06-01 → 10.00; ratio 9.99 / 10.00 = 0.999
    Not comparables: E in another section (H01L), F a utility model, G licensed without a
    price, H transferred for 0, I transferred after the valuation date, J surrendered before its
    priced licence (no remaining term on that date), and S's own priced transfer.
    """
    make = make_right
    s = make(ipc_main="G06F16/33", filing_date=date(2014, 6, 1), grant_date=date(2017, 6, 1))
    a = make(ipc_main="G06F17/30", filing_date=date(2010, 1, 1), grant_date=date(2013, 1, 1))
    b = make(ipc_main="g06f 3/01", filing_date=date(2016, 3, 1), grant_date=date(2019, 3, 1))
    c = make(ipc_main="G06N3/08", filing_date=date(2015, 1, 1), grant_date=date(2018, 1, 1))
    d = make(ipc_main="G01R1/073", filing_date=date(2012, 6, 1), grant_date=date(2015, 6, 1))
    e = make(ipc_main="H01L27/06", filing_date=date(2015, 1, 1), grant_date=date(2018, 1, 1))
    f = make(
        kind="utility_model",
        ipc_main="G06F1/16",
        filing_date=date(2019, 1, 1),
        grant_date=date(2019, 9, 1),
    )
    g = make(ipc_main="G06F9/50", filing_date=date(2015, 1, 1), grant_date=date(2018, 1, 1))
    h = make(ipc_main="G06F9/50", filing_date=date(2015, 1, 1), grant_date=date(2018, 1, 1))
    i = make(ipc_main="G06F9/50", filing_date=date(2015, 1, 1), grant_date=date(2018, 1, 1))
    j = make(
        ipc_main="G06F9/50", filing_date=date(2010, 1, 1), grant_date=date(2013, 1, 1), paid=False
    )
    pay_annuities(j, until=date(2017, 12, 31))
    right_event_record(actor=examiner, right=j, type="surrender", date=date(2018, 1, 1))

    _priced(examiner, a, "transfer", date(2023, 1, 1), "1000000")
    _priced(examiner, b, "licence", date(2021, 3, 1), "300000", licence_type="exclusive")
    _priced(examiner, c, "transfer", date(2024, 1, 1), "500000")
    _priced(examiner, d, "transfer", date(2022, 6, 1), "200000")
    _priced(examiner, e, "transfer", date(2023, 6, 1), "900000")
    _priced(examiner, f, "transfer", date(2023, 6, 1), "900000")
    right_event_record(
        actor=examiner,
        right=g,
        type="licence",
        date=date(2023, 6, 1),
        payload={"licence_type": "ordinary", "licensee": "某公司"},
    )
    _priced(examiner, h, "transfer", date(2023, 6, 1), "0")
    _priced(examiner, i, "transfer", date(2024, 7, 1), "900000")
    _priced(examiner, j, "licence", date(2019, 1, 1), "900000")
    _priced(examiner, s, "transfer", date(2023, 6, 1), "900000")
    return {"S": s, "A": a, "B": b, "C": c, "D": d}


def test_comparables_most_similar_first_with_the_life_ratio(register: dict[str, Right]) -> None:
    s, a, b, c, d = (register[k] for k in "SABCD")
    with CaptureQueriesContext(connection) as queries:
        found = market_comparables(right=s, on=ON)
    # S's events, the candidates, their rights' events: whatever the number of candidates.
    assert len(queries) == 3
    assert [x["number"] for x in found] == [a.number, b.number, c.number, d.number]
    # Same subclass (A, B: A the more recent first), then class, then section.
    assert [x["similarity"] for x in found] == ["subclass", "subclass", "class", "section"]
    assert [x["comparable"] for x in found] == [
        {"price": "1000000.00", "technical": "1", "economic": "1",
         "remaining_life_ratio": "1.4271", "time": "1", "weight": "1"},
        {"price": "300000.00", "technical": "1", "economic": "1",
         "remaining_life_ratio": "0.666", "time": "1", "weight": "1"},
        {"price": "500000.00", "technical": "1", "economic": "1",
         "remaining_life_ratio": "0.9082", "time": "1", "weight": "0.6"},
        {"price": "200000.00", "technical": "1", "economic": "1",
         "remaining_life_ratio": "0.999", "time": "1", "weight": "0.3"},
    ]  # fmt: skip
    assert [(x["subject_remaining_years"], x["comparable_remaining_years"]) for x in found] == [
        ("9.99", "7.00"),
        ("9.99", "15.00"),
        ("9.99", "11.00"),
        ("9.99", "10.00"),
    ]
    first, licence = found[0], found[1]
    assert first["event"]["type"] == "transfer" and first["event"]["date"] == date(2023, 1, 1)
    assert first["is_licence"] is False and first["event"]["licence_type"] is None
    assert [n["code"] for n in first["notes"]] == ["factors_are_the_valuers"]
    # A licence fee is marked as such: the valuer decides.
    assert licence["is_licence"] is True
    assert licence["event"]["licence_type"] == "exclusive"
    assert licence["event"]["price"] == "300000.00"
    assert "licence_fee" in [n["code"] for n in licence["notes"]]


def test_limit_and_valuation_date(register: dict[str, Right]) -> None:
    s, a, b = register["S"], register["A"], register["B"]
    assert [x["number"] for x in market_comparables(right=s, on=ON, limit=2)] == [
        a.number,
        b.number,
    ]
    # As of 2022-12-31, A's transfer (2023-01-01) and C's (2024) had not happened yet.
    earlier = market_comparables(right=s, on=date(2022, 12, 31))
    assert [x["number"] for x in earlier] == [b.number, register["D"].number]
    with pytest.raises(ValidationFailed) as info:
        market_comparables(right=s, on=ON, limit=0)
    assert info.value.code == "limit_invalid"


def test_a_right_without_an_ipc_code_is_compared_by_kind(
    examiner: User, make_right: Callable[..., Right]
) -> None:
    subject = make_right(filing_date=date(2014, 6, 1), grant_date=date(2017, 6, 1))
    other = make_right(
        ipc_main="A01B1/00", filing_date=date(2014, 6, 1), grant_date=date(2017, 6, 1)
    )
    _priced(examiner, other, "transfer", date(2023, 6, 1), "100000")
    found = market_comparables(right=subject, on=ON)
    assert [(x["number"], x["similarity"]) for x in found] == [(other.number, "kind")]
    # Both filed 2014-06-01 (term to 2034-06-01). S on 2024-06-01: 3,652 days → 9.99; the other
    # on its transfer, 2023-06-01: 4,018 days → 11.00. Ratio 9.99 / 11.00 = 0.90818… → 0.9082.
    assert found[0]["comparable"]["weight"] == "0.3"
    assert found[0]["comparable"]["remaining_life_ratio"] == "0.9082"


def test_a_right_with_no_remaining_term_has_nothing_to_compare(
    examiner: User, make_right: Callable[..., Right], today: date
) -> None:
    right = make_right(ipc_main="G06F16/33")
    right_event_record(actor=examiner, right=right, type="surrender", date=today)
    with pytest.raises(ValidationFailed) as info:
        market_comparables(right=right, on=today)
    assert info.value.code == "right_not_in_force"


# --- the API -------------------------------------------------------------------------------------


def test_api_lists_the_comparables_and_the_preview_takes_them(
    public: Any, register: dict[str, Right]
) -> None:
    s = register["S"]
    response = public.get(f"/api/v1/rights/{s.number}/comparables?on=2024-06-01")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert [x["number"] for x in data] == [register[k].number for k in "ABCD"]
    first = data[0]
    assert set(first) >= {
        "number", "title", "kind", "ipc_main", "similarity", "event", "is_licence",
        "subject_remaining_years", "comparable_remaining_years", "comparable", "notes",
    }  # fmt: skip
    assert first["event"] == {
        "id": first["event"]["id"],
        "type": "transfer",
        "date": "2023-01-01",
        "price": "1000000.00",
        "licence_type": None,
    }
    # Exactly the preview's field names: posted back as they are.
    assert set(first["comparable"]) == {
        "price", "technical", "economic", "remaining_life_ratio", "time", "weight",
    }  # fmt: skip
    preview = public.post_json(
        "/api/v1/valuations/preview",
        {"method": "market", "comparables": [x["comparable"] for x in data]},
    )
    assert preview.status_code == 200, preview.json()
    # Σ w·P·c = 1 × 1,000,000 × 1.4271 + 1 × 300,000 × 0.666 + 0.6 × 500,000 × 0.9082
    #         + 0.3 × 200,000 × 0.999 = 1,427,100 + 199,800 + 272,460 + 59,940 = 1,959,300
    # V = 1,959,300 ÷ (1 + 1 + 0.6 + 0.3 = 2.9) = 675,620.6896… → 675,620.69
    assert preview.json()["value"] == "675620.69"


def test_api_limit_404_and_422(public: Any, register: dict[str, Right]) -> None:
    url = f"/api/v1/rights/{register['S'].number}/comparables"
    assert len(public.get(url + "?on=2024-06-01&limit=1").json()) == 1
    assert public.get(url + "?limit=0").status_code == 422
    assert public.get(url + "?limit=51").status_code == 422
    assert public.get(url + "?on=not-a-date").status_code == 422
    refused = public.get(url + "?on=1800-01-01")
    assert refused.status_code == 422 and refused.json()["code"] == "date_out_of_range"
    missing = public.get("/api/v1/rights/2099100000001.9/comparables")
    assert missing.status_code == 404 and missing.json()["code"] == "right_not_found"
    # The registry's routes of the same right still answer (route order).
    number = register["S"].number
    assert public.get(f"/api/v1/rights/{number}").status_code == 200
    assert public.get(f"/api/v1/rights/{number}/status").status_code == 200


def test_openapi_documents_the_comparables_and_the_price(public: Any, db: Any) -> None:
    schema = public.get("/api/schema").json()
    assert "/api/v1/rights/{number}/comparables" in schema["paths"]
    event_in = schema["components"]["schemas"]["EventIn"]["properties"]
    assert "转让价款" in event_in["price"]["description"]
