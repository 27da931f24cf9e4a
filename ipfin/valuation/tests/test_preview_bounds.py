"""The preview's work is bounded: at most MAX_DRAWS = 20,000 Monte Carlo draws, an economic life of
at most MAX_LIFE_YEARS = 50 years (so at most 50 revenues), as the OpenAPI document says. One
anonymous preview with 1,000,000 draws over 100 years took 4.7 s of CPU before."""

from __future__ import annotations

from typing import Any

import pytest

from ipfin.valuation.domain.errors import ValuationInputError
from ipfin.valuation.domain.income import MAX_LIFE_YEARS
from ipfin.valuation.domain.montecarlo import MAX_DRAWS
from ipfin.valuation.services import valuation_preview
from ipfin.valuation.services.approaches import MAX_REVENUE_YEARS
from ipfin.valuation.tests.conftest import INCOME_INPUTS

pytestmark = pytest.mark.django_db

PREVIEW = "/api/v1/valuations/preview"


def _income(years: int, **kw: Any) -> dict[str, Any]:
    return {
        **INCOME_INPUTS,
        "method": "income",
        "revenues": ["1000000"] * years,
        "life_years": str(years),
        **kw,
    }


def _monte_carlo(years: int = 5, *, draws: int, high: int | None = None) -> dict[str, Any]:
    body = _income(years)
    body["monte_carlo"] = {
        "share_rate": {"low": "0.20", "high": "0.30"},
        "life_years": {"low": "1", "high": str(high or years)},
        "draws": draws,
        "seed": 1,
    }
    return body


def test_the_bounds_are_an_appraisers_not_a_centurys() -> None:
    assert MAX_DRAWS == 20_000
    assert MAX_LIFE_YEARS == 50
    assert MAX_REVENUE_YEARS == MAX_LIFE_YEARS


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_monte_carlo(draws=MAX_DRAWS + 1), "monte_carlo.draws"),
        (_monte_carlo(draws=1_000_000), "monte_carlo.draws"),
        (_monte_carlo(draws=0), "monte_carlo.draws"),
        (_income(MAX_LIFE_YEARS, life_years=str(MAX_LIFE_YEARS + 1)), "life_years"),
        (_income(MAX_LIFE_YEARS, life_years="50.01"), "life_years"),
        (_income(MAX_LIFE_YEARS + 1), "revenues"),  # one revenue a year: 51 is one too many
        (_income(100), "revenues"),
        (_monte_carlo(draws=100, high=MAX_LIFE_YEARS + 1), "monte_carlo.life_years"),
    ],
)
def test_preview_beyond_the_bounds_is_422_naming_the_field(
    public: Any, body: dict[str, Any], field: str
) -> None:
    response = public.post_json(PREVIEW, body)
    assert response.status_code == 422, response.json()
    assert response.json()["code"] == "valuation_input"
    assert response.json()["field"] == field


def test_preview_at_the_bounds_is_answered(public: Any) -> None:
    response = public.post_json(PREVIEW, _monte_carlo(MAX_LIFE_YEARS, draws=MAX_DRAWS))
    assert response.status_code == 200, response.json()
    assert response.json()["monte_carlo"]["draws"] == MAX_DRAWS
    assert len(response.json()["years"]) == MAX_LIFE_YEARS


def test_the_service_the_pages_use_refuses_the_same() -> None:
    for body, field in (
        (_monte_carlo(draws=MAX_DRAWS + 1), "monte_carlo.draws"),
        (_income(MAX_LIFE_YEARS, life_years=str(MAX_LIFE_YEARS + 1)), "life_years"),
        (_income(MAX_LIFE_YEARS + 1), "revenues"),
    ):
        with pytest.raises(ValuationInputError) as caught:
            valuation_preview(data=body)
        assert caught.value.field == field


def test_the_document_states_the_bounds_the_server_enforces(public: Any) -> None:
    schema = public.get("/api/schema").json()["components"]["schemas"]["PreviewIn"]
    fields = schema["properties"]
    draws = fields["monte_carlo"]["properties"]["draws"]
    assert (draws["minimum"], draws["maximum"]) == (1, MAX_DRAWS)
    assert fields["revenues"]["maxItems"] == MAX_REVENUE_YEARS
    assert f"≤ {MAX_LIFE_YEARS} years" in fields["life_years"]["description"]
    assert (
        f"≤ {MAX_LIFE_YEARS} years"
        in (fields["monte_carlo"]["properties"]["life_years"]["description"])
    )
