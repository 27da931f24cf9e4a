"""The recheck and the bank's internal valuation at the edges of what can be recorded: a report
a million times the bank's figure, packages summing past the largest amount, the highest
threshold the bank's model accepts. Each had answered 500 (a numeric overflow on storing)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from ipfin.accounts.models import Organisation
from ipfin.common.money import MAX_AMOUNT
from ipfin.registry.models import Right
from ipfin.valuation.tests.conftest import APPRAISERS, INCOME_INPUTS

pytestmark = pytest.mark.django_db
URL = "/api/v1/valuations"


def _issued(agency_api: Any, bank: Organisation, rights: list[Right]) -> dict[str, Any]:
    body = {
        "rights": [r.number for r in rights],
        "method": "income",
        "inputs": dict(INCOME_INPUTS),
        "client_bank_uscc": bank.uscc,
    }
    created = agency_api.post_json(URL, body).json()
    issued = agency_api.post_json(f"{URL}/{created['id']}/issue", {"appraisers": APPRAISERS})
    assert issued.status_code == 200, issued.content
    return dict(issued.json())


def test_a_report_a_million_times_the_banks_figure_is_flagged_not_a_500(
    agency_api: Any, bank_a_api: Any, bank_a: Organisation, make_right: Callable[..., Right]
) -> None:
    right = make_right()
    report = _issued(agency_api, bank_a, [right])
    rechecked = bank_a_api.post_json(
        f"{URL}/{report['id']}/recheck", {"reference_values": {right.number: "0.01"}}
    )
    assert rechecked.status_code == 200, rechecked.content
    expected = (Decimal(report["value"]) - Decimal("0.01")) / Decimal("0.01")
    assert expected > 1_000_000  # past the 12 digits the deviation was stored in
    assert Decimal(rechecked.json()["deviation"]) == expected
    assert rechecked.json()["flagged"] is True


def test_a_package_summing_past_the_largest_amount_is_a_422_naming_it(
    agency_api: Any, bank_a_api: Any, bank_a: Organisation, make_right: Callable[..., Right]
) -> None:
    """Each right's figure within the largest amount, their sum not: refused, in the bank's own
    valuation and in a recheck alike."""
    a, b = make_right(), make_right()
    model = bank_a_api.put(
        f"{URL}/bank-model",
        {"haircuts": {"invention": "0"}, "score_floor": "1"},
        content_type="application/json",
        HTTP_IF_MATCH='"0"',
    )
    assert model.status_code == 200, model.content
    largest = str(MAX_AMOUNT)
    own = bank_a_api.post_json(
        URL,
        {
            "rights": [a.number, b.number],
            "method": "bank_internal",
            "inputs": {"reference_values": {a.number: largest, b.number: largest}},
        },
    )
    assert (own.status_code, own.json()["field"]) == (422, "rights")
    report = _issued(agency_api, bank_a, [a, b])
    rechecked = bank_a_api.post_json(
        f"{URL}/{report['id']}/recheck",
        {"reference_values": {a.number: largest, b.number: largest}},
    )
    assert (rechecked.status_code, rechecked.json()["code"], rechecked.json()["field"]) == (
        422, "amount_too_large", "reference_values",
    )  # fmt: skip


def test_the_highest_threshold_the_model_accepts_is_stored_and_applied(
    agency_api: Any, bank_a_api: Any, bank_a: Organisation, make_right: Callable[..., Right]
) -> None:
    """bank_model_update takes a threshold from 0 to 10; 10 did not fit the column (under 10)."""
    model = bank_a_api.put(
        f"{URL}/bank-model",
        {"recheck_threshold": "10"},
        content_type="application/json",
        HTTP_IF_MATCH='"0"',
    )
    assert model.status_code == 200, model.content
    assert Decimal(model.json()["recheck_threshold"]) == 10
    right = make_right()
    report = _issued(agency_api, bank_a, [right])
    figure = str((Decimal(report["value"]) / 10).quantize(Decimal("0.01")))  # deviation 9: within
    rechecked = bank_a_api.post_json(
        f"{URL}/{report['id']}/recheck", {"reference_values": {right.number: figure}}
    ).json()
    assert (Decimal(rechecked["threshold"]), rechecked["flagged"]) == (10, False)
