"""The calendar's REST API over the real HTTP stack: public reads, the office's write, every status
the document declares."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ipfin.audit.models import AuditRecord
from ipfin.common.workdays import covered_years
from ipfin.holidays.models import HolidayArrangement

pytestmark = pytest.mark.django_db

NEXT = covered_years().stop
URL = f"/api/v1/calendar/{NEXT}"


def _body(**kw: Any) -> dict[str, Any]:
    body = {
        "notice": f"国务院办公厅关于{NEXT}年部分节假日安排的通知（测试）",
        "published_on": f"{NEXT - 1}-11-04",
        "holidays": [{"date": f"{NEXT}-01-01", "festival": "元旦"}],
        "workdays": [],
    }
    return body | kw


def test_calendar_list_is_public(api_client: Any) -> None:
    response = api_client().get("/api/v1/calendar")
    assert response.status_code == 200
    rows = {row["year"]: row for row in response.json()}
    assert rows[2026]["source"] == "office" and rows[2026]["holidays_count"] == 33
    assert rows[2025]["source"] == "package"
    assert rows[covered_years().start]["source"] == "package"


def test_calendar_year_is_public_with_festivals_in_both_languages(api_client: Any) -> None:
    response = api_client().get("/api/v1/calendar/2026")
    assert response.status_code == 200
    data = response.json()
    assert data["source"] == "office" and data["published_on"] == "2025-11-04"
    assert {"date": "2026-02-14", "festival": "春节", "festival_en": "Spring Festival"} in data[
        "workdays"
    ]
    assert len(data["holidays"]) == 33


def test_calendar_year_out_of_range_is_422(api_client: Any) -> None:
    assert api_client().get("/api/v1/calendar/1999").status_code == 422


def test_missing_year_answers_missing(api_client: Any) -> None:
    data = api_client().get(URL).json()
    assert data == {
        "year": NEXT,
        "source": "missing",
        "notice": "",
        "published_on": None,
        "holidays": [],
        "workdays": [],
        "version": 0,
    }


def test_working_days_uses_the_official_calendar(api_client: Any) -> None:
    response = api_client().get("/api/v1/calendar/working-days", {"start": "2026-09-30", "days": 1})
    assert response.status_code == 200
    assert response.json() == {
        "start": "2026-09-30",
        "days": 1,
        "date": "2026-10-08",
        "sources": {"2026": "office"},
    }
    too_many = api_client().get(
        "/api/v1/calendar/working-days", {"start": "2026-09-30", "days": 367}
    )
    assert too_many.status_code == 422


def test_office_admin_records_a_year(api_client: Any, office_admin: Any) -> None:
    response = api_client(office_admin).put(
        URL, _body(), content_type="application/json", HTTP_IF_MATCH='"0"'
    )
    assert response.status_code == 200, response.content
    assert response.json()["source"] == "office"
    assert response.json()["holidays"] == [
        {"date": f"{NEXT}-01-01", "festival": "元旦", "festival_en": "New Year's Day"}
    ]
    assert AuditRecord.objects.filter(action="calendar.arrangement_save").count() == 1


def test_a_weekday_as_adjusted_working_day_is_422_naming_the_problem(
    api_client: Any, office_admin: Any
) -> None:
    monday = next(date(NEXT, 1, d) for d in range(1, 8) if date(NEXT, 1, d).weekday() == 0)
    body = _body(workdays=[{"date": monday.isoformat(), "festival": ""}])
    response = api_client(office_admin).put(
        URL, body, content_type="application/json", HTTP_IF_MATCH='"0"'
    )
    assert response.status_code == 422
    data = response.json()
    assert data["code"] == "workday_not_weekend"
    assert data["problems"][0]["field"] == "workdays"
    assert not HolidayArrangement.objects.filter(year=NEXT).exists()


def test_schema_constraints_are_422(api_client: Any, office_admin: Any) -> None:
    client = api_client(office_admin)
    for body in (
        _body(notice=""),
        _body(notice="通" * 201),
        _body(holidays=[]),
        _body(holidays=[{"date": f"{NEXT}-01-01", "festival": "节" * 33}]),
        _body(holidays=[{"date": f"{NEXT}-01-{d:02d}"} for d in range(1, 32)] * 4),
    ):
        response = client.put(URL, body, content_type="application/json", HTTP_IF_MATCH='"0"')
        assert response.status_code == 422


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("examiner", 403), ("bank_a_user", 403)])
def test_only_office_administrators_write(
    api_client: Any, request: Any, who: str | None, status: int
) -> None:
    user = request.getfixturevalue(who) if who else None
    response = api_client(user).put(
        URL, _body(), content_type="application/json", HTTP_IF_MATCH='"0"'
    )
    assert response.status_code == status
    assert not HolidayArrangement.objects.filter(year=NEXT).exists()


def test_openapi_declares_public_reads_without_security(api_client: Any) -> None:
    schema = api_client().get("/api/schema").json()
    paths = schema["paths"]
    assert "security" not in paths["/api/v1/calendar"]["get"]
    assert "security" not in paths["/api/v1/calendar/{year}"]["get"]
    assert "security" not in paths["/api/v1/calendar/working-days"]["get"]
    put = paths["/api/v1/calendar/{year}"]["put"]
    assert put["security"]
    assert {"200", "401", "403", "422"} <= set(put["responses"])


def test_working_days_from_the_end_of_time_is_422_not_500(api_client: Any) -> None:
    response = api_client().get(
        "/api/v1/calendar/working-days", {"start": "9999-12-25", "days": 366}
    )
    assert response.status_code == 422
