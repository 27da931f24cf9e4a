"""Hostile and out-of-range input to the pledge API: always a clear 4xx that stores nothing.

- Money: one upper bound, MAX_AMOUNT (15 significant digits, exact in SQLite's REAL), enforced by
  the one parser of incoming amounts for submit, resubmit and change. Before the bound, an amount of
  16 significant digits was stored on SQLite and every later read of the pledge was a 500.
- Text: a NUL character or an unencodable string is a 422 before any query (a database error on
  PostgreSQL); the PostgreSQL run of these tests is what proves them.
- Bodies that are not JSON are a 422 `invalid_json`, not a 400.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ipfin.accounts.models import Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import ValidationFailed
from ipfin.common.money import MAX_AMOUNT
from ipfin.pledges.models import Pledge, PledgeChange, PledgeDocument, PledgeItem
from ipfin.pledges.services import pledge_change, pledge_decide, pledge_resubmit
from ipfin.registry.models import Right

Client = Callable[[User | None], Any]
PLEDGES = "/api/v1/pledges"
NUL = "\x00"
TOP = "9999999999999.99"  # MAX_AMOUNT as the API writes it
ABOVE = [
    "10000000000000.00",  # MAX_AMOUNT + 0.01
    "10000000000000",
    10000000000000,
    "12345678901234.56",  # came back as ...34.60 from SQLite's REAL
    "99999999999999.99",  # was stored, then every read of the pledge was a 500
    99999999999999.99,
    "100000000000000",
    "1" * 40,
]


def body(right_numbers: list[str], enterprise: Organisation, today: date, **kw: Any) -> dict:
    data: dict[str, Any] = {
        "pledgor_uscc": enterprise.uscc,
        "rights": right_numbers,
        "debt_amount": "5000000.00",
        "term_start": today.isoformat(),
        "term_end": (today + timedelta(days=730)).isoformat(),
        "contract_no": "ZY-2026-001",
    }
    return data | kw


def _nothing_stored() -> None:
    assert not Pledge.objects.exists()
    assert not PledgeItem.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="pledge.").exists()


# --- money: the upper bound -----------------------------------------------------------------------


def test_largest_amount_is_stored_exactly_and_every_read_works(
    upload_contract: Callable[..., Any],
    bank_a_api: Any,
    examiner_api: Any,
    api_client: Client,
    right: Right,
    enterprise_a: Organisation,
    enterprise_a_user: User,
    today: date,
) -> None:
    created = bank_a_api.post_json(
        PLEDGES, body([right.number], enterprise_a, today, debt_amount=TOP)
    )
    assert created.status_code == 201, created.content
    pledge_id = created.json()["id"]
    assert created.json()["debt_amount"] == TOP
    confirmed = api_client(enterprise_a_user).post_json(f"{PLEDGES}/{pledge_id}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["debt_amount"] == TOP
    assert Pledge.objects.get().debt_amount == MAX_AMOUNT
    assert bank_a_api.get(f"{PLEDGES}/{pledge_id}").json()["debt_amount"] == TOP
    assert [p["debt_amount"] for p in bank_a_api.get(PLEDGES).json()["items"]] == [TOP]
    assert [p["debt_amount"] for p in examiner_api.get(f"{PLEDGES}/queue").json()] == [TOP]
    ours = api_client(enterprise_a_user).get(PLEDGES)
    assert [p["debt_amount"] for p in ours.json()["items"]] == [TOP]
    upload_contract(Pledge.objects.get(pk=pledge_id))
    approved = examiner_api.post_json(f"{PLEDGES}/{pledge_id}/decision", {"decision": "approve"})
    assert approved.status_code == 200, approved.content
    anonymous = api_client(None)
    public = anonymous.get(f"{PLEDGES}/public")
    assert public.status_code == 200
    assert [p["registration_no"] for p in public.json()] == [approved.json()["registration_no"]]
    assert anonymous.get(f"/api/v1/rights/{right.number}").status_code == 200


@pytest.mark.parametrize("amount", ABOVE)
def test_amount_above_the_bound_is_422_and_stores_nothing(
    bank_a_api: Any, right: Right, enterprise_a: Organisation, today: date, amount: Any
) -> None:
    response = bank_a_api.post_json(
        PLEDGES, body([right.number], enterprise_a, today, debt_amount=amount)
    )
    assert response.status_code == 422, response.content
    data = response.json()
    assert data["code"] == "amount_too_large" and data["field"] == "debt_amount"
    assert data["max_amount"] == TOP
    assert "9,999,999,999,999.99" in data["detail"]
    _nothing_stored()


def test_amount_bound_in_the_service(submit: Callable[..., Any], right: Right) -> None:
    with pytest.raises(ValidationFailed) as exc:
        submit([right], debt_amount=MAX_AMOUNT + Decimal("0.01"))
    assert exc.value.code == "amount_too_large"
    _nothing_stored()
    pledge, _checks = submit([right], debt_amount=MAX_AMOUNT)
    pledge.refresh_from_db()
    assert pledge.debt_amount == MAX_AMOUNT


def test_resubmit_amount_is_bounded(
    submit: Callable[..., Any], right: Right, examiner: User, bank_a_user: User
) -> None:
    pledge, _checks = submit([right])
    pledge_decide(actor=examiner, pledge=pledge, decision="correct", reason="请更正金额")
    for amount in ("10000000000000.00", "12345678901234.56"):
        with pytest.raises(ValidationFailed) as exc:
            pledge_resubmit(actor=bank_a_user, pledge=pledge, debt_amount=amount)
        assert exc.value.code == "amount_too_large"
    pledge.refresh_from_db()
    assert (pledge.state, pledge.debt_amount) == ("correction_requested", Decimal("5000000.00"))
    resubmitted, _checks = pledge_resubmit(actor=bank_a_user, pledge=pledge, debt_amount=TOP)
    resubmitted.refresh_from_db()
    # A changed amount is a changed particular: the pledgor signs again.
    assert (resubmitted.state, resubmitted.debt_amount) == ("awaiting_confirmation", MAX_AMOUNT)


def test_change_amount_is_bounded_over_the_api(
    submit: Callable[..., Any],
    right: Right,
    examiner: User,
    bank_a_api: Any,
    upload_contract: Callable[..., Any],
) -> None:
    pledge, _checks = submit([right])
    upload_contract(pledge)
    pledge_decide(actor=examiner, pledge=pledge, decision="approve")
    path = f"{PLEDGES}/{pledge.pk}/change"
    for amount in ABOVE:
        response = bank_a_api.post_json(path, {"reason": "增加授信", "debt_amount": amount})
        assert response.status_code == 422, (amount, response.content)
        assert response.json()["code"] == "amount_too_large"
    pledge.refresh_from_db()
    assert pledge.debt_amount == Decimal("5000000.00")
    assert not PledgeChange.objects.exists()
    response = bank_a_api.post_json(path, {"reason": "增加授信", "debt_amount": TOP})
    assert response.status_code == 201, response.content
    assert response.json()["after"] == {"debt_amount": TOP}


def test_change_service_bound(
    submit: Callable[..., Any],
    right: Right,
    examiner: User,
    bank_a_user: User,
    upload_contract: Callable[..., Any],
) -> None:
    pledge, _checks = submit([right])
    upload_contract(pledge)
    pledge_decide(actor=examiner, pledge=pledge, decision="approve")
    with pytest.raises(ValidationFailed) as exc:
        pledge_change(actor=bank_a_user, pledge=pledge, reason="x", debt_amount=MAX_AMOUNT + 1)
    assert exc.value.code == "amount_too_large"
    assert not PledgeChange.objects.exists()


# --- text that no database can store --------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"contract_no": f"ZY{NUL}1"},
        {"scope": f"本金{NUL}"},
        {"pledgor_uscc": f"9111{NUL}"},
        {"rights": [f"2021{NUL}"]},
        {"contract_no": "\udfff"},
    ],
    ids=["contract_no", "scope", "pledgor_uscc", "right_number", "surrogate"],
)
def test_submit_with_unstorable_text_is_422(
    bank_a_api: Any,
    right: Right,
    enterprise_a: Organisation,
    today: date,
    changes: dict[str, Any],
) -> None:
    response = bank_a_api.post_json(PLEDGES, body([right.number], enterprise_a, today, **changes))
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_text"
    _nothing_stored()


def test_precheck_with_nul_is_422(
    bank_a_api: Any, right: Right, enterprise_a: Organisation, today: date
) -> None:
    data = body([right.number, f"a{NUL}b"], enterprise_a, today)
    del data["debt_amount"], data["contract_no"]
    response = bank_a_api.post_json(f"{PLEDGES}/precheck", data)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_text"


def test_over_long_right_number_is_422_naming_it(
    bank_a_api: Any, right: Right, enterprise_a: Organisation, today: date
) -> None:
    number = "1" * 300
    response = bank_a_api.post_json(PLEDGES, body([right.number, number], enterprise_a, today))
    assert response.status_code == 422, response.content
    assert (response.json()["code"], response.json()["right"]) == ("right_not_found", number)
    _nothing_stored()


def test_contract_no_longer_than_its_column_is_422(
    bank_a_api: Any, right: Right, enterprise_a: Organisation, today: date
) -> None:
    response = bank_a_api.post_json(
        PLEDGES, body([right.number], enterprise_a, today, contract_no="C" * 101)
    )
    assert response.status_code == 422, response.content
    _nothing_stored()


def test_nul_in_decision_change_and_resubmit_is_422(
    submit: Callable[..., Any],
    make_right: Callable[..., Right],
    examiner_api: Any,
    bank_a_api: Any,
    examiner: User,
    upload_contract: Callable[..., Any],
) -> None:
    submitted, _checks = submit([make_right()])
    response = examiner_api.post_json(
        f"{PLEDGES}/{submitted.pk}/decision", {"decision": "reject", "reason": f"不{NUL}"}
    )
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_text"
    submitted.refresh_from_db()
    assert submitted.state == "submitted"

    pledge_decide(actor=examiner, pledge=submitted, decision="correct", reason="请更正")
    response = bank_a_api.post_json(
        f"{PLEDGES}/{submitted.pk}/resubmit", {"contract_no": f"C{NUL}"}
    )
    assert response.status_code == 422, response.content
    submitted.refresh_from_db()
    assert submitted.state == "correction_requested"

    registered, _checks = submit([make_right()])
    upload_contract(registered)
    pledge_decide(actor=examiner, pledge=registered, decision="approve")
    response = bank_a_api.post_json(
        f"{PLEDGES}/{registered.pk}/change", {"reason": f"变更{NUL}", "scope": "本金及利息"}
    )
    assert response.status_code == 422, response.content
    assert not PledgeChange.objects.exists()


def test_public_search_rejects_nul_and_over_long_queries(api_client: Client, db: None) -> None:
    anonymous = api_client(None)
    response = anonymous.get(f"{PLEDGES}/public?q=a%00b")
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_text"
    assert anonymous.get(f"{PLEDGES}/public", {"q": "1" * 200}).status_code == 200
    too_long = anonymous.get(f"{PLEDGES}/public", {"q": "1" * 201})
    assert too_long.status_code == 422, too_long.content


# --- paths and dates ------------------------------------------------------------------------------


@pytest.mark.parametrize("pledge_id", ["99999999999999999999", "9223372036854775808"])
def test_pledge_id_beyond_any_row_is_404(bank_a_api: Any, pledge_id: str) -> None:
    response = bank_a_api.get(f"{PLEDGES}/{pledge_id}")
    assert response.status_code == 404, response.content
    post = bank_a_api.post_json(f"{PLEDGES}/{pledge_id}/withdraw", {})
    assert post.status_code == 404, post.content


def test_far_future_debt_term_is_refused_by_the_precheck(
    bank_a_api: Any, right: Right, enterprise_a: Organisation, today: date
) -> None:
    response = bank_a_api.post_json(
        PLEDGES, body([right.number], enterprise_a, today, term_end="9999-12-31")
    )
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "precheck_failed"
    _nothing_stored()


# --- bodies that are not JSON ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        ("{", "application/json"),
        ('{"pledgor_uscc": ', "application/json"),
        ("pledgor_uscc=x&rights=y", "application/x-www-form-urlencoded"),
    ],
    ids=["brace", "truncated", "form_encoded"],
)
def test_malformed_submit_body_is_422_invalid_json(
    bank_a_api: Any, raw: str, content_type: str
) -> None:
    response = bank_a_api.post(PLEDGES, raw, content_type=content_type)
    assert response.status_code == 422, response.content
    data = response.json()
    assert data["code"] == "invalid_json"
    assert "JSON" in data["detail"]
    _nothing_stored()


def test_malformed_body_on_release_and_decision(
    submit: Callable[..., Any],
    right: Right,
    examiner: User,
    examiner_api: Any,
    bank_a_api: Any,
    upload_contract: Callable[..., Any],
) -> None:
    pledge, _checks = submit([right])
    decision = examiner_api.post(
        f"{PLEDGES}/{pledge.pk}/decision", "{", content_type="application/json"
    )
    assert decision.status_code == 422, decision.content
    assert decision.json()["code"] == "invalid_json"
    upload_contract(pledge)
    pledge_decide(actor=examiner, pledge=pledge, decision="approve")
    release = bank_a_api.post(
        f"{PLEDGES}/{pledge.pk}/release",
        "released_on=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert release.status_code == 422, release.content
    assert release.json()["code"] == "invalid_json"
    pledge.refresh_from_db()
    assert pledge.state == "registered"


def test_nul_in_an_uploaded_file_name_never_reaches_the_database(
    submit: Callable[..., Any], right: Right, bank_a_api: Any
) -> None:
    # Django's multipart parser drops the NUL from a file name; this guards that it stays so.
    pledge, _checks = submit([right])
    pdf = b"%PDF-1.4\n%%EOF\n"
    response = bank_a_api.post(
        f"{PLEDGES}/{pledge.pk}/documents",
        {"file": SimpleUploadedFile(f"合同{NUL}.pdf", pdf, "application/pdf")},
    )
    assert response.status_code == 201, response.content
    assert PledgeDocument.objects.get().original_name == "合同.pdf"
