"""The bank's answer in the feedback ledger (对接台账) proposes none (issue 13, "defaults that
fail"): the choice starts on an empty "请选择", a form sent without a choice is refused with the
error next to the choice, and a refusal about the reason sits next to the reason."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client

from ipfin.accounts.models import User
from ipfin.financing.models import Demand, DemandResponse, ProductVersion
from ipfin.financing.services import demand_push


def _row_form(page: str, row_id: int) -> str:
    start = page.index(f'data-ledger-id="{row_id}"')
    return page[start : page.index("</form>", start)]


def _selected(form: str) -> list[str]:
    return re.findall(r'<option value="([^"]*)" selected>', form)


@pytest.fixture
def pushed(
    enterprise_a_user: User,
    bank_a_user: User,
    bank_a_loan: ProductVersion,
    file_demand: Callable[..., Demand],
    client_for: Callable[[User], Client],
) -> tuple[Demand, DemandResponse, Client]:
    """A demand pushed to bank A (its one ledger row, not yet answered) and bank A's client."""
    demand = file_demand()
    (row,) = demand_push(actor=enterprise_a_user, demand=demand, today=date(2025, 6, 3))
    return demand, row, client_for(bank_a_user)


def test_no_answer_is_proposed_and_none_chosen_is_an_error_next_to_the_choice(
    pushed: tuple[Demand, DemandResponse, Client],
) -> None:
    demand, row, bank = pushed
    form = _row_form(bank.get("/financing/ledger/").content.decode(), row.pk)
    options = re.findall(r'<option value="([^"]*)"', form)
    assert options == ["", "interested", "need_info", "declined"]
    assert '<option value="" selected>请选择</option>' in form
    assert _selected(form) == [""]  # nothing but the empty choice

    # Sent without a choice: 400, the error beside the choice, what was typed kept.
    response = bank.post(
        f"/financing/ledger/{row.pk}/respond/", {"response": "", "reason": "请补充财务报表"}
    )
    assert response.status_code == 400
    form = _row_form(response.content.decode(), row.pk)
    assert 'data-testid="respond-response-error"' in form and "请选择反馈。" in form
    assert 'aria-invalid="true"' in form and 'value="请补充财务报表"' in form
    assert DemandResponse.objects.get(pk=row.pk).response == ""

    # The same from the demand's page: the demand's page again, the error beside the choice.
    response = bank.post(
        f"/financing/ledger/{row.pk}/respond/",
        {"response": "", "next": f"/financing/demands/{demand.pk}/"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="demand-state"' in page
    assert 'data-testid="respond-response-error"' in _row_form(page, row.pk)


def test_a_decline_without_a_reason_is_refused_next_to_the_reason(
    pushed: tuple[Demand, DemandResponse, Client],
) -> None:
    _demand, row, bank = pushed
    response = bank.post(
        f"/financing/ledger/{row.pk}/respond/", {"response": "declined", "reason": ""}
    )
    assert response.status_code == 422
    form = _row_form(response.content.decode(), row.pk)
    assert 'data-testid="respond-reason-error"' in form
    assert 'data-testid="respond-response-error"' not in form
    assert _selected(form) == ["declined"]  # the choice sent is kept
    assert DemandResponse.objects.get(pk=row.pk).response == ""
    # Answered: the page shows the answer on record, not the empty choice.
    bank.post(f"/financing/ledger/{row.pk}/respond/", {"response": "need_info", "reason": "x"})
    form = _row_form(bank.get("/financing/ledger/").content.decode(), row.pk)
    assert _selected(form) == ["need_info"]
