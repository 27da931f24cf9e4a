"""The schedule preview's term is bounded (1 ≤ months ≤ MAX_MONTHS = 360) and the OpenAPI document
says so, with the same number the schedule's engine refuses beyond."""

from __future__ import annotations

from typing import Any

import pytest

from ipfin.loans.domain.schedules import MAX_MONTHS

pytestmark = pytest.mark.django_db

PREVIEW = "/api/v1/schedules/preview"
TERMS = {
    "principal": "12000",
    "annual_rate": "0.12",
    "method": "annuity",
    "start_date": "2025-01-31",
    "day_count": "actual/365",
}


def test_the_document_states_the_term_the_server_enforces(api_client: Any) -> None:
    schema = api_client().get("/api/schema").json()["components"]["schemas"]
    months = schema["SchedulePreviewIn"]["properties"]["months"]
    assert (months["type"], months["minimum"], months["maximum"]) == ("integer", 1, MAX_MONTHS)


def test_the_longest_term_is_answered_and_one_more_is_422_naming_months(api_client: Any) -> None:
    public = api_client()
    longest = public.post_json(PREVIEW, {**TERMS, "months": MAX_MONTHS})
    assert longest.status_code == 200, longest.json()
    assert len(longest.json()["installments"]) == MAX_MONTHS
    beyond = public.post_json(PREVIEW, {**TERMS, "months": MAX_MONTHS + 1})
    assert beyond.status_code == 422
    assert beyond.json()["field"] == "months"
