"""GET /api/v1/risk/signals over the real API (issue 12, "Fabricated data and anomalies (虚构合同、
数据异常, seed 001)"; the seed is not on disk; DOMAIN.md Roles: the regulator reads "anomaly
signals"): the IP office and the regulator read the signals with their evidence (200), a bank or
an enterprise may not (403), nobody anonymously (401), a kind the API does not know is a 422; the
document declares each status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, User
from ipfin.pledges.tests.factories import file_pledge
from ipfin.registry.models import Right

pytestmark = pytest.mark.django_db

SIGNALS = "/api/v1/risk/signals"


@pytest.fixture
def shared_number(
    make_right: Callable[..., Right],
    bank_a_user: User,
    bank_b_user: User,
    enterprise_a: Organisation,
    enterprise_b: Organisation,
) -> list[int]:
    """Two pledges of different parties under one contract number: a signal."""
    return [
        file_pledge(
            bank_user=bank,
            pledgor=firm,
            rights=[make_right(owners=[firm])],
            contract_no="HT-API-001",
        ).pk
        for bank, firm in ((bank_a_user, enterprise_a), (bank_b_user, enterprise_b))
    ]


def test_the_office_and_the_regulator_read_the_signals_with_their_evidence_issue12_seed001(
    api_client: Callable[..., Any],
    shared_number: list[int],
    office_user: User,
    regulator_user: User,
    enterprise_a: Organisation,
    bank_a: Organisation,
) -> None:
    for reader in (office_user, regulator_user):
        response = api_client(reader).get(SIGNALS)
        assert response.status_code == 200, response.content
        page = response.json()
        assert (page["count"], page["by_kind"], page["limit"], page["offset"]) == (
            1,
            {"shared_contract_no": 1},
            100,
            0,
        )
        (item,) = page["items"]
        assert (item["kind"], item["key"], item["bank"]) == (
            "shared_contract_no",
            "contract_no:HT-API-001",
            None,
        )
        assert "HT-API-001" in item["message"] and "质押合同编号" in item["message"]
        evidence = item["evidence"]
        assert evidence["pledge_ids"] == sorted(shared_number)
        assert {"id": enterprise_a.pk, "name": enterprise_a.name} in evidence["organisations"]
        assert {"id": bank_a.pk, "name": bank_a.name} in evidence["organisations"]
        assert evidence["figures"]["party_pairs"] == "2"
        assert evidence["loan_ids"] == evidence["valuation_ids"] == []


def test_the_message_in_english_and_the_kind_filter(
    api_client: Callable[..., Any], shared_number: list[int], office_user: User
) -> None:
    api = api_client(office_user)
    english = api.get(SIGNALS, HTTP_ACCEPT_LANGUAGE="en").json()["items"][0]["message"]
    assert english.startswith("Contract number HT-API-001")
    none = api.get(SIGNALS, {"kind": "benford"}).json()
    assert (none["count"], none["items"], none["by_kind"]) == (0, [], {"shared_contract_no": 1})
    assert api.get(SIGNALS, {"offset": 1}).json()["items"] == []


def test_a_bank_or_an_enterprise_reads_no_signals_and_nobody_anonymously_issue12_seed001(
    api_client: Callable[..., Any],
    shared_number: list[int],
    bank_a_user: User,
    enterprise_a_user: User,
) -> None:
    for user in (bank_a_user, enterprise_a_user):
        response = api_client(user).get(SIGNALS)
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert api_client().get(SIGNALS).status_code == 401


@pytest.mark.parametrize("query", [{"kind": "fraud"}, {"limit": 0}, {"offset": -1}])
def test_a_bad_filter_is_a_422(
    api_client: Callable[..., Any], office_user: User, query: dict[str, Any]
) -> None:
    response = api_client(office_user).get(SIGNALS, query)
    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")


def test_the_document_declares_what_the_signals_answer(api_client: Callable[..., Any]) -> None:
    operation = api_client().get("/api/schema").json()["paths"][SIGNALS]["get"]
    assert {"200", "401", "403", "422"} <= set(operation["responses"])
    assert "security" in operation
