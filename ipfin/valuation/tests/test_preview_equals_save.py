"""The preview applies the rules of saving (issue 13): one place, `services.assessment.assess`,
runs for POST /valuations/preview with `rights`, for the calculator's live preview and for the
draft saved. The income period may not exceed the right's remaining legal term on the valuation
date (refused, saying the term and why: 专利法 art. 42, a right earns nothing once its protection
ends); a negative discount rate is refused; a right under invalidation (专利法 arts. 45, 47) or in
its annuity grace period (art. 44) carries a warning in the preview, on the valuation's page, in
its API and for its report (`selectors.valuation_warnings`)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ipfin.accounts.models import Organisation, User
from ipfin.registry.domain import Status
from ipfin.registry.models import Right
from ipfin.registry.selectors import right_status
from ipfin.registry.services import right_event_record
from ipfin.registry.tests.factories import make_patent
from ipfin.valuation.models import Valuation
from ipfin.valuation.selectors import valuation_warnings
from ipfin.valuation.services import valuation_create
from ipfin.valuation.services.assessment import remaining_legal_years

PREVIEW = "/api/v1/valuations/preview"
CREATE = "/api/v1/valuations"


def _income(**kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "method": "income",
        "revenues": ["1000000"] * 3,
        "share_rate": "0.25",
        "tax_rate": "0.25",
        "discount_rate": "0.10",
        "life_years": "3",
    }
    body.update(kw)
    return body


@pytest.fixture
def old_utility_model(examiner: User, enterprise_a: Organisation) -> Right:
    """A utility model filed nine years and a half ago: its ten years end within a year."""
    today = timezone.localdate()
    return make_patent(
        examiner=examiner,
        owner=enterprise_a,
        kind="utility_model",
        filing_date=today - timedelta(days=int(9.5 * 365)),
        grant_date=today - timedelta(days=8 * 365),
    )


def _refusal(response: Any) -> tuple[int, str, str, str]:
    body = response.json()
    return response.status_code, body["code"], body.get("field", ""), body["detail"]


def test_an_income_period_beyond_the_legal_term_is_refused_alike_zhuanlifa_art42(
    public: Any, agency_api: Any, old_utility_model: Right
) -> None:
    number = old_utility_model.number
    legal = remaining_legal_years(old_utility_model, on=timezone.localdate())
    assert Decimal(0) < legal < Decimal(1)
    body = _income()  # three years of income from a right protected for less than one
    preview = public.post_json(PREVIEW, {**body, "rights": [number]})
    saved = agency_api.post_json(CREATE, {"rights": [number], "method": "income", "inputs": body})
    assert _refusal(preview) == _refusal(saved)
    status, code, field, detail = _refusal(preview)
    assert (status, code, field) == (422, "valuation_input", "life_years")
    assert f"剩余法定保护期限（{legal} 年）" in detail and "不能再产生收益" in detail
    assert not Valuation.objects.exists()
    # Within the term both accept, with the same value.
    short = {**body, "revenues": ["1000000"], "life_years": str(legal)}
    previewed = public.post_json(PREVIEW, {**short, "rights": [number]})
    assert previewed.status_code == 200, previewed.json()
    made = agency_api.post_json(CREATE, {"rights": [number], "method": "income", "inputs": short})
    assert made.status_code == 201, made.json()
    assert previewed.json()["value"] == made.json()["value"]
    # Without rights the preview is a calculator: no term to hold the period to.
    assert public.post_json(PREVIEW, body).status_code == 200


def test_a_negative_discount_rate_is_refused_alike_in_preview_and_save_issue13(
    public: Any, agency_api: Any, right: Right
) -> None:
    for body in (
        _income(discount_rate="-0.01"),
        _income(discount_rate=None, discount_rate_parts={"risk_free": "-0.02"}),
        _income(monte_carlo={"discount_rate": {"low": "-0.05", "high": "0.1"}, "draws": 100}),
    ):
        body = {k: v for k, v in body.items() if v is not None}
        preview = public.post_json(PREVIEW, {**body, "rights": [right.number]})
        calculator = public.post_json(PREVIEW, body)
        saved = agency_api.post_json(
            CREATE, {"rights": [right.number], "method": "income", "inputs": body}
        )
        assert _refusal(preview) == _refusal(calculator) == _refusal(saved)
        status, code, field, detail = _refusal(preview)
        assert (status, code) == (422, "valuation_input")
        assert field.endswith("discount_rate") and "折现率不能为负数" in detail
    assert not Valuation.objects.exists()


def test_the_preview_refuses_what_saving_refuses_issue13(public: Any, right: Right) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    future = public.post_json(
        PREVIEW, {**_income(), "rights": [right.number], "valuation_date": tomorrow.isoformat()}
    )
    assert _refusal(future)[:3] == (422, "valuation_date_invalid", "valuation_date")
    unknown = public.post_json(PREVIEW, {**_income(), "rights": ["202399999999.1"]})
    assert unknown.status_code == 422 and unknown.json()["code"] == "right_not_found"


def test_pending_invalidation_and_grace_period_are_warned_of_everywhere_zhuanlifa_art44_45(
    public: Any,
    agency_api: Any,
    client_for: Any,
    agency_user: User,
    examiner: User,
    enterprise_a: Organisation,
    right: Right,
) -> None:
    today = timezone.localdate()
    right_event_record(actor=examiner, right=right, type="invalidation_requested", date=today)
    late = make_patent(
        examiner=examiner,
        owner=enterprise_a,
        filing_date=today - timedelta(days=3 * 365),
        grant_date=today - timedelta(days=60),
        paid=False,
    )
    assert right_status(late, on=today).status == Status.GRACE_PERIOD
    numbers = [right.number, late.number]
    body = _income()
    preview = public.post_json(PREVIEW, {**body, "rights": numbers})
    assert preview.status_code == 200, preview.json()
    warned = [(w["code"], w["right"]) for w in preview.json()["warnings"]]
    assert warned == [("invalidation_pending", right.number), ("grace_period", late.number)]
    messages = [w["message"] for w in preview.json()["warnings"]]
    assert "无效宣告请求尚未审结" in messages[0] and "专利法第四十七条" in messages[0]
    assert "滞纳期" in messages[1] and "专利法第四十四条" in messages[1]
    english = public.post_json(PREVIEW, {**body, "rights": numbers}, HTTP_ACCEPT_LANGUAGE="en")
    assert "grace period" in english.json()["warnings"][1]["message"]

    made = agency_api.post_json(CREATE, {"rights": numbers, "method": "income", "inputs": body})
    assert made.status_code == 201, made.json()
    valuation = Valuation.objects.get(pk=made.json()["id"])
    assert made.json()["warnings"] == preview.json()["warnings"]
    # For the report: the same warnings, as of the valuation date.
    assert [(w.code, w.number) for w in valuation_warnings(valuation)] == warned
    # The page says so.
    page = client_for(agency_user).get(f"/valuations/{valuation.pk}/").content.decode()
    assert 'data-testid="valuation-warnings"' in page
    assert f'data-code="invalidation_pending" data-right="{right.number}"' in page
    assert f'data-code="grace_period" data-right="{late.number}"' in page


def test_warnings_are_of_the_valuation_date(
    agency_user: User, examiner: User, right: Right
) -> None:
    """A request filed after the valuation date is not a fact of that date: the report states the
    register as it stood on it."""
    today = timezone.localdate()
    valuation = valuation_create(
        actor=agency_user,
        rights=[right.number],
        method="income",
        inputs={k: v for k, v in _income().items() if k != "method"},
        valuation_date=today - timedelta(days=10),
    )
    right_event_record(actor=examiner, right=right, type="invalidation_requested", date=today)
    assert valuation_warnings(valuation) == []
    assert [w.code for w in valuation_warnings(valuation, on=today)] == ["invalidation_pending"]


def test_the_calculator_previews_under_the_rules_of_saving_issue13(
    client_for: Any, agency_user: User, old_utility_model: Right, examiner: User
) -> None:
    """The live preview of the right's calculator: the income period beyond the term is refused
    next to its field (saying the term), and a pending invalidation is warned of."""
    client: Client = client_for(agency_user)
    url = f"/valuations/right/{old_utility_model.number}/"
    form = {
        "method": "income",
        "revenues": "1000000, 1000000, 1000000",
        "share_rate": "25",
        "share_decay": "0",
        "tax_rate": "25",
        "discount_rate": "10",
        "life_years": "3",
    }
    page = client.post(url, form, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="err-life_years"' in page
    error = page[page.index('id="err-life_years"') :][:600]
    assert "剩余法定保护期限" in error and "不能再产生收益" in error
    right_event_record(
        actor=examiner,
        right=old_utility_model,
        type="invalidation_requested",
        date=timezone.localdate(),
    )
    legal = remaining_legal_years(old_utility_model, on=timezone.localdate())
    within = {**form, "revenues": "1000000", "life_years": str(legal)}
    page = client.post(url, within, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="valuation-warnings"' in page and "无效宣告请求尚未审结" in page
    negative = {**within, "discount_rate": "-1"}
    page = client.post(url, negative, HTTP_HX_REQUEST="true").content.decode()
    error = page[page.index('id="err-discount_rate"') :][:600]
    assert "折现率不能为负数" in error
