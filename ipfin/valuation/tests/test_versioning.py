"""No lost updates on a bank's internal model and an enterprise's credit profile
(ipfin.common.versioning): reads answer `version` and the ETag, an edit names the version it was
made from in If-Match, a stale one is a 409 `version_conflict` that changes nothing, none a 428.
The PostgreSQL tests write the same version from eight threads at once: exactly one wins."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from ipfin.accounts.models import Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict
from ipfin.common.tests.concurrency import THREADS, run_at_once
from ipfin.registry.models import Right
from ipfin.valuation.models import BankValuationModel, EnterpriseCreditProfile
from ipfin.valuation.services import bank_model_update, credit_profile_update

BANK_MODEL = "/api/v1/valuations/bank-model"


def _put(client: Any, url: str, body: dict[str, Any], if_match: str | None) -> Any:
    headers = {"HTTP_IF_MATCH": if_match} if if_match is not None else {}
    return client.put(url, body, content_type="application/json", **headers)


# --- the bank's internal model -------------------------------------------------------------------


@pytest.mark.django_db
def test_bank_model_reads_and_writes_answer_the_version_and_its_etag(
    api_client: Callable[..., Any], bank_a_user: User
) -> None:
    bank = api_client(bank_a_user)
    read = bank.get(BANK_MODEL)
    assert (read.status_code, read.json()["version"], read["ETag"]) == (200, 0, '"0"')
    written = _put(bank, BANK_MODEL, {"score_floor": "0.9"}, '"0"')
    assert (written.status_code, written.json()["version"], written["ETag"]) == (200, 1, '"1"')
    again = _put(bank, BANK_MODEL, {"score_floor": "0.8"}, written["ETag"])
    assert (again.status_code, again.json()["version"], again["ETag"]) == (200, 2, '"2"')
    assert bank.get(BANK_MODEL)["ETag"] == '"2"'
    row = BankValuationModel.objects.get(bank=bank_a_user.organisation)
    assert (row.version, row.score_floor) == (2, Decimal("0.8"))


@pytest.mark.django_db
def test_a_stale_bank_model_write_is_409_and_changes_nothing(
    api_client: Callable[..., Any], bank_a_user: User, make_user: Callable[..., User]
) -> None:
    first = api_client(bank_a_user)
    second = api_client(make_user("bank_a_2", bank_a_user.organisation))
    stale_etag = second.get(BANK_MODEL)["ETag"]  # both editors read version 0
    assert _put(first, BANK_MODEL, {"haircuts": {"invention": "0.05"}}, '"0"').status_code == 200
    refused = _put(second, BANK_MODEL, {"haircuts": {"invention": "0.50"}}, stale_etag)
    assert refused.status_code == 409
    body = refused.json()
    assert (body["code"], body["current_version"]) == ("version_conflict", 1)
    assert set(body) == {"detail", "code", "current_version"}
    row = BankValuationModel.objects.get(bank=bank_a_user.organisation)
    assert (row.version, row.haircuts["invention"]) == (1, "0.05")
    assert AuditRecord.objects.filter(action="valuation.bank_model_update").count() == 1
    # Read again, apply again on the current version: taken.
    retried = _put(second, BANK_MODEL, {"haircuts": {"invention": "0.50"}}, '"1"')
    assert (retried.status_code, retried.json()["haircuts"]["invention"]) == (200, "0.50")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("if_match", "status", "code"),
    [
        (None, 428, "version_required"),
        ('"zero"', 422, "if_match_invalid"),
        ("*", 422, "if_match_invalid"),
    ],
)
def test_a_bank_model_write_without_a_usable_version_changes_nothing(
    api_client: Callable[..., Any],
    bank_a_user: User,
    if_match: str | None,
    status: int,
    code: str,
) -> None:
    response = _put(api_client(bank_a_user), BANK_MODEL, {"score_floor": "0.9"}, if_match)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert not BankValuationModel.objects.exists()
    assert not AuditRecord.objects.filter(action="valuation.bank_model_update").exists()


@pytest.mark.django_db
def test_a_stale_service_call_keeps_the_newer_values(bank_a_user: User) -> None:
    """The service merges the fields given into the version it locked, never into an older
    read: a stale partial update is refused instead of silently restoring the old fields."""
    bank_model_update(actor=bank_a_user, version=0, recheck_threshold="0.2")
    bank_model_update(actor=bank_a_user, version=1, score_floor="0.9")
    with pytest.raises(Conflict) as caught:
        bank_model_update(actor=bank_a_user, version=1, recheck_threshold="0.5")
    assert caught.value.code == "version_conflict"
    row = BankValuationModel.objects.get(bank=bank_a_user.organisation)
    assert (row.version, row.recheck_threshold, row.score_floor) == (
        2,
        Decimal("0.2"),
        Decimal("0.9"),
    )


# --- the enterprise's credit profile -------------------------------------------------------------


@pytest.fixture
def profile_url(enterprise_a: Organisation) -> str:
    return f"/api/v1/enterprises/{enterprise_a.uscc}/credit-score"


@pytest.mark.django_db
def test_credit_profile_reads_and_writes_answer_the_version_and_its_etag(
    api_client: Callable[..., Any], enterprise_a_user: User, profile_url: str
) -> None:
    own = api_client(enterprise_a_user)
    read = own.get(profile_url)
    assert (read.status_code, read.json()["version"], read["ETag"]) == (200, 0, '"0"')
    written = _put(own, profile_url, {"high_tech": True}, '"0"')
    assert (written.status_code, written.json()["version"], written["ETag"]) == (200, 1, '"1"')
    assert own.get(profile_url)["ETag"] == '"1"'


@pytest.mark.django_db
def test_a_stale_credit_profile_write_is_409_and_changes_nothing(
    api_client: Callable[..., Any],
    enterprise_a_user: User,
    bank_a_user: User,
    enterprise_a: Organisation,
    make_right: Callable[..., Right],
    submit: Callable[..., Any],
    profile_url: str,
) -> None:
    submit([make_right()])  # bank_a becomes enterprise_a's bank: it may keep the profile too
    own, bank = api_client(enterprise_a_user), api_client(bank_a_user)
    assert _put(own, profile_url, {"credit_rating": "AA"}, '"0"').status_code == 200
    seen_by_bank = bank.get(profile_url)["ETag"]  # version 1
    assert _put(own, profile_url, {"credit_rating": "A"}, '"1"').status_code == 200
    refused = _put(bank, profile_url, {"credit_rating": "AAA", "high_tech": True}, seen_by_bank)
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": refused.json()["detail"],
        "code": "version_conflict",
        "current_version": 2,
    }
    profile = EnterpriseCreditProfile.objects.get(organisation=enterprise_a)
    assert (profile.version, profile.credit_rating, profile.high_tech) == (2, "A", False)
    assert AuditRecord.objects.filter(action="valuation.credit_profile_update").count() == 2
    assert _put(bank, profile_url, {}, None).status_code == 428
    assert _put(bank, profile_url, {"high_tech": True}, '"2"').json()["version"] == 3


@pytest.mark.django_db
def test_the_document_declares_if_match_etag_409_and_428_on_these_operations(
    api_client: Callable[..., Any],
) -> None:
    paths = api_client().get("/api/schema").json()["paths"]
    for path in (BANK_MODEL, "/api/v1/enterprises/{uscc}/credit-score"):
        put, get = paths[path]["put"], paths[path]["get"]
        (if_match,) = [p for p in put["parameters"] if p["name"] == "If-Match"]
        assert (if_match["in"], if_match["required"]) == ("header", True)
        assert {"409", "428"} <= set(put["responses"])
        assert "ETag" in put["responses"]["200"]["headers"]
        assert "ETag" in get["responses"]["200"]["headers"]
        assert all(p["name"] != "If-Match" for p in get.get("parameters", []))


# --- at the same moment (PostgreSQL) -------------------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_bank_model_writes_of_one_version_exactly_one_wins(bank_a_user: User) -> None:
    assert connection.vendor == "postgresql"
    bank_model_update(actor=bank_a_user, version=0, score_floor="0.5")
    floors = [f"0.{60 + i}" for i in range(THREADS)]

    def write(i: int) -> str:
        actor = User.objects.select_related("organisation").get(pk=bank_a_user.pk)
        bank_model_update(actor=actor, version=1, score_floor=floors[i])
        return floors[i]

    results = run_at_once(write)
    winners = [value for outcome, value in results if outcome == "ok"]
    assert len(winners) == 1, results
    assert [r for r in results if r[0] != "ok"] == [("conflict", "version_conflict")] * (
        THREADS - 1
    ), results
    row = BankValuationModel.objects.get(bank=bank_a_user.organisation)
    assert (row.version, row.score_floor) == (2, Decimal(winners[0]))
    assert AuditRecord.objects.filter(action="valuation.bank_model_update").count() == 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_saves_of_a_credit_profile_exactly_one_wins(
    enterprise_a_user: User, enterprise_a: Organisation
) -> None:
    """Version 0 (none stored) from every thread: one creates the row, the others wait on it and
    are refused as stale — no IntegrityError, no second row."""
    assert connection.vendor == "postgresql"

    def write(i: int) -> int:
        actor = User.objects.select_related("organisation").get(pk=enterprise_a_user.pk)
        credit_profile_update(
            actor=actor, uscc=enterprise_a.uscc or "", version=0, overdue_count_24m=i
        )
        return i

    results = run_at_once(write)
    winners = [value for outcome, value in results if outcome == "ok"]
    assert len(winners) == 1, results
    assert [r for r in results if r[0] != "ok"] == [("conflict", "version_conflict")] * (
        THREADS - 1
    ), results
    profile = EnterpriseCreditProfile.objects.get(organisation=enterprise_a)
    assert (profile.version, profile.overdue_count_24m) == (1, winners[0])
