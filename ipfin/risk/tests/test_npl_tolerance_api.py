"""NPL tolerance over the real API (issue 12, "NPL tolerance"; DOMAIN.md glossary 不良容忍度; the
policy seeds 000, 002 and 004 are not on disk): POST /risk/bank-npl (a bank's quarterly report:
201, then 200 replacing it; 401, 403, 422) and GET /risk/npl-tolerance (a bank its own row, the
regulator and the IP office every bank's; 401, 403, 422); each status each operation answers, and
the document stating them with the same patterns the server holds requests to."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.loans.models import Loan
from ipfin.risk.domain.npl import PERIOD_PATTERN
from ipfin.risk.domain.ratios import RATIO_PATTERN
from ipfin.risk.models import BankNplReport
from ipfin.risk.tests import lenders

pytestmark = pytest.mark.django_db
lender = lenders.lender  # the fixture, in this module's scope

REPORT = "/api/v1/risk/bank-npl"
TOLERANCE = "/api/v1/risk/npl-tolerance"


def test_a_bank_reports_then_corrects_its_ratio_issue12(
    api_client: Callable[..., Any], bank_a_user: User, bank_a: Organisation
) -> None:
    api = api_client(bank_a_user)
    first = api.post_json(REPORT, {"period": "2025Q2", "ratio": "0.0162"})
    assert first.status_code == 201, first.content
    body = first.json()
    fields = ("period", "period_end", "ratio", "previous_ratio", "revision")
    assert {k: body[k] for k in fields} == {
        "period": "2025Q2",
        "period_end": "2025-06-30",
        "ratio": "0.0162",
        "previous_ratio": None,
        "revision": 1,
    }
    assert body["bank"] == {"id": bank_a.pk, "name": bank_a.name}
    assert body["reported_by"] == bank_a_user.username
    again = api.post_json(REPORT, {"period": "2025Q2", "ratio": "0.0175"})
    assert again.status_code == 200, again.content
    assert (again.json()["ratio"], again.json()["previous_ratio"], again.json()["revision"]) == (
        "0.0175",
        "0.0162",
        2,
    )
    assert BankNplReport.objects.count() == 1
    assert AuditRecord.objects.filter(action="risk.bank_npl_report").count() == 2


def test_a_replayed_report_is_saved_once(api_client: Callable[..., Any], bank_a_user: User) -> None:
    api = api_client(bank_a_user)
    key = {"HTTP_IDEMPOTENCY_KEY": "npl-2025q2-0001"}
    first = api.post_json(REPORT, {"period": "2025Q2", "ratio": "0.02"}, **key)
    again = api.post_json(REPORT, {"period": "2025Q2", "ratio": "0.02"}, **key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert BankNplReport.objects.get().revision == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"period": "2025q2", "ratio": "0.02"}, "invalid_input"),  # the schema's pattern
        ({"period": "２０２５Q2", "ratio": "0.02"}, "invalid_input"),
        ({"period": "2025Q2", "ratio": 0.02}, "invalid_input"),  # a JSON number
        ({"period": "2025Q2", "ratio": "1.5"}, "invalid_input"),
        ({"period": "2025Q2"}, "invalid_input"),
        ({"period": "2999Q1", "ratio": "0.02"}, "period_not_ended"),  # the service's
    ],
)
def test_a_bad_report_is_a_422_and_saves_nothing_issue12(
    api_client: Callable[..., Any], bank_a_user: User, body: dict[str, Any], code: str
) -> None:
    response = api_client(bank_a_user).post_json(REPORT, body)
    assert (response.status_code, response.json()["code"]) == (422, code)
    assert not BankNplReport.objects.exists()


def test_only_a_bank_reports_401_403_issue12(
    api_client: Callable[..., Any],
    office_user: User,
    regulator_user: User,
    enterprise_a_user: User,
) -> None:
    body = {"period": "2025Q2", "ratio": "0.02"}
    assert api_client().post_json(REPORT, body).status_code == 401
    for user in (office_user, regulator_user, enterprise_a_user):
        response = api_client(user).post_json(REPORT, body)
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert not BankNplReport.objects.exists()


def test_the_tolerance_of_a_reporting_bank_seed000_minfadian_art1259(
    api_client: Callable[..., Any],
    lender: Callable[[User], Callable[..., Loan]],
    bank_a_user: User,
    bank_a: Organisation,
) -> None:
    # 30 June 2025: 120,000.00 of 400,000.00 non-performing (0.3); reported 0.27: 0.27 + 0.03.
    lend = lender(bank_a_user)
    lend(start=date(2025, 2, 1))
    lend(principal="280000.00", start=date(2025, 6, 1))
    api = api_client(bank_a_user)
    assert api.post_json(REPORT, {"period": "2025Q2", "ratio": "0.27"}).status_code == 201
    response = api.get(TOLERANCE, {"period": "2025Q2"})
    assert response.status_code == 200, response.content
    page = response.json()
    assert (page["period"], page["period_end"], page["count"]) == ("2025Q2", "2025-06-30", 1)
    (item,) = page["items"]
    assert {k: v for k, v in item.items() if k != "reported_at"} == {
        "bank": {"id": bank_a.pk, "name": bank_a.name},
        "ip_balance": "400000.00",
        "ip_npl_balance": "120000.00",
        "ip_npl_ratio": "0.300000",
        "bank_npl_ratio": "0.270000",
        "limit": "0.300000",
        "tolerated": True,
        "revision": 1,
    }
    assert item["reported_at"] is not None


def test_a_quarter_without_a_report_shows_the_computed_ratio_only_issue12(
    api_client: Callable[..., Any],
    lender: Callable[[User], Callable[..., Loan]],
    bank_a_user: User,
    bank_b_user: User,
    bank_b: Organisation,
    regulator_user: User,
    office_user: User,
    enterprise_a_user: User,
) -> None:
    lend = lender(bank_a_user)
    lend(start=date(2025, 2, 1))
    lend(start=date(2025, 6, 1))
    api_client(bank_b_user).post_json(REPORT, {"period": "2025Q2", "ratio": "0.02"})
    mine = api_client(bank_a_user).get(TOLERANCE, {"period": "2025Q2"}).json()["items"]
    assert [(i["ip_npl_ratio"], i["bank_npl_ratio"], i["limit"], i["tolerated"]) for i in mine] == [
        ("0.500000", None, None, None)
    ]
    # Bank B reads only itself; the regulator and the office both banks.
    theirs = api_client(bank_b_user).get(TOLERANCE, {"period": "2025Q2"}).json()["items"]
    assert [i["bank"]["id"] for i in theirs] == [bank_b.pk]
    for reader in (regulator_user, office_user):
        items = api_client(reader).get(TOLERANCE, {"period": "2025Q2"}).json()["items"]
        assert [(i["ip_npl_ratio"], i["tolerated"]) for i in items] == [
            ("0.500000", None),
            ("0.000000", True),
        ]
    assert api_client(enterprise_a_user).get(TOLERANCE).status_code == 403
    assert api_client().get(TOLERANCE).status_code == 401


def test_without_a_period_the_last_quarter_ended_is_read(
    api_client: Callable[..., Any], bank_a_user: User
) -> None:
    from django.utils import timezone

    from ipfin.risk.domain.npl import Quarter

    page = api_client(bank_a_user).get(TOLERANCE).json()
    expected = Quarter.of(timezone.localdate()).previous()
    assert (page["period"], page["period_end"]) == (str(expected), expected.last_day.isoformat())


@pytest.mark.parametrize(
    ("period", "code"),
    [("2025-Q2", "invalid_input"), ("2025Q9", "invalid_input"), ("2999Q4", "period_not_ended")],
)
def test_a_bad_period_is_a_422(
    api_client: Callable[..., Any], regulator_user: User, period: str, code: str
) -> None:
    response = api_client(regulator_user).get(TOLERANCE, {"period": period})
    assert (response.status_code, response.json()["code"]) == (422, code)


def test_the_document_declares_what_the_npl_operations_answer(
    api_client: Callable[..., Any],
) -> None:
    document = api_client().get("/api/schema").json()
    report = document["paths"][REPORT]["post"]
    assert {"200", "201", "401", "403", "409", "422"} <= set(report["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in report["parameters"])
    body = document["components"]["schemas"]["BankNplIn"]["properties"]
    assert (body["period"]["pattern"], body["ratio"]["pattern"]) == (PERIOD_PATTERN, RATIO_PATTERN)
    read = document["paths"][TOLERANCE]["get"]
    assert {"200", "401", "403", "422"} <= set(read["responses"])
    (period,) = [p for p in read["parameters"] if p["name"] == "period"]
    assert PERIOD_PATTERN in str(period["schema"])
